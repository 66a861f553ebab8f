// The best counts of a suggestion's candidates, kept while they are counted one after another
// in the order they could be shown, to tell when counting more cannot change what is shown
// (suggester.cpp: the pair candidates' counts after words before the pair, the loose ones').
// Candidates fall in tiers shown one after another (as typed before corrected, say); the
// `room` best counts of each tier are kept (a min-heap each). A candidate is not worth
// counting once `max_counted` counts were made, nor once `room` counted candidates of the
// tiers before its own found something (those fill every place), nor once `room` of its own
// tier reach its bound (its count is at most its bound, and ties are shown in an order that
// counting cannot change).
//
// Thread safety: none; one per suggestion, on the reader's thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <queue>
#include <vector>

namespace commerce::search {

class TopCounts {
 public:
  // `tiers` tiers, numbered from 0 in the order they are shown. REQUIRES: room >= 1.
  TopCounts(size_t tiers, size_t room, size_t max_counted)
      : best_(tiers), room_(room), max_counted_(max_counted) {}

  // Whether no candidate of `tier`, nor of any tier after it, is worth counting: the counts
  // ran out, or `room` of the tiers before it found something.
  bool Closed(size_t tier) const {
    if (counted_ == max_counted_) return true;
    size_t before = 0;
    for (size_t t = 0; t < tier; ++t) before += best_[t].size();
    return before >= room_;
  }

  // Whether `room` counts of `tier` reach `bound`: a candidate of the tier whose count is at
  // most `bound` cannot be shown, nor can any after it in order of bounds.
  bool Beaten(size_t tier, uint64_t bound) const {
    const MinHeap& top = best_[tier];
    return top.size() >= room_ && top.top() >= bound;
  }

  // Whether a candidate of `tier` counting at most `bound` products is worth counting.
  bool Worth(size_t tier, uint64_t bound) const { return !Closed(tier) && !Beaten(tier, bound); }

  // A count made for a candidate of `tier`; one that found nothing takes no place.
  void Add(size_t tier, uint64_t count) {
    ++counted_;
    if (count == 0) return;
    MinHeap& top = best_[tier];
    top.push(count);
    if (top.size() > room_) top.pop();
  }

 private:
  using MinHeap = std::priority_queue<uint64_t, std::vector<uint64_t>, std::greater<>>;
  std::vector<MinHeap> best_;  // per tier, the `room_` best counts so far
  size_t room_;
  size_t max_counted_;
  size_t counted_ = 0;
};

}  // namespace commerce::search
