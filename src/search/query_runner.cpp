#include "search/query_runner.h"

#include <algorithm>
#include <cctype>

#include "search/facet_spy.h"
#include "search/highlight.h"
#include "search/index_schema.h"
#include "search/indexer.h"

namespace commerce::search {

namespace {

using QP = Xapian::QueryParser;

// What shoppers type: "quoted phrases", -excluded, +required, AND/OR/NOT. Synonyms
// (synonyms.h) and spelling corrections (Correct below) are ours: Xapian's
// FLAG_SPELLING_CORRECTION looks up a suggestion for every word whose unstemmed form is not a
// term — every word of a STEM_ALL index — at about 0.4 ms each.
constexpr unsigned kSyntaxFlags = QP::FLAG_PHRASE | QP::FLAG_LOVEHATE | QP::FLAG_BOOLEAN;
constexpr unsigned kBaseFlags = kSyntaxFlags;
// Shorter unknown words are not corrected (see Correct).
constexpr size_t kMinCorrectedWord = 4;
// A SKU-looking query scores this much more on an exact code match than on its words.
constexpr double kCodeBoost = 4.0;

Xapian::Query AnyOf(std::string_view prefix, const std::vector<std::string>& values) {
  std::vector<Xapian::Query> terms;
  for (const auto& v : values) terms.emplace_back(BooleanTerm(prefix, v));
  return Xapian::Query(Xapian::Query::OP_OR, terms.begin(), terms.end());
}

Xapian::Query Filters(const SearchRequest& r) {
  std::vector<Xapian::Query> parts;
  if (!r.brands.empty()) parts.push_back(AnyOf(kPrefixBrand, r.brands));
  if (!r.categories.empty()) parts.push_back(AnyOf(kPrefixCategory, r.categories));
  auto ser = [](int64_t v) { return Xapian::sortable_serialise(static_cast<double>(v)); };
  if (r.price_min && r.price_max)
    parts.emplace_back(Xapian::Query::OP_VALUE_RANGE, kSlotPrice, ser(*r.price_min), ser(*r.price_max));
  else if (r.price_min)
    parts.emplace_back(Xapian::Query::OP_VALUE_GE, kSlotPrice, ser(*r.price_min));
  else if (r.price_max)
    parts.emplace_back(Xapian::Query::OP_VALUE_LE, kSlotPrice, ser(*r.price_max));
  if (r.in_stock) parts.emplace_back(std::string(kTermInStock));
  for (const auto& [name, value] : r.attributes)
    parts.emplace_back(BooleanTerm(kPrefixAttribute, name + "=" + value));
  if (parts.empty()) return Xapian::Query();
  return Xapian::Query(Xapian::Query::OP_AND, parts.begin(), parts.end());
}

struct Parsed {
  Xapian::Query query;
};

Result<Xapian::Query> ParseText(Reader& reader, const std::string& text, unsigned flags) {
  try {
    return reader.parser.parse_query(text, flags);
  } catch (const Xapian::QueryParserError&) {
    // Unbalanced quotes, a dangling AND...: read the text as plain words instead.
    try {
      return reader.parser.parse_query(text, flags & ~kSyntaxFlags);
    } catch (const Xapian::QueryParserError& e) {
      return Status::InvalidArgument("search text: cannot be read as a query: " + e.get_msg());
    }
  }
}

Result<Parsed> Parse(Reader& reader, const Synonyms& synonyms, const std::string& text,
                     unsigned flags, Xapian::Query::op default_op) {
  reader.parser.set_default_op(default_op);
  Parsed p;
  COMMERCE_ASSIGN_OR_RETURN(p.query, ParseText(reader, text, flags));
  for (const auto& variant : synonyms.Variants(text, reader.stemmer)) {
    COMMERCE_ASSIGN_OR_RETURN(auto q, ParseText(reader, variant, flags));
    p.query = Xapian::Query(Xapian::Query::OP_OR, p.query, q);
  }
  // A SKU or model number, however it is spaced or dashed, also matches as one code.
  const std::string code = NormaliseCode(text);
  if (code.size() >= 3 && code.size() <= 64 &&
      std::any_of(code.begin(), code.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    p.query = Xapian::Query(
        Xapian::Query::OP_OR, p.query,
        Xapian::Query(Xapian::Query::OP_SCALE_WEIGHT,
                      Xapian::Query(std::string(kPrefixCode) + code), kCodeBoost));
  }
  return p;
}

// The last word is a prefix while it is being typed: the text does not end with a space
// (a one-letter word expands to its most frequent completions only: see ReaderPool).
bool LastWordIsPartial(const std::string& text) {
  if (text.empty() || std::isspace(static_cast<unsigned char>(text.back()))) return false;
  size_t start = text.find_last_of(" \t\r\n");
  start = start == std::string::npos ? 0 : start + 1;
  size_t chars = 0;
  for (size_t i = start; i < text.size(); ++i)
    if ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80) ++chars;
  return chars >= 1;
}

size_t CountWords(const std::string& text) {
  size_t n = 0;
  bool in = false;
  for (char c : text) {
    bool space = std::isspace(static_cast<unsigned char>(c));
    if (!space && !in) ++n;
    in = !space;
  }
  return n;
}

std::string PriceLabel(int64_t minor) {
  return std::to_string(minor / 100) + "." + (minor % 100 < 10 ? "0" : "") +
         std::to_string(minor % 100);
}

std::string ParentOf(const std::string& id) {
  size_t slash = id.rfind('/');
  return slash == std::string::npos ? "" : id.substr(0, slash);
}

void TopCounts(const std::unordered_map<std::string, uint64_t>& counts, double scale,
               size_t size, std::vector<FacetValue>* out,
               const std::function<bool(const std::string&)>& keep) {
  std::vector<std::pair<std::string, uint64_t>> v;
  for (const auto& [value, n] : counts)
    if (keep(value)) v.emplace_back(value, n);
  std::sort(v.begin(), v.end(), [](const auto& a, const auto& b) {
    return a.second != b.second ? a.second > b.second : a.first < b.first;
  });
  if (v.size() > size) v.resize(size);
  for (auto& [value, n] : v)
    out->push_back({value, "", static_cast<uint64_t>(static_cast<double>(n) * scale + 0.5)});
}

Result<SearchResult> Execute(Reader& reader, const CheckedRequest& c, const Xapian::Query& text,
                             const HighlightTerms& highlight, const Xapian::Query& filters,
                             CategoryNames* names) {
  const SearchRequest& r = *c.request;
  Xapian::Query q;
  if (!c.has_text) {
    q = filters.empty() ? Xapian::Query::MatchAll
                        : Xapian::Query(Xapian::Query::OP_FILTER, Xapian::Query::MatchAll, filters);
  } else {
    q = filters.empty() ? text : Xapian::Query(Xapian::Query::OP_FILTER, text, filters);
  }
  Xapian::Enquire enquire(reader.db);
  enquire.set_query(q);
  if (!c.has_text) {
    enquire.set_weighting_scheme(Xapian::BoolWeight());
  } else {
    // BM25 with little length normalisation (b = 0.1, Xapian's default is 0.5): a product's
    // length is mostly its description, which says less about what the product is than its
    // title; a long description should not push a title match down. Chosen on the Best Buy
    // sample (commerce-bench search-quality): b 0.5 -> 0.1 raised NDCG@10 by about 0.01.
    enquire.set_weighting_scheme(Xapian::BM25Weight(1.2, 0, 1, 0.1, 0.5));
  }
  // Every order ends with the product id (sort_key.h), so equal scores and equal prices come
  // back in the same order from any index of the same catalog, and pages neither repeat nor
  // skip. Value sorts with such keys work over remote shards too (a KeyMaker would not).
  switch (c.sort) {
    case SortBy::kRelevance: enquire.set_sort_by_relevance_then_value(kSlotOrderPopularity, false); break;
    case SortBy::kPopularity: enquire.set_sort_by_value(kSlotOrderPopularity, false); break;
    case SortBy::kPriceAsc: enquire.set_sort_by_value(kSlotOrderPriceAsc, false); break;
    case SortBy::kPriceDesc: enquire.set_sort_by_value(kSlotOrderPriceDesc, false); break;
    case SortBy::kNewest: enquire.set_sort_by_value(kSlotOrderNewest, false); break;
  }
  const bool facets = c.facet_brand || c.facet_category || c.facet_price;
  FacetSpy spy(c.facet_brand, c.facet_category, c.facet_price);
  if (facets) enquire.add_matchspy(&spy);
  // Counting facets exactly means looking at every match: up to the cap, and no further.
  const Xapian::doccount check = facets ? static_cast<Xapian::doccount>(kFacetExactCap) : 0;
  Xapian::MSet mset = enquire.get_mset(static_cast<Xapian::doccount>(r.offset),
                                       static_cast<Xapian::doccount>(r.limit), check);

  SearchResult out;
  out.total = mset.get_matches_estimated();
  out.total_exact = mset.get_matches_lower_bound() == mset.get_matches_upper_bound();
  out.index_seq = reader.index_seq;
  // (No MSet::fetch(): in Xapian 1.4.22 it crashes for a page that does not start at 0,
  // and it only helps remote databases.)
  for (auto it = mset.begin(); it != mset.end(); ++it) {
    HitData h;
    if (!DecodeHitData(it.get_document().get_data(), &h))
      return Status::Corruption("search index: a document's data does not decode");
    SearchHit hit;
    hit.highlighted_title = Highlight(h.title, highlight, reader.stemmer);
    hit.product_id = std::move(h.product_id);
    hit.title = std::move(h.title);
    hit.brand = std::move(h.brand);
    hit.price = std::move(h.price);
    hit.in_stock = h.in_stock;
    hit.score = c.has_text ? it.get_weight() : 0;
    out.hits.push_back(std::move(hit));
  }
  if (facets) {
    const uint64_t seen = spy.total_seen();
    const bool exact = out.total_exact && seen >= out.total;
    const double scale = exact || seen == 0 ? 1.0 : static_cast<double>(out.total) / seen;
    for (const auto& f : r.facets) {
      Facet facet{.field = f, .exact = exact};
      if (f == "brand") {
        // Brands filter case-insensitively, so "OtterBox" and "Otterbox" are one value,
        // shown as its most common spelling.
        std::unordered_map<std::string, uint64_t> merged;
        std::unordered_map<std::string, std::pair<std::string, uint64_t>> spelling;
        for (const auto& [brand, n] : spy.brands()) {
          const std::string key = Xapian::Unicode::tolower(brand);
          merged[key] += n;
          auto& best = spelling[key];
          if (n > best.second || (n == best.second && brand < best.first)) best = {brand, n};
        }
        TopCounts(merged, scale, r.facet_size, &facet.values,
                  [](const std::string&) { return true; });
        for (auto& v : facet.values) v.value = v.label = spelling[v.value].first;
      } else if (f == "category") {
        // One level: the children of the filtered category, or the top-level departments.
        const std::string parent = r.categories.size() == 1 ? r.categories[0] : "";
        TopCounts(spy.categories(), scale, r.facet_size, &facet.values,
                  [&](const std::string& id) { return ParentOf(id) == parent; });
        for (auto& v : facet.values) v.label = names->Get(v.value);
      } else {
        const auto& b = spy.price_buckets();
        for (size_t i = 0; i < b.size(); ++i) {
          if (b[i] == 0) continue;
          const int64_t lo = i == 0 ? 0 : kPriceBucketBounds[i - 1];
          FacetValue v;
          v.count = static_cast<uint64_t>(static_cast<double>(b[i]) * scale + 0.5);
          if (i < kPriceBucketBounds.size()) {
            const int64_t hi = kPriceBucketBounds[i] - 1;
            v.value = std::to_string(lo) + ".." + std::to_string(hi);
            v.label = PriceLabel(lo) + " - " + PriceLabel(hi);
          } else {
            v.value = std::to_string(lo) + "..";
            v.label = PriceLabel(lo) + " and above";
          }
          facet.values.push_back(std::move(v));
        }
      }
      out.facets.push_back(std::move(facet));
    }
  }
  return out;
}

// The words to mark in titles: the text's and its synonym variants'.
HighlightTerms HighlightFor(const std::string& text, bool partial, const Synonyms& synonyms,
                            const Xapian::Stem& stem) {
  HighlightTerms terms = TermsToHighlight(text, partial, stem);
  for (const auto& v : synonyms.Variants(text, stem)) {
    auto more = TermsToHighlight(v, false, stem);
    terms.stems.insert(more.stems.begin(), more.stems.end());
  }
  return terms;
}

// The text with each word the index does not know replaced by the spelling dictionary's
// nearest word, or "" when there is nothing to correct. A typo is one edit away (a swapped,
// dropped, doubled or wrong letter), two in a long word: a word further from every indexed
// word ("handset" in a catalog that says "headset") is not a typo and is kept. Words under
// four letters are kept too: most unknown short words in real queries are abbreviations
// ("spr", "unv", "ult" in the Best Buy log), not typos. So are words with digits (models).
// Checking known words costs a term lookup each; only unknown ones cost a suggestion.
std::string Correct(Reader& reader, const std::string& text, bool skip_last_word) {
  auto words = Words(text);
  bool changed = false;
  for (size_t i = 0; i < words.size(); ++i) {
    std::string& w = words[i];
    if (skip_last_word && i + 1 == words.size()) break;
    if (w.size() < kMinCorrectedWord || std::any_of(w.begin(), w.end(), [](char ch) { return ch >= '0' && ch <= '9'; }))
      continue;
    if (reader.db.term_exists(reader.stemmer(w)) || reader.db.term_exists(w)) continue;
    std::string fix = reader.db.get_spelling_suggestion(w, w.size() >= 8 ? 2 : 1);
    if (!fix.empty() && fix != w) w = std::move(fix), changed = true;
  }
  if (!changed) return "";
  std::string out;
  for (const auto& w : words) out += (out.empty() ? "" : " ") + w;
  return out;
}

Result<SearchResult> Run(Reader& reader, const CheckedRequest& c, const Synonyms& synonyms,
                         CategoryNames* names) {
  const SearchRequest& r = *c.request;
  const Xapian::Query filters = Filters(r);
  if (!c.has_text) return Execute(reader, c, Xapian::Query(), {}, filters, names);

  const bool partial = r.prefix && LastWordIsPartial(r.text);
  const unsigned flags = kBaseFlags | (partial ? unsigned{QP::FLAG_PARTIAL} : 0u);
  COMMERCE_ASSIGN_OR_RETURN(Parsed typed, Parse(reader, synonyms, r.text, flags, Xapian::Query::OP_AND));
  const HighlightTerms typed_terms = HighlightFor(r.text, partial, synonyms, reader.stemmer);
  COMMERCE_ASSIGN_OR_RETURN(SearchResult res,
                            Execute(reader, c, typed.query, typed_terms, filters, names));
  if (res.total > 0) {
    // "Did you mean", for the words that are complete.
    res.corrected_query = Correct(reader, r.text, partial);
    return res;
  }
  // Nothing matched: the last word too may be a typo rather than a prefix.
  const std::string corrected = Correct(reader, r.text, false);
  res.corrected_query = corrected;
  if (!r.typo_tolerance && !r.relax) return res;
  std::string text = r.text;
  unsigned text_flags = flags;
  if (r.typo_tolerance && !corrected.empty()) {
    COMMERCE_ASSIGN_OR_RETURN(Parsed fixed, Parse(reader, synonyms, corrected, kBaseFlags, Xapian::Query::OP_AND));
    COMMERCE_ASSIGN_OR_RETURN(
        SearchResult again,
        Execute(reader, c, fixed.query, HighlightFor(corrected, false, synonyms, reader.stemmer),
                filters, names));
    again.corrected_query = corrected;
    again.used_correction = true;
    if (again.total > 0 || !r.relax) return again;
    text = corrected, text_flags = kBaseFlags;
  }
  if (!r.relax || CountWords(text) < 2) return res;
  COMMERCE_ASSIGN_OR_RETURN(Parsed any, Parse(reader, synonyms, text, text_flags, Xapian::Query::OP_OR));
  COMMERCE_ASSIGN_OR_RETURN(
      SearchResult relaxed,
      Execute(reader, c, any.query,
              HighlightFor(text, text_flags & QP::FLAG_PARTIAL, synonyms, reader.stemmer), filters,
              names));
  relaxed.corrected_query = corrected;
  relaxed.used_correction = text != r.text;
  relaxed.relaxed = true;
  return relaxed;
}

}  // namespace

Result<SearchResult> RunQuery(Reader& reader, const CheckedRequest& request,
                              const Synonyms& synonyms, CategoryNames* names, bool* modified) {
  *modified = false;
  try {
    return Run(reader, request, synonyms, names);
  } catch (const Xapian::DatabaseModifiedError& e) {
    *modified = true;
    return FromXapian(e, "query");
  } catch (const Xapian::Error& e) {
    return FromXapian(e, "query");
  }
}

}  // namespace commerce::search
