// Test helpers for the shared cache on Redis (shared_cache.h): an engine or
// a cache opened or the test fails at once, a cache's options over a private redis-server
// (test_service.h), and an endpoint's stats by name.
#pragma once

#include <catch2/catch.hpp>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "commerce/engine.h"
#include "commerce/resilience.h"
#include "commerce/shared_cache.h"
#include "test_engine.h"
#include "test_service.h"

namespace commerce::testing {

inline std::unique_ptr<Engine> OpenEngine(const EngineOptions& o) {
  auto e = Engine::open(o);
  INFO(e.status().ToString());
  REQUIRE(e.ok());
  return std::move(e).value();
}

inline SharedCacheOptions TestCacheOptions(const TestService& redis, const std::string& prefix) {
  SharedCacheOptions o;
  o.redis_url = "redis://" + redis.address();
  o.key_prefix = prefix;
  // Short enough that the fault tests see the breaker half-open within their time.
  o.endpoint.breaker.open_for = std::chrono::milliseconds(300);
  return o;
}

inline std::unique_ptr<SharedCache> OpenCache(Engine& engine, const SharedCacheOptions& o) {
  auto c = SharedCache::open(engine, o);
  INFO(c.status().ToString());
  REQUIRE(c.ok());
  return std::move(c).value();
}

// A copy, not a pointer: AllEndpointStats() returns a temporary (ASan caught the dangling
// pointer a first form kept).
inline std::optional<EndpointStats> FindEndpoint(const std::string& name) {
  for (const auto& s : AllEndpointStats())
    if (s.name == name) return s;
  return std::nullopt;
}

// Polls the endpoint's breaker until it is in `want` or `timeout` passes; the last state seen.
inline BreakerState WaitForBreaker(const std::string& name, BreakerState want,
                                   std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  BreakerState state = want == BreakerState::kOpen ? BreakerState::kClosed : BreakerState::kOpen;
  while (std::chrono::steady_clock::now() < deadline) {
    const std::optional<EndpointStats> s = FindEndpoint(name);
    REQUIRE(s.has_value());
    state = s->state;
    if (state == want) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return state;
}

}  // namespace commerce::testing
