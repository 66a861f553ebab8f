// A tier of search results shared by every engine process of a store, under each process's
// own result cache (result_cache.h) and before the index: the SharedCache's on Redis
// (src/remote/search_result_tier.h) installs one in its engine's SearchService.
//
// A page is stored under the request's key and the index sequence it was answered from, and
// asked for at the sequence of the reader that would answer now: once the index moved on,
// older pages are never asked for again (the tier's ttl then frees them), so a page is never
// served stale against the index that asks. Pages of partial results (remote shards missing)
// are not stored.
//
// Thread safety: implementations are safe from any number of threads.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "commerce/search.h"

namespace commerce::search {

class SharedResults {
 public:
  virtual ~SharedResults() = default;
  // The page stored for `key` answered at index sequence `seq` (its index_seq is `seq`), or
  // nullopt: absent, damaged, or the tier failing (never an error: the index answers).
  virtual std::optional<SearchResult> Get(const std::string& key, uint64_t seq) = 0;
  // Stores `result` under `key` at result.index_seq. Best effort.
  virtual void Put(const std::string& key, const SearchResult& result) = 0;
};

}  // namespace commerce::search
