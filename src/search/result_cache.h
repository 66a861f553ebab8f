// The result cache in front of the index: the card's answer to cache stampedes on head
// queries.
//   - Freshness: an entry is fresh for its TTL, jittered +-20% so that entries made together
//     do not expire together; then, for the stale window, it is still served while ONE
//     background refresh recomputes it (stale-while-revalidate).
//   - Request coalescing: when identical requests miss together, one computes and the others
//     wait for its result.
//   - Bounded: at most `capacity` entries in all; an insert beyond it evicts the least recently
//     used entries of its own shard of the key space. (A bound per shard, capacity / 16 each,
//     held fewer: keys do not spread evenly, and at 1M products the 10,000 queries of the
//     cached Zipf mix kept about 130 tail queries evicting one another in a 10,000-entry cache.)
//   - Revalidation: an entry made at the index sequence the engine still serves (`exact_seq`)
//     is what a new computation would return: everything else a page depends on (rules and
//     their schedule boundaries, the caller's price span) is in its key, a change of synonyms
//     or rules clears the cache, and after a rebuild none is exact until the index moves on.
//     So when its freshness runs out it is made fresh again, not recomputed: at 1M products a
//     recomputation costs milliseconds, and 10,000 entries under a 2 s TTL ask up to 5,000
//     recomputations a second of the one refresh thread (docs/search.md, "The cached Zipf
//     mix at 1,000,000 products").
// Results record the index sequence they reflect, so a read-your-writes request
// (min_index_seq) never gets an older one.
//
// Thread safety: safe from any number of threads.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <future>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "commerce/search.h"

namespace commerce::search {

class ResultCache {
 public:
  using Clock = std::chrono::steady_clock;
  using Compute = std::function<Result<SearchResult>()>;
  // Asked to recompute a stale entry in the background (and Put() it).
  using ScheduleRefresh = std::function<void()>;

  ResultCache(size_t capacity, std::chrono::milliseconds ttl, std::chrono::milliseconds stale);

  // A result for `key` no older than min_seq: a fresh entry, one made at `exact_seq` (made
  // fresh again, however old; 0: none is), a stale one (refresh scheduled), another caller's
  // computation in flight, or compute() now (kept if ok).
  Result<SearchResult> Get(const std::string& key, uint64_t min_seq, uint64_t exact_seq,
                           const Compute& compute, const ScheduleRefresh& refresh);
  void Put(const std::string& key, const SearchResult& result);
  // A refresh that failed: the entry may be refreshed again.
  void RefreshFailed(const std::string& key);
  void Clear();

  struct Counters {
    uint64_t hits = 0, misses = 0, coalesced = 0, stale_served = 0, entries = 0;
  };
  Counters counters() const;

 private:
  struct Entry {
    std::shared_ptr<const SearchResult> result;
    Clock::time_point fresh_until, stale_until;
    bool refreshing = false;
    std::list<std::string>::iterator lru;
  };
  using Flight = std::shared_future<Result<SearchResult>>;
  struct Shard {
    std::mutex mu;
    std::unordered_map<std::string, Entry> entries;  // GUARDED_BY(mu)
    std::list<std::string> lru;                      // GUARDED_BY(mu): front = most recent
    std::unordered_map<std::string, Flight> flights; // GUARDED_BY(mu)
  };

  Shard& ShardFor(const std::string& key);
  void Insert(Shard& s, const std::string& key, std::shared_ptr<const SearchResult> r);
  // Sets e's fresh and stale deadlines from now.
  void Age(Entry& e, Clock::time_point now) const;

  size_t capacity_;
  std::atomic<size_t> size_{0};  // entries in all shards
  std::chrono::milliseconds ttl_, stale_;
  std::vector<std::unique_ptr<Shard>> shards_;
  std::atomic<uint64_t> hits_{0}, misses_{0}, coalesced_{0}, stale_served_{0};
};

}  // namespace commerce::search
