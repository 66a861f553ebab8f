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

// Puts each run of neighbouring matches in [begin, end) of `hits` whose weights `same` calls
// equal in key order (kSlotOrderPopularity ascending): with exact equality, Xapian's order for
// set_sort_by_relevance_then_value(kSlotOrderPopularity, false). Only matches that share their
// weight with a neighbour have their key read. Returns false when such a match has no key
// (Xapian places those itself: the relevance window then runs again; a relaxed page keeps
// them first in their run).
template <typename Same>
bool SortTies(std::vector<Xapian::MSetIterator>* hits, size_t begin, size_t end, Same same) {
  bool keyed = true;
  for (size_t i = begin; i < end;) {
    size_t j = i + 1;
    while (j < end && same((*hits)[j - 1].get_weight(), (*hits)[j].get_weight())) ++j;
    if (j - i > 1) {
      std::vector<std::pair<std::string, Xapian::MSetIterator>> run;
      run.reserve(j - i);
      for (size_t k = i; k < j; ++k) {
        run.emplace_back((*hits)[k].get_document().get_value(kSlotOrderPopularity), (*hits)[k]);
        keyed = keyed && !run.back().first.empty();
      }
      std::stable_sort(run.begin(), run.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
      for (size_t k = i; k < j; ++k) (*hits)[k] = run[k - i].second;
    }
    i = j;
  }
  return keyed;
}

// Relative difference under which two weights of a relaxed query are one (ranked_page.h).
// Adding BM25 parts to word tiers of 1e6 in another order moves a weight of a few million by
// a few units in the last place (about 5e-10 each); 1e-13 of it is about 3e-7, hundreds of
// those, and still far below what sets two BM25 weights apart (a BM25 part is about 1).
constexpr double kRelaxedTie = 1e-13;

bool NearWeights(double a, double b) { return std::abs(a - b) <= kRelaxedTie * std::max(std::abs(a), std::abs(b)); }

RankedPage RankRelaxed(Xapian::Enquire& enquire, size_t first, size_t count, Xapian::doccount check) {
  RankedPage out;
  enquire.set_sort_by_relevance();
  size_t asked = first + count + kTieMargin + 1;
  Xapian::MSet run = enquire.get_mset(0, static_cast<Xapian::doccount>(asked), check);
  out.run = run;
  std::vector<Xapian::MSetIterator> fetched;
  size_t end = 0, hi = 0;
  for (;;) {
    fetched.clear();
    for (auto it = run.begin(); it != run.end(); ++it) fetched.push_back(it);
    const size_t n = fetched.size();
    if (n <= first) return out;  // the page starts past the last match
    end = std::min(n, first + count);
    hi = end;
    while (hi < n && NearWeights(fetched[hi].get_weight(), fetched[hi - 1].get_weight())) ++hi;
    if (hi < n || n < asked) break;  // the page's last tie group ends within what was fetched
    asked *= 2;
    enquire.clear_matchspies();  // they counted in the first run
    run = enquire.get_mset(0, static_cast<Xapian::doccount>(asked));
  }
  // Each group of near weights in key order; the groups in the order of their first weight.
  SortTies(&fetched, 0, hi, NearWeights);
  out.hits.assign(fetched.begin() + static_cast<std::ptrdiff_t>(first), fetched.begin() + static_cast<std::ptrdiff_t>(end));
  return out;
}

}  // namespace

RankedPage RankByRelevance(Xapian::Enquire& enquire, size_t first, size_t count,
                           Xapian::doccount check, double min_weight, bool relaxed) {
  if (relaxed) return RankRelaxed(enquire, first, count, check);
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
  if (whole && SortTies(&fetched, lo, hi, [](double a, double b) { return a == b; })) {
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
