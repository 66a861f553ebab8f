#include "search/caller_prices.h"

#include <vector>

#include "search/index_schema.h"
#include "search/sort_key.h"

namespace commerce::search {

CallerPrice CallerPrices::Of(const Xapian::Document& doc) const {
  const std::string data = doc.get_data();
  std::string_view id, base_currency;
  int64_t minor = 0;
  if (!PeekHitPrice(data, &id, &base_currency, &minor)) return {};
  if (!overrides.empty()) {
    auto it = overrides.find(std::string(id));
    if (it != overrides.end()) return {it->second.priced, it->second.minor, it->second.list_id};
  }
  // No list prices it for this caller: its base price, when in the caller's currency.
  if (base_currency != currency) return {};
  return {true, minor, {}};
}

Xapian::Query CallerPriceRange(std::shared_ptr<const CallerPrices> prices, std::optional<int64_t> min,
                               std::optional<int64_t> max) {
  std::vector<Xapian::Query> listed;
  for (const auto& [id, o] : prices->overrides)
    if (o.priced && (!min || o.minor >= *min) && (!max || o.minor <= *max)) listed.emplace_back(IdTerm(id));
  Xapian::Query base((new CallerBasePriceFilter(std::move(prices), min, max))->release());
  if (listed.empty()) return base;
  return Xapian::Query(Xapian::Query::OP_OR, base,
                       Xapian::Query(Xapian::Query::OP_OR, listed.begin(), listed.end()));
}

CallerBasePriceFilter::CallerBasePriceFilter(std::shared_ptr<const CallerPrices> prices,
                                             std::optional<int64_t> min, std::optional<int64_t> max)
    : Xapian::ValuePostingSource(kSlotPrice), prices_(std::move(prices)), min_(min), max_(max) {}

bool CallerBasePriceFilter::Accepts() const {
  // The slot first: most documents out of the range are rejected without their data.
  const auto base = static_cast<int64_t>(Xapian::sortable_unserialise(get_value()));
  if ((min_ && base < *min_) || (max_ && base > *max_)) return false;
  const std::string data = get_database().get_document(get_docid(), Xapian::DOC_ASSUME_VALID).get_data();
  std::string_view id, currency;
  int64_t minor = 0;
  if (!PeekHitPrice(data, &id, &currency, &minor)) return false;
  return currency == prices_->currency && !prices_->overrides.count(std::string(id));
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
  // Positioned on `did` only when it passes; otherwise on the next that does (a valid
  // position past it, as check() allows).
  skip_to(did, min_wt);
  return true;
}

void CallerBasePriceFilter::init(const Xapian::Database& db) {
  ValuePostingSource::init(db);
  set_termfreq_min(0);  // any number of the priced documents may pass
}

CallerBasePriceFilter* CallerBasePriceFilter::clone() const {
  return new CallerBasePriceFilter(prices_, min_, max_);
}

std::string CallerPriceKey::operator()(const Xapian::Document& doc) const {
  const CallerPrice p = prices_->Of(doc);
  SortKey key;
  key.Ascending(p.priced ? 0 : 1);
  if (descending_) key.Descending(p.minor);
  else key.Ascending(p.minor);
  // Then popularity and the id, as kSlotOrderPriceAsc/Desc: the popularity order's key.
  return key.str() + doc.get_value(kSlotOrderPopularity);
}

}  // namespace commerce::search
