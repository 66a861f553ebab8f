// Counting a suggestion's candidates (suggester.cpp): the products with every word typed
// before the one being completed (the head) and any of a candidate's terms, exact up to a
// bound. One counting match per candidate opened the head words' posting lists again for each
// and walked their intersection again for each: at 1M products, three words typed, that was
// most of a suggestion's CPU. So the head's products are read once, at the first count, when
// they are few enough (two words or more: one match, at most kMaxHeadProducts products; one
// word: its posting list, at most kMaxHeadPostings), and each candidate is then counted by
// stepping its posting lists over them (skip_to). With more, or over remote shards (whose
// posting lists would cross the network whole), each count is a match of its own.
//
// Thread safety: on the reader's thread, like the reader it counts on.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <xapian.h>

#include "search/reader_pool.h"

namespace commerce::search {

// Head products read once when there are at most this many: more, and stepping each
// candidate's lists over them costs what a match does.
inline constexpr size_t kMaxHeadProducts = 4000;
// One head word: its posting list is read straight (no match), which costs less per product.
inline constexpr size_t kMaxHeadPostings = 20000;

struct Counted {
  uint64_t products = 0;    // exact up to the bound asked for, an estimate past it
  Xapian::docid first = 0;  // the first product found (0 when none)
};

// Products with every term of `all` (an AND), by a match: exact up to `exact_up_to` (at
// least 1), Xapian's estimate past it.
Counted CountMatches(Reader& reader, const std::vector<Xapian::Query>& all, uint64_t exact_up_to);

// The first product with `term` (0 when none): the first entry of its posting list, or over
// remote shards (whose posting lists would cross the network whole) a first match, which is
// the same product (BoolWeight: matches in docid order). Xapian errors propagate.
Xapian::docid FirstWith(Reader& reader, const std::string& term);

class CandidateCounter {
 public:
  // `head`: the head words' terms (stems), every one required; their products are read at
  // the first count. Xapian errors propagate.
  CandidateCounter(Reader& reader, std::vector<std::string> head) : reader_(reader), head_(std::move(head)) {}

  // Products with every head term and at least one of `any_of` (a candidate's forms), of which
  // there are at most `bound` (the candidate's own products): exact up to `exact_up_to`; past
  // it, on read head products, the share found so far scaled to all of them (at most
  // `bound`), else Xapian's estimate.
  Counted Count(const std::vector<std::string>& any_of, uint64_t exact_up_to, uint64_t bound);

 private:
  Reader& reader_;
  void ReadHead();

  std::vector<std::string> head_;
  bool head_tried_ = false;
  bool head_read_ = false;
  std::vector<Xapian::docid> head_products_;  // ascending, when head_read_
};

}  // namespace commerce::search
