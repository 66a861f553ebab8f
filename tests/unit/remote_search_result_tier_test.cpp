// Tests for search results in the shared cache on Redis (SharedCache's search tier,
// src/remote/search_result_tier.cpp; SearchService's use of it), each against a private
// redis-server (tests/unit/test_service.h):
// - a page is stored, then answered from Redis without running the index; a catalog change
//   makes it unreachable (the next search at the new index sequence is the index's), and a
//   min_index_seq request is never answered from the older page;
// - what Redis holds under a key is served only when it is that request's page at that
//   sequence (a misplaced, foreign or damaged value is a miss);
// - pages over search_max_bytes are not stored; search_ttl 0 keeps searches off Redis; bad
//   options are refused;
// - Redis SIGKILLed under searches: every search answers from the index, the breaker opens,
//   and once Redis is back pages are stored and served again;
// - a rule or synonym change is never hidden by a page stored under the sets before it (their
//   versions are in the key), and explanations travel in the page;
// - [postgres] two engines of one store: a page one computed answers the other, and a rule
//   put through one reaches the other's searches (within its second's reload) with no page of
//   the old rules served.
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <optional>
#include <thread>
#include <vector>

#include "commerce/engine.h"
#include "commerce/resilience.h"
#include "commerce/shared_cache.h"
#include "pg_fixture.h"
#include "remote/redis_client.h"
#include "remote/search_result_tier.h"
#include "search/result_codec.h"
#include "test_dir.h"
#include "test_engine.h"
#include "test_search.h"
#include "test_service.h"
#include "test_shared_cache.h"

namespace remote_search_result_tier_test {

namespace {

using namespace commerce;
using namespace std::chrono_literals;
using commerce::testing::Ids;
using commerce::testing::OpenCache;
using commerce::testing::OpenEngine;
using commerce::testing::PlainProduct;
using commerce::testing::RedisArgv;
using commerce::testing::TempDir;
using commerce::testing::TestCacheOptions;
using commerce::testing::TestService;
using commerce::testing::WaitForBreaker;

// No in-process result cache: every search that is not answered from Redis runs the index,
// so the counters tell the tiers apart.
EngineOptions Options(const std::string& path) {
  EngineOptions o = commerce::testing::QuietEngineOptions(path);
  o.search.cache_entries = 0;
  o.search.shards = 1;
  return o;
}

uint64_t Write(Engine& e, const Product& p) {
  REQUIRE(e.catalog().upsert(p).ok());
  auto seq = e.events().last_seq();
  REQUIRE(seq.ok());
  return *seq;
}

// Through every cache (Find in test_search.h skips them).
SearchResult Query(Engine& e, const SearchRequest& r) {
  auto res = e.search().query(r);
  INFO(res.status().ToString());
  REQUIRE(res.ok());
  return std::move(res).value();
}

// Three desk lamps (lamp-1..lamp-3), searchable when it returns; the last one's event.
uint64_t WriteLamps(Engine& e) {
  uint64_t seq = 0;
  for (int i = 1; i <= 3; ++i) seq = Write(e, PlainProduct("lamp-" + std::to_string(i), "desk lamp " + std::to_string(i)));
  REQUIRE(e.search().wait_for(seq).ok());
  return seq;
}

uint64_t IndexQueries(Engine& e) {
  auto s = e.search().stats();
  REQUIRE(s.ok());
  return s->queries;
}

}  // namespace

TEST_CASE("shared search results: stored, answered from Redis, unreachable once the index moves",
          "[remote][redis]") {
  TestService redis("redis-server", RedisArgv);
  TempDir dir;
  auto engine = OpenEngine(Options(dir.sub("e")));
  auto cache = OpenCache(*engine, TestCacheOptions(redis, "s1:"));
  const uint64_t seq = WriteLamps(*engine);

  SearchRequest req;
  req.text = "lamp";
  req.facets = {"brand"};
  SearchResult first = Query(*engine, req);
  CHECK_FALSE(first.from_cache);
  CHECK(first.total == 3);
  CHECK(first.index_seq == seq);
  CHECK(cache->stats().search_misses == 1);
  CHECK(cache->stats().search_stores == 1);
  const uint64_t ran = IndexQueries(*engine);

  SearchResult second = Query(*engine, req);
  CHECK(second.from_cache);
  CHECK(IndexQueries(*engine) == ran);  // the index was not asked
  CHECK(cache->stats().search_hits == 1);
  CHECK(Ids(second) == Ids(first));
  CHECK(second.total == first.total);
  CHECK(second.index_seq == first.index_seq);
  REQUIRE(second.facets.size() == 1);
  REQUIRE(second.facets[0].values.size() == 1);
  CHECK(second.facets[0].values[0].value == "Acme");
  CHECK(second.facets[0].values[0].count == 3);
  CHECK(second.hits[0].highlighted_title == first.hits[0].highlighted_title);
  CHECK(second.hits[0].price == first.hits[0].price);

  // A catalog change: a read-your-writes search must see it, never the page of before.
  const uint64_t after = Write(*engine, PlainProduct("lamp-4", "floor lamp"));
  SearchRequest ryw = req;
  ryw.min_index_seq = after;
  SearchResult third = Query(*engine, ryw);
  CHECK_FALSE(third.from_cache);
  CHECK(third.total == 4);
  CHECK(third.index_seq >= after);
  // ... and a plain search at the new sequence finds the new page, not the old one.
  SearchResult fourth = Query(*engine, req);
  CHECK(fourth.from_cache);
  CHECK(fourth.total == 4);
  CHECK(fourth.index_seq == third.index_seq);

  // use_cache = false skips Redis too.
  const uint64_t before_skip = IndexQueries(*engine);
  SearchRequest skip = req;
  skip.use_cache = false;
  CHECK_FALSE(Query(*engine, skip).from_cache);
  CHECK(IndexQueries(*engine) == before_skip + 1);

  // Another request (different filters) has its own page.
  SearchRequest other = req;
  other.brands = {"Nobody"};
  CHECK(Query(*engine, other).total == 0);
  CHECK_FALSE(Query(*engine, req).hits.empty());
  CHECK(Query(*engine, other).total == 0);

  // Closed: searches no longer use Redis, and still answer.
  const auto hits_before_close = cache->stats().search_hits;
  cache.reset();
  CHECK(Query(*engine, req).total == 4);
  CHECK(hits_before_close >= 3);
}

TEST_CASE("shared search results: only a request's own page at its sequence is served",
          "[remote][redis]") {
  TestService redis("redis-server", RedisArgv);
  auto client = RedisClient::Make("redis://" + redis.address(), 2, {});
  REQUIRE(client.ok());
  std::shared_ptr<RedisClient> shared = std::move(client).value();
  SharedCacheOptions o = TestCacheOptions(redis, "s2:");
  SearchResultTier tier(shared, o);

  SearchResult page;
  page.total = 1;
  page.index_seq = 7;
  page.hits.push_back(SearchHit{.product_id = "p1", .title = "one"});
  tier.Put("request-a", page);
  REQUIRE(tier.Get("request-a", 7).has_value());
  CHECK(tier.Get("request-a", 7)->hits.at(0).product_id == "p1");
  CHECK_FALSE(tier.Get("request-a", 8).has_value());  // another sequence: another key
  CHECK_FALSE(tier.Get("request-b", 7).has_value());

  // A page of sequence 7 put under the key of sequence 9 (as a bug or a race could): refused.
  REQUIRE(shared->Set(tier.RedisKey("request-a", 9), search::EncodeResult("request-a", page), 60000).ok());
  CHECK_FALSE(tier.Get("request-a", 9).has_value());
  // Another request's page under this request's key: refused.
  page.index_seq = 11;
  REQUIRE(shared->Set(tier.RedisKey("request-a", 11), search::EncodeResult("request-b", page), 60000).ok());
  CHECK_FALSE(tier.Get("request-a", 11).has_value());
  // Damaged bytes: a miss, not an error and not a page.
  std::string bytes = search::EncodeResult("request-a", page);
  bytes[bytes.size() / 2] ^= 0x20;
  REQUIRE(shared->Set(tier.RedisKey("request-a", 11), bytes, 60000).ok());
  CHECK_FALSE(tier.Get("request-a", 11).has_value());
  REQUIRE(shared->Set(tier.RedisKey("request-a", 12), "not a page", 60000).ok());
  CHECK_FALSE(tier.Get("request-a", 12).has_value());

  // A partial page is never stored.
  page.index_seq = 13;
  page.partial = true;
  page.missing_shards = {1};
  tier.Put("request-a", page);
  CHECK_FALSE(tier.Get("request-a", 13).has_value());

  SharedCacheStats s;
  tier.AddStats(&s);
  CHECK(s.search_hits == 2);
  CHECK(s.search_stores == 1);
  CHECK(s.search_errors == 0);
}

TEST_CASE("shared search results: size bound, search_ttl 0, bad options", "[remote][redis]") {
  TestService redis("redis-server", RedisArgv);
  TempDir dir;
  auto engine = OpenEngine(Options(dir.sub("e")));
  uint64_t seq = 0;
  for (int i = 0; i < 30; ++i)
    seq = Write(*engine, PlainProduct("chair-" + std::to_string(i),
                              "chair " + std::string(100, static_cast<char>('a' + i % 26))));
  REQUIRE(engine->search().wait_for(seq).ok());
  SearchRequest req;
  req.text = "chair";
  req.limit = 30;

  {
    SharedCacheOptions o = TestCacheOptions(redis, "s3:");
    o.search_max_bytes = 1024;  // 30 hits of ~110-character titles, twice (highlighted): more
    auto cache = OpenCache(*engine, o);
    CHECK(Query(*engine, req).total == 30);
    CHECK_FALSE(Query(*engine, req).from_cache);
    CHECK(cache->stats().search_too_large == 2);
    CHECK(cache->stats().search_stores == 0);
    req.limit = 1;  // a small page fits
    Query(*engine, req);
    CHECK(Query(*engine, req).from_cache);
    req.limit = 30;
  }
  {
    SharedCacheOptions o = TestCacheOptions(redis, "s4:");
    o.search_ttl = 0ms;
    auto cache = OpenCache(*engine, o);
    CHECK_FALSE(Query(*engine, req).from_cache);
    CHECK_FALSE(Query(*engine, req).from_cache);
    SharedCacheStats s = cache->stats();
    CHECK(s.search_misses + s.search_hits + s.search_stores == 0);
  }
  SharedCacheOptions bad = TestCacheOptions(redis, "s5:");
  bad.search_ttl = -1ms;
  CHECK(SharedCache::open(*engine, bad).status().IsInvalidArgument());
  bad.search_ttl = 1000ms;
  bad.search_max_bytes = 100;
  CHECK(SharedCache::open(*engine, bad).status().IsInvalidArgument());
  bad.search_max_bytes = (size_t{64} << 20) + 1;
  CHECK(SharedCache::open(*engine, bad).status().IsInvalidArgument());
}

TEST_CASE("shared search results: Redis killed under searches, the index answers",
          "[remote][redis]") {
  TestService redis("redis-server", RedisArgv);
  TempDir dir;
  auto engine = OpenEngine(Options(dir.sub("e")));
  auto cache = OpenCache(*engine, TestCacheOptions(redis, "s6:"));
  constexpr int kWords = 8;
  const char* words[kWords] = {"red", "green", "blue", "black", "white", "grey", "pink", "gold"};
  uint64_t seq = 0;
  for (int i = 0; i < kWords; ++i)
    for (int j = 0; j <= i; ++j)
      seq = Write(*engine, PlainProduct(std::string(words[i]) + "-" + std::to_string(j), std::string(words[i]) + " kettle"));
  REQUIRE(engine->search().wait_for(seq).ok());
  const std::string name = "redis " + redis.address();

  std::atomic<bool> stop{false};
  std::atomic<int> wrong{0}, searches{0};
  std::vector<std::thread> threads;
  commerce::testing::JoinOnExit join_threads(&stop, &threads);
  for (int t = 0; t < 3; ++t) {
    threads.emplace_back([&, t] {
      for (int n = t; !stop; ++n) {
        int i = n % kWords;
        SearchRequest r;
        r.text = words[i];
        auto res = engine->search().query(r);
        ++searches;
        // Word i is in i + 1 products' titles.
        if (!res.ok() || res->total != static_cast<uint64_t>(i + 1)) ++wrong;
      }
    });
  }
  std::this_thread::sleep_for(300ms);
  CHECK(cache->stats().search_hits > 0);
  redis.Kill();
  BreakerState state = WaitForBreaker(name, BreakerState::kOpen, 5s);
  CHECK(state == BreakerState::kOpen);
  const int searches_down = searches;
  std::this_thread::sleep_for(500ms);
  CHECK(searches > searches_down);  // still answering with Redis dead
  CHECK(cache->stats().search_errors > 0);

  const uint64_t stores_before = cache->stats().search_stores;
  redis.Restart();
  state = WaitForBreaker(name, BreakerState::kClosed, 10s);
  CHECK(state == BreakerState::kClosed);
  std::this_thread::sleep_for(300ms);
  stop = true;
  for (auto& t : threads) t.join();
  CHECK(wrong == 0);
  CHECK(cache->stats().search_stores > stores_before);  // the restarted Redis holds pages again
}

TEST_CASE("shared search results: a page one engine of a store computed answers another",
          "[postgres][redis]") {
  COMMERCE_REQUIRE_PG_OR_SKIP();
  const std::string url = commerce::testing::PgTestUrl();
  TestService redis("redis-server", RedisArgv);
  TempDir dir;
  const std::string schema = commerce::testing::UniquePgSchema("sresults");
  auto options = [&](const std::string& path) {
    EngineOptions o = commerce::testing::PgEngineOptions(path, url, schema);
    o.search.cache_entries = 0;
    o.search.shards = 1;
    return o;
  };
  auto a = OpenEngine(options(dir.sub("a")));
  auto b = OpenEngine(options(dir.sub("b")));
  auto cache_a = OpenCache(*a, TestCacheOptions(redis, schema + ":"));
  auto cache_b = OpenCache(*b, TestCacheOptions(redis, schema + ":"));
  uint64_t seq = 0;
  for (int i = 0; i < 5; ++i) seq = Write(*a, PlainProduct("mug-" + std::to_string(i), "coffee mug " + std::to_string(i)));
  REQUIRE(a->search().wait_for(seq).ok());
  REQUIRE(b->search().wait_for(seq).ok());

  SearchRequest req;
  req.text = "mug";
  SearchResult from_a = Query(*a, req);
  CHECK_FALSE(from_a.from_cache);
  CHECK(from_a.total == 5);
  const uint64_t b_ran = IndexQueries(*b);
  SearchResult from_b = Query(*b, req);
  CHECK(from_b.from_cache);
  CHECK(IndexQueries(*b) == b_ran);
  CHECK(cache_b->stats().search_hits == 1);
  CHECK(Ids(from_b) == Ids(from_a));

  // A write through b: once a's index has it, a's search is the new page, not the old one.
  const uint64_t after = Write(*b, PlainProduct("mug-5", "travel mug"));
  SearchRequest ryw = req;
  ryw.min_index_seq = after;
  CHECK(Query(*a, ryw).total == 6);
  REQUIRE(b->search().wait_for(after).ok());
  SearchResult b_after = Query(*b, req);
  CHECK(b_after.total == 6);
  CHECK(b_after.from_cache);  // a's page at the new sequence

  // A rule put through a: b reloads the rules within about a second and never answers from
  // the page of the old rules, though the index has not moved.
  REQUIRE(a->search().put_rule({.id = "no-mug-0", .query = "mug", .hide = {.product_ids = {"mug-0"}}}).ok());
  CHECK(Query(*a, req).total == 5);
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  SearchResult b_ruled;
  do {
    std::this_thread::sleep_for(100ms);
    b_ruled = Query(*b, req);
  } while (b_ruled.rules_version == 0 && std::chrono::steady_clock::now() < deadline);
  CHECK(b_ruled.rules_version == 1);
  CHECK(b_ruled.total == 5);
  CHECK(b_ruled.rules_applied == std::vector<std::string>{"no-mug-0"});
}

TEST_CASE("shared search results: a rule or synonym change is never hidden by a stored page",
          "[remote][redis]") {
  TestService redis("redis-server", RedisArgv);
  TempDir dir;
  auto engine = OpenEngine(Options(dir.sub("e")));
  auto cache = OpenCache(*engine, TestCacheOptions(redis, "rules:"));
  WriteLamps(*engine);
  SearchRequest req;
  req.text = "lamp";
  req.explain = true;
  SearchResult first = Query(*engine, req);
  CHECK_FALSE(first.from_cache);
  REQUIRE(Query(*engine, req).from_cache);  // the page is in Redis
  // Explanations, rules and versions come back from the page as they went in.
  SearchResult stored = Query(*engine, req);
  REQUIRE(stored.hits.size() == 3);
  REQUIRE(stored.hits[0].explanation);
  CHECK(stored.hits[0].explanation->terms.size() == first.hits[0].explanation->terms.size());
  CHECK(stored.hits[0].explanation->weight == first.hits[0].explanation->weight);

  // A rule: the index has not moved, so only the rules' version in the key keeps the stored
  // page (lamp-3 shown) from answering.
  REQUIRE(engine->search().put_rule({.id = "no-3", .query = "lamp", .hide = {.product_ids = {"lamp-3"}}}).ok());
  SearchResult ruled = Query(*engine, req);
  CHECK_FALSE(ruled.from_cache);
  CHECK(ruled.total == 2);
  CHECK(ruled.rules_applied == std::vector<std::string>{"no-3"});
  SearchResult ruled_again = Query(*engine, req);
  CHECK(ruled_again.from_cache);  // the new key's page
  CHECK(ruled_again.total == 2);
  CHECK(ruled_again.rules_applied == std::vector<std::string>{"no-3"});
  CHECK(ruled_again.rules_version == 1);
  // Deleted: a third version, not the first page back.
  REQUIRE(engine->search().delete_rule("no-3").ok());
  SearchResult unruled = Query(*engine, req);
  CHECK_FALSE(unruled.from_cache);
  CHECK(unruled.total == 3);
  CHECK(unruled.rules_version == 2);

  // A synonym, likewise.
  SearchRequest light;
  light.text = "light";
  light.typo_tolerance = false;
  light.relax = false;
  CHECK(Query(*engine, light).total == 0);
  CHECK(Query(*engine, light).from_cache);
  REQUIRE(engine->search().set_synonym_groups({{.root = "light", .synonyms = {"lamp"}}}).ok());
  SearchResult widened = Query(*engine, light);
  CHECK_FALSE(widened.from_cache);
  CHECK(widened.total == 3);
  CHECK(widened.synonyms_version == 1);
}

TEST_CASE("shared search results: a page stored before a rule's start is not served after it, "
          "and the redirect travels in the page",
          "[remote][redis]") {
  TestService redis("redis-server", RedisArgv);
  TempDir dir;
  auto engine = OpenEngine(Options(dir.sub("e")));
  auto cache = OpenCache(*engine, TestCacheOptions(redis, "schedule:"));
  WriteLamps(*engine);
  constexpr int64_t kStart = 1'900'000'000'000;
  REQUIRE(engine->search()
              .put_rule({.id = "lamp-week", .query = "lamp", .hide = {.product_ids = {"lamp-3"}},
                         .redirect = "https://shop.example/lamps", .starts_at_ms = kStart})
              .ok());
  // Neither the rule version nor the index moves at the start: only the boundaries passed,
  // in the key, keep the page from before it from answering after.
  SearchRequest before{.text = "lamp", .now_ms = kStart - 1};
  CHECK(Query(*engine, before).total == 3);
  SearchResult stored = Query(*engine, before);
  REQUIRE(stored.from_cache);
  CHECK(stored.total == 3);
  CHECK(stored.redirect.empty());
  SearchRequest after{.text = "lamp", .now_ms = kStart};
  SearchResult started = Query(*engine, after);
  CHECK_FALSE(started.from_cache);
  CHECK(started.total == 2);
  CHECK(started.redirect == "https://shop.example/lamps");
  SearchResult again = Query(*engine, after);
  REQUIRE(again.from_cache);
  CHECK(again.total == 2);
  CHECK(again.redirect == "https://shop.example/lamps");
  CHECK(again.rules_applied == std::vector<std::string>{"lamp-week"});
}

}  // namespace remote_search_result_tier_test
