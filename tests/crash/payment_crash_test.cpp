// The payment worker survives kill -9 at every step: never a double capture, never a lost
// authorization, the stock of a declined payment released (issue 20).
//
// The provider is TestPaymentProvider, whose ledger is a file that outlives the engine's
// process, as a real provider outlives its client.
//
// Steps: a forked child opens the store, places an order (and, for a capture, has it
// authorized and shipped), and runs a worker round that kills its own process (SIGKILL)
//   - before the provider call: the provider never saw it;
//   - after the provider call, before the worker recorded the answer: the provider acted
//     (and, for the timeout case, its answer was lost too);
//   - after the worker recorded the answer.
// The parent then opens the store with the same provider, lets the worker finish, and checks
// the provider's ledger against the store:
//   - every key at most once in the ledger, at most one capture per payment;
//   - every payment the ledger authorized is recorded as authorized (or captured), its order
//     paid (or shipped): no authorization lost;
//   - a declined payment's order is payment_declined and holds no stock; reserved stock equals
//     the units of the orders that still hold stock;
//   - a step recorded before the kill is not asked again.
// A last case kills a child at random moments while threads place, ship and cancel orders
// with the worker's thread running and the provider timing out now and then.
// Every case runs on each test driver (TestStorageDrivers: LMDB, SQLite; PostgreSQL when ctest's
// postgres fixture names a server, where the worker runs under a lease the killed child held).
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <functional>
#include <map>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "commerce/engine.h"
#include "crash/acked_child.h"
#include "unit/pg_test_cluster.h"
#include "unit/test_dir.h"
#include "unit/test_scale.h"

using namespace commerce;
using Answer = TestPaymentProvider::Answer;

namespace {

constexpr int64_t kPrice = 1000;
constexpr int64_t kDeclinedAmount = 3 * kPrice;  // orders of 3 units are declined in the random case

// A store under test: its directory (the provider's ledger, the local drivers' files) and its
// driver; on postgres, one schema that the killed children and the checking parent share.
struct Shop {
  std::string dir;
  std::string driver;
  std::string schema;
};

Shop MakeShop(const std::string& dir, const std::string& driver) {
  return {dir, driver, driver == "postgres" ? commerce::testing::UniquePgSchema("payment_crash") : ""};
}

EngineOptions Options(const Shop& shop, std::shared_ptr<PaymentProvider> provider, bool worker) {
  EngineOptions o;
  o.path = shop.dir + "/shop";
  o.driver = shop.driver;
  if (shop.driver == "postgres") {
    o.storage.postgres_url = commerce::testing::PgTestUrl();
    o.storage.postgres_schema = shop.schema;
  }
  o.run_background = worker;
  o.search.run_indexer = false;
  o.payments.provider = std::move(provider);
  o.payments.retry_initial = std::chrono::milliseconds(10);
  o.payments.retry_max = std::chrono::milliseconds(20);
  // On postgres the worker runs under a lease (one process at a time): the killed child held
  // it, and the parent takes it over once it has gone a whole ttl without renewal.
  o.consumer_lease_ttl = std::chrono::milliseconds(300);
  return o;
}

std::shared_ptr<TestPaymentProvider> Provider(const std::string& dir) {
  auto p = TestPaymentProvider::open(dir + "/provider");
  if (!p.ok()) _exit(3);
  return *p;
}

void Setup(const Shop& shop) {
  auto engine = Engine::open(Options(shop, Provider(shop.dir), false));
  REQUIRE(engine.ok());
  Engine& e = **engine;
  Product p;
  p.id = "p-S0";
  p.title = "Product S0";
  p.variants.push_back(Variant{});
  p.variants[0].sku = "S0";
  p.variants[0].price = Money{kPrice, "USD"};
  REQUIRE(e.catalog().upsert(p).ok());
  REQUIRE(e.inventory().upsert_warehouse({"wh-a", "A", "east", 1, true}).ok());
  REQUIRE(e.inventory().receive("S0", "wh-a", 1'000'000).ok());
  for (int i = 0; i < 40; ++i) {
    Customer c;
    c.id = "c" + std::to_string(i);
    c.email = c.id + "@example.com";
    REQUIRE(e.customers().create(c).ok());
  }
  REQUIRE(e.close().ok());
}

PlaceOrder Request(const std::string& customer, const std::string& key, int64_t quantity) {
  PlaceOrder r;
  r.idempotency_key = key;
  r.customer_id = customer;
  r.lines.push_back({"S0", quantity});
  r.shipping_address = Address{"Crash Tester", "1 Kill Street", "", "Sigville", "", "east", "US"};
  return r;
}

[[noreturn]] void Die() {
  ::kill(::getpid(), SIGKILL);
  for (;;) ::pause();
}

// Forks; the child runs `child`, which must end by SIGKILL (its own). Waits up to 30 s.
void RunSelfKilledChild(const std::function<void()>& child) {
  pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    child();
    _exit(7);  // it should have died before here
  }
  int status = 0;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  for (;;) {
    pid_t got = ::waitpid(pid, &status, WNOHANG);
    if (got == pid) break;
    if (std::chrono::steady_clock::now() > deadline) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      FAIL("the child did not end within 30 s");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  INFO("child exit status " << status << (WIFEXITED(status) ? " (exited)" : ""));
  REQUIRE(WIFSIGNALED(status));
  REQUIRE(WTERMSIG(status) == SIGKILL);
}

// In a child: worker rounds until `done` says the step happened. On postgres the first rounds
// may do nothing: the lease the last killed child held is taken over first (a ttl). Bounded:
// _exit(11) after 15 s.
void ChildRoundsUntil(Engine& e, const std::function<bool()>& done) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
  while (std::chrono::steady_clock::now() < deadline) {
    if (!e.run_background_once().ok()) _exit(5);
    if (done()) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  _exit(11);
}

enum class Point { kBeforeCall, kAfterCall, kAfterRecord };
const char* PointName(Point p) {
  return p == Point::kBeforeCall ? "before the provider call"
         : p == Point::kAfterCall ? "after the provider call, before recording"
                                  : "after recording";
}

// Calls fn(order) for every order of the store, in placement order.
void ForEachOrder(Engine& e, const std::function<void(const Order&)>& fn) {
  OrderListOptions page;
  page.limit = 1000;
  for (;;) {
    auto got = e.orders().list({}, page);
    REQUIRE(got.ok());
    for (const auto& o : got->items) fn(o);
    if (got->next_cursor.empty()) return;
    page.cursor = got->next_cursor;
  }
}

// Runs the worker until nothing is queued for any order (bounded: 15 s, past the lease's
// take-over on postgres), on the calling thread.
void Drain(Engine& e) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
  while (std::chrono::steady_clock::now() < deadline) {
    REQUIRE(e.run_background_once().ok());
    bool idle = true;
    ForEachOrder(e, [&](const Order& o) {
      auto p = e.payments().get(o.id);
      if (p.ok() && p->pending_operations > 0) idle = false;
    });
    if (idle) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  FAIL("the payment outbox did not drain");
}

// The checks of the file's preamble, over every order of the store.
void CheckStoreAgainstLedger(Engine& e, TestPaymentProvider& provider) {
  auto ledger = provider.ledger();
  REQUIRE(ledger.ok());
  std::set<std::string> keys;
  std::map<std::string, int> captures, authorizations, voids;
  for (const auto& entry : *ledger) {
    INFO("ledger key " << entry.idempotency_key);
    CHECK(keys.insert(entry.idempotency_key).second);  // each key once: the provider acted once
    if (entry.result != PaymentResult::kSucceeded) continue;
    if (entry.operation == PaymentOperation::kCapture) ++captures[entry.payment_id];
    if (entry.operation == PaymentOperation::kAuthorize) ++authorizations[entry.payment_id];
    if (entry.operation == PaymentOperation::kVoid) ++voids[entry.payment_id];
  }
  int64_t holding = 0;
  ForEachOrder(e, [&](const Order& o) {
    INFO("order " << o.id << " " << OrderStatusName(o.status));
    auto p = e.payments().get(o.id);
    REQUIRE(p.ok());
    INFO("payment " << PaymentStatusName(p->status));
    CHECK(p->pending_operations == 0);
    CHECK(captures[p->id] <= 1);  // never a double capture
    if (captures[p->id] == 1) {
      CHECK(p->status == PaymentStatus::kCaptured);
      CHECK((o.status == OrderStatus::kShipped || o.status == OrderStatus::kDelivered));
    }
    if (authorizations[p->id] == 1 && voids[p->id] == 0) {
      // Authorized by the provider and not voided: recorded so, never lost.
      CHECK((p->status == PaymentStatus::kAuthorized || p->status == PaymentStatus::kCaptured));
      CHECK(p->authorized_minor == o.total.minor);
      CHECK((o.status == OrderStatus::kPaid || o.status == OrderStatus::kFulfilling ||
             o.status == OrderStatus::kShipped || o.status == OrderStatus::kDelivered));
    }
    if (o.status == OrderStatus::kPaymentDeclined) CHECK(p->status == PaymentStatus::kDeclined);
    if (o.status == OrderStatus::kCancelled) {
      CHECK(captures[p->id] == 0);
      CHECK(p->status == PaymentStatus::kVoided);
    }
    CHECK(o.status != OrderStatus::kPaymentPending);  // the worker answered every one
    const bool holds = o.status == OrderStatus::kPaid || o.status == OrderStatus::kFulfilling;
    if (holds)
      for (const auto& s : o.shipments)
        for (const auto& item : s.items) holding += item.quantity;
  });
  auto stock = e.inventory().get("S0", "wh-a");
  REQUIRE(stock.ok());
  CHECK(stock->reserved == holding);  // declined, voided and abandoned orders hold nothing
  auto report = e.verify();
  REQUIRE(report.ok());
  std::string problems;
  for (const auto& p : report->problems) problems += p.check + " " + p.where + ": " + p.what + "\n";
  INFO(problems);
  CHECK(report->problems.empty());
}

struct Step {
  PaymentOperation operation;
  Point point;
  Answer answer;  // what the provider answers the step's call (kTimeout: the nasty case)
};

// One step killed, then recovered and checked. `n` numbers the step (its customer and key).
void KillAtStep(const Shop& shop, int n, const Step& step) {
  const std::string& dir = shop.dir;
  const std::string customer = "c" + std::to_string(n);
  RunSelfKilledChild([&] {
    auto provider = Provider(dir);
    auto engine = Engine::open(Options(shop, provider, false));
    if (!engine.ok()) _exit(3);
    Engine& e = **engine;
    auto placed = e.orders().place(Request(customer, "k" + std::to_string(n), 2));
    if (!placed.ok()) _exit(4);
    if (step.operation == PaymentOperation::kCapture) {
      ChildRoundsUntil(e, [&] { return e.orders().get(placed->id)->status == OrderStatus::kPaid; });
      if (!e.orders().transition(placed->id, OrderStatus::kFulfilling).ok()) _exit(8);
      if (!e.orders().transition(placed->id, OrderStatus::kShipped).ok()) _exit(9);
    }
    if (step.answer != Answer::kSucceed) provider->add_rule({step.operation, step.answer, -1, 1, "card_declined"});
    provider->set_call_hook([&](const PaymentRequest& r, bool recorded) {
      if (r.operation != step.operation) return;
      if (step.point == Point::kBeforeCall && !recorded) Die();
      if (step.point == Point::kAfterCall && recorded) Die();
    });
    // Until a round asked the provider (and so recorded its answer), unless the hook killed first.
    const uint64_t calls_before = provider->calls();
    ChildRoundsUntil(e, [&] { return provider->calls() > calls_before; });
    if (step.point == Point::kAfterRecord) Die();
    _exit(10);  // the hook did not fire
  });

  auto provider = Provider(dir);
  auto engine = Engine::open(Options(shop, provider, false));
  REQUIRE(engine.ok());
  Engine& e = **engine;
  auto orders = e.orders().list_by_customer(customer);
  REQUIRE(orders.ok());
  REQUIRE(orders->items.size() == 1);  // acknowledged by its commit before any kill
  const Order before = orders->items[0];
  Drain(e);
  const Order o = *e.orders().get(before.id);
  const Payment p = *e.payments().get(before.id);
  INFO("order " << o.id << " " << OrderStatusName(o.status) << ", payment " << PaymentStatusName(p.status));
  if (step.point == Point::kAfterRecord && step.answer != Answer::kTimeout) {
    CHECK(provider->calls() == 0);  // answered and recorded before the kill: nothing asked again
  }
  if (step.operation == PaymentOperation::kAuthorize && step.answer == Answer::kDecline) {
    CHECK(o.status == OrderStatus::kPaymentDeclined);
    CHECK(p.status == PaymentStatus::kDeclined);
    CHECK(p.reason == "card_declined");
  } else if (step.operation == PaymentOperation::kAuthorize) {
    CHECK(o.status == OrderStatus::kPaid);
    CHECK(p.status == PaymentStatus::kAuthorized);
  } else {
    CHECK(o.status == OrderStatus::kShipped);
    CHECK(p.status == PaymentStatus::kCaptured);
    CHECK(p.captured_minor == o.total.minor);
  }
  CheckStoreAgainstLedger(e, *provider);
  REQUIRE(e.close().ok());
}

}  // namespace

TEST_CASE("payments: the worker killed at each step: no double capture, no lost authorization",
          "[crash][payments]") {
  const std::string driver = GENERATE(from_range(commerce::testing::TestStorageDrivers()));
  INFO("driver " << driver);
  commerce::testing::TempDir dir;
  const Shop shop = MakeShop(dir.path(), driver);
  Setup(shop);
  int n = 0;
  for (PaymentOperation op : {PaymentOperation::kAuthorize, PaymentOperation::kCapture})
    for (Point point : {Point::kBeforeCall, Point::kAfterCall, Point::kAfterRecord})
      for (Answer answer : {Answer::kSucceed, Answer::kTimeout, Answer::kDecline}) {
        // A decline of a capture is the provider's refusal, not a crash case; a timeout
        // before the call is the call not made.
        if (op == PaymentOperation::kCapture && answer == Answer::kDecline) continue;
        if (point == Point::kBeforeCall && answer != Answer::kSucceed) continue;
        INFO(PaymentOperationName(op) << ", killed " << PointName(point) << ", provider answer "
                                      << static_cast<int>(answer));
        KillAtStep(shop, n++, {op, point, answer});
      }
  CHECK(n == 12);
}

// A return's refund (returns.h) crosses the payment's outbox: queued in the commit that moves
// the return to refunded, asked by the worker with the key "<payment id>:refund:<return id>".
// Killed after that commit (before any worker round), before the provider call, after it
// (the provider refunded; the answer lost for the timeout), and after recording: once
// recovered, the provider refunded exactly once, exactly the return's amount, and the
// payment records it.
TEST_CASE("payments: a return's refund killed at each step is refunded once", "[crash][payments][returns]") {
  const std::string driver = GENERATE(from_range(commerce::testing::TestStorageDrivers()));
  INFO("driver " << driver);
  commerce::testing::TempDir dir;
  const Shop shop = MakeShop(dir.path(), driver);
  Setup(shop);
  enum class At { kAfterCommit, kBeforeCall, kAfterCall, kAfterRecord };
  int n = 100;
  for (At at : {At::kAfterCommit, At::kBeforeCall, At::kAfterCall, At::kAfterRecord})
    for (Answer answer : {Answer::kSucceed, Answer::kTimeout}) {
      if ((at == At::kAfterCommit || at == At::kBeforeCall) && answer != Answer::kSucceed) continue;
      INFO("killed at " << static_cast<int>(at) << ", provider answer " << static_cast<int>(answer));
      const std::string customer = "c" + std::to_string(++n % 40);
      const std::string key = "ret-k" + std::to_string(n);
      RunSelfKilledChild([&] {
        auto provider = Provider(dir.path());
        auto engine = Engine::open(Options(shop, provider, false));
        if (!engine.ok()) _exit(3);
        Engine& e = **engine;
        auto placed = e.orders().place(Request(customer, key, 2));
        if (!placed.ok()) _exit(4);
        ChildRoundsUntil(e, [&] { return e.orders().get(placed->id)->status == OrderStatus::kPaid; });
        for (auto to : {OrderStatus::kFulfilling, OrderStatus::kShipped})
          if (!e.orders().transition(placed->id, to).ok()) _exit(6);
        ChildRoundsUntil(e, [&] { return e.payments().get(placed->id)->status == PaymentStatus::kCaptured; });
        if (!e.orders().transition(placed->id, OrderStatus::kDelivered).ok()) _exit(6);
        auto r = e.returns().request({.order_id = placed->id, .lines = {{"S0", 1, ""}}, .idempotency_key = key});
        if (!r.ok() || !e.returns().approve(r->id).ok()) _exit(8);
        if (!e.returns().receive(r->id, {{.sku = "S0", .warehouse_id = "wh-a"}}).ok()) _exit(8);
        if (!e.returns().refund(r->id).ok()) _exit(9);
        if (at == At::kAfterCommit) Die();
        if (answer != Answer::kSucceed) provider->add_rule({PaymentOperation::kRefund, answer, -1, 1, ""});
        provider->set_call_hook([&](const PaymentRequest& req, bool recorded) {
          if (req.operation != PaymentOperation::kRefund) return;
          if (at == At::kBeforeCall && !recorded) Die();
          if (at == At::kAfterCall && recorded) Die();
        });
        const uint64_t calls_before = provider->calls();
        ChildRoundsUntil(e, [&] { return provider->calls() > calls_before; });
        if (at == At::kAfterRecord) Die();
        _exit(10);  // the hook did not fire
      });

      auto provider = Provider(dir.path());
      auto engine = Engine::open(Options(shop, provider, false));
      REQUIRE(engine.ok());
      Engine& e = **engine;
      auto orders = e.orders().list_by_customer(customer);
      REQUIRE(orders.ok());
      REQUIRE_FALSE(orders->items.empty());
      const Order o = orders->items[0];  // newest first: this step's
      REQUIRE(o.idempotency_key == key);
      auto returns = e.returns().list_by_order(o.id);
      REQUIRE(returns.ok());
      REQUIRE(returns->size() == 1);  // the idempotency key: one return, acknowledged
      const Return r = returns->at(0);
      CHECK(r.status == ReturnStatus::kRefunded);
      CHECK(r.refund_method == RefundMethod::kPayment);
      Drain(e);
      const Payment p = *e.payments().get(o.id);
      CHECK(p.refunded_minor == r.refund.minor);
      CHECK(p.refund_pending_minor == 0);
      auto ledger = provider->ledger();
      REQUIRE(ledger.ok());
      int refunds = 0;
      for (const auto& entry : *ledger)
        if (entry.payment_id == p.id && entry.operation == PaymentOperation::kRefund) {
          ++refunds;
          CHECK(entry.amount_minor == r.refund.minor);
          CHECK(entry.idempotency_key == p.id + ":refund:" + r.id);
        }
      CHECK(refunds == 1);  // refunded once, whatever the kill
      CheckStoreAgainstLedger(e, *provider);
      REQUIRE(e.close().ok());
    }
  CHECK(n == 106);
}

TEST_CASE("payments: killed at random moments while orders are placed, shipped and cancelled",
          "[crash][payments]") {
  const std::string driver = GENERATE(from_range(commerce::testing::TestStorageDrivers()));
  INFO("driver " << driver);
  commerce::testing::TempDir dir;
  const Shop shop = MakeShop(dir.path(), driver);
  Setup(shop);
  std::mt19937_64 rng(20);
  const int rounds = commerce::testing::Scaled(6, 3);
  uint64_t first = 0;
  size_t acked_total = 0;
  for (int round = 0; round < rounds; ++round) {
    INFO("round " << round);
    auto acked = commerce::testing::RunKilledChild(
        [&](int fd) {
          auto provider = Provider(dir.path());
          // Now and then the provider acts and the answer is lost, or it declines.
          provider->add_rule({PaymentOperation::kAuthorize, Answer::kDecline, kDeclinedAmount, -1, "card_declined"});
          provider->add_rule({PaymentOperation::kAuthorize, Answer::kTimeout, -1, 5, ""});
          provider->add_rule({PaymentOperation::kCapture, Answer::kTimeout, -1, 3, ""});
          auto engine = Engine::open(Options(shop, provider, true));
          if (!engine.ok()) _exit(3);
          Engine& e = **engine;
          std::atomic<uint64_t> next{first};
          std::vector<std::thread> threads;
          for (int t = 0; t < 2; ++t)
            threads.emplace_back([&] {
              for (;;) {
                const uint64_t n = next.fetch_add(1);
                auto o = e.orders().place(Request("c" + std::to_string(n % 40), "r-" + std::to_string(n),
                                                  static_cast<int64_t>(n % 3) + 1));
                if (!o.ok()) _exit(4);
                commerce::testing::WriteAck(fd, n, o->id);
                std::this_thread::sleep_for(std::chrono::milliseconds(2));
              }
            });
          // Ships what is paid, cancels every fourth order it sees pending or paid.
          threads.emplace_back([&] {
            uint64_t seen = 0;
            for (;;) {
              auto pending = e.orders().list_by_status(OrderStatus::kPaid);
              if (pending.ok())
                for (const auto& o : pending->items) {
                  if (++seen % 4 == 0) {
                    (void)e.orders().transition(o.id, OrderStatus::kCancelled);
                  } else if (e.orders().transition(o.id, OrderStatus::kFulfilling).ok()) {
                    (void)e.orders().transition(o.id, OrderStatus::kShipped);
                  }
                }
              std::this_thread::sleep_for(std::chrono::milliseconds(3));
            }
          });
          for (auto& t : threads) t.join();
          _exit(0);
        },
        rng, 300);
    acked_total += acked.size();
    first = (acked.empty() ? first : acked.rbegin()->first) + 1000;
    auto provider = Provider(dir.path());
    auto engine = Engine::open(Options(shop, provider, false));
    REQUIRE(engine.ok());
    Engine& e = **engine;
    for (const auto& [n, id] : acked) {
      INFO("acknowledged order " << n << " " << id);
      REQUIRE(e.orders().get(id).ok());
      REQUIRE(e.payments().get(id).ok());  // its payment in the same commit
    }
    Drain(e);
    CheckStoreAgainstLedger(e, *provider);
    REQUIRE(e.close().ok());
  }
  CHECK(acked_total > 0);
}
