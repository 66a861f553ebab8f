// Promotions through the engine (src/promotions/promotions.cpp, order placement): records and
// their bad input, a cart priced and explained, orders carrying their discounts, the pricing
// hook running after the promotions, and coupon limits under threads on LMDB and SQLite (no
// code used more often than its limit, in total and per customer).
#include <atomic>
#include <latch>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

#include "commerce/engine.h"
#include "test_dir.h"

namespace promotions_promotions_test {

namespace {

using namespace commerce;
using commerce::testing::TempDir;

// Records what the policy was asked, and charges a flat 5.00 shipping and 10% tax.
class RecordingPricing : public PricingPolicy {
 public:
  Result<PricingResult> price(const PricingInput& in) const override {
    last_subtotal = in.subtotal_minor;
    last_discount = in.discount_minor;
    last_free_shipping = in.free_shipping;
    return PricingResult{in.subtotal_minor / 10, 500};
  }
  mutable std::atomic<int64_t> last_subtotal{-1}, last_discount{-1};
  mutable std::atomic<bool> last_free_shipping{false};
};

struct Shop {
  TempDir dir;
  std::shared_ptr<RecordingPricing> pricing = std::make_shared<RecordingPricing>();
  std::unique_ptr<Engine> engine;

  explicit Shop(const std::string& driver = "lmdb") {
    EngineOptions o;
    o.path = dir.path();
    o.driver = driver;
    o.run_background = false;
    o.search.run_indexer = false;
    o.pricing = pricing;
    auto e = Engine::open(o);
    INFO(e.status().ToString());
    REQUIRE(e.ok());
    engine = std::move(e).value();
    Category shoes;
    shoes.id = "shoes";
    shoes.name = "Shoes";
    REQUIRE(engine->catalog().upsert_category(shoes).ok());
    AddProduct("shoe", "SHOE", 8000, {"shoes"});
    AddProduct("sock", "SOCK", 500, {});
    Warehouse w;
    w.id = "w1";
    w.name = "One";
    w.region = "us-east";
    REQUIRE(engine->inventory().upsert_warehouse(w).ok());
    REQUIRE(engine->inventory().receive("SHOE", "w1", 1000).ok());
    REQUIRE(engine->inventory().receive("SOCK", "w1", 1000).ok());
    for (const char* id : {"alice", "bob"}) {
      Customer c;
      c.id = id;
      c.email = std::string(id) + "@example.com";
      c.name = id;
      REQUIRE(engine->customers().create(c).ok());
    }
  }
  void AddProduct(const std::string& id, const std::string& sku, int64_t price,
                  std::vector<std::string> categories) {
    Product p;
    p.id = id;
    p.title = id;
    p.categories = std::move(categories);
    Variant v;
    v.sku = sku;
    v.price = Money{price, "USD"};
    p.variants.push_back(v);
    auto r = engine->catalog().upsert(p);
    INFO(r.status().ToString());
    REQUIRE(r.ok());
  }
  Promotions& promotions() { return engine->promotions(); }
  PlaceOrder Request(const std::string& key, const std::string& customer,
                   std::vector<std::string> coupons, int64_t shoes = 1, int64_t socks = 0) {
    PlaceOrder r;
    r.idempotency_key = key;
    r.customer_id = customer;
    if (shoes) r.lines.push_back({"SHOE", shoes});
    if (socks) r.lines.push_back({"SOCK", socks});
    r.shipping_address = Address{"A", "1 Main St", "", "Town", "", "us-east", "US"};
    r.coupon_codes = std::move(coupons);
    return r;
  }
};

Promotion PercentOff(const std::string& id, int32_t bp) {
  Promotion p;
  p.id = id;
  p.name = id.empty() ? "Spring" : "Spring " + id;
  p.currency = "USD";
  p.action = PromotionAction::kPercentOffLines;
  p.percent_bp = bp;
  return p;
}

TEST_CASE("promotions and coupons: records and bad input", "[promotions]") {
  Shop shop;
  auto& promos = shop.promotions();
  auto created = promos.create(PercentOff("spring", 1000));
  REQUIRE(created.ok());
  CHECK(created->version == 1);
  CHECK(created->created_at_ms > 0);
  CHECK(promos.get("spring").value() == *created);
  CHECK(promos.create(PercentOff("spring", 500)).status().IsAlreadyExists());

  Promotion generated = PercentOff("", 500);
  auto g = promos.create(generated);
  REQUIRE(g.ok());
  CHECK(g->id.rfind("promo-", 0) == 0);
  CHECK(promos.list().value().size() == 2);

  Promotion changed = *created;
  changed.percent_bp = 1500;
  CHECK(promos.update(changed, 7).status().IsConflict());
  auto updated = promos.update(changed, 1);
  REQUIRE(updated.ok());
  CHECK(updated->version == 2);
  CHECK(updated->percent_bp == 1500);
  changed.id = "nope";
  CHECK(promos.update(changed).status().IsNotFound());
  CHECK(promos.get("nope").status().IsNotFound());

  // Bad promotions: each is InvalidArgument naming its field, and nothing is written.
  auto bad = [&](auto edit, const std::string& field) {
    Promotion p = PercentOff("bad", 1000);
    edit(p);
    auto r = promos.create(p);
    INFO(r.status().ToString());
    CHECK(r.status().IsInvalidArgument());
    CHECK(r.status().message().find(field) != std::string::npos);
  };
  bad([](Promotion& p) { p.name = ""; }, "name");
  bad([](Promotion& p) { p.currency = "XXY"; }, "currency");
  bad([](Promotion& p) { p.percent_bp = 0; }, "percent_bp");
  bad([](Promotion& p) { p.percent_bp = 10001; }, "percent_bp");
  bad([](Promotion& p) { p.amount_minor = 5; }, "amount_minor");
  bad([](Promotion& p) { p.action = PromotionAction::kFixedOffOrder; }, "percent_bp");
  bad([](Promotion& p) { p.action = PromotionAction::kFixedOffOrder; p.percent_bp = 0; }, "amount_minor");
  bad([](Promotion& p) { p.action = PromotionAction::kBuyXGetY; }, "buy_quantity");
  bad([](Promotion& p) { p.buy_quantity = 2; }, "buy_quantity");
  bad([](Promotion& p) { p.min_subtotal_minor = -1; }, "min_subtotal_minor");
  bad([](Promotion& p) { p.starts_at_ms = 10; p.ends_at_ms = 5; }, "ends_at_ms");
  bad([](Promotion& p) { p.skus = {""}; }, "skus[0]");
  bad([](Promotion& p) { p.skus.assign(101, "x"); }, "skus");
  bad([](Promotion& p) { p.id = std::string(65, 'a'); }, "id");
  CHECK(promos.get("bad").status().IsNotFound());
  CHECK(ParsePromotionAction("buy_x_get_y").value() == PromotionAction::kBuyXGetY);
  CHECK(ParsePromotionAction("half_off").status().IsInvalidArgument());

  // Coupons.
  Coupon c;
  c.code = "spring-10";
  c.promotion_id = "spring";
  c.usage_limit = 3;
  auto coupon = promos.create_coupon(c);
  REQUIRE(coupon.ok());
  CHECK(coupon->code == "SPRING-10");
  CHECK(promos.get_coupon("Spring-10").value().code == "SPRING-10");
  c.code = "SPRING-10";
  CHECK(promos.create_coupon(c).status().IsAlreadyExists());
  c.code = "OTHER";
  c.promotion_id = "nope";
  CHECK(promos.create_coupon(c).status().IsNotFound());
  c.promotion_id = "spring";
  c.code = "has space";
  CHECK(promos.create_coupon(c).status().IsInvalidArgument());
  c.code = "";
  CHECK(promos.create_coupon(c).status().IsInvalidArgument());
  c.code = "OK";
  c.usage_limit = -1;
  CHECK(promos.create_coupon(c).status().IsInvalidArgument());
  CHECK(promos.get_coupon("OK").status().IsNotFound());
  CHECK(promos.list_coupons("spring").value().size() == 1);
  CHECK(promos.list_coupons().value().size() == 1);
  CHECK(promos.list_coupons("nope").status().IsNotFound());
  Coupon edit = *coupon;
  edit.usage_limit = 10;
  edit.active = false;
  auto edited = promos.update_coupon(edit, 1);
  REQUIRE(edited.ok());
  CHECK(edited->usage_limit == 10);
  CHECK_FALSE(edited->active);
  edit.promotion_id = g->id;
  CHECK(promos.update_coupon(edit).status().IsInvalidArgument());
  CHECK(promos.coupon_uses("SPRING-10", "alice").value() == 0);
}

TEST_CASE("a cart priced with its promotions explained", "[promotions]") {
  Shop shop;
  auto& promos = shop.promotions();
  Promotion shoes = PercentOff("shoes-10", 1000);
  shoes.categories = {"shoes"};
  REQUIRE(promos.create(shoes).ok());
  Promotion socks;
  socks.id = "socks-b2g1";
  socks.name = "Socks: buy 2 get 1";
  socks.currency = "USD";
  socks.skus = {"SOCK"};
  socks.action = PromotionAction::kBuyXGetY;
  socks.buy_quantity = 2;
  socks.get_quantity = 1;
  socks.percent_bp = 10000;
  REQUIRE(promos.create(socks).ok());
  Promotion vip = PercentOff("vip", 500);
  vip.requires_coupon = true;
  vip.name = "VIP 5%";
  REQUIRE(promos.create(vip).ok());
  Coupon code;
  code.code = "VIP5";
  code.promotion_id = "vip";
  REQUIRE(promos.create_coupon(code).ok());

  NewCart nc;
  nc.customer_id = "alice";
  auto cart = shop.engine->carts().create(nc);
  REQUIRE(cart.ok());
  REQUIRE(shop.engine->carts().add(cart->id, "SHOE", 1).ok());
  REQUIRE(shop.engine->carts().add(cart->id, "SOCK", 3).ok());

  auto priced = promos.price_cart(cart->id);
  INFO(priced.status().ToString());
  REQUIRE(priced.ok());
  CHECK(priced->subtotal == Money{9500, "USD"});
  REQUIRE(priced->promotions.size() == 2);  // by id at equal priority
  CHECK(priced->promotions[0].promotion_id == "shoes-10");
  CHECK(priced->promotions[1].promotion_id == "socks-b2g1");
  REQUIRE(priced->lines.size() == 2);
  CHECK(priced->lines[0].line.sku == "SHOE");
  CHECK(priced->lines[0].discount == Money{800, "USD"});
  CHECK(priced->lines[1].discount == Money{500, "USD"});
  CHECK(priced->lines[1].total == Money{1000, "USD"});
  CHECK(priced->discount == Money{1300, "USD"});
  CHECK(priced->total == Money{8200, "USD"});

  auto with_code = promos.price_cart(cart->id, {.coupon_codes = {"vip5"}});
  REQUIRE(with_code.ok());
  REQUIRE(with_code->promotions.size() == 3);
  CHECK(with_code->promotions[2].coupon_code == "VIP5");
  // 5% of what is left: shoe 72.00 -> 3.60, socks 10.00 -> 0.50.
  CHECK(with_code->discount == Money{1300 + 360 + 50, "USD"});

  CHECK(promos.price_cart(cart->id, {.coupon_codes = {"NOPE"}}).status().IsNotFound());
  CHECK(promos.price_cart(cart->id, {.coupon_codes = {"bad code"}}).status().IsInvalidArgument());
  CHECK(promos.price_cart(cart->id, {.coupon_codes = {"A", "B", "C", "D", "E", "F"}})
            .status().IsInvalidArgument());
  CHECK(promos.price_cart("no-such-cart").status().IsNotFound());
  CHECK(promos.price_cart(cart->id, {.customer_id = "bob"}).status().IsFailedPrecondition());
  // The same cart ordered gets the same discounts.
  PlaceOrder r = shop.Request("k-cart", "alice", {"VIP5"}, 0);
  r.lines.clear();
  r.cart_id = cart->id;
  auto order = shop.engine->orders().place(r);
  INFO(order.status().ToString());
  REQUIRE(order.ok());
  CHECK(order->discount == with_code->discount);
  CHECK(order->promotions == with_code->promotions);
  for (size_t i = 0; i < order->lines.size(); ++i)
    CHECK(order->lines[i].discounts == with_code->lines[i].discounts);
}

TEST_CASE("an order carries its discounts, and the pricing hook runs after them", "[promotions]") {
  Shop shop;
  auto& promos = shop.promotions();
  REQUIRE(promos.create(PercentOff("auto-10", 1000)).ok());
  Promotion ship;
  ship.id = "ship";
  ship.name = "Free shipping over 100";
  ship.currency = "USD";
  ship.action = PromotionAction::kFreeShipping;
  ship.min_subtotal_minor = 10'000;
  REQUIRE(promos.create(ship).ok());

  auto one = shop.engine->orders().place(shop.Request("k1", "alice", {}, 1));
  INFO(one.status().ToString());
  REQUIRE(one.ok());
  CHECK(one->subtotal == Money{8000, "USD"});
  CHECK(one->discount == Money{800, "USD"});
  CHECK(one->lines[0].discount == Money{800, "USD"});
  REQUIRE(one->lines[0].discounts.size() == 1);
  CHECK(one->lines[0].discounts[0].promotion_id == "auto-10");
  CHECK(shop.pricing->last_subtotal == 7200);
  CHECK(shop.pricing->last_discount == 800);
  CHECK_FALSE(shop.pricing->last_free_shipping);
  CHECK(one->tax == Money{720, "USD"});
  CHECK(one->shipping == Money{500, "USD"});
  CHECK(one->total == Money{7200 + 720 + 500, "USD"});
  // Stored as answered.
  CHECK(shop.engine->orders().get(one->id).value() == *one);

  auto two = shop.engine->orders().place(shop.Request("k2", "alice", {}, 2));
  REQUIRE(two.ok());
  CHECK(shop.pricing->last_free_shipping);
  CHECK(two->shipping == Money{0, "USD"});
  REQUIRE(two->promotions.size() == 2);
  CHECK(two->promotions[1].free_shipping);
  CHECK(two->total == Money{14'400 + 1440, "USD"});

  // An unknown coupon fails the order before anything is written.
  auto bad = shop.engine->orders().place(shop.Request("k3", "alice", {"NOPE"}));
  CHECK(bad.status().IsNotFound());
  CHECK(shop.engine->orders().place(shop.Request("k3", "alice", {"no pe"})).status().IsInvalidArgument());
  // The OrderPlaced event says what was taken off.
  auto events = shop.engine->events().tail(0, 1000);
  REQUIRE(events.ok());
  bool seen = false;
  for (const auto& e : *events)
    if (e.type == "OrderPlaced" && e.subject == one->id) {
      seen = true;
      CHECK(e.data.find("\"discount\":800") != std::string::npos);
    }
  CHECK(seen);
}

// Orders race for a coupon's last uses: exactly the limit succeed, the rest are told the
// coupon is used up, and the counts say so.
void RaceForCoupon(const std::string& driver) {
  Shop shop(driver);
  auto& promos = shop.promotions();
  Promotion p = PercentOff("flash", 2000);
  p.requires_coupon = true;
  REQUIRE(promos.create(p).ok());
  Coupon total;
  total.code = "FLASH";
  total.promotion_id = "flash";
  total.usage_limit = 5;
  REQUIRE(promos.create_coupon(total).ok());
  Coupon mine;
  mine.code = "ONCE";
  mine.promotion_id = "flash";
  mine.per_customer_limit = 1;
  REQUIRE(promos.create_coupon(mine).ok());

  constexpr int kThreads = 16;
  std::atomic<int> placed{0}, used_up{0}, other{0};
  std::atomic<int> once_placed{0}, once_used_up{0}, once_winner{-1};
  std::latch start(kThreads);
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i)
    threads.emplace_back([&, i] {
      start.arrive_and_wait();
      auto r = shop.engine->orders().place(
          shop.Request("flash-" + std::to_string(i), i % 2 ? "alice" : "bob", {"flash"}));
      if (r.ok()) ++placed;
      else if (r.status().IsFailedPrecondition()) ++used_up;
      else { ++other; UNSCOPED_INFO(r.status().ToString()); }
      auto once = shop.engine->orders().place(
          shop.Request("once-" + std::to_string(i), "alice", {"once"}));
      if (once.ok()) {
        ++once_placed;
        once_winner = i;
      }
      else if (once.status().IsFailedPrecondition()) ++once_used_up;
      else { ++other; UNSCOPED_INFO(once.status().ToString()); }
    });
  for (auto& t : threads) t.join();
  CHECK(other == 0);
  CHECK(placed == 5);
  CHECK(used_up == kThreads - 5);
  CHECK(promos.get_coupon("FLASH").value().used == 5);
  CHECK(once_placed == 1);
  CHECK(once_used_up == kThreads - 1);
  CHECK(promos.coupon_uses("ONCE", "alice").value() == 1);
  CHECK(promos.coupon_uses("ONCE", "bob").value() == 0);
  // Orders with FLASH in the store: exactly 5, each with its discount.
  auto orders = shop.engine->orders().list({}, {.limit = 1000});
  REQUIRE(orders.ok());
  int with_flash = 0;
  for (const auto& o : orders->items)
    for (const auto& a : o.promotions)
      if (a.coupon_code == "FLASH") ++with_flash;
  CHECK(with_flash == 5);
  // A replay of the placed order does not count a second use.
  REQUIRE(once_winner >= 0);
  bool replayed = false;
  auto again = shop.engine->orders().place(
      shop.Request("once-" + std::to_string(once_winner.load()), "alice", {"once"}), &replayed);
  REQUIRE(again.ok());
  CHECK(replayed);
  CHECK(promos.coupon_uses("ONCE", "alice").value() == 1);
}

TEST_CASE("coupon limits hold under threads", "[promotions][concurrency]") {
  SECTION("lmdb") { RaceForCoupon("lmdb"); }
  SECTION("sqlite") { RaceForCoupon("sqlite"); }
}

// Regression: placement numbered its stock reservations' adds from 0, but the coupons' use
// counters are added to the set before them, so each StockReserved event took the counters of
// another add (a coupon's, of another size): the event was stored damaged (a checksum
// mismatch), and the log could not be read past it.
TEST_CASE("an order with a coupon writes its StockReserved events whole", "[promotions][events]") {
  for (const char* driver : {"lmdb", "sqlite"}) {
    CAPTURE(driver);
    Shop shop(driver);
    Promotion p = PercentOff("p", 1000);
    p.requires_coupon = true;
    REQUIRE(shop.promotions().create(p).ok());
    REQUIRE(shop.promotions().create_coupon({.code = "TWICE", .promotion_id = "p", .usage_limit = 10,
                                             .per_customer_limit = 2}).ok());
    auto order = shop.engine->orders().place(shop.Request("k-events", "alice", {"TWICE"}, 2, 3));
    INFO(order.status().ToString());
    REQUIRE(order.ok());
    auto events = shop.engine->events().tail(1, 10000);
    INFO(events.status().ToString());
    REQUIRE(events.ok());
    std::vector<std::string> reserved;
    for (const auto& e : *events)
      if (e.type == "StockReserved") reserved.push_back(e.data);
    CHECK(reserved == std::vector<std::string>{
                          "{\"sku\":\"SHOE\",\"warehouse_id\":\"w1\",\"quantity\":2,\"ref\":\"" + order->id +
                              "\",\"on_hand\":1000,\"reserved\":2}",
                          "{\"sku\":\"SOCK\",\"warehouse_id\":\"w1\",\"quantity\":3,\"ref\":\"" + order->id +
                              "\",\"on_hand\":1000,\"reserved\":3}"});
    auto report = shop.engine->verify();
    REQUIRE(report.ok());
    for (const auto& problem : report->problems) UNSCOPED_INFO(problem.check << " " << problem.what);
    CHECK(report->problems.empty());
  }
}

TEST_CASE("a guest cannot use a coupon limited per customer, and an inactive one is unknown", "[promotions]") {
  Shop shop;
  auto& promos = shop.promotions();
  Promotion p = PercentOff("p", 1000);
  p.requires_coupon = true;
  REQUIRE(promos.create(p).ok());
  Coupon c;
  c.code = "PER";
  c.promotion_id = "p";
  c.per_customer_limit = 2;
  REQUIRE(promos.create_coupon(c).ok());
  auto cart = shop.engine->carts().create({});
  REQUIRE(cart.ok());
  REQUIRE(shop.engine->carts().add(cart->id, "SOCK", 1).ok());
  CHECK(promos.price_cart(cart->id, {.coupon_codes = {"PER"}}).status().IsFailedPrecondition());
  auto as_alice = promos.price_cart(cart->id, {.customer_id = "alice", .coupon_codes = {"PER"}});
  REQUIRE(as_alice.ok());
  CHECK(as_alice->discount == Money{50, "USD"});
  c.active = false;
  REQUIRE(promos.update_coupon(c).ok());
  CHECK(shop.engine->orders().place(shop.Request("k", "alice", {"PER"})).status().IsNotFound());
}

}  // namespace

}  // namespace promotions_promotions_test
