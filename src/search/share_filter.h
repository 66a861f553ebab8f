// The relaxed query's minimum share of words as a boolean filter (QueryBuilder::Share).
//
// Why not Xapian's weight cutoff alone: each unit a product matches adds kWordTier to its
// weight, so the cutoff at the minimum's tier would say which products have the share. But
// Xapian 1.4.22's matcher, given Enquire::set_cutoff over an OR of (unit AND
// FixedWeightPostingSource), leaves out some products whose weight is above the cutoff
// (tests/unit/search_share_filter_test.cpp generates two shards that show it: 8 of the 10
// products with two of three words). Which one it drops depends on the document ids, so two
// indexes of one catalog answered a relaxed query differently. A
// boolean filter has no weight to prune by.
//
// The sets are counted before they are listed: a set's shape is how many units of each
// weight it takes (units of one weight are alike), and the shape's sets number the product
// of the binomials. Shapes are few (the units hold at most 32 words), so a query with more
// sets than kMaxShareSets (twelve of sixteen words: 1,820) costs a count, not a walk of
// every subset of its units.
//
// Thread safety: pure functions.
#pragma once

#include <cstddef>
#include <optional>
#include <vector>

#include <xapian.h>

namespace commerce::search {

// At most this many sets; past it ShareFilter gives up (Share() falls back to the cutoff).
inline constexpr size_t kMaxShareSets = 64;

// How many smallest sets of units reach `minimum` words (unit i stands for `words[i]`
// words): sets whose words reach it and that fall short without any one of their units.
// Counting stops past `limit`: the result is then limit + 1.
size_t CountShareSets(const std::vector<double>& words, double minimum, size_t limit);

// Those sets, each as its units' indexes in ascending order, or nullopt when there are more
// than `limit` (counted first: nothing is listed then).
std::optional<std::vector<std::vector<size_t>>> ShareSets(const std::vector<double>& words, double minimum,
                                                          size_t limit);

// The products matching units worth at least `minimum` words (unit i stands for `words[i]`
// words: a synonym run several, the word being typed half), as a boolean query: the OR of
// the smallest sets of units that reach the minimum, each an AND. Empty when there are none
// or more than kMaxShareSets of them: Share() then falls back to the weight cutoff.
Xapian::Query ShareFilter(const std::vector<Xapian::Query>& units, const std::vector<double>& words,
                          double minimum);

}  // namespace commerce::search
