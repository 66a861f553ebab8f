// One page of a text query in relevance order, with ties going to the sort key of
// kSlotOrderPopularity (popularity, then product id: sort_key.h) — the order
// Enquire::set_sort_by_relevance_then_value gives, without what that costs.
//
// Why: sorting by relevance then value, Xapian reads the sort key of every match it looks at
// (every match up to checkatleast: all of a facet query's, up to kFacetExactCap), only to
// break ties among the few that make the page. Profiled on commerce-bench text-facets (100k
// products), those reads were a fifth of the engine's time per query (docs/search.md,
// "Performance"). So the matcher sorts by relevance alone and this file finishes the order:
//   - the run asks for the window and a margin of matches on each side (kTieMargin + 1), so
//     a tie across an edge of the window is seen, and usually its whole tie group;
//   - the window and the tie groups at its edges, when the fetched matches hold them whole,
//     are put in key order here: only matches sharing their weight with a neighbour have
//     their key read;
//   - a tie group larger than the margin runs the window again sorted by relevance then key,
//     but only over matches at least as heavy as the window's lightest (a weight cutoff), so
//     few keys are read.
// The facet counts and the total come from the first run (the spies are not run again). When
// the counts are exact (at most kFacetExactCap matches, or the total is exact) that run looks
// at every match, as before; past the cap, how far Xapian reads beyond it before it stops
// depends on the sort, so an estimated total or scaled facet count may differ a little.
//
// Thread safety: one call per Enquire at a time (a Xapian object).
#pragma once

#include <cstddef>
#include <vector>

#include <xapian.h>

namespace commerce::search {

struct RankedPage {
  Xapian::MSet run;                        // the run with the spies: total, bounds
  std::vector<Xapian::MSetIterator> hits;  // the page, in order
};

// `enquire` has its query, weighting, cutoff (`min_weight`, 0 for none) and spies set; its
// sort is set here. `check`: checkatleast, as for Enquire::get_mset.
RankedPage RankByRelevance(Xapian::Enquire& enquire, size_t first, size_t count,
                           Xapian::doccount check, double min_weight);

}  // namespace commerce::search
