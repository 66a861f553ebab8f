// Tests of event log retention (Events::trim, first_seq, EngineOptions::event_retention;
// src/events/events.cpp) on every driver: what trimming removes and what holds it back (cursors,
// webhook subscriptions, the running search indexer), the error below the horizon (Gone, never a
// silent skip), sequence numbers going on after a trim and a reopen, the background policy, the
// search index rebuilding itself from the catalog when it finds itself behind the horizon, and
// commerce verify on a trimmed store.
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

#include "commerce/engine.h"
#include "commerce/events.h"
#include "pg_test_cluster.h"
#include "test_dir.h"

namespace events_retention_test {

namespace {

using commerce::Code;
using commerce::Engine;
using commerce::EngineOptions;
using commerce::EventRetention;
using commerce::Product;
using commerce::Variant;
using commerce::testing::TempDir;
using std::chrono::milliseconds;

Product MakeProduct(const std::string& id, const std::string& title) {
  Product p;
  p.id = id;
  p.title = title;
  Variant v;
  v.sku = id + "-SKU";
  v.price = commerce::Money{1234, "USD"};
  p.variants.push_back(v);
  return p;
}

// An engine with no background thread (so no indexer holds the log) on `driver`; postgres in a
// schema of its own.
EngineOptions Options(const std::string& path, const std::string& driver) {
  EngineOptions o;
  o.path = path;
  o.driver = driver;
  o.run_background = false;
  o.webhooks.allowed_networks = {"127.0.0.1/32"};
  if (driver == "postgres") {
    o.storage.postgres_url = commerce::testing::PgTestUrl();
    o.storage.postgres_schema = commerce::testing::UniquePgSchema("retention");
  }
  return o;
}

std::unique_ptr<Engine> Open(const EngineOptions& o) {
  auto e = Engine::open(o);
  INFO(e.status().ToString());
  REQUIRE(e.ok());
  return std::move(e).value();
}

uint64_t Last(Engine& e) { return e.events().last_seq().value_or(0); }
uint64_t First(Engine& e) { return e.events().first_seq().value_or(0); }

void Upsert(Engine& e, const std::string& id, const std::string& title) {
  auto r = e.catalog().upsert(MakeProduct(id, title));
  INFO(r.status().ToString());
  REQUIRE(r.ok());
}

commerce::EventTrimReport Trim(Engine& e, EventRetention policy) {
  auto r = e.events().trim(policy);
  INFO(r.status().ToString());
  REQUIRE(r.ok());
  return *r;
}

}  // namespace

TEST_CASE("trim removes what every consumer has passed, oldest first, and keeps the newest",
          "[events][retention][postgres]") {
  auto driver = GENERATE(from_range(commerce::testing::TestStorageDrivers()));
  CAPTURE(driver);
  TempDir dir;
  auto options = Options(dir.path(), driver);
  auto engine = Open(options);
  auto& events = engine->events();
  CHECK(First(*engine) == 1);  // an empty log
  for (int i = 0; i < 20; ++i) Upsert(*engine, "p" + std::to_string(i), "Product " + std::to_string(i));
  REQUIRE(Last(*engine) == 20);
  CHECK(First(*engine) == 1);

  // Cart expiry runs in every engine: until it has written its cursor it holds the log at 0.
  auto held = Trim(*engine, {.max_count = 5});
  CHECK(held.removed == 0);
  CHECK(held.held_by == "cursor:cart-expiry");
  CHECK(held.first_seq == 1);
  REQUIRE(engine->run_background_once().ok());
  REQUIRE(events.cursor("cart-expiry").value_or(0) == 20);

  // A consumer of one's own holds the log at its cursor.
  REQUIRE(events.set_cursor("mine", 8).ok());
  auto r = Trim(*engine, {.max_count = 5});
  CHECK(r.removed == 8);
  CHECK(r.first_seq == 9);
  CHECK(r.last_seq == 20);
  CHECK(r.held_by == "cursor:mine");
  CHECK(First(*engine) == 9);

  // Below the horizon: Gone, naming it; at and above it, the events.
  for (uint64_t from : {uint64_t{0}, uint64_t{1}, uint64_t{8}}) {
    auto below = events.tail(from, 10);
    CHECK(below.status().code() == Code::kGone);
    CHECK(below.status().message().find("oldest kept is 9") != std::string::npos);
  }
  auto at = events.tail(9, 100);
  REQUIRE(at.ok());
  REQUIRE(at->size() == 12);
  CHECK(at->front().seq == 9);
  CHECK(at->back().seq == 20);
  // A cursor may sit just below the horizon, not further.
  CHECK(events.set_cursor("late", 7).code() == Code::kGone);
  CHECK(events.cursor("late").value_or(99) == 0);
  CHECK(events.set_cursor("late", 8).ok());

  // The count limit: the newest max_count events stay.
  REQUIRE(events.set_cursor("mine", 20).ok());
  REQUIRE(events.set_cursor("late", 20).ok());
  r = Trim(*engine, {.max_count = 5});
  CHECK(r.removed == 7);
  CHECK(r.first_seq == 16);
  CHECK(r.held_by == "");
  // The age limit: nothing is an hour old; everything but the newest is a millisecond old.
  r = Trim(*engine, {.max_age = std::chrono::hours(1)});
  CHECK(r.removed == 0);
  CHECK(r.first_seq == 16);
  std::this_thread::sleep_for(milliseconds(5));
  r = Trim(*engine, {.max_age = milliseconds(1)});
  CHECK(r.removed == 4);
  CHECK(r.first_seq == 20);  // the newest event is always kept
  CHECK(r.last_seq == 20);

  // Sequence numbers go on from the newest, now and after a reopen.
  Upsert(*engine, "q1", "After the trim");
  CHECK(Last(*engine) == 21);
  REQUIRE(engine->close().ok());
  engine.reset();
  engine = Open(options);
  CHECK(First(*engine) == 20);
  Upsert(*engine, "q2", "After the reopen");
  CHECK(Last(*engine) == 22);
  auto tail = engine->events().tail(20, 10);
  REQUIRE(tail.ok());
  REQUIRE(tail->size() == 3);
  CHECK((*tail)[2].subject == "q2");

  // The store still verifies: no gaps above the horizon.
  auto report = engine->verify();
  REQUIRE(report.ok());
  for (const auto& p : report->problems) FAIL_CHECK(p.check << ": " << p.where << ": " << p.what);
  CHECK(report->events == 22);
}

TEST_CASE("trim: bad policies are refused and remove nothing", "[events][retention]") {
  TempDir dir;
  auto engine = Open(Options(dir.path(), "lmdb"));
  for (int i = 0; i < 5; ++i) Upsert(*engine, "p" + std::to_string(i), "Product");
  REQUIRE(engine->run_background_once().ok());
  auto none = engine->events().trim({});
  CHECK(none.status().code() == Code::kInvalidArgument);
  CHECK(none.status().message().find("max_age or max_count") != std::string::npos);
  auto negative = engine->events().trim({.max_age = milliseconds(-1)});
  CHECK(negative.status().code() == Code::kInvalidArgument);
  CHECK(First(*engine) == 1);
  CHECK(Last(*engine) == 5);

  // The engine's policy is checked when it opens.
  TempDir other;
  auto o = Options(other.path(), "lmdb");
  o.event_retention = {.max_count = 10, .interval = milliseconds(999)};
  CHECK(Engine::open(o).status().code() == Code::kInvalidArgument);
  o.event_retention = {.max_age = milliseconds(-5)};
  CHECK(Engine::open(o).status().code() == Code::kInvalidArgument);
  o.event_retention = {.max_count = 10, .interval = std::chrono::hours(25)};
  CHECK(Engine::open(o).status().code() == Code::kInvalidArgument);
}

TEST_CASE("a webhook subscription holds the log until it has taken the events",
          "[events][retention]") {
  TempDir dir;
  auto engine = Open(Options(dir.path(), "sqlite"));
  Upsert(*engine, "p0", "Before");
  REQUIRE(engine->run_background_once().ok());
  auto sub = engine->webhooks().subscribe({.url = "http://127.0.0.1:9/hook", .secret = "whsec_retention_test_0123"});
  INFO(sub.status().ToString());
  REQUIRE(sub.ok());
  for (int i = 1; i <= 5; ++i) Upsert(*engine, "p" + std::to_string(i), "After");
  REQUIRE(engine->events().set_cursor("cart-expiry", Last(*engine)).ok());
  auto r = Trim(*engine, {.max_count = 1});
  // The subscription started after event 1 and has taken nothing since.
  CHECK(r.removed == 1);
  CHECK(r.first_seq == 2);
  CHECK(r.held_by == "webhook:" + sub->id);
}

TEST_CASE("the background thread trims by the engine's policy", "[events][retention]") {
  TempDir dir;
  auto o = Options(dir.path(), "lmdb");
  o.event_retention = {.max_count = 3, .interval = std::chrono::seconds(1)};
  auto engine = Open(o);
  for (int i = 0; i < 10; ++i) Upsert(*engine, "p" + std::to_string(i), "Product");
  // One round: cart expiry passes every event, then the trim.
  REQUIRE(engine->run_background_once().ok());
  CHECK(First(*engine) == 8);
  CHECK(Last(*engine) == 10);
}

TEST_CASE("a running search indexer holds the log, and one behind the horizon rebuilds from the catalog",
          "[events][retention][search]") {
  TempDir dir;
  {
    // A running indexer: whatever it has not applied stays.
    auto o = Options(dir.path(), "lmdb");
    o.run_background = true;
    auto engine = Open(o);
    for (int i = 0; i < 30; ++i) Upsert(*engine, "a" + std::to_string(i), "Alpha lamp " + std::to_string(i));
    auto r = Trim(*engine, {.max_count = 1});
    auto stats = engine->search().stats();
    REQUIRE(stats.ok());
    CHECK(r.first_seq <= stats->indexed_seq + 1);
    REQUIRE(engine->search().wait_for(Last(*engine)).ok());
    CHECK(engine->search().stats()->rebuilds_after_trim == 0);
    REQUIRE(engine->close().ok());
  }
  // The index falls behind (no indexer runs), the events it lacks are trimmed.
  auto engine = Open(Options(dir.path(), "lmdb"));
  const uint64_t indexed = engine->search().stats()->indexed_seq;
  for (int i = 0; i < 10; ++i) Upsert(*engine, "b" + std::to_string(i), "Bravo chair " + std::to_string(i));
  REQUIRE(engine->catalog().archive("a3").ok());
  REQUIRE(engine->events().set_cursor("cart-expiry", Last(*engine)).ok());
  auto r = Trim(*engine, {.max_count = 1});
  REQUIRE(r.first_seq > indexed + 1);
  // Its next round finds itself behind the horizon and rebuilds from the catalog.
  REQUIRE(engine->run_background_once().ok());
  auto stats = engine->search().stats();
  REQUIRE(stats.ok());
  CHECK(stats->rebuilds_after_trim == 1);
  CHECK(stats->indexed_seq == Last(*engine));
  CHECK(stats->documents == 39);  // 30 + 10, less the archived one
  auto found = engine->search().query({.text = "bravo", .limit = 50});
  REQUIRE(found.ok());
  CHECK(found->total == 10);
  auto gone = engine->search().query({.text = "alpha", .limit = 50});
  REQUIRE(gone.ok());
  CHECK(gone->total == 29);
  // It converges: later writes are indexed from the log as usual.
  Upsert(*engine, "c0", "Charlie desk");
  REQUIRE(engine->run_background_once().ok());
  CHECK(engine->search().query({.text = "charlie"})->total == 1);
  CHECK(engine->search().stats()->rebuilds_after_trim == 1);
  REQUIRE(engine->close().ok());
  engine.reset();

  // A lost index on a trimmed store (a restored backup has none) is rebuilt from the catalog
  // too, not refilled from what is left of the log.
  std::filesystem::remove_all(dir.path() + "/search");
  engine = Open(Options(dir.path(), "lmdb"));
  REQUIRE(engine->run_background_once().ok());
  CHECK(engine->search().query({.text = "bravo", .limit = 50})->total == 10);
  CHECK(engine->search().stats()->documents == 40);
}

}  // namespace events_retention_test
