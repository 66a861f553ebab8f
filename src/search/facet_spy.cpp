#include "search/facet_spy.h"

#include <algorithm>
#include <climits>
#include <cstdint>
#include <string_view>
#include <utility>

#include "search/index_schema.h"

namespace commerce::search {

FacetSpy::FacetSpy(bool brands, bool categories, bool prices, std::vector<int64_t> bounds)
    : brands_(brands), categories_(categories), prices_(prices), bounds_(std::move(bounds)) {
  if (bounds_.empty()) bounds_.assign(kPriceBucketBounds.begin(), kPriceBucketBounds.end());
  price_counts_.assign(bounds_.size() + 1, 0);
}

void FacetSpy::operator()(const Xapian::Document& doc, double) {
  ++seen_;
  if (brands_) {
    std::string brand = doc.get_value(kSlotBrand);
    if (!brand.empty()) ++brand_counts_[brand];
  }
  if (categories_) {
    const std::string all = doc.get_value(kSlotCategories);
    std::string_view rest(all);
    while (!rest.empty()) {
      size_t nl = rest.find('\n');
      std::string_view id = rest.substr(0, nl);
      if (!id.empty()) ++category_counts_[std::string(id)];
      if (nl == std::string_view::npos) break;
      rest.remove_prefix(nl + 1);
    }
  }
  if (prices_ && caller_prices_) {
    const CallerPrice p = caller_prices_->Of(doc);
    if (p.priced) ++price_counts_[std::upper_bound(bounds_.begin(), bounds_.end(), p.minor) - bounds_.begin()];
  } else if (prices_) {
    const std::string v = doc.get_value(kSlotPrice);
    if (!v.empty()) {
      const auto price = static_cast<int64_t>(Xapian::sortable_unserialise(v));
      size_t b = std::upper_bound(bounds_.begin(), bounds_.end(), price) - bounds_.begin();
      ++price_counts_[b];
    }
  }
}

namespace {

// The wire form: unsigned integers as little-endian base-128 varints, strings as a length
// and bytes. It only travels between a client and its shard servers, both of this build.
void PutVarint(std::string* out, uint64_t v) {
  while (v >= 0x80) {
    out->push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<char>(v));
}

void PutString(std::string* out, std::string_view s) {
  PutVarint(out, s.size());
  out->append(s);
}

[[noreturn]] void BadResults(const char* what) {
  throw Xapian::SerialisationError(std::string("facet counts from a shard do not decode: ") + what);
}

uint64_t GetVarint(std::string_view* in) {
  uint64_t v = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    if (in->empty()) BadResults("truncated number");
    const auto byte = static_cast<unsigned char>(in->front());
    in->remove_prefix(1);
    v |= static_cast<uint64_t>(byte & 0x7f) << shift;
    if (!(byte & 0x80)) return v;
  }
  BadResults("number too long");
}

std::string GetString(std::string_view* in) {
  const uint64_t n = GetVarint(in);
  if (n > in->size()) BadResults("truncated string");
  std::string s(in->substr(0, n));
  in->remove_prefix(n);
  return s;
}

void PutCounts(std::string* out, const std::unordered_map<std::string, uint64_t>& counts) {
  PutVarint(out, counts.size());
  for (const auto& [value, n] : counts) {
    PutString(out, value);
    PutVarint(out, n);
  }
}

void MergeCounts(std::string_view* in, std::unordered_map<std::string, uint64_t>* counts) {
  const uint64_t n = GetVarint(in);
  if (n > in->size()) BadResults("more values than bytes");
  for (uint64_t i = 0; i < n; ++i) {
    std::string value = GetString(in);
    (*counts)[std::move(value)] += GetVarint(in);
  }
}

}  // namespace

Xapian::MatchSpy* FacetSpy::clone() const {
  auto* spy = new FacetSpy(brands_, categories_, prices_, bounds_);
  spy->caller_prices_ = caller_prices_;
  return spy;
}

std::string FacetSpy::name() const { return "commerce::search::FacetSpy"; }

// A byte of the facets asked for, then the price bounds: their number and each (prices are
// never negative, so plain varints).
std::string FacetSpy::serialise() const {
  std::string out(1, static_cast<char>((brands_ ? 1 : 0) | (categories_ ? 2 : 0) | (prices_ ? 4 : 0)));
  PutVarint(&out, bounds_.size());
  for (int64_t b : bounds_) PutVarint(&out, static_cast<uint64_t>(b));
  return out;
}

Xapian::MatchSpy* FacetSpy::unserialise(const std::string& serialised, const Xapian::Registry&) const {
  if (serialised.empty() || (static_cast<unsigned char>(serialised[0]) & ~7u) != 0)
    throw Xapian::SerialisationError("FacetSpy: the facets asked for do not decode");
  const auto bits = static_cast<unsigned char>(serialised[0]);
  std::string_view in(serialised);
  in.remove_prefix(1);
  const uint64_t n = GetVarint(&in);
  if (n == 0 || n > in.size()) throw Xapian::SerialisationError("FacetSpy: the price buckets do not decode");
  std::vector<int64_t> bounds;
  for (uint64_t i = 0; i < n; ++i) {
    const uint64_t b = GetVarint(&in);
    if (b > static_cast<uint64_t>(INT64_MAX) || (!bounds.empty() && static_cast<int64_t>(b) <= bounds.back()))
      throw Xapian::SerialisationError("FacetSpy: the price buckets are not ascending");
    bounds.push_back(static_cast<int64_t>(b));
  }
  if (!in.empty()) throw Xapian::SerialisationError("FacetSpy: bytes after the price buckets");
  return new FacetSpy(bits & 1, bits & 2, bits & 4, std::move(bounds));
}

std::string FacetSpy::serialise_results() const {
  std::string out;
  PutVarint(&out, seen_);
  PutCounts(&out, brand_counts_);
  PutCounts(&out, category_counts_);
  PutVarint(&out, price_counts_.size());
  for (uint64_t n : price_counts_) PutVarint(&out, n);
  return out;
}

void FacetSpy::merge_results(const std::string& serialised) {
  std::string_view in(serialised);
  seen_ += GetVarint(&in);
  MergeCounts(&in, &brand_counts_);
  MergeCounts(&in, &category_counts_);
  if (GetVarint(&in) != price_counts_.size()) BadResults("another number of price buckets");
  for (uint64_t& n : price_counts_) n += GetVarint(&in);
  if (!in.empty()) BadResults("bytes after the counts");
}

}  // namespace commerce::search
