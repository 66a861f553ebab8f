// What shoppers search for and whether they use what they find (docs/search.md, "Search
// analytics"): the engine records searches, and the caller records when a result was used.
//
//   auto res = engine->search().query({.text = "usb cable"});
//   // ... the shopper clicks the second hit:
//   engine->search().record_use({.search_id = res->search_id,
//                                .product_id = res->hits[1].product_id, .kind = "click"});
//   auto report = engine->search().analytics({.limit = 20});
//   for (const auto& q : report->zero_result_queries) std::cout << q.query << "\n";
//
// The counts are kept in memory (SearchOptions::analytics_max_queries) and added to the store
// every 5 s and at close (table search_analytics): they survive a restart, processes sharing a
// store add up, a crash loses at most the last 5 s. A search id is self-contained and signed
// with a key the store keeps (docs/search.md, "Search ids on a fleet"): any engine sharing
// the store, and the same one after a restart, records its uses, for the retention's hours.
// Over remote shards the querying engine records, as locally.
//
// Plain values: no thread-safety concerns of their own (Search is safe from any thread).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace commerce {

// A result of a recorded search that the shopper used.
struct SearchUse {
  std::string search_id;   // SearchResult::search_id of the search that showed it
  std::string product_id;  // the product used (at most 200 bytes): one of the search's hits
  // "click", "add_to_cart" or "order".
  std::string kind;
};

// The window of a report: searches recorded in [since_ms, until_ms), ms since the Unix epoch,
// widened to whole hours (the counts are kept per hour).
struct AnalyticsRequest {
  int64_t since_ms = 0;  // 0: the oldest hour kept (SearchOptions::analytics_retention)
  int64_t until_ms = 0;  // 0: now
  size_t limit = 10;     // queries per list, 1..1000
};

// One query's counts over the window. The query is as typed, lower-cased, with its spaces
// collapsed: "USB  Cable " and "usb cable" count as one.
struct QueryStats {
  std::string query;
  uint64_t searches = 0;      // recorded searches (a sample: SearchAnalytics::sample_rate)
  uint64_t zero_results = 0;  // of them, those that found nothing
  uint64_t used = 0;          // of them, those with at least one recorded use
  uint64_t clicks = 0, add_to_carts = 0, orders = 0;
};

struct SearchAnalytics {
  int64_t since_ms = 0, until_ms = 0;  // the window covered (whole hours)
  // By searches, most first; ties by query.
  std::vector<QueryStats> top_queries;
  // Queries that found nothing at least once, by zero_results, most first; ties by query.
  std::vector<QueryStats> zero_result_queries;
  // Queries that found something and whose results were never used (no click, add to cart or
  // order recorded for any of their searches), by searches that found something, most first.
  std::vector<QueryStats> unused_queries;
  uint64_t searches = 0;  // recorded searches in the window
  // Since the engine opened, over every hour: searches not recorded (sampling), and recorded
  // searches whose query's counts were dropped to keep the budget (the least searched
  // (hour, query) pairs go first).
  uint64_t sampled_out = 0;
  uint64_t evicted = 0;
  double sample_rate = 1;  // SearchOptions::analytics_sample_rate
  uint64_t tracked = 0;    // (hour, query) pairs held now, at most analytics_max_queries
};

}  // namespace commerce
