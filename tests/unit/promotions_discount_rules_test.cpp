// The promotion rules as a pure function (src/promotions/discount_rules.cpp): each action's
// arithmetic to the minor unit, the conditions, priority, stacking and exclusivity, and what a
// coupon that does not apply answers.
#include <catch2/catch.hpp>

#include "promotions/discount_rules.h"

namespace promotions_discount_rules_test {

namespace {

using namespace commerce;

DiscountLine Line(const std::string& sku, int64_t qty, int64_t unit,
                  std::set<std::string> categories = {}) {
  return DiscountLine{sku, std::move(categories), qty, unit, qty * unit};
}

Promotion Promo(const std::string& id, PromotionAction action) {
  Promotion p;
  p.id = id;
  p.name = "The " + id;
  p.currency = "USD";
  p.action = action;
  return p;
}

DiscountInput Input(std::vector<DiscountLine> lines, std::string customer = "c1") {
  DiscountInput in;
  in.currency = "USD";
  in.customer_id = std::move(customer);
  in.now_ms = 1'000'000;
  in.lines = std::move(lines);
  return in;
}

std::vector<int64_t> LineOffs(const DiscountOutcome& o) {
  std::vector<int64_t> out;
  for (const auto& l : o.lines) {
    int64_t sum = 0;
    for (const auto& d : l) sum += d.amount.minor;
    out.push_back(sum);
  }
  return out;
}

TEST_CASE("percent off lines rounds each line half up", "[promotions][rules]") {
  Promotion p = Promo("p10", PromotionAction::kPercentOffLines);
  p.percent_bp = 1250;  // 12.5%
  auto o = ApplyPromotions({{p, ""}}, Input({Line("A", 1, 999), Line("B", 3, 333)}));
  REQUIRE(o.ok());
  // 999 * 0.125 = 124.875 -> 125; 999 * 0.125 = 124.875 -> 125
  CHECK(LineOffs(*o) == std::vector<int64_t>{125, 125});
  CHECK(o->discount_minor == 250);
  REQUIRE(o->applied.size() == 1);
  CHECK(o->applied[0].amount == Money{250, "USD"});
  CHECK(o->applied[0].coupon_code.empty());
}

TEST_CASE("an amount off the order is spread over the qualifying lines exactly", "[promotions][rules]") {
  Promotion p = Promo("ten-off", PromotionAction::kFixedOffOrder);
  p.amount_minor = 1000;
  auto o = ApplyPromotions({{p, ""}}, Input({Line("A", 1, 1000), Line("B", 1, 1000), Line("C", 1, 1000)}));
  REQUIRE(o.ok());
  // 333.33 each: the remainder cent goes to the first line (ties: the earlier line).
  CHECK(LineOffs(*o) == std::vector<int64_t>{334, 333, 333});
  CHECK(o->discount_minor == 1000);

  SECTION("never more than the lines are worth") {
    p.amount_minor = 10'000;
    auto all = ApplyPromotions({{p, ""}}, Input({Line("A", 1, 700)}));
    REQUIRE(all.ok());
    CHECK(all->discount_minor == 700);
  }
}

TEST_CASE("fixed off lines takes the amount per unit, at most the line", "[promotions][rules]") {
  Promotion p = Promo("two-off", PromotionAction::kFixedOffLines);
  p.amount_minor = 200;
  p.skus = {"A", "B"};
  auto o = ApplyPromotions({{p, ""}}, Input({Line("A", 3, 1000), Line("B", 1, 150), Line("C", 2, 500)}));
  REQUIRE(o.ok());
  CHECK(LineOffs(*o) == std::vector<int64_t>{600, 150, 0});
}

TEST_CASE("buy X get Y", "[promotions][rules]") {
  Promotion p = Promo("b2g1", PromotionAction::kBuyXGetY);
  p.buy_quantity = 2;
  p.get_quantity = 1;
  p.percent_bp = 10000;

  SECTION("of one set: the cheapest units are free, one per three") {
    auto o = ApplyPromotions({{p, ""}}, Input({Line("A", 4, 1000), Line("B", 2, 300)}));
    REQUIRE(o.ok());
    // 6 units: 2 applications, the 2 cheapest (B at 3.00) free.
    CHECK(LineOffs(*o) == std::vector<int64_t>{0, 600});
  }
  SECTION("max_applications caps it") {
    p.max_applications = 1;
    auto o = ApplyPromotions({{p, ""}}, Input({Line("A", 4, 1000), Line("B", 2, 300)}));
    REQUIRE(o.ok());
    CHECK(LineOffs(*o) == std::vector<int64_t>{0, 300});
  }
  SECTION("buy from one set, get from another at half price") {
    p.skus = {"SHOE"};
    p.get_skus = {"SOCK"};
    p.percent_bp = 5000;
    auto o = ApplyPromotions({{p, ""}}, Input({Line("SHOE", 5, 8000), Line("SOCK", 10, 500)}));
    REQUIRE(o.ok());
    // 5 shoes buy 2 applications: 2 socks at half price.
    CHECK(LineOffs(*o) == std::vector<int64_t>{0, 500});
  }
  SECTION("a unit is bought or got, not both") {
    p.skus = {"A", "B"};
    p.get_skus = {"B"};
    // 1 A + 2 B: one application, A and one B bought, one B got.
    auto o = ApplyPromotions({{p, ""}}, Input({Line("A", 1, 1000), Line("B", 2, 400)}));
    REQUIRE(o.ok());
    CHECK(LineOffs(*o) == std::vector<int64_t>{0, 400});
    // 2 B alone: nothing to get once two are bought.
    auto none = ApplyPromotions({{p, ""}}, Input({Line("B", 2, 400)}));
    REQUIRE(none.ok());
    CHECK(none->applied.empty());
  }
  SECTION("too few units: a coupon for it says so") {
    auto o = ApplyPromotions({{p, "B2G1"}}, Input({Line("A", 2, 1000)}));
    REQUIRE(o.status().IsFailedPrecondition());
    CHECK(o.status().message().find("B2G1") != std::string::npos);
  }
}

TEST_CASE("conditions: schedule, customers, subtotal, quantity, categories, currency", "[promotions][rules]") {
  Promotion p = Promo("p", PromotionAction::kPercentOffLines);
  p.percent_bp = 1000;
  auto applies = [&](DiscountInput in) {
    auto o = ApplyPromotions({{p, ""}}, in);
    REQUIRE(o.ok());
    return !o->applied.empty();
  };
  auto in = Input({Line("A", 2, 1000, {"shoes", "shoes/running"}), Line("B", 1, 500, {"socks"})});
  CHECK(applies(in));
  p.starts_at_ms = in.now_ms + 1;
  CHECK_FALSE(applies(in));
  p.starts_at_ms = in.now_ms;
  p.ends_at_ms = in.now_ms;  // exclusive end
  CHECK_FALSE(applies(in));
  p.ends_at_ms = in.now_ms + 1;
  CHECK(applies(in));
  p.customer_ids = {"c2"};
  CHECK_FALSE(applies(in));
  p.customer_ids = {"c1", "c2"};
  CHECK(applies(in));
  p.min_subtotal_minor = 2501;
  CHECK_FALSE(applies(in));
  p.min_subtotal_minor = 2500;
  CHECK(applies(in));
  p.categories = {"shoes"};
  p.min_quantity = 3;  // counts qualifying units only: 2 shoes
  CHECK_FALSE(applies(in));
  p.min_quantity = 2;
  auto o = ApplyPromotions({{p, ""}}, in);
  REQUIRE(o.ok());
  CHECK(LineOffs(*o) == std::vector<int64_t>{200, 0});
  p.currency = "EUR";
  CHECK_FALSE(applies(in));
  p.currency = "USD";
  p.active = false;
  CHECK_FALSE(applies(in));
}

TEST_CASE("priority, stacking and exclusivity", "[promotions][rules]") {
  Promotion ten = Promo("ten", PromotionAction::kPercentOffLines);
  ten.percent_bp = 1000;
  Promotion five = Promo("five-off", PromotionAction::kFixedOffOrder);
  five.amount_minor = 500;
  auto in = Input({Line("A", 1, 10'000)});

  SECTION("higher priority first; each discounts what the earlier left") {
    five.priority = 10;
    auto o = ApplyPromotions({{ten, ""}, {five, ""}}, in);
    REQUIRE(o.ok());
    REQUIRE(o->applied.size() == 2);
    CHECK(o->applied[0].promotion_id == "five-off");
    CHECK(o->applied[1].amount.minor == 950);  // 10% of 95.00
    CHECK(o->discount_minor == 1450);
    REQUIRE(o->lines[0].size() == 2);
    CHECK(o->lines[0][0].promotion_id == "five-off");
  }
  SECTION("an exclusive promotion first shuts out the rest") {
    ten.priority = 5;
    ten.exclusive = true;
    auto o = ApplyPromotions({{ten, ""}, {five, ""}}, in);
    REQUIRE(o.ok());
    REQUIRE(o->applied.size() == 1);
    CHECK(o->applied[0].promotion_id == "ten");
    // As a coupon, the one shut out is an error that names the exclusive one.
    auto c = ApplyPromotions({{ten, ""}, {five, "FIVE"}}, in);
    REQUIRE(c.status().IsFailedPrecondition());
    CHECK(c.status().message().find("The ten") != std::string::npos);
  }
  SECTION("an exclusive promotion after another does not apply") {
    ten.exclusive = true;
    five.priority = 1;
    auto o = ApplyPromotions({{ten, ""}, {five, ""}}, in);
    REQUIRE(o.ok());
    REQUIRE(o->applied.size() == 1);
    CHECK(o->applied[0].promotion_id == "five-off");
  }
  SECTION("discounts never take a line below zero") {
    Promotion all = Promo("all", PromotionAction::kFixedOffLines);
    all.amount_minor = 9'000;
    Promotion more = Promo("more", PromotionAction::kFixedOffOrder);
    more.amount_minor = 9'000;
    auto o = ApplyPromotions({{all, ""}, {more, ""}}, in);
    REQUIRE(o.ok());
    CHECK(o->discount_minor == 10'000);
  }
  SECTION("free shipping takes nothing off the lines") {
    Promotion ship = Promo("ship", PromotionAction::kFreeShipping);
    auto o = ApplyPromotions({{ship, ""}}, in);
    REQUIRE(o.ok());
    CHECK(o->free_shipping);
    CHECK(o->discount_minor == 0);
    REQUIRE(o->applied.size() == 1);
    CHECK(o->applied[0].free_shipping);
  }
}

TEST_CASE("coupons: one that does not apply is an error, two codes of one promotion too", "[promotions][rules]") {
  Promotion p = Promo("vip", PromotionAction::kPercentOffLines);
  p.percent_bp = 2000;
  p.requires_coupon = true;
  p.min_subtotal_minor = 5000;
  auto in = Input({Line("A", 1, 4000)});
  auto o = ApplyPromotions({{p, "VIP20"}}, in);
  REQUIRE(o.status().IsFailedPrecondition());
  CHECK(o.status().message() == "coupon 'VIP20': the subtotal is 40.00 USD; its promotion needs 50.00 USD");
  auto two = ApplyPromotions({{p, "VIP20"}, {p, "VIP-B"}}, Input({Line("A", 1, 9000)}));
  REQUIRE(two.status().IsInvalidArgument());
  // An automatic promotion also brought by its coupon applies once, as the coupon's.
  p.requires_coupon = false;
  auto once = ApplyPromotions({{p, ""}, {p, "VIP20"}}, Input({Line("A", 1, 9000)}));
  REQUIRE(once.ok());
  REQUIRE(once->applied.size() == 1);
  CHECK(once->applied[0].coupon_code == "VIP20");
  CHECK(once->discount_minor == 1800);
}

}  // namespace

namespace {

// What ApplyPromotions answers for `p` as an automatic promotion and as a coupon's: whether it
// applies, and the coupon's error when it does not.
struct Verdict {
  bool applies = false;
  std::string why;  // the coupon's FailedPrecondition message
};

Verdict Judge(const Promotion& p, const DiscountInput& in) {
  auto automatic = ApplyPromotions({{p, ""}}, in);
  REQUIRE(automatic.ok());
  Verdict v;
  v.applies = !automatic->applied.empty();
  auto coupon = ApplyPromotions({{p, "CODE"}}, in);
  if (v.applies) {
    REQUIRE(coupon.ok());
  } else {
    REQUIRE(coupon.status().IsFailedPrecondition());
    v.why = coupon.status().message();
  }
  return v;
}

}  // namespace

TEST_CASE("conditions: customer group and channel", "[promotions][rules]") {
  Promotion p = Promo("vip", PromotionAction::kPercentOffLines);
  p.percent_bp = 1000;
  struct Row {
    const char* what;
    std::vector<std::string> groups, channels;
    std::string customer, group, channel;
    bool applies;
    std::string why;
  };
  const std::vector<Row> rows = {
      {"no condition: a guest in no channel", {}, {}, "", "", "", true, ""},
      {"group listed", {"vip", "staff"}, {}, "c1", "staff", "", true, ""},
      {"group not listed", {"vip"}, {}, "c1", "retail", "", false,
       "coupon 'CODE': its promotion is for customer groups 'vip' only; customer 'c1' is in 'retail'"},
      {"a customer in no group", {"vip"}, {}, "c1", "", "", false,
       "coupon 'CODE': its promotion is for customer groups 'vip' only; customer 'c1' is in none"},
      {"a guest", {"vip", "staff"}, {}, "", "", "", false,
       "coupon 'CODE': its promotion is for customer groups 'vip', 'staff' only; a guest is in none"},
      {"group matched byte for byte", {"vip"}, {}, "c1", "VIP", "", false,
       "coupon 'CODE': its promotion is for customer groups 'vip' only; customer 'c1' is in 'VIP'"},
      {"channel listed", {}, {"web", "app"}, "c1", "", "app", true, ""},
      {"channel not listed", {}, {"web"}, "c1", "", "pos", false,
       "coupon 'CODE': its promotion is for channels 'web' only; the cart is in 'pos'"},
      {"no channel", {}, {"web"}, "c1", "", "", false,
       "coupon 'CODE': its promotion is for channels 'web' only; the cart is in no channel"},
      {"both hold", {"vip"}, {"web"}, "c1", "vip", "web", true, ""},
      {"group holds, channel does not", {"vip"}, {"web"}, "c1", "vip", "pos", false,
       "coupon 'CODE': its promotion is for channels 'web' only; the cart is in 'pos'"},
      {"a guest in a listed channel", {"vip"}, {"web"}, "", "", "web", false,
       "coupon 'CODE': its promotion is for customer groups 'vip' only; a guest is in none"},
  };
  for (const Row& row : rows) {
    CAPTURE(row.what);
    p.customer_groups = row.groups;
    p.channels = row.channels;
    DiscountInput in = Input({Line("A", 2, 1000)}, row.customer);
    in.customer_group = row.group;
    in.channel = row.channel;
    Verdict v = Judge(p, in);
    CHECK(v.applies == row.applies);
    CHECK(v.why == row.why);
  }
}

TEST_CASE("tiered: the highest threshold reached applies, exactly at each threshold", "[promotions][rules]") {
  // 5% from 100.00, 10% from 200.00, 15.00 off from 300.00 (of the qualifying lines).
  Promotion p = Promo("tiers", PromotionAction::kTiered);
  p.tiers = {{10000, 500, 0}, {20000, 1000, 0}, {30000, 0, 1500}};
  p.categories = {"shoes"};
  struct Row {
    int64_t shoes_minor;  // one line of shoes at this price
    int64_t off;
    std::string why;
  };
  const std::vector<Row> rows = {
      {9999, 0, "coupon 'CODE': the qualifying subtotal is 99.99 USD; its promotion's first tier needs 100.00 USD"},
      {10000, 500, ""},    // exactly at the first threshold
      {19999, 1000, ""},   // 5% of 199.99 = 9.9995 -> 10.00 (half up)
      {20000, 2000, ""},   // exactly at the second
      {29999, 3000, ""},   // 10% of 299.99 = 29.999 -> 30.00
      {30000, 1500, ""},   // exactly at the third: a fixed 15.00 (less than the tier below: as given)
      {1000000, 1500, ""},
  };
  for (const Row& row : rows) {
    CAPTURE(row.shoes_minor);
    // A sock line that does not qualify counts toward no threshold and takes nothing.
    DiscountInput in = Input({Line("SHOE", 1, row.shoes_minor, {"shoes"}), Line("SOCK", 3, 10000, {"socks"})});
    Verdict v = Judge(p, in);
    CHECK(v.applies == row.why.empty());
    CHECK(v.why == row.why);
    auto o = ApplyPromotions({{p, ""}}, in);
    REQUIRE(o.ok());
    CHECK(LineOffs(*o) == std::vector<int64_t>{row.off, 0});
  }
}

TEST_CASE("tiered by quantity, spread over the qualifying lines and after earlier promotions", "[promotions][rules]") {
  Promotion p = Promo("bulk", PromotionAction::kTiered);
  p.tier_basis = PromotionTierBasis::kQuantity;
  p.tiers = {{3, 1000, 0}, {6, 2000, 0}, {10, 0, 5000}};
  struct Row {
    int64_t a, b;  // units of A (10.00) and B (5.00)
    std::vector<int64_t> off;
  };
  const std::vector<Row> rows = {
      {1, 1, {0, 0}},
      {2, 1, {200, 50}},     // 3 units: 10% of 25.00 = 2.50, spread 20.00 : 5.00
      {3, 2, {300, 100}},    // 5 units: still 10%
      {4, 2, {800, 200}},    // 6: 20% of 50.00
      {5, 5, {3333, 1667}},  // 10: 50.00 off 75.00, spread 2:1 (the last minor unit to the larger remainder)
      {1, 20, {455, 4545}},  // 21: 50.00 off 110.00
  };
  for (const Row& row : rows) {
    CAPTURE(row.a, row.b);
    DiscountInput in = Input({Line("A", row.a, 1000), Line("B", row.b, 500)});
    auto o = ApplyPromotions({{p, ""}}, in);
    REQUIRE(o.ok());
    CHECK(LineOffs(*o) == row.off);
  }
  auto few = ApplyPromotions({{p, "BULK"}}, Input({Line("A", 1, 1000), Line("B", 1, 500)}));
  REQUIRE(few.status().IsFailedPrecondition());
  CHECK(few.status().message() == "coupon 'BULK': 2 qualifying units; its promotion's first tier needs 3");

  // After a 10.00-off promotion of higher priority, the tier is reached by the units (not what
  // is left) and takes its percent of what is left.
  Promotion first = Promo("first", PromotionAction::kFixedOffOrder);
  first.amount_minor = 1000;
  first.priority = 10;
  auto stacked = ApplyPromotions({{p, ""}, {first, ""}}, Input({Line("A", 6, 1000)}));
  REQUIRE(stacked.ok());
  REQUIRE(stacked->applied.size() == 2);
  CHECK(stacked->applied[1].promotion_id == "bulk");
  CHECK(stacked->applied[1].amount == Money{1000, "USD"});  // 20% of 50.00
  CHECK(stacked->discount_minor == 2000);
}

}  // namespace promotions_discount_rules_test
