#include "search/result_codec.h"

#include <cereal/types/optional.hpp>
#include <cereal/types/vector.hpp>

#include "common/codec.h"

namespace commerce {

// The page's parts. Field order is the format: a new field goes at the end of its type with
// a bump of the page's version (kPageVersion), and a reader of an older build refuses the
// newer page (Corruption: a miss), never misreads it.
template <class Archive>
void serialize(Archive& ar, ScoreTerm& t) {
  ar(t.term, t.wdf, t.weight);
}

template <class Archive>
void serialize(Archive& ar, HitExplanation& e) {
  ar(e.query, e.corrected, e.relaxed, e.words_matched, e.weight, e.terms, e.tier, e.rules,
     e.pinned_position, e.sort, e.intent_category, e.intent_share, e.intent_added);
}

template <class Archive>
void serialize(Archive& ar, SearchHit& h) {
  ar(h.product_id, h.title, h.highlighted_title, h.brand, h.price.minor, h.price.currency,
     h.in_stock, h.score, h.explanation, h.price_list_id);
}

template <class Archive>
void serialize(Archive& ar, FacetValue& v) {
  ar(v.value, v.label, v.count, v.level, v.parent);
}

template <class Archive>
void serialize(Archive& ar, Facet& f) {
  ar(f.field, f.values, f.exact);
}

namespace search {
namespace {

// 2: hits' explanations; the rules applied, the rules' and synonyms' versions.
// 3: the applying rules' redirect.
// 4: hits' price lists (the caller's price, SearchRequest::currency).
// 5: explanations' category intent (HitExplanation::intent_*).
constexpr uint32_t kPageVersion = 5;

struct Page {
  uint32_t version = kPageVersion;
  std::string key;
  SearchResult* result = nullptr;

  template <class Archive>
  void serialize(Archive& ar) {
    ar(version);
    if (version != kPageVersion)
      throw std::runtime_error("search page version " + std::to_string(version) + ", not " +
                               std::to_string(kPageVersion));
    SearchResult& r = *result;
    ar(key, r.hits, r.total, r.total_exact, r.facets, r.corrected_query, r.used_correction,
       r.relaxed, r.index_seq, r.rules_applied, r.rules_version, r.synonyms_version,
       r.redirect);
  }
};

}  // namespace

std::string EncodeResult(std::string_view key, const SearchResult& result) {
  // Saving only reads through the pointer (one serialize for both directions needs it mutable).
  Page page{kPageVersion, std::string(key), const_cast<SearchResult*>(&result)};
  return Encode(page);
}

Status DecodeResult(std::string_view bytes, std::string_view key, SearchResult* result) {
  SearchResult r;
  Page page{0, "", &r};
  COMMERCE_RETURN_IF_ERROR(Decode(bytes, &page, "search results", "page"));
  if (page.key != key)
    return Status::Corruption("search results: a page of another request under this key");
  *result = std::move(r);
  return Status::OK();
}

}  // namespace search
}  // namespace commerce
