// The shared cache: product reads and search results answered from Redis, shared by every
// engine process of a store (docs/scaling.md, "The shared cache on Redis").
//
//   auto cache = commerce::SharedCache::open(*engine, {.redis_url = "redis://10.0.0.5:6379"});
//   auto p = (*cache)->get_product("mug");   // from Redis, or from the store (and then filled)
//   auto r = engine->search().query(req);    // from Redis, or from the index (and then stored)
//
// A SharedCache sits beside an Engine: Catalog::get keeps reading the store; callers that can
// take a product up to the log's delay old (a product page, the HTTP server's GET
// /v1/products/{id}) read through the cache. While it is open, the engine's searches
// (Search::query, whoever calls it) look in Redis too, under this process's result cache and
// before the index: a result page is kept under the normalised request and the index sequence
// it was answered from, so once the index moved on (a catalog or stock change indexed) the
// page's key is no longer asked for: a stale page is unreachable, never served.
//
// What it guarantees:
// - never an older version put back: every entry carries its product's version, and fills and
//   invalidations are Lua scripts that refuse to replace a newer version (an invalidation
//   leaves a tombstone with the new version, so a fill that read the old one before the
//   write cannot land after it);
// - a product updated through any process is served stale no longer than the event log takes
//   to reach this process (its cache tails the log and invalidates what changed; a writer
//   that calls written() after its own write reads it back at once);
// - Redis down, slow or refusing: reads go to storage and searches to the index, at once
//   while the endpoint's breaker is open (resilience.h), and the engine keeps answering;
// - against stampedes: one fill per key at a time in a process (others wait for it), entry
//   lifetimes jittered, and stale-while-revalidate (an entry past refresh_after is served
//   while one background read refreshes it).
//
// Thread safety: a SharedCache is safe to use from any number of threads. Destroy it before
// its Engine. An engine's searches use the SharedCache opened last over it (one per engine is
// the intended use).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "commerce/catalog.h"
#include "commerce/export.h"
#include "commerce/resilience.h"

namespace commerce {

struct SharedCacheOptions {
  // "redis://HOST:PORT" or "HOST:PORT".
  std::string redis_url;
  // Prefix of every key: stores sharing one Redis need different prefixes.
  std::string key_prefix = "commerce:";
  // How long an entry lives, +-ttl_jitter (a fraction) so that entries filled together do not
  // expire together. Invalidation is what keeps entries current; the ttl bounds memory and
  // what a missed invalidation (a process dead mid-write with no other process running) can
  // cost.
  std::chrono::milliseconds ttl{300000};
  double ttl_jitter = 0.2;
  // An entry older than this is served, and refreshed from storage in the background by one
  // caller (stale-while-revalidate): hot keys never all miss at once.
  std::chrono::milliseconds refresh_after{60000};
  // Connections to Redis (1..64): calls beyond them wait for one, within the deadline.
  int connections = 8;
  // Deadline, retries and breaker of every Redis call. A cache must be fast or absent: a short
  // deadline, one retry.
  EndpointOptions endpoint{.deadline = std::chrono::milliseconds(50),
                           .retry = {.max_attempts = 2, .backoff = std::chrono::milliseconds(2),
                                     .max_backoff = std::chrono::milliseconds(10)},
                           .breaker = {.failure_threshold = 5,
                                       .open_for = std::chrono::milliseconds(1000)}};
  // Search results in Redis: how long an entry lives (+-ttl_jitter). Entries of an index
  // sequence the index has left are never asked for again; the ttl bounds the memory they
  // hold until then. 0: search results are not kept in Redis (product reads still are).
  std::chrono::milliseconds search_ttl{60000};
  // A result page larger than this once encoded is not stored (counted in search_too_large):
  // Redis values stay small (1 KiB .. 64 MiB).
  size_t search_max_bytes = 256 * 1024;
};

struct SharedCacheStats {
  uint64_t hits = 0;            // answered from Redis
  uint64_t misses = 0;          // not in Redis (or a tombstone): read from storage
  uint64_t fills = 0;           // entries written after a miss or a refresh
  uint64_t fills_refused = 0;   // fills Redis refused: a newer version was already there
  uint64_t coalesced = 0;       // misses that waited for another caller's fill
  uint64_t stale_served = 0;    // entries served past refresh_after (and refreshed)
  uint64_t invalidations = 0;   // tombstones written (from the log or this process's writes)
  uint64_t bypassed = 0;        // reads that went to storage because Redis failed
  uint64_t invalidated_seq = 0; // the event log position this process has invalidated up to
  // The search tier: results answered from Redis, not there (the index answered), stored,
  // not stored for their size, and Redis calls that failed (the index answered instead).
  uint64_t search_hits = 0;
  uint64_t search_misses = 0;
  uint64_t search_stores = 0;
  uint64_t search_too_large = 0;
  uint64_t search_errors = 0;
};

class Engine;
class ProductCache;

class COMMERCE_EXPORT SharedCache {
 public:
  // A cache over `engine`'s store, with its invalidator thread started. InvalidArgument for
  // bad options (a URL not redis://HOST:PORT, ttl or refresh_after not positive, ttl_jitter
  // outside [0, 1), connections outside 1..64, search_ttl negative, search_max_bytes outside
  // 1 KiB .. 64 MiB); Redis is not contacted here (a Redis that is down at open is a cache
  // that misses). With search_ttl > 0 the engine's searches use Redis until the cache is
  // destroyed.
  static Result<std::unique_ptr<SharedCache>> open(Engine& engine, const SharedCacheOptions& options);
  ~SharedCache();  // stops the invalidator
  SharedCache(const SharedCache&) = delete;
  SharedCache& operator=(const SharedCache&) = delete;

  // As Catalog::get, answered from Redis when it holds the product, else from the store (and
  // then filled). Redis's own errors never reach the caller: the store answers instead.
  Result<Product> get_product(std::string_view product_id);
  // After this process wrote `stored` (what Catalog::upsert or archive returned): invalidates
  // its entry now, so that this process's next read sees the write. Best effort: when Redis
  // fails, the invalidator applies the write's event once it answers again.
  void written(const Product& stored);

  SharedCacheStats stats() const;

 private:
  explicit SharedCache(std::shared_ptr<ProductCache> impl);
  std::shared_ptr<ProductCache> impl_;
};

}  // namespace commerce
