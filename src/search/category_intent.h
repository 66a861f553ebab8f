// Category intent: the category a text query's first matches lead with goes first.
//
// Why: a short query ("iphone 8", "tv mount") matches products of several categories by
// its words alone, and BM25 ranks them by how often the words occur, not by which kind of
// product the shopper asked for. The query's own first matches say which kind most of them
// are (pseudo-relevance feedback): each of the first kIntentWindow matches gives its score
// (divided by the first's) to its category, and a match's rank value becomes
//   score / top score + kIntentWeight * (its category's share of the window's whole mass).
// The window is reordered by that value; matches past it keep BM25 order. Measured on the
// Best Buy sample (docs/search.md, "Ranking"): NDCG@10 rises on a broad plateau of windows
// and weights; the values below are picked from it by what they mean, not fitted.
//
// The order stays total and the same on every page: the window is the first kIntentWindow
// matches of the ranked list whatever page is asked (the caller fetches them all), and ties
// keep the window's own order (BM25, then the sort key: ranked_page.h). A relaxed query's
// "more words matched first" tiers (query_builder.h) and matches of the query as a SKU or
// code stay above the rest: the value orders only within them.
//
// Categories: a product's deepest ids in kSlotCategories (an id no other of its ids has as
// an ancestor). A product in several categories gives its score in equal parts to each (so
// it weighs as much as a product in one) and receives its best category's share (it is of
// the leading kind if any of its categories is).
//
// Thread safety: a CategoryIntent is a value used by one query at a time.
#pragma once

#include <cstddef>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace commerce::search {

// The window: the ranked list's first 30 matches. One and a half of the API's default pages
// (20): what a shopper's first pages come from; a window of one page (10) holds too few
// matches to tell a lead from chance, and matches past a few pages are rarely seen but each
// costs a document read.
inline constexpr size_t kIntentWindow = 30;
// 1: the leading category's share counts as much as the window's whole score range (0 to
// the top score), so a product of a category holding every match can overtake any other, and
// half the window's mass makes up half the range.
inline constexpr double kIntentWeight = 1.0;

// One match of the window, in the ranked list's order.
struct IntentMatch {
  double weight = 0;            // the Xapian weight (a relaxed query's word tiers included)
  std::string_view categories;  // kSlotCategories: ids and ancestors, '\n'-joined
  bool code = false;            // matched the query as a SKU or code
};

// What the stage did to one match (HitExplanation::intent_*).
struct IntentPart {
  std::string category;  // its category with the largest share ("" none)
  double share = 0;      // that category's share of the window's mass, 0..1
  double added = 0;      // kIntentWeight * share * the top score: in the units of the weight
};

class CategoryIntent {
 public:
  // Learns the categories' shares from the query's first matches (at most kIntentWindow, the
  // ranked list's order, as Order() receives them). Views into `window` are not kept.
  void Learn(const std::vector<IntentMatch>& window);
  // The order of `matches` (a list's first matches, at most kIntentWindow: the ranked list's
  // own or, with boost and bury rules, one tier's), as indexes into it.
  std::vector<size_t> Order(const std::vector<IntentMatch>& matches) const;
  IntentPart PartOf(const IntentMatch& m) const;

 private:
  double top_ = 0;                       // the window's top text weight
  std::map<std::string, double> share_;  // deepest category id -> share of the mass
};

// A product's deepest category ids: those that are no other id's ancestor, in id order.
std::vector<std::string_view> DeepestCategories(std::string_view categories);

}  // namespace commerce::search
