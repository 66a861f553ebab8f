// The HTTP/1.1 side of the reference server: one libuv loop per thread, all accepting on one
// listening socket; keep-alive and pipelining (responses in request order); requests parsed
// by Node's http_parser (Debian's libhttp-parser) made strict in its callbacks; the limits of
// ServerOptions enforced per connection; the gateway (keys, scopes, rate limits, request ids,
// access log, metrics) applied on the request head, before any body is read (connection.h).
//
// Thread safety: Listener objects are made on the main thread, then each is run by its own
// thread; Stop() may be called from any thread.
#pragma once

#include <memory>
#include <string>

#include "routes.h"

namespace commerce::server {

class Loop;

// True when `listen` (host:port, [ipv6]:port) is a loopback address: 127.0.0.0/8 or ::1.
// InvalidArgument when it does not parse.
Result<bool> ListenIsLoopback(const std::string& listen);

// Binds host:port once, without SO_REUSEPORT, so that no other process can bind it too.
// InvalidArgument for a bad address; Unavailable when the port is taken ("address ... is in
// use") or cannot be bound. The caller closes the descriptor once every Listener is made.
Result<int> BindListenSocket(const std::string& listen);

class Listener {
 public:
  // A loop accepting on its own duplicate of `listen_fd` (the kernel hands each new
  // connection to one of the loops waiting on it).
  static Result<std::unique_ptr<Listener>> Create(ServerState* state, int index, int listen_fd);
  ~Listener();
  // Runs the loop until Stop() has drained it. Call on the loop's own thread.
  void Run();
  // Stops accepting, answers in-flight requests, closes idle connections; forces the rest
  // closed after drain_timeout_ms. Thread-safe.
  void Stop();
  // The engine's clocks may have moved: the loop's parked requests look. Thread-safe.
  void Wake();

 private:
  Listener() = default;
  std::unique_ptr<Loop> loop_;
};

}  // namespace commerce::server
