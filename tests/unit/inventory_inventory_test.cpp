// Tests of the inventory engine (src/inventory/inventory.cpp, stock_store.cpp,
// warehouse_store.cpp) through the public API, on every local driver: warehouses, every
// stock change with its event, totals across warehouses, and the rejection of bad input
// with nothing written.
#include <atomic>
#include <functional>
#include <latch>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

#include "commerce/engine.h"
#include "test_dir.h"
#include "test_engine.h"

namespace inventory_inventory_test {

namespace {

using commerce::Code;
using commerce::Engine;
using commerce::Event;
using commerce::Inventory;
using commerce::kMaxQuantity;
using commerce::Money;
using commerce::Product;
using commerce::ProductStatus;
using commerce::StockLevel;
using commerce::Variant;
using commerce::Warehouse;
using commerce::testing::TempDir;

void AddProduct(Engine& e, const std::string& id, std::vector<std::string> skus,
                ProductStatus status = ProductStatus::kActive) {
  Product p;
  p.id = id;
  p.title = "Product " + id;
  p.status = status;
  for (auto& s : skus) {
    Variant v;
    v.sku = s;
    v.price = Money{1000, "USD"};
    p.variants.push_back(v);
  }
  auto r = e.catalog().upsert(p);
  INFO(r.status().ToString());
  REQUIRE(r.ok());
}

Warehouse MakeWarehouse(std::string id, std::string region = "us-east", int32_t priority = 0,
                        bool active = true) {
  return Warehouse{id, "Warehouse " + id, std::move(region), priority, active};
}

void AddWarehouse(Engine& e, const Warehouse& w) {
  auto r = e.inventory().upsert_warehouse(w);
  INFO(r.status().ToString());
  REQUIRE(r.ok());
}

// A store with SKUs A and B (product p) and warehouses w1, w2 (active) and w3 (inactive).
std::unique_ptr<Engine> Seeded(const TempDir& dir, const std::string& driver) {
  auto e = commerce::testing::OpenTestEngine(dir.path(), driver);
  AddProduct(*e, "p", {"A", "B"});
  AddWarehouse(*e, MakeWarehouse("w1"));
  AddWarehouse(*e, MakeWarehouse("w2", "eu-west", 5));
  AddWarehouse(*e, MakeWarehouse("w3", "us-east", 0, false));
  return e;
}

uint64_t LastSeq(Engine& e) {
  auto s = e.events().last_seq();
  REQUIRE(s.ok());
  return *s;
}

StockLevel Level(Engine& e, const std::string& sku, const std::string& wh) {
  auto l = e.inventory().get(sku, wh);
  INFO(l.status().ToString());
  REQUIRE(l.ok());
  return *l;
}

std::vector<Event> EventsAfter(Engine& e, uint64_t seq) {
  auto batch = e.events().tail(seq + 1, 1000);
  REQUIRE(batch.ok());
  return *batch;
}

bool Contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

}  // namespace

TEST_CASE("warehouses: upsert, get, list, update, an unchanged upsert writes nothing",
          "[inventory]") {
  auto driver = GENERATE(as<std::string>{}, "lmdb", "sqlite");
  CAPTURE(driver);
  TempDir dir;
  auto e = commerce::testing::OpenTestEngine(dir.path(), driver);
  Inventory& inv = e->inventory();

  uint64_t seq0 = LastSeq(*e);
  AddWarehouse(*e, MakeWarehouse("w-b", "eu-west", 3));
  AddWarehouse(*e, MakeWarehouse("w-a", "us-east", 7));
  auto got = inv.get_warehouse("w-b");
  REQUIRE(got.ok());
  CHECK(*got == MakeWarehouse("w-b", "eu-west", 3));
  auto all = inv.list_warehouses();
  REQUIRE(all.ok());
  REQUIRE(all->size() == 2);
  CHECK((*all)[0].id == "w-a");  // by id
  CHECK((*all)[1].id == "w-b");
  auto events = EventsAfter(*e, seq0);
  REQUIRE(events.size() == 2);
  CHECK(events[0].type == "WarehouseUpserted");
  CHECK(events[0].subject == "w-b");
  CHECK(Contains(events[0].data, "\"region\":\"eu-west\""));
  CHECK(Contains(events[0].data, "\"created\":true"));

  // Same content: no write, no event.
  uint64_t seq1 = LastSeq(*e);
  AddWarehouse(*e, MakeWarehouse("w-b", "eu-west", 3));
  CHECK(LastSeq(*e) == seq1);

  // A change: stored, one event, not "created".
  AddWarehouse(*e, MakeWarehouse("w-b", "eu-north", 3, false));
  got = inv.get_warehouse("w-b");
  REQUIRE(got.ok());
  CHECK(got->region == "eu-north");
  CHECK_FALSE(got->active);
  events = EventsAfter(*e, seq1);
  REQUIRE(events.size() == 1);
  CHECK(Contains(events[0].data, "\"created\":false"));
  CHECK(Contains(events[0].data, "\"active\":false"));

  CHECK(inv.get_warehouse("nope").status().code() == Code::kNotFound);
  CHECK(inv.get_warehouse("").status().code() == Code::kInvalidArgument);
}

TEST_CASE("warehouses: bad input is InvalidArgument naming the field, nothing written",
          "[inventory]") {
  auto driver = GENERATE(as<std::string>{}, "lmdb", "sqlite");
  CAPTURE(driver);
  TempDir dir;
  auto e = commerce::testing::OpenTestEngine(dir.path(), driver);
  struct Case {
    const char* name;
    std::function<void(Warehouse&)> spoil;
    const char* field;
  };
  const Case cases[] = {
      {"empty id", [](Warehouse& w) { w.id = ""; }, "id"},
      {"65-byte id", [](Warehouse& w) { w.id = std::string(65, 'w'); }, "id"},
      {"id with a control character", [](Warehouse& w) { w.id = "w\x01"; }, "id"},
      {"empty name", [](Warehouse& w) { w.name = ""; }, "name"},
      {"201-byte name", [](Warehouse& w) { w.name = std::string(201, 'n'); }, "name"},
      {"empty region", [](Warehouse& w) { w.region = ""; }, "region"},
      {"65-byte region", [](Warehouse& w) { w.region = std::string(65, 'r'); }, "region"},
      {"region with a trailing space", [](Warehouse& w) { w.region = "us-east "; }, "region"},
  };
  for (const auto& c : cases) {
    INFO("case: " << c.name);
    Warehouse w = MakeWarehouse("w1");
    c.spoil(w);
    uint64_t before = LastSeq(*e);
    auto r = e->inventory().upsert_warehouse(w);
    CHECK(r.status().code() == Code::kInvalidArgument);
    INFO("message: " << r.status().message());
    CHECK(r.status().message().rfind(std::string(c.field) + ": ", 0) == 0);
    CHECK(LastSeq(*e) == before);
    auto all = e->inventory().list_warehouses();
    REQUIRE(all.ok());
    CHECK(all->empty());
  }
}

TEST_CASE("receive, adjust, reserve, release, ship: counts and one event each", "[inventory]") {
  auto driver = GENERATE(as<std::string>{}, "lmdb", "sqlite");
  CAPTURE(driver);
  TempDir dir;
  auto e = Seeded(dir, driver);
  Inventory& inv = e->inventory();
  uint64_t seq0 = LastSeq(*e);

  auto r = inv.receive("A", "w1", 10);
  REQUIRE(r.ok());
  CHECK(r->on_hand == 10);
  CHECK(r->reserved == 0);
  CHECK(r->sku == "A");
  CHECK(r->warehouse_id == "w1");
  CHECK(r->updated_at_ms > 0);
  r = inv.adjust("A", "w1", -2, "cycle count \"aisle 4\"");
  REQUIRE(r.ok());
  CHECK(r->on_hand == 8);
  r = inv.reserve("A", "w1", 5, "pos-17");
  REQUIRE(r.ok());
  CHECK(r->reserved == 5);
  CHECK(r->available() == 3);
  r = inv.release("A", "w1", 2, "pos-17");
  REQUIRE(r.ok());
  CHECK(r->reserved == 3);
  r = inv.ship("A", "w1", 3, "pos-17");
  REQUIRE(r.ok());
  CHECK(r->on_hand == 5);
  CHECK(r->reserved == 0);
  CHECK(Level(*e, "A", "w1") == *r);

  auto events = EventsAfter(*e, seq0);
  REQUIRE(events.size() == 5);
  const char* types[] = {"StockReceived", "StockAdjusted", "StockReserved", "StockReleased",
                         "StockShipped"};
  for (size_t i = 0; i < 5; ++i) {
    CHECK(events[i].type == types[i]);
    CHECK(events[i].subject == "A");
    CHECK(Contains(events[i].data, "\"warehouse_id\":\"w1\""));
  }
  CHECK(Contains(events[0].data, "\"quantity\":10,\"on_hand\":10,\"reserved\":0"));
  // The reason is kept, escaped.
  CHECK(Contains(events[1].data, "\"delta\":-2,\"reason\":\"cycle count \\\"aisle 4\\\"\""));
  CHECK(Contains(events[2].data, "\"ref\":\"pos-17\""));
  CHECK(Contains(events[4].data, "\"on_hand\":5,\"reserved\":0"));
}

TEST_CASE("stock of a SKU across warehouses: inactive warehouses hold stock but none is available",
          "[inventory]") {
  auto driver = GENERATE(as<std::string>{}, "lmdb", "sqlite");
  CAPTURE(driver);
  TempDir dir;
  auto e = Seeded(dir, driver);
  Inventory& inv = e->inventory();
  REQUIRE(inv.receive("A", "w1", 10).ok());
  REQUIRE(inv.receive("A", "w2", 4).ok());
  REQUIRE(inv.reserve("A", "w2", 1, "hold").ok());
  // w3 had stock before it closed.
  AddWarehouse(*e, MakeWarehouse("w3"));
  REQUIRE(inv.receive("A", "w3", 6).ok());
  AddWarehouse(*e, MakeWarehouse("w3", "us-east", 0, false));

  auto s = inv.get("A");
  REQUIRE(s.ok());
  CHECK(s->sku == "A");
  REQUIRE(s->levels.size() == 3);
  CHECK(s->levels[0].warehouse_id == "w1");
  CHECK(s->levels[1].warehouse_id == "w2");
  CHECK(s->levels[2].warehouse_id == "w3");
  CHECK(s->on_hand == 20);
  CHECK(s->reserved == 1);
  CHECK(s->available == 13);  // 10 + 3; w3's 6 are not available

  // No rows: zero stock, for a known SKU.
  auto b = inv.get("B");
  REQUIRE(b.ok());
  CHECK(b->levels.empty());
  CHECK(b->available == 0);
  auto level = inv.get("B", "w1");
  REQUIRE(level.ok());
  CHECK(level->on_hand == 0);
  CHECK(level->reserved == 0);
  CHECK(level->sku == "B");
  CHECK(level->warehouse_id == "w1");

  CHECK(inv.get("NOPE").status().code() == Code::kNotFound);
  CHECK(inv.get("NOPE", "w1").status().code() == Code::kNotFound);
  CHECK(inv.get("A", "nowhere").status().code() == Code::kNotFound);

  // Inactive: no new stock, no new holds; releasing, shipping and adjusting still work so
  // the warehouse can be emptied.
  auto closed = inv.receive("A", "w3", 1);
  CHECK(closed.status().code() == Code::kFailedPrecondition);
  CHECK(Contains(closed.status().message(), "inactive"));
  CHECK(inv.reserve("A", "w3", 1, "x").status().code() == Code::kFailedPrecondition);
  CHECK(inv.adjust("A", "w3", -6, "closing down").ok());
  CHECK(Level(*e, "A", "w3").on_hand == 0);
}

TEST_CASE("stock changes: bad input is rejected with the field named and nothing written",
          "[inventory]") {
  auto driver = GENERATE(as<std::string>{}, "lmdb", "sqlite");
  CAPTURE(driver);
  TempDir dir;
  auto e = Seeded(dir, driver);
  Inventory& inv = e->inventory();
  REQUIRE(inv.receive("A", "w1", 10).ok());
  REQUIRE(inv.reserve("A", "w1", 4, "hold").ok());
  const StockLevel before = Level(*e, "A", "w1");

  struct Case {
    const char* name;
    std::function<commerce::Status()> call;
    Code code;
    const char* message;  // a part of the message
  };
  using S = commerce::Status;
  const std::string long_ref(129, 'r');
  const std::string long_reason(201, 'r');
  const Case cases[] = {
      {"receive 0", [&] { return inv.receive("A", "w1", 0).status(); }, Code::kInvalidArgument, "qty: 0"},
      {"receive -1", [&] { return inv.receive("A", "w1", -1).status(); }, Code::kInvalidArgument, "qty: -1"},
      {"receive past kMaxQuantity", [&] { return inv.receive("A", "w1", kMaxQuantity + 1).status(); },
       Code::kInvalidArgument, "qty: 1000001"},
      {"receive unknown SKU", [&] { return inv.receive("NOPE", "w1", 1).status(); }, Code::kNotFound, "'NOPE'"},
      {"receive unknown warehouse", [&] { return inv.receive("A", "w9", 1).status(); }, Code::kNotFound, "'w9'"},
      {"receive inactive warehouse", [&] { return inv.receive("A", "w3", 1).status(); },
       Code::kFailedPrecondition, "inactive"},
      {"receive empty SKU", [&] { return inv.receive("", "w1", 1).status(); }, Code::kInvalidArgument, "sku: "},
      {"receive empty warehouse", [&] { return inv.receive("A", "", 1).status(); }, Code::kInvalidArgument, "warehouse_id: "},
      {"adjust 0", [&] { return inv.adjust("A", "w1", 0, "x").status(); }, Code::kInvalidArgument, "delta: 0"},
      {"adjust past kMaxQuantity", [&] { return inv.adjust("A", "w1", kMaxQuantity + 1, "x").status(); },
       Code::kInvalidArgument, "delta: "},
      {"adjust below -kMaxQuantity", [&] { return inv.adjust("A", "w1", -kMaxQuantity - 1, "x").status(); },
       Code::kInvalidArgument, "delta: "},
      {"adjust without a reason", [&] { return inv.adjust("A", "w1", 1, "").status(); }, Code::kInvalidArgument, "reason: "},
      {"adjust with a 201-byte reason", [&] { return inv.adjust("A", "w1", 1, long_reason).status(); },
       Code::kInvalidArgument, "reason: "},
      {"adjust below reserved", [&] { return inv.adjust("A", "w1", -7, "damaged").status(); },
       Code::kFailedPrecondition, "below the 4 reserved"},
      {"adjust below zero", [&] { return inv.adjust("A", "w2", -1, "damaged").status(); },
       Code::kFailedPrecondition, "below zero"},
      {"adjust unknown SKU", [&] { return inv.adjust("NOPE", "w1", 1, "x").status(); }, Code::kNotFound, "'NOPE'"},
      {"reserve more than available", [&] { return inv.reserve("A", "w1", 7, "r").status(); },
       Code::kOutOfStock, "sku 'A': 6 available in warehouse 'w1', 7 requested"},
      {"reserve 0", [&] { return inv.reserve("A", "w1", 0, "r").status(); }, Code::kInvalidArgument, "qty: 0"},
      {"reserve without ref", [&] { return inv.reserve("A", "w1", 1, "").status(); }, Code::kInvalidArgument, "ref: "},
      {"reserve with a 129-byte ref", [&] { return inv.reserve("A", "w1", 1, long_ref).status(); },
       Code::kInvalidArgument, "ref: "},
      {"reserve unknown warehouse", [&] { return inv.reserve("A", "w9", 1, "r").status(); }, Code::kNotFound, "'w9'"},
      {"release more than reserved", [&] { return inv.release("A", "w1", 5, "r").status(); },
       Code::kFailedPrecondition, "4 reserved, cannot release 5"},
      {"release -3", [&] { return inv.release("A", "w1", -3, "r").status(); }, Code::kInvalidArgument, "qty: -3"},
      {"ship more than reserved", [&] { return inv.ship("A", "w1", 5, "r").status(); },
       Code::kFailedPrecondition, "4 reserved, cannot ship 5"},
      {"ship past kMaxQuantity", [&] { return inv.ship("A", "w1", kMaxQuantity + 1, "r").status(); },
       Code::kInvalidArgument, "qty: "},
      {"ship unknown SKU", [&] { return inv.ship("NOPE", "w1", 1, "r").status(); }, Code::kNotFound, "'NOPE'"},
  };
  for (const auto& c : cases) {
    INFO("case: " << c.name);
    uint64_t seq = LastSeq(*e);
    S s = c.call();
    INFO("status: " << s.ToString());
    CHECK(s.code() == c.code);
    CHECK(Contains(s.message(), c.message));
    CHECK(LastSeq(*e) == seq);
    CHECK(Level(*e, "A", "w1") == before);
    CHECK(Level(*e, "A", "w2").on_hand == 0);
  }
  // The limits themselves are accepted.
  CHECK(inv.receive("A", "w1", kMaxQuantity).ok());
  CHECK(inv.adjust("A", "w1", -kMaxQuantity, std::string(200, 'r')).ok());
  CHECK(inv.reserve("A", "w1", 6, std::string(128, 'r')).ok());
  CHECK(Level(*e, "A", "w1").available() == 0);
}

TEST_CASE("8 threads reserving one unit at a time never oversell", "[inventory]") {
  auto driver = GENERATE(as<std::string>{}, "lmdb", "sqlite");
  CAPTURE(driver);
  TempDir dir;
  auto e = Seeded(dir, driver);
  REQUIRE(e->inventory().receive("A", "w1", 30).ok());
  constexpr int kThreads = 8, kAttempts = 6;  // 48 attempts for 30 units
  std::atomic<int> ok{0}, out_of_stock{0}, other{0};
  std::latch start(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      start.arrive_and_wait();
      for (int i = 0; i < kAttempts; ++i) {
        auto r = e->inventory().reserve("A", "w1", 1, "t" + std::to_string(t));
        if (r.ok()) ++ok;
        else if (r.status().IsOutOfStock()) ++out_of_stock;
        else ++other;
      }
    });
  }
  for (auto& th : threads) th.join();
  CHECK(ok == 30);
  CHECK(out_of_stock == kThreads * kAttempts - 30);
  CHECK(other == 0);
  StockLevel l = Level(*e, "A", "w1");
  CHECK(l.reserved == 30);
  CHECK(l.available() == 0);
}

}  // namespace inventory_inventory_test
