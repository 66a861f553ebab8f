// What merchandisers change in search at run time, without a reindex: synonyms and rules
// (docs/search.md, "Synonyms" and "Merchandising rules"). Both are records in the engine's
// store, edited through Search (search.h) and versioned: every change bumps the set's
// version, which each SearchResult reports and which names the set in the keys of shared
// result pages, so a page computed under an older set is never served after a change.
//
//   commerce::MerchandisingRule rule{.id = "tv-sale", .query = "tv", .match = "contains",
//                                    .pins = {{"P-OLED55", 1}},
//                                    .boost = {.brands = {"Sony"}},
//                                    .hide = {.product_ids = {"P-OLD-TV"}}};
//   auto version = engine->search().put_rule(rule);
//
// A rule may also send the shopper elsewhere (redirect) and apply only within a schedule
// window (starts_at_ms, ends_at_ms).
//
// Plain values: no thread-safety concerns of their own.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace commerce {

// A synonym group. Multi-way (root ""): every entry found in a query also matches every
// other ("sneakers", "trainers", "running shoes"). One-way: the root found in a query also
// matches the synonyms, not the other way round (root "phone", synonyms {"smartphone"}: a
// search for "smartphone" does not bring up every phone). Entries are words or phrases,
// compared by English stem.
struct SynonymGroup {
  std::string root;
  std::vector<std::string> synonyms;
  bool operator==(const SynonymGroup&) const = default;
};

struct SynonymSet {
  uint64_t version = 0;  // 0: never set; each set_synonym_groups adds one
  std::vector<SynonymGroup> groups;
};

// Products a rule boosts, buries or hides: those matching any of the lists (a product id; a
// brand, case-insensitive; a category, its sub-categories included; an attribute or variant
// option name=value, case-insensitive).
struct ProductSelector {
  std::vector<std::string> product_ids;
  std::vector<std::string> brands;
  std::vector<std::string> categories;
  std::map<std::string, std::string> attributes;
  bool empty() const {
    return product_ids.empty() && brands.empty() && categories.empty() && attributes.empty();
  }
  bool operator==(const ProductSelector&) const = default;
};

// A product shown at a position (1-based, over the whole result list, not one page).
struct PinnedProduct {
  std::string product_id;
  uint32_t position = 1;
  bool operator==(const PinnedProduct&) const = default;
};

// A rule applies to a search when its conditions hold: its query (when set) matches the
// search text by `match`, the search filters on one of its categories (when set) or one of
// their sub-categories, and the search's time is within its schedule (when set). A query or a
// category is required.
struct MerchandisingRule {
  std::string id;  // 1..64 of [A-Za-z0-9_.-]; put_rule with an existing id replaces that rule
  std::string description;  // for people; not used by the engine
  // The query condition. Compared as lower-cased words (punctuation ignored): "exact" — the
  // search text is these words; "contains" — the search text holds these words in a row.
  std::string query;
  std::string match = "exact";
  std::vector<std::string> categories;
  bool enabled = true;

  // The consequences, for every sort order. Pins place products at positions when they
  // meet the search's filters (whether or not they match its text). Hidden products never
  // appear. Boosted products rank above all others and buried ones below all others, the
  // search's own order applying within each tier. A product hidden by one applying rule is
  // hidden whatever the others say; pinned beats buried, buried beats boosted.
  std::vector<PinnedProduct> pins;
  ProductSelector boost;
  ProductSelector bury;
  ProductSelector hide;
  // Where the shopper should go instead of the results (a campaign or category page): an
  // absolute http:// or https:// URL with a host, printable ASCII (percent-encode the rest),
  // at most kMaxRedirectBytes. The search still returns its hits; SearchResult::redirect
  // carries the URL, and when several applying rules have one, the rule with the lowest id
  // (byte order) gives it.
  std::string redirect;

  // The rule's schedule: it applies from starts_at_ms (inclusive) until ends_at_ms
  // (exclusive), in ms since the Unix epoch, as a Promotion's (promotions.h); 0: from the
  // start of time, no end. The clock is SearchRequest::now_ms, else the system clock. A result
  // page cached while a rule was outside its window is not served once the window opens or
  // closes: the caches key pages by the schedule boundaries already passed.
  int64_t starts_at_ms = 0;
  int64_t ends_at_ms = 0;

  uint64_t version = 0;  // set by the engine: the rule set's version when this rule was put
  bool operator==(const MerchandisingRule&) const = default;
};

struct RuleSet {
  uint64_t version = 0;  // 0: no rule was ever put; each put_rule / delete_rule adds one
  std::vector<MerchandisingRule> rules;  // by id
};

// At most this many rules, pins per rule, and entries per selector list.
inline constexpr size_t kMaxRules = 1000;
inline constexpr size_t kMaxRulePins = 100;
inline constexpr size_t kMaxSelectorEntries = 100;
// The longest MerchandisingRule::redirect, in bytes (what browsers and proxies reliably take).
inline constexpr size_t kMaxRedirectBytes = 2048;

}  // namespace commerce
