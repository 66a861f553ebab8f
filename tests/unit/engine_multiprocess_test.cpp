// Two engine processes on one PostgreSQL store, the case local drivers cannot have: each
// process (a fork with its own local directory, four threads) places orders for one SKU until
// it is sold out, places the same idempotency keys as the other, receives stock and edits one
// shared cart. Every acknowledged operation is reported to the parent through a pipe; the
// parent then checks the store: every unit sold exactly once (no oversell, none lost), one
// order per idempotency key with the same id in both processes, every receipt and cart edit
// applied exactly once, and one event log for both in strictly increasing order, gapless.
//
// Needs COMMERCE_PG_URL (ctest's postgres fixture); skipped otherwise.
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include <chrono>
#include <cstdio>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "commerce/customer.h"
#include "commerce/engine.h"
#include "pg_test_cluster.h"
#include "test_dir.h"

namespace {

using namespace commerce;
using commerce::testing::PgTestUrl;
using commerce::testing::TempDir;

constexpr int kProcesses = 2;
constexpr int kThreads = 4;
constexpr int64_t kUnits = 40;        // of W-1, over two warehouses
constexpr int kSharedKeys = 12;       // placed by every thread of both processes
constexpr int kReceiptsEach = 15;     // per thread, +1 each on W-3 at wh-a
constexpr int kCartAddsEach = 4;      // per thread, +1 each on its own SKU in one cart

EngineOptions Options(const std::string& path, const std::string& schema) {
  EngineOptions o;
  o.path = path;
  o.driver = "postgres";
  o.storage.postgres_url = PgTestUrl();
  o.storage.postgres_schema = schema;
  // Eight writers of two processes on one row abort each other under SERIALIZABLE (every
  // group also appends to the one event log); on a loaded machine the default budget of 10
  // attempts runs out and callers get Unavailable. This test is about what commits, so it
  // gives the retries room; the cost is docs/scaling.md's ("The write model and why").
  o.storage.postgres_max_attempts = 200;
  o.run_background = false;
  o.search.run_indexer = false;
  return o;
}

PlaceOrder Req(std::string key, std::string sku, int64_t qty) {
  PlaceOrder r;
  r.idempotency_key = std::move(key);
  r.customer_id = "c1";
  r.lines = {{std::move(sku), qty}};
  r.shipping_address.name = "Ada";
  r.shipping_address.line1 = "1 Main St";
  r.shipping_address.city = "Springfield";
  r.shipping_address.region = "us-east";
  r.shipping_address.country = "US";
  return r;
}

std::string ThreadSku(int p, int t) { return "C-" + std::to_string(p) + "-" + std::to_string(t); }

void Setup(const std::string& path, const std::string& schema) {
  auto e = Engine::open(Options(path, schema));
  INFO(e.status().ToString());
  REQUIRE(e.ok());
  Engine& engine = **e;
  std::vector<std::string> skus = {"W-1", "W-2", "W-3"};
  for (int p = 0; p < kProcesses; ++p)
    for (int t = 0; t < kThreads; ++t) skus.push_back(ThreadSku(p, t));
  for (const std::string& sku : skus) {
    Product prod;
    prod.id = "prod-" + sku;
    prod.title = "Product " + sku;
    Variant v;
    v.sku = sku;
    v.price = Money{1000, "USD"};
    prod.variants.push_back(v);
    REQUIRE(engine.catalog().upsert(prod).ok());
  }
  Customer c;
  c.id = "c1";
  c.email = "c1@example.com";
  REQUIRE(engine.customers().create(c).ok());
  REQUIRE(engine.inventory().upsert_warehouse({"wh-a", "A", "us-east", 1, true}).ok());
  REQUIRE(engine.inventory().upsert_warehouse({"wh-b", "B", "us-east", 0, true}).ok());
  REQUIRE(engine.inventory().receive("W-1", "wh-a", 25).ok());
  REQUIRE(engine.inventory().receive("W-1", "wh-b", kUnits - 25).ok());
  REQUIRE(engine.inventory().receive("W-2", "wh-a", 1000).ok());
  REQUIRE(engine.inventory().receive("W-3", "wh-a", 1).ok());
  NewCart cart;
  cart.id = "shared-cart";
  REQUIRE(engine.carts().create(cart).ok());
  REQUIRE(engine.close().ok());
}

// The child: no Catch2, only the engine; one line per acknowledged operation on `out`.
int RunChild(int p, const std::string& path, const std::string& schema, FILE* out) {
  auto e = Engine::open(Options(path, schema));
  if (!e.ok()) {
    std::fprintf(out, "error open %s\n", e.status().ToString().c_str());
    return 2;
  }
  Engine& engine = **e;
  std::mutex out_mu;
  auto report = [&](const std::string& line) {
    std::lock_guard<std::mutex> lock(out_mu);
    std::fprintf(out, "%s\n", line.c_str());
  };
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      std::mt19937 rng(p * 100 + t);
      // Sell W-1 until not even one unit is left.
      for (int i = 0;; ++i) {
        int64_t qty = 1 + static_cast<int64_t>(rng() % 2);
        std::string key = "p" + std::to_string(p) + "-t" + std::to_string(t) + "-" + std::to_string(i);
        auto r = engine.orders().place(Req(key, "W-1", qty));
        if (r.ok()) {
          report("order " + r->id + " " + key + " " + std::to_string(qty));
          continue;
        }
        if (!r.status().IsOutOfStock()) {
          report("error order " + r.status().ToString());
          break;
        }
        if (qty == 1) break;
      }
      for (int k = 0; k < kSharedKeys; ++k) {
        auto r = engine.orders().place(Req("shared-" + std::to_string(k), "W-2", 1));
        if (r.ok()) report("idem shared-" + std::to_string(k) + " " + r->id);
        else report("error idem " + r.status().ToString());
      }
      for (int i = 0; i < kReceiptsEach; ++i) {
        auto r = engine.inventory().receive("W-3", "wh-a", 1);
        if (r.ok()) report("receipt");
        else report("error receipt " + r.status().ToString());
      }
      for (int i = 0; i < kCartAddsEach; ++i) {
        auto r = engine.carts().add("shared-cart", ThreadSku(p, t), 1);
        if (r.ok()) report("cart " + ThreadSku(p, t));
        else report("error cart " + r.status().ToString());
      }
    });
  }
  for (auto& th : threads) th.join();
  Status closed = engine.close();
  if (!closed.ok()) report("error close " + closed.ToString());
  return 0;
}

}  // namespace

TEST_CASE("two engine processes on one PostgreSQL store: no oversell, one order per key, "
          "every receipt and cart edit once, one event log",
          "[postgres][multiprocess]") {
  if (PgTestUrl().empty()) {
    WARN(commerce::testing::kPgSkipMessage);
    return;
  }
  TempDir dir;
  const std::string schema = commerce::testing::UniquePgSchema("mp");
  Setup(dir.sub("setup"), schema);

  std::vector<pid_t> pids;
  std::vector<FILE*> pipes;
  for (int p = 0; p < kProcesses; ++p) {
    int fds[2];
    REQUIRE(::pipe(fds) == 0);
    pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
      ::close(fds[0]);
      FILE* out = ::fdopen(fds[1], "w");
      ::setvbuf(out, nullptr, _IOLBF, 0);
      int rc = RunChild(p, dir.sub("proc" + std::to_string(p)), schema, out);
      std::fflush(out);
      ::_exit(rc);
    }
    ::close(fds[1]);
    pids.push_back(pid);
    pipes.push_back(::fdopen(fds[0], "r"));
  }
  std::vector<std::string> lines;
  for (FILE* f : pipes) {
    char buf[4096];
    while (std::fgets(buf, sizeof buf, f)) {
      std::string line(buf);
      if (!line.empty() && line.back() == '\n') line.pop_back();
      lines.push_back(line);
    }
    std::fclose(f);
  }
  for (pid_t pid : pids) {
    int status = 0;
    REQUIRE(::waitpid(pid, &status, 0) == pid);
    CHECK(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);
  }

  std::map<std::string, int64_t> sold;             // order id -> units
  std::map<std::string, std::set<std::string>> idem;  // key -> order ids seen
  int receipts = 0;
  std::map<std::string, int64_t> cart_adds;
  for (const std::string& line : lines) {
    INFO(line);
    CHECK(line.rfind("error", 0) != 0);
    std::istringstream in(line);
    std::string kind;
    in >> kind;
    if (kind == "order") {
      std::string id, key;
      int64_t qty;
      in >> id >> key >> qty;
      CHECK(sold.emplace(id, qty).second);  // no order acknowledged twice
    } else if (kind == "idem") {
      std::string key, id;
      in >> key >> id;
      idem[key].insert(id);
    } else if (kind == "receipt") {
      ++receipts;
    } else if (kind == "cart") {
      std::string sku;
      in >> sku;
      cart_adds[sku]++;
    }
  }

  auto e = Engine::open(Options(dir.sub("check"), schema));
  INFO(e.status().ToString());
  REQUIRE(e.ok());
  Engine& engine = **e;

  // Every unit sold exactly once, by acknowledged orders that are all in the store.
  int64_t units = 0;
  for (const auto& [id, qty] : sold) {
    units += qty;
    auto o = engine.orders().get(id);
    INFO(id << ": " << o.status().ToString());
    CHECK(o.ok());
  }
  CHECK(units == kUnits);
  auto w1 = engine.inventory().get("W-1");
  REQUIRE(w1.ok());
  CHECK(w1->available == 0);
  CHECK(w1->reserved == kUnits);

  // One order per shared key, the same one for every caller in both processes.
  CHECK(idem.size() == size_t{kSharedKeys});
  for (const auto& [key, ids] : idem) {
    INFO(key);
    CHECK(ids.size() == 1);
  }
  auto w2 = engine.inventory().get("W-2");
  REQUIRE(w2.ok());
  CHECK(w2->reserved == kSharedKeys);

  // Receipts: no lost update, none applied twice.
  CHECK(receipts == kProcesses * kThreads * kReceiptsEach);
  auto w3 = engine.inventory().get("W-3", "wh-a");
  REQUIRE(w3.ok());
  CHECK(w3->on_hand == 1 + receipts);

  // Cart edits from both processes: every add counted once.
  auto cart = engine.carts().get("shared-cart");
  REQUIRE(cart.ok());
  CHECK(cart->lines.size() == size_t{kProcesses * kThreads});
  for (const auto& line : cart->lines) {
    INFO(line.sku);
    CHECK(line.quantity == cart_adds[line.sku]);
    CHECK(line.quantity == kCartAddsEach);
  }

  // One event log: gapless from 1, one OrderPlaced per order.
  auto last = engine.events().last_seq();
  REQUIRE(last.ok());
  uint64_t expect = 1;
  size_t placed = 0;
  for (uint64_t from = 1; from <= *last;) {
    auto batch = engine.events().tail(from, 1000);
    REQUIRE(batch.ok());
    REQUIRE_FALSE(batch->empty());
    for (const Event& ev : *batch) {
      CHECK(ev.seq == expect);
      ++expect;
      if (ev.type == "OrderPlaced") ++placed;
    }
    from = batch->back().seq + 1;
  }
  CHECK(expect == *last + 1);
  CHECK(placed == sold.size() + size_t{kSharedKeys});
  REQUIRE(engine.close().ok());
}

TEST_CASE("events.wait on a shared store sees another engine's commit, not only its own",
          "[postgres][multiprocess]") {
  if (PgTestUrl().empty()) {
    WARN(commerce::testing::kPgSkipMessage);
    return;
  }
  TempDir dir;
  const std::string schema = commerce::testing::UniquePgSchema("wait");
  auto a = Engine::open(Options(dir.sub("a"), schema));
  INFO(a.status().ToString());
  REQUIRE(a.ok());
  auto b = Engine::open(Options(dir.sub("b"), schema));
  INFO(b.status().ToString());
  REQUIRE(b.ok());
  auto last = (*a)->events().last_seq();
  REQUIRE(last.ok());
  std::thread writer([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    Customer c;
    c.email = "late@example.com";
    (void)(*b)->customers().create(c);
  });
  const auto start = std::chrono::steady_clock::now();
  auto seen = (*a)->events().wait(*last, std::chrono::seconds(20));
  const auto waited = std::chrono::steady_clock::now() - start;
  writer.join();
  REQUIRE(seen.ok());
  CHECK(*seen > *last);
  // Woken by polling the shared log (every 100 ms), long before the 20 s timeout.
  CHECK(waited < std::chrono::seconds(5));
  REQUIRE((*a)->close().ok());
  REQUIRE((*b)->close().ok());
}

// Carts merge by replica id (include/commerce/cart.h): three instances behind one load balancer
// must each add as a replica of its own, and keep it across a restart. They once all shared
// the store's one id (kept in the shared meta table).
TEST_CASE("engines sharing a PostgreSQL store each add to carts as a replica of their own, "
          "kept across a restart; a damaged id file is Corruption",
          "[postgres][multiprocess]") {
  if (PgTestUrl().empty()) {
    WARN(commerce::testing::kPgSkipMessage);
    return;
  }
  TempDir dir;
  const std::string schema = commerce::testing::UniquePgSchema("replica");
  Setup(dir.sub("setup"), schema);
  auto replicas = [&](Engine& e) {
    auto st = e.carts().state("shared-cart");
    REQUIRE(st.ok());
    std::set<std::string> out;
    for (const auto& [replica, counter] : st->clock) out.insert(replica);
    return out;
  };
  std::set<std::string> seen;
  {
    auto a = Engine::open(Options(dir.sub("a"), schema));
    INFO(a.status().ToString());
    REQUIRE(a.ok());
    auto b = Engine::open(Options(dir.sub("b"), schema));
    INFO(b.status().ToString());
    REQUIRE(b.ok());
    REQUIRE((*a)->carts().add("shared-cart", "W-1", 1).ok());
    REQUIRE((*b)->carts().add("shared-cart", "W-2", 1).ok());
    seen = replicas(**a);
    CHECK(seen.size() == 2);
    REQUIRE((*a)->close().ok());
    REQUIRE((*b)->close().ok());
  }
  {
    // Reopened, a adds as the replica it was: still two.
    auto a = Engine::open(Options(dir.sub("a"), schema));
    REQUIRE(a.ok());
    REQUIRE((*a)->carts().add("shared-cart", "W-3", 1).ok());
    CHECK(replicas(**a) == seen);
    auto cart = (*a)->carts().get("shared-cart");
    REQUIRE(cart.ok());
    CHECK(cart->item_count == 3);
    REQUIRE((*a)->close().ok());
  }
  {
    FILE* f = std::fopen((dir.sub("a") + "/REPLICA_ID").c_str(), "w");
    REQUIRE(f);
    std::fputs("not an id\n", f);
    std::fclose(f);
    auto a = Engine::open(Options(dir.sub("a"), schema));
    REQUIRE(!a.ok());
    CHECK(a.status().IsCorruption());
    CHECK(a.status().ToString().find("REPLICA_ID") != std::string::npos);
  }
}
