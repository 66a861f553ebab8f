// Tests of the event log (src/events/events.cpp, src/events/event_log.cpp) through the
// public API, on every local driver: tail() and last_seq(), one event per catalog write in the
// same transaction (none for a failed write), the JSON of event data, durable consumer
// cursors, and wait().
#include <chrono>
#include <condition_variable>
#include <fstream>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>
#include <rapidjson/document.h>

#include "commerce/catalog.h"
#include "commerce/engine.h"
#include "commerce/events.h"
#include "engine/engine_core.h"
#include "test_dir.h"
#include "test_engine.h"

namespace events_events_test {

namespace {

using commerce::Catalog;
using commerce::Category;
using commerce::Code;
using commerce::Engine;
using commerce::Event;
using commerce::Events;
using commerce::Money;
using commerce::Product;
using commerce::Variant;
using commerce::WriteCondition;
using commerce::testing::TempDir;
using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

Product MakeProduct(const std::string& id, const std::string& sku = "",
                    std::vector<std::string> categories = {}) {
  Product p;
  p.id = id;
  p.title = "Product " + id;
  Variant v;
  v.sku = sku.empty() ? id + "-SKU" : sku;
  v.price = Money{1234, "USD"};
  p.variants.push_back(v);
  p.categories = std::move(categories);
  return p;
}

uint64_t LastSeq(Engine& e) {
  auto s = e.events().last_seq();
  REQUIRE(s.ok());
  return *s;
}

std::vector<Event> Tail(Engine& e, uint64_t from, size_t limit = 1000) {
  auto t = e.events().tail(from, limit);
  INFO(t.status().ToString());
  REQUIRE(t.ok());
  return *t;
}

long ElapsedMs(Clock::time_point since) {
  return static_cast<long>(std::chrono::duration_cast<milliseconds>(Clock::now() - since).count());
}

}  // namespace

TEST_CASE("tail returns events in order from a sequence, within limits", "[events]") {
  auto driver = GENERATE(as<std::string>{}, "lmdb", "sqlite");
  CAPTURE(driver);
  TempDir dir;
  auto engine = commerce::testing::OpenTestEngine(dir.path(), driver);
  Events& events = engine->events();

  CHECK(LastSeq(*engine) == 0);
  CHECK(Tail(*engine, 0).empty());
  CHECK(Tail(*engine, 1).empty());

  const int64_t before = commerce::EngineCore::NowMs();
  for (int i = 1; i <= 12; ++i)
    REQUIRE(engine->catalog().upsert(MakeProduct("p" + std::to_string(i))).ok());
  const int64_t after = commerce::EngineCore::NowMs();
  CHECK(LastSeq(*engine) == 12);

  auto all = Tail(*engine, 1);
  REQUIRE(all.size() == 12);
  for (size_t i = 0; i < all.size(); ++i) {
    CHECK(all[i].seq == i + 1);
    CHECK(all[i].type == "ProductUpserted");
    CHECK(all[i].subject == "p" + std::to_string(i + 1));
    CHECK(all[i].time_ms >= before);
    CHECK(all[i].time_ms <= after);
  }
  CHECK(Tail(*engine, 0) == all);  // 0 is "from the start" too

  auto middle = Tail(*engine, 5, 3);
  REQUIRE(middle.size() == 3);
  CHECK(middle[0] == all[4]);
  CHECK(middle[1] == all[5]);
  CHECK(middle[2] == all[6]);
  auto last_two = Tail(*engine, 11, 100);
  REQUIRE(last_two.size() == 2);
  CHECK(last_two[1].seq == 12);
  CHECK(Tail(*engine, 12, 1).size() == 1);
  CHECK(Tail(*engine, 13).empty());
  CHECK(Tail(*engine, 1'000'000).empty());
  CHECK(Tail(*engine, 1, 10'000).size() == 12);

  auto zero = events.tail(1, 0);
  CHECK(zero.status().code() == Code::kInvalidArgument);
  CHECK(zero.status().message().find("limit") != std::string::npos);
  CHECK(events.tail(1, 10'001).status().code() == Code::kInvalidArgument);
}

TEST_CASE("every catalog write appends exactly one event, failed writes none", "[events]") {
  auto driver = GENERATE(as<std::string>{}, "lmdb", "sqlite");
  CAPTURE(driver);
  TempDir dir;
  auto engine = commerce::testing::OpenTestEngine(dir.path(), driver);
  Catalog& catalog = engine->catalog();

  // Each step: the write, then the one event it must have appended (type, subject).
  auto expect_one = [&](uint64_t before, const char* type, const std::string& subject) {
    auto added = Tail(*engine, before + 1);
    REQUIRE(added.size() == 1);
    CHECK(added[0].seq == before + 1);
    CHECK(added[0].type == type);
    CHECK(added[0].subject == subject);
    CHECK(LastSeq(*engine) == before + 1);
    return added[0];
  };
  auto parse = [](const Event& e) {
    rapidjson::Document d;
    d.Parse(e.data.data(), e.data.size());
    INFO("data: " << e.data);
    REQUIRE_FALSE(d.HasParseError());
    REQUIRE(d.IsObject());
    return d;
  };

  uint64_t seq = LastSeq(*engine);
  REQUIRE(catalog.upsert_category({"shoes", "Shoes", ""}).ok());
  {
    Event e = expect_one(seq, "CategoryUpserted", "shoes");
    auto d = parse(e);
    REQUIRE(d.HasMember("category_id"));
    CHECK(std::string(d["category_id"].GetString()) == "shoes");
  }

  seq = LastSeq(*engine);
  REQUIRE(catalog.upsert(MakeProduct("p1", "A", {"shoes"})).ok());
  {
    Event e = expect_one(seq, "ProductUpserted", "p1");
    auto d = parse(e);
    REQUIRE(d.HasMember("product_id"));
    REQUIRE(d["product_id"].IsString());
    CHECK(std::string(d["product_id"].GetString()) == "p1");
    REQUIRE(d.HasMember("version"));
    CHECK(d["version"].GetUint64() == 1);
  }

  seq = LastSeq(*engine);
  REQUIRE(catalog.upsert(MakeProduct("p1", "A")).ok());
  {
    Event e = expect_one(seq, "ProductUpserted", "p1");
    auto d = parse(e);
    CHECK(d["version"].GetUint64() == 2);
  }

  seq = LastSeq(*engine);
  REQUIRE(catalog.archive("p1").ok());
  expect_one(seq, "ProductArchived", "p1");

  // An id that JSON must escape still gives valid JSON naming it.
  const std::string odd = "q\"uo\\te";
  seq = LastSeq(*engine);
  REQUIRE(catalog.upsert(MakeProduct(odd, "ODD")).ok());
  {
    Event e = expect_one(seq, "ProductUpserted", odd);
    auto d = parse(e);
    CHECK(std::string(d["product_id"].GetString()) == odd);
  }

  // Failed writes append nothing.
  seq = LastSeq(*engine);
  CHECK(catalog.upsert(MakeProduct("p2", "A")).status().code() == Code::kAlreadyExists);
  CHECK(catalog.upsert(MakeProduct("p2", "B", {"nope"})).status().code() == Code::kNotFound);
  CHECK(catalog.upsert(MakeProduct("p1", "A"), WriteCondition{.if_version = 1}).status().code() ==
        Code::kConflict);
  Product bad = MakeProduct("p3");
  bad.title = "";
  CHECK(catalog.upsert(bad).status().code() == Code::kInvalidArgument);
  CHECK(catalog.archive("nope").status().code() == Code::kNotFound);
  CHECK(catalog.upsert_category({"x/y", "Y", ""}).code() == Code::kNotFound);
  CHECK(LastSeq(*engine) == seq);
  CHECK(Tail(*engine, seq + 1).empty());
}

TEST_CASE("consumer cursors: default 0, set and get, durable, checked", "[events]") {
  auto driver = GENERATE(as<std::string>{}, "lmdb", "sqlite");
  CAPTURE(driver);
  TempDir dir;
  {
    auto engine = commerce::testing::OpenTestEngine(dir.path(), driver);
    Events& events = engine->events();
    for (int i = 0; i < 5; ++i)
      REQUIRE(engine->catalog().upsert(MakeProduct("p" + std::to_string(i))).ok());

    auto fresh = events.cursor("search-indexer");
    REQUIRE(fresh.ok());
    CHECK(*fresh == 0);
    REQUIRE(events.set_cursor("search-indexer", 3).ok());
    REQUIRE(events.set_cursor("webhooks_v2.eu", 5).ok());  // up to last_seq is fine
    auto got = events.cursor("search-indexer");
    REQUIRE(got.ok());
    CHECK(*got == 3);
    auto other = events.cursor("webhooks_v2.eu");
    REQUIRE(other.ok());
    CHECK(*other == 5);
    // Cursors can go back (a consumer re-processing) and to 0.
    REQUIRE(events.set_cursor("webhooks_v2.eu", 0).ok());
    CHECK(*events.cursor("webhooks_v2.eu") == 0);
    REQUIRE(events.set_cursor("webhooks_v2.eu", 4).ok());

    // Past the newest event: InvalidArgument, the cursor unchanged.
    auto past = events.set_cursor("search-indexer", 6);
    CHECK(past.code() == Code::kInvalidArgument);
    CHECK(*events.cursor("search-indexer") == 3);

    // Names: 1..64 of [a-z0-9_.-].
    for (const std::string& bad : {std::string(), std::string("Upper"), std::string("has space"),
                                  std::string("a/b"), std::string(65, 'c'), std::string("caf\xC3\xA9"),
                                  std::string("nul\0x", 5)}) {
      INFO("name: '" << bad << "'");
      CHECK(events.cursor(bad).status().code() == Code::kInvalidArgument);
      CHECK(events.set_cursor(bad, 1).code() == Code::kInvalidArgument);
    }
    const std::string longest(64, 'z');
    CHECK(events.set_cursor(longest, 2).ok());
    CHECK(events.cursor(longest).value_or(99) == 2);
    // Setting a cursor is not an event.
    CHECK(LastSeq(*engine) == 5);
    REQUIRE(engine->close().ok());
  }
  auto engine = commerce::testing::OpenTestEngine(dir.path(), driver);
  CHECK(engine->events().cursor("search-indexer").value_or(99) == 3);
  CHECK(engine->events().cursor("webhooks_v2.eu").value_or(99) == 4);
  CHECK(engine->events().cursor(std::string(64, 'z')).value_or(99) == 2);
  CHECK(engine->events().cursor("never-set").value_or(99) == 0);
  CHECK(LastSeq(*engine) == 5);
  auto all = Tail(*engine, 1);
  REQUIRE(all.size() == 5);
  CHECK(all[4].subject == "p4");
}

TEST_CASE("wait returns at once, on another thread's write, or at the timeout", "[events]") {
  auto driver = GENERATE(as<std::string>{}, "lmdb", "sqlite");
  CAPTURE(driver);
  TempDir dir;
  auto engine = commerce::testing::OpenTestEngine(dir.path(), driver);
  Events& events = engine->events();
  REQUIRE(engine->catalog().upsert(MakeProduct("p1")).ok());
  REQUIRE(engine->catalog().upsert(MakeProduct("p2")).ok());

  // Events after `after` exist: no waiting, however long the timeout.
  {
    auto start = Clock::now();
    auto r = events.wait(0, milliseconds(10'000));
    REQUIRE(r.ok());
    CHECK(*r == 2);
    r = events.wait(1, milliseconds(10'000));
    REQUIRE(r.ok());
    CHECK(*r == 2);
    CHECK(ElapsedMs(start) < 2'000);
  }
  // Nothing new: the timeout passes, last_seq comes back.
  {
    auto start = Clock::now();
    auto r = events.wait(2, milliseconds(50));
    REQUIRE(r.ok());
    CHECK(*r == 2);
    CHECK(ElapsedMs(start) >= 50);
    CHECK(ElapsedMs(start) < 5'000);
    r = events.wait(2, milliseconds(0));
    REQUIRE(r.ok());
    CHECK(*r == 2);
  }
  // A write by another thread while waiting wakes the waiter long before its timeout.
  {
    auto start = Clock::now();
    auto waiter = std::async(std::launch::async, [&] { return events.wait(2, milliseconds(20'000)); });
    std::this_thread::sleep_for(milliseconds(50));
    CHECK(waiter.wait_for(milliseconds(0)) == std::future_status::timeout);  // still waiting
    commerce::Status w = engine->catalog().upsert(MakeProduct("p3")).status();
    REQUIRE(w.ok());
    REQUIRE(waiter.wait_for(milliseconds(10'000)) == std::future_status::ready);
    auto r = waiter.get();
    REQUIRE(r.ok());
    CHECK(*r == 3);
    CHECK(ElapsedMs(start) >= 50);
    CHECK(ElapsedMs(start) < 10'000);
  }
  // A write that appends nothing (a failed one) does not end the wait early with a wrong
  // answer: the waiter still times out with the same last_seq.
  {
    auto waiter = std::async(std::launch::async, [&] { return events.wait(3, milliseconds(300)); });
    std::this_thread::sleep_for(milliseconds(30));
    CHECK(engine->catalog().upsert(MakeProduct("p4", "p1-SKU")).status().code() ==
          Code::kAlreadyExists);
    auto r = waiter.get();
    REQUIRE(r.ok());
    CHECK(*r == 3);
  }
  CHECK(events.wait(0, milliseconds(-1)).status().code() == Code::kInvalidArgument);
}

TEST_CASE("wait with the largest timeout waits for a write instead of overflowing",
          "[events]") {
  auto driver = GENERATE(as<std::string>{}, "lmdb", "sqlite");
  CAPTURE(driver);
  TempDir dir;
  auto engine = commerce::testing::OpenTestEngine(dir.path(), driver);
  REQUIRE(engine->catalog().upsert(MakeProduct("p1")).ok());
  auto waiter = std::async(std::launch::async, [&] {
    return engine->events().wait(1, milliseconds::max());
  });
  const bool returned_early = waiter.wait_for(milliseconds(100)) == std::future_status::ready;
  REQUIRE(engine->catalog().upsert(MakeProduct("p2")).ok());
  REQUIRE(waiter.wait_for(milliseconds(10'000)) == std::future_status::ready);
  auto r = waiter.get();
  CHECK_FALSE(returned_early);
  REQUIRE(r.ok());
  CHECK(*r == 2);
}

TEST_CASE("wait wakes for events that an import in progress has committed",
          "[events]") {
  auto driver = GENERATE(as<std::string>{}, "lmdb", "sqlite");
  CAPTURE(driver);
  TempDir dir;
  auto engine = commerce::testing::OpenTestEngine(dir.sub("store"), driver);
  const std::string file = dir.sub("many.jsonl");
  {
    std::string text;
    for (int i = 0; i < 3000; ++i)
      text += R"({"id":"w)" + std::to_string(i) + R"(","title":"T","variants":[{"sku":"W)" +
              std::to_string(i) + R"(","price":1}]})" "\n";
    std::ofstream(file) << text;
  }
  auto waiter = std::async(std::launch::async, [&] {
    return engine->events().wait(0, milliseconds(30'000));
  });
  std::this_thread::sleep_for(milliseconds(20));
  bool committed_seen = false, woke_during_import = false;
  auto report = engine->catalog().import_jsonl(file, [&](const commerce::ImportProgress& p) {
    if (committed_seen || p.records == 3000) return;
    // Mid-import, on the importing thread: once some events are committed, the waiter must
    // wake without the import having to finish.
    for (int i = 0; i < 200 && !committed_seen; ++i) {
      committed_seen = engine->events().last_seq().value_or(0) > 0;
      if (!committed_seen) std::this_thread::sleep_for(milliseconds(5));
    }
    if (committed_seen)
      woke_during_import = waiter.wait_for(milliseconds(1'000)) == std::future_status::ready;
  });
  REQUIRE(report.ok());
  REQUIRE(committed_seen);
  CHECK(woke_during_import);
  REQUIRE(waiter.wait_for(milliseconds(10'000)) == std::future_status::ready);
  auto r = waiter.get();
  REQUIRE(r.ok());
  CHECK(*r > 0);
}

TEST_CASE("listeners are called after commits and index publishes, never after removal",
          "[events]") {
  auto driver = GENERATE(as<std::string>{}, "lmdb", "sqlite");
  CAPTURE(driver);
  TempDir dir;
  auto engine = commerce::testing::OpenTestEngine(dir.path(), driver);
  Events& events = engine->events();
  std::mutex mu;
  std::condition_variable cv;
  int calls = 0;
  const uint64_t id = events.add_listener([&] {
    std::lock_guard<std::mutex> lock(mu);
    ++calls;
    cv.notify_all();
  });
  REQUIRE(engine->catalog().upsert(MakeProduct("p1")).ok());
  {
    // Called on the committing thread before upsert returns, or by the indexer soon after.
    std::unique_lock<std::mutex> lock(mu);
    CHECK(cv.wait_for(lock, milliseconds(10'000), [&] { return calls > 0; }));
  }
  // The index publishing seq 1 calls the listeners too: a loop waiting for min_index_seq
  // learns of it without a thread of its own.
  REQUIRE(engine->search().wait_for(1, milliseconds(20'000)).ok());
  int before_removal = 0;
  {
    std::lock_guard<std::mutex> lock(mu);
    before_removal = calls;
  }
  CHECK(before_removal >= 1);
  events.remove_listener(id);
  {
    std::lock_guard<std::mutex> lock(mu);
    before_removal = calls;
  }
  REQUIRE(engine->catalog().upsert(MakeProduct("p2")).ok());
  REQUIRE(engine->search().wait_for(2, milliseconds(20'000)).ok());
  std::lock_guard<std::mutex> lock(mu);
  CHECK(calls == before_removal);
}

}  // namespace events_events_test
