// Checking a SearchRequest before any work, and the canonical form that keys the cache.
//
// Thread safety: pure functions.
#pragma once

#include <memory>
#include <string>

#include "commerce/channels.h"
#include "commerce/search.h"

namespace commerce::search {

struct CallerPrices;  // caller_prices.h

enum class SortBy : uint8_t { kRelevance, kPopularity, kPriceAsc, kPriceDesc, kNewest };

// A request that passed validation, with its defaults resolved.
struct CheckedRequest {
  const SearchRequest* request = nullptr;
  SortBy sort = SortBy::kRelevance;
  bool facet_brand = false, facet_category = false, facet_price = false, facet_tree = false;
  // Disjunctive facets whose field the request filters on: their counts need a run of
  // their own without that filter.
  bool own_brand = false, own_category = false, own_price = false;
  bool has_text = false;  // text holds a word (not only spaces and punctuation)
  // The time rule schedules are read at: request->now_ms, or the system clock's when 0
  // (read once here, so that a request's cache key and its rules agree).
  int64_t now_ms = 0;
  // The caller (SearchRequest::channel, currency), resolved by the service: the channel whose
  // visibility rule filters (null: none), and the caller's prices (null: no currency, the
  // index's prices).
  std::shared_ptr<const Channel> channel;
  std::shared_ptr<const CallerPrices> prices;
  std::string caller_key;  // the result cache key's part for them (CallerCache)
};

// InvalidArgument naming the field for every way a request can be wrong (see search.h).
Result<CheckedRequest> CheckRequest(const SearchRequest& r);

// Equal for requests that must give equal results: everything but the cache and freshness
// controls and now_ms (whose effect the rules' CacheKeySuffix and the caller's price span
// name), with list filters order-insensitive. The caller as asked (channel, currency, group);
// what it resolved to is the service's part of the key.
std::string CacheKey(const SearchRequest& r);

}  // namespace commerce::search
