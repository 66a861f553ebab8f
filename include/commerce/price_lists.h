// Price lists: prices per currency, customer group and channel, with validity windows (sales)
// and quantity tiers, beside the one base price each variant has (catalog.h). docs/prices.md
// has the rule with a worked table.
//
// A price list is a currency, optional conditions (a customer group, a channel, a window
// [starts_at_ms, ends_at_ms)), a priority, whether its prices include tax, and entries
// sku -> price (with a minimum quantity for tiers). Which price applies to a SKU for a caller
// (PriceLists::price; carts at each add and orders at placement use the same rule):
//   1. the lists that apply: in the requested currency, whose window holds the time, whose
//      customer group is empty or the caller's, whose channel is empty or the caller's, and
//      with an entry for the SKU whose min_quantity <= the quantity (a list's entry is the one
//      with the largest such min_quantity);
//   2. of those, the highest priority; then the most specific (a group and a channel, then
//      one of them, then neither); then the lowest price; then the smallest id;
//   3. none: the variant's base price, when it is in the requested currency (so a store
//      without price lists prices exactly as before, for every group and channel);
//   4. otherwise FailedPrecondition: the SKU has no price in that currency for this caller.
//      Never a converted amount: commerce holds no exchange rates.
// A channel here is the key a caller passes (NewCart::channel, PlaceOrder::channel) that
// lists may require: a channel's id (channels.h), or an opaque key in a store without any.
//
// Every price-list write is one checked change set: the list's record and, for each SKU it
// prices (before or after the write), the SKU's price row, which carries what resolution
// needs of every list that prices the SKU. A cart add or an order reads one row per SKU and
// an order expects it unchanged when it commits, so an order is never priced from a version
// of a list that was replaced or removed before the order committed.
//
// Thread safety: a PriceLists (from Engine::price_lists()) is safe from any number of threads.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "commerce/catalog.h"  // Page
#include "commerce/export.h"
#include "commerce/money.h"
#include "commerce/status.h"

namespace commerce {

class EngineCore;

struct PriceEntry {
  std::string sku;           // must name a variant of the catalog when the list is written
  int64_t price_minor = 0;   // in the list's currency's minor units, 0..kMaxMoneyMinor
  int64_t min_quantity = 1;  // tier: applies to lines of at least this many units, 1..kMaxQuantity
  friend bool operator==(const PriceEntry&, const PriceEntry&) = default;
};

struct PriceList {
  // Given (1..64 printable) or generated ("pl-" + 16 hex digits) when empty.
  std::string id;
  std::string name;            // 1..200
  std::string currency;        // ISO 4217 ("EUR"): its entries are in its minor units
  std::string customer_group;  // "": any customer (and guests); else only this group's customers
  std::string channel;         // "": any channel; else only carts and orders in this channel
  int64_t starts_at_ms = 0;    // 0: from the start of time
  int64_t ends_at_ms = 0;      // exclusive; 0: no end
  int32_t priority = 0;        // higher wins (see above)
  bool tax_inclusive = false;  // its prices include tax (docs/orders.md, "Tax-inclusive prices")
  std::vector<PriceEntry> entries;  // up to kMaxPriceListEntries; (sku, min_quantity) unique

  // Set by the engine.
  int64_t created_at_ms = 0;
  int64_t updated_at_ms = 0;
  uint64_t version = 0;

  friend bool operator==(const PriceList&, const PriceList&) = default;
};

inline constexpr size_t kMaxPriceLists = 1000;
inline constexpr size_t kMaxPriceListEntries = 10'000;

// Who asks for a price: PriceLists::price's context.
struct PriceContext {
  std::string currency;        // required
  std::string customer_group;  // "": a guest or a customer without a group
  std::string channel;         // "": no channel
  int64_t quantity = 1;        // the line's units, for tiers (1..kMaxQuantity)
  int64_t now_ms = 0;          // 0: the current time
};

// The price that applies, and why.
struct ResolvedPrice {
  std::string sku;
  Money price;
  std::string price_list_id;     // "": the variant's base price
  uint64_t price_list_version = 0;
  int64_t min_quantity = 1;      // the tier that applied (1 for the base price)
  bool tax_inclusive = false;    // the base price never includes tax
  friend bool operator==(const ResolvedPrice&, const ResolvedPrice&) = default;
};

inline constexpr size_t kMaxPriceListPage = 100;

// A page of PriceLists::list. A list carries up to kMaxPriceListEntries entries, so pages are
// kept small: kMaxPriceListPage lists at most.
struct PriceListPageOptions {
  std::string cursor;  // a page's next_cursor (the last id it holds), or "" for the first page
  size_t limit = 20;   // 1..kMaxPriceListPage
};

class COMMERCE_EXPORT PriceLists {
 public:
  // Handed out by Engine (engine.h), which owns it; not copyable.
  PriceLists(const PriceLists&) = delete;
  PriceLists& operator=(const PriceLists&) = delete;

  // InvalidArgument naming the field (e.g. "entries[3].sku") for bad input, an unknown SKU
  // or a repeated (sku, min_quantity); AlreadyExists for a taken id; ResourceExhausted past
  // kMaxPriceLists.
  Result<PriceList> create(const PriceList& l);
  // Replaces every field of the list `l.id` (NotFound when absent); Conflict when if_version
  // is given and is not the stored version (HTTP's If-Match), as for products.
  Result<PriceList> update(const PriceList& l, std::optional<uint64_t> if_version = std::nullopt);
  Result<PriceList> get(std::string_view id);
  // A page of the lists, by id, read from the store alone (never every list). next_cursor is
  // "" on the last page; a list created or removed while a caller pages neither repeats nor
  // hides another. InvalidArgument for a limit out of range or a cursor that is not a list id.
  Result<Page<PriceList>> list(const PriceListPageOptions& options = {});
  // Deletes the list (orders keep the id they were priced from). NotFound when absent;
  // Conflict for a stale if_version.
  Status remove(std::string_view id, std::optional<uint64_t> if_version = std::nullopt);

  // The price of `sku` for the caller (the rule above). InvalidArgument for a bad context;
  // NotFound for an unknown SKU; FailedPrecondition when nothing prices it in the currency.
  // Archived and draft products have prices too (carts and orders refuse them separately).
  Result<ResolvedPrice> price(std::string_view sku, const PriceContext& ctx);

 private:
  friend class Engine;
  explicit PriceLists(EngineCore* core) : core_(core) {}
  EngineCore* core_;
};

}  // namespace commerce
