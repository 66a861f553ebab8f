// Payments: an engine with the built-in test provider; an order placed in payment_pending and
// authorized by the payment worker, captured when it ships; a second order declined (its stock
// released); the provider's ledger, which deduplicates by the engine's idempotency keys.
//   build/bin/example_payments /tmp/shop
// Safe to run again on the same store (records are created once; orders use fresh keys).
// See docs/payments.md.
#include <commerce/engine.h>

#include <chrono>
#include <iostream>
#include <string>
#include <thread>

namespace {

int Fail(const char* what, const commerce::Status& s) {
  std::cerr << what << ": " << s.ToString() << "\n";
  return 1;
}

// The worker runs on its own thread: wait (a little) until the order leaves `from`.
commerce::Order WaitPast(commerce::Engine& engine, const std::string& id, commerce::OrderStatus from) {
  commerce::Order o;
  for (int i = 0; i < 200; ++i) {
    o = *engine.orders().get(id);
    if (o.status != from) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  return o;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << "usage: " << argv[0] << " DIR\n";
    return 2;
  }
  const std::string dir = argv[1];
  // The test provider keeps its ledger in a directory of its own; a real one is your class
  // implementing commerce::PaymentProvider (authorize, capture, void_authorization, refund).
  auto provider = commerce::TestPaymentProvider::open(dir + "-provider");
  if (!provider.ok()) return Fail("provider", provider.status());
  // Authorizations of exactly 66.60 are declined, as a real provider's test amounts are.
  (*provider)->add_rule({.operation = commerce::PaymentOperation::kAuthorize,
                         .answer = commerce::TestPaymentProvider::Answer::kDecline,
                         .amount_minor = 6660,
                         .reason = "insufficient_funds"});
  commerce::EngineOptions options{.path = dir};
  options.payments.provider = *provider;
  auto opened = commerce::Engine::open(options);
  if (!opened.ok()) return Fail("open", opened.status());
  commerce::Engine& engine = **opened;

  commerce::Product tee;
  tee.id = "tee";
  tee.title = "Tee";
  tee.variants.push_back({.sku = "TEE", .price = {2220, "USD"}});
  if (auto s = engine.catalog().upsert(tee); !s.ok()) return Fail("product", s.status());
  if (auto s = engine.inventory().upsert_warehouse({"wh", "Reno", "us-west", 0, true}); !s.ok())
    return Fail("warehouse", s.status());
  if (auto s = engine.inventory().receive("TEE", "wh", 100); !s.ok()) return Fail("stock", s.status());
  if (auto c = engine.customers().get("ada"); c.status().IsNotFound())
    (void)engine.customers().create({.id = "ada", .email = "ada@example.com", .name = "Ada"});

  const std::string run = std::to_string(
      std::chrono::system_clock::now().time_since_epoch() / std::chrono::milliseconds(1));
  auto place = [&](const std::string& key, int64_t quantity) {
    commerce::PlaceOrder r;
    r.idempotency_key = key + "-" + run;
    r.customer_id = "ada";
    r.lines = {{"TEE", quantity}};
    r.shipping_address = {.name = "Ada", .line1 = "1 Main St", .city = "Reno", .region = "us-west",
                          .country = "US"};
    return engine.orders().place(r);
  };

  // 1. Placed: payment_pending, stock reserved, the authorization queued in the same commit.
  auto order = place("pay-ok", 2);
  if (!order.ok()) return Fail("place", order.status());
  std::cout << "placed " << order->id << ": " << commerce::OrderStatusName(order->status) << "\n";
  // 2. The worker asks the provider (outside any write) and records the answer: paid.
  commerce::Order paid = WaitPast(engine, order->id, commerce::OrderStatus::kPaymentPending);
  auto payment = engine.payments().get(order->id);
  if (!payment.ok()) return Fail("payment", payment.status());
  std::cout << "  -> " << commerce::OrderStatusName(paid.status) << ", payment "
            << commerce::PaymentStatusName(payment->status) << " " << payment->authorized_minor
            << " (" << payment->reference << ")\n";
  // 3. Shipping queues the capture.
  for (auto to : {commerce::OrderStatus::kFulfilling, commerce::OrderStatus::kShipped})
    if (auto s = engine.orders().transition(order->id, to); !s.ok()) return Fail("ship", s.status());
  for (int i = 0; i < 200 && engine.payments().get(order->id)->status != commerce::PaymentStatus::kCaptured; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  std::cout << "  shipped: payment " << commerce::PaymentStatusName(engine.payments().get(order->id)->status) << "\n";

  // 4. A declined authorization: payment_declined, and the reservation released.
  auto declined = place("pay-declined", 3);  // 3 x 22.20 = 66.60
  if (!declined.ok()) return Fail("place", declined.status());
  commerce::Order d = WaitPast(engine, declined->id, commerce::OrderStatus::kPaymentPending);
  std::cout << "placed " << declined->id << " -> " << commerce::OrderStatusName(d.status) << " ("
            << d.history.back().note << "); TEE reserved now " << engine.inventory().get("TEE", "wh")->reserved
            << "\n";

  // 5. The provider's ledger: one entry per idempotency key, however often it was asked.
  auto ledger = (*provider)->ledger();
  if (!ledger.ok()) return Fail("ledger", ledger.status());
  std::cout << "provider ledger (" << ledger->size() << " entries), this run's:\n";
  for (const auto& e : *ledger)
    if (e.payment_id == payment->id || e.payment_id == "pay-" + declined->id.substr(4))
      std::cout << "  " << e.idempotency_key << " " << commerce::PaymentResultName(e.result) << " "
                << e.amount_minor << (e.reason.empty() ? "" : " " + e.reason) << "\n";
  return 0;
}
