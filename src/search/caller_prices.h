// The caller's prices in a search (SearchRequest::currency): which price each indexed product
// has for one (currency, customer group, channel) at one time, and the Xapian pieces that
// filter, sort and count by it.
//
// The index holds each product's lowest base price (kSlotPrice) and its currency
// (kSlotPriceCurrency). Price lists change only the SKUs they name, so a caller's prices are
// the index's, in the caller's currency, except for `overrides`: the products with a SKU that a
// list applying to the caller prices at one unit, each with the price PriceLists::price gives
// its lowest variant (price_lists.h). Nothing needs a store read at query time, nor a
// document's data: the pieces read value slots (which Xapian's matcher streams) and the
// overridden products' document ids, resolved per shard from their id terms once per shard
// revision and kept with the prices. A document indexed before kSlotPriceCurrency existed has
// the slot empty and is answered from its data (the id and base price), as before.
//
// The pieces work on local shards only (document ids and Xapian subclasses without a remote
// form): over remote shards the service refuses a currency (search.h).
//
// Thread safety: a CallerPrices is immutable once made (its per-shard document ids are kept
// under a lock) and shared by every query of its caller; the Xapian objects are one query's.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

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
  // Looked up by a view of a document's id (transparent hashing: no copy per match).
  struct IdHash : std::hash<std::string_view> {
    using is_transparent = void;
  };
  std::unordered_map<std::string, Override, IdHash, std::equal_to<>> overrides;
  // The time span these prices hold over: no list of the caller starts or ends within it.
  int64_t from_ms = 0;
  int64_t until_ms = INT64_MAX;

  // The price of the product `doc` indexes, from its value slots (its data when it was indexed
  // before kSlotPriceCurrency). `order_key`: its kSlotOrderPopularity value when the caller
  // has it already (read here only when there are overrides).
  CallerPrice Of(const Xapian::Document& doc, const std::string* order_key = nullptr) const;

  // The overridden products indexed in `shard` (one local database, as a PostingSource's
  // init() is given one), by document id ascending. Resolved from the id terms at the
  // shard's first use at each revision (a product removed and indexed again has a new id),
  // then kept while these prices are.
  struct Overridden {
    Xapian::docid did = 0;
    const Override* price = nullptr;  // into `overrides`
  };
  std::shared_ptr<const std::vector<Overridden>> OverriddenIn(const Xapian::Database& shard) const;

 private:
  struct Resolved {
    Xapian::rev revision = 0;
    std::shared_ptr<const std::vector<Overridden>> docs;
  };
  mutable std::mutex shards_mu_;
  mutable std::map<std::string, Resolved> shards_;  // GUARDED_BY(shards_mu_); by shard UUID
};

// The documents whose caller's price is within [min, max] (inclusive), weight 0: a filter, for
// OP_FILTER. Two parts ORed: the products no list prices for the caller whose base price is in
// the range and in the caller's currency (CallerBasePriceFilter), and the overridden products
// whose price is (CallerOverrideFilter).
Xapian::Query CallerPriceRange(std::shared_ptr<const CallerPrices> prices, std::optional<int64_t> min,
                               std::optional<int64_t> max);

// The base part: walks the index's price slot, and of the documents in the range keeps those
// whose kSlotPriceCurrency (a second value stream, walked alongside) is the caller's currency
// and which are not overridden (the shard's overridden ids, walked alongside too). A document
// without the currency slot is decided from its data. It guesses how many pass as Xapian's
// value ranges do (the range's share of the price slot's span): the matcher's total when it
// stops early, and the order it checks a query's parts in.
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
  bool Accepts();  // the document at the current position
  void SkipRejected(double min_wt);

  std::shared_ptr<const CallerPrices> prices_;
  std::optional<int64_t> min_, max_;
  // Of the shard init() was given: the currency stream, and the overridden ids with the next
  // one not below the position.
  Xapian::ValueIterator currency_, currency_end_;
  std::shared_ptr<const std::vector<CallerPrices::Overridden>> overridden_;
  size_t next_overridden_ = 0;
};

// The overridden products whose caller's price is within [min, max]: a list of document ids
// per shard.
class CallerOverrideFilter : public Xapian::PostingSource {
 public:
  CallerOverrideFilter(std::shared_ptr<const CallerPrices> prices, std::optional<int64_t> min,
                       std::optional<int64_t> max)
      : prices_(std::move(prices)), min_(min), max_(max) {}

  void init(const Xapian::Database& db) override;
  Xapian::doccount get_termfreq_min() const override { return static_cast<Xapian::doccount>(docs_.size()); }
  Xapian::doccount get_termfreq_est() const override { return static_cast<Xapian::doccount>(docs_.size()); }
  Xapian::doccount get_termfreq_max() const override { return static_cast<Xapian::doccount>(docs_.size()); }
  void next(double min_wt) override;
  void skip_to(Xapian::docid did, double min_wt) override;
  bool at_end() const override { return started_ && at_ >= docs_.size(); }
  Xapian::docid get_docid() const override { return docs_[at_]; }
  double get_weight() const override { return 0; }
  CallerOverrideFilter* clone() const override { return new CallerOverrideFilter(prices_, min_, max_); }
  std::string get_description() const override { return "commerce::search::CallerOverrideFilter"; }

 private:
  std::shared_ptr<const CallerPrices> prices_;
  std::optional<int64_t> min_, max_;
  std::vector<Xapian::docid> docs_;
  size_t at_ = 0;
  bool started_ = false;
};

// Sort keys for price_asc / price_desc by the caller's price: the unpriced after every priced
// product, then the price, then as the index's price orders do (popularity descending, the
// product id: sort_key.h). Reads value slots only (CallerPrices::Of).
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
