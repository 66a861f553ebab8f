// Product search over a Xapian index kept by the engine from its event log (docs/search.md).
//
//   commerce::SearchRequest r{.text = "wireless headphones", .brands = {"Sony"},
//                             .facets = {"brand", "category", "price"}};
//   auto res = engine->search().query(r);
//   for (const auto& hit : res->hits) std::cout << hit.product_id << " " << hit.title << "\n";
//
// The index lives under <store>/search/ and is fed by a background indexer that tails the
// event log: a catalog or stock change becomes searchable shortly after it commits (usually
// well under a second). A caller that needs its own write to be searchable passes the write's
// event sequence as SearchRequest::min_index_seq, or calls wait_for().
//
// Thread safety: a Search (from Engine::search()) is safe to use from any number of threads.
// Each thread queries through its own Xapian reader; a result cache sits in front.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "commerce/export.h"
#include "commerce/merchandising.h"
#include "commerce/money.h"
#include "commerce/search_analytics.h"
#include "commerce/status.h"
#include "commerce/suggest.h"

namespace commerce {

class EngineCore;
class SearchService;

struct SearchRequest {
  // Free text: words, "quoted phrases", -excluded words, a SKU or model number. At most
  // kMaxQueryChars characters and kMaxQueryWords words. Empty: browse by the filters alone.
  std::string text;
  // Filters. Values of one filter OR together; different filters AND together.
  std::vector<std::string> brands;      // exact brand names, case-insensitive
  std::vector<std::string> categories;  // category ids; a category includes its sub-categories
  std::optional<int64_t> price_min;     // minor units, inclusive, on the product's lowest price
  std::optional<int64_t> price_max;     // minor units, inclusive
  bool in_stock = false;                // only products with a sellable unit in some warehouse
  // Attribute and variant-option filters: name -> value, exact and case-insensitive; a
  // product matches when it or one of its variants has that value.
  std::map<std::string, std::string> attributes;

  // Facet counts to return: any of "brand", "category" (one level of the tree), "price",
  // "category_tree" (every level from the departments down to the filtered category's
  // children; FacetValue::level and ::parent place each value).
  std::vector<std::string> facets;
  // Values per facet (1..100); per level and parent for "category_tree".
  size_t facet_size = 10;
  // Multi-select facets, among `facets`: any of "brand", "category", "price". The counts of
  // each ignore the request's own filter on that field (brands; categories; price_min and
  // price_max), every other filter applying, so a shopper who ticked "Sony" still sees how
  // many products each other brand would add. A disjunctive "category" lists the filtered
  // categories' level (them and their siblings) instead of their children.
  std::vector<std::string> disjunctive_facets;
  // The "price" facet's buckets as ascending upper bounds in minor units: bucket i holds
  // prices from price_buckets[i - 1] (0 for the first) up to below price_buckets[i], and a
  // last bucket every price from the last bound. At most 50 bounds, each above 0. Empty: the
  // default buckets (docs/search.md).
  std::vector<int64_t> price_buckets;

  // "relevance" (the default with text), "popularity" (the default without), "price_asc",
  // "price_desc", "newest".
  std::string sort;
  size_t offset = 0;  // offset + limit <= kMaxWindow
  size_t limit = 20;  // 1..100

  // Treat the last word as a prefix unless the text ends with a space (search-as-you-type).
  bool prefix = true;
  // When the text as typed finds nothing and a spelling correction exists, return the
  // corrected query's results (SearchResult::corrected_query says so).
  bool typo_tolerance = true;
  // When every word is required and nothing matches (after the spelling correction), retry
  // requiring only some of the words: at least minimum_should_match percent of them (rounded
  // down, at least one), a product matching more words ranking above one matching fewer.
  // The word still being typed counts half and never alone ("frying p" needs "frying").
  bool relax = true;
  int minimum_should_match = 75;  // 1..100
  // Category intent (docs/search.md, "Ranking"): a text query in relevance order puts the
  // category its first matches lead with first — each of its first 30 matches votes for its
  // category by its score, and each of them gains its category's share of the votes —
  // matches past the 30th keep BM25 order. false: BM25 order throughout. No effect on a
  // browse without text or on the other sorts.
  bool category_intent = true;
  // Results must reflect every event up to this sequence (read-your-writes): the query waits
  // up to wait_timeout for the indexer, and a cached result older than it is not used.
  uint64_t min_index_seq = 0;
  std::chrono::milliseconds wait_timeout{5000};
  // false: skip the result cache (always run the query).
  bool use_cache = true;
  // Over remote shards (SearchOptions::remote_shards), when every server of a shard is
  // unreachable: false answers Unavailable naming the shard; true answers from the other
  // shards, with SearchResult::partial set and the missing shards listed.
  bool allow_partial = false;
  // Return, per hit, how its place was made (SearchHit::explanation): for tuning and for the
  // console. Costs a few small index reads per hit.
  bool explain = false;
  // The time merchandising rules' schedules are read at (MerchandisingRule::starts_at_ms), ms
  // since the Unix epoch; 0: now, by the system clock. For previews ("what will shoppers see
  // on Friday?") and tests; not part of the result cache's key, only which schedule
  // boundaries it has passed is.
  int64_t now_ms = 0;

  // The caller (docs/search.md, "Per caller"). channel: a channel's id (channels.h); only the
  // products visible in it are found, counted and suggested by the facets. NotFound for a
  // channel that does not exist, once the store has channels (before its first, the key is
  // opaque: no visibility rule, price lists naming it still apply). currency (ISO 4217; ""
  // with a channel: the channel's default currency; a currency the channel does not sell is
  // InvalidArgument): price_min, price_max, the price facet and the price sorts use the price
  // that applies to this caller -- the resolution PriceLists::price uses for a cart line of
  // one unit (price_lists.h) at now_ms, a product's price its lowest variant's. A product
  // without a price in the currency is left out by a price filter, sorted after every priced
  // product and in no price bucket. customer_group: the caller's group, for price lists of a
  // group ("" a guest). Without a currency (and no channel), prices are as before: each
  // product's lowest base price in minor units, whatever its currency. Over remote shards a
  // currency is NotSupported (the caller's prices are applied in this process).
  std::string channel;
  std::string currency;
  std::string customer_group;
};

inline constexpr size_t kMaxQueryChars = 500;
inline constexpr size_t kMaxQueryWords = 32;
inline constexpr size_t kMaxWindow = 10000;  // offset + limit
// Facet counts are exact when a query matches at most this many products; beyond it they
// are estimates scaled from the first kFacetExactCap matches (Facet::exact is false).
inline constexpr size_t kFacetExactCap = 10000;
// At most this many SearchRequest::price_buckets bounds.
inline constexpr size_t kMaxPriceBuckets = 50;

// One query term a hit matched, and its part of the hit's BM25 weight.
struct ScoreTerm {
  std::string term;  // as indexed: a word, "Z" + an English stem, or a SKU code
  uint32_t wdf = 0;  // its within-document frequency: occurrences x the field's weight
  double weight = 0; // the BM25 weight it alone gives this product; the text matched as one
                     // SKU or code: the fixed weight such a match adds (docs/search.md)
};

// How a hit got its place (SearchRequest::explain).
struct HitExplanation {
  // The text the hit was found by: the search text as typed, or its spelling correction
  // (used_correction), and whether only some of its words were required (relaxed, with how
  // many of them this product matched).
  std::string query;
  bool corrected = false;
  bool relaxed = false;
  double words_matched = 0;
  double weight = 0;             // the text's BM25 weight (SearchHit::score); 0 for a browse
  std::vector<ScoreTerm> terms;  // the query's terms it matched, by weight descending
  // "pinned", "boosted", "buried" or "" (ranked by the search's own order), and the ids of
  // the merchandising rules that placed it so; pinned: the pin's position.
  std::string tier;
  std::vector<std::string> rules;
  uint32_t pinned_position = 0;
  // The sort that ordered it within its tier, with the product id as the final tie-break.
  std::string sort;
  // Category intent (SearchRequest::category_intent): the hit's category that its query's
  // first matches voted for most ("" when the stage did not place it: past the window, off,
  // not relevance order), that category's share of the votes (0..1), and what it added to
  // the weight (the hit ranks by weight + intent_added within its tier).
  std::string intent_category;
  double intent_share = 0;
  double intent_added = 0;
};

struct SearchHit {
  std::string product_id;
  std::string title;
  std::string highlighted_title;  // HTML-escaped, matched words in <b>..</b>
  std::string brand;
  // The lowest variant price; with a currency, the caller's price (SearchRequest::currency),
  // or an empty currency and 0 when nothing prices the product in it.
  Money price;
  // With a currency: the price list the caller's price came from ("" the base price).
  std::string price_list_id;
  bool in_stock = false;
  double score = 0;               // relevance weight; 0 for sorts other than relevance
  // With SearchRequest::explain: how this hit got its place.
  std::optional<HitExplanation> explanation;
};

struct FacetValue {
  std::string value;  // a brand name, a category id, or a price bucket "min..max" (minor units)
  std::string label;  // for categories, the category's name; for price, "$50 - $100"
  uint64_t count = 0;
  // "category_tree": the category's depth (0: a department) and its parent's id ("" for a
  // department). 0 and "" for other facets.
  uint32_t level = 0;
  std::string parent;
};

struct Facet {
  std::string field;  // "brand", "category", "price", "category_tree"
  // brand and category: by count, descending; price: by price; category_tree: by level, then
  // parent, then count.
  std::vector<FacetValue> values;
  bool exact = true;  // false: counts are estimates (more than kFacetExactCap matches)
};

struct SearchResult {
  std::vector<SearchHit> hits;
  uint64_t total = 0;         // matching products: exact when total_exact
  bool total_exact = true;
  std::vector<Facet> facets;  // in the order requested
  // "Did you mean": the query with misspelt words corrected, or "" when every word is known.
  std::string corrected_query;
  // The hits are those of corrected_query (the text as typed found nothing).
  bool used_correction = false;
  // The hits require any word, not every word (the text with all words found nothing).
  bool relaxed = false;
  uint64_t index_seq = 0;     // the event sequence the index reflected for this result
  bool from_cache = false;
  // Over remote shards with SearchRequest::allow_partial: some shards did not answer, and
  // the hits, total and facets are those of the others. missing_shards: their numbers.
  bool partial = false;
  std::vector<uint32_t> missing_shards;
  // The merchandising rules that applied (their ids), and the versions of the rule set and
  // the synonym list this result was made under (merchandising.h).
  std::vector<std::string> rules_applied;
  // An applying rule's redirect URL ("" when none does): the lowest rule id's of those that
  // have one. The hits are returned all the same; sending the shopper there is the caller's
  // choice.
  std::string redirect;
  uint64_t rules_version = 0;
  uint64_t synonyms_version = 0;
  // This search's id for Search::record_use (search_analytics.h): unique per call, cached
  // results included; opaque, signed, and valid on every engine sharing the store (about 155
  // characters at 20 hits). "" when the search was not recorded (analytics_sample_rate).
  std::string search_id;
};

struct SearchStats {
  uint64_t documents = 0;       // searchable products
  uint64_t indexed_seq = 0;     // last event applied to every shard
  uint64_t log_seq = 0;         // newest event in the log
  uint64_t lag_events = 0;      // log_seq - indexed_seq
  double lag_ms = 0;            // age of the oldest event not yet indexed; 0 when caught up
  uint32_t shards = 0;
  uint64_t index_bytes = 0;     // on disk
  uint64_t cache_hits = 0, cache_misses = 0, cache_coalesced = 0, cache_stale_served = 0;
  uint64_t cache_entries = 0;
  uint64_t queries = 0;         // run against the index (cache misses and refreshes)
  std::string last_error;       // the indexer's last error ("" when none)
  // Rebuilds from the catalog because the events the index lacked had been trimmed from the
  // log (docs/events.md, "Retention"), since open.
  uint64_t rebuilds_after_trim = 0;
};

struct RebuildProgress {
  uint64_t products_done = 0;
  uint64_t products_total = 0;
  double elapsed_s = 0;
};

struct SearchOptions {
  // Index shards (1..16), written in parallel; fixed when the index is created (a rebuild
  // with another count re-creates it). 0: one per hardware thread, at most 4.
  uint32_t shards = 0;
  // Result cache: entries, freshness and the stale-while-revalidate window. A cached result
  // is fresh for cache_ttl (jittered by +-20% so that entries do not expire together), then
  // served stale for cache_stale while one background refresh runs.
  size_t cache_entries = 10000;
  std::chrono::milliseconds cache_ttl{2000};
  std::chrono::milliseconds cache_stale{30000};
  // false: no indexer thread (the index follows the log only through run_background_once()
  // or rebuild(); tests).
  bool run_indexer = true;

  // This engine's index is served to other engines by shard servers (commerce-shard-server):
  // every indexer batch then records its event sequence in every shard, not only in those
  // it changed, so that a remote reader knows how far each shard is (min_index_seq and
  // SearchStats over remote shards). Costs a commit per shard per batch.
  bool serve_remote = false;

  // Remote shards: when not empty, queries read these shards, served by
  // commerce-shard-server (shard_server.h), instead of the local index. One entry per shard,
  // in shard order; each lists that shard's servers as "host:port", replicas of one another:
  // a query uses one, and moves to the next when it stops answering. Connections are kept
  // open between queries (one per reader and shard) and the shards are asked in parallel.
  // The local indexer still runs as configured (set run_indexer = false on engines that
  // only query). Refused at open (InvalidArgument): a malformed endpoint, more than 16
  // shards, a shard without a server.
  std::vector<std::vector<std::string>> remote_shards;
  // Deadline of a query over the remote shards, connecting included: the caller gets
  // DeadlineExceeded once it passes, whatever a shard server does (one that stopped
  // answering on an open connection included). Also Xapian's timeout of each remote call,
  // after which the server counts as failed (its breaker opens after repeated failures and
  // queries go on without it: partial results, by the request's policy).
  std::chrono::milliseconds remote_timeout{2000};
  // Deadline of connecting to a shard server.
  std::chrono::milliseconds remote_connect_timeout{500};
  // A reader re-reads the shards (their new commits, words and indexed sequence) when it is
  // older than this, or when a request's min_index_seq is ahead of it: results can be this
  // much older than the shards (beside the result cache's own ttl).
  std::chrono::milliseconds remote_refresh{1000};

  // Search analytics (search_analytics.h), counted in memory and added to the store's table
  // search_analytics every 5 s and at close (a crash loses at most those 5 s). The share of
  // searches recorded, 0..1, drawn at random per search: 0 records nothing (results carry no
  // search id); below 1 trades the counts' precision for less work per search under load.
  double analytics_sample_rate = 1.0;
  // (hour, query) pairs counted, 1..1,000,000, in memory and per hour in the store: about 200
  // bytes each plus twice the query's length (at most kMaxQueryChars) in memory, so the default
  // holds at most about 12 MB, about 2.5 MB with typical queries. Beyond it the least searched
  // pairs are dropped (SearchAnalytics::evicted).
  size_t analytics_max_queries = 10000;
  // Searches remembered as used (record_use), 1..1,000,000, so that each counts as used once
  // in this process: about 40 bytes each. Ids themselves are not held (they carry what a use
  // needs), and one stays valid for analytics_retention_hours.
  size_t analytics_max_searches = 10000;
  // Hours of counts kept (1..720); older hours are dropped.
  uint32_t analytics_retention_hours = 24;
};

class COMMERCE_EXPORT Search {
 public:
  // Handed out by Engine (engine.h), which owns it; not copyable.
  Search(const Search&) = delete;
  Search& operator=(const Search&) = delete;

  // Errors: InvalidArgument (names the field: text too long or unparsable, unknown facet or
  // sort, price range inverted or negative, limit or offset out of range), DeadlineExceeded
  // (min_index_seq not reached within wait_timeout), Unavailable / Corruption (the index).
  Result<SearchResult> query(const SearchRequest& request);

  // Blocks until every event up to `seq` is searchable, or `timeout` passes
  // (DeadlineExceeded).
  Status wait_for(uint64_t seq, std::chrono::milliseconds timeout = std::chrono::seconds(10));

  // Replaces the synonym list. Each group is a set of words or phrases that mean the same
  // ("sneakers", "trainers", "running shoes"); a query word found in a group also matches the
  // others. Durable; takes effect for the next query (the cache is cleared).
  Status set_synonyms(const std::vector<std::vector<std::string>>& groups);
  Result<std::vector<std::vector<std::string>>> synonyms();
  // The synonym list with one-way groups (merchandising.h) and its version. set_synonym_groups
  // replaces the whole list; `expected_version` (when not 0) must be the list's version, or
  // the call fails with Conflict and changes nothing. Returns the new version. Errors:
  // InvalidArgument (names the group: too few or too many entries, an entry without a word or
  // too long), Conflict.
  Result<uint64_t> set_synonym_groups(const std::vector<SynonymGroup>& groups,
                                      uint64_t expected_version = 0);
  Result<SynonymSet> synonym_groups();

  // Merchandising rules (merchandising.h). put_rule adds a rule or replaces the rule with its
  // id; delete_rule removes one (NotFound when absent). Each returns the rule set's new
  // version; `expected_version` (when not 0) must be the set's version, or Conflict. Durable;
  // the next query applies them (the result cache is cleared). Errors: InvalidArgument
  // (names the field: id, match, no condition, too many pins or entries, a position out of
  // 1..kMaxWindow, a product pinned twice), Conflict, NotFound.
  Result<uint64_t> put_rule(const MerchandisingRule& rule, uint64_t expected_version = 0);
  Result<uint64_t> delete_rule(const std::string& id, uint64_t expected_version = 0);
  Result<RuleSet> rules();

  // Re-creates the index from the catalog and stock, `shards` writers in parallel (0: keep
  // the current count). Queries keep being served from the old index until the new one is
  // complete. Progress is reported about every 1,000 products.
  Status rebuild(uint32_t shards = 0,
                 std::function<void(const RebuildProgress&)> progress = {});

  Result<SearchStats> stats();

  // Search analytics (search_analytics.h). record_use: a result of search `use.search_id` was
  // used. Errors: InvalidArgument (an empty or malformed search id or product id, a product
  // not among that search's hits, a kind other than "click", "add_to_cart", "order"),
  // NotFound (an id no engine of this store issued -- altered or made up -- or one older
  // than analytics_retention_hours), FailedPrecondition (analytics off: sample rate 0).
  Status record_use(const SearchUse& use);
  // Top, zero-result and unused queries over a window. Errors: InvalidArgument (limit out of
  // 1..1000, since_ms or until_ms negative, since_ms after until_ms).
  Result<SearchAnalytics> analytics(const AnalyticsRequest& request = {});

  // Search-as-you-type completions (suggest.h). Errors: InvalidArgument (names the field:
  // text empty, too long or without a letter or digit, limit out of 1..50), Unavailable /
  // Corruption (the index).
  Result<SuggestResult> suggest(const SuggestRequest& request);

 private:
  friend class Engine;
  explicit Search(SearchService* service) : service_(service) {}
  SearchService* service_;
};

}  // namespace commerce
