// Leases for the durable consumers on a store that several processes share
// (src/engine/lease.h), on the postgres driver: one holder of two contenders, a take-over
// once the holder falls silent, the old holder's late writes refused; and two engines on one
// store delivering every webhook once, the survivor taking delivery over when the other
// closes; a closing holder hands its lease over at once. Needs COMMERCE_PG_URL (ctest's
// postgres fixture); skipped otherwise.
#include <catch2/catch.hpp>

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <thread>

#include "commerce/customer.h"
#include "commerce/engine.h"
#include "commerce/webhooks.h"
#include "engine/engine_core.h"
#include "engine/lease.h"
#include "http_receiver.h"
#include "pg_fixture.h"
#include "pg_test_cluster.h"
#include "test_dir.h"

namespace engine_lease_test {

namespace {

using namespace commerce;
using namespace std::chrono_literals;
using commerce::testing::OpenPgEngine;
using commerce::testing::PgEngineOptions;
using commerce::testing::PgTestUrl;
using commerce::testing::Receiver;
using commerce::testing::Request;
using commerce::testing::TempDir;
using Clock = std::chrono::steady_clock;

// What a Lease needs of an engine: the store and its meta table.
std::unique_ptr<EngineCore> OpenCore(const std::string& path, const std::string& schema) {
  StorageOptions so;
  so.driver = "postgres";
  so.path = path;
  so.postgres_url = PgTestUrl();
  so.postgres_schema = schema;
  auto core = std::make_unique<EngineCore>();
  auto storage = OpenStorage(so);
  INFO(storage.status().ToString());
  REQUIRE(storage.ok());
  core->storage = std::move(storage).value();
  auto meta = core->storage->table("meta");
  REQUIRE(meta.ok());
  core->tables.meta = *meta;
  return core;
}

EngineOptions Options(const std::string& path, const std::string& schema) {
  EngineOptions o = PgEngineOptions(path, PgTestUrl(), schema);
  o.run_background = true;  // the consumers under test
  o.consumer_lease_ttl = std::chrono::seconds(1);  // a take-over within the test's patience
  o.webhooks.deliver = true;
  o.webhooks.allowed_networks = {"127.0.0.0/8"};  // the test's receiver
  return o;
}

}  // namespace

TEST_CASE("lease: one holder of two contenders, taken over once the holder falls silent, whose "
          "late writes are then refused",
          "[postgres][lease]") {
  COMMERCE_REQUIRE_PG_OR_SKIP();
  TempDir dir;
  const std::string schema = commerce::testing::UniquePgSchema("lease");
  auto core_a = OpenCore(dir.sub("a"), schema);
  auto core_b = OpenCore(dir.sub("b"), schema);
  // Long enough that a renewal delayed by a loaded machine (a commit of several hundred ms
  // on 2 shared cores) does not look like a silent holder: with 600 ms the holder stopped
  // acting (a renewal older than half a ttl) and both took turns, failing the check below.
  const auto ttl = 2000ms;
  Lease a(core_a->storage.get(), core_a->tables.meta, "consumer", ttl),
      b(core_b->storage.get(), core_b->tables.meta, "consumer", ttl);

  // Both alive: exactly one holds it, the whole time (its renewals keep the other out).
  int a_held = 0, b_held = 0;
  for (auto end = Clock::now() + 3 * ttl; Clock::now() < end;) {
    bool ha = a.Held(), hb = b.Held();
    REQUIRE_FALSE((ha && hb));
    a_held += ha;
    b_held += hb;
    std::this_thread::sleep_for(10ms);
  }
  REQUIRE(a_held + b_held > 0);
  CHECK((a_held == 0 || b_held == 0));
  Lease& holder = a_held ? a : b;
  Lease& other = a_held ? b : a;
  EngineCore& holder_core = a_held ? *core_a : *core_b;
  const uint64_t old_epoch = holder.epoch();
  CHECK(old_epoch > 2);  // renewed several times

  // The holder falls silent (a stopped process): the other takes over after about a ttl.
  const auto silent_from = Clock::now();
  while (!other.Held()) {
    REQUIRE(Clock::now() - silent_from < 5 * ttl);
    std::this_thread::sleep_for(10ms);
  }
  const auto took = Clock::now() - silent_from;
  CHECK(took >= ttl / 2);  // never before the holder has stopped acting on its own clock
  CHECK(other.epoch() > old_epoch);

  // The old holder wakes up: a write that checks the lease is refused, and it lets go.
  Status late = holder_core.storage->write([&](WriteTxn& txn) -> Status {
    COMMERCE_RETURN_IF_ERROR(holder.Check(txn));
    return txn.put(holder_core.tables.meta, "late", "write");
  });
  CHECK(late.IsFailedPrecondition());
  CHECK_FALSE(holder.Held());
  CHECK(other.Held());
  REQUIRE(core_a->storage->close().ok());
  REQUIRE(core_b->storage->close().ok());
}

TEST_CASE("lease: two engines on one store deliver every webhook once, when the delivering "
          "one closes, the other takes delivery over",
          "[postgres][lease]") {
  COMMERCE_REQUIRE_PG_OR_SKIP();
  TempDir dir;
  const std::string schema = commerce::testing::UniquePgSchema("lease_wh");
  Receiver rx([](const Request&) { return 200; });
  auto a = OpenPgEngine(Options(dir.sub("a"), schema));
  auto b = OpenPgEngine(Options(dir.sub("b"), schema));
  WebhookSubscription sub;
  sub.url = rx.url();
  sub.secret = "whsec_0123456789abcdef";
  sub.event_types = {"CustomerCreated"};
  REQUIRE(a->webhooks().subscribe(sub).ok());

  auto create = [](Engine& e, int i) {
    Customer c;
    c.email = "c" + std::to_string(i) + "@example.com";
    auto made = e.customers().create(c);
    INFO(made.status().ToString());
    REQUIRE(made.ok());
  };
  // Each event id (its sequence) delivered once: two delivering processes would send twice.
  auto ids = [&] {
    std::map<std::string, int> seen;
    for (const Request& r : rx.requests()) seen[r.headers.at("x-commerce-event-id")]++;
    return seen;
  };
  for (int i = 0; i < 10; ++i) create(i % 2 ? *a : *b, i);
  REQUIRE(rx.WaitFor(10, 15s));
  std::this_thread::sleep_for(1500ms);  // room for a second delivery, were there one
  auto seen = ids();
  CHECK(seen.size() == 10);
  for (const auto& [id, n] : seen) {
    INFO("event " << id);
    CHECK(n == 1);
  }

  // Close one engine (whichever delivers or not): the other delivers what comes next, after
  // the lease's ttl (EngineOptions::consumer_lease_ttl, 1 s here; the default is 10 s) if `a`
  // held it, plus a renewal period and a delivery.
  REQUIRE(a->close().ok());
  const auto closed_at = Clock::now();
  for (int i = 10; i < 20; ++i) create(*b, i);
  REQUIRE(rx.WaitFor(20, 40s));
  CHECK(Clock::now() - closed_at < 8s);
  std::this_thread::sleep_for(1000ms);
  seen = ids();
  CHECK(seen.size() == 20);
  for (const auto& [id, n] : seen) {
    INFO("event " << id);
    CHECK(n == 1);
  }
  REQUIRE(b->close().ok());
}

TEST_CASE("lease: a holder that gives the lease up is succeeded at the next look and not after a ttl",
          "[postgres][lease]") {
  COMMERCE_REQUIRE_PG_OR_SKIP();
  TempDir dir;
  const std::string schema = commerce::testing::UniquePgSchema("lease_release");
  auto core_a = OpenCore(dir.sub("a"), schema);
  auto core_b = OpenCore(dir.sub("b"), schema);
  const auto ttl = 3s;
  Lease a(core_a->storage.get(), core_a->tables.meta, "consumer", ttl),
      b(core_b->storage.get(), core_b->tables.meta, "consumer", ttl);
  REQUIRE(a.Held());  // the row is absent: taken at the first look
  CHECK_FALSE(b.Held());
  CHECK(b.Release().ok());  // not held: nothing written
  CHECK(a.Held());

  REQUIRE(a.Release().ok());
  CHECK_FALSE(a.Held());
  const auto released_at = Clock::now();
  while (!b.Held()) {
    REQUIRE(Clock::now() - released_at < 2 * ttl);
    std::this_thread::sleep_for(10ms);
  }
  // Within one look of b (a third of the ttl), not a whole ttl of silence.
  CHECK(Clock::now() - released_at < ttl / 2);
  // The old holder's writes are refused, as after a take-over.
  Status late = core_a->storage->write([&](WriteTxn& txn) -> Status {
    COMMERCE_RETURN_IF_ERROR(a.Check(txn));
    return txn.put(core_a->tables.meta, "late", "write");
  });
  CHECK(late.IsFailedPrecondition());
  REQUIRE(core_a->storage->close().ok());
  REQUIRE(core_b->storage->close().ok());
}

TEST_CASE("lease: an engine that closes hands its consumers over at once", "[postgres][lease]") {
  COMMERCE_REQUIRE_PG_OR_SKIP();
  TempDir dir;
  const std::string schema = commerce::testing::UniquePgSchema("lease_close");
  Receiver rx([](const Request&) { return 200; });
  EngineOptions oa = Options(dir.sub("a"), schema), ob = Options(dir.sub("b"), schema);
  oa.consumer_lease_ttl = ob.consumer_lease_ttl = std::chrono::seconds(9);
  auto a = OpenPgEngine(oa);
  WebhookSubscription sub;
  sub.url = rx.url();
  sub.secret = "whsec_0123456789abcdef";
  sub.event_types = {"CustomerCreated"};
  REQUIRE(a->webhooks().subscribe(sub).ok());
  Customer c;
  c.email = "first@example.com";
  REQUIRE(a->customers().create(c).ok());
  REQUIRE(rx.WaitFor(1, 15s));  // `a` alone: it holds the delivery lease
  auto b = OpenPgEngine(ob);
  REQUIRE(a->close().ok());
  const auto closed_at = Clock::now();
  c.email = "second@example.com";
  REQUIRE(b->customers().create(c).ok());
  REQUIRE(rx.WaitFor(2, 30s));
  // A third of the ttl (b's look) and a delivery: before, a whole ttl (9 s) of silence.
  CHECK(Clock::now() - closed_at < 6s);
  REQUIRE(b->close().ok());
}

}  // namespace engine_lease_test
