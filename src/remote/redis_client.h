// A small Redis client over hiredis's blocking API: a pool of connections, every command
// under one Endpoint (resilience.h: deadline, retries in a budget, breaker), and the few
// commands the shared cache needs (GET, SET, EVAL of a Lua script, a pipelined batch of EVALs).
//
// Why blocking hiredis and not its libuv adapter: the engine's callers are plain threads
// (the server hands engine calls to libuv's thread pool), so a call that blocks for at most
// its deadline is what they expect; the pool bounds connections.
//
// Thread safety: a RedisClient is safe from any number of threads; each command borrows one
// connection for its duration.
#pragma once

#include <chrono>
#include <cstdint>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "commerce/resilience.h"
#include "commerce/status.h"

struct redisContext;

namespace commerce {

// `ttl` scaled by a uniform factor in [1 - jitter, 1 + jitter], in ms (at least 1), for a PX
// argument: entries written together do not expire together.
int64_t JitteredMs(std::chrono::milliseconds ttl, double jitter);

class RedisClient {
 public:
  // `url`: "redis://HOST:PORT" or "HOST:PORT" (InvalidArgument otherwise). Connects lazily: a
  // Redis that is down at open is not an error, its calls are.
  static Result<std::unique_ptr<RedisClient>> Make(const std::string& url, int connections,
                                                   const EndpointOptions& endpoint);
  ~RedisClient();

  // The value, or nullopt when the key is absent.
  Result<std::optional<std::string>> Get(const std::string& key);
  // EVAL script 1 key args...: the script's integer answer.
  Result<long long> Eval(const std::string& script, const std::string& key,
                         const std::vector<std::string>& args);
  // Several EVALs of one script in one round trip (a pipeline): the integer answers, in order.
  Result<std::vector<long long>> EvalMany(const std::string& script,
                                          const std::vector<std::string>& keys,
                                          const std::vector<std::vector<std::string>>& args);
  // SET key value PX ttl_ms.
  Status Set(const std::string& key, const std::string& value, int64_t ttl_ms);
  // DEL key (tests and tools).
  Status Del(const std::string& key);

  Endpoint& endpoint() { return endpoint_; }
  const std::string& address() const { return address_; }

 private:
  RedisClient(std::string host, int port, int connections, const EndpointOptions& endpoint);
  // Sends `commands` (each an argv) in one pipeline and reads one reply each; `on_reply` sees
  // them in order. Under the endpoint: errors of the connection are Unavailable (the
  // connection is dropped), a reply that is an error is Internal.
  struct Reply;
  Status Run(const std::vector<std::vector<std::string>>& commands,
             const std::function<Status(size_t, const Reply&)>& on_reply);
  Result<redisContext*> Borrow(const Deadline& deadline);
  void Return(redisContext* c, bool healthy);

  std::string host_;
  int port_;
  std::string address_;
  Endpoint endpoint_;

  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<redisContext*> idle_;  // GUARDED_BY(mu_)
  int open_ = 0;                     // GUARDED_BY(mu_): borrowed + idle
  int max_open_;
};

}  // namespace commerce
