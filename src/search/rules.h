// Merchandising rules (commerce/merchandising.h) on the engine's side: checking one, the
// stored rule set, and which rules apply to a search and what they ask of it.
//
// A rule's consequences become boolean Xapian queries over the index's own terms (the id,
// brand, category and attribute terms of index_schema.h), so they work on local and remote
// shards alike and need no reindex: hide is an AND_NOT, pins and tiers are extra queries
// whose pages query_runner.cpp stitches into one total order.
//
// Thread safety: Rules is immutable after construction; the functions are pure.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <xapian.h>

#include "commerce/merchandising.h"
#include "commerce/search.h"
#include "commerce/status.h"

namespace commerce::search {

// InvalidArgument naming the field; `rule` comes back trimmed (query, match lower-cased).
Result<MerchandisingRule> CheckRule(const MerchandisingRule& rule);
Status CheckRuleId(std::string_view id);

// The stored set: a cereal record (common/codec.h).
std::string EncodeRuleSet(const RuleSet& set);
Status DecodeRuleSet(std::string_view bytes, RuleSet* set);

// The selector's index terms: a product matches the selector when it has any of them.
std::vector<std::string> SelectorTerms(const ProductSelector& s);
Xapian::Query AnyTerm(const std::vector<std::string>& terms);
// Whether `doc` has any of `terms` (explanations only: reads the document's term list).
bool HasAnyTerm(const Xapian::Document& doc, const std::vector<std::string>& terms);

// What the rules that apply to one search ask of it.
struct AppliedRules {
  struct Pin {
    std::string product_id;
    uint32_t position = 1;  // as asked (1-based); query_runner places it
    std::string rule;
  };
  struct Tier {
    std::string rule;
    std::vector<std::string> terms;
  };
  std::vector<std::string> ids;  // the applying rules, by id
  std::vector<Pin> pins;         // by position, then rule id; each product once
  std::vector<std::string> hide_terms;
  std::vector<Tier> boosts, buries;
  std::string redirect;  // the first applying rule's (by id) that has one
  bool empty() const { return ids.empty(); }
  bool tiers() const { return !boosts.empty() || !buries.empty(); }
};

class Rules {
 public:
  Rules() = default;
  explicit Rules(RuleSet set);
  uint64_t version() const { return set_.version; }
  const RuleSet& set() const { return set_; }
  // The enabled rules whose conditions the request meets at `now_ms` (merchandising.h).
  AppliedRules Apply(const SearchRequest& request, int64_t now_ms) const;

  // How many schedule boundaries (an enabled rule's start or end) are at or before `now_ms`:
  // between two boundaries the same rules are in their windows, so this and the set's
  // version name what the rules ask of any request.
  size_t BoundariesPassed(int64_t now_ms) const;
  // For the keys of cached pages: the set's version, and the boundaries passed when any rule
  // has a schedule. A page made before a boundary has another key than one asked for after
  // it, so no cache serves a page across a rule's start or end.
  std::string CacheKeySuffix(int64_t now_ms) const;

 private:
  RuleSet set_;
  std::vector<std::vector<std::string>> query_words_;  // per rule
  std::vector<int64_t> boundaries_;                    // ascending, distinct
};

}  // namespace commerce::search
