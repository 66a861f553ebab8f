// The price lists' stored records. Two tables:
//
//   price_lists  KeyBuilder().str(id)   -> PriceList (cereal, v1), entries included
//   sku_prices   KeyBuilder().str(sku)  -> SkuPrices (cereal, v1): one row per (list, tier)
//                                          that prices the SKU, with what resolution needs
//                                          of its list (currency, group, channel, window,
//                                          priority, tax flag, version)
//
// sku_prices is derived: every write of a list rewrites, in the same checked change set, the
// row of each SKU the list priced before or prices after (expecting each row as read). So a
// cart add or an order reads one row per SKU to resolve its price (price_resolution.h), and an
// order that expects that row unchanged at commit is priced from the lists as they are then.
// verify checks that the rows and the lists agree.
//
// Thread safety: functions over one ReadView or ChangeSet, on that object's thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "commerce/price_lists.h"
#include "commerce/storage.h"
#include "engine/engine_core.h"

namespace commerce {

// One list's price of one SKU at one tier, with the list's conditions.
struct SkuPrice {
  std::string list_id;
  uint64_t list_version = 0;
  std::string currency;
  std::string customer_group;
  std::string channel;
  int64_t starts_at_ms = 0;
  int64_t ends_at_ms = 0;
  int32_t priority = 0;
  bool tax_inclusive = false;
  int64_t min_quantity = 1;
  int64_t price_minor = 0;
  friend bool operator==(const SkuPrice&, const SkuPrice&) = default;
};

// The rows of one SKU, sorted by (list id, min_quantity).
using SkuPrices = std::vector<SkuPrice>;

std::string PriceListKey(std::string_view id);
std::string SkuPricesKey(std::string_view sku);
// The meta key of the store's price-list count (a KeyBuilder u64), which creates and removals
// keep and expect as read, so that kMaxPriceLists holds against concurrent creates. Stores
// written before it have none until their next create or removal counts the lists once.
std::string PriceListCountKey();

std::string EncodePriceList(const PriceList& l);
Status DecodePriceList(std::string_view key, std::string_view bytes, PriceList* out);
std::string EncodeSkuPrices(const SkuPrices& rows);
Status DecodeSkuPrices(std::string_view key, std::string_view bytes, SkuPrices* out);

// NotFound "no price list with id 'x'"; Corruption when it does not decode.
Result<PriceList> GetPriceList(ReadView& view, const Tables& t, std::string_view id);
// The lists after `after` ("": from the first), by id, at most `limit`: reads limit + 1
// records (one more says whether a next page exists), never the whole table.
Result<Page<PriceList>> ListPriceLists(ReadView& view, const Tables& t, std::string_view after,
                                       size_t limit);
// The rows of `sku` (empty when no list prices it). With `changes`, the row is expected as
// read (or absent) when the set is applied.
Result<SkuPrices> ReadSkuPrices(ReadView& view, const Tables& t, std::string_view sku,
                                ChangeSet* changes = nullptr);

// The rows a list contributes, one per entry.
SkuPrices RowsOf(const PriceList& l);

}  // namespace commerce
