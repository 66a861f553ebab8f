// Promotions and coupons: an automatic promotion, a coupon with a total limit, a cart priced
// and explained, an order that keeps its discounts, and the coupon used up; then a tiered
// promotion for one customer group on one channel.
//   build/bin/example_promotions /tmp/shop
// Safe to run again on the same store (records are created once; orders use fresh keys).
// See docs/promotions.md.
#include <commerce/channels.h>
#include <commerce/engine.h>

#include <chrono>
#include <iostream>
#include <string>

namespace {

int Fail(const char* what, const commerce::Status& s) {
  std::cerr << what << ": " << s.ToString() << "\n";
  return 1;
}

std::string Show(const commerce::Money& m) { return commerce::FormatMoney(m) + " " + m.currency; }

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << "usage: " << argv[0] << " DIR\n";
    return 2;
  }
  auto opened = commerce::Engine::open({.path = argv[1]});
  if (!opened.ok()) return Fail("open", opened.status());
  commerce::Engine& engine = **opened;

  commerce::Product tee;
  tee.id = "tee";
  tee.title = "Tee";
  tee.variants.push_back({.sku = "TEE", .price = {1999, "USD"}});
  if (auto s = engine.catalog().upsert(tee); !s.ok()) return Fail("product", s.status());
  if (auto s = engine.inventory().upsert_warehouse({"wh", "Reno", "us-west", 0, true}); !s.ok())
    return Fail("warehouse", s.status());
  if (auto s = engine.inventory().receive("TEE", "wh", 100); !s.ok()) return Fail("stock", s.status());
  if (auto c = engine.customers().get("ada"); c.status().IsNotFound())
    (void)engine.customers().create({.id = "ada", .email = "ada@example.com", .name = "Ada"});

  // Automatic: 5.00 off orders of 30.00 or more. With the code LAUNCH: 20% off, 3 uses in all.
  commerce::Promotion five;
  five.id = "five-off";
  five.name = "5.00 off from 30.00";
  five.currency = "USD";
  five.action = commerce::PromotionAction::kFixedOffOrder;
  five.amount_minor = 500;
  five.min_subtotal_minor = 3000;
  commerce::Promotion launch;
  launch.id = "launch";
  launch.name = "Launch: 20% off";
  launch.currency = "USD";
  launch.action = commerce::PromotionAction::kPercentOffLines;
  launch.percent_bp = 2000;
  launch.requires_coupon = true;
  launch.priority = 10;  // before the 5.00: 20% of the full price
  for (const auto& p : {five, launch})
    if (auto s = engine.promotions().create(p); !s.ok() && !s.status().IsAlreadyExists())
      return Fail("promotion", s.status());
  if (auto s = engine.promotions().create_coupon({.code = "LAUNCH", .promotion_id = "launch", .usage_limit = 3});
      !s.ok() && !s.status().IsAlreadyExists())
    return Fail("coupon", s.status());

  auto cart = engine.carts().create({.customer_id = "ada"});
  if (!cart.ok()) return Fail("cart", cart.status());
  if (auto s = engine.carts().add(cart->id, "TEE", 2); !s.ok()) return Fail("add", s.status());
  auto priced = engine.promotions().price_cart(cart->id, {.coupon_codes = {"launch"}});
  if (!priced.ok()) return Fail("price", priced.status());
  for (const auto& p : priced->promotions)
    std::cout << "applied: " << p.name << " -" << Show(p.amount) << "\n";
  std::cout << "cart: " << Show(priced->subtotal) << " - " << Show(priced->discount) << " = "
            << Show(priced->total) << "\n";

  const auto now = std::chrono::system_clock::now().time_since_epoch().count();
  commerce::PlaceOrder order{.idempotency_key = "example-" + std::to_string(now),
                             .customer_id = "ada",
                             .cart_id = cart->id,
                             .shipping_address = {.name = "Ada", .line1 = "1 Main", .city = "Reno",
                                                  .region = "us-west", .country = "US"},
                             .coupon_codes = {"LAUNCH"}};
  auto placed = engine.orders().place(order);
  if (placed.ok()) {
    std::cout << "order " << placed->id << ": discount " << Show(placed->discount) << ", total "
              << Show(placed->total) << "\n";
  } else if (placed.status().IsFailedPrecondition()) {
    std::cout << "refused: " << placed.status().message() << "\n";  // LAUNCH used up
  } else {
    return Fail("place", placed.status());
  }
  std::cout << "LAUNCH used " << engine.promotions().get_coupon("LAUNCH")->used << " of 3\n";
  (void)engine.carts().remove_cart(cart->id);

  // Wholesale buyers on the B2B channel, by units: 5% off from 20 tees, 10% from 50. The
  // customer's group and the cart's channel must both match; the 5.00 off applies as well.
  if (auto c = engine.channels().get("b2b"); c.status().IsNotFound())
    (void)engine.channels().create({.id = "b2b", .name = "Wholesale", .default_currency = "USD"});
  if (auto c = engine.customers().get("acme"); c.status().IsNotFound())
    (void)engine.customers().create({.id = "acme", .email = "buy@acme.example", .name = "Acme", .group = "wholesale"});
  commerce::Promotion bulk;
  bulk.id = "bulk-tees";
  bulk.name = "Bulk tees";
  bulk.currency = "USD";
  bulk.skus = {"TEE"};
  bulk.customer_groups = {"wholesale"};
  bulk.channels = {"b2b"};
  bulk.action = commerce::PromotionAction::kTiered;
  bulk.tier_basis = commerce::PromotionTierBasis::kQuantity;
  bulk.tiers = {{.threshold = 20, .percent_bp = 500}, {.threshold = 50, .percent_bp = 1000}};
  // Written with a PromotionUpserted event in the same commit.
  if (auto s = engine.promotions().create(bulk); !s.ok() && !s.status().IsAlreadyExists())
    return Fail("tiered promotion", s.status());
  for (const char* who : {"ada", "acme"}) {
    auto b2b = engine.carts().create({.customer_id = who, .channel = "b2b"});
    if (!b2b.ok()) return Fail("b2b cart", b2b.status());
    if (auto s = engine.carts().add(b2b->id, "TEE", 24); !s.ok()) return Fail("add", s.status());
    auto p = engine.promotions().price_cart(b2b->id);
    if (!p.ok()) return Fail("price", p.status());
    std::cout << who << ", 24 tees on b2b:";
    for (const auto& applied : p->promotions) std::cout << " " << applied.name << " -" << Show(applied.amount) << ";";
    std::cout << " total " << Show(p->total) << "\n";
    (void)engine.carts().remove_cart(b2b->id);
  }
  return 0;
}
