#include "search/query_runner.h"

#include <algorithm>
#include <cctype>
#include <memory>
#include <set>
#include <unordered_map>

#include "search/caller_prices.h"
#include "search/category_intent.h"
#include "search/corrector.h"
#include "search/facet_spy.h"
#include "search/highlight.h"
#include "search/index_schema.h"
#include "search/indexer.h"
#include "search/query_builder.h"
#include "search/query_text.h"
#include "search/ranked_page.h"

namespace commerce::search {

namespace {

Xapian::Query AnyOf(std::string_view prefix, const std::vector<std::string>& values) {
  std::vector<Xapian::Query> terms;
  for (const auto& v : values) terms.emplace_back(BooleanTerm(prefix, v));
  return Xapian::Query(Xapian::Query::OP_OR, terms.begin(), terms.end());
}

// The request's filters; a disjunctive facet's counts leave its own field's filter out.
enum class Without { kNothing, kBrands, kCategories, kPrice };

// The products a channel shows (channels.h): listed under one of its categories (category
// terms hold every ancestor) or named by it, and not excluded, which wins. Terms only, so
// remote shards filter alike.
Xapian::Query VisibleIn(const Channel& ch) {
  std::vector<Xapian::Query> shown;
  for (const auto& id : ch.category_ids) shown.emplace_back(BooleanTerm(kPrefixCategory, id));
  for (const auto& id : ch.product_ids) shown.emplace_back(IdTerm(id));
  Xapian::Query q = shown.empty() ? MatchAllQuery() : Xapian::Query(Xapian::Query::OP_OR, shown.begin(), shown.end());
  if (ch.excluded_product_ids.empty()) return q;
  std::vector<Xapian::Query> hidden;
  for (const auto& id : ch.excluded_product_ids) hidden.emplace_back(IdTerm(id));
  return Xapian::Query(Xapian::Query::OP_AND_NOT, q,
                       Xapian::Query(Xapian::Query::OP_OR, hidden.begin(), hidden.end()));
}

Xapian::Query Filters(const CheckedRequest& c, Without without = Without::kNothing) {
  const SearchRequest& r = *c.request;
  std::vector<Xapian::Query> parts;
  if (c.channel) parts.push_back(VisibleIn(*c.channel));
  if (!r.brands.empty() && without != Without::kBrands) parts.push_back(AnyOf(kPrefixBrand, r.brands));
  if (!r.categories.empty() && without != Without::kCategories)
    parts.push_back(AnyOf(kPrefixCategory, r.categories));
  auto ser = [](int64_t v) { return Xapian::sortable_serialise(static_cast<double>(v)); };
  if (without == Without::kPrice) {
    // no price range
  } else if (c.prices && (r.price_min || r.price_max)) {
    // The caller's prices: a product without one in the currency is left out.
    parts.push_back(CallerPriceRange(c.prices, r.price_min, r.price_max));
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
//
// `excluded`: products left out whatever they match (hidden or pinned by a rule), or empty.
Xapian::Enquire MakeEnquire(Reader& reader, const QueryPlan* plan, const Xapian::Query& filters,
                            const Xapian::Query& excluded = Xapian::Query()) {
  Xapian::Query text = plan ? plan->query : MatchAllQuery();
  if (!excluded.empty()) text = Xapian::Query(Xapian::Query::OP_AND_NOT, text, excluded);
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
Counts CountWithout(Reader& reader, const CheckedRequest& c, const QueryPlan* plan, Without without,
                    const Xapian::Query& excluded) {
  const SearchRequest& r = *c.request;
  Counts counts{.spy = std::make_unique<FacetSpy>(without == Without::kBrands,
                                                  without == Without::kCategories,
                                                  without == Without::kPrice, r.price_buckets)};
  if (c.prices) counts.spy->UseCallerPrices(c.prices);
  Xapian::Enquire enquire = MakeEnquire(reader, plan, Filters(c, without), excluded);
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

// Every order ends with the product id (sort_key.h), so equal scores and equal prices come
// back in the same order from any index of the same catalog, and pages neither repeat nor
// skip. Value sorts with such keys work over remote shards too (a KeyMaker would not).
//
// The caller's prices (SearchRequest::currency) sort through a KeyMaker: local indexes only.
void SetSort(Xapian::Enquire& enquire, const CheckedRequest& c) {
  const SortBy sort = c.sort;
  if (c.prices && (sort == SortBy::kPriceAsc || sort == SortBy::kPriceDesc)) {
    enquire.set_sort_by_key((new CallerPriceKey(c.prices, sort == SortBy::kPriceDesc))->release(), false);
    return;
  }
  switch (sort) {
    case SortBy::kRelevance: enquire.set_sort_by_relevance_then_value(kSlotOrderPopularity, false); break;
    case SortBy::kPopularity: enquire.set_sort_by_value(kSlotOrderPopularity, false); break;
    case SortBy::kPriceAsc: enquire.set_sort_by_value(kSlotOrderPriceAsc, false); break;
    case SortBy::kPriceDesc: enquire.set_sort_by_value(kSlotOrderPriceDesc, false); break;
    case SortBy::kNewest: enquire.set_sort_by_value(kSlotOrderNewest, false); break;
  }
}

const char* SortName(SortBy sort) {
  switch (sort) {
    case SortBy::kRelevance: return "relevance";
    case SortBy::kPopularity: return "popularity";
    case SortBy::kPriceAsc: return "price_asc";
    case SortBy::kPriceDesc: return "price_desc";
    case SortBy::kNewest: return "newest";
  }
  return "";
}

// How the text a plan runs was made, for explanations.
struct PlanOrigin {
  std::string text;
  bool corrected = false;
};

// One Execute's view of the rules: what is left out of the ranked list, and the tiers.
struct RuleQueries {
  Xapian::Query hidden;    // hidden products (empty: none)
  Xapian::Query excluded;  // hidden and pinned: left out of the ranked list
  Xapian::Query boosted, buried;
};

RuleQueries QueriesOf(const AppliedRules& rules) {
  RuleQueries q;
  if (!rules.hide_terms.empty()) q.hidden = AnyTerm(rules.hide_terms);
  std::vector<std::string> out = rules.hide_terms;
  for (const auto& p : rules.pins) out.push_back(IdTerm(p.product_id));
  if (!out.empty()) q.excluded = AnyTerm(out);
  std::vector<std::string> terms;
  for (const auto& t : rules.boosts) terms.insert(terms.end(), t.terms.begin(), t.terms.end());
  if (!terms.empty()) q.boosted = AnyTerm(terms);
  terms.clear();
  for (const auto& t : rules.buries) terms.insert(terms.end(), t.terms.begin(), t.terms.end());
  if (!terms.empty()) q.buried = AnyTerm(terms);
  return q;
}

Xapian::Query And(const Xapian::Query& a, const Xapian::Query& b) {
  if (a.empty()) return b;
  if (b.empty()) return a;
  return Xapian::Query(Xapian::Query::OP_AND, a, b);
}

Xapian::Query Or(const Xapian::Query& a, const Xapian::Query& b) {
  if (a.empty()) return b;
  if (b.empty()) return a;
  return Xapian::Query(Xapian::Query::OP_OR, a, b);
}

// The hit at `it`, with its explanation when asked for.
Result<SearchHit> MakeHit(Reader& reader, const Xapian::Enquire& enquire, const Xapian::MSetIterator& it,
                          const CheckedRequest& c, const QueryPlan* plan, const PlanOrigin& origin,
                          const HighlightTerms& highlight) {
  HitData h;
  Xapian::Document doc = it.get_document();
  if (!DecodeHitData(doc.get_data(), &h))
    return Status::Corruption("search index: a document's data does not decode");
  SearchHit hit;
  hit.highlighted_title = Highlight(h.title, highlight, reader.title_stems);
  hit.product_id = std::move(h.product_id);
  hit.title = std::move(h.title);
  hit.brand = std::move(h.brand);
  hit.price = std::move(h.price);
  if (c.prices) {
    const CallerPrice p = c.prices->Of(doc);
    hit.price = p.priced ? Money{p.minor, c.prices->currency} : Money{};
    hit.price_list_id = std::string(p.list_id);
  }
  hit.in_stock = h.in_stock;
  hit.score = plan ? TextWeight(it.get_weight()) : 0;
  if (!c.request->explain) return hit;
  HitExplanation e;
  e.query = origin.text;
  e.corrected = origin.corrected;
  e.relaxed = plan && plan->relaxed;
  if (e.relaxed) e.words_matched = MatchedWords(it.get_weight());
  e.weight = hit.score;
  e.sort = SortName(c.sort);
  if (plan) {
    // Each matched term's own BM25 part: the same weighting over a query of that term alone,
    // restricted to this product (a synonym or a completion weighs as one term within its
    // group in the real query, so the parts need not add up to the whole).
    const Xapian::Query self(IdTerm(hit.product_id));
    for (auto t = enquire.get_matching_terms_begin(it); t != enquire.get_matching_terms_end(it); ++t) {
      ScoreTerm st;
      st.term = *t;
      auto dt = doc.termlist_begin();
      dt.skip_to(*t);
      if (dt != doc.termlist_end() && *dt == *t) st.wdf = dt.get_wdf();
      if (*t == plan->code_term) {
        // Boolean, but it weighs: what an exact code match adds (above any text weight).
        st.weight = kCodeWeight;
        e.terms.push_back(std::move(st));
        continue;
      }
      if (st.wdf == 0) continue;  // a boolean term of a filter or a rule's tier: no weight
      Xapian::Enquire one(reader.db);
      one.set_query(Xapian::Query(Xapian::Query::OP_FILTER, Xapian::Query(*t), self));
      one.set_weighting_scheme(Xapian::BM25Weight(1.2, 0, 1, 0.1, 0.5));
      Xapian::MSet m = one.get_mset(0, 1);
      if (!m.empty()) st.weight = m.begin().get_weight();
      e.terms.push_back(std::move(st));
    }
    std::sort(e.terms.begin(), e.terms.end(), [](const ScoreTerm& a, const ScoreTerm& b) {
      return a.weight != b.weight ? a.weight > b.weight : a.term < b.term;
    });
  }
  hit.explanation = std::move(e);
  return hit;
}

// Marks a ranked hit's tier and the rules that put it there.
void ExplainTier(SearchHit* hit, const Xapian::Document& doc, const char* tier,
                 const std::vector<AppliedRules::Tier>& rules) {
  if (!hit->explanation) return;
  hit->explanation->tier = tier;
  for (const auto& r : rules)
    if (HasAnyTerm(doc, r.terms)) hit->explanation->rules.push_back(r.rule);
}

// The category-intent stage runs: a text query in relevance order that asks for it.
bool UsesIntent(const CheckedRequest& c, const QueryPlan* plan) {
  return plan && c.sort == SortBy::kRelevance && c.request->category_intent;
}

// A list's first matches as the category-intent stage reads them (category_intent.h): their
// weights, their categories (one value read each) and whether they match the text as a code
// (their weight says: kCodeWeight).
struct IntentWindow {
  std::vector<std::string> categories;  // owns what matches[i].categories views
  std::vector<IntentMatch> matches;
};

IntentWindow ReadIntentWindow(const std::vector<Xapian::MSetIterator>& list) {
  IntentWindow w;
  const size_t n = std::min(list.size(), kIntentWindow);
  w.categories.resize(n);
  // Each through its document (a value stream visited in document order was measured slower
  // on two shards: docs/search.md, "Performance"), which remote shards send too.
  for (size_t i = 0; i < n; ++i) w.categories[i] = list[i].get_document().get_value(kSlotCategories);
  w.matches.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    const double weight = list[i].get_weight();
    w.matches.push_back({weight, w.categories[i], CodeMatched(weight)});
  }
  return w;
}

// Puts `list`'s first kIntentWindow matches in the stage's order; `parts` (when given)
// receives, in the new order, what the stage did to each of them.
void OrderByIntent(const CategoryIntent& intent, const IntentWindow& window,
                   std::vector<Xapian::MSetIterator>* list, std::vector<IntentPart>* parts) {
  const std::vector<size_t> order = intent.Order(window.matches);
  std::vector<Xapian::MSetIterator> head;
  head.reserve(order.size());
  for (size_t i : order) {
    head.push_back((*list)[i]);
    if (parts) parts->push_back(intent.PartOf(window.matches[i]));
  }
  std::copy(head.begin(), head.end(), list->begin());
}

// Sets a hit's explanation of the category-intent stage.
void ExplainIntent(SearchHit* hit, const IntentPart& part) {
  if (!hit->explanation) return;
  hit->explanation->intent_category = part.category;
  hit->explanation->intent_share = part.share;
  hit->explanation->intent_added = part.added;
}

// Runs one plan (or a browse, when `plan` is null) with the request's filters, sort, page
// and facets, and the rules that apply.
//
// Without rules, one Enquire gives the page and the facet counts. With them: hidden
// products are left out of everything (the page, the total, the facets); pinned products
// are left out of the ranked list and placed into it at their positions (a pin beyond the
// list's end goes right after it); with boosts or buries, the ranked list is three runs
// (boosted and not buried, neither, buried), each in the request's order, paged as one list.
//
// `*pinned` (when given): how many of the total are pins, not matches of the plan.
Result<SearchResult> Execute(Reader& reader, const CheckedRequest& c, const QueryPlan* plan,
                             const Xapian::Query& filters, CategoryNames* names,
                             const AppliedRules& rules, const PlanOrigin& origin,
                             size_t* pinned = nullptr, Xapian::MSet* run = nullptr) {
  const SearchRequest& r = *c.request;
  static const HighlightTerms kNothing;
  const HighlightTerms& highlight = plan ? plan->highlight : kNothing;
  const RuleQueries rq = QueriesOf(rules);
  Xapian::Enquire enquire = MakeEnquire(reader, plan, filters, rq.excluded);
  SetSort(enquire, c);
  // The category tree counts its upper levels without the category filter (the filtered
  // category's siblings and their ancestors' siblings), as a disjunctive facet does.
  const bool tree_unfiltered = c.facet_tree && !r.categories.empty();
  const bool own_categories = c.own_category || tree_unfiltered;
  // The facets counted on the matches themselves, in the same pass as the page.
  const bool spy_brand = c.facet_brand && !c.own_brand;
  const bool spy_category = (c.facet_category && !c.own_category) || (c.facet_tree && !tree_unfiltered);
  const bool spy_price = c.facet_price && !c.own_price;
  Counts main{.spy = std::make_unique<FacetSpy>(spy_brand, spy_category, spy_price, r.price_buckets)};
  if (c.prices) main.spy->UseCallerPrices(c.prices);
  const bool facets = spy_brand || spy_category || spy_price;
  if (facets) enquire.add_matchspy(main.spy.get());

  // The pinned products the request's filters let through, in pin order.
  struct Placed {
    SearchHit hit;
    size_t at = 0;  // 0-based position in the whole list
  };
  std::vector<Placed> pins;
  if (!rules.pins.empty()) {
    std::vector<std::string> terms;
    for (const auto& p : rules.pins) terms.push_back(IdTerm(p.product_id));
    Xapian::Enquire pinned(reader.db);
    Xapian::Query q = filters.empty() ? AnyTerm(terms)
                                      : Xapian::Query(Xapian::Query::OP_FILTER, AnyTerm(terms), filters);
    if (!rq.hidden.empty()) q = Xapian::Query(Xapian::Query::OP_AND_NOT, q, rq.hidden);
    pinned.set_query(q);
    pinned.set_weighting_scheme(Xapian::BoolWeight());
    Xapian::MSet m = pinned.get_mset(0, static_cast<Xapian::doccount>(terms.size()));
    std::unordered_map<std::string, SearchHit> found;
    for (auto it = m.begin(); it != m.end(); ++it) {
      COMMERCE_ASSIGN_OR_RETURN(SearchHit hit, MakeHit(reader, pinned, it, c, nullptr, origin, highlight));
      hit.score = 0;
      found.emplace(hit.product_id, std::move(hit));
    }
    for (const auto& p : rules.pins) {
      auto f = found.find(p.product_id);
      if (f == found.end()) continue;
      Placed placed{std::move(f->second), p.position - 1u};
      if (placed.hit.explanation) {
        placed.hit.explanation->tier = "pinned";
        placed.hit.explanation->rules = {p.rule};
        placed.hit.explanation->pinned_position = p.position;
        placed.hit.explanation->weight = 0;
      }
      pins.push_back(std::move(placed));
    }
  }

  // The ranked list's window: the request's, less the pins before and within it.
  size_t first = r.offset, count = r.limit;
  if (!pins.empty()) {
    // Positions need the ranked list's length (a pin past its end moves up to it). (Asking
    // for one item, not none: with none Xapian does not weigh matches, so a relaxed query's
    // weight cutoff would not count.)
    Xapian::MSet sized = enquire.get_mset(0, 1, static_cast<Xapian::doccount>(kMaxWindow));
    const size_t ranked = sized.get_matches_estimated();
    size_t prev = 0;
    for (size_t k = 0; k < pins.size(); ++k) {
      size_t at = pins[k].at;
      if (k > 0) at = std::max(at, prev + 1);
      pins[k].at = std::min(at, ranked + k);
      prev = pins[k].at;
    }
    size_t before = 0, within = 0;
    for (const auto& p : pins) {
      if (p.at < r.offset) ++before;
      else if (p.at < r.offset + r.limit) ++within;
    }
    first = r.offset - before;
    count = r.limit - within;
  }

  SearchResult out;
  out.index_seq = reader.index_seq;
  out.rules_applied = rules.ids;
  out.redirect = rules.redirect;
  std::vector<SearchHit> ranked;
  // (No MSet::fetch(): in Xapian 1.4.22 it crashes for a page that does not start at 0,
  // and it only helps remote databases.)
  Xapian::MSet mset;
  if (!rules.tiers()) {
    std::vector<Xapian::MSetIterator> page;
    std::vector<IntentPart> parts;  // the page's, as far as the category-intent stage placed it
    if (plan && c.sort == SortBy::kRelevance) {
      // By relevance alone, the ties put in key order afterwards (ranked_page.h): the same
      // page, without reading every match's sort key. A page within the category-intent
      // window needs the whole window, whatever page it is: the stage reorders it as one.
      const bool intent = UsesIntent(c, plan) && first < kIntentWindow;
      const size_t from = intent ? 0 : first;
      const size_t n = intent ? std::max(kIntentWindow, first + count) : count;
      RankedPage ranked_page = RankByRelevance(enquire, from, n, facets ? kFacetCheck : 0, plan->min_weight,
                                                 plan->relaxed);
      mset = std::move(ranked_page.run);
      page = std::move(ranked_page.hits);
      if (intent) {
        const IntentWindow window = ReadIntentWindow(page);
        CategoryIntent category_intent;
        category_intent.Learn(window.matches);
        OrderByIntent(category_intent, window, &page, &parts);
        const size_t lo = std::min(first, page.size()), hi = std::min(first + count, page.size());
        page = std::vector<Xapian::MSetIterator>(page.begin() + static_cast<std::ptrdiff_t>(lo),
                                                 page.begin() + static_cast<std::ptrdiff_t>(hi));
        parts.erase(parts.begin(), parts.begin() + static_cast<std::ptrdiff_t>(std::min(lo, parts.size())));
      }
    } else {
      mset = enquire.get_mset(static_cast<Xapian::doccount>(first), static_cast<Xapian::doccount>(count),
                              facets ? kFacetCheck : 0);
      for (auto it = mset.begin(); it != mset.end(); ++it) page.push_back(it);
    }
    for (size_t k = 0; k < page.size(); ++k) {
      COMMERCE_ASSIGN_OR_RETURN(SearchHit hit, MakeHit(reader, enquire, page[k], c, plan, origin, highlight));
      if (k < parts.size()) ExplainIntent(&hit, parts[k]);
      ranked.push_back(std::move(hit));
    }
  } else {
    // The whole list's total and facets (as many items as a plain run would weigh, so that a
    // relaxed query's cutoff counts alike), then each tier's part of the window.
    // With category intent, the list's first kIntentWindow matches (over every tier) say
    // which category leads; each tier's own first matches are ordered by that.
    const bool intent = UsesIntent(c, plan);
    const size_t whole = intent ? std::max(kIntentWindow, r.offset + r.limit) : r.offset + r.limit;
    mset = enquire.get_mset(0, static_cast<Xapian::doccount>(whole), facets ? kFacetCheck : 0);
    CategoryIntent category_intent;
    if (intent) {
      std::vector<Xapian::MSetIterator> head;
      for (auto it = mset.begin(); it != mset.end() && head.size() < kIntentWindow; ++it) head.push_back(it);
      category_intent.Learn(ReadIntentWindow(head).matches);
    }
    struct TierRun {
      const char* name;
      Xapian::Query filter, excluded;
      const std::vector<AppliedRules::Tier>* rules;
    };
    static const std::vector<AppliedRules::Tier> kNone;
    const TierRun tiers[] = {
        {"boosted", And(filters, rq.boosted), Or(rq.excluded, rq.buried), &rules.boosts},
        {"", filters, Or(rq.excluded, Or(rq.boosted, rq.buried)), &kNone},
        {"buried", And(filters, rq.buried), rq.excluded, &rules.buries},
    };
    size_t skip = first, need = count;
    for (const auto& t : tiers) {
      if (need == 0) break;
      if ((&t == &tiers[0] && rq.boosted.empty()) || (&t == &tiers[2] && rq.buried.empty())) continue;
      Xapian::Enquire e = MakeEnquire(reader, plan, t.filter, t.excluded);
      SetSort(e, c);
      // Checking at least skip + need matches makes the count exact whenever the tier has
      // fewer: how many of the window's first places it took. A part within the tier's
      // first kIntentWindow needs them all (the stage orders them as one).
      const bool reorder = intent && skip < kIntentWindow;
      const size_t from = reorder ? 0 : skip;
      const size_t n = reorder ? std::max(kIntentWindow, skip + need) : need;
      Xapian::MSet m;
      std::vector<Xapian::MSetIterator> list;
      if (plan && plan->relaxed && c.sort == SortBy::kRelevance) {
        // A relaxed query's ties are not Xapian's to break (ranked_page.h), in a tier too.
        RankedPage ranked_page = RankByRelevance(e, from, n, static_cast<Xapian::doccount>(skip + need),
                                                 plan->min_weight, true);
        m = std::move(ranked_page.run);
        list = std::move(ranked_page.hits);
      } else {
        m = e.get_mset(static_cast<Xapian::doccount>(from), static_cast<Xapian::doccount>(n),
                       static_cast<Xapian::doccount>(skip + need));
        for (auto it = m.begin(); it != m.end(); ++it) list.push_back(it);
      }
      std::vector<IntentPart> parts;
      if (reorder) OrderByIntent(category_intent, ReadIntentWindow(list), &list, &parts);
      size_t taken = 0;
      for (size_t k = reorder ? skip : 0; k < list.size() && taken < need; ++k, ++taken) {
        COMMERCE_ASSIGN_OR_RETURN(SearchHit hit, MakeHit(reader, e, list[k], c, plan, origin, highlight));
        if (hit.explanation) ExplainTier(&hit, list[k].get_document(), t.name, *t.rules);
        if (k < parts.size()) ExplainIntent(&hit, parts[k]);
        ranked.push_back(std::move(hit));
      }
      need -= taken;
      const size_t in_tier = m.get_matches_estimated();
      skip = skip > in_tier ? skip - in_tier : 0;
    }
  }
  out.total = mset.get_matches_estimated() + pins.size();
  if (run) *run = mset;
  if (pinned) *pinned = pins.size();
  out.total_exact = mset.get_matches_lower_bound() == mset.get_matches_upper_bound();
  // The page: pins at their places, the ranked hits in between.
  size_t next = 0;
  for (size_t at = r.offset; at < r.offset + r.limit; ++at) {
    auto pin = std::find_if(pins.begin(), pins.end(), [&](const Placed& p) { return p.at == at; });
    if (pin != pins.end()) {
      out.hits.push_back(std::move(pin->hit));
    } else if (next < ranked.size()) {
      out.hits.push_back(std::move(ranked[next++]));
    } else if (std::none_of(pins.begin(), pins.end(), [&](const Placed& p) { return p.at > at; })) {
      break;
    }
  }
  if (r.facets.empty()) return out;
  if (facets) Settle(&main, mset);
  Counts by_brand, by_category, by_price;
  if (c.own_brand) by_brand = CountWithout(reader, c, plan, Without::kBrands, rq.excluded);
  if (own_categories) by_category = CountWithout(reader, c, plan, Without::kCategories, rq.excluded);
  if (c.own_price) by_price = CountWithout(reader, c, plan, Without::kPrice, rq.excluded);
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
                         const AppliedRules& rules, const WordList& words, CategoryNames* names) {
  const SearchRequest& r = *c.request;
  const Xapian::Query filters = Filters(c);
  const PlanOrigin typed_origin{r.text, false};
  if (!c.has_text) return Execute(reader, c, nullptr, filters, names, rules, typed_origin);

  QueryBuilder builder(reader, synonyms);
  Corrector corrector(reader, words, builder);
  const QueryText typed = ParseQueryText(r.text, r.prefix);
  COMMERCE_ASSIGN_OR_RETURN(QueryPlan every, builder.Every(typed, r.text));
  if (every.query.empty())  // only stopwords
    return Execute(reader, c, nullptr, filters, names, rules, typed_origin);
  size_t pinned = 0;
  Xapian::MSet run;
  COMMERCE_ASSIGN_OR_RETURN(SearchResult res,
                            Execute(reader, c, &every, filters, names, rules, typed_origin, &pinned, &run));
  // The words as typed are the run's own terms: their frequencies are in its statistics.
  corrector.UseStats(&run);
  // Pinned products do not count as matches: a query whose words match nothing still gets
  // its correction and fall-back (the pins stay in the answer that comes of them).
  if (res.total > pinned) {
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
    COMMERCE_ASSIGN_OR_RETURN(SearchResult again,
                              Execute(reader, c, &plan, filters, names, rules, {fix.text, true}, &pinned));
    again.corrected_query = fix.text;
    again.used_correction = true;
    if (again.total > pinned || !r.relax) return again;
    text = fix.text;
    query = std::move(corrected);
  }
  if (!r.relax) return res;
  COMMERCE_ASSIGN_OR_RETURN(QueryPlan share, builder.Share(query, text, r.minimum_should_match));
  if (share.query.empty()) return res;
  COMMERCE_ASSIGN_OR_RETURN(SearchResult relaxed,
                            Execute(reader, c, &share, filters, names, rules, {text, text != r.text}, &pinned));
  if (relaxed.total == pinned) return res;
  relaxed.corrected_query = fix.text;
  relaxed.used_correction = text != r.text;
  relaxed.relaxed = true;
  return relaxed;
}

}  // namespace

Result<SearchResult> RunQuery(Reader& reader, const CheckedRequest& request,
                              const Synonyms& synonyms, const Rules& rules, const WordList& words,
                              CategoryNames* names, bool* modified, bool* lost) {
  *modified = false;
  if (lost) *lost = false;
  try {
    // The rules apply by the text as typed (a shopper's query), whatever correction runs.
    auto r = Run(reader, request, synonyms, rules.Apply(*request.request, request.now_ms), words, names);
    if (r.ok()) r->rules_version = rules.version();
    return r;
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
