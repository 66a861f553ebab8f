// The HTTP/1.1 side of the reference server: one libuv loop per thread, each accepting on its
// own SO_REUSEPORT socket of the same port; keep-alive and pipelining (responses in request
// order); requests parsed by Node's http_parser (Debian's libhttp-parser); the limits of
// ServerOptions enforced per connection; the gateway (keys, scopes, rate limits, request
// ids, access log, metrics) applied before any route runs.
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

class Listener {
 public:
  // Binds host:port with SO_REUSEPORT. InvalidArgument for a bad address, Unavailable when
  // the port cannot be bound.
  static Result<std::unique_ptr<Listener>> Bind(ServerState* state, int index,
                                                const std::string& listen);
  ~Listener();
  // Runs the loop until Stop() has drained it. Call on the loop's own thread.
  void Run();
  // Stops accepting, answers in-flight requests, closes idle connections; forces the rest
  // closed after drain_timeout_ms. Thread-safe.
  void Stop();

 private:
  Listener() = default;
  std::unique_ptr<Loop> loop_;
};

}  // namespace commerce::server
