// Tests of search analytics (src/search/analytics.cpp) through the public API: searches
// recorded with their ids, uses of results, the reports over a window, exact counts under
// threads, the memory bounds under a flood of distinct queries, sampling, and bad input.
#include <atomic>
#include <chrono>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

#include "commerce/engine.h"
#include "test_dir.h"
#include "test_search.h"

namespace search_analytics_test {

namespace {

using commerce::AnalyticsRequest;
using commerce::Engine;
using commerce::QueryStats;
using commerce::testing::PutTitled;
using commerce::testing::TempDir;
using commerce::testing::WaitIndexed;

using commerce::testing::kHourMs;

using commerce::testing::NowMs;

std::unique_ptr<Engine> Open(const TempDir& dir, commerce::SearchOptions search = {}) {
  commerce::EngineOptions o;
  o.path = dir.path();
  o.run_background = false;
  o.search = search;
  auto opened = Engine::open(o);
  INFO(opened.status().ToString());
  REQUIRE(opened.ok());
  auto e = std::move(opened).value();
  PutTitled(*e, "p1", "Sony Wireless Headphones");
  PutTitled(*e, "p2", "Bose Headphones");
  PutTitled(*e, "p3", "USB Cable");
  WaitIndexed(*e);
  return e;
}

std::string Search(Engine& e, const std::string& text, int64_t now_ms = 0) {
  auto r = e.search().query({.text = text, .now_ms = now_ms});
  INFO(r.status().ToString());
  REQUIRE(r.ok());
  return r->search_id;
}

const QueryStats* Find(const std::vector<QueryStats>& v, const std::string& q) {
  for (const auto& s : v)
    if (s.query == q) return &s;
  return nullptr;
}

std::vector<std::string> Queries(const std::vector<QueryStats>& v) {
  std::vector<std::string> out;
  for (const auto& s : v) out.push_back(s.query);
  return out;
}

}  // namespace

TEST_CASE("search analytics: top, zero-result and unused queries, uses of results", "[search][analytics]") {
  TempDir dir;
  auto e = Open(dir);
  std::set<std::string> ids;
  for (int i = 0; i < 3; ++i) ids.insert(Search(*e, "headphones"));  // the cache answers twice
  ids.insert(Search(*e, "  HeadPhones "));                            // the same query, normalised
  ids.insert(Search(*e, "usb cable"));
  ids.insert(Search(*e, "usb cable"));
  ids.insert(Search(*e, "qwertyuiop zxcvb"));  // finds nothing
  CHECK(ids.size() == 7);  // one id per search, cached results included
  CHECK_FALSE(ids.count(""));
  // A browse is not a query: not recorded, no id.
  auto browse = e->search().query({});
  REQUIRE(browse.ok());
  CHECK(browse->search_id.empty());

  const std::string used = Search(*e, "bose");
  REQUIRE(e->search().record_use({.search_id = used, .product_id = "p2", .kind = "click"}).ok());
  REQUIRE(e->search().record_use({.search_id = used, .product_id = "p2", .kind = "add_to_cart"}).ok());
  REQUIRE(e->search().record_use({.search_id = used, .product_id = "p2", .kind = "order"}).ok());

  auto report = e->search().analytics({.limit = 10});
  REQUIRE(report.ok());
  CHECK(report->searches == 8);
  CHECK(report->sampled_out == 0);
  CHECK(report->evicted == 0);
  CHECK(report->sample_rate == 1);
  CHECK(Queries(report->top_queries) ==
        std::vector<std::string>{"headphones", "usb cable", "bose", "qwertyuiop zxcvb"});
  CHECK(report->top_queries[0].searches == 4);
  CHECK(Queries(report->zero_result_queries) == std::vector<std::string>{"qwertyuiop zxcvb"});
  CHECK(report->zero_result_queries[0].zero_results == 1);
  // "bose" was used; the zero-result query found nothing to use.
  CHECK(Queries(report->unused_queries) == std::vector<std::string>{"headphones", "usb cable"});
  const QueryStats* bose = Find(report->top_queries, "bose");
  REQUIRE(bose);
  CHECK(bose->used == 1);  // one search, three uses
  CHECK(bose->clicks == 1);
  CHECK(bose->add_to_carts == 1);
  CHECK(bose->orders == 1);

  auto two = e->search().analytics({.limit = 2});
  REQUIRE(two.ok());
  CHECK(two->top_queries.size() == 2);
}

TEST_CASE("search analytics: reports cover a window of whole hours", "[search][analytics]") {
  TempDir dir;
  auto e = Open(dir);
  const int64_t now = NowMs();
  const int64_t this_hour = now / kHourMs * kHourMs;
  Search(*e, "headphones", this_hour - 3 * kHourMs + 10);
  Search(*e, "headphones", this_hour - 3 * kHourMs + 20);
  Search(*e, "usb cable", this_hour + 5);
  Search(*e, "bose", this_hour - 30 * kHourMs);  // past the 24 h retention

  auto recent = e->search().analytics({.since_ms = this_hour - kHourMs});
  REQUIRE(recent.ok());
  CHECK(Queries(recent->top_queries) == std::vector<std::string>{"usb cable"});
  CHECK(recent->since_ms == this_hour - kHourMs);

  auto old = e->search().analytics({.since_ms = this_hour - 4 * kHourMs, .until_ms = this_hour - 2 * kHourMs});
  REQUIRE(old.ok());
  CHECK(Queries(old->top_queries) == std::vector<std::string>{"headphones"});
  CHECK(old->top_queries[0].searches == 2);
  CHECK(old->until_ms == this_hour - 2 * kHourMs);

  auto all = e->search().analytics();
  REQUIRE(all.ok());
  CHECK(Queries(all->top_queries) == std::vector<std::string>{"headphones", "usb cable"});
  CHECK(all->searches == 3);
}

TEST_CASE("search analytics: counts are exact under threads", "[search][analytics]") {
  TempDir dir;
  auto e = Open(dir);
  constexpr int kThreads = 8, kPerThread = 300;
  const std::vector<std::string> queries{"headphones", "usb", "cable", "sony", "nothing here"};
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        const std::string& q = queries[(t + i) % queries.size()];
        // Half past the cache, so that both paths record.
        auto r = e->search().query({.text = q, .use_cache = (i % 2 == 0)});
        if (!r.ok() || r->search_id.empty()) {
          ++failures;
          continue;
        }
        if (r->total > 0 &&
            !e->search().record_use({.search_id = r->search_id, .product_id = r->hits[0].product_id, .kind = "click"}).ok())
          ++failures;
      }
    });
  for (auto& t : threads) t.join();
  CHECK(failures == 0);
  auto report = e->search().analytics({.limit = 10});
  REQUIRE(report.ok());
  CHECK(report->searches == kThreads * kPerThread);
  uint64_t clicks = 0, zero = 0;
  for (const auto& q : queries) {
    const QueryStats* s = Find(report->top_queries, q);
    REQUIRE(s);
    CHECK(s->searches == kThreads * kPerThread / queries.size());
    clicks += s->clicks;
    zero += s->zero_results;
    CHECK(s->used == s->searches - s->zero_results);
  }
  CHECK(zero == kThreads * kPerThread / queries.size());
  CHECK(clicks == kThreads * kPerThread - zero);
}

TEST_CASE("search analytics: the budgets hold under a flood of distinct queries", "[search][analytics]") {
  TempDir dir;
  commerce::SearchOptions o;
  o.analytics_max_queries = 200;
  o.analytics_max_searches = 100;
  o.cache_entries = 0;
  auto e = Open(dir, o);
  const std::string first = Search(*e, "headphones");
  for (int i = 0; i < 3000; ++i) {
    Search(*e, "flood " + std::to_string(i));
    if (i % 10 == 0) Search(*e, "usb cable");  // popular all along
  }
  auto report = e->search().analytics({.limit = 5});
  REQUIRE(report.ok());
  CHECK(report->tracked <= 200);
  CHECK(report->evicted > 0);
  // The least searched go first: the popular query keeps every count.
  REQUIRE_FALSE(report->top_queries.empty());
  CHECK(report->top_queries[0].query == "usb cable");
  CHECK(report->top_queries[0].searches == 300);
  // Nothing is kept per search: the first search's id, 3,000 searches ago, still counts a
  // use (its (hour, query) pair was evicted: the use starts a new one).
  CHECK(e->search().record_use({.search_id = first, .product_id = "p1", .kind = "click"}).ok());
  const std::string last = Search(*e, "usb cable");
  CHECK(e->search().record_use({.search_id = last, .product_id = "p3", .kind = "click"}).ok());
}

TEST_CASE("search analytics: a search counts as used once within the used searches remembered",
          "[search][analytics]") {
  TempDir dir;
  commerce::SearchOptions o;
  o.analytics_max_searches = 3;
  o.cache_entries = 0;
  auto e = Open(dir, o);
  auto& s = e->search();
  std::vector<std::string> ids;
  for (int i = 0; i < 5; ++i) ids.push_back(Search(*e, "usb cable"));
  // Uses of ids 0..2 (each twice), then of 0 again: still one of the last 3 used.
  for (int round = 0; round < 2; ++round)
    for (int i = 0; i < 3; ++i)
      REQUIRE(s.record_use({.search_id = ids[i], .product_id = "p3", .kind = "click"}).ok());
  REQUIRE(s.record_use({.search_id = ids[0], .product_id = "p3", .kind = "order"}).ok());
  auto report = s.analytics();
  REQUIRE(report.ok());
  const QueryStats* q = Find(report->top_queries, "usb cable");
  REQUIRE(q);
  CHECK(q->searches == 5);
  CHECK(q->used == 3);
  CHECK(q->clicks == 6);
  CHECK(q->orders == 1);
  // Ids 3 and 4 push 0 and 1 out of the 3 remembered: a use of 0 then counts it used again
  // (the bound's price, SearchOptions::analytics_max_searches).
  REQUIRE(s.record_use({.search_id = ids[3], .product_id = "p3", .kind = "click"}).ok());
  REQUIRE(s.record_use({.search_id = ids[4], .product_id = "p3", .kind = "click"}).ok());
  REQUIRE(s.record_use({.search_id = ids[2], .product_id = "p3", .kind = "click"}).ok());
  REQUIRE(s.record_use({.search_id = ids[0], .product_id = "p3", .kind = "click"}).ok());
  report = s.analytics();
  REQUIRE(report.ok());
  q = Find(report->top_queries, "usb cable");
  REQUIRE(q);
  CHECK(q->used == 6);
  CHECK(q->clicks == 10);
}

TEST_CASE("search analytics: an id older than the retention is NotFound", "[search][analytics]") {
  TempDir dir;
  auto e = Open(dir);
  auto& s = e->search();
  // A search made 25 hours ago (the request's clock): beyond the 24 hours of counts kept.
  auto old = s.query({.text = "usb cable", .use_cache = false, .now_ms = NowMs() - 25 * kHourMs});
  REQUIRE(old.ok());
  REQUIRE_FALSE(old->search_id.empty());
  auto used = s.record_use({.search_id = old->search_id, .product_id = "p3", .kind = "click"});
  CHECK(used.IsNotFound());
  CHECK(used.ToString().find("analytics_retention_hours") != std::string::npos);
  // 23 hours ago: kept.
  auto recent = s.query({.text = "usb cable", .use_cache = false, .now_ms = NowMs() - 23 * kHourMs});
  REQUIRE(recent.ok());
  CHECK(s.record_use({.search_id = recent->search_id, .product_id = "p3", .kind = "click"}).ok());
}

TEST_CASE("search analytics: a use must be of a product the search showed", "[search][analytics]") {
  TempDir dir;
  auto e = Open(dir);
  auto& s = e->search();
  // "headphones" shows p1 and p2 (not p3); with limit 1, only the first of them.
  auto both = s.query({.text = "headphones"});
  REQUIRE(both.ok());
  REQUIRE(both->hits.size() == 2);
  auto one = s.query({.text = "headphones", .limit = 1});
  REQUIRE(one.ok());
  REQUIRE(one->hits.size() == 1);
  const std::string shown = one->hits[0].product_id;
  const std::string beyond = both->hits[1].product_id;  // matched, but past the page

  auto unseen = s.record_use({.search_id = both->search_id, .product_id = "p3", .kind = "click"});
  CHECK(unseen.IsInvalidArgument());
  CHECK(unseen.ToString().find("product_id \"p3\" was not among the 2 hits") != std::string::npos);
  auto past = s.record_use({.search_id = one->search_id, .product_id = beyond, .kind = "order"});
  CHECK(past.IsInvalidArgument());
  CHECK(past.ToString().find("not among the 1 hits") != std::string::npos);
  // A product that exists nowhere, and one that differs from a hit by case.
  CHECK(s.record_use({.search_id = one->search_id, .product_id = "nope", .kind = "click"}).IsInvalidArgument());
  CHECK(s.record_use({.search_id = one->search_id, .product_id = "P1", .kind = "click"}).IsInvalidArgument());
  // A zero-result search showed nothing to use.
  auto none = s.query({.text = "qwertyuiop zxcvb"});
  REQUIRE(none.ok());
  CHECK(s.record_use({.search_id = none->search_id, .product_id = "p1", .kind = "click"}).IsInvalidArgument());

  // Refused uses count nothing; shown ones count.
  REQUIRE(s.record_use({.search_id = one->search_id, .product_id = shown, .kind = "click"}).ok());
  REQUIRE(s.record_use({.search_id = both->search_id, .product_id = beyond, .kind = "add_to_cart"}).ok());
  auto report = s.analytics();
  REQUIRE(report.ok());
  const QueryStats* q = Find(report->top_queries, "headphones");
  REQUIRE(q);
  CHECK(q->searches == 2);
  CHECK(q->used == 2);
  CHECK(q->clicks == 1);
  CHECK(q->add_to_carts == 1);
  CHECK(q->orders == 0);
  const QueryStats* zero = Find(report->top_queries, "qwertyuiop zxcvb");
  REQUIRE(zero);
  CHECK(zero->used == 0);
  CHECK(zero->clicks == 0);
  // An unknown search id stays NotFound, whatever the product.
  CHECK(s.record_use({.search_id = "0123456789abcdef-1", .product_id = "p3", .kind = "click"}).IsNotFound());
}

TEST_CASE("search analytics: sampling records the given share", "[search][analytics]") {
  TempDir dir;
  commerce::SearchOptions o;
  o.analytics_sample_rate = 0.25;
  auto e = Open(dir, o);
  int with_id = 0;
  for (int i = 0; i < 4000; ++i) with_id += Search(*e, "headphones").empty() ? 0 : 1;
  auto report = e->search().analytics();
  REQUIRE(report.ok());
  CHECK(report->searches == static_cast<uint64_t>(with_id));
  CHECK(report->searches + report->sampled_out == 4000);
  // 1,000 expected; 5 standard deviations (27) either side.
  CHECK(report->searches > 860);
  CHECK(report->searches < 1140);
  CHECK(report->sample_rate == 0.25);
}

TEST_CASE("search analytics: bad input is refused with the field at fault", "[search][analytics]") {
  TempDir dir;
  auto e = Open(dir);
  const std::string id = Search(*e, "headphones");
  auto& s = e->search();
  auto kind = s.record_use({.search_id = id, .product_id = "p1", .kind = "purchase"});
  CHECK(kind.IsInvalidArgument());
  CHECK(kind.ToString().find("kind") != std::string::npos);
  CHECK(s.record_use({.search_id = id, .product_id = "", .kind = "click"}).IsInvalidArgument());
  CHECK(s.record_use({.search_id = id, .product_id = std::string(201, 'x'), .kind = "click"}).IsInvalidArgument());
  CHECK(s.record_use({.search_id = "", .product_id = "p1", .kind = "click"}).IsInvalidArgument());
  CHECK(s.record_use({.search_id = "not an id", .product_id = "p1", .kind = "click"}).IsInvalidArgument());
  CHECK(s.record_use({.search_id = id.substr(0, 10), .product_id = "p1", .kind = "click"}).IsInvalidArgument());
  CHECK(s.record_use({.search_id = "s" + std::string(2000, 'A'), .product_id = "p1", .kind = "click"})
            .IsInvalidArgument());
  // The shape of an id, but not issued here: altered, or an earlier version's form.
  std::string altered = id;
  altered[20] = altered[20] == 'A' ? 'B' : 'A';
  auto forged = s.record_use({.search_id = altered, .product_id = "p1", .kind = "click"});
  CHECK(forged.IsNotFound());
  CHECK(forged.ToString().find("not issued by an engine of this store") != std::string::npos);
  CHECK(s.record_use({.search_id = "0123456789abcdef-1", .product_id = "p1", .kind = "click"}).IsNotFound());

  CHECK(s.analytics({.limit = 0}).status().IsInvalidArgument());
  CHECK(s.analytics({.limit = 1001}).status().IsInvalidArgument());
  CHECK(s.analytics({.since_ms = -1}).status().IsInvalidArgument());
  CHECK(s.analytics({.since_ms = 2000, .until_ms = 1000}).status().IsInvalidArgument());

  auto none = s.analytics();
  REQUIRE(none.ok());
  REQUIRE(none->top_queries.size() == 1);
  CHECK(none->top_queries[0].used == 0);
  CHECK(none->top_queries[0].clicks == 0);

  for (auto bad : {-0.1, 1.5}) {
    TempDir other;
    commerce::EngineOptions o;
    o.path = other.path();
    o.search.analytics_sample_rate = bad;
    auto opened = Engine::open(o);
    CHECK(opened.status().IsInvalidArgument());
  }
  {
    TempDir other;
    commerce::EngineOptions o;
    o.path = other.path();
    o.search.analytics_max_queries = 0;
    CHECK(Engine::open(o).status().IsInvalidArgument());
  }
}

TEST_CASE("search analytics: off at rate 0", "[search][analytics]") {
  TempDir dir;
  commerce::SearchOptions o;
  o.analytics_sample_rate = 0;
  auto e = Open(dir, o);
  CHECK(Search(*e, "headphones").empty());
  CHECK(e->search().record_use({.search_id = "0123456789abcdef-1", .product_id = "p1", .kind = "click"})
            .IsFailedPrecondition());
  auto report = e->search().analytics();
  REQUIRE(report.ok());
  CHECK(report->searches == 0);
}

}  // namespace search_analytics_test
