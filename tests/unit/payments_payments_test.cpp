// Payments (payments.h): placement in payment_pending with its outbox entry, the worker's
// outcomes (authorized, declined, unknown and retried with the same key), capture at shipment,
// void on cancel, refunds never past what was captured, abandonment, provider webhooks, and a
// cancel racing an authorization.
#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <map>
#include <set>
#include <thread>

#include "commerce/engine.h"
#include "common/key.h"
#include "engine/engine_core.h"
#include "payments/payment_store.h"
#include "unit/test_dir.h"
#include "unit/test_engine.h"

namespace payments_payments_test {

using namespace commerce;
using commerce::testing::TempDir;
using Answer = TestPaymentProvider::Answer;

namespace {

constexpr const char* kSecret = "whsec_0123456789abcdef";

class PayShop {
 public:
  // retry: the backoff after an unknown answer (retry_max twice it). A test that checks a
  // backoff or an abandonment by the clock gives it room: under ASan on a loaded machine one
  // round can take tens of milliseconds.
  explicit PayShop(const std::string& driver = "lmdb", bool with_provider = true,
                   std::chrono::milliseconds abandon_after = std::chrono::minutes(30),
                   std::chrono::milliseconds retry = std::chrono::milliseconds(10)) {
    auto p = TestPaymentProvider::open(dir_.path() + "/provider");
    REQUIRE(p.ok());
    provider_ = *p;
    EngineOptions o;
    o.path = dir_.path() + "/shop";
    commerce::testing::UseTestDriver(o, driver, "payments");
    o.run_background = false;
    o.search.run_indexer = false;
    if (with_provider) o.payments.provider = provider_;
    o.payments.retry_initial = retry;
    o.payments.retry_max = retry * 2;
    o.payments.abandon_after = abandon_after;
    o.payments.webhook_secret = kSecret;
    auto e = Engine::open(o);
    INFO(e.status().ToString());
    REQUIRE(e.ok());
    engine_ = std::move(*e);
    Product prod = commerce::testing::PlainProduct("tee", "Tee");
    REQUIRE(engine_->catalog().upsert(prod).ok());
    REQUIRE(engine_->inventory().upsert_warehouse({"wh", "Main", "east", 1, true}).ok());
    REQUIRE(engine_->inventory().receive("SKU-tee", "wh", 100).ok());
    Customer c;
    c.id = "ada";
    c.email = "ada@example.com";
    REQUIRE(engine_->customers().create(c).ok());
  }

  Engine& e() { return *engine_; }
  TestPaymentProvider& provider() { return *provider_; }

  Order Place(const std::string& key, int64_t quantity = 2) {
    PlaceOrder r;
    r.idempotency_key = key;
    r.customer_id = "ada";
    r.lines = {{"SKU-tee", quantity}};
    r.shipping_address = Address{"Ada", "1 Main St", "", "Town", "", "east", "US"};
    auto o = engine_->orders().place(r);
    INFO(o.status().ToString());
    REQUIRE(o.ok());
    return *o;
  }
  void Round() { REQUIRE(engine_->run_background_once().ok()); }
  OrderStatus StatusOf(const std::string& id) {
    auto o = engine_->orders().get(id);
    REQUIRE(o.ok());
    return o->status;
  }
  Payment PaymentOf(const std::string& id) {
    auto p = engine_->payments().get(id);
    INFO(p.status().ToString());
    REQUIRE(p.ok());
    return *p;
  }
  int64_t Reserved() {
    auto s = engine_->inventory().get("SKU-tee", "wh");
    REQUIRE(s.ok());
    return s->reserved;
  }
  Order Move(const std::string& id, OrderStatus to) {
    auto o = engine_->orders().transition(id, to);
    INFO(o.status().ToString());
    REQUIRE(o.ok());
    return *o;
  }
  std::vector<TestPaymentProvider::Entry> Ledger() {
    auto l = provider_->ledger();
    REQUIRE(l.ok());
    return *l;
  }
  // How often the ledger holds `op` for the order's payment, succeeded.
  int Count(const std::string& order_id, PaymentOperation op) {
    int n = 0;
    for (const auto& e : Ledger())
      n += e.payment_id == PaymentIdOf(order_id) && e.operation == op && e.result == PaymentResult::kSucceeded;
    return n;
  }
  std::vector<std::string> EventTypes(const std::string& prefix = "Payment") {
    return commerce::testing::EventTypesWithPrefix(*engine_, prefix);
  }

 private:
  TempDir dir_;
  std::shared_ptr<TestPaymentProvider> provider_;
  std::unique_ptr<Engine> engine_;
};

}  // namespace

TEST_CASE("payments: without a provider orders are placed and move as before", "[payments]") {
  PayShop shop("lmdb", /*with_provider=*/false);
  CHECK_FALSE(shop.e().payments().enabled());
  Order o = shop.Place("k1");
  CHECK(o.status == OrderStatus::kPlaced);
  CHECK(o.history.at(0).from == OrderStatus::kPlaced);
  CHECK(shop.e().payments().get(o.id).status().IsNotFound());
  CHECK(shop.e().payments().get("ord-ffffffffffffffff").status().IsNotFound());
  CHECK(shop.e().payments().refund(o.id, "r1", 100).status().IsFailedPrecondition());
  shop.Move(o.id, OrderStatus::kPaid);
  shop.Round();
  CHECK(shop.StatusOf(o.id) == OrderStatus::kPaid);
  CHECK(shop.Ledger().empty());
  CHECK(shop.EventTypes().empty());
}

TEST_CASE("payments: the status names and the state machine's payment states", "[payments]") {
  CHECK(std::string(OrderStatusName(OrderStatus::kPaymentPending)) == "payment_pending");
  CHECK(std::string(OrderStatusName(OrderStatus::kPaymentDeclined)) == "payment_declined");
  CHECK(*ParseOrderStatus("payment_pending") == OrderStatus::kPaymentPending);
  CHECK(*ParseOrderStatus("payment_declined") == OrderStatus::kPaymentDeclined);
  auto bad = ParseOrderStatus("payment");
  REQUIRE(bad.status().IsInvalidArgument());
  CHECK(bad.status().message().find("payment_declined") != std::string::npos);
  // Stored numbers never change: the new ones are appended.
  CHECK(static_cast<int>(OrderStatus::kRefunded) == 7);
  CHECK(static_cast<int>(OrderStatus::kPaymentPending) == 8);
  CHECK(static_cast<int>(OrderStatus::kPaymentDeclined) == 9);
  CHECK(std::string(PaymentStatusName(PaymentStatus::kFailed)) == "failed");
  CHECK(std::string(PaymentOperationName(PaymentOperation::kVoid)) == "void");
}

TEST_CASE("payments: authorize -> paid, capture at shipment, refund at refunded, each once", "[payments]") {
  // Every driver: on PostgreSQL the worker runs under its lease.
  auto driver = GENERATE(from_range(commerce::testing::TestStorageDrivers()));
  CAPTURE(driver);
  PayShop shop(driver);
  CHECK(shop.e().payments().enabled());
  Order o = shop.Place("k1");
  CHECK(o.status == OrderStatus::kPaymentPending);
  CHECK(o.history.at(0).to == OrderStatus::kPaymentPending);
  CHECK(shop.Reserved() == 2);
  Payment p = shop.PaymentOf(o.id);
  CHECK(p.id == PaymentIdOf(o.id));
  CHECK(p.status == PaymentStatus::kPending);
  CHECK(p.amount == o.total);
  CHECK(p.pending_operations == 1);
  CHECK(p.provider == "test");
  // The placement's replay writes no second payment.
  {
    PlaceOrder r;
    r.idempotency_key = "k1";
    r.customer_id = "ada";
    r.lines = {{"SKU-tee", 2}};
    r.shipping_address = Address{"Ada", "1 Main St", "", "Town", "", "east", "US"};
    bool replayed = false;
    REQUIRE(shop.e().orders().place(r, &replayed).ok());
    CHECK(replayed);
  }
  // Nobody but the worker moves it to paid.
  auto early = shop.e().orders().transition(o.id, OrderStatus::kPaid);
  CHECK(early.status().IsFailedPrecondition());
  CHECK(shop.e().orders().transition(o.id, OrderStatus::kPaymentDeclined).status().IsFailedPrecondition());
  CHECK(shop.provider().calls() == 0);  // never inside placement

  shop.Round();
  CHECK(shop.StatusOf(o.id) == OrderStatus::kPaid);
  p = shop.PaymentOf(o.id);
  CHECK(p.status == PaymentStatus::kAuthorized);
  CHECK(p.authorized_minor == o.total.minor);
  CHECK(p.pending_operations == 0);
  CHECK(!p.reference.empty());
  CHECK(shop.Reserved() == 2);

  shop.Move(o.id, OrderStatus::kFulfilling);
  shop.Round();
  CHECK(shop.Count(o.id, PaymentOperation::kCapture) == 0);  // not before shipment
  shop.Move(o.id, OrderStatus::kShipped);
  CHECK(shop.PaymentOf(o.id).pending_operations == 1);
  shop.Round();
  p = shop.PaymentOf(o.id);
  CHECK(p.status == PaymentStatus::kCaptured);
  CHECK(p.captured_minor == o.total.minor);
  shop.Move(o.id, OrderStatus::kDelivered);
  shop.Move(o.id, OrderStatus::kReturned);
  shop.Move(o.id, OrderStatus::kRefunded);
  shop.Round();
  p = shop.PaymentOf(o.id);
  CHECK(p.status == PaymentStatus::kRefunded);
  CHECK(p.refunded_minor == o.total.minor);
  REQUIRE(p.refunds.size() == 1);
  CHECK(p.refunds[0].id == "order-refunded");
  CHECK(p.refunds[0].status == RefundStatus::kSucceeded);
  shop.Round();
  CHECK(shop.Count(o.id, PaymentOperation::kAuthorize) == 1);
  CHECK(shop.Count(o.id, PaymentOperation::kCapture) == 1);
  CHECK(shop.Count(o.id, PaymentOperation::kRefund) == 1);
  CHECK(shop.Ledger().size() == 3);
  CHECK(shop.EventTypes() ==
        std::vector<std::string>{"PaymentAuthorized", "PaymentCaptured", "PaymentRefunded"});
  // commerce verify checks the payments and their outbox too.
  auto report = shop.e().verify();
  REQUIRE(report.ok());
  CHECK(report->problems.empty());
  // Every payment event is one a webhook may subscribe to.
  const auto& known = WebhookEventTypes();
  for (const auto& type : shop.EventTypes())
    CHECK(std::find(known.begin(), known.end(), type) != known.end());
}

TEST_CASE("payments: a declined authorization releases the stock", "[payments]") {
  auto driver = GENERATE(from_range(commerce::testing::TestStorageDrivers()));
  CAPTURE(driver);
  PayShop shop(driver);
  shop.provider().add_rule({PaymentOperation::kAuthorize, Answer::kDecline, -1, 1, "insufficient_funds"});
  Order o = shop.Place("k1");
  CHECK(shop.Reserved() == 2);
  shop.Round();
  CHECK(shop.StatusOf(o.id) == OrderStatus::kPaymentDeclined);
  CHECK(shop.Reserved() == 0);
  Payment p = shop.PaymentOf(o.id);
  CHECK(p.status == PaymentStatus::kDeclined);
  CHECK(p.reason == "insufficient_funds");
  CHECK(shop.EventTypes() == std::vector<std::string>{"PaymentDeclined"});
  // Final: no way out, and nothing more is asked.
  CHECK(shop.e().orders().transition(o.id, OrderStatus::kCancelled).status().IsFailedPrecondition());
  shop.Round();
  CHECK(shop.Ledger().size() == 1);
  // The next order is authorized (the rule was for one call).
  Order o2 = shop.Place("k2");
  shop.Round();
  CHECK(shop.StatusOf(o2.id) == OrderStatus::kPaid);
}

TEST_CASE("payments: an unknown answer is asked again with the same key", "[payments]") {
  auto answer = GENERATE(Answer::kTimeout, Answer::kUnreachable);
  CAPTURE(static_cast<int>(answer));
  // Backoff 500 ms (then 1 s): the round right after an unknown answer is well inside it.
  PayShop shop("lmdb", true, std::chrono::minutes(30), std::chrono::milliseconds(500));
  shop.provider().add_rule({PaymentOperation::kAuthorize, answer, -1, 2, ""});
  Order o = shop.Place("k1");
  shop.Round();
  CHECK(shop.StatusOf(o.id) == OrderStatus::kPaymentPending);
  Payment p = shop.PaymentOf(o.id);
  CHECK(p.status == PaymentStatus::kPending);
  CHECK(!p.last_error.empty());
  CHECK(p.pending_operations == 1);
  // Backed off: an immediate round does not ask again.
  const uint64_t calls = shop.provider().calls();
  shop.Round();
  CHECK(shop.provider().calls() == calls);
  for (int i = 0; i < 300 && shop.StatusOf(o.id) == OrderStatus::kPaymentPending; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    shop.Round();
  }
  CHECK(shop.StatusOf(o.id) == OrderStatus::kPaid);
  CHECK(shop.provider().calls() == 3);
  p = shop.PaymentOf(o.id);
  CHECK(p.last_error.empty());
  // One authorization in the ledger, under the derived key, however many calls.
  auto ledger = shop.Ledger();
  REQUIRE(ledger.size() == 1);
  CHECK(ledger[0].idempotency_key == PaymentIdOf(o.id) + ":authorize");
  CHECK(shop.EventTypes() == std::vector<std::string>{"PaymentAuthorized"});
}

TEST_CASE("payments: cancel while pending voids, and the authorization is never asked", "[payments]") {
  PayShop shop;
  Order o = shop.Place("k1");
  shop.Move(o.id, OrderStatus::kCancelled);
  CHECK(shop.Reserved() == 0);
  CHECK(shop.PaymentOf(o.id).pending_operations == 2);
  shop.Round();
  Payment p = shop.PaymentOf(o.id);
  CHECK(p.status == PaymentStatus::kVoided);
  CHECK(p.pending_operations == 0);
  auto ledger = shop.Ledger();
  REQUIRE(ledger.size() == 1);
  CHECK(ledger[0].operation == PaymentOperation::kVoid);
  // A late authorization under its key (a process that asked before a crash) is refused.
  PaymentRequest late;
  late.operation = PaymentOperation::kAuthorize;
  late.idempotency_key = PaymentIdOf(o.id) + ":authorize";
  late.payment_id = PaymentIdOf(o.id);
  late.amount = o.total;
  CHECK(shop.provider().authorize(late).result == PaymentResult::kDeclined);
}

TEST_CASE("payments: cancel after authorization voids it and captures nothing", "[payments]") {
  PayShop shop;
  Order o = shop.Place("k1");
  shop.Round();
  REQUIRE(shop.StatusOf(o.id) == OrderStatus::kPaid);
  shop.Move(o.id, OrderStatus::kCancelled);
  shop.Round();
  CHECK(shop.PaymentOf(o.id).status == PaymentStatus::kVoided);
  CHECK(shop.Count(o.id, PaymentOperation::kVoid) == 1);
  CHECK(shop.Count(o.id, PaymentOperation::kCapture) == 0);
  CHECK(shop.Reserved() == 0);
}

TEST_CASE("payments: a cancel that lands while the provider authorizes", "[payments]") {
  PayShop shop;
  Order o = shop.Place("k1");
  // The provider has recorded the authorization; before the worker records it, the buyer
  // cancels (from the provider's call, i.e. outside any mutation, on the worker's thread).
  std::atomic<bool> cancelled{false};
  Engine* e = &shop.e();
  shop.provider().set_call_hook([&](const PaymentRequest& r, bool recorded) {
    if (recorded && r.operation == PaymentOperation::kAuthorize && !cancelled.exchange(true))
      REQUIRE(e->orders().transition(r.order_id, OrderStatus::kCancelled).ok());
  });
  shop.Round();
  CHECK(cancelled.load());
  CHECK(shop.StatusOf(o.id) == OrderStatus::kCancelled);
  CHECK(shop.Reserved() == 0);
  // The authorization is recorded (the order stays cancelled), then the void queued by the
  // cancel is asked, in the same round.
  Payment p = shop.PaymentOf(o.id);
  CHECK(p.status == PaymentStatus::kVoided);
  CHECK(p.authorized_minor == o.total.minor);
  CHECK(p.pending_operations == 0);
  CHECK(shop.EventTypes() == std::vector<std::string>{"PaymentAuthorized", "PaymentVoided"});
  CHECK(shop.Count(o.id, PaymentOperation::kCapture) == 0);
  CHECK(shop.Count(o.id, PaymentOperation::kVoid) == 1);
  // A shipment of it is impossible: cancelled is final.
  CHECK(shop.e().orders().transition(o.id, OrderStatus::kFulfilling).status().IsFailedPrecondition());
}

TEST_CASE("payments: cancels racing the worker's thread never leave a capture without an order",
          "[payments][threads]") {
  TempDir dir;
  auto provider = TestPaymentProvider::open(dir.path() + "/provider");
  REQUIRE(provider.ok());
  EngineOptions o;
  o.path = dir.path() + "/shop";
  o.search.run_indexer = false;
  o.payments.provider = *provider;
  o.payments.retry_initial = std::chrono::milliseconds(10);
  o.payments.retry_max = std::chrono::milliseconds(20);
  // Some answers are lost: the retries interleave with the cancels too.
  (*provider)->add_rule({PaymentOperation::kAuthorize, Answer::kTimeout, -1, 5, ""});
  auto opened = Engine::open(o);
  REQUIRE(opened.ok());
  Engine& e = **opened;
  REQUIRE(e.catalog().upsert(commerce::testing::PlainProduct("tee", "Tee")).ok());
  REQUIRE(e.inventory().upsert_warehouse({"wh", "Main", "east", 1, true}).ok());
  REQUIRE(e.inventory().receive("SKU-tee", "wh", 10000).ok());
  Customer c;
  c.id = "ada";
  c.email = "ada@example.com";
  REQUIRE(e.customers().create(c).ok());
  const int n = 40;
  std::vector<std::string> ids;
  for (int i = 0; i < n; ++i) {
    PlaceOrder r;
    r.idempotency_key = "k" + std::to_string(i);
    r.customer_id = "ada";
    r.lines = {{"SKU-tee", 1}};
    r.shipping_address = Address{"Ada", "1 Main St", "", "Town", "", "east", "US"};
    auto placed = e.orders().place(r);
    REQUIRE(placed.ok());
    ids.push_back(placed->id);
  }
  // One thread cancels every other order, one ships what is paid, while the worker runs.
  std::thread canceller([&] {
    for (int i = 0; i < n; i += 2) {
      (void)e.orders().transition(ids[i], OrderStatus::kCancelled);
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  });
  std::thread shipper([&] {
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    std::set<std::string> shipped;
    while (shipped.size() < static_cast<size_t>(n) && std::chrono::steady_clock::now() < until) {
      for (const auto& id : ids) {
        if (shipped.count(id)) continue;
        auto got = e.orders().get(id);
        if (!got.ok()) continue;
        if (got->status == OrderStatus::kPaid) {
          // The canceller may win between the read and these moves: then they fail.
          if (e.orders().transition(id, OrderStatus::kFulfilling).ok())
            (void)e.orders().transition(id, OrderStatus::kShipped);
        }
        if (got->status != OrderStatus::kPaymentPending && got->status != OrderStatus::kPaid) shipped.insert(id);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
  });
  canceller.join();
  shipper.join();
  // Let the worker finish what is queued.
  for (int i = 0; i < 300; ++i) {
    bool idle = true;
    for (const auto& id : ids) idle = idle && e.payments().get(id)->pending_operations == 0;
    if (idle) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  auto ledger = (*provider)->ledger();
  REQUIRE(ledger.ok());
  std::map<std::string, int> captures, voids, auths;
  for (const auto& entry : *ledger) {
    if (entry.result != PaymentResult::kSucceeded) continue;
    if (entry.operation == PaymentOperation::kCapture) ++captures[entry.payment_id];
    if (entry.operation == PaymentOperation::kVoid) ++voids[entry.payment_id];
    if (entry.operation == PaymentOperation::kAuthorize) ++auths[entry.payment_id];
  }
  for (const auto& id : ids) {
    INFO(id);
    auto order = e.orders().get(id);
    auto p = e.payments().get(id);
    REQUIRE(order.ok());
    REQUIRE(p.ok());
    CHECK(p->pending_operations == 0);
    const std::string pid = PaymentIdOf(id);
    CHECK(captures[pid] <= 1);
    if (captures[pid] == 1) {
      CHECK(order->status == OrderStatus::kShipped);  // a capture only with its order shipped
      CHECK(p->status == PaymentStatus::kCaptured);
      CHECK(voids[pid] == 0);
    }
    if (order->status == OrderStatus::kCancelled) {
      CHECK(captures[pid] == 0);
      CHECK(voids[pid] == 1);
      CHECK(p->status == PaymentStatus::kVoided);
    }
    CHECK(auths[pid] <= 1);
  }
  auto stock = e.inventory().get("SKU-tee", "wh");
  REQUIRE(stock.ok());
  int64_t held = 0;
  for (const auto& id : ids) {
    auto s = e.orders().get(id)->status;
    held += s == OrderStatus::kPaid || s == OrderStatus::kFulfilling || s == OrderStatus::kPaymentPending;
  }
  CHECK(stock->reserved == held);
}

TEST_CASE("payments: an order never authorized is abandoned: cancelled, stock released, voided",
          "[payments]") {
  // 1 s: the first round, right after placement, is well inside it (under ASan too).
  PayShop shop("lmdb", true, std::chrono::milliseconds(1000));
  shop.provider().add_rule({PaymentOperation::kAuthorize, Answer::kUnreachable, -1, -1, ""});
  Order o = shop.Place("k1");
  shop.Round();
  CHECK(shop.StatusOf(o.id) == OrderStatus::kPaymentPending);
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  shop.Round();
  auto order = shop.e().orders().get(o.id);
  REQUIRE(order.ok());
  CHECK(order->status == OrderStatus::kCancelled);
  CHECK(order->history.back().note.find("payment not authorized within") == 0);
  CHECK(shop.Reserved() == 0);
  for (int i = 0; i < 50 && shop.PaymentOf(o.id).status != PaymentStatus::kVoided; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    shop.Round();
  }
  CHECK(shop.PaymentOf(o.id).status == PaymentStatus::kVoided);
  CHECK(shop.Count(o.id, PaymentOperation::kAuthorize) == 0);
  auto types = shop.EventTypes();
  CHECK(types == std::vector<std::string>{"PaymentAbandoned", "PaymentVoided"});
}

TEST_CASE("payments: refunds: bad input, never past what was captured, idempotent by id", "[payments]") {
  PayShop shop;
  Order o = shop.Place("k1");
  Payments& pay = shop.e().payments();
  CHECK(pay.refund(o.id, "r1", 100).status().IsFailedPrecondition());  // not captured yet
  shop.Round();
  shop.Move(o.id, OrderStatus::kFulfilling);
  shop.Move(o.id, OrderStatus::kShipped);
  shop.Round();
  REQUIRE(shop.PaymentOf(o.id).status == PaymentStatus::kCaptured);
  const int64_t total = o.total.minor;
  CHECK(pay.refund(o.id, "", 100).status().IsInvalidArgument());
  CHECK(pay.refund(o.id, "r 1", 100).status().IsInvalidArgument());
  CHECK(pay.refund(o.id, std::string(65, 'r'), 100).status().IsInvalidArgument());
  CHECK(pay.refund(o.id, "order-refunded", 100).status().IsInvalidArgument());
  CHECK(pay.refund(o.id, "r1", 0).status().IsInvalidArgument());
  CHECK(pay.refund(o.id, "r1", -5).status().IsInvalidArgument());
  CHECK(pay.refund("", "r1", 5).status().IsInvalidArgument());
  CHECK(pay.refund("ord-0000000000000000", "r1", 5).status().IsNotFound());
  CHECK(pay.refund(o.id, "r1", total + 1).status().IsFailedPrecondition());
  auto r1 = pay.refund(o.id, "r1", 500);
  REQUIRE(r1.ok());
  CHECK(r1->refund_pending_minor == 500);
  auto again = pay.refund(o.id, "r1", 500);  // the same refund: nothing more
  REQUIRE(again.ok());
  CHECK(again->version == r1->version);
  CHECK(pay.refund(o.id, "r1", 600).status().IsConflict());
  // Pending refunds count: the rest, and not a unit more.
  CHECK(pay.refund(o.id, "r2", total - 500 + 1).status().IsFailedPrecondition());
  REQUIRE(pay.refund(o.id, "r2", total - 500).ok());
  shop.Round();
  Payment p = shop.PaymentOf(o.id);
  CHECK(p.refunded_minor == total);
  CHECK(p.status == PaymentStatus::kRefunded);
  CHECK(pay.refund(o.id, "r3", 1).status().IsFailedPrecondition());
  // The order's own refunded move then has nothing left to refund.
  shop.Move(o.id, OrderStatus::kDelivered);
  shop.Move(o.id, OrderStatus::kReturned);
  shop.Move(o.id, OrderStatus::kRefunded);
  shop.Round();
  CHECK(shop.Count(o.id, PaymentOperation::kRefund) == 2);
}

TEST_CASE("payments: a refund declined by the provider frees its amount", "[payments]") {
  PayShop shop;
  Order o = shop.Place("k1");
  shop.Round();
  shop.Move(o.id, OrderStatus::kFulfilling);
  shop.Move(o.id, OrderStatus::kShipped);
  shop.Round();
  shop.provider().add_rule({PaymentOperation::kRefund, Answer::kDecline, -1, 1, "refund_window_closed"});
  REQUIRE(shop.e().payments().refund(o.id, "r1", 100).ok());
  shop.Round();
  Payment p = shop.PaymentOf(o.id);
  CHECK(p.refund_pending_minor == 0);
  CHECK(p.refunded_minor == 0);
  REQUIRE(p.refunds.size() == 1);
  CHECK(p.refunds[0].status == RefundStatus::kDeclined);
  CHECK(p.refunds[0].reason == "refund_window_closed");
  CHECK(shop.EventTypes().back() == "PaymentRefundDeclined");
}

TEST_CASE("payments: a declined capture marks the payment failed", "[payments]") {
  PayShop shop;
  Order o = shop.Place("k1");
  shop.Round();
  shop.provider().add_rule({PaymentOperation::kCapture, Answer::kDecline, -1, 1, "authorization_expired"});
  shop.Move(o.id, OrderStatus::kFulfilling);
  shop.Move(o.id, OrderStatus::kShipped);
  shop.Round();
  Payment p = shop.PaymentOf(o.id);
  CHECK(p.status == PaymentStatus::kFailed);
  CHECK(p.reason == "authorization_expired");
  CHECK(p.captured_minor == 0);
  CHECK(shop.e().payments().refund(o.id, "r1", 1).status().IsFailedPrecondition());
  // Refunding the order then refunds nothing: nothing was captured.
  shop.Move(o.id, OrderStatus::kDelivered);
  shop.Move(o.id, OrderStatus::kReturned);
  shop.Move(o.id, OrderStatus::kRefunded);
  shop.Round();
  CHECK(shop.Count(o.id, PaymentOperation::kRefund) == 0);
}

TEST_CASE("payments: provider webhooks: verified, and the same event twice changes nothing", "[payments]") {
  PayShop shop;
  shop.provider().set_webhook_secret(kSecret);
  SECTION("an answer given twice") {
    shop.provider().add_rule({PaymentOperation::kAuthorize, Answer::kAnswerTwice, -1, 1, ""});
    Order o = shop.Place("k1");
    shop.Round();
    CHECK(shop.StatusOf(o.id) == OrderStatus::kPaid);
    const uint64_t version = shop.PaymentOf(o.id).version;
    auto hooks = shop.provider().take_webhooks();
    REQUIRE(hooks.size() == 2);
    bool duplicate = true;
    REQUIRE(shop.e().payments().handle_webhook("test", hooks[0].signature, hooks[0].body, &duplicate).ok());
    CHECK_FALSE(duplicate);  // a new event, for an operation answered already
    REQUIRE(shop.e().payments().handle_webhook("test", hooks[1].signature, hooks[1].body, &duplicate).ok());
    CHECK(duplicate);
    CHECK(shop.PaymentOf(o.id).version == version);
    CHECK(shop.EventTypes() == std::vector<std::string>{"PaymentAuthorized"});
  }
  SECTION("a webhook answers an operation whose call timed out") {
    shop.provider().add_rule({PaymentOperation::kAuthorize, Answer::kTimeout, -1, -1, ""});
    Order o = shop.Place("k1");
    shop.Round();
    CHECK(shop.StatusOf(o.id) == OrderStatus::kPaymentPending);
    const std::string body = "{\"id\":\"evt-1\",\"idempotency_key\":\"" + PaymentIdOf(o.id) +
                             ":authorize\",\"result\":\"succeeded\",\"reference\":\"ch_1\"}";
    const int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                            std::chrono::system_clock::now().time_since_epoch()).count();
    const uint64_t calls = shop.provider().calls();
    REQUIRE(shop.e().payments().handle_webhook("test", WebhookSignature(kSecret, now, body), body).ok());
    CHECK(shop.StatusOf(o.id) == OrderStatus::kPaid);
    Payment p = shop.PaymentOf(o.id);
    CHECK(p.reference == "ch_1");
    CHECK(p.pending_operations == 0);
    shop.Round();
    CHECK(shop.provider().calls() == calls);  // not asked again
    // Bad input, each refused before anything is written.
    const uint64_t version = p.version;
    auto refused = [&](const std::string& provider, const std::string& sig, const std::string& b) {
      return shop.e().payments().handle_webhook(provider, sig, b);
    };
    CHECK(refused("test", "t=1,v1=00", body).IsInvalidArgument());
    CHECK(refused("test", "", body).IsInvalidArgument());
    CHECK(refused("test", WebhookSignature("another_secret_0123", now, body), body).IsInvalidArgument());
    CHECK(refused("test", WebhookSignature(kSecret, now - 3600, body), body).IsInvalidArgument());  // replayed
    CHECK(refused("stripe", WebhookSignature(kSecret, now, body), body).IsNotFound());
    auto signed_body = [&](const std::string& b) { return refused("test", WebhookSignature(kSecret, now, b), b); };
    CHECK(signed_body("not json").IsInvalidArgument());
    CHECK(signed_body("[]").IsInvalidArgument());
    CHECK(signed_body("{\"idempotency_key\":\"x\",\"result\":\"succeeded\"}").IsInvalidArgument());
    CHECK(signed_body("{\"id\":\"e2\",\"idempotency_key\":\"nope\",\"result\":\"succeeded\"}").IsInvalidArgument());
    CHECK(signed_body("{\"id\":\"e2\",\"idempotency_key\":\"" + PaymentIdOf(o.id) +
                      ":authorize\",\"result\":\"maybe\"}").IsInvalidArgument());
    CHECK(signed_body("{\"id\":7,\"idempotency_key\":\"x\",\"result\":\"succeeded\"}").IsInvalidArgument());
    CHECK(shop.PaymentOf(o.id).version == version);
  }
}

TEST_CASE("payments: webhooks refused when payments or the secret are off", "[payments]") {
  PayShop off("lmdb", false);
  CHECK(off.e().payments().handle_webhook("test", "t=1,v1=00", "{}").IsFailedPrecondition());
  TempDir dir;
  auto provider = TestPaymentProvider::open(dir.path() + "/p");
  REQUIRE(provider.ok());
  EngineOptions o = commerce::testing::QuietEngineOptions(dir.path() + "/shop");
  o.payments.provider = *provider;
  auto e = Engine::open(o);
  REQUIRE(e.ok());
  CHECK((*e)->payments().handle_webhook("test", "t=1,v1=00", "{}").IsFailedPrecondition());
}

TEST_CASE("payments: bad options are refused at open", "[payments]") {
  TempDir dir;
  struct Named : PaymentProvider {
    std::string n;
    explicit Named(std::string s) : n(std::move(s)) {}
    std::string name() const override { return n; }
    PaymentOutcome authorize(const PaymentRequest&) override { return {}; }
    PaymentOutcome capture(const PaymentRequest&) override { return {}; }
    PaymentOutcome void_authorization(const PaymentRequest&) override { return {}; }
    PaymentOutcome refund(const PaymentRequest&) override { return {}; }
  };
  auto bad = [&](const std::function<void(PaymentOptions&)>& change) {
    EngineOptions o = commerce::testing::QuietEngineOptions(dir.path());
    o.payments.provider = std::make_shared<Named>("ok");
    change(o.payments);
    return Engine::open(o).status();
  };
  CHECK(bad([](PaymentOptions&) {}).ok());
  CHECK(bad([](PaymentOptions& p) { p.provider = std::make_shared<Named>(""); }).IsInvalidArgument());
  CHECK(bad([](PaymentOptions& p) { p.provider = std::make_shared<Named>("Stripe"); }).IsInvalidArgument());
  CHECK(bad([](PaymentOptions& p) { p.provider = std::make_shared<Named>(std::string(33, 'a')); }).IsInvalidArgument());
  CHECK(bad([](PaymentOptions& p) { p.abandon_after = std::chrono::milliseconds(5); }).IsInvalidArgument());
  CHECK(bad([](PaymentOptions& p) { p.retry_initial = std::chrono::milliseconds(1); }).IsInvalidArgument());
  CHECK(bad([](PaymentOptions& p) { p.retry_max = std::chrono::milliseconds(50); p.retry_initial = std::chrono::milliseconds(100); }).IsInvalidArgument());
  CHECK(bad([](PaymentOptions& p) { p.webhook_secret = "short"; }).IsInvalidArgument());
  CHECK(bad([](PaymentOptions& p) { p.webhook_tolerance_s = 0; }).IsInvalidArgument());
  CHECK(TestPaymentProvider::open("").status().IsInvalidArgument());
}

TEST_CASE("payments: a damaged payment or outbox record is Corruption", "[payments]") {
  PayShop shop;
  Order o = shop.Place("k1");
  const Tables* t = nullptr;
  auto tables = [&](Storage& s, const char* name) {
    auto table = s.table(name);
    REQUIRE(table.ok());
    return *table;
  };
  (void)t;
  Storage& s = shop.e().storage();
  const Table payments = tables(s, "payments");
  const Table outbox = tables(s, "payment_outbox");
  std::string good;
  {
    auto txn = s.read();
    REQUIRE(txn.ok());
    auto v = (*txn)->get(payments, PaymentRecordKey(o.id));
    REQUIRE(v.ok());
    good = *v;
  }
  std::string bad = good;
  bad[bad.size() / 2] ^= 0x20;
  REQUIRE(s.write([&](WriteTxn& txn) { return txn.put(payments, PaymentRecordKey(o.id), bad); }).ok());
  CHECK(shop.e().payments().get(o.id).status().IsCorruption());
  CHECK(shop.e().run_background_once().IsCorruption());
  auto report = shop.e().verify();
  REQUIRE(report.ok());
  bool named = false;
  for (const auto& problem : report->problems) named = named || problem.where.rfind("payments", 0) == 0;
  CHECK(named);
  REQUIRE(s.write([&](WriteTxn& txn) { return txn.put(payments, PaymentRecordKey(o.id), good); }).ok());
  REQUIRE(s.write([&](WriteTxn& txn) { return txn.put(outbox, OutboxKey(o.id, 0), "\x02garbage"); }).ok());
  CHECK(shop.e().run_background_once().IsCorruption());
  CHECK(shop.provider().calls() == 0);  // nothing asked on the strength of a damaged entry
}

TEST_CASE("payments: a long outbox waiting out its backoff does not hold back an entry behind it",
          "[payments]") {
  PayShop shop;
  // 1,500 entries of other payments, all backing off (more than one page of the outbox),
  // under order ids that sort before any real one.
  Storage& s = shop.e().storage();
  auto outbox = s.table("payment_outbox");
  REQUIRE(outbox.ok());
  const int64_t later = std::chrono::duration_cast<std::chrono::milliseconds>(
                            std::chrono::system_clock::now().time_since_epoch()).count() + 3'600'000;
  REQUIRE(s.write([&](WriteTxn& txn) -> Status {
    for (int i = 0; i < 1500; ++i) {
      char id[32];
      std::snprintf(id, sizeof id, "ord-0000000000%06x", i);
      PaymentOperationEntry e;
      e.amount_minor = 100;
      e.attempts = 3;
      e.next_attempt_ms = later;
      COMMERCE_RETURN_IF_ERROR(txn.put(*outbox, OutboxKey(id, 0), EncodeOperation(e)));
    }
    return Status::OK();
  }).ok());
  Order o = shop.Place("k1");
  REQUIRE(o.id > "ord-0000000000ffffff");
  shop.Round();
  CHECK(shop.StatusOf(o.id) == OrderStatus::kPaid);
  CHECK(shop.provider().calls() == 1);  // none of the others was asked before its time
}

}  // namespace payments_payments_test
