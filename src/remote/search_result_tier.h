// Search result pages on Redis: the SharedCache's tier of search results (shared_results.h;
// docs/scaling.md, "Search results in Redis").
//
// One key per request and index sequence:
//   "<prefix>s:<index seq>:<SHA-256 of the request's key, hex>"  ->  the page (result_codec.h)
// The page holds the request's whole key and is served only for it (a damaged, foreign or
// newer-format value is a miss). SET with a jittered PX of search_ttl: nothing else ever
// deletes a page; a page of a sequence the index has left is not asked for again.
//
// Redis's calls go through the cache's RedisClient, so the product reads' Endpoint (deadline,
// retry budget, breaker) covers them: while Redis is down its breaker answers at once and
// the index answers the search.
//
// Thread safety: safe from any number of threads.
#pragma once

#include <atomic>
#include <memory>
#include <string>

#include "commerce/shared_cache.h"
#include "remote/redis_client.h"
#include "search/shared_results.h"

namespace commerce {

class SearchResultTier : public search::SharedResults {
 public:
  SearchResultTier(std::shared_ptr<RedisClient> redis, const SharedCacheOptions& options);

  std::optional<SearchResult> Get(const std::string& key, uint64_t seq) override;
  void Put(const std::string& key, const SearchResult& result) override;

  // Adds the search_* counters to `stats`.
  void AddStats(SharedCacheStats* stats) const;
  // The Redis key of a request's page at index sequence `seq`.
  std::string RedisKey(const std::string& key, uint64_t seq) const;

 private:
  std::shared_ptr<RedisClient> redis_;
  std::string prefix_;
  std::chrono::milliseconds ttl_;
  double jitter_;
  size_t max_bytes_;
  std::atomic<uint64_t> hits_{0}, misses_{0}, stores_{0}, too_large_{0}, errors_{0};
};

}  // namespace commerce
