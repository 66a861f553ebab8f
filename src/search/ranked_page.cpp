#include "search/ranked_page.h"

#include <algorithm>
#include <cmath>
#include <string>
#include <utility>

#include "search/index_schema.h"

namespace commerce::search {

namespace {

// Matches fetched on each side of the window beyond the one that shows a tie across its edge:
// a tie group that ends within them is put in order here instead of running the window again.
constexpr size_t kTieMargin = 16;

// Puts [begin, end) of `hits` in Xapian's order for set_sort_by_relevance_then_value(
// kSlotOrderPopularity, false): weight descending, then the key ascending. Only matches that
// share their weight with a neighbour have their key read. Returns false when such a match
// has no key (Xapian places those itself: the caller runs the window again).
bool SortTies(std::vector<Xapian::MSetIterator>* hits, size_t begin, size_t end) {
  struct Keyed {
    double weight;
    std::string key;
    Xapian::MSetIterator it;
  };
  for (size_t i = begin; i < end;) {
    const double w = (*hits)[i].get_weight();
    size_t j = i + 1;
    while (j < end && (*hits)[j].get_weight() == w) ++j;
    if (j - i > 1) {
      std::vector<Keyed> run;
      run.reserve(j - i);
      for (size_t k = i; k < j; ++k) {
        Keyed keyed{w, (*hits)[k].get_document().get_value(kSlotOrderPopularity), (*hits)[k]};
        if (keyed.key.empty()) return false;
        run.push_back(std::move(keyed));
      }
      std::sort(run.begin(), run.end(), [](const Keyed& a, const Keyed& b) { return a.key < b.key; });
      for (size_t k = i; k < j; ++k) (*hits)[k] = run[k - i].it;
    }
    i = j;
  }
  return true;
}

}  // namespace

RankedPage RankByRelevance(Xapian::Enquire& enquire, size_t first, size_t count,
                           Xapian::doccount check, double min_weight) {
  RankedPage out;
  enquire.set_sort_by_relevance();
  // The window, and a margin on each side: one match shows a tie across an edge, the rest
  // usually hold the whole tie group.
  const size_t before = std::min(first, kTieMargin + 1);
  const size_t asked = before + count + kTieMargin + 1;
  out.run = enquire.get_mset(static_cast<Xapian::doccount>(first - before), static_cast<Xapian::doccount>(asked),
                             check);
  const size_t n = out.run.size();
  if (n <= before) return out;  // the window starts past the last match
  std::vector<Xapian::MSetIterator> fetched;
  fetched.reserve(n);
  for (auto it = out.run.begin(); it != out.run.end(); ++it) fetched.push_back(it);
  const size_t end = std::min(n, before + count);
  auto weight = [&](size_t i) { return fetched[i].get_weight(); };
  // The tie groups at the window's edges, widened to every fetched match of their weight.
  size_t lo = before, hi = end;
  while (lo > 0 && weight(lo - 1) == weight(before)) --lo;
  while (hi < n && weight(hi) == weight(end - 1)) ++hi;
  // Whole when bounded by a heavier match (or the first of all) and a lighter one (or the last).
  const bool whole = (lo > 0 || first == before) && (hi < n || n < asked);
  if (whole && SortTies(&fetched, lo, hi)) {
    out.hits.assign(fetched.begin() + static_cast<std::ptrdiff_t>(before),
                    fetched.begin() + static_cast<std::ptrdiff_t>(end));
    return out;
  }
  // A tie group larger than the margin: again, sorted by Xapian, over the matches at least as
  // heavy as the window's lightest (a hair below it: the cutoff compares weights computed
  // anew, which must not lose the lightest to rounding; what else it lets in ranks after the
  // window anyway). The spies counted in the first run.
  const double lightest = weight(end - 1);
  enquire.clear_matchspies();
  enquire.set_sort_by_relevance_then_value(kSlotOrderPopularity, false);
  enquire.set_cutoff(0, std::max(min_weight, lightest - std::abs(lightest) * 1e-9));
  Xapian::MSet exact = enquire.get_mset(static_cast<Xapian::doccount>(first), static_cast<Xapian::doccount>(count));
  for (auto it = exact.begin(); it != exact.end(); ++it) out.hits.push_back(it);
  return out;
}

}  // namespace commerce::search
