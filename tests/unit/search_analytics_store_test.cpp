// Tests of search analytics kept in the store (src/search/analytics_store.cpp) on every
// storage driver (TestStorageDrivers): counts that survive a close and reopen, two engines on
// one store adding up (at once on PostgreSQL, the driver several processes share; one after
// the other on the local drivers, one process per store), the retention and the per-hour
// bound applied to the stored rows, and a damaged record answered with Corruption.
#include <chrono>
#include <string>

#include <catch2/catch.hpp>

#include "commerce/engine.h"
#include "pg_test_cluster.h"
#include "test_dir.h"
#include "test_engine.h"
#include "test_search.h"

namespace search_analytics_store_test {

namespace {

using namespace commerce;
using commerce::testing::PutTitled;
using commerce::testing::TempDir;
using commerce::testing::WaitIndexed;

using commerce::testing::kHourMs;

using commerce::testing::NowMs;

EngineOptions Options(const std::string& path, const std::string& driver, const std::string& schema,
                      SearchOptions search = {}) {
  EngineOptions o;
  o.path = path;
  o.run_background = false;
  o.search = search;
  commerce::testing::UseTestDriver(o, driver, "an");
  if (!schema.empty()) o.storage.postgres_schema = schema;
  return o;
}

std::unique_ptr<Engine> Open(const EngineOptions& o, bool seed) {
  auto opened = Engine::open(o);
  INFO(opened.status().ToString());
  REQUIRE(opened.ok());
  auto e = std::move(opened).value();
  if (seed) {
    PutTitled(*e, "p1", "Sony Wireless Headphones");
    PutTitled(*e, "p2", "Bose Headphones");
  }
  WaitIndexed(*e);
  return e;
}

SearchResult Query(Engine& e, const std::string& text, int64_t now_ms = 0) {
  auto r = e.search().query({.text = text, .now_ms = now_ms});
  INFO(r.status().ToString());
  REQUIRE(r.ok());
  return *r;
}

const QueryStats* Stats(const SearchAnalytics& a, const std::string& q) {
  for (const auto& s : a.top_queries)
    if (s.query == q) return &s;
  return nullptr;
}

size_t Rows(Engine& e) {
  auto t = e.storage().table("search_analytics");
  REQUIRE(t.ok());
  auto txn = e.storage().read();
  REQUIRE(txn.ok());
  size_t n = 0;
  auto c = (*txn)->cursor(*t);
  for (c->seek_to_first(); c->valid(); c->next()) ++n;
  return n;
}

}  // namespace

TEST_CASE("search analytics in the store: counts survive a close and a reopen", "[search][analytics]") {
  for (const std::string& driver : commerce::testing::TestStorageDrivers()) {
    DYNAMIC_SECTION(driver) {
      TempDir dir;
      auto o = Options(dir.path(), driver, "");
      auto e = Open(o, true);
      auto r = Query(*e, "headphones");
      Query(*e, "Headphones");
      Query(*e, "qwertyuiop");
      REQUIRE(e->search().record_use({.search_id = r.search_id, .product_id = r.hits[0].product_id, .kind = "click"}).ok());
      REQUIRE(Rows(*e) == 0);  // nothing flushed yet: run_background is off
      REQUIRE(e->close().ok());  // flushes
      e.reset();

      e = Open(o, false);
      CHECK(Rows(*e) >= 3);  // headphones 'a' and 'b', qwertyuiop 'a'
      Query(*e, "headphones");  // in memory, beside the stored counts
      auto a = e->search().analytics();
      REQUIRE(a.ok());
      const QueryStats* h = Stats(*a, "headphones");
      REQUIRE(h);
      CHECK(h->searches == 3);
      CHECK(h->used == 1);
      CHECK(h->clicks == 1);
      const QueryStats* z = Stats(*a, "qwertyuiop");
      REQUIRE(z);
      CHECK(z->zero_results == 1);
      CHECK(a->searches == 4);
      // run_background_once flushes too; the report is the same after.
      REQUIRE(e->run_background_once().ok());
      auto b = e->search().analytics();
      REQUIRE(b.ok());
      CHECK(b->searches == 4);
      REQUIRE(Stats(*b, "headphones"));
      CHECK(Stats(*b, "headphones")->searches == 3);
      // Suggestions offer the stored popular query.
      auto s = e->search().suggest({.text = "head"});
      REQUIRE(s.ok());
      bool offered = false;
      for (const auto& x : s->suggestions) offered |= x.text == "headphones";
      CHECK(offered);
    }
  }
}

TEST_CASE("search analytics in the store: two engines on one store add up", "[search][analytics]") {
  for (const std::string& driver : commerce::testing::TestStorageDrivers()) {
    DYNAMIC_SECTION(driver) {
      TempDir dir;
      if (driver == "postgres") {
        // Two engines at once on one schema, each with its own local directory.
        const std::string schema = commerce::testing::UniquePgSchema("an2");
        auto a = Open(Options(dir.sub("a"), driver, schema), true);
        auto b = Open(Options(dir.sub("b"), driver, schema), false);
        for (int i = 0; i < 5; ++i) Query(*a, "headphones");
        for (int i = 0; i < 7; ++i) Query(*b, "headphones");
        REQUIRE(a->run_background_once().ok());
        REQUIRE(b->run_background_once().ok());
        Query(*b, "headphones");  // not flushed: b's report has it, a's not yet
        auto ra = a->search().analytics();
        auto rb = b->search().analytics();
        REQUIRE(ra.ok());
        REQUIRE(rb.ok());
        REQUIRE(Stats(*ra, "headphones"));
        REQUIRE(Stats(*rb, "headphones"));
        CHECK(Stats(*ra, "headphones")->searches == 12);
        CHECK(Stats(*rb, "headphones")->searches == 13);
      } else {
        // One process per local store: one engine, then another, each adding to the counts.
        auto o = Options(dir.path(), driver, "");
        for (int run = 0; run < 2; ++run) {
          auto e = Open(o, run == 0);
          for (int i = 0; i < 5 + 2 * run; ++i) Query(*e, "headphones");
          REQUIRE(e->close().ok());
        }
        auto e = Open(o, false);
        auto r = e->search().analytics();
        REQUIRE(r.ok());
        REQUIRE(Stats(*r, "headphones"));
        CHECK(Stats(*r, "headphones")->searches == 12);
      }
    }
  }
}

TEST_CASE("search analytics in the store: retention and the per-hour bound hold there", "[search][analytics]") {
  for (const std::string& driver : commerce::testing::TestStorageDrivers()) {
    DYNAMIC_SECTION(driver) {
      TempDir dir;
      SearchOptions so;
      so.analytics_max_queries = 4;
      so.cache_entries = 0;
      auto e = Open(Options(dir.path(), driver, "", so), true);
      const int64_t now = NowMs();
      Query(*e, "bose", now - 30 * kHourMs);  // past the 24 h retention
      REQUIRE(e->run_background_once().ok());
      CHECK(Rows(*e) == 0);  // flushed, then its hour deleted

      // Two flushes of 4 queries each in one hour: 8 rows, the 4 least searched dropped.
      for (int i = 0; i < 3; ++i) Query(*e, "headphones", now);
      for (int i = 0; i < 2; ++i) Query(*e, "sony", now);
      Query(*e, "one", now);
      Query(*e, "two", now);
      REQUIRE(e->run_background_once().ok());
      for (int i = 0; i < 2; ++i) Query(*e, "bose", now);
      Query(*e, "three", now);
      Query(*e, "four", now);
      Query(*e, "five", now);
      REQUIRE(e->run_background_once().ok());
      CHECK(Rows(*e) == 4);
      auto r = e->search().analytics();
      REQUIRE(r.ok());
      std::vector<std::string> kept;
      for (const auto& q : r->top_queries) kept.push_back(q.query);
      // "five", "four", "one", "three", "two" had one search each: ties drop the greater query first.
      CHECK(kept == std::vector<std::string>{"headphones", "bose", "sony", "five"});
      CHECK(r->evicted == 4);
    }
  }
}

TEST_CASE("search analytics in the store: a damaged record is Corruption", "[search][analytics]") {
  for (const std::string& driver : commerce::testing::TestStorageDrivers()) {
    DYNAMIC_SECTION(driver) {
      TempDir dir;
      auto e = Open(Options(dir.path(), driver, ""), true);
      Query(*e, "headphones");
      REQUIRE(e->run_background_once().ok());
      {
        auto clean = e->verify();
        REQUIRE(clean.ok());
        for (const auto& p : clean->problems) CHECK(p.check != "search_analytics");
      }
      auto t = e->storage().table("search_analytics");
      REQUIRE(t.ok());
      std::string key;
      {
        auto txn = e->storage().read();
        REQUIRE(txn.ok());
        auto c = (*txn)->cursor(*t);
        c->seek_to_first();
        REQUIRE(c->valid());
        key = std::string(c->key());
      }
      // Bytes that are no counters record, and a counters record with a negative count (only
      // additions of counts are ever written): both Corruption, where a negative count was
      // read as 0 before.
      Counters negative{.size = 4};
      negative.v = {-5, 0, 0, 0};
      for (const std::string& damage : {std::string("not counters"), EncodeCounters(negative)}) {
        REQUIRE(e->storage().write([&](WriteTxn& w) { return w.put(*t, key, damage); }).ok());
        auto r = e->search().analytics();
        CHECK(r.status().IsCorruption());
        CHECK(r.status().ToString().find("headphones") != std::string::npos);
        // commerce verify finds it too.
        auto v = e->verify();
        REQUIRE(v.ok());
        bool found = false;
        for (const auto& p : v->problems) found |= p.check == "search_analytics";
        CHECK(found);
      }
    }
  }
}

}  // namespace search_analytics_store_test
