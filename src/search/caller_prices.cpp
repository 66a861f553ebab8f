#include "search/caller_prices.h"

#include <algorithm>
#include <vector>

#include "search/index_schema.h"
#include "search/sort_key.h"

namespace commerce::search {

namespace {

bool InRange(int64_t minor, std::optional<int64_t> min, std::optional<int64_t> max) {
  return (!min || minor >= *min) && (!max || minor <= *max);
}

// A document indexed before kSlotPriceCurrency: its id and base price from its data.
CallerPrice OfData(const CallerPrices& prices, const std::string& data) {
  std::string_view id, base_currency;
  int64_t minor = 0;
  if (!PeekHitPrice(data, &id, &base_currency, &minor)) return {};
  if (auto it = prices.overrides.find(id); it != prices.overrides.end())
    return {it->second.priced, it->second.minor, it->second.list_id};
  // No list prices it for this caller: its base price, when in the caller's currency.
  if (base_currency != prices.currency) return {};
  return {true, minor, {}};
}

int64_t SlotPrice(const std::string& value) {
  return static_cast<int64_t>(Xapian::sortable_unserialise(value));
}

// How many of `db`'s documents have a price slot in [min, max], guessed as Xapian's own value
// range guesses: the share of the slot's span the range covers. It is what the matcher scales
// a total (and so the facets' counts) from when it stops before the last match; the slot's
// whole count, the default, made a caller's totals up to twice the plain search's.
Xapian::doccount PriceRangeEstimate(const Xapian::Database& db, std::optional<int64_t> min,
                                    std::optional<int64_t> max) {
  const Xapian::doccount freq = db.get_value_freq(kSlotPrice);
  if (freq == 0) return 0;
  const double lo = Xapian::sortable_unserialise(db.get_value_lower_bound(kSlotPrice));
  const double hi = Xapian::sortable_unserialise(db.get_value_upper_bound(kSlotPrice));
  const double from = min ? std::max(lo, static_cast<double>(*min)) : lo;
  const double to = max ? std::min(hi, static_cast<double>(*max)) : hi;
  if (to < from) return 0;
  const double share = hi > lo ? (to - from) / (hi - lo) : 1.0;
  return std::clamp<Xapian::doccount>(static_cast<Xapian::doccount>(freq * share + 0.5), 1, freq);
}

}  // namespace

CallerPrice CallerPrices::Of(const Xapian::Document& doc, const std::string* order_key) const {
  const std::string base_currency = doc.get_value(kSlotPriceCurrency);
  if (base_currency.empty()) return OfData(*this, doc.get_data());
  if (!overrides.empty()) {
    // The id ends the popularity key, after its one integer part (sort_key.h).
    std::string read;
    if (!order_key) order_key = &(read = doc.get_value(kSlotOrderPopularity));
    if (auto it = overrides.find(AfterSortKeyPart(*order_key)); it != overrides.end())
      return {it->second.priced, it->second.minor, it->second.list_id};
  }
  if (base_currency != currency) return {};
  return {true, SlotPrice(doc.get_value(kSlotPrice)), {}};
}

std::shared_ptr<const std::vector<CallerPrices::Overridden>> CallerPrices::OverriddenIn(
    const Xapian::Database& shard) const {
  const std::string uuid = shard.get_uuid();
  const Xapian::rev revision = shard.get_revision();
  {
    std::lock_guard<std::mutex> lock(shards_mu_);
    auto it = shards_.find(uuid);
    if (it != shards_.end() && it->second.revision == revision) return it->second.docs;
  }
  // One posting-list lookup per overridden product: the work kept.
  auto docs = std::make_shared<std::vector<Overridden>>();
  for (const auto& [id, o] : overrides) {
    const std::string term = IdTerm(id);
    Xapian::PostingIterator p = shard.postlist_begin(term);
    if (p != shard.postlist_end(term)) docs->push_back({*p, &o});
  }
  std::sort(docs->begin(), docs->end(), [](const Overridden& a, const Overridden& b) { return a.did < b.did; });
  std::lock_guard<std::mutex> lock(shards_mu_);
  // Two queries may resolve one revision at once: either's list is right.
  shards_[uuid] = {revision, docs};
  return docs;
}

Xapian::Query CallerPriceRange(std::shared_ptr<const CallerPrices> prices, std::optional<int64_t> min,
                               std::optional<int64_t> max) {
  const bool listed = std::any_of(prices->overrides.begin(), prices->overrides.end(), [&](const auto& entry) {
    return entry.second.priced && InRange(entry.second.minor, min, max);
  });
  Xapian::Query base((new CallerBasePriceFilter(prices, min, max))->release());
  if (!listed) return base;
  return Xapian::Query(Xapian::Query::OP_OR, base,
                       Xapian::Query((new CallerOverrideFilter(std::move(prices), min, max))->release()));
}

CallerBasePriceFilter::CallerBasePriceFilter(std::shared_ptr<const CallerPrices> prices,
                                             std::optional<int64_t> min, std::optional<int64_t> max)
    : Xapian::ValuePostingSource(kSlotPrice), prices_(std::move(prices)), min_(min), max_(max) {}

bool CallerBasePriceFilter::Accepts() {
  // The price slot first: most documents out of the range are rejected on it alone.
  const Xapian::docid did = get_docid();
  if (!InRange(SlotPrice(get_value()), min_, max_)) return false;
  if (currency_ != currency_end_ && currency_.get_docid() < did) currency_.skip_to(did);
  if (currency_ == currency_end_ || currency_.get_docid() != did) {
    // Indexed before the currency slot: its data decides.
    const std::string data = get_database().get_document(did, Xapian::DOC_ASSUME_VALID).get_data();
    std::string_view id, base_currency;
    int64_t minor = 0;
    if (!PeekHitPrice(data, &id, &base_currency, &minor)) return false;
    return base_currency == prices_->currency && !prices_->overrides.count(id);
  }
  if (*currency_ != prices_->currency) return false;
  if (overridden_) {
    const auto& o = *overridden_;
    while (next_overridden_ < o.size() && o[next_overridden_].did < did) ++next_overridden_;
    if (next_overridden_ < o.size() && o[next_overridden_].did == did) return false;
  }
  return true;
}

void CallerBasePriceFilter::SkipRejected(double min_wt) {
  while (!ValuePostingSource::at_end() && !Accepts()) ValuePostingSource::next(min_wt);
}

void CallerBasePriceFilter::next(double min_wt) {
  ValuePostingSource::next(min_wt);
  SkipRejected(min_wt);
}

void CallerBasePriceFilter::skip_to(Xapian::docid did, double min_wt) {
  ValuePostingSource::skip_to(did, min_wt);
  SkipRejected(min_wt);
}

bool CallerBasePriceFilter::check(Xapian::docid did, double min_wt) {
  // `did` alone is decided, not the next document that passes: the matcher checks the filter
  // against other postings' documents one by one, and walking on from each would read slots
  // it never asks about. False when `did` has no price or does not pass (the position is
  // then undefined, as check() allows); true positioned on `did`, or, when the stream moved
  // past it, on the next that passes.
  if (!ValuePostingSource::check(did, min_wt)) return false;
  if (ValuePostingSource::at_end()) return true;
  if (get_docid() != did) {
    SkipRejected(min_wt);
    return true;
  }
  return Accepts();
}

void CallerBasePriceFilter::init(const Xapian::Database& db) {
  ValuePostingSource::init(db);
  set_termfreq_min(0);  // any number of the priced documents may pass
  set_termfreq_est(PriceRangeEstimate(db, min_, max_));
  currency_ = db.valuestream_begin(kSlotPriceCurrency);
  currency_end_ = db.valuestream_end(kSlotPriceCurrency);
  overridden_ = prices_->overrides.empty() ? nullptr : prices_->OverriddenIn(db);
  next_overridden_ = 0;
}

CallerBasePriceFilter* CallerBasePriceFilter::clone() const {
  return new CallerBasePriceFilter(prices_, min_, max_);
}

void CallerOverrideFilter::init(const Xapian::Database& db) {
  docs_.clear();
  at_ = 0;
  started_ = false;
  for (const auto& o : *prices_->OverriddenIn(db))
    if (o.price->priced && InRange(o.price->minor, min_, max_)) docs_.push_back(o.did);
}

void CallerOverrideFilter::next(double) {
  if (started_) ++at_;
  started_ = true;
}

void CallerOverrideFilter::skip_to(Xapian::docid did, double) {
  started_ = true;
  at_ = static_cast<size_t>(std::lower_bound(docs_.begin() + static_cast<std::ptrdiff_t>(at_), docs_.end(), did) -
                            docs_.begin());
}

std::string CallerPriceKey::operator()(const Xapian::Document& doc) const {
  const std::string order_key = doc.get_value(kSlotOrderPopularity);
  const CallerPrice p = prices_->Of(doc, &order_key);
  SortKey key;
  key.Ascending(p.priced ? 0 : 1);
  if (descending_) key.Descending(p.minor);
  else key.Ascending(p.minor);
  // Then popularity and the id, as kSlotOrderPriceAsc/Desc: the popularity order's key.
  return key.str() + order_key;
}

}  // namespace commerce::search
