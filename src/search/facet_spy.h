// One match spy for every facet a query asks: brand counts, category counts (each matching
// product counts once for its categories and each of their ancestors) and price buckets
// (default or the request's), in a single pass over the matches Xapian looks at.
//
// Xapian shows a spy only the documents it examines: all of them when the query asks to
// check at least as many as match (exact counts), a prefix otherwise. total_seen() says
// which; SearchService scales the counts and flags them when it is a prefix.
//
// Over remote shards the spy runs on each shard server (commerce-shard-server registers it,
// shard_server.h): Xapian sends it there by name() and serialise(), and the client side
// adds up each shard's serialise_results() in merge_results(). xapian-tcpsrv does not know
// the spy, so facets need our shard server.
//
// Thread safety: one query at a time (a Xapian object).
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include <xapian.h>

#include "search/caller_prices.h"

namespace commerce::search {

// The default price buckets' upper bounds in minor units (exclusive); the last bucket is
// open-ended. A request may give its own (SearchRequest::price_buckets).
inline constexpr std::array<int64_t, 9> kPriceBucketBounds = {
    1000, 2500, 5000, 10000, 25000, 50000, 100000, 250000, 500000};

class FacetSpy : public Xapian::MatchSpy {
 public:
  // `bounds`: the price buckets' upper bounds, ascending (the default ones when empty).
  FacetSpy(bool brands, bool categories, bool prices, std::vector<int64_t> bounds = {});

  // Price buckets by the caller's prices (SearchRequest::currency) instead of the index's:
  // a product without one counts in none. Local indexes only (caller_prices.h).
  void UseCallerPrices(std::shared_ptr<const CallerPrices> prices) { caller_prices_ = std::move(prices); }

  void operator()(const Xapian::Document& doc, double wt) override;

  // The remote backend's half (Xapian::MatchSpy). Data that does not decode throws
  // Xapian::SerialisationError, which the query turns into an error status.
  Xapian::MatchSpy* clone() const override;
  std::string name() const override;
  std::string serialise() const override;
  Xapian::MatchSpy* unserialise(const std::string& serialised,
                                const Xapian::Registry& context) const override;
  std::string serialise_results() const override;
  void merge_results(const std::string& serialised) override;

  uint64_t total_seen() const { return seen_; }
  const std::unordered_map<std::string, uint64_t>& brands() const { return brand_counts_; }
  const std::unordered_map<std::string, uint64_t>& categories() const { return category_counts_; }
  // Bucket i: prices below bounds()[i] (and at or above bounds()[i - 1]); the last bucket,
  // index bounds().size(), every price from the last bound.
  const std::vector<int64_t>& bounds() const { return bounds_; }
  const std::vector<uint64_t>& price_buckets() const { return price_counts_; }

 private:
  bool brands_, categories_, prices_;
  std::vector<int64_t> bounds_;
  uint64_t seen_ = 0;
  std::unordered_map<std::string, uint64_t> brand_counts_;
  std::unordered_map<std::string, uint64_t> category_counts_;
  std::vector<uint64_t> price_counts_;
  std::shared_ptr<const CallerPrices> caller_prices_;
};

}  // namespace commerce::search
