// Orders under concurrency (issue 3, "Tested, not argued"; issue 12, placement as one checked
// change set: src/order/order_placement.cpp), on LMDB and SQLite:
//   - 16 threads ordering one SKU whose 15 units are spread over 3 warehouses sell exactly
//     15, never one more; after cancelling, stock is whole again; with some orders shipped,
//     on hand + reserved + shipped is conserved per warehouse;
//   - the same idempotency key from 8 threads at once yields one order;
//   - one key with 8 different requests at once: one wins, the rest are Conflict;
//   - threads hammering one SKU with stock enough for all: every order placed, no check fails
//     (a reservation is a condition on the current counts, not on the counts a snapshot read);
//   - threads hammering one SKU with too little stock: exactly the stock sold, the rest
//     OutOfStock, no other error, and the checks that fail are bounded by those answers;
//   - one SKU under placements (sync and place_async), cancels, shipments and receipts at
//     once, selling out again and again: reserved never passes on hand, every receipt,
//     reservation, release and shipment is in the row (no lost update), no Conflict answers,
//     at most EngineCore::kMaxPrepareAttempts preparations of a placement on its own thread,
//     and checks that fail bounded by the units that arrived. Local drivers lock their store
//     to one process; two processes on one store are engine_multiprocess_test.cpp (postgres);
//   - a price changed between preparation and apply: the order is prepared again and pays the
//     new price, synchronously and with place_async;
//   - 8 threads ordering while another reprices: every order at a price the product had, and
//     the store passes commerce verify;
//   - the stock events a change set writes carry on_hand and reserved as the writer left them.
#include <atomic>
#include <future>
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

namespace order_concurrency_test {

namespace {

using namespace commerce;
using commerce::testing::TempDir;

Product Widget(int64_t price) {
  Product p;
  p.id = "widget";
  p.title = "Widget";
  Variant v;
  v.sku = "W-1";
  v.price = Money{price, "USD"};
  p.variants.push_back(v);
  return p;
}

std::unique_ptr<Engine> OpenShop(const TempDir& dir, const std::string& driver,
                                 std::shared_ptr<PricingPolicy> pricing = nullptr) {
  EngineOptions o;
  o.path = dir.path();
  o.driver = driver;
  o.run_background = false;
  o.pricing = std::move(pricing);
  auto e = Engine::open(o);
  INFO(e.status().ToString());
  REQUIRE(e.ok());
  auto engine = std::move(e).value();
  REQUIRE(engine->catalog().upsert(Widget(2500)).ok());
  Customer c;
  c.id = "c1";
  c.email = "c1@example.com";
  REQUIRE(engine->customers().create(c).ok());
  return engine;
}

// The shape most tests here share: one warehouse "wh" holding `qty` of W-1.
void StockOneWarehouse(Engine& e, int64_t qty) {
  REQUIRE(e.inventory().upsert_warehouse({"wh", "wh", "us-east", 0, true}).ok());
  REQUIRE(e.inventory().receive("W-1", "wh", qty).ok());
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

// Checks failed on the writer since open: the default apply runs a set as a mutation, and a
// set whose check fails is a mutation rolled back.
uint64_t FailedChecks(Engine& e) { return e.storage().stats().failed_mutations; }

void RequireVerified(Engine& e) {
  auto report = e.verify();
  REQUIRE(report.ok());
  INFO(report->ToText());
  CHECK(report->ok());
}

struct Tally {
  std::mutex mu;
  std::vector<Order> placed;
  std::atomic<int> out_of_stock{0}, errors{0};
  std::string first_error;
};

// `threads` threads, each placing `per_thread` orders of one unit.
void Hammer(Engine& e, int threads, int per_thread, Tally& tally) {
  std::latch start(threads);
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t)
    pool.emplace_back([&, t] {
      start.arrive_and_wait();
      for (int i = 0; i < per_thread; ++i) {
        auto r = e.orders().place(Req("t" + std::to_string(t) + "-" + std::to_string(i), 1));
        std::lock_guard<std::mutex> lock(tally.mu);
        if (r.ok()) tally.placed.push_back(*r);
        else if (r.status().IsOutOfStock()) ++tally.out_of_stock;
        else if (tally.errors++ == 0) tally.first_error = r.status().ToString();
      }
    });
  for (auto& th : pool) th.join();
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
  StockOneWarehouse(*e, 100);

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
  StockOneWarehouse(*e, 100);
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

TEST_CASE("threads hammering one SKU with stock for all: every order placed, no check fails",
          "[orders][concurrency]") {
  auto driver = GENERATE(as<std::string>{}, "lmdb", "sqlite");
  CAPTURE(driver);
  TempDir dir;
  auto e = OpenShop(dir, driver);
  StockOneWarehouse(*e, 1000);
  const uint64_t failed_before = FailedChecks(*e);

  Tally tally;
  Hammer(*e, 8, 40, tally);
  INFO(tally.first_error);
  REQUIRE(tally.errors == 0);
  CHECK(tally.out_of_stock == 0);
  CHECK(tally.placed.size() == 320);
  // A popular SKU is no storm of aborts: the reservations are conditions on the counts the
  // writer holds, so none of the 320 fails a check.
  CHECK(FailedChecks(*e) - failed_before == 0);
  auto level = e->inventory().get("W-1", "wh");
  REQUIRE(level.ok());
  CHECK(level->reserved == 320);
  CHECK(level->on_hand == 1000);
  RequireVerified(*e);
}

TEST_CASE("threads hammering one SKU with too little stock sell it exactly, the rest OutOfStock",
          "[orders][concurrency]") {
  auto driver = GENERATE(as<std::string>{}, "lmdb", "sqlite");
  CAPTURE(driver);
  TempDir dir;
  auto e = OpenShop(dir, driver);
  REQUIRE(e->inventory().upsert_warehouse({"wh-a", "wh-a", "us-east", 0, true}).ok());
  REQUIRE(e->inventory().upsert_warehouse({"wh-b", "wh-b", "us-east", 1, true}).ok());
  REQUIRE(e->inventory().receive("W-1", "wh-a", 30).ok());
  REQUIRE(e->inventory().receive("W-1", "wh-b", 20).ok());
  const uint64_t failed_before = FailedChecks(*e);

  Tally tally;
  Hammer(*e, 8, 20, tally);
  INFO(tally.first_error);
  REQUIRE(tally.errors == 0);
  CHECK(tally.placed.size() == 50);
  CHECK(tally.out_of_stock == 110);
  // A check fails only where a snapshot still showed units that others took; each such
  // order is prepared again (and then sees the truth), a bounded number of times.
  const uint64_t failed = FailedChecks(*e) - failed_before;
  CHECK(failed <= 4u * 110u);
  auto stock = e->inventory().get("W-1");
  REQUIRE(stock.ok());
  CHECK(stock->reserved == 50);
  CHECK(stock->available == 0);
  RequireVerified(*e);
}

namespace {

// Counts the preparations of each placement that run on the placing thread: a placement is
// priced once per preparation that finds stock, on the thread that prepares it.
class CountingPolicy : public PricingPolicy {
 public:
  Result<PricingResult> price(const PricingInput&) const override {
    ++prepared_here;
    return PricingResult{0, 0};
  }
  static thread_local int prepared_here;
};
thread_local int CountingPolicy::prepared_here = 0;

}  // namespace

TEST_CASE("one SKU under placements, cancels, shipments and receipts at once: no oversell, no "
          "lost update, no Conflict, bounded preparations",
          "[orders][concurrency]") {
  auto driver = GENERATE(as<std::string>{}, "lmdb", "sqlite");
  CAPTURE(driver);
  TempDir dir;
  auto e = OpenShop(dir, driver, std::make_shared<CountingPolicy>());
  constexpr int64_t kInitial = 40;
  StockOneWarehouse(*e, kInitial);
  const uint64_t failed_before = FailedChecks(*e);

  // 4 threads place one unit at a time and wait; 4 keep 4 placements each in flight with
  // place_async. Together they ask for more than arrives, so the SKU sells out again and again.
  constexpr int kSyncThreads = 4, kAsyncThreads = 4, kPerThread = 40, kInFlight = 4;
  constexpr int kReceipts = 60;
  std::mutex mu;
  std::vector<Order> placed;       // GUARDED_BY(mu)
  std::vector<std::string> queue;  // GUARDED_BY(mu): placed, not yet cancelled or shipped
  std::atomic<int> out_of_stock{0}, errors{0}, conflicts{0}, too_many_preparations{0};
  std::string first_error;         // GUARDED_BY(mu)
  auto answer = [&](Result<Order> r) {
    std::lock_guard<std::mutex> lock(mu);
    if (r.ok()) {
      queue.push_back(r->id);
      placed.push_back(std::move(*r));
    } else if (r.status().IsOutOfStock()) {
      ++out_of_stock;
    } else {
      if (r.status().IsConflict()) ++conflicts;
      if (errors++ == 0) first_error = r.status().ToString();
    }
  };
  std::atomic<int> placers_left{kSyncThreads + kAsyncThreads};
  std::latch start(kSyncThreads + kAsyncThreads + 3);
  std::vector<std::thread> pool;
  for (int t = 0; t < kSyncThreads; ++t)
    pool.emplace_back([&, t] {
      start.arrive_and_wait();
      for (int i = 0; i < kPerThread; ++i) {
        CountingPolicy::prepared_here = 0;
        answer(e->orders().place(Req("s" + std::to_string(t) + "-" + std::to_string(i), 1)));
        // Prepared again at most kMaxPrepareAttempts times on this thread; after that on the
        // writer, where what it reads is current.
        if (CountingPolicy::prepared_here > 4) ++too_many_preparations;
      }
      --placers_left;
    });
  for (int t = 0; t < kAsyncThreads; ++t)
    pool.emplace_back([&, t] {
      start.arrive_and_wait();
      for (int i = 0; i < kPerThread; i += kInFlight) {
        std::vector<std::future<void>> done;
        for (int j = i; j < i + kInFlight && j < kPerThread; ++j) {
          auto p = std::make_shared<std::promise<void>>();
          done.push_back(p->get_future());
          e->orders().place_async(Req("a" + std::to_string(t) + "-" + std::to_string(j), 1),
                                  [&, p](Result<Order> r, bool) {
                                    answer(std::move(r));
                                    p->set_value();
                                  });
        }
        for (auto& f : done) f.get();
      }
      --placers_left;
    });
  // Receipts: +1 at a time, a read-modify-write of the same stock row on the writer.
  std::atomic<int> receipt_errors{0};
  pool.emplace_back([&] {
    start.arrive_and_wait();
    for (int i = 0; i < kReceipts; ++i) {
      if (!e->inventory().receive("W-1", "wh", 1).ok()) ++receipt_errors;
      std::this_thread::yield();
    }
  });
  // Cancels every other placed order (releasing its unit) and ships the rest.
  std::atomic<int> cancelled{0}, shipped{0}, transition_errors{0};
  pool.emplace_back([&] {
    start.arrive_and_wait();
    for (int n = 0;; ++n) {
      std::string id;
      {
        std::lock_guard<std::mutex> lock(mu);
        if (!queue.empty()) {
          id = queue.back();
          queue.pop_back();
        }
      }
      if (id.empty()) {
        if (placers_left == 0) return;
        std::this_thread::yield();
        continue;
      }
      if (n % 2 == 0) {
        if (e->orders().transition(id, OrderStatus::kCancelled).ok()) ++cancelled;
        else ++transition_errors;
      } else {
        bool ok = true;
        for (OrderStatus s : {OrderStatus::kPaid, OrderStatus::kFulfilling, OrderStatus::kShipped})
          ok = ok && e->orders().transition(id, s).ok();
        if (ok) ++shipped;
        else ++transition_errors;
      }
    }
  });
  // Watches the row: reserved never passes on hand.
  std::atomic<int> oversold_seen{0}, reads{0};
  pool.emplace_back([&] {
    start.arrive_and_wait();
    while (placers_left > 0) {
      auto level = e->inventory().get("W-1", "wh");
      if (level.ok() && level->reserved > level->on_hand) ++oversold_seen;
      ++reads;
    }
  });
  for (auto& th : pool) th.join();

  INFO(first_error);
  CHECK(errors == 0);
  CHECK(conflicts == 0);
  CHECK(receipt_errors == 0);
  CHECK(transition_errors == 0);
  CHECK(too_many_preparations == 0);
  CHECK(oversold_seen == 0);
  CHECK(reads > 0);
  const int asked = (kSyncThreads + kAsyncThreads) * kPerThread;
  CHECK(static_cast<int>(placed.size()) + out_of_stock == asked);
  CHECK(out_of_stock > 0);  // the SKU did sell out under them
  // No lost update: every receipt, reservation, release and shipment is in the row.
  auto level = e->inventory().get("W-1", "wh");
  REQUIRE(level.ok());
  CHECK(level->on_hand == kInitial + kReceipts - shipped);
  CHECK(level->reserved == static_cast<int64_t>(placed.size()) - cancelled - shipped);
  CHECK(level->reserved == static_cast<int64_t>(queue.size()));
  // No oversell: what was placed never passed what arrived plus what cancels gave back.
  CHECK(static_cast<int64_t>(placed.size()) <= kInitial + kReceipts + cancelled);
  // No error storm: a check fails only when units a snapshot showed were taken before the
  // set was applied, which needs a unit to arrive (initial stock, a receipt or a cancel) and
  // be taken by another of the 8 placers first.
  const uint64_t failed = FailedChecks(*e) - failed_before;
  INFO("failed checks: " << failed << ", placed " << placed.size() << ", out of stock "
                         << out_of_stock << ", cancelled " << cancelled << ", shipped " << shipped);
  CHECK(failed <= 8u * static_cast<uint64_t>(kInitial + kReceipts + cancelled));
  RequireVerified(*e);
}

namespace {

// A policy that reprices the widget the first time it is asked, after the placement read the
// old price and before its set is applied: the set's expect on the product must fail.
class RepricingPolicy : public PricingPolicy {
 public:
  Result<PricingResult> price(const PricingInput&) const override {
    if (engine && !done.exchange(true)) {
      auto r = engine->catalog().upsert(Widget(3100));
      if (!r.ok()) return r.status();
    }
    return PricingResult{0, 0};
  }
  Engine* engine = nullptr;
  mutable std::atomic<bool> done{false};
};

}  // namespace

TEST_CASE("a price changed under a placement: prepared again, the order pays the new price",
          "[orders]") {
  auto driver = GENERATE(as<std::string>{}, "lmdb", "sqlite");
  const bool async = GENERATE(false, true);
  CAPTURE(driver, async);
  TempDir dir;
  auto policy = std::make_shared<RepricingPolicy>();
  auto e = OpenShop(dir, driver, policy);
  StockOneWarehouse(*e, 10);
  policy->engine = e.get();
  const uint64_t failed_before = FailedChecks(*e);

  Result<Order> placed = Status::Internal("not answered");
  if (async) {
    std::promise<Result<Order>> answer;
    e->orders().place_async(Req("k1", 2), [&](Result<Order> o, bool) { answer.set_value(std::move(o)); });
    placed = answer.get_future().get();
  } else {
    placed = e->orders().place(Req("k1", 2));
  }
  INFO(placed.status().ToString());
  REQUIRE(placed.ok());
  CHECK(policy->done);
  CHECK(FailedChecks(*e) - failed_before == 1);  // the first set's expect on the product
  CHECK(placed->lines.at(0).unit_price == Money{3100, "USD"});
  CHECK(placed->subtotal == Money{6200, "USD"});
  CHECK(e->inventory().get("W-1", "wh")->reserved == 2);
  RequireVerified(*e);
}

TEST_CASE("8 threads ordering while the price changes: every order at a price it had",
          "[orders][concurrency]") {
  auto driver = GENERATE(as<std::string>{}, "lmdb", "sqlite");
  CAPTURE(driver);
  TempDir dir;
  auto e = OpenShop(dir, driver);
  StockOneWarehouse(*e, 10'000);

  std::atomic<bool> stop{false};
  std::atomic<int> reprice_errors{0};
  // Every price the widget had: written only by the repricer, read after it is joined.
  std::set<int64_t> prices = {2500};
  std::thread repricer([&] {
    for (int64_t price = 2600; !stop; price += 100) {
      prices.insert(price);
      if (!e->catalog().upsert(Widget(price)).ok()) ++reprice_errors;
    }
  });
  Tally tally;
  Hammer(*e, 8, 25, tally);
  stop = true;
  repricer.join();
  CHECK(reprice_errors == 0);
  CHECK(prices.size() > 2);
  INFO(tally.first_error);
  REQUIRE(tally.errors == 0);
  REQUIRE(tally.placed.size() == 200);
  for (const Order& o : tally.placed) {
    CAPTURE(o.id);
    CHECK(prices.count(o.lines.at(0).unit_price.minor) == 1);
    CHECK(o.subtotal == o.lines.at(0).unit_price);
  }
  CHECK(e->inventory().get("W-1", "wh")->reserved == 200);
  RequireVerified(*e);
}

TEST_CASE("stock events of a placement carry the counts the writer left", "[orders][events]") {
  auto driver = GENERATE(as<std::string>{}, "lmdb", "sqlite");
  CAPTURE(driver);
  TempDir dir;
  auto e = OpenShop(dir, driver);
  StockOneWarehouse(*e, 9);
  REQUIRE(e->inventory().reserve("W-1", "wh", 2, "hold-1").ok());
  auto from = e->events().last_seq();
  REQUIRE(from.ok());
  auto o = e->orders().place(Req("k1", 3));
  REQUIRE(o.ok());
  auto events = e->events().tail(*from + 1, 10);
  REQUIRE(events.ok());
  REQUIRE(events->size() == 2);
  CHECK((*events)[0].type == "OrderPlaced");
  CHECK((*events)[1].type == "StockReserved");
  CHECK((*events)[1].subject == "W-1");
  CHECK((*events)[1].data == "{\"sku\":\"W-1\",\"warehouse_id\":\"wh\",\"quantity\":3,\"ref\":\"" +
                                 o->id + "\",\"on_hand\":9,\"reserved\":5}");
  // The order's placement sequence is OrderPlaced's: the listings find it there.
  auto listed = e->orders().list_by_customer("c1");
  REQUIRE(listed.ok());
  REQUIRE(listed->items.size() == 1);
  CHECK(listed->items[0] == *o);
  auto by_status = e->orders().list_by_status(OrderStatus::kPlaced);
  REQUIRE(by_status.ok());
  REQUIRE(by_status->items.size() == 1);
  CHECK(by_status->items[0].id == o->id);
  // A transition rewrites the record with the sequence inside and moves the index entry.
  REQUIRE(e->orders().transition(o->id, OrderStatus::kPaid).ok());
  CHECK(e->orders().list_by_status(OrderStatus::kPlaced)->items.empty());
  CHECK(e->orders().list_by_status(OrderStatus::kPaid)->items.size() == 1);
  RequireVerified(*e);
}

}  // namespace order_concurrency_test
