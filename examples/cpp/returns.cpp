// Returns: an order paid through the built-in test provider, shipped and delivered; a return
// of one of its two units, approved, received back into a returns warehouse and refunded
// through the payment (the provider is asked with a key derived from the return id); then an
// exchange of the other unit for a mug, placed as a linked order on approval.
//   build/bin/example_returns /tmp/shop
// Safe to run again on the same store (records are created once; orders use fresh keys).
// See docs/returns.md.
#include <commerce/engine.h>

#include <chrono>
#include <iostream>
#include <string>

namespace {

int Fail(const char* what, const commerce::Status& s) {
  std::cerr << what << ": " << s.ToString() << "\n";
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << "usage: " << argv[0] << " DIR\n";
    return 2;
  }
  const std::string dir = argv[1];
  auto provider = commerce::TestPaymentProvider::open(dir + "-provider");
  if (!provider.ok()) return Fail("provider", provider.status());
  commerce::EngineOptions options{.path = dir};
  options.payments.provider = *provider;
  options.run_background = false;  // the payment worker runs when we say (run_background_once)
  auto opened = commerce::Engine::open(options);
  if (!opened.ok()) return Fail("open", opened.status());
  commerce::Engine& engine = **opened;

  for (auto [id, price] : {std::pair{"tee", 2000}, std::pair{"mug", 1200}}) {
    commerce::Product p;
    p.id = id;
    p.title = id;
    p.variants.push_back({.sku = std::string(id) + "-1", .price = {price, "USD"}});
    if (auto s = engine.catalog().upsert(p); !s.ok()) return Fail("product", s.status());
  }
  for (auto [id, name] : {std::pair{"wh", "Reno"}, std::pair{"returns", "Returns desk"}})
    if (auto s = engine.inventory().upsert_warehouse({id, name, "us-west", 0, true}); !s.ok())
      return Fail("warehouse", s.status());
  for (const char* sku : {"tee-1", "mug-1"})
    if (auto s = engine.inventory().receive(sku, "wh", 10); !s.ok()) return Fail("stock", s.status());
  commerce::Customer ada;
  ada.id = "ada";
  ada.email = "ada@example.com";
  if (auto s = engine.customers().create(ada); !s.ok() && !s.status().IsAlreadyExists())
    return Fail("customer", s.status());

  // An order of two tees, paid (authorized by the worker), shipped (captured), delivered.
  commerce::PlaceOrder req;
  req.idempotency_key = "returns-example-" + std::to_string(std::chrono::system_clock::now().time_since_epoch().count());
  req.customer_id = "ada";
  req.lines = {{"tee-1", 2}};
  req.shipping_address = {.name = "Ada", .line1 = "1 Main St", .city = "Reno", .region = "us-west", .country = "US"};
  auto order = engine.orders().place(req);
  if (!order.ok()) return Fail("place", order.status());
  const std::string id = order->id;
  if (auto s = engine.run_background_once(); !s.ok()) return Fail("authorize", s);
  for (auto to : {commerce::OrderStatus::kFulfilling, commerce::OrderStatus::kShipped,
                  commerce::OrderStatus::kDelivered}) {
    if (auto s = engine.orders().transition(id, to); !s.ok()) return Fail("transition", s.status());
    if (auto s = engine.run_background_once(); !s.ok()) return Fail("worker", s);  // the capture
  }

  // A return of one tee: approved, received into the returns desk, refunded via the payment.
  auto r = engine.returns().request({.order_id = id, .lines = {{"tee-1", 1, "too small"}}});
  if (!r.ok()) return Fail("request", r.status());
  std::cout << "return " << r->id << " requested; refund due " << r->refund.minor << " " << r->refund.currency << "\n";
  if (auto s = engine.returns().approve(r->id); !s.ok()) return Fail("approve", s.status());
  if (auto s = engine.returns().receive(r->id, {{.sku = "tee-1", .warehouse_id = "returns"}}); !s.ok())
    return Fail("receive", s.status());
  auto refunded = engine.returns().refund(r->id);
  if (!refunded.ok()) return Fail("refund", refunded.status());
  if (auto s = engine.run_background_once(); !s.ok()) return Fail("worker", s);  // asks the provider
  auto payment = engine.payments().get(id);
  if (!payment.ok()) return Fail("payment", payment.status());
  std::cout << "refunded " << refunded->refund.minor << " via " << commerce::RefundMethodName(refunded->refund_method)
            << "; payment captured " << payment->captured_minor << ", refunded " << payment->refunded_minor << "\n";
  std::cout << "tees back on hand at the returns desk: " << engine.inventory().get("tee-1", "returns")->on_hand
            << "\n";

  // The other tee exchanged for a mug: the mug's order is placed when the return is approved.
  auto x = engine.returns().request(
      {.order_id = id, .lines = {{"tee-1", 1, "prefer a mug"}}, .exchange_lines = {{"mug-1", 1}}});
  if (!x.ok()) return Fail("exchange", x.status());
  auto approved = engine.returns().approve(x->id);
  if (!approved.ok()) return Fail("approve exchange", approved.status());
  std::cout << "exchange " << approved->id << " approved; new order " << approved->exchange_order_id << "\n";

  // Nothing more of this order is left to return.
  auto more = engine.returns().request({.order_id = id, .lines = {{"tee-1", 1, ""}}});
  std::cout << "a third return: " << more.status().ToString() << "\n";
  return more.status().IsFailedPrecondition() ? 0 : 1;
}
