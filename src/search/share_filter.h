// The relaxed query's minimum share of words as a boolean filter (QueryBuilder::Share).
//
// Why not Xapian's weight cutoff alone: each unit a product matches adds kWordTier to its
// weight, so the cutoff at the minimum's tier would say which products have the share. But
// Xapian 1.4.22's matcher, given Enquire::set_cutoff over an OR of (unit AND
// FixedWeightPostingSource), leaves out some products whose weight is above the cutoff
// (tests/unit/search_share_filter_test.cpp holds 55 documents of the Best Buy sample that
// show it: 3 of the 4 products with two of three words). Which one it drops depends on the
// document ids, so two indexes of one catalog answered a relaxed query differently. A
// boolean filter has no weight to prune by.
//
// Thread safety: a pure function.
#pragma once

#include <cstddef>
#include <vector>

#include <xapian.h>

namespace commerce::search {

// At most this many sets; past it (about twelve words and more) ShareFilter gives up.
inline constexpr size_t kMaxShareSets = 64;

// The products matching units worth at least `minimum` words (unit i stands for `words[i]`
// words: a synonym run several, the word being typed half), as a boolean query: the OR of
// the smallest sets of units that reach the minimum, each an AND. Empty when there would be
// more than kMaxShareSets of them, or more than 16 units: Share() then falls back to the
// weight cutoff.
Xapian::Query ShareFilter(const std::vector<Xapian::Query>& units, const std::vector<double>& words,
                          double minimum);

}  // namespace commerce::search
