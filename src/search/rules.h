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
  bool empty() const { return ids.empty(); }
  bool tiers() const { return !boosts.empty() || !buries.empty(); }
};

class Rules {
 public:
  Rules() = default;
  explicit Rules(RuleSet set);
  uint64_t version() const { return set_.version; }
  const RuleSet& set() const { return set_; }
  // The enabled rules whose conditions the request meets (merchandising.h).
  AppliedRules Apply(const SearchRequest& request) const;

 private:
  RuleSet set_;
  std::vector<std::vector<std::string>> query_words_;  // per rule
};

}  // namespace commerce::search
