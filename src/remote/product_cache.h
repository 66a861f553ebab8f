// The shared cache of product reads on Redis: the implementation of SharedCache
// (include/commerce/shared_cache.h), over an engine's storage and event log.
//
// Entries, one key per product ("<prefix>p:<id>"):
//   "v<version>:<filled at, ms since the epoch>:<the stored record>"   a product
//   "t<version>"                                                      a tombstone
// Every write of a key is a Lua script that compares versions inside Redis, so two writers
// racing cannot put an older version back:
//   fill(v)       sets the entry unless the key holds a version > v;
//   invalidate(v) sets the tombstone t<v> unless the key holds a version >= v.
// A reader that read version v-1 from storage before a write of v, and fills after the
// write's invalidation, finds t<v> and is refused; one that read v fills over t<v>.
//
// The invalidator thread tails the event log (ProductUpserted / ProductArchived carry the
// product's new version) and invalidates each product written, by any process of the store;
// "<prefix>invalidated_seq" in Redis records how far the invalidators got (the highest any
// reached), and a process starts from it, so an event written while no process was tailing is
// still applied. While Redis cannot be reached the thread keeps its position and applies the
// missed events once it can.
//
// The search tier (search_result_tier.h) shares this cache's RedisClient, so one Endpoint
// (one breaker) covers every call to the Redis server; AttachSearch installs it in the
// engine's search, Stop removes it.
//
// Thread safety: safe from any number of threads; Start/Stop/AttachSearch from the owner.
#pragma once

#include <atomic>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>

#include "commerce/catalog.h"
#include "commerce/events.h"
#include "commerce/shared_cache.h"
#include "commerce/storage.h"
#include "remote/redis_client.h"
#include "remote/search_result_tier.h"

namespace commerce {

class SearchService;

// Versions compared inside Redis (the header's rules). Lua numbers are doubles: versions stay
// far below 2^53.
inline constexpr const char* kProductFillScript = R"(
local cur = redis.call('GET', KEYS[1])
if cur then
  local v = tonumber(string.match(cur, '^[vt](%d+)'))
  if v and v > tonumber(ARGV[1]) then return 0 end
end
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
return 1)";

inline constexpr const char* kProductInvalidateScript = R"(
local cur = redis.call('GET', KEYS[1])
if cur then
  local v = tonumber(string.match(cur, '^[vt](%d+)'))
  if v and v >= tonumber(ARGV[1]) then return 0 end
end
redis.call('SET', KEYS[1], 't' .. ARGV[1], 'PX', ARGV[2])
return 1)";

// The invalidators' position only moves forward.
inline constexpr const char* kInvalidatedSeqScript = R"(
local cur = tonumber(redis.call('GET', KEYS[1]) or '0')
if tonumber(ARGV[1]) > cur then redis.call('SET', KEYS[1], ARGV[1]) end
return 1)";


class ProductCache {
 public:
  // InvalidArgument for bad options; Redis itself is not contacted (a Redis that is down at
  // open is a cache that misses).
  static Result<std::shared_ptr<ProductCache>> Open(Storage* storage, Events* events,
                                                    const SharedCacheOptions& options);
  ~ProductCache();

  // The product, from Redis when it holds it, else from storage (and then filled). Errors of
  // Redis are never the caller's: it reads storage instead.
  Result<Product> Get(std::string_view id);
  // This process wrote `version` of `id`: invalidate now, so that its next read sees it. A
  // failure is left to the invalidator, which applies the event from the log.
  void Invalidate(const std::string& id, uint64_t version);

  // Makes `search`'s queries use Redis too (options.search_ttl > 0), until Stop().
  void AttachSearch(SearchService* search);
  void Start();
  void Stop();
  SharedCacheStats stats() const;

 private:
  ProductCache(Storage* storage, Table products, Events* events, const SharedCacheOptions& options,
               std::shared_ptr<RedisClient> redis);
  std::string Key(std::string_view id) const;
  Result<Product> ReadStorage(std::string_view id);
  // Reads storage and fills Redis, once per key at a time in this process.
  Result<Product> Fill(const std::string& id);
  void StoreFill(const std::string& id, const Product& p);
  std::string JitteredTtlMs();
  void InvalidateLoop();
  void RefreshLoop();
  // Invalidates every product event in (from, to]; OK when all were applied.
  Status InvalidateRange(uint64_t from, uint64_t* applied_to);
  // After a trim past the invalidators: every product at its current version, up to the log's
  // end as of the start.
  Status InvalidateAll(uint64_t* applied_to);

  Storage* storage_;
  Table products_;
  Events* events_;
  SharedCacheOptions options_;
  std::shared_ptr<RedisClient> redis_;  // shared with search_tier_
  std::shared_ptr<SearchResultTier> search_tier_;
  SearchService* search_ = nullptr;  // where search_tier_ is installed

  struct Flight;
  std::mutex flights_mu_;
  std::map<std::string, std::shared_ptr<Flight>> flights_;  // GUARDED_BY(flights_mu_)

  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;                  // GUARDED_BY(mu_)
  std::set<std::string> to_refresh_;   // GUARDED_BY(mu_)
  std::thread invalidator_, refresher_;
  // The log's end when Start() ran, before this process could fill anything: where the
  // invalidator starts when Redis holds no position. Taking the end later (when Redis first
  // answered) skipped the events between, and entries this process filled before them stayed
  // stale until their ttl.
  uint64_t start_seq_ = 0;  // set in Start(), before the threads

  std::atomic<uint64_t> hits_{0}, misses_{0}, fills_{0}, fills_refused_{0}, coalesced_{0},
      stale_served_{0}, invalidations_{0}, bypassed_{0}, invalidated_seq_{0};
};

}  // namespace commerce
