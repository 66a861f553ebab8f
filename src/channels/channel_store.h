// The channels' stored records, and what carts and orders read of them.
//
//   channels  KeyBuilder().str(id) -> Channel (cereal, v1)
//   meta      counter "channels"   -> how many channels exist; present from the store's first
//                                     channel on: the mark that channel keys must name one
//
// Thread safety: functions over one ReadView or ChangeSet, on that object's thread.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "commerce/catalog.h"
#include "commerce/channels.h"
#include "commerce/storage.h"
#include "engine/engine_core.h"

namespace commerce {

std::string ChannelKey(std::string_view id);
// The meta key of the channel count (a "counter", as commerce verify reads the meta table).
std::string ChannelCountKey();

std::string EncodeChannel(const Channel& c);
Status DecodeChannel(std::string_view key, std::string_view bytes, Channel* out);

// NotFound "no channel with id 'x'"; Corruption when it does not decode.
Result<Channel> GetChannel(ReadView& view, const Tables& t, std::string_view id);
// Every channel, by id.
Result<std::vector<Channel>> ListChannels(ReadView& view, const Tables& t);

// The channel a cart or an order names, for enforcing it: nullopt for "" and, in a store that
// has never had a channel, for any key (opaque, as before channels). NotFound
// "channel: no channel with id 'x'" once channels exist. With `changes`, what was read is
// expected unchanged when the set is applied: the record, or its absence and the mark's.
Result<std::optional<Channel>> ReadChannelOf(ReadView& view, const Tables& t,
                                             std::string_view id, ChangeSet* changes = nullptr);

// The currencies a channel sells in: `currencies`, or default_currency alone.
std::vector<std::string> ChannelCurrencies(const Channel& c);
// InvalidArgument "<field>: ..." when `currency` is not one of them.
Status CheckChannelCurrency(const Channel& c, std::string_view currency, std::string_view field);
// Whether `p` is visible in `c` (channels.h): pure, from the product record alone (its
// categories with their ancestors, catalog_store.h's ListedUnder).
bool VisibleIn(const Channel& c, const Product& p);
// FailedPrecondition "<field>: product 'p' (sku 's') is not sold in channel 'c'" when not.
Status CheckVisible(const Channel& c, const Product& p, std::string_view sku, std::string_view field);
// Whether an order of the channel may draw from warehouse `id`.
bool SellsFrom(const Channel& c, std::string_view warehouse_id);

}  // namespace commerce
