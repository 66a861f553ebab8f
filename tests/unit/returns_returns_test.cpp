// Returns (returns.h): the states and their events, partial quantities never past what was
// ordered (also from many threads at once), restock and write-off at receipt, refunds through
// the payment's outbox or recorded as manual, exchanges as a linked order, the order's own
// delivered -> returned move beside returns, bad input and damaged records.
#include <algorithm>
#include <atomic>
#include <catch2/catch.hpp>
#include <set>
#include <thread>

#include "commerce/engine.h"
#include "commerce/return_list.h"
#include "payments/payment_store.h"
#include "returns/return_store.h"
#include "unit/test_dir.h"
#include "unit/test_engine.h"
#include "unit/test_scale.h"

namespace returns_returns_test {

using namespace commerce;
using commerce::testing::TempDir;

namespace {

class ReturnShop {
 public:
  // On `driver` (each test runs on TestStorageDrivers(): lmdb, sqlite, and postgres with a
  // test server; COMMERCE_TEST_DRIVERS=postgres runs postgres alone).
  explicit ReturnShop(const std::string& driver, bool with_provider = false) {
    EngineOptions o;
    o.path = dir_.path() + "/shop";
    o.run_background = false;
    o.search.run_indexer = false;
    commerce::testing::UseTestDriver(o, driver, "returns");
    if (with_provider) {
      auto p = TestPaymentProvider::open(dir_.path() + "/provider");
      REQUIRE(p.ok());
      provider_ = *p;
      o.payments.provider = provider_;
    }
    auto e = Engine::open(o);
    INFO(e.status().ToString());
    REQUIRE(e.ok());
    engine_ = std::move(*e);
    for (const char* id : {"tee", "mug"}) {
      REQUIRE(engine_->catalog().upsert(commerce::testing::PlainProduct(id, id)).ok());
    }
    REQUIRE(engine_->inventory().upsert_warehouse({"wh", "Main", "east", 1, true}).ok());
    REQUIRE(engine_->inventory().upsert_warehouse({"wh2", "Returns desk", "east", 2, true}).ok());
    REQUIRE(engine_->inventory().upsert_warehouse({"shut", "Closed", "east", 3, false}).ok());
    for (const char* sku : {"SKU-tee", "SKU-mug"}) REQUIRE(engine_->inventory().receive(sku, "wh", 1000).ok());
    Customer c;
    c.id = "ada";
    c.email = "ada@example.com";
    REQUIRE(engine_->customers().create(c).ok());
  }

  Engine& e() { return *engine_; }
  Returns& r() { return engine_->returns(); }
  TestPaymentProvider& provider() { return *provider_; }

  // An order of `tees` tees and `mugs` mugs, moved to delivered.
  Order Delivered(const std::string& key, int64_t tees, int64_t mugs = 0) {
    PlaceOrder p;
    p.idempotency_key = key;
    p.customer_id = "ada";
    p.lines = {{"SKU-tee", tees}};
    if (mugs > 0) p.lines.push_back({"SKU-mug", mugs});
    p.shipping_address = Address{"Ada", "1 Main St", "", "Town", "", "east", "US"};
    auto o = engine_->orders().place(p);
    INFO(o.status().ToString());
    REQUIRE(o.ok());
    if (provider_) {
      REQUIRE(engine_->run_background_once().ok());  // authorized -> paid
    } else {
      Move(o->id, OrderStatus::kPaid);
    }
    Move(o->id, OrderStatus::kFulfilling);
    Move(o->id, OrderStatus::kShipped);
    if (provider_) REQUIRE(engine_->run_background_once().ok());  // captured
    return Move(o->id, OrderStatus::kDelivered);
  }
  Order Move(const std::string& id, OrderStatus to, TransitionOptions t = {}) {
    auto o = engine_->orders().transition(id, to, t);
    INFO(o.status().ToString());
    REQUIRE(o.ok());
    return *o;
  }
  Return Ask(const std::string& order_id, std::vector<ReturnLineRequest> lines) {
    RequestReturn q;
    q.order_id = order_id;
    q.lines = std::move(lines);
    auto r = engine_->returns().request(q);
    INFO(r.status().ToString());
    REQUIRE(r.ok());
    return *r;
  }
  int64_t OnHand(const std::string& sku, const std::string& wh) {
    auto s = engine_->inventory().get(sku, wh);
    REQUIRE(s.ok());
    return s->on_hand;
  }
  std::vector<std::string> EventTypes(const std::string& prefix) {
    return commerce::testing::EventTypesWithPrefix(*engine_, prefix);
  }

 private:
  TempDir dir_;
  std::shared_ptr<TestPaymentProvider> provider_;
  std::unique_ptr<Engine> engine_;
};

template <class T>
T Ok(Result<T> r) {
  INFO(r.status().ToString());
  REQUIRE(r.ok());
  return std::move(*r);
}

}  // namespace

TEST_CASE("returns: requested -> approved -> received -> refunded, each an event", "[returns]") {
  const std::string driver = GENERATE(from_range(commerce::testing::TestStorageDrivers()));
  CAPTURE(driver);
  ReturnShop shop(driver);
  Order o = shop.Delivered("k1", 3, 2);
  const int64_t wh_before = shop.OnHand("SKU-tee", "wh");
  Return r = shop.Ask(o.id, {{"SKU-tee", 2, "too small"}, {"SKU-mug", 1, "broken"}});
  CHECK(r.id.rfind("ret-", 0) == 0);
  CHECK(r.status == ReturnStatus::kRequested);
  CHECK(r.customer_id == "ada");
  // The default refund: the paid price of the units returned and their share of the tax.
  const int64_t paid = (o.lines[0].line_total.minor - o.lines[0].discount.minor) * 2 / 3 +
                       (o.lines[1].line_total.minor - o.lines[1].discount.minor) * 1 / 2;
  CHECK(r.refund.minor >= paid);
  CHECK(r.refund.minor <= paid + o.tax.minor);
  CHECK(r.refund.currency == o.currency);

  r = Ok(shop.r().approve(r.id, {.note = "ok"}));
  CHECK(r.status == ReturnStatus::kApproved);
  CHECK(r.exchange_order_id.empty());
  r = Ok(shop.r().receive(r.id, {{"SKU-tee", "wh2", false}, {"SKU-mug", "", true}}));
  CHECK(r.status == ReturnStatus::kReceived);
  CHECK(r.lines[0].disposition == ReturnDisposition::kRestocked);
  CHECK(r.lines[0].warehouse_id == "wh2");
  CHECK(r.lines[1].disposition == ReturnDisposition::kWrittenOff);
  CHECK(shop.OnHand("SKU-tee", "wh2") == 2);    // restocked where the caller chose
  CHECK(shop.OnHand("SKU-tee", "wh") == wh_before);
  CHECK(shop.OnHand("SKU-mug", "wh2") == 0);    // written off: nothing back on hand

  const int64_t expected = r.refund.minor;
  r = Ok(shop.r().refund(r.id));
  CHECK(r.status == ReturnStatus::kRefunded);
  CHECK(r.refund_method == RefundMethod::kManual);  // no provider: refunded outside the engine
  CHECK(r.refund.minor == expected);
  CHECK(r.history.size() == 4);  // requested -> requested at creation, then three moves
  CHECK(r.history[1].note == "ok");

  CHECK(shop.EventTypes("Return") ==
        std::vector<std::string>{"ReturnRequested", "ReturnApproved", "ReturnReceived", "ReturnRefunded"});
  CHECK(Ok(shop.r().get(r.id)) == r);
  auto listed = Ok(shop.r().list_by_order(o.id));
  REQUIRE(listed.size() == 1);
  CHECK(listed[0] == r);
  // verify knows the returns, their tables and their events (and webhooks their types).
  auto report = Ok(shop.e().verify());
  std::string problems;
  for (const auto& p : report.problems) problems += p.check + " " + p.where + ": " + p.what + "\n";
  INFO(problems);
  CHECK(report.problems.empty());
  WebhookSubscription sub;
  sub.url = "https://erp.example.com/hooks";
  sub.secret = "whsec_0123456789abcdef";
  sub.event_types = {"ReturnRequested", "ReturnApproved", "ReturnRejected", "ReturnCancelled", "ReturnReceived",
                     "ReturnRefunded"};
  auto subscribed = shop.e().webhooks().subscribe(sub);
  INFO(subscribed.status().ToString());
  CHECK(subscribed.ok());
}

TEST_CASE("returns: partial quantities never pass what was ordered, and rejected or cancelled returns give them back",
          "[returns]") {
  const std::string driver = GENERATE(from_range(commerce::testing::TestStorageDrivers()));
  CAPTURE(driver);
  ReturnShop shop(driver);
  Order o = shop.Delivered("k1", 3);
  Return a = shop.Ask(o.id, {{"SKU-tee", 2, ""}});
  RequestReturn more{o.id, {{"SKU-tee", 2, ""}}, {}, "", ""};
  auto s = shop.r().request(more).status();
  CHECK(s.IsFailedPrecondition());
  CHECK(s.message().find("has 1 of its 3 left") != std::string::npos);
  Return b = shop.Ask(o.id, {{"SKU-tee", 1, ""}});
  CHECK(shop.r().request({o.id, {{"SKU-tee", 1, ""}}, {}, "", ""}).status().IsFailedPrecondition());
  CHECK(Ok(shop.r().reject(a.id)).status == ReturnStatus::kRejected);
  Return c = shop.Ask(o.id, {{"SKU-tee", 2, ""}});
  CHECK(Ok(shop.r().cancel(b.id)).status == ReturnStatus::kCancelled);
  shop.Ask(o.id, {{"SKU-tee", 1, ""}});
  CHECK(shop.r().request({o.id, {{"SKU-tee", 1, ""}}, {}, "", ""}).status().IsFailedPrecondition());
  CHECK(Ok(shop.r().list_by_order(o.id)).size() == 4);
  (void)c;
}

TEST_CASE("returns: returns of one order asked on many threads at once never pass what was ordered",
          "[returns][threads]") {
  const std::string driver = GENERATE(from_range(commerce::testing::TestStorageDrivers()));
  CAPTURE(driver);
  ReturnShop shop(driver);
  const int64_t ordered = 10;
  Order o = shop.Delivered("k1", ordered);
  const int threads = 8, per_thread = commerce::testing::Scaled(6, 3);
  std::atomic<int64_t> granted{0}, refused{0}, other{0};
  std::vector<std::thread> pool;
  for (int i = 0; i < threads; ++i)
    pool.emplace_back([&] {
      for (int j = 0; j < per_thread; ++j) {
        auto r = shop.r().request({o.id, {{"SKU-tee", 1, ""}}, {}, "", ""});
        if (r.ok()) granted += 1;
        else if (r.status().IsFailedPrecondition()) refused += 1;
        else other += 1;
      }
    });
  for (auto& t : pool) t.join();
  CHECK(other == 0);
  CHECK(granted == ordered);  // 48 (24 short) asked for 10 units: exactly 10 granted
  CHECK(refused == threads * per_thread - ordered);
  int64_t held = 0;
  for (const auto& r : Ok(shop.r().list_by_order(o.id))) held += r.lines.at(0).quantity;
  CHECK(held == ordered);
}

TEST_CASE("returns: bad input is InvalidArgument, NotFound or FailedPrecondition, before anything is written",
          "[returns]") {
  const std::string driver = GENERATE(from_range(commerce::testing::TestStorageDrivers()));
  CAPTURE(driver);
  ReturnShop shop(driver);
  Order o = shop.Delivered("k1", 2);
  auto ask = [&](RequestReturn q) { return shop.r().request(q).status(); };
  CHECK(ask({"", {{"SKU-tee", 1, ""}}, {}, "", ""}).IsInvalidArgument());
  CHECK(ask({o.id, {}, {}, "", ""}).IsInvalidArgument());
  CHECK(ask({o.id, {{"SKU-tee", 0, ""}}, {}, "", ""}).IsInvalidArgument());
  CHECK(ask({o.id, {{"SKU-tee", -1, ""}}, {}, "", ""}).IsInvalidArgument());
  CHECK(ask({o.id, {{"SKU-tee", 1, ""}, {"SKU-tee", 1, ""}}, {}, "", ""}).IsInvalidArgument());
  CHECK(ask({o.id, {{"SKU-tee", 1, std::string(501, 'x')}}, {}, "", ""}).IsInvalidArgument());
  CHECK(ask({o.id, {{"SKU-tee", 1, ""}}, {{"SKU-mug", 0}}, "", ""}).IsInvalidArgument());
  CHECK(ask({o.id, {{"SKU-tee", 1, ""}}, {}, "", std::string(501, 'n')}).IsInvalidArgument());
  Status not_in_order = ask({o.id, {{"SKU-mug", 1, ""}}, {}, "", ""});
  CHECK(not_in_order.IsInvalidArgument());
  CHECK(not_in_order.message().find("not in order") != std::string::npos);
  CHECK(ask({"ord-ffffffffffffffff", {{"SKU-tee", 1, ""}}, {}, "", ""}).IsNotFound());
  CHECK(ask({o.id, {{"SKU-tee", 3, ""}}, {}, "", ""}).IsFailedPrecondition());
  CHECK(shop.EventTypes("Return").empty());

  // An order not yet shipped takes no return.
  PlaceOrder p{"k2", "ada", "", {{"SKU-tee", 1}}, Address{"Ada", "1 Main St", "", "Town", "", "east", "US"}, "", {}};
  Order placed = Ok(shop.e().orders().place(p));
  CHECK(ask({placed.id, {{"SKU-tee", 1, ""}}, {}, "", ""}).IsFailedPrecondition());

  CHECK(shop.r().get("").status().IsInvalidArgument());
  CHECK(shop.r().get("ret-ffffffffffffffff").status().IsNotFound());
  CHECK(shop.r().approve("ret-ffffffffffffffff").status().IsNotFound());
  CHECK(shop.r().list_by_order("ord-ffffffffffffffff").status().IsNotFound());

  Return r = shop.Ask(o.id, {{"SKU-tee", 1, ""}});
  // Illegal moves name where the return may go.
  Status early = shop.r().receive(r.id, {{"SKU-tee", "wh", false}}).status();
  CHECK(early.IsFailedPrecondition());
  CHECK(early.message().find("approved, rejected, cancelled") != std::string::npos);
  CHECK(shop.r().refund(r.id).status().IsFailedPrecondition());
  CHECK(shop.r().approve(r.id, {.note = std::string(501, 'x')}).status().IsInvalidArgument());
  CHECK(shop.r().approve(r.id, {.note = "", .if_version = r.version + 1}).status().IsConflict());
  r = Ok(shop.r().approve(r.id, {.note = "", .if_version = r.version}));
  CHECK(shop.r().reject(r.id).status().IsFailedPrecondition());

  CHECK(shop.r().receive(r.id, {}).status().IsInvalidArgument());  // every line once
  CHECK(shop.r().receive(r.id, {{"SKU-mug", "wh", false}}).status().IsInvalidArgument());
  CHECK(shop.r().receive(r.id, {{"SKU-tee", "wh", true}}).status().IsInvalidArgument());
  CHECK(shop.r().receive(r.id, {{"SKU-tee", "", false}}).status().IsInvalidArgument());
  CHECK(shop.r().receive(r.id, {{"SKU-tee", "nowhere", false}}).status().IsNotFound());
  CHECK(shop.r().receive(r.id, {{"SKU-tee", "shut", false}}).status().IsFailedPrecondition());
  CHECK(shop.OnHand("SKU-tee", "shut") == 0);
  r = Ok(shop.r().receive(r.id, {{"SKU-tee", "wh", false}}));

  CHECK(shop.r().refund(r.id, -1).status().IsInvalidArgument());
  Status past = shop.r().refund(r.id, o.total.minor + 1).status();
  CHECK(past.IsFailedPrecondition());
  CHECK(past.message().find("past what is left") != std::string::npos);
  CHECK(Ok(shop.r().get(r.id)).status == ReturnStatus::kReceived);
  CHECK(ParseReturnStatus("approved").value() == ReturnStatus::kApproved);
  CHECK(ParseReturnStatus("lost").status().IsInvalidArgument());
}

TEST_CASE("returns: the same idempotency key answers the same return", "[returns]") {
  const std::string driver = GENERATE(from_range(commerce::testing::TestStorageDrivers()));
  CAPTURE(driver);
  ReturnShop shop(driver);
  Order o = shop.Delivered("k1", 2);
  RequestReturn q{o.id, {{"SKU-tee", 1, ""}}, {}, "rma-1", ""};
  bool replayed = true;
  Return a = Ok(shop.r().request(q, &replayed));
  CHECK_FALSE(replayed);
  Return b = Ok(shop.r().request(q, &replayed));
  CHECK(replayed);  // the server's Idempotent-Replayed
  CHECK(a.id == b.id);
  q.lines[0].quantity = 2;
  CHECK(shop.r().request(q, &replayed).status().IsConflict());
  CHECK_FALSE(replayed);
  CHECK(Ok(shop.r().list_by_order(o.id)).size() == 1);
  CHECK(shop.EventTypes("ReturnRequested").size() == 1);
}

TEST_CASE("returns: manual refunds of an order's returns never pass its total", "[returns]") {
  const std::string driver = GENERATE(from_range(commerce::testing::TestStorageDrivers()));
  CAPTURE(driver);
  ReturnShop shop(driver);
  Order o = shop.Delivered("k1", 2);
  Return a = shop.Ask(o.id, {{"SKU-tee", 1, ""}});
  Return b = shop.Ask(o.id, {{"SKU-tee", 1, ""}});
  for (Return* r : {&a, &b}) {
    Ok(shop.r().approve(r->id));
    Ok(shop.r().receive(r->id, {{"SKU-tee", "", true}}));
  }
  a = Ok(shop.r().refund(a.id, o.total.minor - 10));  // a shop may refund shipping too
  CHECK(a.refund.minor == o.total.minor - 10);
  CHECK(shop.r().refund(b.id, 11).status().IsFailedPrecondition());
  b = Ok(shop.r().refund(b.id, 10));
  CHECK(b.refund_method == RefundMethod::kManual);
  // A refund of nothing (an exchange at the same price) asks nothing of anyone.
  Order o2 = shop.Delivered("k2", 1);
  Return c = shop.Ask(o2.id, {{"SKU-tee", 1, ""}});
  Ok(shop.r().approve(c.id));
  Ok(shop.r().receive(c.id, {{"SKU-tee", "wh", false}}));
  c = Ok(shop.r().refund(c.id, 0));
  CHECK(c.refund_method == RefundMethod::kNone);
  CHECK(c.status == ReturnStatus::kRefunded);
}

TEST_CASE("returns: with a provider the refund goes through the payment's outbox, keyed by the return",
          "[returns][payments]") {
  const std::string driver = GENERATE(from_range(commerce::testing::TestStorageDrivers()));
  CAPTURE(driver);
  ReturnShop shop(driver, /*with_provider=*/true);
  Order o = shop.Delivered("k1", 2);
  Payment p = Ok(shop.e().payments().get(o.id));
  REQUIRE(p.status == PaymentStatus::kCaptured);
  Return r = shop.Ask(o.id, {{"SKU-tee", 1, ""}});
  Ok(shop.r().approve(r.id));
  Ok(shop.r().receive(r.id, {{"SKU-tee", "wh", false}}));
  CHECK(shop.r().refund(r.id, p.captured_minor + 1).status().IsFailedPrecondition());
  r = Ok(shop.r().refund(r.id));
  CHECK(r.refund_method == RefundMethod::kPayment);
  CHECK(r.refund_id == r.id);
  p = Ok(shop.e().payments().get(o.id));
  CHECK(p.refund_pending_minor == r.refund.minor);
  REQUIRE(shop.e().run_background_once().ok());
  p = Ok(shop.e().payments().get(o.id));
  CHECK(p.refunded_minor == r.refund.minor);
  CHECK(p.refund_pending_minor == 0);
  auto ledger = Ok(shop.provider().ledger());
  int refunds = 0;
  for (const auto& e : ledger)
    if (e.operation == PaymentOperation::kRefund) {
      ++refunds;
      CHECK(e.idempotency_key == ProviderKey(PaymentIdOf(o.id), PaymentOperation::kRefund, r.id));
      CHECK(e.amount_minor == r.refund.minor);
    }
  CHECK(refunds == 1);
  // A refunded return is final; the refund id is the engine's, not a caller's.
  CHECK(shop.r().refund(r.id).status().IsFailedPrecondition());
  CHECK(shop.e().payments().refund(o.id, r.id, 1).status().IsInvalidArgument());
  // The second unit: never past what is left of the capture.
  Return second = shop.Ask(o.id, {{"SKU-tee", 1, ""}});
  Ok(shop.r().approve(second.id));
  Ok(shop.r().receive(second.id, {{"SKU-tee", "", true}}));
  const int64_t left = p.captured_minor - p.refunded_minor;
  Status past = shop.r().refund(second.id, left + 1).status();
  CHECK(past.IsFailedPrecondition());
  CHECK(past.message().find("return '" + second.id + "'") != std::string::npos);
  CHECK(Ok(shop.r().refund(second.id, left)).refund.minor == left);
}

TEST_CASE("returns: an exchange places a linked order on approval, once", "[returns]") {
  const std::string driver = GENERATE(from_range(commerce::testing::TestStorageDrivers()));
  CAPTURE(driver);
  ReturnShop shop(driver);
  Order o = shop.Delivered("k1", 1);
  const int64_t mugs_before = shop.e().inventory().get("SKU-mug", "wh")->reserved;
  RequestReturn q{o.id, {{"SKU-tee", 1, "wrong item"}}, {{"SKU-mug", 1}}, "", ""};
  Return r = Ok(shop.r().request(q));
  r = Ok(shop.r().approve(r.id));
  REQUIRE_FALSE(r.exchange_order_id.empty());
  Order x = Ok(shop.e().orders().get(r.exchange_order_id));
  CHECK(x.customer_id == o.customer_id);
  CHECK(x.idempotency_key == "return:" + r.id + ":exchange");
  CHECK(x.lines.at(0).sku == "SKU-mug");
  CHECK(x.shipping_address == o.shipping_address);
  CHECK(shop.e().inventory().get("SKU-mug", "wh")->reserved == mugs_before + 1);
  // Approving again is a retry: the same return, no second order.
  CHECK(Ok(shop.r().approve(r.id)).exchange_order_id == x.id);
  CHECK(shop.e().inventory().get("SKU-mug", "wh")->reserved == mugs_before + 1);

  // An exchange that cannot be placed leaves the return requested.
  RequestReturn big{o.id, {}, {{"SKU-mug", 5000}}, "", ""};
  Order o2 = shop.Delivered("k2", 1);
  big.order_id = o2.id;
  big.lines = {{"SKU-tee", 1, ""}};
  Return r2 = Ok(shop.r().request(big));
  CHECK(shop.r().approve(r2.id).status().IsOutOfStock());
  CHECK(Ok(shop.r().get(r2.id)).status == ReturnStatus::kRequested);
}

TEST_CASE("returns: the order's own delivered -> returned move beside returns", "[returns]") {
  const std::string driver = GENERATE(from_range(commerce::testing::TestStorageDrivers()));
  CAPTURE(driver);
  ReturnShop shop(driver);
  // Without returns it works as before.
  Order whole = shop.Delivered("k1", 2);
  const int64_t before = shop.OnHand("SKU-tee", "wh");
  shop.Move(whole.id, OrderStatus::kReturned, {.note = "", .restock = true});
  CHECK(shop.OnHand("SKU-tee", "wh") == before + 2);
  // A returned order takes no return.
  CHECK(shop.r().request({whole.id, {{"SKU-tee", 1, ""}}, {}, "", ""}).status().IsFailedPrecondition());
  // An order with a return holding units cannot be returned whole; once it is cancelled it can.
  Order part = shop.Delivered("k2", 2);
  Return r = shop.Ask(part.id, {{"SKU-tee", 1, ""}});
  Status s = shop.e().orders().transition(part.id, OrderStatus::kReturned).status();
  CHECK(s.IsFailedPrecondition());
  CHECK(s.message().find(r.id) != std::string::npos);
  Ok(shop.r().cancel(r.id));
  shop.Move(part.id, OrderStatus::kReturned);
}

TEST_CASE("returns: a damaged return record is Corruption", "[returns]") {
  const std::string driver = GENERATE(from_range(commerce::testing::TestStorageDrivers()));
  CAPTURE(driver);
  ReturnShop shop(driver);
  Order o = shop.Delivered("k1", 2);
  Return r = shop.Ask(o.id, {{"SKU-tee", 1, ""}});
  Storage& s = shop.e().storage();
  auto returns = s.table("returns");
  REQUIRE(returns.ok());
  std::string good;
  {
    auto txn = s.read();
    REQUIRE(txn.ok());
    auto v = (*txn)->get(*returns, ReturnKey(r.id));
    REQUIRE(v.ok());
    good = *v;
  }
  std::string bad = good;
  bad[bad.size() / 2] ^= 0x20;
  REQUIRE(s.write([&](WriteTxn& txn) { return txn.put(*returns, ReturnKey(r.id), bad); }).ok());
  CHECK(shop.r().get(r.id).status().IsCorruption());
  CHECK(shop.r().list_by_order(o.id).status().IsCorruption());
  CHECK(shop.r().approve(r.id).status().IsCorruption());
  CHECK(shop.r().request({o.id, {{"SKU-tee", 1, ""}}, {}, "", ""}).status().IsCorruption());
  auto report = shop.e().verify();
  REQUIRE(report.ok());
  bool named = false;
  for (const auto& problem : report->problems) named = named || problem.where.rfind("returns", 0) == 0;
  CHECK(named);
}

TEST_CASE("returns: listed across orders by status and by customer, a page at a time", "[returns]") {
  const std::string driver = GENERATE(from_range(commerce::testing::TestStorageDrivers()));
  CAPTURE(driver);
  ReturnShop shop(driver);
  Customer bob;
  bob.id = "bob";
  bob.email = "bob@example.com";
  REQUIRE(shop.e().customers().create(bob).ok());
  std::set<std::string> requested, approved, of_bob;
  for (int i = 0; i < 5; ++i) {
    Order o = shop.Delivered("k" + std::to_string(i), 2);
    Return r = shop.Ask(o.id, {{"SKU-tee", 1, ""}});
    if (i % 2 == 0) {
      approved.insert(Ok(shop.r().approve(r.id)).id);
    } else {
      requested.insert(r.id);
    }
  }
  // Bob's order, placed for him: his one return.
  PlaceOrder p;
  p.idempotency_key = "bob-1";
  p.customer_id = "bob";
  p.lines = {{"SKU-mug", 1}};
  p.shipping_address = Address{"Bob", "2 Main St", "", "Town", "", "east", "US"};
  Order b = Ok(shop.e().orders().place(p));
  for (OrderStatus to : {OrderStatus::kPaid, OrderStatus::kFulfilling, OrderStatus::kShipped}) shop.Move(b.id, to);
  of_bob.insert(shop.Ask(b.id, {{"SKU-mug", 1, ""}}).id);
  requested.insert(*of_bob.begin());

  // Every page of 2, in id order, each return once.
  auto walk = [&](const ReturnFilter& f) {
    std::vector<std::string> ids;
    ReturnListOptions o;
    o.limit = 2;
    for (int pages = 0; pages < 10; ++pages) {
      Page<Return> page = Ok(ListReturns(shop.e(), f, o));
      CHECK(page.items.size() <= 2);
      for (const auto& r : page.items) ids.push_back(r.id);
      if (page.next_cursor.empty()) break;
      o.cursor = page.next_cursor;
    }
    CHECK(std::is_sorted(ids.begin(), ids.end()));
    return std::set<std::string>(ids.begin(), ids.end());
  };
  CHECK(walk({{ReturnStatus::kRequested}, ""}) == requested);
  CHECK(walk({{ReturnStatus::kApproved}, ""}) == approved);
  CHECK(walk({{ReturnStatus::kRequested, ReturnStatus::kApproved}, ""}).size() == 6);
  CHECK(walk({{}, "bob"}) == of_bob);
  CHECK(walk({{ReturnStatus::kApproved}, "bob"}).empty());
  CHECK(walk({{}, "ada"}).size() == 5);
  CHECK(walk({}).size() == 6);
  // A return that moves while a client pages keeps its place.
  ReturnListOptions one;
  one.limit = 1;
  Page<Return> first = Ok(ListReturns(shop.e(), {}, one));
  REQUIRE(first.items.size() == 1);
  if (first.items[0].status == ReturnStatus::kRequested) Ok(shop.r().reject(first.items[0].id));
  Page<Return> rest = Ok(ListReturns(shop.e(), {}, {first.next_cursor, 1000}));
  CHECK(rest.items.size() == 5);
  CHECK(rest.next_cursor.empty());

  // Bad input.
  CHECK(ListReturns(shop.e(), {{static_cast<ReturnStatus>(9)}, ""}).status().IsInvalidArgument());
  CHECK(ListReturns(shop.e(), {{}, " bob"}).status().IsInvalidArgument());
  CHECK(ListReturns(shop.e(), {{}, "nobody"}).status().IsNotFound());
  CHECK(ListReturns(shop.e(), {}, {"", 0}).status().IsInvalidArgument());
  CHECK(ListReturns(shop.e(), {}, {"", 1001}).status().IsInvalidArgument());
  CHECK(ListReturns(shop.e(), {}, {std::string(65, 'r'), 10}).status().IsInvalidArgument());
}

TEST_CASE("returns: cancelling an approved return cancels its exchange order while it may be", "[returns]") {
  const std::string driver = GENERATE(from_range(commerce::testing::TestStorageDrivers()));
  CAPTURE(driver);
  ReturnShop shop(driver);
  const int64_t mugs_reserved = shop.e().inventory().get("SKU-mug", "wh")->reserved;
  Order o = shop.Delivered("k1", 2);
  RequestReturn q{o.id, {{"SKU-tee", 1, "wrong item"}}, {{"SKU-mug", 1}}, "", ""};
  Return r = Ok(shop.r().approve(Ok(shop.r().request(q)).id));
  CHECK(shop.e().inventory().get("SKU-mug", "wh")->reserved == mugs_reserved + 1);
  r = Ok(shop.r().cancel(r.id));
  CHECK(r.status == ReturnStatus::kCancelled);
  Order x = Ok(shop.e().orders().get(r.exchange_order_id));
  CHECK(x.status == OrderStatus::kCancelled);
  CHECK(x.history.back().note == "return '" + r.id + "' cancelled");
  CHECK(shop.e().inventory().get("SKU-mug", "wh")->reserved == mugs_reserved);  // released

  // An exchange order that went on to fulfilment is left as it is: the return is cancelled.
  Order o2 = shop.Delivered("k2", 2);
  q.order_id = o2.id;
  Return r2 = Ok(shop.r().approve(Ok(shop.r().request(q)).id));
  shop.Move(r2.exchange_order_id, OrderStatus::kPaid);
  shop.Move(r2.exchange_order_id, OrderStatus::kFulfilling);
  CHECK(Ok(shop.r().cancel(r2.id)).status == ReturnStatus::kCancelled);
  CHECK(Ok(shop.e().orders().get(r2.exchange_order_id)).status == OrderStatus::kFulfilling);

  // A requested return has no exchange order yet: cancelling it places none.
  Order o3 = shop.Delivered("k3", 2);
  q.order_id = o3.id;
  Return r3 = Ok(shop.r().cancel(Ok(shop.r().request(q)).id));
  CHECK(r3.exchange_order_id.empty());
}

// A move asked again after it committed (its answer lost, or the process killed before the
// exchange step) is a retry: it answers the return as it is and writes nothing more. Before,
// a second cancel or rejection was FailedPrecondition, so a client could not finish the step.
TEST_CASE("returns: a move asked again after it committed answers the return and writes nothing", "[returns]") {
  const std::string driver = GENERATE(from_range(commerce::testing::TestStorageDrivers()));
  CAPTURE(driver);
  ReturnShop shop(driver);
  Order o = shop.Delivered("k1", 3);
  Return cancelled = Ok(shop.r().cancel(shop.Ask(o.id, {{"SKU-tee", 1, ""}}).id));
  Return again = Ok(shop.r().cancel(cancelled.id));
  CHECK(again.status == ReturnStatus::kCancelled);
  CHECK(again.version == cancelled.version);
  Return rejected = Ok(shop.r().reject(shop.Ask(o.id, {{"SKU-tee", 1, ""}}).id));
  CHECK(Ok(shop.r().reject(rejected.id)).version == rejected.version);
  Return approved = Ok(shop.r().approve(shop.Ask(o.id, {{"SKU-tee", 1, ""}}).id));
  CHECK(Ok(shop.r().approve(approved.id)).version == approved.version);
  const auto events = shop.EventTypes("Return");
  CHECK(std::count(events.begin(), events.end(), "ReturnCancelled") == 1);
  CHECK(std::count(events.begin(), events.end(), "ReturnRejected") == 1);
  CHECK(std::count(events.begin(), events.end(), "ReturnApproved") == 1);
  // Another move from a final state is still refused, naming where the return may go.
  CHECK(shop.r().approve(cancelled.id).status().IsFailedPrecondition());
  CHECK(shop.r().cancel(rejected.id).status().IsFailedPrecondition());
}

// Approvals of one return with an exchange, at once: each places (or finds) the same exchange
// order under the return's key, one commits the approval, and the others are retries. Before,
// an approval that lost the race took the return for moved elsewhere and cancelled the
// exchange order the winner had just recorded.
TEST_CASE("returns: approvals at once of a return with an exchange keep its exchange order", "[returns]") {
  const std::string driver = GENERATE(from_range(commerce::testing::TestStorageDrivers()));
  CAPTURE(driver);
  ReturnShop shop(driver);
  const int64_t mugs_reserved = shop.e().inventory().get("SKU-mug", "wh")->reserved;
  for (int round = 0; round < 3; ++round) {
    CAPTURE(round);
    Order o = shop.Delivered("k" + std::to_string(round), 1);
    Return r = Ok(shop.r().request({o.id, {{"SKU-tee", 1, ""}}, {{"SKU-mug", 1}}, "", ""}));
    std::atomic<int> ok{0};
    std::vector<std::string> seen(8);
    std::vector<std::thread> threads;
    for (int t = 0; t < 8; ++t)
      threads.emplace_back([&, t] {
        auto a = shop.r().approve(r.id);
        if (a.ok()) {
          ok.fetch_add(1);
          seen[t] = a->exchange_order_id;
        }
      });
    for (auto& t : threads) t.join();
    CHECK(ok.load() == 8);
    Return now = Ok(shop.r().get(r.id));
    REQUIRE(now.status == ReturnStatus::kApproved);
    for (const auto& id : seen) CHECK(id == now.exchange_order_id);
    CHECK(Ok(shop.e().orders().get(now.exchange_order_id)).status == OrderStatus::kPlaced);
    CHECK(shop.e().inventory().get("SKU-mug", "wh")->reserved == mugs_reserved + round + 1);
  }
}

}  // namespace returns_returns_test
