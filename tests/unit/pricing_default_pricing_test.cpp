// Tests of the default pricing policy (src/pricing/default_pricing.cpp): tax per region
// rounded half up, flat shipping per shipment, free shipping from a threshold, and bad
// options reported by price() naming the option.
#include <catch2/catch.hpp>

#include "commerce/pricing.h"

namespace pricing_default_pricing_test {

namespace {

using commerce::Code;
using commerce::DefaultPricingOptions;
using commerce::MakeDefaultPricing;
using commerce::PricingInput;

PricingInput Input(int64_t subtotal, std::string region = "us-east", size_t shipments = 1) {
  PricingInput in;
  in.currency = "USD";
  in.region = std::move(region);
  in.country = "US";
  in.subtotal_minor = subtotal;
  in.shipments = shipments;
  in.items = 1;
  return in;
}

}  // namespace

TEST_CASE("the default default: no tax, free shipping", "[pricing]") {
  auto p = MakeDefaultPricing();
  auto r = p->price(Input(12345, "anywhere", 3));
  REQUIRE(r.ok());
  CHECK(r->tax_minor == 0);
  CHECK(r->shipping_minor == 0);
}

TEST_CASE("tax: the region's rate, else the default, rounded half up", "[pricing]") {
  DefaultPricingOptions o;
  o.tax_bp_by_region = {{"us-ny", 888}, {"half", 5000}, {"zero", 0}};
  o.default_tax_bp = 825;
  auto p = MakeDefaultPricing(o);
  auto tax = [&](int64_t subtotal, const char* region) {
    auto r = p->price(Input(subtotal, region));
    INFO(r.status().ToString());
    REQUIRE(r.ok());
    return r->tax_minor;
  };
  CHECK(tax(10000, "us-ny") == 888);
  CHECK(tax(10000, "elsewhere") == 825);
  CHECK(tax(10000, "zero") == 0);
  // 1 x 50% = 0.5 -> 1 (half up); 3 x 50% = 1.5 -> 2; 1 x 8.25% = 0.0825 -> 0.
  CHECK(tax(1, "half") == 1);
  CHECK(tax(3, "half") == 2);
  CHECK(tax(1, "elsewhere") == 0);
  // 1999 x 8.25% = 164.9175 -> 165; 1994 x 8.25% = 164.505 -> 165; 1993 -> 164.4225 -> 164.
  CHECK(tax(1999, "elsewhere") == 165);
  CHECK(tax(1994, "elsewhere") == 165);
  CHECK(tax(1993, "elsewhere") == 164);
  CHECK(tax(0, "us-ny") == 0);
  // Large subtotals are exact (no overflow in the product subtotal x rate).
  CHECK(tax(commerce::kMaxMoneyMinor, "us-ny") == commerce::kMaxMoneyMinor / 10000 * 888);
}

TEST_CASE("shipping: a fee per shipment, free from a threshold", "[pricing]") {
  DefaultPricingOptions o;
  o.shipping_per_shipment_minor = 499;
  o.free_shipping_from_minor = 5000;
  auto p = MakeDefaultPricing(o);
  auto ship = [&](int64_t subtotal, size_t shipments) {
    auto r = p->price(Input(subtotal, "r", shipments));
    REQUIRE(r.ok());
    return r->shipping_minor;
  };
  CHECK(ship(1000, 1) == 499);
  CHECK(ship(1000, 3) == 1497);
  CHECK(ship(4999, 2) == 998);
  CHECK(ship(5000, 2) == 0);  // reaching the threshold is enough
  CHECK(ship(9000, 4) == 0);

  o.free_shipping_from_minor = 0;  // never free
  auto never = MakeDefaultPricing(o);
  auto r = never->price(Input(commerce::kMaxMoneyMinor, "r", 2));
  REQUIRE(r.ok());
  CHECK(r->shipping_minor == 998);
}

TEST_CASE("bad options fail every price() naming the option", "[pricing]") {
  struct Case {
    const char* name;
    DefaultPricingOptions options;
    const char* field;
  };
  DefaultPricingOptions negative_region;
  negative_region.tax_bp_by_region = {{"us-east", -5}};
  DefaultPricingOptions huge_region;
  huge_region.tax_bp_by_region = {{"x", 100'001}};
  DefaultPricingOptions negative_default;
  negative_default.default_tax_bp = -1;
  DefaultPricingOptions negative_fee;
  negative_fee.shipping_per_shipment_minor = -1;
  DefaultPricingOptions huge_fee;
  huge_fee.shipping_per_shipment_minor = commerce::kMaxMoneyMinor + 1;
  DefaultPricingOptions negative_free;
  negative_free.free_shipping_from_minor = -100;
  const Case cases[] = {
      {"negative region rate", negative_region, "DefaultPricingOptions.tax_bp_by_region[\"us-east\"]: -5"},
      {"rate past 1000%", huge_region, "DefaultPricingOptions.tax_bp_by_region[\"x\"]: 100001"},
      {"negative default rate", negative_default, "DefaultPricingOptions.default_tax_bp: -1"},
      {"negative fee", negative_fee, "DefaultPricingOptions.shipping_per_shipment_minor: -1"},
      {"fee past kMaxMoneyMinor", huge_fee, "DefaultPricingOptions.shipping_per_shipment_minor: "},
      {"negative free threshold", negative_free, "DefaultPricingOptions.free_shipping_from_minor: -100"},
  };
  for (const auto& c : cases) {
    INFO("case: " << c.name);
    auto p = MakeDefaultPricing(c.options);
    for (int i = 0; i < 2; ++i) {
      auto r = p->price(Input(100));
      INFO(r.status().ToString());
      CHECK(r.status().code() == Code::kInvalidArgument);
      CHECK(r.status().message().rfind(c.field, 0) == 0);
    }
  }
  // The limits are accepted.
  DefaultPricingOptions edge;
  edge.tax_bp_by_region = {{"x", 100'000}};
  edge.shipping_per_shipment_minor = commerce::kMaxMoneyMinor;
  auto r = MakeDefaultPricing(edge)->price(Input(1000, "x"));
  REQUIRE(r.ok());
  CHECK(r->tax_minor == 10'000);
  CHECK(r->shipping_minor == commerce::kMaxMoneyMinor);
}

TEST_CASE("bad input and amounts past the limit are InvalidArgument", "[pricing]") {
  DefaultPricingOptions o;
  o.default_tax_bp = 100'000;
  o.shipping_per_shipment_minor = commerce::kMaxMoneyMinor;
  auto p = MakeDefaultPricing(o);
  auto negative = p->price(Input(-1));
  CHECK(negative.status().code() == Code::kInvalidArgument);
  CHECK(negative.status().message().rfind("subtotal_minor: -1", 0) == 0);
  // 10x a subtotal at the limit is past it: refused, not wrapped.
  auto tax = p->price(Input(commerce::kMaxMoneyMinor));
  CHECK(tax.status().code() == Code::kInvalidArgument);
  CHECK(tax.status().message().find("tax") != std::string::npos);
  auto shipping = p->price(Input(1, "r", 2));
  CHECK(shipping.status().code() == Code::kInvalidArgument);
  CHECK(shipping.status().message().find("shipping for 2 shipments") != std::string::npos);
  auto max_input = p->price(Input(INT64_MAX));
  CHECK(max_input.status().code() == Code::kInvalidArgument);
}

}  // namespace pricing_default_pricing_test
