// Orders survive kill -9 whole: all or nothing.
//
// A forked child opens an engine and places orders from several threads over a small
// catalog stocked unevenly in three warehouses (so orders split), and moves some of them on
// (cancel, or pay -> fulfil -> ship). After each placement returns OK it writes the order's
// number and id to a pipe. The parent SIGKILLs the child at a random moment, reopens the
// store and checks:
//   - every acknowledged order exists, with its idempotency key, and placing its request
//     again returns the same order and writes nothing (the key survived with the order);
//   - per (SKU, warehouse), reserved stock equals the units of orders still holding stock
//     (placed, paid, fulfilling) and on hand equals what was received minus the units of
//     shipped orders: no reservation without its order, no order without its reservations,
//     no shipment without its stock leaving;
//   - the event log agrees: one OrderPlaced per order, one OrderStatusChanged per transition
//     in the orders' histories.
// The store is kept across rounds, so recovery runs on top of earlier recoveries.
//
// Backups are held to the same checks: one taken while orders are placed, from another
// process (BackupStore beside a child that has the store open) or in the process (Engine::
// backup beside threads placing orders), opened as a store, must hold every order
// acknowledged before the backup began and pass every check above (docs/storage.md).
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <cstring>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "commerce/engine.h"
#include "commerce/storage.h"
#include "crash/acked_child.h"
#include "unit/test_dir.h"

using namespace commerce;

namespace {

constexpr int kWriterThreads = 4;
const char* const kSkus[] = {"S0", "S1", "S2", "S3"};
// Uneven stock, so that many orders need two or three shipments.
const std::map<std::pair<std::string, std::string>, int64_t> kReceived = {
    {{"S0", "wh-a"}, 4000}, {{"S1", "wh-a"}, 3000}, {{"S1", "wh-b"}, 3000},
    {{"S2", "wh-b"}, 5000}, {{"S2", "wh-c"}, 2000}, {{"S3", "wh-c"}, 6000},
    {{"S0", "wh-c"}, 1000},
};

EngineOptions Options(const std::string& dir, const std::string& driver) {
  EngineOptions o;
  o.path = dir;
  o.driver = driver;
  o.run_background = false;
  // Checkpoints every few hundred KiB and every 20 ms, so kills land in and around them.
  o.storage.lmdb_checkpoint_bytes = 256 << 10;
  o.storage.lmdb_checkpoint_interval_ms = 20;
  return o;
}

// Order number n's request: 1..3 lines, 1..2 units each, to one of two regions. Derived
// from n alone so the parent can replay any acknowledged request.
PlaceOrder Request(uint64_t n) {
  PlaceOrder r;
  r.idempotency_key = "k-" + std::to_string(n);
  r.customer_id = "c1";
  const size_t lines = 1 + n % 3;
  for (size_t i = 0; i < lines; ++i)
    r.lines.push_back({kSkus[(n + i * 3) % 4], static_cast<int64_t>(1 + (n >> 2) % 2)});
  r.shipping_address.name = "Crash Tester";
  r.shipping_address.line1 = "1 Kill Street";
  r.shipping_address.city = "Sigville";
  r.shipping_address.region = n % 2 ? "east" : "west";
  r.shipping_address.country = "US";
  return r;
}

void Setup(const std::string& dir, const std::string& driver) {
  auto engine = Engine::open(Options(dir, driver));
  REQUIRE(engine.ok());
  Engine& e = **engine;
  for (const char* sku : kSkus) {
    Product p;
    p.id = std::string("p-") + sku;
    p.title = std::string("Product ") + sku;
    Variant v;
    v.sku = sku;
    v.price = Money{100 + sku[1], "USD"};
    p.variants.push_back(v);
    REQUIRE(e.catalog().upsert(p).ok());
  }
  REQUIRE(e.inventory().upsert_warehouse({"wh-a", "A", "east", 1, true}).ok());
  REQUIRE(e.inventory().upsert_warehouse({"wh-b", "B", "west", 2, true}).ok());
  REQUIRE(e.inventory().upsert_warehouse({"wh-c", "C", "east", 0, true}).ok());
  for (const auto& [key, qty] : kReceived) REQUIRE(e.inventory().receive(key.first, key.second, qty).ok());
  Customer c;
  c.id = "c1";
  c.email = "c1@example.com";
  REQUIRE(e.customers().create(c).ok());
  REQUIRE(e.close().ok());
}

using commerce::testing::Ack;

// The child: never returns.
[[noreturn]] void RunChild(const std::string& dir, const std::string& driver, uint64_t first,
                           int pipe_fd) {
  auto engine = Engine::open(Options(dir, driver));
  if (!engine.ok()) _exit(3);
  Orders& orders = (*engine)->orders();
  std::atomic<uint64_t> next{first};
  std::vector<std::thread> threads;
  for (int t = 0; t < kWriterThreads; ++t) {
    threads.emplace_back([&] {
      for (;;) {
        uint64_t n = next.fetch_add(1);
        auto o = orders.place(Request(n));
        if (!o.ok()) {
          if (o.status().IsOutOfStock()) continue;
          _exit(4);
        }
        commerce::testing::WriteAck(pipe_fd, n, o->id);
        // Move some orders on, so kills also land in cancels (releases) and ships.
        if (n % 3 == 0) {
          if (!orders.transition(o->id, OrderStatus::kCancelled).ok()) _exit(7);
        } else if (n % 5 == 0) {
          for (OrderStatus s : {OrderStatus::kPaid, OrderStatus::kFulfilling, OrderStatus::kShipped})
            if (!orders.transition(o->id, s).ok()) _exit(8);
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  _exit(0);
}

std::map<uint64_t, std::string> RunRound(const std::string& dir, const std::string& driver,
                                         uint64_t first, std::mt19937_64& rng) {
  // Kill 0..200 ms after the first acknowledgement, so that every round dies while writing
  // whatever opening the store (and recovering it) took.
  return commerce::testing::RunKilledChild(
      [&](int fd) { RunChild(dir, driver, first, fd); }, rng, 200);
}

std::vector<Order> AllOrders(Engine& e) {
  std::vector<Order> all;
  for (int s = 0; s <= static_cast<int>(OrderStatus::kRefunded); ++s) {
    OrderListOptions o;
    o.limit = 1000;
    for (;;) {
      auto page = e.orders().list_by_status(static_cast<OrderStatus>(s), o);
      REQUIRE(page.ok());
      for (auto& order : page->items) {
        CHECK(static_cast<int>(order.status) == s);  // listed under its own status
        all.push_back(std::move(order));
      }
      if (page->next_cursor.empty()) break;
      o.cursor = page->next_cursor;
    }
  }
  return all;
}

void VerifyStore(const std::string& dir, const std::string& driver,
                 const std::map<uint64_t, std::string>& acked) {
  auto engine = Engine::open(Options(dir, driver));
  REQUIRE(engine.ok());
  Engine& e = **engine;

  for (const auto& [n, id] : acked) {
    INFO("acknowledged order " << n << " " << id);
    auto o = e.orders().get(id);
    REQUIRE(o.ok());
    CHECK(o->idempotency_key == "k-" + std::to_string(n));
  }

  std::vector<Order> orders = AllOrders(e);
  std::set<std::string> ids;
  std::map<std::pair<std::string, std::string>, int64_t> reserved, shipped;
  uint64_t transitions = 0;
  for (const auto& o : orders) {
    CHECK(ids.insert(o.id).second);
    transitions += o.history.size() - 1;
    const bool holds = o.status == OrderStatus::kPlaced || o.status == OrderStatus::kPaid ||
                       o.status == OrderStatus::kFulfilling;
    const bool gone = o.status == OrderStatus::kShipped || o.status == OrderStatus::kDelivered;
    // Its shipments cover its lines exactly.
    std::map<std::string, int64_t> units;
    for (const auto& s : o.shipments)
      for (const auto& item : s.items) {
        units[item.sku] += item.quantity;
        if (holds) reserved[{item.sku, s.warehouse_id}] += item.quantity;
        if (gone) shipped[{item.sku, s.warehouse_id}] += item.quantity;
      }
    for (const auto& l : o.lines) CHECK(units[l.sku] == l.quantity);
  }
  for (const auto& [n, id] : acked) CHECK(ids.count(id) == 1);

  for (const char* sku : kSkus) {
    auto stock = e.inventory().get(sku);
    REQUIRE(stock.ok());
    for (const auto& level : stock->levels) {
      INFO("sku " << sku << " in " << level.warehouse_id);
      const std::pair<std::string, std::string> key{sku, level.warehouse_id};
      CHECK(level.reserved == reserved[key]);
      CHECK(level.on_hand == kReceived.at(key) - shipped[key]);
    }
  }

  uint64_t placed_events = 0, changed_events = 0;
  for (uint64_t from = 1;;) {
    auto batch = e.events().tail(from, 10000);
    REQUIRE(batch.ok());
    if (batch->empty()) break;
    for (const auto& ev : *batch) {
      placed_events += ev.type == "OrderPlaced";
      changed_events += ev.type == "OrderStatusChanged";
    }
    from = batch->back().seq + 1;
  }
  CHECK(placed_events == orders.size());
  CHECK(changed_events == transitions);

  // The newest acknowledged requests, placed again, find their orders and write nothing.
  auto before = e.events().last_seq();
  REQUIRE(before.ok());
  int replayed = 0;
  for (auto it = acked.rbegin(); it != acked.rend() && replayed < 5; ++it, ++replayed) {
    auto again = e.orders().place(Request(it->first));
    INFO(again.status().ToString());
    REQUIRE(again.ok());
    CHECK(again->id == it->second);
  }
  auto after = e.events().last_seq();
  REQUIRE(after.ok());
  CHECK(*after == *before);
  REQUIRE(e.close().ok());
}

void CrashLoop(const std::string& driver, int rounds) {
  commerce::testing::TempDir dir;
  Setup(dir.path(), driver);
  std::mt19937_64 rng(driver == "lmdb" ? 11 : 12);
  std::map<uint64_t, std::string> all_acked;
  uint64_t first = 0;
  for (int round = 0; round < rounds; ++round) {
    INFO("round " << round);
    auto acked = RunRound(dir.path(), driver, first, rng);
    all_acked.insert(acked.begin(), acked.end());
    // Numbers taken but never acknowledged may or may not exist; start past all of them.
    first = (acked.empty() ? first : acked.rbegin()->first) + 1000;
    VerifyStore(dir.path(), driver, all_acked);
  }
  INFO("acknowledged orders over all rounds: " << all_acked.size());
  CHECK(all_acked.size() > 0);
}

}  // namespace

TEST_CASE("orders: acknowledged orders and their reservations survive SIGKILL whole",
          "[crash][orders]") {
  auto driver = GENERATE(as<std::string>{}, "lmdb", "sqlite");
  SECTION(driver) { CrashLoop(driver, 12); }
}

namespace {

// Reads the acknowledgements that arrive within `wait_ms` into `acked`; false once the
// child has closed the pipe.
bool ReadAcks(int fd, int wait_ms, std::string* partial, std::map<uint64_t, std::string>* acked) {
  struct pollfd pfd = {fd, POLLIN, 0};
  if (::poll(&pfd, 1, wait_ms) <= 0) return true;
  char buf[sizeof(Ack) * 64];
  ssize_t got = ::read(fd, buf, sizeof buf);
  if (got <= 0) return false;
  partial->append(buf, static_cast<size_t>(got));
  while (partial->size() >= sizeof(Ack)) {
    Ack ack;
    std::memcpy(&ack, partial->data(), sizeof ack);
    (*acked)[ack.n] = std::string(ack.id, sizeof ack.id);
    partial->erase(0, sizeof ack);
  }
  return true;
}

}  // namespace

TEST_CASE("orders: a backup taken while another process places orders holds every order acknowledged before it, whole",
          "[crash][orders][backup]") {
  auto driver = GENERATE(as<std::string>{}, "lmdb", "sqlite");
  INFO("driver: " << driver);
  commerce::testing::TempDir dir;
  const std::string store = dir.sub("store");
  Setup(store, driver);
  int fds[2];
  REQUIRE(::pipe(fds) == 0);
  pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    ::close(fds[0]);
    RunChild(store, driver, 0, fds[1]);
  }
  ::close(fds[1]);
  struct Reap {
    pid_t pid;
    ~Reap() {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, nullptr, 0);
    }
  } reap{pid};
  std::map<uint64_t, std::string> acked;
  std::string partial;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (acked.size() < 150) {
    REQUIRE(std::chrono::steady_clock::now() < deadline);
    REQUIRE(ReadAcks(fds[0], 100, &partial, &acked));
  }
  const auto before = acked;
  StorageOptions o;
  o.driver = driver;
  o.path = store;
  Status b = BackupStore(o, dir.sub("copy"));
  INFO(b.ToString());
  REQUIRE(b.ok());
  // The child went on placing orders during the backup.
  const size_t during = acked.size();
  while (acked.size() == during) {
    REQUIRE(std::chrono::steady_clock::now() < deadline);
    REQUIRE(ReadAcks(fds[0], 100, &partial, &acked));
  }
  ::close(fds[0]);
  VerifyStore(dir.sub("copy"), driver, before);
}

TEST_CASE("orders: Engine::backup beside threads placing orders holds every order acknowledged before it, whole",
          "[crash][orders][backup]") {
  auto driver = GENERATE(as<std::string>{}, "lmdb", "sqlite");
  INFO("driver: " << driver);
  commerce::testing::TempDir dir;
  const std::string store = dir.sub("store");
  Setup(store, driver);
  auto engine = Engine::open(Options(store, driver));
  REQUIRE(engine.ok());
  std::mutex mu;
  std::map<uint64_t, std::string> acked;
  std::atomic<uint64_t> next{0};
  std::atomic<bool> stop{false};
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kWriterThreads; ++t)
    threads.emplace_back([&] {
      while (!stop) {
        uint64_t n = next.fetch_add(1);
        auto placed = (*engine)->orders().place(Request(n));
        if (!placed.ok()) {
          if (!placed.status().IsOutOfStock()) failures++;
          continue;
        }
        if (n % 3 == 0 && !(*engine)->orders().transition(placed->id, OrderStatus::kCancelled).ok()) failures++;
        std::lock_guard<std::mutex> lock(mu);
        acked[n] = placed->id;
      }
    });
  auto wait_for = [&](size_t count) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    for (;;) {
      {
        std::lock_guard<std::mutex> lock(mu);
        if (acked.size() >= count) return;
      }
      REQUIRE(std::chrono::steady_clock::now() < deadline);
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  };
  wait_for(150);
  std::map<uint64_t, std::string> before;
  {
    std::lock_guard<std::mutex> lock(mu);
    before = acked;
  }
  Status b = (*engine)->backup(dir.sub("copy"));
  INFO(b.ToString());
  wait_for(before.size() + 20);  // the threads went on
  stop = true;
  for (auto& t : threads) t.join();
  REQUIRE(b.ok());
  CHECK(failures.load() == 0);
  REQUIRE((*engine)->close().ok());
  VerifyStore(dir.sub("copy"), driver, before);
}
