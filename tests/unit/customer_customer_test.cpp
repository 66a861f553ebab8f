// Tests of the customers engine (src/customer/customer.cpp, customer_store.cpp,
// customer_validation.cpp) on every local driver: round trips, the unique case-insensitive
// email, updates with versions, events without personal data, bad input naming its field with
// nothing written, 8 threads racing for one email, and 8 threads updating one customer (the
// writes are prepared against snapshots and checked by the writer: none lost, none refused).
#include <atomic>
#include <functional>
#include <latch>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

#include "commerce/customer.h"
#include "commerce/engine.h"
#include "test_dir.h"
#include "test_engine.h"

namespace customer_customer_test {

namespace {

using commerce::Address;
using commerce::Code;
using commerce::Customer;
using commerce::Engine;
using commerce::testing::TempDir;

Address Home() {
  Address a;
  a.name = "Ada Lovelace";
  a.line1 = "12 St James's Square";
  a.city = "London";
  a.postal_code = "SW1Y 4JH";
  a.region = "uk-south";
  a.country = "GB";
  return a;
}

Customer Ada(std::string email = "Ada@Example.com") {
  Customer c;
  c.email = std::move(email);
  c.name = "Ada";
  c.addresses = {Home()};
  return c;
}

uint64_t LastSeq(Engine& e) {
  auto s = e.events().last_seq();
  REQUIRE(s.ok());
  return *s;
}

}  // namespace

TEST_CASE("customers: create, get and get_by_email in any letter case", "[customers]") {
  auto driver = GENERATE(as<std::string>{}, "lmdb", "sqlite");
  CAPTURE(driver);
  TempDir dir;
  auto engine = commerce::testing::OpenTestEngine(dir.path(), driver);
  auto& customers = engine->customers();
  const uint64_t seq = LastSeq(*engine);

  auto made = customers.create(Ada());
  INFO(made.status().ToString());
  REQUIRE(made.ok());
  CHECK(made->id.rfind("cus-", 0) == 0);
  CHECK(made->id.size() == 4 + 16);
  CHECK(made->email == "Ada@Example.com");  // stored as given
  CHECK(made->version == 1);
  CHECK(made->created_at_ms > 0);
  CHECK(made->updated_at_ms == made->created_at_ms);

  auto got = customers.get(made->id);
  REQUIRE(got.ok());
  CHECK(*got == *made);
  for (const char* email : {"ada@example.com", "ADA@EXAMPLE.COM", "Ada@Example.com"}) {
    CAPTURE(email);
    auto by_email = customers.get_by_email(email);
    REQUIRE(by_email.ok());
    CHECK(*by_email == *made);
  }
  CHECK(customers.get_by_email("bob@example.com").status().code() == Code::kNotFound);
  CHECK(customers.get("cus-nobody").status().code() == Code::kNotFound);

  Customer given = Ada("given@example.com");
  given.id = "ada-2";
  auto second = customers.create(given);
  REQUIRE(second.ok());
  CHECK(second->id == "ada-2");

  auto events = engine->events().tail(seq + 1, 10);
  REQUIRE(events.ok());
  REQUIRE(events->size() == 2);
  CHECK((*events)[0].type == "CustomerCreated");
  CHECK((*events)[0].subject == made->id);
  // Emails and names are personal data: the event log does not carry them.
  for (const auto& e : *events) {
    CHECK(e.data.find("xample.com") == std::string::npos);
    CHECK(e.data.find("Ada") == std::string::npos);
  }
}

TEST_CASE("customers: an id or an email in any case is taken once", "[customers]") {
  auto driver = GENERATE(as<std::string>{}, "lmdb", "sqlite");
  CAPTURE(driver);
  TempDir dir;
  auto engine = commerce::testing::OpenTestEngine(dir.path(), driver);
  auto& customers = engine->customers();
  Customer first = Ada();
  first.id = "ada";
  REQUIRE(customers.create(first).ok());
  const uint64_t seq = LastSeq(*engine);

  auto dup = customers.create(Ada("ADA@example.COM"));
  CHECK(dup.status().code() == Code::kAlreadyExists);
  CHECK(dup.status().message().find("email") != std::string::npos);
  Customer same_id = Ada("other@example.com");
  same_id.id = "ada";
  dup = customers.create(same_id);
  CHECK(dup.status().code() == Code::kAlreadyExists);
  CHECK(dup.status().message().find("id") != std::string::npos);
  CHECK(LastSeq(*engine) == seq);
  CHECK(customers.get_by_email("other@example.com").status().code() == Code::kNotFound);
}

TEST_CASE("customers: update with versions, email moves, conflicts", "[customers]") {
  auto driver = GENERATE(as<std::string>{}, "lmdb", "sqlite");
  CAPTURE(driver);
  TempDir dir;
  auto engine = commerce::testing::OpenTestEngine(dir.path(), driver);
  auto& customers = engine->customers();
  auto ada = customers.create(Ada());
  REQUIRE(ada.ok());
  auto bob = customers.create(Ada("bob@example.com"));
  REQUIRE(bob.ok());

  const uint64_t seq = LastSeq(*engine);
  Customer change = *ada;
  change.name = "Ada King";
  change.email = "countess@example.com";
  auto updated = customers.update(change, 1);
  INFO(updated.status().ToString());
  REQUIRE(updated.ok());
  CHECK(updated->version == 2);
  CHECK(updated->created_at_ms == ada->created_at_ms);
  CHECK(updated->updated_at_ms >= ada->updated_at_ms);
  CHECK(customers.get_by_email("COUNTESS@example.com")->id == ada->id);
  // The old email is free again.
  CHECK(customers.get_by_email("ada@example.com").status().code() == Code::kNotFound);
  REQUIRE(customers.create(Ada("ada@example.com")).ok());

  auto events = engine->events().tail(seq + 1, 10);
  REQUIRE(events.ok());
  REQUIRE(!events->empty());
  CHECK((*events)[0].type == "CustomerUpdated");
  CHECK((*events)[0].data.find("\"changed\":[\"email\",\"name\"]") != std::string::npos);
  CHECK((*events)[0].data.find("countess") == std::string::npos);

  const uint64_t before = LastSeq(*engine);
  change = *updated;
  change.email = "bob@EXAMPLE.com";  // Bob's
  CHECK(customers.update(change).status().code() == Code::kAlreadyExists);
  change = *updated;
  change.name = "stale";
  auto stale = customers.update(change, 1);
  CHECK(stale.status().code() == Code::kConflict);
  CHECK(customers.update(change, 0).status().code() == Code::kInvalidArgument);
  change.id = "cus-nobody";
  CHECK(customers.update(change).status().code() == Code::kNotFound);
  CHECK(LastSeq(*engine) == before);
  CHECK(*customers.get(ada->id) == *updated);

  // Changing only the letter case of one's own email is allowed, and an update that changes
  // nothing writes nothing.
  change = *updated;
  change.email = "Countess@Example.com";
  auto recased = customers.update(change, 2);
  REQUIRE(recased.ok());
  CHECK(recased->version == 3);
  const uint64_t after = LastSeq(*engine);
  auto same = customers.update(*recased, 3);
  REQUIRE(same.ok());
  CHECK(same->version == 3);
  CHECK(LastSeq(*engine) == after);
}

TEST_CASE("customers: bad input is InvalidArgument naming the field, nothing written",
          "[customers]") {
  auto driver = GENERATE(as<std::string>{}, "lmdb", "sqlite");
  CAPTURE(driver);
  TempDir dir;
  auto engine = commerce::testing::OpenTestEngine(dir.path(), driver);
  auto& customers = engine->customers();
  auto existing = customers.create(Ada("keep@example.com"));
  REQUIRE(existing.ok());
  const uint64_t seq = LastSeq(*engine);

  struct Case {
    const char* field;
    std::function<void(Customer&)> spoil;
  };
  const std::vector<Case> cases = {
      {"email", [](Customer& c) { c.email = ""; }},
      {"email", [](Customer& c) { c.email = "no-at-sign.example.com"; }},
      {"email", [](Customer& c) { c.email = "two@@example.com"; }},
      {"email", [](Customer& c) { c.email = "a@b@example.com"; }},
      {"email", [](Customer& c) { c.email = "@example.com"; }},
      {"email", [](Customer& c) { c.email = "ada@"; }},
      {"email", [](Customer& c) { c.email = "ada@localhost"; }},
      {"email", [](Customer& c) { c.email = "ada@example..com"; }},
      {"email", [](Customer& c) { c.email = "ada@.example.com"; }},
      {"email", [](Customer& c) { c.email = "ada lovelace@example.com"; }},
      {"email", [](Customer& c) { c.email = "ada\n@example.com"; }},
      {"email", [](Customer& c) { c.email = std::string(250, 'a') + "@example.com"; }},
      {"email", [](Customer& c) { c.email = std::string(65, 'a') + "@example.com"; }},
      {"id", [](Customer& c) { c.id = std::string(65, 'x'); }},
      {"id", [](Customer& c) { c.id = "tab\there"; }},
      {"name", [](Customer& c) { c.name = std::string(201, 'n'); }},
      {"addresses", [](Customer& c) { c.addresses.assign(21, Home()); }},
      {"addresses[0].region", [](Customer& c) { c.addresses[0].region = ""; }},
      {"addresses[0].region", [](Customer& c) { c.addresses[0].region = std::string(65, 'r'); }},
      {"addresses[0].country", [](Customer& c) { c.addresses[0].country = "gb"; }},
      {"addresses[0].country", [](Customer& c) { c.addresses[0].country = "GBR"; }},
      {"addresses[0].country", [](Customer& c) { c.addresses[0].country = ""; }},
      {"addresses[0].line1", [](Customer& c) { c.addresses[0].line1 = ""; }},
      {"addresses[0].city", [](Customer& c) { c.addresses[0].city = ""; }},
      {"addresses[0].city", [](Customer& c) { c.addresses[0].city = std::string(101, 'c'); }},
      {"addresses[0].name", [](Customer& c) { c.addresses[0].name = ""; }},
      {"addresses[1].postal_code",
       [](Customer& c) { c.addresses.push_back(Home()); c.addresses[1].postal_code = std::string(21, '9'); }},
      {"addresses[0].line2", [](Customer& c) { c.addresses[0].line2 = std::string(201, 'l'); }},
  };
  for (const auto& test : cases) {
    Customer c = Ada("fresh@example.com");
    test.spoil(c);
    auto r = customers.create(c);
    CAPTURE(test.field, r.status().ToString());
    CHECK(r.status().code() == Code::kInvalidArgument);
    CHECK(r.status().message().rfind(std::string(test.field) + ":", 0) == 0);
    // The same input is refused by update too.
    Customer u = *existing;
    test.spoil(u);
    if (std::string(test.field) != "id") {
      auto ru = customers.update(u);
      CHECK(ru.status().code() == Code::kInvalidArgument);
    }
  }
  CHECK(LastSeq(*engine) == seq);
  CHECK(customers.get_by_email("fresh@example.com").status().code() == Code::kNotFound);
  CHECK(*customers.get(existing->id) == *existing);
}

TEST_CASE("customers: 8 threads creating the same email at once: exactly one wins",
          "[customers]") {
  auto driver = GENERATE(as<std::string>{}, "lmdb", "sqlite");
  CAPTURE(driver);
  TempDir dir;
  auto engine = commerce::testing::OpenTestEngine(dir.path(), driver);
  constexpr int kThreads = 8;
  std::latch start(kThreads);
  std::atomic<int> won{0}, taken{0}, other{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i)
    threads.emplace_back([&, i] {
      // Each thread spells the email differently: the index still sees one address.
      std::string email = "Race@Example.com";
      if (i % 2) email = "race@example.com";
      if (i % 3 == 0) email = "RACE@EXAMPLE.COM";
      start.arrive_and_wait();
      auto r = engine->customers().create(Ada(email));
      if (r.ok()) ++won;
      else if (r.status().code() == Code::kAlreadyExists) ++taken;
      else ++other;
    });
  for (auto& t : threads) t.join();
  CHECK(won.load() == 1);
  CHECK(taken.load() == kThreads - 1);
  CHECK(other.load() == 0);
  CHECK(engine->customers().get_by_email("race@example.com").ok());
}

TEST_CASE("customers: 8 threads updating one customer at once: every update applies, once, "
          "and with if_version exactly one wins", "[customers][concurrency]") {
  // Updates are prepared against a snapshot and checked by the writer (the record read is the
  // one replaced): the losers of each round are prepared again, never lost, never an error.
  auto driver = GENERATE(as<std::string>{}, "lmdb", "sqlite");
  CAPTURE(driver);
  TempDir dir;
  auto engine = commerce::testing::OpenTestEngine(dir.path(), driver);
  auto created = engine->customers().create(Ada());
  REQUIRE(created.ok());
  const std::string id = created->id;
  constexpr int kThreads = 8;
  constexpr int kUpdates = 10;
  std::atomic<int> failed{0};
  {
    std::latch start(kThreads);
    std::vector<std::thread> threads;
    for (int i = 0; i < kThreads; ++i)
      threads.emplace_back([&, i] {
        start.arrive_and_wait();
        for (int n = 0; n < kUpdates; ++n) {
          Customer c = Ada();
          c.id = id;
          c.name = "Ada " + std::to_string(i) + "." + std::to_string(n);
          if (!engine->customers().update(c).ok()) ++failed;
        }
      });
    for (auto& t : threads) t.join();
  }
  CHECK(failed.load() == 0);
  auto now = engine->customers().get(id);
  REQUIRE(now.ok());
  CHECK(now->version == 1 + kThreads * kUpdates);
  // One CustomerUpdated per update, with versions 2..81 once each.
  auto events = engine->events().tail(1, 10000);
  REQUIRE(events.ok());
  std::multiset<uint64_t> versions;
  for (const auto& e : *events) {
    if (e.type != "CustomerUpdated") continue;
    const size_t at = e.data.find("\"version\":");
    REQUIRE(at != std::string::npos);
    versions.insert(std::stoull(e.data.substr(at + 10)));
  }
  REQUIRE(versions.size() == static_cast<size_t>(kThreads * kUpdates));
  CHECK(std::set<uint64_t>(versions.begin(), versions.end()).size() == versions.size());
  CHECK(*versions.begin() == 2);
  CHECK(*versions.rbegin() == 1 + kThreads * kUpdates);

  // Everyone read version v and asks for it: one update applies, the others are told.
  const uint64_t v = now->version;
  std::latch start(kThreads);
  std::atomic<int> won{0}, conflict{0}, other{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i)
    threads.emplace_back([&, i] {
      Customer c = Ada();
      c.id = id;
      c.name = "Versioned " + std::to_string(i);
      start.arrive_and_wait();
      auto r = engine->customers().update(c, v);
      if (r.ok()) ++won;
      else if (r.status().code() == Code::kConflict) ++conflict;
      else ++other;
    });
  for (auto& t : threads) t.join();
  CHECK(won.load() == 1);
  CHECK(conflict.load() == kThreads - 1);
  CHECK(other.load() == 0);
  CHECK(engine->customers().get(id)->version == v + 1);
}

}  // namespace customer_customer_test
