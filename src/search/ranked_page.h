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
// A relaxed query is ordered otherwise. Its weight is a FixedWeightPostingSource tier per
// matched word (1e6 each) plus the BM25 parts, and Xapian adds them in an order that depends
// on how the matcher prunes, which depends on the page asked: two products of equal BM25
// weigh a few units in the last place apart, and differently from one run to the next. So
// exact ties are not seen (Xapian's own relevance-then-key order splits them, and pages
// repeat and skip products), and a weight cutoff at the window's lightest left out matches
// above it (the page came back short or empty). Instead every match from the first one to
// the end of the page's last tie group is fetched (more, in doubling runs, while that group
// runs past what was fetched), weights within kRelaxedTie of their neighbour count as
// equal, and each such group is put in key order here. It costs a run from the first match
// whatever the page, and a key read per tied match: a relaxed query is the fall-back of a
// query that found nothing.
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
// sort is set here. `check`: checkatleast, as for Enquire::get_mset. `relaxed`: the query is
// a relaxed one (QueryBuilder::Share), ordered as below.
RankedPage RankByRelevance(Xapian::Enquire& enquire, size_t first, size_t count,
                           Xapian::doccount check, double min_weight, bool relaxed);

}  // namespace commerce::search
