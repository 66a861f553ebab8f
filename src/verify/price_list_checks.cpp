// commerce verify: price lists (src/price_lists/price_list_store.h).
//
//   - every list decodes and is stored under its id;
//   - every SKU price row decodes, and its rows are exactly those the lists give that SKU
//     (RowsOf): no row of a list that is gone or of an older version, none missing;
//   - the price-list count in meta, where there is one (stores written before it have none
//     until their next create or removal), is the number of lists.
#include <algorithm>
#include <map>
#include <tuple>

#include "common/key.h"
#include "price_lists/price_list_store.h"
#include "verify/check_context.h"

namespace commerce::verify {

namespace {
constexpr const char* kPriceListsCheck = "price_lists";

bool RowLess(const SkuPrice& a, const SkuPrice& b) {
  return std::tie(a.list_id, a.min_quantity) < std::tie(b.list_id, b.min_quantity);
}
}  // namespace

void CheckPriceLists(CheckContext& c) {
  // What the lists say each SKU's row must hold.
  std::map<std::string, SkuPrices> expected;
  uint64_t lists = 0;
  c.Scan(kPriceListsCheck, "price_lists", [&](std::string_view key, std::string_view value) {
    ++lists;
    PriceList l;
    if (!DecodeRecord(c, "price_lists", key, value, [&] { return DecodePriceList(key, value, &l); }))
      return true;
    if (key != PriceListKey(l.id))
      c.Problem(kPriceListsCheck, Where("price_lists", key), "holds price list '" + l.id + "'");
    SkuPrices rows = RowsOf(l);
    for (size_t i = 0; i < rows.size(); ++i) expected[l.entries[i].sku].push_back(std::move(rows[i]));
    return true;
  }, /*count=*/true);
  std::map<std::string, std::string, std::less<>> sku_of_key;
  for (auto& [sku, rows] : expected) {
    std::sort(rows.begin(), rows.end(), RowLess);
    sku_of_key.emplace(SkuPricesKey(sku), sku);
  }

  std::map<std::string, bool> seen;
  c.Scan(kPriceListsCheck, "sku_prices", [&](std::string_view key, std::string_view value) {
    SkuPrices rows;
    if (!DecodeRecord(c, "sku_prices", key, value, [&] { return DecodeSkuPrices(key, value, &rows); }))
      return true;
    auto named = sku_of_key.find(key);
    if (named == sku_of_key.end()) {
      c.Problem(kPriceListsCheck, Where("sku_prices", key), "prices a SKU that no price list has");
      return true;
    }
    const std::string& sku = named->second;
    auto it = expected.find(sku);
    seen[sku] = true;
    if (rows != it->second)
      c.Problem(kPriceListsCheck, Where("sku_prices", key),
                "its " + std::to_string(rows.size()) + " rows differ from the " +
                    std::to_string(it->second.size()) + " its price lists give");
    return true;
  }, /*count=*/true);
  for (const auto& [sku, rows] : expected)
    if (!seen.count(sku))
      c.Problem(kPriceListsCheck, Where("sku_prices", SkuPricesKey(sku)),
                "is missing: price lists price sku '" + sku + "'");
  if (auto count = c.Get(kPriceListsCheck, "meta", PriceListCountKey())) {
    auto n = KeyReader(*count).u64();
    if (!n)
      c.Problem(kPriceListsCheck, Where("meta", PriceListCountKey()), "the price-list count does not decode");
    else if (*n != lists)
      c.Problem(kPriceListsCheck, Where("meta", PriceListCountKey()),
                "counts " + std::to_string(*n) + " price lists; the store holds " + std::to_string(lists));
  }
}

}  // namespace commerce::verify
