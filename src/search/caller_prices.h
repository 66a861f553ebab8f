// The caller's prices in a search (SearchRequest::currency): which price each indexed product
// has for one (currency, customer group, channel) at one time, and the Xapian pieces that
// filter, sort and count by it.
//
// The index holds each product's lowest base price (kSlotPrice) and its currency (the
// document's data). Price lists change only the SKUs they name, so a caller's prices are the
// index's, in the caller's currency, except for `overrides`: the products with a SKU that a
// list applying to the caller prices at one unit, each with the price PriceLists::price gives
// its lowest variant (price_lists.h). Everything else needs no store read at query time.
//
// The pieces read a document's data and so run only where the documents are: a local index.
// Over remote shards the service refuses a currency (search.h).
//
// Thread safety: a CallerPrices is immutable once made and shared by every query of its
// caller; the Xapian objects are one query's.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include <xapian.h>

namespace commerce::search {

struct CallerPrice {
  bool priced = false;      // false: nothing prices the product in the currency
  int64_t minor = 0;
  std::string_view list_id; // "" the base price; valid while its CallerPrices is
};

struct CallerPrices {
  std::string currency;
  // Product id -> its price for the caller (priced false: none in the currency), for the
  // products a list applying to the caller prices.
  struct Override {
    bool priced = false;
    int64_t minor = 0;
    std::string list_id;
  };
  std::unordered_map<std::string, Override> overrides;
  // The time span these prices hold over: no list of the caller starts or ends within it.
  int64_t from_ms = 0;
  int64_t until_ms = INT64_MAX;

  // The price of the product `doc` indexes.
  CallerPrice Of(const Xapian::Document& doc) const;
};

// The documents whose caller's price is within [min, max] (inclusive), weight 0: a filter, for
// OP_FILTER. Two parts ORed: the products no list prices for the caller whose base price is in
// the range and in the caller's currency (CallerBasePriceFilter: it walks the index's price
// slot and reads a document's data only when its base price is in the range), and the
// overridden products whose price is (their id terms).
Xapian::Query CallerPriceRange(std::shared_ptr<const CallerPrices> prices, std::optional<int64_t> min,
                               std::optional<int64_t> max);

class CallerBasePriceFilter : public Xapian::ValuePostingSource {
 public:
  CallerBasePriceFilter(std::shared_ptr<const CallerPrices> prices, std::optional<int64_t> min,
                        std::optional<int64_t> max);

  void next(double min_wt) override;
  void skip_to(Xapian::docid did, double min_wt) override;
  bool check(Xapian::docid did, double min_wt) override;
  double get_weight() const override { return 0; }
  void init(const Xapian::Database& db) override;
  CallerBasePriceFilter* clone() const override;
  std::string get_description() const override { return "commerce::search::CallerBasePriceFilter"; }

 private:
  bool Accepts() const;  // the document at the current position
  void SkipRejected(double min_wt);

  std::shared_ptr<const CallerPrices> prices_;
  std::optional<int64_t> min_, max_;
};

// Sort keys for price_asc / price_desc by the caller's price: the unpriced after every priced
// product, then the price, then as the index's price orders do (popularity descending, the
// product id: sort_key.h).
class CallerPriceKey : public Xapian::KeyMaker {
 public:
  CallerPriceKey(std::shared_ptr<const CallerPrices> prices, bool descending)
      : prices_(std::move(prices)), descending_(descending) {}
  std::string operator()(const Xapian::Document& doc) const override;

 private:
  std::shared_ptr<const CallerPrices> prices_;
  bool descending_;
};

}  // namespace commerce::search
