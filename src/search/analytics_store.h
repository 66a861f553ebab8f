// Search analytics in the store (docs/search.md, "Search analytics"): the per (hour, query)
// counts that search::Analytics gathers in memory, added to the table "search_analytics" by
// counters changes (ChangeSet::add), so that two processes on one store add up instead of
// overwriting, and the counts survive a restart.
//
// Keys: the hour (8 bytes big-endian, hours since the Unix epoch), one byte 'a' or 'b', the
// normalised query (cut to kMaxStoredQuery bytes). 'a' holds {searches, zero_results, used,
// found_as_typed}, 'b' {clicks, add_to_carts, orders}: a counters record holds at most 4.
// Hours first, so that a window and the retention are key ranges.
//
// Thread safety: safe from any thread (each call is its own transaction).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "commerce/search_analytics.h"
#include "commerce/storage.h"

namespace commerce::search {

// One (hour, query)'s counts: deltas to add, or the sums read.
struct HourCounts {
  int64_t hour = 0;
  QueryStats stats;  // stats.query: the normalised query
  uint64_t found_as_typed = 0;
};

class AnalyticsStore {
 public:
  static constexpr size_t kMaxStoredQuery = kMaxKeySize - 9;
  static constexpr char kTableName[] = "search_analytics";
  // What is wrong with one stored record ("" when nothing): commerce verify's check.
  static std::string Problem(std::string_view key, std::string_view value);

  static Result<AnalyticsStore> Open(Storage* storage);

  // Adds `deltas` to the stored counts, in one change set.
  Status Add(const std::vector<HourCounts>& deltas);
  // Calls `each` for every stored (hour, query) of hours first..last, its two records summed.
  // Corruption names the key of a damaged record.
  Status Read(int64_t first, int64_t last, const std::function<void(const HourCounts&)>& each) const;
  // Deletes the hours before `oldest` and, in each of `hours` (those just added to), beyond
  // `max_rows` queries the least searched (ties: the greater query); returns the searches
  // whose counts were dropped so.
  Result<uint64_t> Trim(int64_t oldest, const std::vector<int64_t>& hours, size_t max_rows);

 private:
  AnalyticsStore(Storage* storage, Table table) : storage_(storage), table_(table) {}
  Storage* storage_;
  Table table_;
};

}  // namespace commerce::search
