// Orders under concurrency (issue 3, "Tested, not argued"), on LMDB and SQLite:
//   - 16 threads ordering one SKU whose 15 units are spread over 3 warehouses sell exactly
//     15, never one more; after cancelling, stock is whole again; with some orders shipped,
//     on hand + reserved + shipped is conserved per warehouse;
//   - the same idempotency key from 8 threads at once yields one order;
//   - one key with 8 different requests at once: one wins, the rest are Conflict.
#include <atomic>
#include <latch>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

#include "commerce/engine.h"
#include "test_dir.h"

namespace {

using namespace commerce;
using commerce::testing::TempDir;

std::unique_ptr<Engine> OpenShop(const TempDir& dir, const std::string& driver) {
  EngineOptions o;
  o.path = dir.path();
  o.driver = driver;
  o.run_background = false;
  auto e = Engine::open(o);
  INFO(e.status().ToString());
  REQUIRE(e.ok());
  auto engine = std::move(e).value();
  Product p;
  p.id = "widget";
  p.title = "Widget";
  Variant v;
  v.sku = "W-1";
  v.price = Money{2500, "USD"};
  p.variants.push_back(v);
  REQUIRE(engine->catalog().upsert(p).ok());
  Customer c;
  c.id = "c1";
  c.email = "c1@example.com";
  REQUIRE(engine->customers().create(c).ok());
  return engine;
}

PlaceOrder Req(std::string key, int64_t qty, std::string region = "us-east") {
  PlaceOrder r;
  r.idempotency_key = std::move(key);
  r.customer_id = "c1";
  r.lines = {{"W-1", qty}};
  r.shipping_address.name = "Ada";
  r.shipping_address.line1 = "1 Main St";
  r.shipping_address.city = "Springfield";
  r.shipping_address.region = std::move(region);
  r.shipping_address.country = "US";
  return r;
}

}  // namespace

TEST_CASE("16 threads sell exactly the units in stock across 3 warehouses, never one more",
          "[orders][concurrency]") {
  auto driver = GENERATE(as<std::string>{}, "lmdb", "sqlite");
  CAPTURE(driver);
  TempDir dir;
  auto e = OpenShop(dir, driver);
  const std::map<std::string, int64_t> received = {{"wh-a", 7}, {"wh-b", 5}, {"wh-c", 3}};
  int32_t priority = 0;
  for (const auto& [wh, qty] : received) {
    REQUIRE(e->inventory().upsert_warehouse({wh, wh, "us-east", priority++, true}).ok());
    REQUIRE(e->inventory().receive("W-1", wh, qty).ok());
  }

  // Each thread orders 1 or 2 units until not even one is left: it stops only after an
  // OutOfStock for a single unit, so together they must sell every unit.
  constexpr int kThreads = 16;
  std::mutex mu;
  std::vector<Order> sold;  // GUARDED_BY(mu)
  std::atomic<int> out_of_stock{0}, errors{0};
  std::latch start(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      std::mt19937 rng(t);
      start.arrive_and_wait();
      for (int i = 0;; ++i) {
        int64_t qty = 1 + static_cast<int64_t>(rng() % 2);
        auto r = e->orders().place(Req("t" + std::to_string(t) + "-" + std::to_string(i), qty));
        if (r.ok()) {
          std::lock_guard<std::mutex> lock(mu);
          sold.push_back(*r);
          continue;
        }
        if (!r.status().IsOutOfStock()) {
          ++errors;
          return;
        }
        ++out_of_stock;
        if (qty == 1) return;
      }
    });
  }
  for (auto& th : threads) th.join();
  REQUIRE(errors == 0);
  CHECK(out_of_stock >= kThreads);

  int64_t units = 0;
  std::map<std::string, int64_t> reserved_by_orders;
  for (const auto& o : sold)
    for (const auto& s : o.shipments)
      for (const auto& item : s.items) {
        units += item.quantity;
        reserved_by_orders[s.warehouse_id] += item.quantity;
      }
  CHECK(units == 15);
  auto stock = e->inventory().get("W-1");
  REQUIRE(stock.ok());
  CHECK(stock->available == 0);
  CHECK(stock->reserved == 15);
  for (const auto& level : stock->levels)
    CHECK(level.reserved == reserved_by_orders[level.warehouse_id]);

  // Ship every other order, cancel the rest: per warehouse, what was received is what is on
  // hand plus what shipped; nothing stays reserved; available is what did not ship.
  std::map<std::string, int64_t> shipped;
  for (size_t i = 0; i < sold.size(); ++i) {
    const Order& o = sold[i];
    if (i % 2 == 0) {
      for (OrderStatus s : {OrderStatus::kPaid, OrderStatus::kFulfilling, OrderStatus::kShipped})
        REQUIRE(e->orders().transition(o.id, s).ok());
      for (const auto& sh : o.shipments)
        for (const auto& item : sh.items) shipped[sh.warehouse_id] += item.quantity;
    } else {
      REQUIRE(e->orders().transition(o.id, OrderStatus::kCancelled).ok());
    }
  }
  stock = e->inventory().get("W-1");
  REQUIRE(stock.ok());
  int64_t shipped_total = 0;
  for (const auto& level : stock->levels) {
    CAPTURE(level.warehouse_id);
    CHECK(level.reserved == 0);
    CHECK(level.on_hand + level.reserved + shipped[level.warehouse_id] ==
          received.at(level.warehouse_id));
    shipped_total += shipped[level.warehouse_id];
  }
  CHECK(shipped_total > 0);
  CHECK(stock->available == 15 - shipped_total);

  // Cancelling everything that did not ship made the rest whole again: it sells once more.
  auto again = e->orders().place(Req("after", 15 - shipped_total));
  INFO(again.status().ToString());
  CHECK(again.ok());
}

TEST_CASE("the same idempotency key from 8 threads at once yields one order",
          "[orders][concurrency]") {
  auto driver = GENERATE(as<std::string>{}, "lmdb", "sqlite");
  CAPTURE(driver);
  TempDir dir;
  auto e = OpenShop(dir, driver);
  REQUIRE(e->inventory().upsert_warehouse({"wh", "wh", "us-east", 0, true}).ok());
  REQUIRE(e->inventory().receive("W-1", "wh", 100).ok());

  for (int round = 0; round < 3; ++round) {
    constexpr int kThreads = 8;
    std::vector<Result<Order>> results(kThreads, Status::Internal("not run"));
    std::latch start(kThreads);
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] {
        start.arrive_and_wait();
        results[t] = e->orders().place(Req("same-" + std::to_string(round), 2));
      });
    }
    for (auto& th : threads) th.join();
    std::set<std::string> ids;
    for (const auto& r : results) {
      INFO(r.status().ToString());
      REQUIRE(r.ok());
      ids.insert(r->id);
    }
    CHECK(ids.size() == 1);
  }
  // Three orders in all, 2 units reserved by each.
  auto listed = e->orders().list_by_customer("c1");
  REQUIRE(listed.ok());
  CHECK(listed->items.size() == 3);
  auto level = e->inventory().get("W-1", "wh");
  REQUIRE(level.ok());
  CHECK(level->reserved == 6);
}

TEST_CASE("one key, 8 different requests at once: one order, seven Conflicts",
          "[orders][concurrency]") {
  auto driver = GENERATE(as<std::string>{}, "lmdb", "sqlite");
  CAPTURE(driver);
  TempDir dir;
  auto e = OpenShop(dir, driver);
  REQUIRE(e->inventory().upsert_warehouse({"wh", "wh", "us-east", 0, true}).ok());
  REQUIRE(e->inventory().receive("W-1", "wh", 100).ok());
  constexpr int kThreads = 8;
  std::vector<Result<Order>> results(kThreads, Status::Internal("not run"));
  std::latch start(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      start.arrive_and_wait();
      results[t] = e->orders().place(Req("contested", 1 + t));  // a different quantity each
    });
  }
  for (auto& th : threads) th.join();
  int ok = 0, conflict = 0;
  int64_t winner_qty = 0;
  for (int t = 0; t < kThreads; ++t) {
    INFO(results[t].status().ToString());
    if (results[t].ok()) {
      ++ok;
      winner_qty = 1 + t;
      CHECK(results[t]->lines.at(0).quantity == winner_qty);
    } else {
      CHECK(results[t].status().IsConflict());
      ++conflict;
    }
  }
  CHECK(ok == 1);
  CHECK(conflict == kThreads - 1);
  auto level = e->inventory().get("W-1", "wh");
  REQUIRE(level.ok());
  CHECK(level->reserved == winner_qty);
}
