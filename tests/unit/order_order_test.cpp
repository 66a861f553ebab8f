// Tests of the orders engine (src/order/order.cpp and the files it is built from) through the
// public API, on every local driver: placement (prices, totals, allocation, reservations,
// events), idempotency, every bad input with nothing written, the state machine with its
// stock effects, listings with cursors, pricing hooks and orders from carts.
#include <algorithm>
#include <atomic>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

#include "commerce/engine.h"
#include "commerce/pricing.h"
#include "common/key.h"
#include "common/record_frame.h"
#include "engine/engine_core.h"
#include "order/order_placement.h"
#include "order/order_store.h"
#include "order/request_fingerprint.h"
#include "test_dir.h"

namespace order_order_test {

namespace {

using namespace commerce;
using commerce::testing::TempDir;

bool Contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

Address Addr(std::string region = "us-east") {
  Address a;
  a.name = "Ada Lovelace";
  a.line1 = "1 Analytical Way";
  a.city = "Springfield";
  a.postal_code = "01101";
  a.region = std::move(region);
  a.country = "US";
  return a;
}

PlaceOrder Req(std::string key, std::vector<OrderLineRequest> lines,
               std::string customer = "c1", std::string region = "us-east") {
  PlaceOrder r;
  r.idempotency_key = std::move(key);
  r.customer_id = std::move(customer);
  r.lines = std::move(lines);
  r.shipping_address = Addr(std::move(region));
  return r;
}

// A shop on one driver: products, warehouses and two customers; stock is up to each test.
//   tee  (TEE-S, TEE-M at 19.99 USD)   mug (MUG at 12.50 USD)   gold (GOLD at kMaxMoneyMinor)
//   old  (OLD, archived)   soon (SOON, draft)   euro (EURO-1 at 9.00 EUR)
//   warehouses: east-1 (us-east, priority 1), east-2 (us-east, 5), west (us-west, 10)
class Shop {
 public:
  explicit Shop(const std::string& driver, std::shared_ptr<PricingPolicy> pricing = nullptr) {
    EngineOptions o;
    o.path = dir_.path();
    o.driver = driver;
    o.run_background = false;
    o.pricing = std::move(pricing);
    auto e = Engine::open(o);
    INFO(e.status().ToString());
    REQUIRE(e.ok());
    engine_ = std::move(e).value();
    AddProduct("tee", {{"TEE-S", 1999}, {"TEE-M", 1999}});
    AddProduct("mug", {{"MUG", 1250}});
    AddProduct("gold", {{"GOLD", kMaxMoneyMinor}});
    AddProduct("old", {{"OLD", 500}}, ProductStatus::kArchived);
    AddProduct("soon", {{"SOON", 500}}, ProductStatus::kDraft);
    AddProduct("euro", {{"EURO-1", 900}}, ProductStatus::kActive, "EUR");
    AddWarehouse({"east-1", "East 1", "us-east", 1, true});
    AddWarehouse({"east-2", "East 2", "us-east", 5, true});
    AddWarehouse({"west", "West", "us-west", 10, true});
    AddCustomer("c1");
    AddCustomer("c2");
  }

  Engine& e() { return *engine_; }
  const std::string& path() const { return dir_.path(); }
  // Closes the engine (the store stays in path(), for a test that opens it by other means).
  void Close() {
    REQUIRE(engine_->close().ok());
    engine_.reset();
  }
  // Closes the engine and opens its store with its tables, for a test of the engine's
  // internals (order_store.h, order_placement.h).
  std::pair<std::unique_ptr<Storage>, Tables> CloseAndOpenStore(const std::string& driver) {
    Close();
    StorageOptions so;
    so.path = path();
    so.driver = driver;
    auto storage = OpenStorage(so);
    REQUIRE(storage.ok());
    Tables t;
    for (const auto& [table, name] : kTableNames) {
      auto opened = (*storage)->table(name);
      REQUIRE(opened.ok());
      t.*table = *opened;
    }
    return {std::move(storage).value(), t};
  }
  Orders& orders() { return engine_->orders(); }
  Inventory& inv() { return engine_->inventory(); }

  void AddProduct(const std::string& id, std::vector<std::pair<std::string, int64_t>> skus,
                  ProductStatus status = ProductStatus::kActive, const std::string& currency = "USD") {
    Product p;
    p.id = id;
    p.title = "The " + id;
    p.status = status;
    for (auto& [sku, price] : skus) {
      Variant v;
      v.sku = sku;
      v.price = Money{price, currency};
      p.variants.push_back(v);
    }
    auto r = engine_->catalog().upsert(p);
    INFO(r.status().ToString());
    REQUIRE(r.ok());
  }
  void AddWarehouse(const Warehouse& w) { REQUIRE(inv().upsert_warehouse(w).ok()); }
  void AddCustomer(const std::string& id) {
    Customer c;
    c.id = id;
    c.email = id + "@example.com";
    c.name = "Customer " + id;
    auto r = engine_->customers().create(c);
    INFO(r.status().ToString());
    REQUIRE(r.ok());
  }
  void Stock(const std::string& sku, const std::string& wh, int64_t qty) {
    auto r = inv().receive(sku, wh, qty);
    INFO(r.status().ToString());
    REQUIRE(r.ok());
  }
  StockLevel Level(const std::string& sku, const std::string& wh) {
    auto l = inv().get(sku, wh);
    REQUIRE(l.ok());
    return *l;
  }
  Order Place(const PlaceOrder& r) {
    auto o = orders().place(r);
    INFO(o.status().ToString());
    REQUIRE(o.ok());
    return *o;
  }
  Order Move(const std::string& id, OrderStatus to, TransitionOptions opts = {}) {
    auto o = orders().transition(id, to, opts);
    INFO("to " << OrderStatusName(to) << ": " << o.status().ToString());
    REQUIRE(o.ok());
    return *o;
  }
  uint64_t LastSeq() {
    auto s = engine_->events().last_seq();
    REQUIRE(s.ok());
    return *s;
  }
  std::vector<Event> EventsAfter(uint64_t seq) {
    auto b = engine_->events().tail(seq + 1, 1000);
    REQUIRE(b.ok());
    return *b;
  }
  std::vector<Order> ListStatus(OrderStatus s) {
    auto p = orders().list_by_status(s, {.cursor = "", .limit = 1000});
    REQUIRE(p.ok());
    return p->items;
  }

  // Everything a rejected call must leave as it was.
  struct State {
    uint64_t last_seq;
    std::map<std::string, std::vector<StockLevel>> stock;
    size_t orders;
    friend bool operator==(const State&, const State&) = default;
  };
  State Take() {
    State s{LastSeq(), {}, 0};
    for (const char* sku : {"TEE-S", "TEE-M", "MUG", "GOLD", "OLD", "SOON", "EURO-1"}) {
      auto st = inv().get(sku);
      REQUIRE(st.ok());
      s.stock[sku] = st->levels;
    }
    for (int i = 0; i <= static_cast<int>(OrderStatus::kRefunded); ++i)
      s.orders += ListStatus(static_cast<OrderStatus>(i)).size();
    return s;
  }

 private:
  TempDir dir_;
  std::unique_ptr<Engine> engine_;
};

// A pricing policy that fails, to test that its error aborts the placement.
class FailingPricing : public PricingPolicy {
 public:
  explicit FailingPricing(Status s) : s_(std::move(s)) {}
  Result<PricingResult> price(const PricingInput&) const override { return s_; }
  Status s_;
};

class NegativePricing : public PricingPolicy {
 public:
  Result<PricingResult> price(const PricingInput&) const override {
    return PricingResult{-1, 0};
  }
};

TransitionOptions Opts(std::string note, bool restock = false,
                       std::optional<uint64_t> if_version = std::nullopt) {
  TransitionOptions o;
  o.note = std::move(note);
  o.restock = restock;
  o.if_version = if_version;
  return o;
}

// The path from placed to each state.
std::vector<OrderStatus> PathTo(OrderStatus s) {
  using S = OrderStatus;
  switch (s) {
    case S::kPlaced: return {};
    case S::kPaid: return {S::kPaid};
    case S::kFulfilling: return {S::kPaid, S::kFulfilling};
    case S::kShipped: return {S::kPaid, S::kFulfilling, S::kShipped};
    case S::kDelivered: return {S::kPaid, S::kFulfilling, S::kShipped, S::kDelivered};
    case S::kCancelled: return {S::kCancelled};
    case S::kReturned: return {S::kPaid, S::kFulfilling, S::kShipped, S::kDelivered, S::kReturned};
    case S::kRefunded:
      return {S::kPaid, S::kFulfilling, S::kShipped, S::kDelivered, S::kReturned, S::kRefunded};
    case S::kPaymentPending:
    case S::kPaymentDeclined:
      return {};  // only with payments (payments_payments_test.cpp)
  }
  return {};
}

const OrderStatus kAllStatuses[] = {OrderStatus::kPlaced,    OrderStatus::kPaid,
                                    OrderStatus::kFulfilling, OrderStatus::kShipped,
                                    OrderStatus::kDelivered, OrderStatus::kCancelled,
                                    OrderStatus::kReturned,  OrderStatus::kRefunded};

}  // namespace

TEST_CASE("place: catalog prices, policy totals, one shipment, reservations and events",
          "[orders]") {
  auto driver = GENERATE(as<std::string>{}, "lmdb", "sqlite");
  CAPTURE(driver);
  DefaultPricingOptions po;
  po.tax_bp_by_region = {{"us-east", 1000}};
  po.shipping_per_shipment_minor = 500;
  Shop shop(driver, MakeDefaultPricing(po));
  shop.Stock("TEE-M", "east-2", 5);
  shop.Stock("MUG", "east-2", 3);
  shop.Stock("MUG", "west", 50);
  const uint64_t seq0 = shop.LastSeq();

  Order o = shop.Place(Req("k-1", {{"TEE-M", 2}, {"MUG", 1}}));
  CHECK(o.id.size() == 20);
  CHECK(o.id.rfind("ord-", 0) == 0);
  CHECK(o.customer_id == "c1");
  CHECK(o.idempotency_key == "k-1");
  CHECK(o.status == OrderStatus::kPlaced);
  CHECK(o.currency == "USD");
  REQUIRE(o.lines.size() == 2);
  // No promotion in this store: each line's discount is zero in the order's currency.
  CHECK(o.lines[0] == OrderLine{"TEE-M", "tee", "The tee", 2, {1999, "USD"}, {3998, "USD"}, {0, "USD"}, {}});
  CHECK(o.lines[1] == OrderLine{"MUG", "mug", "The mug", 1, {1250, "USD"}, {1250, "USD"}, {0, "USD"}, {}});
  CHECK(o.discount == Money{0, "USD"});
  CHECK(o.promotions.empty());
  CHECK(o.shipments == std::vector<Shipment>{{"east-2", {{"TEE-M", 2}, {"MUG", 1}}}});
  CHECK(o.subtotal == Money{5248, "USD"});
  CHECK(o.tax == Money{525, "USD"});  // 524.8 rounded half up
  CHECK(o.shipping == Money{500, "USD"});
  CHECK(o.total == Money{6273, "USD"});
  CHECK(o.shipping_address == Addr());
  REQUIRE(o.history.size() == 1);
  CHECK(o.history[0].from == OrderStatus::kPlaced);
  CHECK(o.history[0].to == OrderStatus::kPlaced);
  CHECK(o.history[0].time_ms == o.created_at_ms);
  CHECK(o.created_at_ms > 0);
  CHECK(o.updated_at_ms == o.created_at_ms);
  CHECK(o.version == 1);

  auto got = shop.orders().get(o.id);
  REQUIRE(got.ok());
  CHECK(*got == o);

  CHECK(shop.Level("TEE-M", "east-2").reserved == 2);
  CHECK(shop.Level("MUG", "east-2").reserved == 1);
  CHECK(shop.Level("MUG", "west").reserved == 0);

  auto events = shop.EventsAfter(seq0);
  REQUIRE(events.size() == 3);
  CHECK(events[0].type == "OrderPlaced");
  CHECK(events[0].subject == o.id);
  CHECK(Contains(events[0].data, "\"customer_id\":\"c1\""));
  CHECK(Contains(events[0].data, "\"total\":6273"));
  CHECK(Contains(events[0].data,
                 "\"shipments\":[{\"warehouse_id\":\"east-2\",\"items\":[{\"sku\":\"TEE-M\","
                 "\"quantity\":2},{\"sku\":\"MUG\",\"quantity\":1}]}]"));
  CHECK(events[1].type == "StockReserved");
  CHECK(events[1].subject == "TEE-M");
  CHECK(Contains(events[1].data, "\"ref\":\"" + o.id + "\""));
  CHECK(events[2].type == "StockReserved");
  CHECK(events[2].subject == "MUG");

  CHECK(shop.orders().get("ord-0000000000000000").status().code() == Code::kNotFound);
  CHECK(shop.orders().get("").status().code() == Code::kInvalidArgument);
}

TEST_CASE("the life of an order: pay, fulfil, ship, deliver, return with restock, refund",
          "[orders]") {
  auto driver = GENERATE(as<std::string>{}, "lmdb", "sqlite");
  CAPTURE(driver);
  Shop shop(driver);
  shop.Stock("TEE-M", "east-2", 5);
  Order o = shop.Place(Req("k", {{"TEE-M", 2}}));
  const uint64_t seq0 = shop.LastSeq();

  o = shop.Move(o.id, OrderStatus::kPaid, Opts("card ****4242"));
  o = shop.Move(o.id, OrderStatus::kFulfilling);
  CHECK(shop.Level("TEE-M", "east-2").reserved == 2);
  o = shop.Move(o.id, OrderStatus::kShipped, Opts("tracking 1Z999"));
  // Shipped: the reserved units left the building.
  CHECK(shop.Level("TEE-M", "east-2").on_hand == 3);
  CHECK(shop.Level("TEE-M", "east-2").reserved == 0);
  o = shop.Move(o.id, OrderStatus::kDelivered);
  o = shop.Move(o.id, OrderStatus::kReturned, Opts("too small", true));
  CHECK(shop.Level("TEE-M", "east-2").on_hand == 5);
  CHECK(shop.Level("TEE-M", "east-2").reserved == 0);
  o = shop.Move(o.id, OrderStatus::kRefunded);

  CHECK(o.status == OrderStatus::kRefunded);
  CHECK(o.version == 7);
  REQUIRE(o.history.size() == 7);
  const OrderStatus path[] = {OrderStatus::kPlaced, OrderStatus::kPaid,
                              OrderStatus::kFulfilling, OrderStatus::kShipped,
                              OrderStatus::kDelivered, OrderStatus::kReturned,
                              OrderStatus::kRefunded};
  for (size_t i = 1; i < 7; ++i) {
    CHECK(o.history[i].from == path[i - 1]);
    CHECK(o.history[i].to == path[i]);
    CHECK(o.history[i].time_ms >= o.history[i - 1].time_ms);
  }
  CHECK(o.history[1].note == "card ****4242");
  CHECK(o.history[5].note == "too small");
  CHECK(o.updated_at_ms == o.history.back().time_ms);
  auto got = shop.orders().get(o.id);
  REQUIRE(got.ok());
  CHECK(*got == o);

  // One OrderStatusChanged per transition, with the stock events of ship and restock.
  std::vector<std::string> types;
  for (const auto& ev : shop.EventsAfter(seq0)) types.push_back(ev.type);
  CHECK(types == std::vector<std::string>{"OrderStatusChanged", "OrderStatusChanged",
                                          "StockShipped", "OrderStatusChanged",
                                          "OrderStatusChanged", "StockReceived",
                                          "OrderStatusChanged", "OrderStatusChanged"});
  auto events = shop.EventsAfter(seq0);
  CHECK(events[0].subject == o.id);
  CHECK(Contains(events[0].data, "\"from\":\"placed\",\"to\":\"paid\""));
  CHECK(Contains(events[0].data, "\"note\":\"card ****4242\""));
  CHECK(Contains(events[0].data, "\"time_ms\":" + std::to_string(o.history[1].time_ms)));
  CHECK(Contains(events[5].data, "\"ref\":\"" + o.id + "\""));
  CHECK(Contains(events[6].data, "\"restock\":true"));
}

TEST_CASE("state machine: every legal transition succeeds, every other is FailedPrecondition",
          "[orders]") {
  auto driver = GENERATE(as<std::string>{}, "lmdb", "sqlite");
  CAPTURE(driver);
  Shop shop(driver);
  shop.Stock("MUG", "east-1", 1000);
  int n = 0;
  auto order_in = [&](OrderStatus s) {
    Order o = shop.Place(Req("k-" + std::to_string(n++), {{"MUG", 1}}));
    for (OrderStatus step : PathTo(s)) o = shop.Move(o.id, step);
    REQUIRE(o.status == s);
    return o;
  };
  const std::set<std::pair<OrderStatus, OrderStatus>> legal = {
      {OrderStatus::kPlaced, OrderStatus::kPaid},
      {OrderStatus::kPlaced, OrderStatus::kCancelled},
      {OrderStatus::kPaid, OrderStatus::kFulfilling},
      {OrderStatus::kPaid, OrderStatus::kCancelled},
      {OrderStatus::kFulfilling, OrderStatus::kShipped},
      {OrderStatus::kShipped, OrderStatus::kDelivered},
      {OrderStatus::kDelivered, OrderStatus::kReturned},
      {OrderStatus::kReturned, OrderStatus::kRefunded},
  };
  for (OrderStatus from : kAllStatuses) {
    CAPTURE(OrderStatusName(from));
    Order o = order_in(from);
    for (OrderStatus to : kAllStatuses) {
      CAPTURE(OrderStatusName(to));
      if (legal.count({from, to})) {
        Order fresh = order_in(from);
        Order moved = shop.Move(fresh.id, to);
        CHECK(moved.status == to);
        CHECK(moved.history.back().from == from);
        continue;
      }
      const auto before = shop.Take();
      auto r = shop.orders().transition(o.id, to);
      CHECK(r.status().code() == Code::kFailedPrecondition);
      CHECK(Contains(r.status().message(), std::string("cannot go from ") +
                                               OrderStatusName(from) + " to " + OrderStatusName(to)));
      CHECK(shop.Take() == before);
      auto still = shop.orders().get(o.id);
      REQUIRE(still.ok());
      CHECK(*still == o);
    }
  }
  // The status index followed every move: each order is listed under its status only.
  size_t listed = 0;
  for (OrderStatus s : kAllStatuses)
    for (const auto& o : shop.ListStatus(s)) {
      CHECK(o.status == s);
      ++listed;
    }
  CHECK(listed == static_cast<size_t>(n));
}

TEST_CASE("cancel releases the reservations, a return without restock leaves stock alone",
          "[orders]") {
  auto driver = GENERATE(as<std::string>{}, "lmdb", "sqlite");
  CAPTURE(driver);
  Shop shop(driver);
  shop.Stock("TEE-M", "east-1", 2);
  shop.Stock("TEE-M", "west", 3);
  shop.Stock("MUG", "east-2", 4);

  // Splits TEE-M over two warehouses and puts MUG in a third: 3 shipments, 3 reservations.
  Order a = shop.Place(Req("a", {{"TEE-M", 5}, {"MUG", 4}}));
  CHECK(a.shipments.size() == 3);
  auto tee = shop.inv().get("TEE-M");
  REQUIRE(tee.ok());
  CHECK(tee->available == 0);
  auto out = shop.orders().place(Req("b", {{"TEE-M", 1}}));
  CHECK(out.status().code() == Code::kOutOfStock);
  CHECK(out.status().message() == "sku 'TEE-M': 0 available in total, 1 requested");

  shop.Move(a.id, OrderStatus::kCancelled, Opts("changed my mind"));
  tee = shop.inv().get("TEE-M");
  REQUIRE(tee.ok());
  CHECK(tee->available == 5);
  CHECK(tee->reserved == 0);
  CHECK(shop.Level("MUG", "east-2").reserved == 0);

  // From paid too.
  Order b = shop.Place(Req("b2", {{"MUG", 3}}));
  shop.Move(b.id, OrderStatus::kPaid);
  CHECK(shop.Level("MUG", "east-2").available() == 1);
  shop.Move(b.id, OrderStatus::kCancelled);
  CHECK(shop.Level("MUG", "east-2").available() == 4);

  // Delivered and returned without restock: the units stay gone (damaged, kept by the buyer).
  Order c = shop.Place(Req("c", {{"MUG", 2}}));
  for (OrderStatus s : PathTo(OrderStatus::kReturned)) shop.Move(c.id, s);
  CHECK(shop.Level("MUG", "east-2").on_hand == 2);
  CHECK(shop.Level("MUG", "east-2").reserved == 0);
}

TEST_CASE("transition: bad input, unknown orders and stale versions write nothing", "[orders]") {
  auto driver = GENERATE(as<std::string>{}, "lmdb", "sqlite");
  CAPTURE(driver);
  Shop shop(driver);
  shop.Stock("MUG", "east-1", 10);
  Order o = shop.Place(Req("k", {{"MUG", 1}}));
  const auto before = shop.Take();
  struct Case {
    const char* name;
    std::function<Status()> call;
    Code code;
    const char* message;
  };
  const Case cases[] = {
      {"unknown order", [&] { return shop.orders().transition("ord-ffffffffffffffff", OrderStatus::kPaid).status(); },
       Code::kNotFound, "ord-ffffffffffffffff"},
      {"empty id", [&] { return shop.orders().transition("", OrderStatus::kPaid).status(); },
       Code::kInvalidArgument, "order_id: "},
      {"stale version", [&] { return shop.orders().transition(o.id, OrderStatus::kPaid, Opts("", false, 7)).status(); },
       Code::kConflict, "is at version 1, not 7"},
      {"restock when cancelling", [&] { return shop.orders().transition(o.id, OrderStatus::kCancelled, Opts("", true)).status(); },
       Code::kInvalidArgument, "restock: "},
      {"501-byte note", [&] { return shop.orders().transition(o.id, OrderStatus::kPaid, Opts(std::string(501, 'n'))).status(); },
       Code::kInvalidArgument, "note: 501 bytes"},
      {"not a status", [&] { return shop.orders().transition(o.id, static_cast<OrderStatus>(42)).status(); },
       Code::kInvalidArgument, "to: 42"},
      {"to the same state", [&] { return shop.orders().transition(o.id, OrderStatus::kPlaced).status(); },
       Code::kFailedPrecondition, "cannot go from placed to placed (from placed: paid, cancelled)"},
  };
  for (const auto& c : cases) {
    INFO("case: " << c.name);
    Status s = c.call();
    INFO(s.ToString());
    CHECK(s.code() == c.code);
    CHECK(Contains(s.message(), c.message));
    CHECK(shop.Take() == before);
  }
  auto current = shop.orders().transition(o.id, OrderStatus::kPaid, Opts(std::string(500, 'n'), false, 1));
  REQUIRE(current.ok());
  CHECK(current->version == 2);
}

TEST_CASE("idempotency: same key and request returns the order, another request is Conflict",
          "[orders]") {
  auto driver = GENERATE(as<std::string>{}, "lmdb", "sqlite");
  CAPTURE(driver);
  Shop shop(driver);
  shop.Stock("TEE-M", "east-1", 10);
  shop.Stock("MUG", "east-1", 10);
  Order first = shop.Place(Req("retry-me", {{"TEE-M", 2}, {"MUG", 1}}));
  auto before = shop.Take();

  // A retry, and a retry listing the same lines in another order: the same order, no writes.
  Order again = shop.Place(Req("retry-me", {{"TEE-M", 2}, {"MUG", 1}}));
  CHECK(again == first);
  Order reordered = shop.Place(Req("retry-me", {{"MUG", 1}, {"TEE-M", 2}}));
  CHECK(reordered == first);
  CHECK(shop.Take() == before);
  // place(req, &replayed) tells a retry from a placement (the server's Idempotent-Replayed).
  bool replayed = false;
  auto told = shop.orders().place(Req("retry-me", {{"TEE-M", 2}, {"MUG", 1}}), &replayed);
  REQUIRE(told.ok());
  CHECK(*told == first);
  CHECK(replayed);
  auto fresh = shop.orders().place(Req("new-key", {{"MUG", 1}}), &replayed);
  REQUIRE(fresh.ok());
  CHECK_FALSE(replayed);
  before = shop.Take();

  // The key with anything else changed is a Conflict naming the key and the first order.
  std::vector<std::pair<const char*, PlaceOrder>> others = {
      {"quantity", Req("retry-me", {{"TEE-M", 3}, {"MUG", 1}})},
      {"line dropped", Req("retry-me", {{"TEE-M", 2}})},
      {"region", Req("retry-me", {{"TEE-M", 2}, {"MUG", 1}}, "c1", "us-west")},
  };
  PlaceOrder with_currency = Req("retry-me", {{"TEE-M", 2}, {"MUG", 1}});
  with_currency.currency = "USD";
  others.push_back({"currency given", with_currency});
  PlaceOrder other_street = Req("retry-me", {{"TEE-M", 2}, {"MUG", 1}});
  other_street.shipping_address.line1 = "2 Analytical Way";
  others.push_back({"street", other_street});
  for (const auto& [name, req] : others) {
    INFO("changed: " << name);
    auto r = shop.orders().place(req);
    CHECK(r.status().code() == Code::kConflict);
    CHECK(r.status().message().rfind("idempotency_key: 'retry-me'", 0) == 0);
    CHECK(Contains(r.status().message(), first.id));
    CHECK(shop.Take() == before);
  }

  // Keys belong to a customer: c2's "retry-me" is a new order.
  Order theirs = shop.Place(Req("retry-me", {{"TEE-M", 2}, {"MUG", 1}}, "c2"));
  CHECK(theirs.id != first.id);
  CHECK(theirs.customer_id == "c2");

  // A retry still finds the order after it moved on, and changes nothing.
  shop.Move(first.id, OrderStatus::kCancelled);
  before = shop.Take();
  Order late = shop.Place(Req("retry-me", {{"TEE-M", 2}, {"MUG", 1}}));
  CHECK(late.id == first.id);
  CHECK(late.status == OrderStatus::kCancelled);
  CHECK(shop.Take() == before);

  // A failed placement leaves no key behind: the retry after restocking succeeds.
  auto short_stock = shop.orders().place(Req("later", {{"TEE-M", 50}}));
  CHECK(short_stock.status().code() == Code::kOutOfStock);
  shop.Stock("TEE-M", "east-1", 42);  // 8 were left
  CHECK(shop.orders().place(Req("later", {{"TEE-M", 50}})).ok());
}

TEST_CASE("place: every bad input is rejected with its code and field, and nothing is written",
          "[orders]") {
  auto driver = GENERATE(as<std::string>{}, "lmdb", "sqlite");
  CAPTURE(driver);
  Shop shop(driver);
  shop.Stock("TEE-M", "east-1", 5);
  shop.Stock("MUG", "east-2", 3);
  shop.Stock("OLD", "east-1", 5);
  shop.Stock("GOLD", "east-1", 5);
  // In stock, so that only their status or currency stops them.
  shop.Stock("EURO-1", "east-1", 5);
  shop.Stock("SOON", "east-1", 5);
  shop.Place(Req("existing", {{"MUG", 1}}));
  const auto before = shop.Take();

  struct Case {
    const char* name;
    std::function<void(PlaceOrder&)> spoil;
    Code code;
    const char* prefix;  // the message starts with it
  };
  const Case cases[] = {
      {"missing idempotency key", [](PlaceOrder& r) { r.idempotency_key = ""; },
       Code::kInvalidArgument, "idempotency_key: is empty"},
      {"129-byte idempotency key", [](PlaceOrder& r) { r.idempotency_key = std::string(129, 'k'); },
       Code::kInvalidArgument, "idempotency_key: is 129 bytes"},
      {"idempotency key with a newline", [](PlaceOrder& r) { r.idempotency_key = "a\nb"; },
       Code::kInvalidArgument, "idempotency_key: contains a control character"},
      {"no customer", [](PlaceOrder& r) { r.customer_id = ""; }, Code::kInvalidArgument, "customer_id: "},
      {"unknown customer", [](PlaceOrder& r) { r.customer_id = "c9"; }, Code::kNotFound,
       "customer_id: no customer with id 'c9'"},
      {"no lines", [](PlaceOrder& r) { r.lines.clear(); }, Code::kInvalidArgument, "lines: 0 lines"},
      {"501 lines", [](PlaceOrder& r) {
         r.lines.clear();
         for (int i = 0; i < 501; ++i) r.lines.push_back({"S" + std::to_string(i), 1});
       }, Code::kInvalidArgument, "lines: 501 lines"},
      {"lines and a cart", [](PlaceOrder& r) { r.cart_id = "cart-1"; }, Code::kInvalidArgument, "lines: given with cart_id"},
      {"unknown SKU", [](PlaceOrder& r) { r.lines[1].sku = "NOPE"; }, Code::kNotFound,
       "lines[1].sku: no product has sku 'NOPE'"},
      {"empty SKU", [](PlaceOrder& r) { r.lines[0].sku = ""; }, Code::kInvalidArgument, "lines[0].sku: "},
      {"zero quantity", [](PlaceOrder& r) { r.lines[0].quantity = 0; }, Code::kInvalidArgument,
       "lines[0].quantity: 0; expected 1..1000000"},
      {"negative quantity", [](PlaceOrder& r) { r.lines[1].quantity = -3; }, Code::kInvalidArgument,
       "lines[1].quantity: -3"},
      {"huge quantity", [](PlaceOrder& r) { r.lines[0].quantity = kMaxQuantity + 1; },
       Code::kInvalidArgument, "lines[0].quantity: 1000001"},
      {"duplicate SKU", [](PlaceOrder& r) { r.lines.push_back({"TEE-M", 1}); }, Code::kInvalidArgument,
       "lines[2].sku: 'TEE-M' repeats lines[0]"},
      {"archived product", [](PlaceOrder& r) { r.lines[1].sku = "OLD"; }, Code::kInvalidArgument,
       "lines[1].sku: sku 'OLD' belongs to product 'old', which is archived"},
      {"draft product", [](PlaceOrder& r) { r.lines[1].sku = "SOON"; }, Code::kInvalidArgument,
       "lines[1].sku: sku 'SOON' belongs to product 'soon', which is draft"},
      {"currency differs from the products'", [](PlaceOrder& r) { r.currency = "EUR"; },
       Code::kInvalidArgument, "lines[0].sku: sku 'TEE-M' is priced in USD; the order is in EUR"},
      {"lines in two currencies", [](PlaceOrder& r) { r.lines[1].sku = "EURO-1"; }, Code::kInvalidArgument,
       "lines[1].sku: sku 'EURO-1' is priced in EUR; the order is in USD"},
      {"unknown currency", [](PlaceOrder& r) { r.currency = "XYZ"; }, Code::kInvalidArgument, "currency: 'XYZ'"},
      {"address without a region", [](PlaceOrder& r) { r.shipping_address.region = ""; },
       Code::kInvalidArgument, "shipping_address.region: "},
      {"address without a name", [](PlaceOrder& r) { r.shipping_address.name = ""; },
       Code::kInvalidArgument, "shipping_address.name: "},
      {"address without a street", [](PlaceOrder& r) { r.shipping_address.line1 = ""; },
       Code::kInvalidArgument, "shipping_address.line1: "},
      {"address without a city", [](PlaceOrder& r) { r.shipping_address.city = ""; },
       Code::kInvalidArgument, "shipping_address.city: "},
      {"lower-case country", [](PlaceOrder& r) { r.shipping_address.country = "us"; },
       Code::kInvalidArgument, "shipping_address.country: "},
      {"more than in stock", [](PlaceOrder& r) { r.lines[0].quantity = 6; }, Code::kOutOfStock,
       "sku 'TEE-M': 5 available in total, 6 requested"},
      {"an amount past the limit", [](PlaceOrder& r) { r.lines[1] = {"GOLD", 2}; }, Code::kInvalidArgument,
       "lines[1].sku: 2 x 1000000000000000 USD minor units is past the largest amount"},
      {"a total past the limit", [](PlaceOrder& r) { r.lines[1] = {"GOLD", 1}; }, Code::kInvalidArgument,
       "subtotal: past the largest amount"},
      {"the key of another request", [](PlaceOrder& r) { r.idempotency_key = "existing"; },
       Code::kConflict, "idempotency_key: 'existing' was used for a different request"},
  };
  for (const auto& c : cases) {
    INFO("case: " << c.name);
    PlaceOrder r = Req("fresh-key", {{"TEE-M", 1}, {"MUG", 1}});
    c.spoil(r);
    auto placed = shop.orders().place(r);
    INFO("status: " << placed.status().ToString());
    CHECK(placed.status().code() == c.code);
    CHECK(placed.status().message().rfind(c.prefix, 0) == 0);
    CHECK(shop.Take() == before);
  }
  // The unspoilt request is fine, and the limits themselves are accepted.
  CHECK(shop.orders().place(Req("fresh-key", {{"TEE-M", 1}, {"MUG", 1}})).ok());
  shop.Stock("MUG", "west", kMaxQuantity);
  PlaceOrder edge = Req(std::string(128, 'k'), {{"MUG", kMaxQuantity}});
  edge.currency = "USD";
  CHECK(shop.orders().place(edge).ok());
  PlaceOrder many = Req("many", {});
  for (int i = 0; i < 500; ++i) many.lines.push_back({"NOPE-" + std::to_string(i), 1});
  CHECK(shop.orders().place(many).status().code() == Code::kNotFound);  // past validation
}

TEST_CASE("allocation through placement: region, priority, fewest shipments, never inactive",
          "[orders]") {
  auto driver = GENERATE(as<std::string>{}, "lmdb", "sqlite");
  CAPTURE(driver);
  Shop shop(driver);
  // Everything everywhere: a us-east address gets east-2 (region, then priority 5 over 1),
  // a us-west one gets west, an address elsewhere gets the highest priority (west, 10).
  for (const char* wh : {"east-1", "east-2", "west"}) {
    shop.Stock("TEE-S", wh, 10);
    shop.Stock("MUG", wh, 10);
  }
  CHECK(shop.Place(Req("a", {{"TEE-S", 1}, {"MUG", 1}})).shipments ==
        std::vector<Shipment>{{"east-2", {{"TEE-S", 1}, {"MUG", 1}}}});
  CHECK(shop.Place(Req("b", {{"TEE-S", 1}}, "c1", "us-west")).shipments ==
        std::vector<Shipment>{{"west", {{"TEE-S", 1}}}});
  CHECK(shop.Place(Req("c", {{"TEE-S", 1}}, "c1", "eu-west")).shipments ==
        std::vector<Shipment>{{"west", {{"TEE-S", 1}}}});

  // east-2 closes: its stock is no longer allocated; east-1 is next in the region.
  shop.AddWarehouse({"east-2", "East 2", "us-east", 5, false});
  CHECK(shop.Place(Req("d", {{"TEE-S", 1}})).shipments ==
        std::vector<Shipment>{{"east-1", {{"TEE-S", 1}}}});

  // Left: east-1 9 TEE-S 10 MUG; west 8 and 10; east-2 (closed) 9 and 9.
  CHECK(shop.Place(Req("e", {{"TEE-S", 9}, {"MUG", 10}})).shipments ==
        std::vector<Shipment>{{"east-1", {{"TEE-S", 9}, {"MUG", 10}}}});
  // east-1 is empty: one shipment from outside the region beats none.
  CHECK(shop.Place(Req("f", {{"TEE-S", 2}, {"MUG", 2}})).shipments ==
        std::vector<Shipment>{{"west", {{"TEE-S", 2}, {"MUG", 2}}}});
  // east-1 gets 5 MUG; west has 6 TEE-S and 8 MUG. 9 MUG are held whole nowhere: west ships
  // its 8 with the TEE-S (already a parcel), east-1 the last one.
  shop.Stock("MUG", "east-1", 5);
  CHECK(shop.Place(Req("g", {{"TEE-S", 6}, {"MUG", 9}})).shipments ==
        std::vector<Shipment>{{"east-1", {{"MUG", 1}}}, {"west", {{"TEE-S", 6}, {"MUG", 8}}}});
  // Nothing left outside the closed warehouse: OutOfStock counts active warehouses only.
  auto none = shop.orders().place(Req("h", {{"TEE-S", 1}}));
  CHECK(none.status().code() == Code::kOutOfStock);
  CHECK(none.status().message() == "sku 'TEE-S': 0 available in total, 1 requested");
}

namespace {

// The ids of every page of `list(options)` with pages of `limit`, following next_cursor.
template <typename List>
std::vector<std::vector<std::string>> Pages(List list, size_t limit) {
  std::vector<std::vector<std::string>> out;
  OrderListOptions o{.cursor = "", .limit = limit};
  for (int guard = 0; guard < 100; ++guard) {
    auto page = list(o);
    INFO(page.status().ToString());
    REQUIRE(page.ok());
    out.emplace_back();
    for (const auto& order : page->items) out.back().push_back(order.id);
    if (page->next_cursor.empty()) return out;
    o.cursor = page->next_cursor;
  }
  FAIL("no end to the pages");
  return out;
}

}  // namespace

TEST_CASE("listings: a customer's orders newest first, a status oldest first, with cursors",
          "[orders]") {
  auto driver = GENERATE(as<std::string>{}, "lmdb", "sqlite");
  CAPTURE(driver);
  Shop shop(driver);
  shop.Stock("MUG", "east-1", 100);
  std::vector<std::string> c1, all;
  for (int i = 0; i < 7; ++i) {
    const std::string customer = i % 3 == 2 ? "c2" : "c1";
    Order o = shop.Place(Req("k" + std::to_string(i), {{"MUG", 1}}, customer));
    all.push_back(o.id);
    if (customer == "c1") c1.push_back(o.id);
  }
  auto pages = [](auto list, size_t limit) { return Pages(list, limit); };
  auto by_c1 = [&](OrderListOptions o) { return shop.orders().list_by_customer("c1", o); };
  auto placed = [&](OrderListOptions o) { return shop.orders().list_by_status(OrderStatus::kPlaced, o); };

  std::vector<std::string> newest_first(c1.rbegin(), c1.rend());
  auto p = pages(by_c1, 2);
  CHECK(p == std::vector<std::vector<std::string>>{{newest_first[0], newest_first[1]},
                                                    {newest_first[2], newest_first[3]},
                                                    {newest_first[4]}});
  CHECK(pages(by_c1, 5) == std::vector<std::vector<std::string>>{newest_first});
  auto c2 = shop.orders().list_by_customer("c2");
  REQUIRE(c2.ok());
  CHECK(c2->items.size() == 2);
  CHECK(c2->items[0].id == all[5]);

  auto q = pages(placed, 3);
  REQUIRE(q.size() == 3);
  CHECK(q[0] == std::vector<std::string>{all[0], all[1], all[2]});
  CHECK(q[2] == std::vector<std::string>{all[6]});

  // Paying moves orders from one status list to the other, keeping placement order.
  shop.Move(all[4], OrderStatus::kPaid);
  shop.Move(all[1], OrderStatus::kPaid);
  auto paid = shop.orders().list_by_status(OrderStatus::kPaid);
  REQUIRE(paid.ok());
  REQUIRE(paid->items.size() == 2);
  CHECK(paid->items[0].id == all[1]);
  CHECK(paid->items[1].id == all[4]);
  CHECK(paid->items[0].status == OrderStatus::kPaid);
  CHECK(pages(placed, 1000) ==
        std::vector<std::vector<std::string>>{{all[0], all[2], all[3], all[5], all[6]}});
  // A cursor stays good when the order it points at moves on.
  auto first = shop.orders().list_by_status(OrderStatus::kPlaced, {.cursor = "", .limit = 2});
  REQUIRE(first.ok());
  shop.Move(all[2], OrderStatus::kCancelled);
  auto rest = shop.orders().list_by_status(OrderStatus::kPlaced, {.cursor = first->next_cursor, .limit = 10});
  REQUIRE(rest.ok());
  REQUIRE(rest->items.size() == 3);
  CHECK(rest->items[0].id == all[3]);

  // Bad listings.
  CHECK(shop.orders().list_by_customer("c1", {.cursor = "", .limit = 0}).status().code() == Code::kInvalidArgument);
  CHECK(shop.orders().list_by_customer("c1", {.cursor = "", .limit = 1001}).status().code() == Code::kInvalidArgument);
  auto bad_cursor = shop.orders().list_by_customer("c1", {.cursor = "not-a-cursor", .limit = 5});
  CHECK(bad_cursor.status().code() == Code::kInvalidArgument);
  CHECK(bad_cursor.status().message().rfind("cursor: ", 0) == 0);
  CHECK(shop.orders().list_by_status(OrderStatus::kPaid, {.cursor = "-1", .limit = 5}).status().code() == Code::kInvalidArgument);
  CHECK(shop.orders().list_by_customer("nobody").status().code() == Code::kNotFound);
  CHECK(shop.orders().list_by_customer("").status().code() == Code::kInvalidArgument);
  CHECK(shop.orders().list_by_status(static_cast<OrderStatus>(static_cast<int>(kLastOrderStatus) + 1)).status().code() == Code::kInvalidArgument);
  auto empty = shop.orders().list_by_status(OrderStatus::kRefunded);
  REQUIRE(empty.ok());
  CHECK(empty->items.empty());
  CHECK(empty->next_cursor.empty());
}

// The ids of every page of `list(filter)` with pages of `limit`, following next_cursor.
static std::vector<std::vector<std::string>> ListPages(Orders& orders, const OrderFilter& filter, size_t limit) {
  return Pages([&](OrderListOptions o) { return orders.list(filter, o); }, limit);
}

static std::vector<std::string> Flat(const std::vector<std::vector<std::string>>& pages) {
  std::vector<std::string> out;
  for (const auto& p : pages) out.insert(out.end(), p.begin(), p.end());
  return out;
}

TEST_CASE("list: every order, or by statuses, customer and time, in placement order, once each",
          "[orders]") {
  auto driver = GENERATE(as<std::string>{}, "lmdb", "sqlite");
  CAPTURE(driver);
  Shop shop(driver);
  shop.Stock("MUG", "east-1", 100);
  std::vector<Order> all;
  for (int i = 0; i < 7; ++i) {
    if (!all.empty())  // distinct creation times, so that a time range can fall between two
      while (EngineCore::NowMs() <= all.back().created_at_ms) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    all.push_back(shop.Place(Req("k" + std::to_string(i), {{"MUG", 1}}, i % 3 == 2 ? "c2" : "c1")));
  }
  auto ids = [&](std::initializer_list<int> which) {
    std::vector<std::string> out;
    for (int i : which) out.push_back(all[i].id);
    return out;
  };
  Orders& orders = shop.orders();

  // Every order, oldest first, in pages.
  auto every = ListPages(orders, {}, 3);
  CHECK(every == std::vector<std::vector<std::string>>{ids({0, 1, 2}), ids({3, 4, 5}), ids({6})});

  // An order that changes status while a client pages is listed once: before (all[0]) or
  // after (all[3]) the cursor, moving from one status index to another.
  auto first = orders.list({}, {.cursor = "", .limit = 2});
  REQUIRE(first.ok());
  CHECK(first->items.size() == 2);
  shop.Move(all[0].id, OrderStatus::kPaid);
  shop.Move(all[3].id, OrderStatus::kPaid);
  shop.Move(all[1].id, OrderStatus::kPaid);
  shop.Move(all[2].id, OrderStatus::kCancelled);
  std::vector<std::string> rest;
  for (OrderListOptions o{.cursor = first->next_cursor, .limit = 1}; !o.cursor.empty();) {
    auto page = orders.list({}, o);
    REQUIRE(page.ok());
    for (const auto& order : page->items) rest.push_back(order.id);
    o.cursor = page->next_cursor;
  }
  CHECK(rest == ids({2, 3, 4, 5, 6}));

  // Statuses: any of them (each once however often named); the others are left out.
  CHECK(Flat(ListPages(orders, {.statuses = {OrderStatus::kPaid, OrderStatus::kCancelled}}, 2)) ==
        ids({0, 1, 2, 3}));
  CHECK(Flat(ListPages(orders, {.statuses = {OrderStatus::kPaid, OrderStatus::kPaid}}, 50)) ==
        ids({0, 1, 3}));
  CHECK(Flat(ListPages(orders, {.statuses = {OrderStatus::kPlaced}}, 50)) == ids({4, 5, 6}));
  CHECK(Flat(ListPages(orders, {.statuses = {OrderStatus::kRefunded}}, 50)).empty());

  // A customer's orders, oldest first here (list_by_customer is newest first), with pages and
  // the other filters.
  CHECK(ListPages(orders, {.customer_id = "c2"}, 1) ==
        std::vector<std::vector<std::string>>{ids({2}), ids({5})});
  CHECK(Flat(ListPages(orders, {.customer_id = "c1"}, 2)) == ids({0, 1, 3, 4, 6}));
  CHECK(Flat(ListPages(orders, {.statuses = {OrderStatus::kPlaced}, .customer_id = "c2"}, 50)) ==
        ids({5}));
  CHECK(Flat(ListPages(orders, {.statuses = {OrderStatus::kPaid}, .customer_id = "c1"}, 50)) ==
        ids({0, 1, 3}));

  // created_from_ms <= created_at_ms < created_before_ms.
  OrderFilter window{.created_from_ms = all[2].created_at_ms, .created_before_ms = all[5].created_at_ms};
  CHECK(Flat(ListPages(orders, window, 2)) == ids({2, 3, 4}));
  CHECK(Flat(ListPages(orders, {.created_from_ms = all[6].created_at_ms}, 50)) == ids({6}));
  CHECK(Flat(ListPages(orders, {.created_before_ms = all[1].created_at_ms}, 50)) == ids({0}));
  window.customer_id = "c1";
  window.statuses = {OrderStatus::kPaid};
  CHECK(Flat(ListPages(orders, window, 50)) == ids({3}));

  // Bad filters and options: InvalidArgument (NotFound for a customer that does not exist),
  // each naming the field.
  auto code_and_field = [&](const OrderFilter& f, OrderListOptions o, Code code, const std::string& field) {
    auto r = orders.list(f, o);
    INFO(field << ": " << r.status().ToString());
    CHECK(r.status().code() == code);
    CHECK(r.status().message().rfind(field + ": ", 0) == 0);
  };
  code_and_field({.statuses = {static_cast<OrderStatus>(static_cast<int>(kLastOrderStatus) + 1)}}, {}, Code::kInvalidArgument, "statuses");
  code_and_field({.customer_id = "nobody"}, {}, Code::kNotFound, "customer_id");
  code_and_field({.customer_id = std::string(65, 'c')}, {}, Code::kInvalidArgument, "customer_id");
  code_and_field({.created_from_ms = -1}, {}, Code::kInvalidArgument, "created_from_ms");
  code_and_field({.created_before_ms = -5}, {}, Code::kInvalidArgument, "created_before_ms");
  code_and_field({.created_from_ms = 10, .created_before_ms = 10}, {}, Code::kInvalidArgument,
                 "created_before_ms");
  code_and_field({}, {.cursor = "not-a-cursor", .limit = 5}, Code::kInvalidArgument, "cursor");
  code_and_field({}, {.cursor = "", .limit = 0}, Code::kInvalidArgument, "limit");
  code_and_field({.customer_id = "c1"}, {.cursor = "-3", .limit = 5}, Code::kInvalidArgument, "cursor");
}

TEST_CASE("list: a page looks at no more orders than its scan budget, and says where to go on",
          "[orders]") {
  auto driver = GENERATE(as<std::string>{}, "lmdb", "sqlite");
  CAPTURE(driver);
  Shop shop(driver);
  shop.Stock("MUG", "east-1", 100);
  std::vector<std::string> all;
  std::vector<int64_t> created;
  for (int i = 0; i < 5; ++i) {
    if (!created.empty())
      while (EngineCore::NowMs() <= created.back()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    Order o = shop.Place(Req("k" + std::to_string(i), {{"MUG", 1}}, i == 3 ? "c2" : "c1"));
    all.push_back(o.id);
    created.push_back(o.created_at_ms);
  }
  // The listing itself (order_store.h) over the closed engine's store, with a budget of 2.
  auto store = shop.CloseAndOpenStore(driver);
  std::unique_ptr<Storage>& storage = store.first;
  const Tables& t = store.second;
  auto walk = [&](const OrderFilter& f, size_t limit) {
    std::vector<std::vector<std::string>> pages;
    std::string cursor;
    for (int guard = 0; guard < 20; ++guard) {
      auto txn = storage->read();
      REQUIRE(txn.ok());
      auto page = ListFilteredOrders(**txn, t, f, cursor, limit, /*scan_budget=*/2);
      INFO(page.status().ToString());
      REQUIRE(page.ok());
      pages.emplace_back();
      for (const auto& o : page->items) pages.back().push_back(o.id);
      if (page->next_cursor.empty()) return pages;
      cursor = page->next_cursor;
    }
    FAIL("no end to the pages");
    return pages;
  };
  // Every order matches: pages of the budget, not of the limit.
  CHECK(walk({}, 10) == std::vector<std::vector<std::string>>{{all[0], all[1]}, {all[2], all[3]}, {all[4]}});
  // Only all[3] matches: short and empty pages, each with a cursor, until the walk is done.
  CHECK(walk({.created_from_ms = created[3], .created_before_ms = created[4]}, 10) ==
        std::vector<std::vector<std::string>>{{}, {all[3]}, {}});
  CHECK(walk({.created_before_ms = 1}, 10) == std::vector<std::vector<std::string>>{{}, {}, {}});
  // A customer's walk is budgeted the same way.
  CHECK(walk({.customer_id = "c1"}, 10) ==
        std::vector<std::vector<std::string>>{{all[0], all[1]}, {all[2], all[4]}});
  CHECK(walk({.customer_id = "c1", .created_from_ms = created[4]}, 10) ==
        std::vector<std::vector<std::string>>{{}, {all[4]}});
  REQUIRE(storage->close().ok());
}

TEST_CASE("pricing hooks: a policy's error fails the placement and writes nothing", "[orders]") {
  auto driver = GENERATE(as<std::string>{}, "lmdb", "sqlite");
  CAPTURE(driver);
  {
    Shop shop(driver, std::make_shared<FailingPricing>(Status::Unavailable("tax service down")));
    shop.Stock("MUG", "east-1", 5);
    const auto before = shop.Take();
    auto r = shop.orders().place(Req("k", {{"MUG", 1}}));
    CHECK(r.status().code() == Code::kUnavailable);
    CHECK(r.status().message() == "pricing: tax service down");
    CHECK(shop.Take() == before);
  }
  {
    Shop shop(driver, std::make_shared<NegativePricing>());
    shop.Stock("MUG", "east-1", 5);
    const auto before = shop.Take();
    auto r = shop.orders().place(Req("k", {{"MUG", 1}}));
    CHECK(r.status().code() == Code::kInternal);
    CHECK(shop.Take() == before);
  }
  {
    DefaultPricingOptions bad;
    bad.shipping_per_shipment_minor = -5;
    Shop shop(driver, MakeDefaultPricing(bad));
    shop.Stock("MUG", "east-1", 5);
    const auto before = shop.Take();
    auto r = shop.orders().place(Req("k", {{"MUG", 1}}));
    CHECK(r.status().code() == Code::kInvalidArgument);
    CHECK(r.status().message().rfind("pricing: DefaultPricingOptions.shipping_per_shipment_minor", 0) == 0);
    CHECK(shop.Take() == before);
  }
  {
    // Shipping is per shipment: a split order pays twice, and free shipping from 100.00.
    DefaultPricingOptions po;
    po.shipping_per_shipment_minor = 700;
    po.free_shipping_from_minor = 10000;
    Shop shop(driver, MakeDefaultPricing(po));
    shop.Stock("MUG", "east-1", 1);
    shop.Stock("TEE-S", "west", 10);
    Order two = shop.Place(Req("two", {{"MUG", 1}, {"TEE-S", 1}}));
    CHECK(two.shipments.size() == 2);
    CHECK(two.shipping.minor == 1400);
    CHECK(two.total.minor == 1250 + 1999 + 1400);
    Order free = shop.Place(Req("free", {{"TEE-S", 6}}));
    CHECK(free.shipping.minor == 0);
    CHECK(free.total.minor == 6 * 1999);
  }
}

TEST_CASE("place from a cart: its lines at catalog prices, the cart cleared, retries safe",
          "[orders][carts]") {
  auto driver = GENERATE(as<std::string>{}, "lmdb", "sqlite");
  CAPTURE(driver);
  Shop shop(driver);
  shop.Stock("TEE-M", "east-2", 5);
  shop.Stock("MUG", "east-2", 5);
  auto cart = shop.e().carts().create({.id = "cart-1", .customer_id = "c1", .currency = "USD"});
  REQUIRE(cart.ok());
  REQUIRE(shop.e().carts().add("cart-1", "TEE-M", 2).ok());
  REQUIRE(shop.e().carts().add("cart-1", "MUG", 1).ok());
  // The catalog price changes after the add: the order pays the price at placement.
  shop.AddProduct("mug", {{"MUG", 1500}});

  PlaceOrder r = Req("cart-order", {});
  r.cart_id = "cart-1";
  Order o = shop.Place(r);
  REQUIRE(o.lines.size() == 2);
  CHECK(o.lines[0].sku == "MUG");  // the cart's order: by SKU
  CHECK(o.lines[0].unit_price.minor == 1500);
  CHECK(o.lines[1].sku == "TEE-M");
  CHECK(o.lines[1].quantity == 2);
  CHECK(o.subtotal.minor == 1500 + 2 * 1999);
  CHECK(shop.Level("TEE-M", "east-2").reserved == 2);
  auto after = shop.e().carts().get("cart-1");
  REQUIRE(after.ok());
  CHECK(after->lines.empty());

  // The retry finds the order although the cart is empty now.
  const auto before = shop.Take();
  Order again = shop.Place(r);
  CHECK(again == o);
  CHECK(shop.Take() == before);

  // A new order from the emptied cart, a cart in another currency, an unknown cart, another
  // customer's cart: refused, nothing written.
  struct Case {
    const char* name;
    PlaceOrder req;
    Code code;
    const char* prefix;
  };
  PlaceOrder empty = r;
  empty.idempotency_key = "second";
  PlaceOrder euro = empty;
  euro.currency = "EUR";
  PlaceOrder unknown = empty;
  unknown.cart_id = "cart-9";
  REQUIRE(shop.e().carts().create({.id = "cart-2", .customer_id = "c2", .currency = "USD"}).ok());
  REQUIRE(shop.e().carts().add("cart-2", "MUG", 1).ok());
  PlaceOrder theirs = empty;
  theirs.cart_id = "cart-2";
  const Case cases[] = {
      {"empty cart", empty, Code::kFailedPrecondition, "cart_id: cart 'cart-1' is empty"},
      {"other currency", euro, Code::kFailedPrecondition, "cart_id: cart 'cart-1' is empty"},
      {"unknown cart", unknown, Code::kNotFound, "cart_id: "},
      {"another customer's cart", theirs, Code::kFailedPrecondition, "cart_id: cart 'cart-2' belongs to another customer"},
  };
  const auto state = shop.Take();
  for (const auto& c : cases) {
    INFO("case: " << c.name);
    auto placed = shop.orders().place(c.req);
    INFO(placed.status().ToString());
    CHECK(placed.status().code() == c.code);
    CHECK(placed.status().message().rfind(c.prefix, 0) == 0);
    CHECK(shop.Take() == state);
  }
  // Currency is checked against a cart with lines.
  REQUIRE(shop.e().carts().add("cart-1", "MUG", 1).ok());
  auto mismatch = shop.orders().place(euro);
  CHECK(mismatch.status().code() == Code::kInvalidArgument);
  CHECK(mismatch.status().message() == "currency: EUR differs from the cart's USD");
}

TEST_CASE("place_async: answers once, as place() would, without the caller waiting", "[orders]") {
  auto driver = GENERATE(as<std::string>{}, "lmdb", "sqlite");
  CAPTURE(driver);
  Shop shop(driver);
  shop.Stock("MUG", "east-1", 5);

  // The callback may run on another thread: hand its answer over through a promise.
  struct Answer {
    Result<Order> order = Status::Internal("not answered");
    bool replayed = false;
    std::thread::id thread;
  };
  auto place = [&](PlaceOrder r) {
    auto promise = std::make_shared<std::promise<Answer>>();
    auto calls = std::make_shared<std::atomic<int>>(0);
    shop.orders().place_async(std::move(r), [promise, calls](Result<Order> o, bool replayed) {
      if (calls->fetch_add(1) == 0)
        promise->set_value(Answer{std::move(o), replayed, std::this_thread::get_id()});
    });
    Answer a = promise->get_future().get();
    CHECK(calls->load() == 1);
    return a;
  };

  Answer first = place(Req("async-1", {{"MUG", 2}}));
  INFO(first.order.status().ToString());
  REQUIRE(first.order.ok());
  CHECK_FALSE(first.replayed);
  CHECK(first.thread != std::this_thread::get_id());  // answered by the writer
  CHECK(first.order->lines.at(0).unit_price == Money{1250, "USD"});
  CHECK(shop.Level("MUG", "east-1").reserved == 2);
  // What it answered is what the store holds, durable and readable at once.
  auto stored = shop.orders().get(first.order->id);
  REQUIRE(stored.ok());
  CHECK(*stored == *first.order);

  // A retry with the same key is the same order, replayed, and writes nothing.
  auto before = shop.Take();
  Answer again = place(Req("async-1", {{"MUG", 2}}));
  REQUIRE(again.order.ok());
  CHECK(again.replayed);
  CHECK(*again.order == *first.order);
  CHECK(shop.Take() == before);

  // Bad input is answered on the calling thread, before place_async returns, writing nothing.
  Answer bad = place(Req("", {{"MUG", 1}}));
  CHECK(bad.order.status().code() == Code::kInvalidArgument);
  CHECK(bad.thread == std::this_thread::get_id());
  // Errors found against the data come back the same way place() gives them.
  CHECK(place(Req("async-2", {{"MUG", 4}})).order.status().code() == Code::kOutOfStock);
  CHECK(place(Req("async-3", {{"NOPE", 1}})).order.status().code() == Code::kNotFound);
  CHECK(shop.Take() == before);
}

TEST_CASE("access tokens: made at placement, 128 random bits, one order each, replayed with it",
          "[orders][token]") {
  auto driver = GENERATE(as<std::string>{}, "lmdb", "sqlite");
  CAPTURE(driver);
  Shop shop(driver);
  shop.Stock("MUG", "east-1", 10);
  Order first = shop.Place(Req("tok-1", {{"MUG", 1}}));
  Order second = shop.Place(Req("tok-2", {{"MUG", 1}}));
  for (const Order* o : {&first, &second}) {
    REQUIRE(o->access_token.size() == 3 + 32);
    CHECK(o->access_token.rfind("ot_", 0) == 0);
    CHECK(o->access_token.find_first_not_of("0123456789abcdef", 3) == std::string::npos);
  }
  CHECK(first.access_token != second.access_token);
  // Kept with the order, and a retry answers the same token (a client that lost the first
  // answer needs it).
  auto read = shop.orders().get(first.id);
  REQUIRE(read.ok());
  CHECK(read->access_token == first.access_token);
  CHECK(shop.Place(Req("tok-1", {{"MUG", 1}})).access_token == first.access_token);

  // get_by_token opens exactly the order whose token it is.
  auto mine = shop.orders().get_by_token(first.id, first.access_token);
  REQUIRE(mine.ok());
  CHECK(*mine == first);
  auto absent = shop.orders().get_by_token("ord-0000000000000000", first.access_token);
  REQUIRE(absent.status().code() == Code::kNotFound);
  std::string near = first.access_token;
  near.back() = near.back() == '0' ? '1' : '0';
  const std::pair<const char*, std::string> wrong[] = {
      {"another order's token", second.access_token},
      {"one digit off", near},
      {"a prefix of it", first.access_token.substr(0, 20)},
      {"empty", ""},
  };
  for (const auto& [name, token] : wrong) {
    INFO("token: " << name);
    auto r = shop.orders().get_by_token(first.id, token);
    CHECK(r.status().code() == Code::kNotFound);
    // Worded as for no such order: a guesser learns nothing about the id.
    CHECK(r.status().message() == "no order with id '" + first.id + "'");
  }
  CHECK(absent.status().message() == "no order with id 'ord-0000000000000000'");
}

TEST_CASE("access tokens: an order stored before tokens existed reads, but no token opens it",
          "[orders][token]") {
  auto driver = GENERATE(as<std::string>{}, "lmdb", "sqlite");
  CAPTURE(driver);
  Shop shop(driver);
  shop.Stock("MUG", "east-1", 10);
  Order placed = shop.Place(Req("old-1", {{"MUG", 1}}));
  // Paid first: a transition writes the record with its placement sequence inside (no tailed
  // envelope), as every version-1 record was written.
  placed = shop.Move(placed.id, OrderStatus::kPaid);
  // Rewrite it as the order record of version 1 was: the archive without its frame (codec
  // version 1), class version 1, and no token at the end (a string: u64 length, then bytes).
  Storage& st = shop.e().storage();
  auto table = st.table("orders");
  REQUIRE(table.ok());
  const std::string key = KeyBuilder().str(placed.id).key();
  std::string bytes;
  {
    auto txn = st.read();
    REQUIRE(txn.ok());
    auto stored = (*txn)->get(*table, key);
    REQUIRE(stored.ok());
    bytes = std::string(*stored);
  }
  REQUIRE(FramingOf(bytes) == RecordFraming::kFramed);
  std::string v1 = bytes.substr(kFrameHeader);
  REQUIRE(v1.compare(0, 4, std::string("\x04\x00\x00\x00", 4)) == 0);
  v1[0] = '\x01';
  // Version 4 ends with the token (its u64 length, then its bytes), then the discounts and the
  // price lists' fields.
  const size_t at = v1.rfind(std::string("\x23\0\0\0\0\0\0\0", 8) + placed.access_token);
  REQUIRE(at != std::string::npos);
  v1.resize(at);
  REQUIRE(st.write([&](WriteTxn& w) { return w.put(*table, key, v1); }).ok());

  auto old = shop.orders().get(placed.id);
  INFO(old.status().ToString());
  REQUIRE(old.ok());
  CHECK(old->access_token.empty());
  Order expected = placed;
  expected.access_token.clear();
  CHECK(*old == expected);
  // Only a full read opens it: neither the empty token nor the one it was placed with.
  CHECK(shop.orders().get_by_token(placed.id, "").status().code() == Code::kNotFound);
  CHECK(shop.orders().get_by_token(placed.id, placed.access_token).status().code() == Code::kNotFound);
  // A transition keeps it readable and writes it as the current version, still without a token.
  Order fulfilling = shop.Move(placed.id, OrderStatus::kFulfilling);
  CHECK(fulfilling.access_token.empty());
  CHECK(shop.orders().get(placed.id)->status == OrderStatus::kFulfilling);
}

namespace {

// A ReadView that counts how the view under it is read: what a remote store pays a round trip
// for (each get, each read_many, each cursor move).
class CountingView final : public ReadView {
 public:
  explicit CountingView(ReadView& base) : base_(base) {}
  using ReadView::get;
  Status get(Table table, std::string_view key, std::string_view* value) override {
    ++gets;
    return base_.get(table, key, value);
  }
  std::unique_ptr<Cursor> cursor(Table table, CursorOptions options) override {
    ++cursors;
    return base_.cursor(table, options);
  }
  Result<ReadResults> read_many(const std::vector<KeyRead>& keys,
                                const std::vector<RangeRead>& ranges) override {
    ++batches;
    for (const RangeRead& r : ranges)
      if (r.table.id == stock.id) ++stock_ranges;
    return base_.read_many(keys, ranges);
  }
  int gets = 0, cursors = 0, batches = 0;
  Table stock;  // range reads of this table are counted in stock_ranges
  int stock_ranges = 0;

 private:
  ReadView& base_;
};

struct Prepared {
  Status status;
  Placement placement;
  std::vector<std::string> ops;  // each op's kind, table, key and value
  int gets = 0, cursors = 0, batches = 0, stock_ranges = 0;
};

Prepared Prepare(ReadView& snapshot, const Tables& t, const PlaceOrder& r, bool read_ahead) {
  CountingView view(snapshot);
  view.stock = t.stock;
  ChangeSet changes;
  Prepared out;
  auto pricing = MakeDefaultPricing();
  out.status = PreparePlacement(view, read_ahead, t, *pricing, r, "ord-00000000000000aa",
                                "ot_0123456789abcdef0123456789abcdef", RequestFingerprint(r),
                                1'700'000'000'000, changes, &out.placement);
  for (const auto& op : changes.ops())
    out.ops.push_back(std::to_string(static_cast<int>(op.kind)) + "/" + std::to_string(op.table.id) +
                      "/" + std::string(changes.key(op)) + "/" + std::string(changes.value(op)));
  out.gets = view.gets;
  out.cursors = view.cursors;
  out.batches = view.batches;
  out.stock_ranges = view.stock_ranges;
  return out;
}

}  // namespace

TEST_CASE("place: read-ahead prepares the same order in three batched reads at most",
          "[orders][read_many]") {
  auto driver = GENERATE(as<std::string>{}, "lmdb", "sqlite");
  CAPTURE(driver);
  Shop shop(driver);
  shop.Stock("TEE-M", "east-1", 1);
  shop.Stock("TEE-M", "west", 5);
  shop.Stock("MUG", "east-2", 3);
  shop.Stock("TEE-S", "west", 2);
  REQUIRE(shop.e().carts().create({.id = "cart-1", .customer_id = "c1", .currency = "USD"}).ok());
  REQUIRE(shop.e().carts().add("cart-1", "TEE-M", 2).ok());
  REQUIRE(shop.e().carts().add("cart-1", "MUG", 1).ok());
  REQUIRE(shop.e().carts().create({.id = "cart-0", .customer_id = "c1", .currency = "USD"}).ok());
  Order earlier = shop.Place(Req("k-earlier", {{"TEE-S", 1}}));
  auto store = shop.CloseAndOpenStore(driver);
  std::unique_ptr<Storage>& storage = store.first;
  const Tables& t = store.second;
  auto snapshot = storage->read();
  REQUIRE(snapshot.ok());

  PlaceOrder from_cart = Req("k-cart", {});
  from_cart.cart_id = "cart-1";
  PlaceOrder empty_cart = Req("k-empty", {});
  empty_cart.cart_id = "cart-0";
  struct Case {
    const char* name;
    PlaceOrder request;
    int batches;  // read_many calls with read-ahead
  };
  std::vector<Case> cases{
      {"lines", Req("k1", {{"TEE-M", 2}, {"MUG", 1}, {"TEE-S", 1}}), 2},
      {"cart", from_cart, 3},
      {"replay", Req("k-earlier", {{"TEE-S", 1}}), 1},
      {"reused key", Req("k-earlier", {{"MUG", 1}}), 1},
      {"unknown sku", Req("k2", {{"MUG", 1}, {"NOPE", 1}}), 2},
      {"out of stock", Req("k3", {{"TEE-M", 7}}), 2},
      {"unknown customer", Req("k4", {{"MUG", 1}}, "c-none"), 1},
      {"not active", Req("k5", {{"OLD", 1}}), 2},
      {"empty cart", empty_cart, 1},
  };
  for (const Case& c : cases) {
    INFO(c.name);
    Prepared one_by_one = Prepare(**snapshot, t, c.request, false);
    Prepared ahead = Prepare(**snapshot, t, c.request, true);
    INFO(one_by_one.status.ToString() << " / " << ahead.status.ToString());
    CHECK(ahead.status == one_by_one.status);
    CHECK(ahead.ops == one_by_one.ops);
    CHECK(ahead.placement.replayed == one_by_one.placement.replayed);
    CHECK(ahead.placement.order.id == one_by_one.placement.order.id);
    CHECK(ahead.placement.order.total.minor == one_by_one.placement.order.total.minor);
    CHECK(ahead.placement.order.shipments.size() == one_by_one.placement.order.shipments.size());
    // Without read-ahead a read per key; with it, every read of the preparation in a few
    // read_many calls (a replay reads the stored order by itself, once).
    CHECK(ahead.gets + ahead.batches + ahead.cursors <=
          one_by_one.gets + one_by_one.batches + one_by_one.cursors);
    if (std::string(c.name) == "lines") CHECK(one_by_one.gets + one_by_one.batches >= 10);
    CHECK(ahead.batches == c.batches);
    CHECK(ahead.cursors == 0);
    CHECK(ahead.gets == (std::string(c.name) == "replay" ? 1 : 0));
  }
  CHECK(Prepare(**snapshot, t, cases[0].request, true).status.ok());
  CHECK(Prepare(**snapshot, t, cases[2].request, true).placement.order.id == earlier.id);
}

// Allocation and the slot reservations share one read of each SKU's stock rows (before, each
// read and decoded them again: a split SKU's 16 rows twice on a local store).
TEST_CASE("place: each SKU's stock rows are read once per preparation, split or not",
          "[orders][stock_split]") {
  auto driver = GENERATE(as<std::string>{}, "lmdb", "sqlite");
  CAPTURE(driver);
  Shop shop(driver);
  shop.Stock("TEE-M", "east-1", 40);
  REQUIRE(shop.inv().split_stock("TEE-M", "east-1", 8).ok());
  shop.Stock("MUG", "east-2", 5);
  auto store = shop.CloseAndOpenStore(driver);
  const Tables& t = store.second;
  auto snapshot = store.first->read();
  REQUIRE(snapshot.ok());
  Prepared one = Prepare(**snapshot, t, Req("k1", {{"TEE-M", 3}, {"MUG", 1}}), false);
  INFO(one.status.ToString());
  REQUIRE(one.status.ok());
  CHECK(one.stock_ranges == 2);  // one per SKU
  REQUIRE(one.placement.order.shipments.size() == 2);
}

}  // namespace order_order_test
