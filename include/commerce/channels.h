// Channels (multi-store): a channel is one storefront of the store -- a country site, a B2B
// portal, a marketplace -- that selects which products are visible, at which prices, in which
// currencies and from which warehouses. docs/channels.md has the rules with examples.
//
// A channel's id is the key carts (NewCart::channel), orders (PlaceOrder::channel) and price
// lists (PriceList::channel) already carry. What it decides:
//   - currencies: a cart or an order in the channel is in one of `currencies` (InvalidArgument
//     otherwise); an order of lines without a currency is in `default_currency`;
//   - products: a product is visible when no rule includes any (`category_ids` and
//     `product_ids` empty: the whole catalog) or it is listed under one of `category_ids` (or a
//     sub-category) or named in `product_ids` -- and it is not in `excluded_product_ids`,
//     which always wins. Adding a SKU of a product that is not visible to a cart of the
//     channel, or ordering it, is FailedPrecondition naming the product;
//   - warehouses: an order in the channel is allocated only from `warehouse_ids` (empty: every
//     active warehouse), as the channel is when the order commits. Stock elsewhere does not
//     count: out of stock there is OutOfStock even when another warehouse holds the SKU;
//   - prices: the price lists whose `channel` is the id (price_lists.h).
//
// Existing stores: until a store's first channel is created, channel keys stay opaque, as
// before channels existed (price lists still match them). From then on a cart or an order
// naming a channel that does not exist is NotFound ("channel: ..."). A cart or an order
// without a channel ("") is not in any channel: the whole catalog, every warehouse, any
// currency.
//
// Removing a channel is allowed while carts, orders and price lists name it: orders keep the
// key they were placed in; a cart in a removed channel can no longer have SKUs added nor be
// ordered (NotFound), but can be read, emptied and removed; a price list naming it applies to
// nothing until a channel of that id is created again.
//
// Every write is one checked change set with a ChannelUpserted or ChannelRemoved event.
// Placement expects the channel record unchanged when it commits, so an order is never
// allocated from a warehouse its channel no longer had, nor priced in a currency it no
// longer allowed.
//
// Thread safety: a Channels (from Engine::channels()) is safe from any number of threads.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "commerce/export.h"
#include "commerce/status.h"

namespace commerce {

class EngineCore;

struct Channel {
  // 1..64 of A-Z a-z 0-9 '-' '_' (the key carts, orders and price lists carry). Required.
  std::string id;
  std::string name;                         // 1..200
  std::string default_currency;             // ISO 4217 ("EUR")
  // The currencies carts and orders of the channel may be in, each ISO 4217, distinct, and
  // holding default_currency; empty: default_currency alone. At most kMaxChannelCurrencies.
  std::vector<std::string> currencies;
  // Warehouses an order of the channel draws from; each must exist. Empty: every active one.
  std::vector<std::string> warehouse_ids;
  // Visibility (see above). Categories must exist; product ids need not (yet).
  std::vector<std::string> category_ids;
  std::vector<std::string> product_ids;
  std::vector<std::string> excluded_product_ids;

  // Set by the engine.
  int64_t created_at_ms = 0;
  int64_t updated_at_ms = 0;
  uint64_t version = 0;

  friend bool operator==(const Channel&, const Channel&) = default;
};

inline constexpr size_t kMaxChannels = 1000;
inline constexpr size_t kMaxChannelCurrencies = 50;
inline constexpr size_t kMaxChannelWarehouses = 1000;
inline constexpr size_t kMaxChannelCategories = 100;
inline constexpr size_t kMaxChannelProducts = 10'000;  // product_ids, and excluded_product_ids

class COMMERCE_EXPORT Channels {
 public:
  // Handed out by Engine (engine.h), which owns it; not copyable.
  Channels(const Channels&) = delete;
  Channels& operator=(const Channels&) = delete;

  // InvalidArgument naming the field (e.g. "warehouse_ids[2]") for bad input, an unknown
  // warehouse or category; AlreadyExists for a taken id; ResourceExhausted past kMaxChannels.
  Result<Channel> create(const Channel& c);
  // Replaces every field of the channel `c.id` (NotFound when absent); Conflict when
  // if_version is given and is not the stored version (HTTP's If-Match).
  Result<Channel> update(const Channel& c, std::optional<uint64_t> if_version = std::nullopt);
  // NotFound "channel: no channel with id 'x'".
  Result<Channel> get(std::string_view id);
  // Every channel, by id.
  Result<std::vector<Channel>> list();
  // NotFound when absent; Conflict for a stale if_version (see above for what names it).
  Status remove(std::string_view id, std::optional<uint64_t> if_version = std::nullopt);

  // Whether the product is visible in the channel (the rule above). NotFound for an unknown
  // channel or product.
  Result<bool> visible(std::string_view channel_id, std::string_view product_id);

 private:
  friend class Engine;
  explicit Channels(EngineCore* core) : core_(core) {}
  EngineCore* core_;
};

}  // namespace commerce
