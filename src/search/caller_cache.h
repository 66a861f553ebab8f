// Who is searching (SearchRequest::channel, currency, customer_group), resolved once per
// request against the store and kept for the next: the channel's record, and the caller's
// prices (caller_prices.h) per (currency, customer group, channel).
//
// Making a caller's prices reads every price list and, for each SKU a list applying to the
// caller prices at one unit, the SKU's product and each of its variants' prices
// (PriceLists::price: the resolution carts use). They are kept until something they came from
// changes, which the indexer's batches say (Seen): a PriceListUpserted or PriceListRemoved
// event, a Channel event, or a product event for a product they price or one now holding a
// SKU a list names. Kept prices hold only over their time span (no list of the caller starts
// or ends within it); a request at a time outside it makes them again. A search that waits for
// its write (min_index_seq) so sees prices made after it.
//
// Every change forgets everything (a new generation): price-list writes are rare beside
// searches. The generation is part of the result cache's key (KeySuffix), so no cached page
// of older prices answers after it.
//
// Thread safety: safe from any number of threads.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "commerce/catalog.h"
#include "commerce/channels.h"
#include "commerce/events.h"
#include "commerce/price_lists.h"
#include "commerce/search.h"
#include "search/caller_prices.h"

namespace commerce::search {

struct Caller {
  std::shared_ptr<const Channel> channel;       // null: no channel, or an opaque key
  std::shared_ptr<const CallerPrices> prices;   // null: no currency
  // What the result cache's key needs beside the request as asked: the generation, the
  // currency resolved and the price span.
  std::string key_suffix;
};

class CallerCache {
 public:
  CallerCache(Catalog* catalog, PriceLists* price_lists, Channels* channels)
      : catalog_(catalog), price_lists_(price_lists), channels_(channels) {}

  // The caller of `r` at `now_ms`. NotFound for an unknown channel (once the store has
  // channels); InvalidArgument for a currency the channel does not sell.
  Result<Caller> Resolve(const SearchRequest& r, int64_t now_ms);

  // The indexer's batch (Indexer::Seen): forgets what it changed.
  void Seen(const std::vector<Event>& batch);
  // Forgets everything (an index rebuilt: its events were not seen one by one).
  void Clear();

 private:
  // A channel as read: the record; or null with `opaque` (the store has no channels: the key
  // selects price lists only), or null without (no such channel).
  struct ChannelEntry {
    std::shared_ptr<const Channel> channel;
    bool opaque = false;
  };
  Result<ChannelEntry> ChannelOf(const std::string& id);
  Result<std::shared_ptr<const CallerPrices>> PricesOf(const std::string& currency, const std::string& group,
                                                       const std::string& channel, int64_t now_ms);
  // Made from the store, and the SKUs and products they depend on.
  struct Made {
    std::shared_ptr<const CallerPrices> prices;
    std::set<std::string> skus;
  };
  Result<Made> Make(const std::string& currency, const std::string& group, const std::string& channel,
                    int64_t now_ms);

  void ClearLocked();  // REQUIRES: mu_ held

  Catalog* catalog_;
  PriceLists* price_lists_;
  Channels* channels_;

  std::mutex mu_;
  uint64_t generation_ = 0;                                   // GUARDED_BY(mu_)
  std::map<std::string, ChannelEntry> channels_seen_;          // GUARDED_BY(mu_)
  std::map<std::tuple<std::string, std::string, std::string>,
           std::shared_ptr<const CallerPrices>> prices_;       // GUARDED_BY(mu_)
  // Of every kept price set: the SKUs lists price for it, and the products overridden.
  std::set<std::string> skus_;                                 // GUARDED_BY(mu_)
  std::set<std::string> products_;                             // GUARDED_BY(mu_)
};

}  // namespace commerce::search
