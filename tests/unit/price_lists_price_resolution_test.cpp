// The rule of src/price_lists/price_resolution.cpp as a table: each row is a SKU's stored
// price rows, a caller, and the price (and list) that must apply -- group, channel, window,
// priority, specificity, tiers, currency and the base price's fallback.
#include <concepts>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "price_lists/price_resolution.h"

namespace price_lists_price_resolution_test {

namespace {

using namespace commerce;

SkuPrice Row(std::string list, int64_t price, std::string currency = "EUR") {
  SkuPrice r;
  r.list_id = std::move(list);
  r.list_version = 1;
  r.currency = std::move(currency);
  r.price_minor = price;
  return r;
}

template <class Edit>
  requires std::invocable<Edit&, SkuPrice&>
SkuPrice Row(std::string list, int64_t price, Edit edit) {
  SkuPrice r = Row(std::move(list), price);
  edit(r);
  return r;
}

PriceContext Ctx(std::string group = "", std::string channel = "", int64_t quantity = 1,
                 int64_t now = 5'000, std::string currency = "EUR") {
  return PriceContext{std::move(currency), std::move(group), std::move(channel), quantity, now};
}

}  // namespace

TEST_CASE("price resolution: the rule, row by row", "[price_lists]") {
  const Money base_usd{2000, "USD"}, base_eur{1900, "EUR"};
  auto group = [](SkuPrice& r) { r.customer_group = "wholesale"; };
  auto channel = [](SkuPrice& r) { r.channel = "app"; };
  auto both = [](SkuPrice& r) { r.customer_group = "wholesale"; r.channel = "app"; };
  auto high = [](SkuPrice& r) { r.priority = 10; };
  auto window = [](SkuPrice& r) { r.starts_at_ms = 1'000; r.ends_at_ms = 2'000; };
  auto future = [](SkuPrice& r) { r.starts_at_ms = 9'000; };
  auto tier10 = [](SkuPrice& r) { r.min_quantity = 10; };
  auto inclusive = [](SkuPrice& r) { r.tax_inclusive = true; };

  struct Case {
    const char* name;
    SkuPrices rows;  // sorted by (list id, min_quantity), as stored
    Money base;
    PriceContext ctx;
    int64_t price;
    const char* list;  // "" base price
  };
  const std::vector<Case> cases = {
      {"no lists: the base price in its currency", {}, base_eur, Ctx(), 1900, ""},
      {"a list for anyone beats the base price", {Row("all", 1500)}, base_eur, Ctx(), 1500, "all"},
      {"a list in another currency does not apply", {Row("usd", 10, "USD")}, base_eur, Ctx(), 1900, ""},
      {"a group's list applies to its group", {Row("all", 1500), Row("ws", 1200, group)}, base_eur,
       Ctx("wholesale"), 1200, "ws"},
      {"... and not to another group", {Row("all", 1500), Row("ws", 1200, group)}, base_eur,
       Ctx("retail"), 1500, "all"},
      {"... nor to a guest", {Row("ws", 1200, group)}, base_eur, Ctx(), 1900, ""},
      {"a channel's list applies in its channel", {Row("app", 1300, channel)}, base_eur,
       Ctx("", "app"), 1300, "app"},
      {"... and not in another", {Row("app", 1300, channel)}, base_eur, Ctx("", "web"), 1900, ""},
      {"a window holds its start", {Row("sale", 900, window)}, base_eur, Ctx("", "", 1, 1'000), 900, "sale"},
      {"... and not its end", {Row("sale", 900, window)}, base_eur, Ctx("", "", 1, 2'000), 1900, ""},
      {"a list not started yet does not apply", {Row("soon", 100, future)}, base_eur, Ctx(), 1900, ""},
      {"priority first, even over a lower price", {Row("cheap", 100), Row("prio", 1000, high)},
       base_eur, Ctx(), 1000, "prio"},
      {"then the most specific: group and channel over group", {Row("a", 1100, group), Row("b", 1200, both)},
       base_eur, Ctx("wholesale", "app"), 1200, "b"},
      {"... one condition over none", {Row("a", 1100), Row("b", 1200, channel)}, base_eur,
       Ctx("", "app"), 1200, "b"},
      {"then the lowest price", {Row("a", 1100), Row("b", 1000)}, base_eur, Ctx(), 1000, "b"},
      {"then the smallest id", {Row("a", 1000), Row("b", 1000)}, base_eur, Ctx(), 1000, "a"},
      {"a tier applies from its min_quantity", {Row("t", 1000), Row("t", 800, tier10)}, base_eur,
       Ctx("", "", 10), 800, "t"},
      {"... and not below it", {Row("t", 1000), Row("t", 800, tier10)}, base_eur, Ctx("", "", 9), 1000, "t"},
      {"a list with only a higher tier gives way", {Row("t", 800, tier10)}, base_eur, Ctx("", "", 3), 1900, ""},
      {"a list in the cart's currency prices a SKU based in another", {Row("eu", 1700)}, base_usd,
       Ctx(), 1700, "eu"},
  };
  for (const Case& c : cases) {
    INFO(c.name);
    auto r = ChoosePrice("SKU-1", c.rows, c.base, c.ctx);
    REQUIRE(r.ok());
    CHECK(r->price == Money{c.price, c.ctx.currency});
    CHECK(r->price_list_id == c.list);
    CHECK(r->sku == "SKU-1");
  }

  // Why, besides which: the tier, the version and the tax flag of the winning row.
  SkuPrice v7 = Row("t", 800, tier10);
  v7.list_version = 7;
  inclusive(v7);
  auto why = ChoosePrice("SKU-1", {Row("t", 1000), v7}, base_eur, Ctx("", "", 12));
  REQUIRE(why.ok());
  CHECK(why->min_quantity == 10);
  CHECK(why->price_list_version == 7);
  CHECK(why->tax_inclusive);
  auto from_base = ChoosePrice("SKU-1", {}, base_eur, Ctx());
  REQUIRE(from_base.ok());
  CHECK(!from_base->tax_inclusive);
  CHECK(from_base->min_quantity == 1);
  CHECK(from_base->price_list_version == 0);
}

TEST_CASE("price resolution: no price in the currency is FailedPrecondition, never converted",
          "[price_lists]") {
  const Money base_usd{2000, "USD"};
  auto r = ChoosePrice("SKU-1", {Row("ws", 1200, [](SkuPrice& x) { x.customer_group = "wholesale"; })},
                       base_usd, Ctx("retail"));
  REQUIRE(r.status().IsFailedPrecondition());
  CHECK(r.status().message().find("sku 'SKU-1' has no price in EUR") != std::string::npos);
  CHECK(r.status().message().find("base price is in USD") != std::string::npos);
}

}  // namespace price_lists_price_resolution_test
