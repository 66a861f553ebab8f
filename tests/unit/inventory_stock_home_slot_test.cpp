// Home slots (src/inventory/stock_home_slot.h, issue 20 part 3): a process's orders reserve a
// split stock from its own home slot first, so that two processes' groups of change sets touch
// disjoint slot rows while those last.
//   - HomeSlot spreads process numbers over the ring: distinct for as many processes as slots
//     (a power of two), always inside it;
//   - on every driver, one engine's orders take one slot while it holds them, then the next;
//   - on PostgreSQL, two processes buying one split SKU take their units from two different
//     slots, one each, while those last; then, buying it to zero, they sell exactly the stock;
//   - the store's counter of processes is checked by verify, and a damaged one fails the open.
#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

#include "commerce/engine.h"
#include "common/key.h"
#include "inventory/stock_home_slot.h"
#include "pg_fixture.h"
#include "pg_test_cluster.h"
#include "test_dir.h"
#include "test_engine.h"

namespace inventory_stock_home_slot_test {

namespace {

using namespace commerce;
using namespace commerce::testing;

// The slot each StockReserved event of `ref` took its units from (-1 for a plain row), for
// every order id in `refs`: ref -> slots.
std::map<std::string, std::vector<int64_t>> SlotsOfOrders(Engine& e) {
  std::map<std::string, std::vector<int64_t>> out;
  auto last = e.events().last_seq();
  REQUIRE(last.ok());
  for (uint64_t from = 1; from <= *last;) {
    auto batch = e.events().tail(from, 1000);
    REQUIRE(batch.ok());
    REQUIRE_FALSE(batch->empty());
    for (const Event& ev : *batch) {
      if (ev.type != "StockReserved") continue;
      const size_t ref = ev.data.find("\"ref\":\"");
      REQUIRE(ref != std::string::npos);
      const size_t ref_end = ev.data.find('"', ref + 7);
      const std::string id = ev.data.substr(ref + 7, ref_end - ref - 7);
      const size_t slot = ev.data.find("\"slot\":");
      out[id].push_back(slot == std::string::npos ? -1 : std::stoll(ev.data.substr(slot + 7)));
    }
    from = batch->back().seq + 1;
  }
  return out;
}

std::unique_ptr<Engine> OpenSplitShop(const std::string& driver, const TempDir& dir) {
  EngineOptions o = QuietEngineOptions(dir.path());
  UseTestDriver(o, driver, "homeslot");
  auto e = Engine::open(o);
  INFO(e.status().ToString());
  REQUIRE(e.ok());
  auto engine = std::move(e).value();
  SeedCatalog(*engine, 0, 0);
  return engine;
}

}  // namespace

TEST_CASE("HomeSlot spreads process numbers over the ring", "[inventory][stock_split]") {
  CHECK(HomeSlot(0, 16) == 0);
  CHECK(HomeSlot(1, 16) == 8);
  CHECK(HomeSlot(2, 16) == 4);
  CHECK(HomeSlot(3, 16) == 12);
  CHECK(HomeSlot(5, 0) == 0);
  for (size_t slots : {2, 4, 16, 64}) {
    std::set<size_t> homes;
    for (uint64_t n = 0; n < slots; ++n) homes.insert(HomeSlot(n, slots));
    CHECK(homes.size() == slots);  // the first `slots` processes each have their own
  }
  for (size_t slots = 2; slots <= 64; ++slots)
    for (uint64_t n : {uint64_t{0}, uint64_t{7}, uint64_t{1} << 31, ~uint64_t{0}})
      CHECK(HomeSlot(n, slots) < slots);
}

TEST_CASE("one engine's orders take a split stock from one slot while it lasts",
          "[inventory][stock_split][orders]") {
  for (const std::string& driver : TestStorageDrivers()) {
    CAPTURE(driver);
    TempDir dir;
    auto engine = OpenSplitShop(driver, dir);
    REQUIRE(engine->inventory().receive("W-1", "wh-a", 40).ok());
    REQUIRE(engine->inventory().split_stock("W-1", "wh-a", 4).ok());  // 10 a slot
    // The store's first engine: number 0, home slot 0 (a local store has no counter at all).
    std::vector<std::string> ids;
    for (int i = 0; i < 13; ++i) {
      auto r = engine->orders().place(PgOrder("k" + std::to_string(i), "W-1", 1));
      INFO(r.status().ToString());
      REQUIRE(r.ok());
      ids.push_back(r->id);
    }
    auto slots = SlotsOfOrders(*engine);
    for (int i = 0; i < 13; ++i) {
      CAPTURE(i);
      CHECK(slots[ids[i]] == std::vector<int64_t>{i < 10 ? 0 : 1});
    }
    // 2 units with 7 left in slot 1: still one slot; then 6 with 5 there: slot 1 and slot 2.
    auto two = engine->orders().place(PgOrder("two", "W-1", 2));
    REQUIRE(two.ok());
    CHECK(SlotsOfOrders(*engine)[two->id] == std::vector<int64_t>{1});
    auto six = engine->orders().place(PgOrder("six", "W-1", 6));
    REQUIRE(six.ok());
    CHECK(SlotsOfOrders(*engine)[six->id] == std::vector<int64_t>{1, 2});
    auto report = engine->verify();
    REQUIRE(report.ok());
    INFO(report->ToText());
    CHECK(report->ok());
  }
}

// Two engine processes (forks) of four threads each buy one unit at a time of a SKU split into
// 16 slots. Phase 1: fewer orders than a slot holds; each process's orders all come from one
// slot, and the two slots differ (with slots chosen by order id, each process touched nearly
// every slot). Phase 2: two new processes buy the rest to zero: exactly the stock is sold.
TEST_CASE("postgres: two processes take a split SKU from disjoint slots and sell exactly its stock",
          "[postgres][inventory][stock_split][multiprocess]") {
  COMMERCE_REQUIRE_PG_OR_SKIP();
  constexpr int kThreads = 4;
  constexpr int64_t kPerSlot = 50;
  constexpr int kSlots = 16;
  const int orders_each = 10;  // per thread: 40 a process, below a slot's 50
  TempDir dir;
  const std::string schema = UniquePgSchema("homeslot");
  auto options = [&](const std::string& sub) { return PgEngineOptions(dir.sub(sub), PgTestUrl(), schema); };
  {
    auto engine = OpenPgEngine(options("setup"));
    SeedCatalog(*engine, 0, 0);
    REQUIRE(engine->inventory().receive("W-1", "wh-a", kPerSlot * kSlots).ok());
    REQUIRE(engine->inventory().split_stock("W-1", "wh-a", kSlots).ok());
    REQUIRE(engine->close().ok());
  }
  // Each child reports "order <id>" per acknowledged order; `to_zero` buys until refused.
  auto run = [&](const std::string& phase, bool to_zero) {
    std::vector<PgChild> children = ForkChildren(2, [&](int p, FILE* out) {
      ChildReport report(out);
      auto engine = OpenChildEngine(options(phase + std::to_string(p)), report);
      if (!engine) return 2;
      std::vector<std::thread> threads;
      for (int t = 0; t < kThreads; ++t)
        threads.emplace_back([&, t] {
          for (int i = 0; to_zero || i < orders_each; ++i) {
            auto r = engine->orders().place(PgOrder(phase + "-" + std::to_string(p) + "-" +
                                                    std::to_string(t) + "-" + std::to_string(i), "W-1"));
            if (r.ok()) {
              report("order " + r->id);
            } else {
              if (!r.status().IsOutOfStock()) report("error " + r.status().ToString());
              return;
            }
          }
        });
      for (auto& th : threads) th.join();
      return engine->close().ok() ? 0 : 3;
    });
    std::vector<std::vector<std::string>> ids;
    for (const PgChild& child : children) {
      auto& mine = ids.emplace_back();
      for (const std::string& line : ChildLines(child)) {
        INFO(line);
        REQUIRE(line.rfind("order ", 0) == 0);
        mine.push_back(line.substr(6));
      }
    }
    return ids;
  };

  const auto first = run("one", false);
  auto engine = OpenPgEngine(options("check"));
  auto slots = SlotsOfOrders(*engine);
  std::vector<std::set<int64_t>> used(2);
  for (int p = 0; p < 2; ++p) {
    REQUIRE(first[p].size() == static_cast<size_t>(kThreads * orders_each));
    for (const std::string& id : first[p]) {
      REQUIRE(slots.count(id) == 1);
      used[p].insert(slots[id].begin(), slots[id].end());
    }
    CAPTURE(p);
    CHECK(used[p].size() == 1);  // one slot a process while it holds the orders
  }
  std::vector<int64_t> common;
  std::set_intersection(used[0].begin(), used[0].end(), used[1].begin(), used[1].end(),
                        std::back_inserter(common));
  CHECK(common.empty());
  REQUIRE(engine->close().ok());

  const auto second = run("zero", true);
  engine = OpenPgEngine(options("check2"));
  const size_t sold = first[0].size() + first[1].size() + second[0].size() + second[1].size();
  CHECK(sold == static_cast<size_t>(kPerSlot * kSlots));
  auto level = engine->inventory().get("W-1", "wh-a");
  REQUIRE(level.ok());
  CHECK(level->on_hand == kPerSlot * kSlots);
  CHECK(level->reserved == kPerSlot * kSlots);  // never oversold: reserved <= on_hand
  CHECK(SlotsOfOrders(*engine).size() == sold);  // one reservation an acknowledged order
  auto report = engine->verify();
  REQUIRE(report.ok());
  INFO(report->ToText());
  CHECK(report->ok());
}

TEST_CASE("postgres: the process counter is taken on open, checked by verify, and a damaged "
          "one fails the open",
          "[postgres][inventory][stock_split]") {
  COMMERCE_REQUIRE_PG_OR_SKIP();
  TempDir dir;
  const std::string schema = UniquePgSchema("homeslot");
  auto engine = OpenPgEngine(PgEngineOptions(dir.sub("a"), PgTestUrl(), schema));
  auto second = OpenPgEngine(PgEngineOptions(dir.sub("b"), PgTestUrl(), schema));
  auto meta = engine->storage().table("meta");
  REQUIRE(meta.ok());
  auto read = [&] {
    auto snap = engine->storage().read();
    REQUIRE(snap.ok());
    return (*snap)->get(*meta, SlotHomeCounterKey());
  };
  auto counter = read();
  REQUIRE(counter.ok());
  CHECK(*counter == KeyBuilder().u64(2).key());  // two engines opened: numbers 0 and 1 taken
  auto report = engine->verify();
  REQUIRE(report.ok());
  CHECK(report->ok());

  REQUIRE(engine->storage().write([&](WriteTxn& txn) { return txn.put(*meta, SlotHomeCounterKey(), "xyz"); }).ok());
  report = engine->verify();
  REQUIRE(report.ok());
  INFO(report->ToText());
  CHECK_FALSE(report->ok());
  auto third = Engine::open(PgEngineOptions(dir.sub("c"), PgTestUrl(), schema));
  CHECK(third.status().code() == Code::kCorruption);
  CHECK(third.status().message().find("stock slot home counter") != std::string::npos);
}

}  // namespace inventory_stock_home_slot_test
