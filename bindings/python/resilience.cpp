// Binds include/commerce/resilience.h (the options and figures of remote endpoints) and
// shared_cache.h (SharedCache, its options and counters).
#include "commerce/resilience.h"

#include "bind.h"
#include "commerce/engine.h"
#include "commerce/shared_cache.h"

namespace commerce::python {

void BindResilience(py::module_& m) {
  Value<RetryOptions>(m, "RetryOptions", "Retries of a remote call (EndpointOptions.retry).")
      .field("max_attempts", &RetryOptions::max_attempts, "Tries per call, the first included.")
      .field("backoff", &RetryOptions::backoff, "Base of the jittered backoff, doubled per retry.")
      .field("max_backoff", &RetryOptions::max_backoff, "The longest backoff.")
      .field("budget_ratio", &RetryOptions::budget_ratio,
             "Retries may add at most this fraction of first tries...")
      .field("budget_floor_per_s", &RetryOptions::budget_floor_per_s, "...plus this many a second.");
  Value<BreakerOptions>(m, "BreakerOptions", "The circuit breaker of an endpoint (EndpointOptions.breaker).")
      .field("failure_threshold", &BreakerOptions::failure_threshold,
             "Consecutive failures that open it; 0: never opens.")
      .field("open_for", &BreakerOptions::open_for, "How long it refuses calls before one probe.");
  Value<EndpointOptions>(m, "EndpointOptions", "Deadline, retries and breaker of a remote endpoint.")
      .field("deadline", &EndpointOptions::deadline, "One call, retries and backoffs included.")
      .field("retry", &EndpointOptions::retry, "RetryOptions.")
      .field("breaker", &EndpointOptions::breaker, "BreakerOptions.");

  py::enum_<BreakerState>(m, "BreakerState", "A circuit breaker's state.")
      .value("CLOSED", BreakerState::kClosed)
      .value("OPEN", BreakerState::kOpen)
      .value("HALF_OPEN", BreakerState::kHalfOpen);
  Value<EndpointStats>(m, "EndpointStats", "One remote endpoint's breaker and latencies.")
      .field("name", &EndpointStats::name, "e.g. 'redis 127.0.0.1:6379'.")
      .field("state", &EndpointStats::state, "BreakerState.")
      .field("calls", &EndpointStats::calls, "Calls made.")
      .field("failures", &EndpointStats::failures, "Attempts that failed.")
      .field("retries", &EndpointStats::retries, "Attempts after the first.")
      .field("retries_denied", &EndpointStats::retries_denied, "Retries the budget refused.")
      .field("rejected", &EndpointStats::rejected, "Calls refused by the open breaker.")
      .field("deadline_exceeded", &EndpointStats::deadline_exceeded, "Calls past their deadline.")
      .field("opened", &EndpointStats::opened, "Times the breaker opened.")
      .field("latency_p50_ms", &EndpointStats::latency_p50_ms, "Over the last 1024 attempts.")
      .field("latency_p99_ms", &EndpointStats::latency_p99_ms, "Over the last 1024 attempts.")
      .field("latency_count", &EndpointStats::latency_count, "Attempts timed.")
      .field("latency_sum_ms", &EndpointStats::latency_sum_ms, "Their total time.");
  m.def("all_endpoint_stats", &AllEndpointStats, ReleaseGil(),
        "Every remote endpoint alive in this process (Redis, NATS, search shards): its breaker "
        "state, calls, failures, retries and latencies.");

  Value<SharedCacheOptions>(m, "SharedCacheOptions",
                            "The shared cache of product reads and search results on Redis.")
      .field("redis_url", &SharedCacheOptions::redis_url, "'redis://HOST:PORT'; empty: off.")
      .field("key_prefix", &SharedCacheOptions::key_prefix, "Stores sharing one Redis need different ones.")
      .field("ttl", &SharedCacheOptions::ttl, "An entry's lifetime, jittered.")
      .field("ttl_jitter", &SharedCacheOptions::ttl_jitter, "+- this fraction of ttl.")
      .field("refresh_after", &SharedCacheOptions::refresh_after,
             "Older entries are served and refreshed in the background.")
      .field("connections", &SharedCacheOptions::connections, "Connections to Redis (1..64).")
      .field("endpoint", &SharedCacheOptions::endpoint, "EndpointOptions of every Redis call.")
      .field("search_ttl", &SharedCacheOptions::search_ttl,
             "A search result page's lifetime in Redis, jittered; 0: searches do not use Redis.")
      .field("search_max_bytes", &SharedCacheOptions::search_max_bytes,
             "Larger encoded pages are not stored (1 KiB .. 64 MiB).");
  Value<SharedCacheStats>(m, "SharedCacheStats", "Counters of the shared cache.")
      .field("hits", &SharedCacheStats::hits, "Answered from Redis.")
      .field("misses", &SharedCacheStats::misses, "Read from storage.")
      .field("fills", &SharedCacheStats::fills, "Entries written.")
      .field("fills_refused", &SharedCacheStats::fills_refused, "Fills refused: a newer version was there.")
      .field("coalesced", &SharedCacheStats::coalesced, "Misses that waited for another's fill.")
      .field("stale_served", &SharedCacheStats::stale_served, "Entries served past refresh_after.")
      .field("invalidations", &SharedCacheStats::invalidations, "Tombstones written.")
      .field("bypassed", &SharedCacheStats::bypassed, "Reads sent to storage because Redis failed.")
      .field("invalidated_seq", &SharedCacheStats::invalidated_seq, "Log position invalidated up to.")
      .field("search_hits", &SharedCacheStats::search_hits, "Search pages answered from Redis.")
      .field("search_misses", &SharedCacheStats::search_misses,
             "Searches with no page at the index's sequence (the index answered).")
      .field("search_stores", &SharedCacheStats::search_stores, "Search pages written.")
      .field("search_too_large", &SharedCacheStats::search_too_large, "Pages over search_max_bytes.")
      .field("search_errors", &SharedCacheStats::search_errors,
             "Redis calls of searches that failed (the index answered).");

  // Held through a box so that close() can stop the invalidator before the interpreter's
  // garbage collector would.
  struct Box {
    std::unique_ptr<SharedCache> cache;
    SharedCache& get() {
      if (!cache) throw StatusError(Status::FailedPrecondition("the shared cache is closed"));
      return *cache;
    }
  };
  py::class_<Box>(m, "SharedCache",
                  "Product reads and search results from a Redis shared by every process of a "
                  "store (docs/scaling.md).\n\n"
                  "    cache = commerce.SharedCache(engine, redis_url='redis://127.0.0.1:6379')\n"
                  "    cache.get_product('mug')   # from Redis, or the store (then filled)\n"
                  "    engine.search.query(text='mug')   # from Redis, or the index (then stored)\n\n"
                  "Keywords are SharedCacheOptions fields. Redis's errors never reach the caller: "
                  "the store or the index answers instead. close() (or leaving a with block) "
                  "stops its invalidator and its searches' use of Redis; close it before its engine.")
      .def(py::init([](Engine& engine, const SharedCacheOptions& options) {
             Result<std::unique_ptr<SharedCache>> r = Status::Internal("not opened");
             {
               py::gil_scoped_release release;
               r = SharedCache::open(engine, options);
             }
             ThrowIfError(r.status());
             return Box{std::move(r).value()};
           }),
           py::arg("engine"), py::kw_only(), py::arg("options"), py::keep_alive<1, 2>(),
           "Opens a cache over engine's store with these SharedCacheOptions.")
      .def(
          "get_product", [](Box& b, const std::string& id) { return b.get().get_product(id); },
          py::arg("product_id"), ReleaseGil(),
          "As Catalog.get, from Redis when it holds the product, else from the store.")
      .def(
          "written", [](Box& b, const Product& stored) { b.get().written(stored); },
          py::arg("stored"), ReleaseGil(),
          "After this process wrote `stored` (what Catalog.upsert or archive returned): "
          "invalidates it now, so that this process's next read sees the write.")
      .def(
          "stats", [](Box& b) { return b.get().stats(); }, "SharedCacheStats.")
      .def(
          "close", [](Box& b) {
            py::gil_scoped_release release;
            b.cache.reset();
          },
          "Stops the invalidator; later calls raise FailedPrecondition. Closing twice is allowed.");
}

}  // namespace commerce::python
