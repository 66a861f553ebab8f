#include "search/query_runner.h"

#include <algorithm>
#include <cctype>
#include <memory>
#include <set>

#include "search/corrector.h"
#include "search/facet_spy.h"
#include "search/highlight.h"
#include "search/index_schema.h"
#include "search/indexer.h"
#include "search/query_builder.h"
#include "search/query_text.h"

namespace commerce::search {

namespace {

Xapian::Query AnyOf(std::string_view prefix, const std::vector<std::string>& values) {
  std::vector<Xapian::Query> terms;
  for (const auto& v : values) terms.emplace_back(BooleanTerm(prefix, v));
  return Xapian::Query(Xapian::Query::OP_OR, terms.begin(), terms.end());
}

// The request's filters; a disjunctive facet's counts leave its own field's filter out.
enum class Without { kNothing, kBrands, kCategories, kPrice };

Xapian::Query Filters(const SearchRequest& r, Without without = Without::kNothing) {
  std::vector<Xapian::Query> parts;
  if (!r.brands.empty() && without != Without::kBrands) parts.push_back(AnyOf(kPrefixBrand, r.brands));
  if (!r.categories.empty() && without != Without::kCategories)
    parts.push_back(AnyOf(kPrefixCategory, r.categories));
  auto ser = [](int64_t v) { return Xapian::sortable_serialise(static_cast<double>(v)); };
  if (without == Without::kPrice) {
    // no price range
  } else if (r.price_min && r.price_max)
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

std::string PriceLabel(int64_t minor) {
  return std::to_string(minor / 100) + "." + (minor % 100 < 10 ? "0" : "") +
         std::to_string(minor % 100);
}

std::string ParentOf(const std::string& id) {
  size_t slash = id.rfind('/');
  return slash == std::string::npos ? "" : id.substr(0, slash);
}

uint64_t Scaled(uint64_t n, double scale) {
  return static_cast<uint64_t>(static_cast<double>(n) * scale + 0.5);
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
  for (auto& [value, n] : v) {
    FacetValue fv;
    fv.value = value;
    fv.count = Scaled(n, scale);
    out->push_back(std::move(fv));
  }
}

// An Enquire for `text` within `filters`, weighted as the plan needs: BoolWeight for a
// browse; BM25 with little length normalisation (b = 0.1, Xapian's default is 0.5) for
// text: a product's length is mostly its description, which says less about what the
// product is than its title; a long description should not push a title match down. Chosen
// on the Best Buy sample (commerce-bench search-quality): b 0.5 -> 0.1 raised NDCG@10 by
// about 0.01. A relaxed query drops products below its minimum share of words by weight.
Xapian::Enquire MakeEnquire(Reader& reader, const QueryPlan* plan, const Xapian::Query& filters) {
  const Xapian::Query text = plan ? plan->query : MatchAllQuery();
  Xapian::Enquire enquire(reader.db);
  enquire.set_query(filters.empty() ? text : Xapian::Query(Xapian::Query::OP_FILTER, text, filters));
  if (plan && plan->min_weight > 0) enquire.set_cutoff(0, plan->min_weight);
  if (!plan) enquire.set_weighting_scheme(Xapian::BoolWeight());
  else enquire.set_weighting_scheme(Xapian::BM25Weight(1.2, 0, 1, 0.1, 0.5));
  return enquire;
}

// Facet counts from one run: the spy, and how they stand to the run's total.
struct Counts {
  std::unique_ptr<FacetSpy> spy;
  bool exact = true;
  double scale = 1.0;  // seen -> total, when the spy saw only the first kFacetExactCap matches
};

// Counting facets exactly means looking at every match: up to the cap, and no further.
constexpr Xapian::doccount kFacetCheck = static_cast<Xapian::doccount>(kFacetExactCap);

void Settle(Counts* counts, const Xapian::MSet& mset) {
  const uint64_t total = mset.get_matches_estimated();
  const uint64_t seen = counts->spy->total_seen();
  counts->exact = mset.get_matches_lower_bound() == mset.get_matches_upper_bound() && seen >= total;
  counts->scale = counts->exact || seen == 0 ? 1.0 : static_cast<double>(total) / seen;
}

// The counts of a disjunctive facet: the same text, every filter but the facet's own.
Counts CountWithout(Reader& reader, const CheckedRequest& c, const QueryPlan* plan, Without without) {
  const SearchRequest& r = *c.request;
  Counts counts{.spy = std::make_unique<FacetSpy>(without == Without::kBrands,
                                                  without == Without::kCategories,
                                                  without == Without::kPrice, r.price_buckets)};
  Xapian::Enquire enquire = MakeEnquire(reader, plan, Filters(r, without));
  enquire.add_matchspy(counts.spy.get());
  Settle(&counts, enquire.get_mset(0, 0, kFacetCheck));
  return counts;
}

Facet BrandFacet(const Counts& counts, size_t size) {
  Facet facet{.field = "brand", .exact = counts.exact};
  // Brands filter case-insensitively, so "OtterBox" and "Otterbox" are one value, shown as
  // its most common spelling.
  std::unordered_map<std::string, uint64_t> merged;
  std::unordered_map<std::string, std::pair<std::string, uint64_t>> spelling;
  for (const auto& [brand, n] : counts.spy->brands()) {
    const std::string key = Xapian::Unicode::tolower(brand);
    merged[key] += n;
    auto& best = spelling[key];
    if (n > best.second || (n == best.second && brand < best.first)) best = {brand, n};
  }
  TopCounts(merged, counts.scale, size, &facet.values, [](const std::string&) { return true; });
  for (auto& v : facet.values) v.value = v.label = spelling[v.value].first;
  return facet;
}

// One level of categories: the children of `parent` ("" for the departments).
Facet CategoryFacet(const Counts& counts, const std::string& parent, size_t size, CategoryNames* names) {
  Facet facet{.field = "category", .exact = counts.exact};
  TopCounts(counts.spy->categories(), counts.scale, size, &facet.values,
            [&](const std::string& id) { return ParentOf(id) == parent; });
  for (auto& v : facet.values) v.label = names->Get(v.value);
  return facet;
}

// Every level from the departments down to the children of each filtered category: the
// children of "" and of every filtered category and its ancestors, `size` per parent,
// ordered by level, then parent, then count.
Facet CategoryTreeFacet(const Counts& counts, const std::vector<std::string>& filtered, size_t size,
                        CategoryNames* names) {
  Facet facet{.field = "category_tree", .exact = counts.exact};
  std::set<std::string> parents{""};
  for (const auto& id : filtered)
    for (auto& up : CategoryLineage(id)) parents.insert(std::move(up));
  std::vector<std::pair<size_t, std::string>> order;  // (level, parent)
  for (const auto& p : parents) order.emplace_back(p.empty() ? 0 : CategoryLineage(p).size(), p);
  std::sort(order.begin(), order.end());
  // Not a structured binding: clang 14 (tools/fuzz) cannot capture one in a lambda.
  for (const auto& entry : order) {
    const size_t level = entry.first;
    const std::string& parent = entry.second;
    const size_t first = facet.values.size();
    TopCounts(counts.spy->categories(), counts.scale, size, &facet.values,
              [&](const std::string& id) { return ParentOf(id) == parent; });
    for (size_t i = first; i < facet.values.size(); ++i) {
      facet.values[i].label = names->Get(facet.values[i].value);
      facet.values[i].level = static_cast<uint32_t>(level);
      facet.values[i].parent = parent;
    }
  }
  return facet;
}

Facet PriceFacet(const Counts& counts) {
  Facet facet{.field = "price", .exact = counts.exact};
  const auto& bounds = counts.spy->bounds();
  const auto& b = counts.spy->price_buckets();
  for (size_t i = 0; i < b.size(); ++i) {
    if (b[i] == 0) continue;
    const int64_t lo = i == 0 ? 0 : bounds[i - 1];
    FacetValue v;
    v.count = Scaled(b[i], counts.scale);
    if (i < bounds.size()) {
      const int64_t hi = bounds[i] - 1;
      v.value = std::to_string(lo) + ".." + std::to_string(hi);
      v.label = PriceLabel(lo) + " - " + PriceLabel(hi);
    } else {
      v.value = std::to_string(lo) + "..";
      v.label = PriceLabel(lo) + " and above";
    }
    facet.values.push_back(std::move(v));
  }
  return facet;
}

// The parent whose children a disjunctive category facet lists: the filtered categories'
// own level (their common parent; the departments when they have none in common).
std::string SiblingsParent(const std::vector<std::string>& filtered) {
  std::string parent = ParentOf(filtered.front());
  for (const auto& id : filtered)
    if (ParentOf(id) != parent) return "";
  return parent;
}

// Runs one plan (or a browse, when `plan` is null) with the request's filters, sort, page
// and facets.
Result<SearchResult> Execute(Reader& reader, const CheckedRequest& c, const QueryPlan* plan,
                             const Xapian::Query& filters, CategoryNames* names) {
  const SearchRequest& r = *c.request;
  static const HighlightTerms kNothing;
  const HighlightTerms& highlight = plan ? plan->highlight : kNothing;
  Xapian::Enquire enquire = MakeEnquire(reader, plan, filters);
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
  // The category tree counts its upper levels without the category filter (the filtered
  // category's siblings and their ancestors' siblings), as a disjunctive facet does.
  const bool tree_unfiltered = c.facet_tree && !r.categories.empty();
  const bool own_categories = c.own_category || tree_unfiltered;
  // The facets counted on the matches themselves, in the same pass as the page.
  const bool spy_brand = c.facet_brand && !c.own_brand;
  const bool spy_category = (c.facet_category && !c.own_category) || (c.facet_tree && !tree_unfiltered);
  const bool spy_price = c.facet_price && !c.own_price;
  Counts main{.spy = std::make_unique<FacetSpy>(spy_brand, spy_category, spy_price, r.price_buckets)};
  const bool facets = spy_brand || spy_category || spy_price;
  if (facets) enquire.add_matchspy(main.spy.get());
  Xapian::MSet mset = enquire.get_mset(static_cast<Xapian::doccount>(r.offset),
                                       static_cast<Xapian::doccount>(r.limit), facets ? kFacetCheck : 0);

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
    hit.score = plan ? TextWeight(it.get_weight()) : 0;
    out.hits.push_back(std::move(hit));
  }
  if (r.facets.empty()) return out;
  if (facets) Settle(&main, mset);
  Counts by_brand, by_category, by_price;
  if (c.own_brand) by_brand = CountWithout(reader, c, plan, Without::kBrands);
  if (own_categories) by_category = CountWithout(reader, c, plan, Without::kCategories);
  if (c.own_price) by_price = CountWithout(reader, c, plan, Without::kPrice);
  for (const auto& f : r.facets) {
    if (f == "brand") {
      out.facets.push_back(BrandFacet(c.own_brand ? by_brand : main, r.facet_size));
    } else if (f == "category") {
      // One level: the children of the filtered category, or the top-level departments; a
      // disjunctive one, the filtered categories and their siblings.
      if (c.own_category)
        out.facets.push_back(CategoryFacet(by_category, SiblingsParent(r.categories), r.facet_size, names));
      else
        out.facets.push_back(CategoryFacet(main, r.categories.size() == 1 ? r.categories[0] : "",
                                           r.facet_size, names));
    } else if (f == "category_tree") {
      out.facets.push_back(
          CategoryTreeFacet(tree_unfiltered ? by_category : main, r.categories, r.facet_size, names));
    } else {
      out.facets.push_back(PriceFacet(c.own_price ? by_price : main));
    }
  }
  return out;
}

Result<SearchResult> Run(Reader& reader, const CheckedRequest& c, const Synonyms& synonyms,
                         const WordList& words, CategoryNames* names) {
  const SearchRequest& r = *c.request;
  const Xapian::Query filters = Filters(r);
  if (!c.has_text) return Execute(reader, c, nullptr, filters, names);

  QueryBuilder builder(reader, synonyms);
  Corrector corrector(reader, words, builder);
  const QueryText typed = ParseQueryText(r.text, r.prefix);
  COMMERCE_ASSIGN_OR_RETURN(QueryPlan every, builder.Every(typed, r.text));
  if (every.query.empty()) return Execute(reader, c, nullptr, filters, names);  // only stopwords
  COMMERCE_ASSIGN_OR_RETURN(SearchResult res, Execute(reader, c, &every, filters, names));
  if (res.total > 0) {
    // "Did you mean", for words the index does not know (an OR alternative, say).
    COMMERCE_ASSIGN_OR_RETURN(Correction dym, corrector.Correct(typed, r.text, filters, false));
    res.corrected_query = dym.text;
    return res;
  }
  // Nothing matched: correct the words against the rest of the query, then relax.
  COMMERCE_ASSIGN_OR_RETURN(Correction fix, corrector.Correct(typed, r.text, filters, true));
  res.corrected_query = fix.text;
  if (!r.typo_tolerance && !r.relax) return res;
  std::string text = r.text;
  QueryText query = typed;
  if (r.typo_tolerance && !fix.text.empty()) {
    QueryText corrected = ParseQueryText(fix.text, r.prefix);
    COMMERCE_ASSIGN_OR_RETURN(QueryPlan plan, builder.Every(corrected, fix.text));
    COMMERCE_ASSIGN_OR_RETURN(SearchResult again, Execute(reader, c, &plan, filters, names));
    again.corrected_query = fix.text;
    again.used_correction = true;
    if (again.total > 0 || !r.relax) return again;
    text = fix.text;
    query = std::move(corrected);
  }
  if (!r.relax) return res;
  COMMERCE_ASSIGN_OR_RETURN(QueryPlan share, builder.Share(query, text, r.minimum_should_match));
  if (share.query.empty()) return res;
  COMMERCE_ASSIGN_OR_RETURN(SearchResult relaxed, Execute(reader, c, &share, filters, names));
  if (relaxed.total == 0) return res;
  relaxed.corrected_query = fix.text;
  relaxed.used_correction = text != r.text;
  relaxed.relaxed = true;
  return relaxed;
}

}  // namespace

Result<SearchResult> RunQuery(Reader& reader, const CheckedRequest& request,
                              const Synonyms& synonyms, const WordList& words, CategoryNames* names,
                              bool* modified, bool* lost) {
  *modified = false;
  if (lost) *lost = false;
  try {
    return Run(reader, request, synonyms, words, names);
  } catch (const Xapian::DatabaseModifiedError& e) {
    *modified = true;
    return FromXapian(e, "query");
  } catch (const Xapian::NetworkError& e) {
    if (lost) *lost = true;
    return FromXapian(e, "query");
  } catch (const Xapian::Error& e) {
    return FromXapian(e, "query");
  }
}

}  // namespace commerce::search
