// Search analytics in memory (search_analytics.h): per (hour, query) counts under a fixed
// budget, and the ids that let a later use of a result find its search's query and refuse a
// product the search did not show.
//
// Bounds: at most max_queries (hour, query) entries, and the nonces of max_searches used
// searches. A new entry beyond the budget first drops hours older than the retention, then evicts the least
// searched of kEvictionSample entries drawn at random (Redis's approximated LFU): O(1) per
// search whatever the flood of distinct queries, and a popular query is rarely the one drawn
// lowest. Counts of entries held are exact: every change happens under one mutex.
//
// A search id is self-contained and signed (search_id.h): it carries the search's hour, a
// nonce, the fingerprints of the products it showed and its query, under a tag made with the
// store's key (SetCodec). Any engine sharing the store checks it and counts a use without
// having seen the search: processes behind a load balancer, or this one after a restart, for
// the retention. Nothing is kept per search; what is kept per use is the nonces of the last
// max_searches searches used, so that a search counts as used once however many uses this
// process records for it.
//
// Thread safety: safe from any number of threads.
#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "commerce/search.h"
#include "search/analytics_store.h"
#include "search/search_id.h"
#include "commerce/search_analytics.h"
#include "commerce/status.h"

namespace commerce::search {

class Analytics {
 public:
  static constexpr size_t kEvictionSample = 8;

  // Values checked by Check() first.
  Analytics(double sample_rate, size_t max_queries, size_t max_searches, uint32_t retention_hours);
  static Status Check(double sample_rate, size_t max_queries, size_t max_searches,
                      uint32_t retention_hours);

  // Records one search of `text` made at `now_ms` that found `total` products (`corrected`:
  // those of its spelling correction) and showed `hits`; returns its id, or "" when the sample
  // left it out.
  std::string Record(std::string_view text, uint64_t total, bool corrected, const std::vector<SearchHit>& hits,
                     int64_t now_ms);
  Status RecordUse(const SearchUse& use);
  Result<SearchAnalytics> Report(const AnalyticsRequest& request, int64_t now_ms) const;

  // Queries starting with `prefix` (normalised) that found something as typed (not through a
  // correction: a misspelt query is not offered), over every hour kept: (query, such
  // searches), most first, then by query, at most `limit`.
  std::vector<std::pair<std::string, uint64_t>> Popular(std::string_view prefix, size_t limit) const;

  // Keeps the counts in `store` too (analytics_store.h): Flush() moves what is counted in
  // memory there, and Report() and Popular() read it beside what is not flushed yet. Call
  // before any search; without it the counts live in memory only.
  void Attach(AnalyticsStore store) { store_.emplace(store); }
  // Signs search ids with the store's key (SearchIdCodec::Open), so that every engine sharing
  // the store takes them. Call before any search; until then ids are signed with a key of
  // this Analytics alone.
  void SetCodec(SearchIdCodec codec) { codec_ = codec; }
  // Adds the counts gathered since the last flush to the store, drops the hours past the
  // retention and, in each hour, the least searched queries beyond max_queries (counted in
  // evicted), then re-reads the popular queries for Popular(). On failure the counts are
  // kept in memory for the next flush.
  Status Flush(int64_t now_ms);

  static int64_t NowMs();  // the system clock, ms since the Unix epoch

  // Lower-cased (ASCII), runs of white space as one space, trimmed.
  static std::string Normalise(std::string_view text);

 private:
  struct Entry {
    int64_t hour = 0;
    QueryStats stats;  // stats.query: the normalised query
    uint64_t found_as_typed = 0;  // searches that found something without a correction
  };
  static std::string Key(int64_t hour, std::string_view query);
  // The entry of (hour, query), made if absent (evicting to stay in budget). REQUIRES mu_.
  Entry& EntryFor(int64_t hour, const std::string& query, int64_t now_hour);
  void Erase(size_t index);  // REQUIRES mu_
  Entry* Find(int64_t hour, const std::string& query);  // REQUIRES mu_

  const double sample_rate_;
  const size_t max_queries_, max_searches_;
  const uint32_t retention_hours_;
  SearchIdCodec codec_;  // set before use (SetCodec), then constant

  mutable std::mutex mu_;
  std::vector<Entry> entries_;                   // GUARDED_BY(mu_)
  std::unordered_map<std::string, size_t> index_;  // Key(hour, query) -> entries_; GUARDED_BY(mu_)
  // The nonces of the searches used lately, at most max_searches: a ring (used_ring_, next
  // slot used_next_) and a set for the lookup. GUARDED_BY(mu_)
  std::unordered_set<uint64_t> used_;
  std::vector<uint64_t> used_ring_;
  size_t used_next_ = 0;
  uint64_t sampled_out_ = 0, evicted_ = 0;       // GUARDED_BY(mu_)
  int64_t swept_hour_ = -1;  // the hour of the last sweep of expired hours; GUARDED_BY(mu_)
  std::optional<AnalyticsStore> store_;           // set before use, then constant
  // One Flush at a time; a Report holds it too, so that it reads each count once: in the
  // store or in memory, never both nor neither.
  mutable std::mutex flush_mu_;
  int64_t popular_read_ms_ = 0;  // when Flush last read stored_popular_; GUARDED_BY(flush_mu_)
  int64_t trimmed_hour_ = INT64_MIN;  // the hour of Flush's last Trim; GUARDED_BY(flush_mu_)
  // The stored queries found as typed over the hours kept, read at each Flush: at most
  // max_queries, the most found first. GUARDED_BY(mu_)
  std::unordered_map<std::string, uint64_t> stored_popular_;
  std::mt19937_64 rng_;                          // GUARDED_BY(mu_)
};

}  // namespace commerce::search
