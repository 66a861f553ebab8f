// Hot SKUs (issue 20, part 3): stock split into slots for a flash sale and merged back
// (Inventory::split_stock / merge_stock; src/inventory/stock_split.cpp, stock_store.cpp, the
// slot reservations of order_placement.cpp), on every storage driver (TestStorageDrivers):
//   - split and merge keep the totals; reads, orders and every stock call see the sums;
//   - 8 threads buying a split SKU to zero sell exactly the stock, never one more, and are
//     never refused while units remain;
//   - a quantity no slot holds alone is reserved from several slots in one order;
//   - merging and splitting again while 8 threads buy: still exact;
//   - bad input (slots out of 2..kMaxStockSlots, unknown SKU or warehouse, split twice, merge
//     of a plain stock) is refused with nothing written;
//   - a damaged slot row (bytes, a missing slot, a plain row beside slots) is Corruption on
//     read and a problem for commerce verify.
// Split and merge are each one write (one mutation), so a crash leaves one shape or the other.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <functional>
#include <latch>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

#include "commerce/engine.h"
#include "common/key.h"
#include "pg_fixture.h"
#include "test_dir.h"
#include "test_engine.h"
#include "test_scale.h"

namespace inventory_stock_split_test {

namespace {

using namespace commerce;
using commerce::testing::PgOrder;
using commerce::testing::TempDir;

struct Shop {
  TempDir dir;
  std::unique_ptr<Engine> engine;
  Inventory& inv() { return engine->inventory(); }
};

std::unique_ptr<Shop> OpenShop(const std::string& driver) {
  auto shop = std::make_unique<Shop>();
  EngineOptions o = commerce::testing::QuietEngineOptions(shop->dir.path());
  commerce::testing::UseTestDriver(o, driver, "split");
  auto e = Engine::open(o);
  INFO(e.status().ToString());
  REQUIRE(e.ok());
  shop->engine = std::move(e).value();
  REQUIRE(shop->engine->catalog().upsert(commerce::testing::PlainProduct("hot", "Hot")).ok());
  Customer c;
  c.id = "c1";
  c.email = "c1@example.com";
  REQUIRE(shop->engine->customers().create(c).ok());
  REQUIRE(shop->inv().upsert_warehouse({"wh", "Warehouse", "us-east", 0, true}).ok());
  return shop;
}

constexpr char kSku[] = "SKU-hot";

StockLevel Level(Shop& s) {
  auto l = s.inv().get(kSku, "wh");
  INFO(l.status().ToString());
  REQUIRE(l.ok());
  return *l;
}

void RequireVerified(Engine& e) {
  auto report = e.verify();
  REQUIRE(report.ok());
  INFO(report->ToText());
  CHECK(report->ok());
}

// The raw rows of the stock table under (kSku, "wh"), plain row and slots.
std::vector<KeyValue> RawRows(Engine& e) {
  auto table = e.storage().table("stock");
  REQUIRE(table.ok());
  auto snap = e.storage().read();
  REQUIRE(snap.ok());
  const std::string begin = KeyBuilder().str(kSku).str("wh").key();
  auto read = (*snap)->read_many({}, {{*table, begin, PrefixEnd(begin)}});
  REQUIRE(read.ok());
  return read->ranges[0];
}

void RawWrite(Engine& e, const std::function<Status(WriteTxn&, Table)>& f) {
  auto table = e.storage().table("stock");
  REQUIRE(table.ok());
  Status s = e.storage().write([&](WriteTxn& txn) { return f(txn, *table); });
  INFO(s.ToString());
  REQUIRE(s.ok());
}

std::string SlotKey(int64_t slot) {
  return KeyBuilder().str(kSku).str("wh").u64(static_cast<uint64_t>(slot)).key();
}

// What the buyers of a sale saw.
struct Sale {
  std::atomic<int64_t> sold{0}, false_refusals{0}, errors{0};
  std::mutex mu;
  std::string first_error;

  void Error(const Status& s) {
    ++errors;
    std::lock_guard<std::mutex> lock(mu);
    if (first_error.empty()) first_error = s.ToString();
  }
};

// 8 threads, each placing orders of 1 unit (or of 1 and 2 alternately) until one of 1 unit
// is refused. Stock only goes down meanwhile, so a refusal while the units asked for are still
// available afterwards was a false one. `started` is counted down once the threads are ready.
std::vector<std::thread> Buyers(Shop& s, Sale& sale, bool ones_and_twos, std::latch& started) {
  std::vector<std::thread> pool;
  for (int t = 0; t < 8; ++t)
    pool.emplace_back([&s, &sale, &started, ones_and_twos, t] {
      started.arrive_and_wait();
      for (int i = 0;; ++i) {
        const int64_t qty = ones_and_twos ? 1 + i % 2 : 1;
        auto r = s.engine->orders().place(PgOrder("t" + std::to_string(t) + "-" + std::to_string(i), kSku, qty));
        if (r.ok()) {
          sale.sold += qty;
          continue;
        }
        if (!r.status().IsOutOfStock()) return sale.Error(r.status());
        auto now = s.inv().get(kSku, "wh");
        if (!now.ok()) return sale.Error(now.status());
        if (now->available() >= qty) ++sale.false_refusals;
        if (qty == 1) return;
      }
    });
  return pool;
}

}  // namespace

TEST_CASE("split and merge keep the totals: reads and every stock call see the sums",
          "[inventory][stock_split]") {
  for (const std::string& driver : commerce::testing::TestStorageDrivers()) {
    CAPTURE(driver);
    auto shop = OpenShop(driver);
    Shop& s = *shop;
    REQUIRE(s.inv().receive(kSku, "wh", 103).ok());
    REQUIRE(s.inv().reserve(kSku, "wh", 7, "pos-1").ok());
    const std::vector<KeyValue> plain = RawRows(*s.engine);
    REQUIRE(plain.size() == 1);

    auto split = s.inv().split_stock(kSku, "wh", 4);
    INFO(split.status().ToString());
    REQUIRE(split.ok());
    CHECK(split->on_hand == 103);
    CHECK(split->reserved == 7);
    CHECK(split->slots == 4);
    CHECK(RawRows(*s.engine).size() == 4);  // the plain row gone, slots 0..3
    StockLevel l = Level(s);
    CHECK(l.on_hand == 103);
    CHECK(l.reserved == 7);
    CHECK(l.slots == 4);
    auto all = s.inv().get(kSku);
    REQUIRE(all.ok());
    REQUIRE(all->levels.size() == 1);
    CHECK(all->levels[0].slots == 4);
    CHECK(all->available == 96);

    // Every call on the sums: receive, adjust both ways, reserve, release, ship.
    CHECK(s.inv().receive(kSku, "wh", 10)->on_hand == 113);
    CHECK(s.inv().adjust(kSku, "wh", -30, "damaged")->on_hand == 83);
    CHECK(s.inv().adjust(kSku, "wh", 2, "found")->on_hand == 85);
    auto held = s.inv().reserve(kSku, "wh", 50, "pos-2");  // more than any one slot holds
    INFO(held.status().ToString());
    REQUIRE(held.ok());
    CHECK(held->reserved == 57);
    CHECK(s.inv().release(kSku, "wh", 20, "pos-2")->reserved == 37);
    auto shipped = s.inv().ship(kSku, "wh", 30, "pos-2");
    REQUIRE(shipped.ok());
    CHECK(shipped->on_hand == 55);
    CHECK(shipped->reserved == 7);
    // Past the sum: refused as on a plain row.
    CHECK(s.inv().reserve(kSku, "wh", 49, "pos-3").status().code() == Code::kOutOfStock);
    CHECK(s.inv().adjust(kSku, "wh", -49, "lost").status().code() == Code::kFailedPrecondition);
    CHECK(s.inv().release(kSku, "wh", 8, "pos-1").status().code() == Code::kFailedPrecondition);

    // An order, cancelled: its units come back to the sum.
    auto order = s.engine->orders().place(PgOrder("o1", kSku, 40));
    INFO(order.status().ToString());
    REQUIRE(order.ok());
    CHECK(Level(s).reserved == 47);
    REQUIRE(s.engine->orders().transition(order->id, OrderStatus::kCancelled, {}).ok());
    CHECK(Level(s).reserved == 7);
    RequireVerified(*s.engine);

    auto merged = s.inv().merge_stock(kSku, "wh");
    INFO(merged.status().ToString());
    REQUIRE(merged.ok());
    CHECK(merged->on_hand == 55);
    CHECK(merged->reserved == 7);
    CHECK(merged->slots == 0);
    const std::vector<KeyValue> after = RawRows(*s.engine);
    REQUIRE(after.size() == 1);
    CHECK(after[0].key == plain[0].key);  // the plain row again, under its own key
    CHECK(Level(s).slots == 0);
    CHECK(s.inv().release(kSku, "wh", 7, "pos-1")->reserved == 0);
    auto types = commerce::testing::EventTypesWithPrefix(*s.engine, "StockS");
    CHECK(std::count(types.begin(), types.end(), "StockSplit") == 1);
    RequireVerified(*s.engine);
  }
}

TEST_CASE("8 threads buy a split SKU to zero: exactly the stock, never refused while units remain",
          "[inventory][stock_split][concurrency]") {
  for (const std::string& driver : commerce::testing::TestStorageDrivers()) {
    CAPTURE(driver);
    auto shop = OpenShop(driver);
    Shop& s = *shop;
    const int64_t stock = commerce::testing::Scaled(240, 80);
    REQUIRE(s.inv().receive(kSku, "wh", stock).ok());
    REQUIRE(s.inv().split_stock(kSku, "wh", 8).ok());
    Sale sale;
    std::latch started(8);
    for (auto& th : Buyers(s, sale, false, started)) th.join();
    INFO(sale.first_error);
    CHECK(sale.errors == 0);
    CHECK(sale.sold == stock);
    CHECK(sale.false_refusals == 0);
    StockLevel l = Level(s);
    CHECK(l.on_hand == stock);
    CHECK(l.reserved == stock);  // 0 oversold: reserved never passes on hand
    RequireVerified(*s.engine);
  }
}

TEST_CASE("a quantity no slot holds alone is reserved from several slots in one order",
          "[inventory][stock_split]") {
  for (const std::string& driver : commerce::testing::TestStorageDrivers()) {
    CAPTURE(driver);
    auto shop = OpenShop(driver);
    Shop& s = *shop;
    REQUIRE(s.inv().receive(kSku, "wh", 10).ok());
    REQUIRE(s.inv().split_stock(kSku, "wh", 4).ok());  // slots of 3, 3, 2, 2
    auto big = s.engine->orders().place(PgOrder("big", kSku, 9));
    INFO(big.status().ToString());
    REQUIRE(big.ok());
    REQUIRE(big->shipments.size() == 1);
    CHECK(big->shipments[0].items[0].quantity == 9);
    CHECK(Level(s).reserved == 9);
    // Each slot reservation is an event of its slot: at least 3 slots served 9 units.
    auto events = s.engine->events().tail(1, 1000);
    REQUIRE(events.ok());
    int reserved_events = 0;
    for (const Event& ev : *events)
      if (ev.type == "StockReserved" && ev.data.find("\"slot\"") != std::string::npos) ++reserved_events;
    CHECK(reserved_events >= 3);
    // One unit left: two is refused naming the sum, one is sold.
    auto two = s.engine->orders().place(PgOrder("two", kSku, 2));
    CHECK(two.status().code() == Code::kOutOfStock);
    CHECK(two.status().message().find("1 available") != std::string::npos);
    CHECK(s.engine->orders().place(PgOrder("one", kSku, 1)).ok());
    CHECK(Level(s).available() == 0);
    RequireVerified(*s.engine);
  }
}

TEST_CASE("merging and splitting again while 8 threads buy: still exactly the stock",
          "[inventory][stock_split][concurrency]") {
  for (const std::string& driver : commerce::testing::TestStorageDrivers()) {
    CAPTURE(driver);
    auto shop = OpenShop(driver);
    Shop& s = *shop;
    const int64_t stock = commerce::testing::Scaled(200, 60);
    REQUIRE(s.inv().receive(kSku, "wh", stock).ok());
    REQUIRE(s.inv().split_stock(kSku, "wh", 6).ok());
    Sale sale;
    std::atomic<bool> done{false};
    std::latch started(9);
    std::vector<std::thread> pool = Buyers(s, sale, true, started);
    int reshapes = 0;
    std::thread operator_thread([&] {
      started.arrive_and_wait();
      do {  // at least once, however soon the buyers are done
        Status m = s.inv().merge_stock(kSku, "wh").status();
        Status sp = s.inv().split_stock(kSku, "wh", 2 + reshapes % 7).status();
        if (!m.ok() || !sp.ok()) return sale.Error(m.ok() ? sp : m);
        ++reshapes;
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
      } while (!done);
    });
    for (auto& th : pool) th.join();
    done = true;
    operator_thread.join();
    INFO(sale.first_error);
    CHECK(sale.errors == 0);
    CHECK(sale.false_refusals == 0);
    CHECK(reshapes > 0);
    CHECK(sale.sold == stock);
    StockLevel l = Level(s);
    CHECK(l.on_hand == stock);
    CHECK(l.reserved == stock);
    RequireVerified(*s.engine);
  }
}

TEST_CASE("split_stock and merge_stock: bad input is refused, nothing written",
          "[inventory][stock_split]") {
  for (const std::string& driver : commerce::testing::TestStorageDrivers()) {
    CAPTURE(driver);
    auto shop = OpenShop(driver);
    Shop& s = *shop;
    REQUIRE(s.inv().receive(kSku, "wh", 10).ok());
    auto before = s.engine->events().tail(1, 1000);
    REQUIRE(before.ok());
    for (int32_t slots : {-1, 0, 1, kMaxStockSlots + 1}) {
      CAPTURE(slots);
      auto r = s.inv().split_stock(kSku, "wh", slots);
      CHECK(r.status().code() == Code::kInvalidArgument);
      CHECK(r.status().message().find("slots") != std::string::npos);
    }
    CHECK(s.inv().split_stock("", "wh", 4).status().code() == Code::kInvalidArgument);
    CHECK(s.inv().split_stock(kSku, "", 4).status().code() == Code::kInvalidArgument);
    CHECK(s.inv().split_stock("NOPE", "wh", 4).status().code() == Code::kNotFound);
    CHECK(s.inv().split_stock(kSku, "nowhere", 4).status().code() == Code::kNotFound);
    CHECK(s.inv().merge_stock("NOPE", "wh").status().code() == Code::kNotFound);
    CHECK(s.inv().merge_stock(kSku, "nowhere").status().code() == Code::kNotFound);
    auto plain = s.inv().merge_stock(kSku, "wh");
    CHECK(plain.status().code() == Code::kFailedPrecondition);
    CHECK(plain.status().message().find("not split") != std::string::npos);
    auto after = s.engine->events().tail(1, 1000);
    REQUIRE(after.ok());
    CHECK(after->size() == before->size());  // nothing written

    REQUIRE(s.inv().split_stock(kSku, "wh", kMaxStockSlots).ok());
    CHECK(RawRows(*s.engine).size() == static_cast<size_t>(kMaxStockSlots));
    auto twice = s.inv().split_stock(kSku, "wh", 2);
    CHECK(twice.status().code() == Code::kFailedPrecondition);
    CHECK(twice.status().message().find("already split") != std::string::npos);
    CHECK(Level(s).slots == kMaxStockSlots);
    CHECK(Level(s).on_hand == 10);  // 10 units over 64 slots: most hold none
    // An empty stock (no row yet) splits too: a sale prepared before the goods arrive.
    REQUIRE(s.engine->catalog().upsert(commerce::testing::PlainProduct("cold", "Cold")).ok());
    auto empty = s.inv().split_stock("SKU-cold", "wh", 3);
    REQUIRE(empty.ok());
    CHECK(empty->on_hand == 0);
    CHECK(s.inv().receive("SKU-cold", "wh", 5)->on_hand == 5);
    RequireVerified(*s.engine);
  }
}

TEST_CASE("a damaged slot row is Corruption on read and a problem for verify",
          "[inventory][stock_split]") {
  for (const std::string& driver : commerce::testing::TestStorageDrivers()) {
    CAPTURE(driver);
    SECTION("bytes that do not decode") {
      auto shop = OpenShop(driver);
      REQUIRE(shop->inv().receive(kSku, "wh", 10).ok());
      REQUIRE(shop->inv().split_stock(kSku, "wh", 3).ok());
      RawWrite(*shop->engine, [](WriteTxn& txn, Table t) { return txn.put(t, SlotKey(1), "junk"); });
      CHECK(shop->inv().get(kSku, "wh").status().code() == Code::kCorruption);
      CHECK(shop->inv().get(kSku).status().code() == Code::kCorruption);
      CHECK(shop->engine->orders().place(PgOrder("o", kSku, 1)).status().code() == Code::kCorruption);
      auto report = shop->engine->verify();
      REQUIRE(report.ok());
      CHECK_FALSE(report->ok());
    }
    SECTION("a slot missing") {
      auto shop = OpenShop(driver);
      REQUIRE(shop->inv().receive(kSku, "wh", 10).ok());
      REQUIRE(shop->inv().split_stock(kSku, "wh", 3).ok());
      RawWrite(*shop->engine, [](WriteTxn& txn, Table t) { return txn.del(t, SlotKey(1)); });
      auto l = shop->inv().get(kSku, "wh");
      CHECK(l.status().code() == Code::kCorruption);
      CHECK(l.status().message().find("not 0..") != std::string::npos);
      CHECK(shop->inv().get(kSku).status().code() == Code::kCorruption);
      CHECK(shop->inv().merge_stock(kSku, "wh").status().code() == Code::kCorruption);
      auto report = shop->engine->verify();
      REQUIRE(report.ok());
      INFO(report->ToText());
      CHECK(report->ToText().find("slot rows that are not 0..N-1") != std::string::npos);
    }
    SECTION("a plain row beside the slots, and a slot past the largest") {
      auto shop = OpenShop(driver);
      REQUIRE(shop->inv().receive(kSku, "wh", 10).ok());
      auto row = RawRows(*shop->engine);
      REQUIRE(shop->inv().split_stock(kSku, "wh", 3).ok());
      RawWrite(*shop->engine, [&](WriteTxn& txn, Table t) {
        COMMERCE_RETURN_IF_ERROR(txn.put(t, row[0].key, row[0].value));
        return txn.put(t, SlotKey(kMaxStockSlots), row[0].value);
      });
      CHECK(shop->inv().get(kSku).status().code() == Code::kCorruption);
      auto report = shop->engine->verify();
      REQUIRE(report.ok());
      INFO(report->ToText());
      CHECK(report->ToText().find("a plain row beside") != std::string::npos);
      CHECK(report->ToText().find("the key does not decode") != std::string::npos);
    }
  }
}

}  // namespace inventory_stock_split_test
