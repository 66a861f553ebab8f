// Binds include/commerce/search.h, merchandising.h, search_analytics.h and suggest.h: queries,
// synonyms, merchandising rules, explanations, rebuilds, the index's stats, search analytics
// and suggestions.
#include "commerce/merchandising.h"
#include "commerce/search.h"
#include "commerce/search_analytics.h"
#include "commerce/suggest.h"

#include "bind.h"

namespace commerce::python {

void BindSearch(py::module_& m) {
  Value<SearchRequest>(m, "SearchRequest",
                       "A search: free text, filters, facets, sort and window. Search.query "
                       "also takes these fields as keywords.")
      .field("text", &SearchRequest::text, "Words, \"phrases\", -excluded words, a SKU; '' browses.")
      .field("brands", &SearchRequest::brands, "Exact brand names (case-insensitive), OR'ed.")
      .field("categories", &SearchRequest::categories, "Category ids (with sub-categories), OR'ed.")
      .field("price_min", &SearchRequest::price_min, "Minor units, inclusive, or None.")
      .field("price_max", &SearchRequest::price_max, "Minor units, inclusive, or None.")
      .field("in_stock", &SearchRequest::in_stock, "Only products with a sellable unit.")
      .field("attributes", &SearchRequest::attributes, "Attribute / option name -> value filters.")
      .field("facets", &SearchRequest::facets, "Any of 'brand', 'category', 'price', 'category_tree'.")
      .field("facet_size", &SearchRequest::facet_size, "Values per facet (1..100); per parent for 'category_tree'.")
      .field("disjunctive_facets", &SearchRequest::disjunctive_facets,
             "Multi-select facets among facets ('brand', 'category', 'price'): counted without their own filter.")
      .field("price_buckets", &SearchRequest::price_buckets,
             "The price facet's bucket bounds, ascending, minor units (at most 50, each > 0); [] = defaults.")
      .field("sort", &SearchRequest::sort,
             "'relevance', 'popularity', 'price_asc', 'price_desc', 'newest' ('' = default).")
      .field("offset", &SearchRequest::offset, "offset + limit <= MAX_WINDOW.")
      .field("limit", &SearchRequest::limit, "1..100.")
      .field("prefix", &SearchRequest::prefix, "The last word is a prefix (search-as-you-type).")
      .field("typo_tolerance", &SearchRequest::typo_tolerance, "Fall back to a spelling correction.")
      .field("relax", &SearchRequest::relax,
             "Fall back to some of the words when all words find nothing.")
      .field("minimum_should_match", &SearchRequest::minimum_should_match,
             "Percent of the words (1..100) a relaxed query needs; default 75.")
      .field("category_intent", &SearchRequest::category_intent,
             "Text in relevance order: the category the first 30 matches lead with goes first; False: BM25 order.")
      .field("min_index_seq", &SearchRequest::min_index_seq, "Read-your-writes: wait for this event seq.")
      .field("wait_timeout", &SearchRequest::wait_timeout, "How long to wait for min_index_seq.")
      .field("use_cache", &SearchRequest::use_cache, "False skips the result cache.")
      .field("allow_partial", &SearchRequest::allow_partial,
             "Remote shards: when a shard is down, answer from the others (partial) instead of raising.")
      .field("explain", &SearchRequest::explain, "Return, per hit, how it got its place (SearchHit.explanation).")
      .field("now_ms", &SearchRequest::now_ms,
             "The time rule schedules and the caller's prices are read at (ms since the Unix epoch); 0: now.")
      .field("channel", &SearchRequest::channel,
             "A channel id: only products visible in it; its default currency unless currency is given.")
      .field("currency", &SearchRequest::currency,
             "ISO 4217: price filters, the price facet and price sorts use the caller's price in it.")
      .field("customer_group", &SearchRequest::customer_group,
             "The caller's customer group, for price lists of a group ('' a guest).");
  Value<ScoreTerm>(m, "ScoreTerm", "A query term a hit matched and its part of the BM25 weight.")
      .field("term", &ScoreTerm::term, "As indexed: a word, 'Z' + a stem, or a SKU code.")
      .field("wdf", &ScoreTerm::wdf, "Within-document frequency (occurrences x the field's weight).")
      .field("weight", &ScoreTerm::weight, "The BM25 weight this term alone gives the product.");
  Value<HitExplanation>(m, "HitExplanation", "How a hit got its place (SearchRequest.explain).")
      .field("query", &HitExplanation::query, "The text it was found by: as typed, or the correction.")
      .field("corrected", &HitExplanation::corrected, "query is the spelling correction.")
      .field("relaxed", &HitExplanation::relaxed, "Only some of the words were required.")
      .field("words_matched", &HitExplanation::words_matched, "Relaxed: the words it matched.")
      .field("weight", &HitExplanation::weight, "The text's BM25 weight (the hit's score).")
      .field("terms", &HitExplanation::terms, "ScoreTerm list, by weight descending.")
      .field("tier", &HitExplanation::tier, "'pinned', 'boosted', 'buried' or '' (the search's own order).")
      .field("rules", &HitExplanation::rules, "Ids of the rules that placed it so.")
      .field("pinned_position", &HitExplanation::pinned_position, "Pinned: the pin's position (1-based).")
      .field("sort", &HitExplanation::sort, "The sort within its tier (then the product id).")
      .field("intent_category", &HitExplanation::intent_category,
             "Category intent: the hit's category its query's first matches voted for most ('' not placed by it).")
      .field("intent_share", &HitExplanation::intent_share, "That category's share of the votes (0..1).")
      .field("intent_added", &HitExplanation::intent_added,
             "What category intent added to weight (the hit ranks by weight + intent_added in its tier).");
  Value<SearchHit>(m, "SearchHit", "A product found.")
      .field("product_id", &SearchHit::product_id, "The product.")
      .field("title", &SearchHit::title, "Its title.")
      .field("highlighted_title", &SearchHit::highlighted_title, "HTML-escaped, matches in <b>..</b>.")
      .field("brand", &SearchHit::brand, "Its brand.")
      .field("price", &SearchHit::price,
             "The lowest variant price (Money); with a currency, the caller's (currency '' when none).")
      .field("price_list_id", &SearchHit::price_list_id,
             "With a currency: the price list the caller's price came from ('' the base price).")
      .field("in_stock", &SearchHit::in_stock, "A sellable unit exists.")
      .field("score", &SearchHit::score, "Relevance weight; 0 for other sorts.")
      .field("explanation", &SearchHit::explanation, "HitExplanation with SearchRequest.explain, else None.");
  Value<FacetValue>(m, "FacetValue", "One value of a facet and its count.")
      .field("value", &FacetValue::value, "A brand, a category id, or a price bucket 'min..max'.")
      .field("label", &FacetValue::label, "As shown to people.")
      .field("count", &FacetValue::count, "Matching products.")
      .field("level", &FacetValue::level, "'category_tree': depth, 0 for a department.")
      .field("parent", &FacetValue::parent, "'category_tree': the parent category's id ('' for a department).");
  Value<Facet>(m, "Facet", "Counts of one field over the matches.")
      .field("field", &Facet::field, "'brand', 'category', 'price' or 'category_tree'.")
      .field("values", &Facet::values, "FacetValue list.")
      .field("exact", &Facet::exact, "False: counts are estimates.");
  Value<SearchResult>(m, "SearchResult", "What a search found.")
      .field("hits", &SearchResult::hits, "SearchHit list.")
      .field("total", &SearchResult::total, "Matching products (exact when total_exact).")
      .field("total_exact", &SearchResult::total_exact, "Whether total is exact.")
      .field("facets", &SearchResult::facets, "Facet list, in the order requested.")
      .field("corrected_query", &SearchResult::corrected_query, "'Did you mean', or ''.")
      .field("used_correction", &SearchResult::used_correction, "Hits are those of corrected_query.")
      .field("relaxed", &SearchResult::relaxed, "Hits require some of the words, not every word.")
      .field("index_seq", &SearchResult::index_seq, "The event seq the index reflected.")
      .field("from_cache", &SearchResult::from_cache, "Served from the result cache.")
      .field("partial", &SearchResult::partial, "Remote shards were missing (allow_partial).")
      .field("missing_shards", &SearchResult::missing_shards, "The missing shards' numbers.")
      .field("rules_applied", &SearchResult::rules_applied, "Ids of the merchandising rules that applied.")
      .field("redirect", &SearchResult::redirect,
             "An applying rule's redirect URL (the lowest rule id's), or ''; the hits come all the same.")
      .field("rules_version", &SearchResult::rules_version, "The rule set's version it was made under.")
      .field("synonyms_version", &SearchResult::synonyms_version, "The synonym list's version it was made under.")
      .field("search_id", &SearchResult::search_id,
             "This search's id for Search.record_use, taken by any engine sharing the store; '' when "
             "not recorded (sampling, or a browse).");
  Value<SearchUse>(m, "SearchUse", "A result of a recorded search that the shopper used.")
      .field("search_id", &SearchUse::search_id, "SearchResult.search_id of the search that showed it.")
      .field("product_id", &SearchUse::product_id, "The product used (1..200 bytes).")
      .field("kind", &SearchUse::kind, "'click', 'add_to_cart' or 'order'.");
  Value<AnalyticsRequest>(m, "AnalyticsRequest", "The window of a search analytics report (whole hours).")
      .field("since_ms", &AnalyticsRequest::since_ms, "Window start (ms since the Unix epoch); 0: the oldest hour kept.")
      .field("until_ms", &AnalyticsRequest::until_ms, "Window end, exclusive; 0: now.")
      .field("limit", &AnalyticsRequest::limit, "Queries per list, 1..1000.");
  Value<QueryStats>(m, "QueryStats", "One query's counts over the window (lower-cased, spaces collapsed).")
      .field("query", &QueryStats::query, "The query.")
      .field("searches", &QueryStats::searches, "Recorded (sampled) searches.")
      .field("zero_results", &QueryStats::zero_results, "Of them, those that found nothing.")
      .field("used", &QueryStats::used, "Of them, those with at least one recorded use.")
      .field("clicks", &QueryStats::clicks, "Recorded clicks.")
      .field("add_to_carts", &QueryStats::add_to_carts, "Recorded adds to cart.")
      .field("orders", &QueryStats::orders, "Recorded orders.");
  Value<SearchAnalytics>(m, "SearchAnalytics", "Top, zero-result and unused queries over a window.")
      .field("since_ms", &SearchAnalytics::since_ms, "The window covered: start (an hour's first ms).")
      .field("until_ms", &SearchAnalytics::until_ms, "The window covered: end, exclusive.")
      .field("top_queries", &SearchAnalytics::top_queries, "QueryStats by searches, most first.")
      .field("zero_result_queries", &SearchAnalytics::zero_result_queries,
             "QueryStats that found nothing at least once, by zero_results.")
      .field("unused_queries", &SearchAnalytics::unused_queries,
             "QueryStats that found something and were never used, by such searches.")
      .field("searches", &SearchAnalytics::searches, "Recorded searches in the window.")
      .field("sampled_out", &SearchAnalytics::sampled_out, "Searches not recorded (sampling), since open.")
      .field("evicted", &SearchAnalytics::evicted, "Recorded searches whose counts were dropped (budget), since open.")
      .field("sample_rate", &SearchAnalytics::sample_rate, "SearchOptions.analytics_sample_rate.")
      .field("tracked", &SearchAnalytics::tracked, "(hour, query) pairs held now.");
  Value<SuggestRequest>(m, "SuggestRequest", "What a shopper has typed so far (Search.suggest).")
      .field("text", &SuggestRequest::text, "The text; its last word is a prefix unless it ends with a space (then the next title word is offered).")
      .field("limit", &SuggestRequest::limit, "1..50.")
      .field("typo_tolerance", &SuggestRequest::typo_tolerance, "Also complete words close to a misspelt one.")
      .field("popular_queries", &SuggestRequest::popular_queries, "Also offer recorded queries that fit.");
  Value<Suggestion>(m, "Suggestion", "A completed query.")
      .field("text", &Suggestion::text, "The completed query, lower-cased.")
      .field("source", &Suggestion::source, "'query' (a popular query), 'catalog' (the products' words) or 'phrase' (a completion and the title words most of its products go on with).")
      .field("count", &Suggestion::count, "'query': searches that found something; 'catalog', 'phrase': products with its words, the last two side by side in a title.")
      .field("corrected", &Suggestion::corrected, "A typed word was replaced by a close one.");
  Value<SuggestResult>(m, "SuggestResult", "Completions, best first.")
      .field("suggestions", &SuggestResult::suggestions, "Suggestion list.")
      .field("index_seq", &SuggestResult::index_seq, "The event seq the index reflected.");
  Value<SynonymGroup>(m, "SynonymGroup",
                      "Synonyms: multi-way (root '': every entry matches every other) or one-way "
                      "(the root also matches the synonyms, not the reverse).")
      .field("root", &SynonymGroup::root, "'' for a multi-way group.")
      .field("synonyms", &SynonymGroup::synonyms, "Words or phrases.");
  Value<SynonymSet>(m, "SynonymSet", "The synonym list and its version.")
      .field("version", &SynonymSet::version, "0: never set; each change adds one.")
      .field("groups", &SynonymSet::groups, "SynonymGroup list.");
  Value<ProductSelector>(m, "ProductSelector", "Products matching any of the lists.")
      .field("product_ids", &ProductSelector::product_ids, "Product ids.")
      .field("brands", &ProductSelector::brands, "Brands, case-insensitive.")
      .field("categories", &ProductSelector::categories, "Categories, with their sub-categories.")
      .field("attributes", &ProductSelector::attributes, "Attribute / option name -> value.");
  Value<PinnedProduct>(m, "PinnedProduct", "A product shown at a position (1-based, whole list).")
      .field("product_id", &PinnedProduct::product_id, "The product.")
      .field("position", &PinnedProduct::position, "1..MAX_WINDOW.");
  Value<MerchandisingRule>(m, "MerchandisingRule",
                           "Pins, hides, boosts or buries products, or redirects, for a query and/or "
                           "category, always or within a schedule window.")
      .field("id", &MerchandisingRule::id, "1..64 of A-Z a-z 0-9 _ . -")
      .field("description", &MerchandisingRule::description, "For people.")
      .field("query", &MerchandisingRule::query, "The query condition ('' none).")
      .field("match", &MerchandisingRule::match, "'exact' or 'contains'.")
      .field("categories", &MerchandisingRule::categories, "The search filters on one of these (or below).")
      .field("enabled", &MerchandisingRule::enabled, "False: kept, not applied.")
      .field("pins", &MerchandisingRule::pins, "PinnedProduct list.")
      .field("boost", &MerchandisingRule::boost, "ProductSelector: ranked above the others.")
      .field("bury", &MerchandisingRule::bury, "ProductSelector: ranked below the others.")
      .field("hide", &MerchandisingRule::hide, "ProductSelector: never shown.")
      .field("redirect", &MerchandisingRule::redirect,
             "An absolute http(s) URL (at most MAX_REDIRECT_BYTES) the result carries, or ''.")
      .field("starts_at_ms", &MerchandisingRule::starts_at_ms,
             "Applies from this time (ms since the Unix epoch, inclusive); 0: from the start of time.")
      .field("ends_at_ms", &MerchandisingRule::ends_at_ms, "Applies until this time (exclusive); 0: no end.")
      .field("version", &MerchandisingRule::version, "Set by the engine: the set's version when put.");
  Value<RuleSet>(m, "RuleSet", "The merchandising rules and their version.")
      .field("version", &RuleSet::version, "0: never changed; each put or delete adds one.")
      .field("rules", &RuleSet::rules, "MerchandisingRule list, by id.");
  Value<SearchStats>(m, "SearchStats", "The index and its cache.")
      .field("documents", &SearchStats::documents, "Searchable products.")
      .field("indexed_seq", &SearchStats::indexed_seq, "Last event applied to every shard.")
      .field("log_seq", &SearchStats::log_seq, "Newest event in the log.")
      .field("lag_events", &SearchStats::lag_events, "log_seq - indexed_seq.")
      .field("lag_ms", &SearchStats::lag_ms, "Age of the oldest event not yet indexed.")
      .field("shards", &SearchStats::shards, "Index shards.")
      .field("index_bytes", &SearchStats::index_bytes, "On disk.")
      .field("cache_hits", &SearchStats::cache_hits, "Result cache hits.")
      .field("cache_misses", &SearchStats::cache_misses, "Result cache misses.")
      .field("cache_coalesced", &SearchStats::cache_coalesced, "Queries that waited for an identical one.")
      .field("cache_stale_served", &SearchStats::cache_stale_served, "Stale results served.")
      .field("cache_entries", &SearchStats::cache_entries, "Entries in the cache.")
      .field("queries", &SearchStats::queries, "Queries run against the index.")
      .field("last_error", &SearchStats::last_error, "The indexer's last error, or ''.")
      .field("rebuilds_after_trim", &SearchStats::rebuilds_after_trim,
             "Rebuilds from the catalog because the events the index lacked were trimmed.");
  Value<RebuildProgress>(m, "RebuildProgress", "Progress of Search.rebuild.")
      .field("products_done", &RebuildProgress::products_done, "Products indexed.")
      .field("products_total", &RebuildProgress::products_total, "Products to index.")
      .field("elapsed_s", &RebuildProgress::elapsed_s, "Seconds since the start.");
  Value<SearchOptions>(m, "SearchOptions", "Options of the search index (EngineOptions.search).")
      .field("shards", &SearchOptions::shards, "1..16, 0: one per hardware thread (at most 4).")
      .field("cache_entries", &SearchOptions::cache_entries, "Result cache size.")
      .field("cache_ttl", &SearchOptions::cache_ttl, "Freshness of a cached result.")
      .field("cache_stale", &SearchOptions::cache_stale, "Stale-while-revalidate window.")
      .field("run_indexer", &SearchOptions::run_indexer, "False: no indexer thread (tests).")
      .field("serve_remote", &SearchOptions::serve_remote,
             "This index is served by commerce-shard-server: record the sequence in every shard.")
      .field("remote_shards", &SearchOptions::remote_shards,
             "Search these shards: per shard, 'host:port' of its servers (replicas).")
      .field("remote_timeout", &SearchOptions::remote_timeout, "Deadline of a query over the remote shards (DeadlineExceeded past it), and of each remote call.")
      .field("remote_connect_timeout", &SearchOptions::remote_connect_timeout,
             "Deadline of connecting to a shard server.")
      .field("remote_refresh", &SearchOptions::remote_refresh,
             "A reader re-reads the remote shards when older than this.")
      .field("analytics_sample_rate", &SearchOptions::analytics_sample_rate,
             "Share of searches recorded (0..1; 0: analytics off, no search ids).")
      .field("analytics_max_queries", &SearchOptions::analytics_max_queries,
             "(hour, query) pairs counted in memory, 1..1000000; the least searched go beyond it.")
      .field("analytics_max_searches", &SearchOptions::analytics_max_searches,
             "Used searches remembered so that a search counts as used once, 1..1000000.")
      .field("analytics_retention_hours", &SearchOptions::analytics_retention_hours, "Hours of counts kept, 1..720.");

  m.attr("MAX_QUERY_CHARS") = kMaxQueryChars;
  m.attr("MAX_QUERY_WORDS") = kMaxQueryWords;
  m.attr("MAX_WINDOW") = kMaxWindow;
  m.attr("MAX_REDIRECT_BYTES") = kMaxRedirectBytes;

  py::class_<Search>(m, "Search",
                     "Product search over the engine's Xapian index (Engine.search). Safe from "
                     "any number of threads; every call releases the GIL, so Python threads "
                     "search in parallel.")
      .def("query", &Search::query, py::arg("request"), ReleaseGil(),
           "Runs a SearchRequest (or keywords of one). Raises InvalidArgument (names the "
           "field), DeadlineExceeded (min_index_seq not reached), Unavailable / Corruption.")
      .def("wait_for", &Search::wait_for, py::arg("seq"), py::arg("timeout") = std::chrono::milliseconds(10000),
           ReleaseGil(), "Blocks until every event up to seq is searchable (DeadlineExceeded after timeout).")
      .def("set_synonyms", &Search::set_synonyms, py::arg("groups"), ReleaseGil(),
           "Replaces the synonym list: groups of words or phrases that mean the same.")
      .def("synonyms", &Search::synonyms, ReleaseGil(), "The synonym groups.")
      .def("set_synonym_groups", &Search::set_synonym_groups, py::arg("groups"),
           py::arg("expected_version") = 0, ReleaseGil(),
           "Replaces the synonym list with SynonymGroups (one-way ones too); returns the new "
           "version. expected_version (not 0) must be the current one, or Conflict.")
      .def("synonym_groups", &Search::synonym_groups, ReleaseGil(), "The SynonymSet.")
      .def("put_rule", &Search::put_rule, py::arg("rule"), py::arg("expected_version") = 0, ReleaseGil(),
           "Adds or replaces (by id) a MerchandisingRule; returns the rule set's new version.")
      .def("delete_rule", &Search::delete_rule, py::arg("id"), py::arg("expected_version") = 0,
           ReleaseGil(), "Removes a rule (NotFound when absent); returns the new version.")
      .def("rules", &Search::rules, ReleaseGil(), "The RuleSet.")
      .def(
          "rebuild",
          [](Search& s, uint32_t shards, py::object progress) {
            std::optional<PyCallback> cb;
            std::function<void(const RebuildProgress&)> fn;
            if (!progress.is_none()) {
              cb.emplace(progress);
              fn = [cb = *cb](const RebuildProgress& p) { cb(p); };
            }
            Status st;
            {
              py::gil_scoped_release release;
              st = s.rebuild(shards, fn);
              fn = nullptr;
            }
            if (cb) cb->Rethrow();
            ThrowIfError(st);
          },
          py::arg("shards") = 0, py::arg("progress") = py::none(),
          "Re-creates the index from the catalog and stock (GIL released); "
          "progress(RebuildProgress) about every 1,000 products.")
      .def("stats", &Search::stats, ReleaseGil(), "SearchStats.")
      .def("record_use", &Search::record_use, py::arg("use"), ReleaseGil(),
           "Records that a result of a search was used (SearchUse). Raises InvalidArgument (names "
           "the field), NotFound (a search id not issued by an engine of this store, or older than "
           "the analytics retention), FailedPrecondition "
           "(analytics off).")
      .def("analytics", &Search::analytics, py::arg("request"), ReleaseGil(),
           "SearchAnalytics over a window (AnalyticsRequest). Raises InvalidArgument.")
      .def("suggest", &Search::suggest, py::arg("request"), ReleaseGil(),
           "SuggestResult: completions of what has been typed (SuggestRequest). Raises "
           "InvalidArgument (names the field), Unavailable / Corruption.");
}

}  // namespace commerce::python
