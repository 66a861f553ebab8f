// Running one checked request on one reader: the text as a query (query_builder.h), the
// filters as boolean terms and value ranges, the sort, the facets, and the fall-backs when
// nothing matches — the spelling correction (corrector.h), then a minimum share of the
// words instead of every word — and the merchandising rules that apply (rules.h): hidden
// products left out, the rest ranked in tiers (boosted, the others, buried), pins placed at
// their positions over the whole list, and with SearchRequest::explain, how each hit got
// its place.
//
// Thread safety: one call per Reader at a time.
#pragma once

#include "commerce/search.h"
#include "search/category_names.h"
#include "search/reader_pool.h"
#include "search/rules.h"
#include "search/search_request.h"
#include "search/synonyms.h"
#include "search/word_list.h"

namespace commerce::search {

// Xapian errors come back as Status; DatabaseModifiedError (the indexer overwrote blocks
// this reader still needed) as Unavailable with `*modified` set, for the caller to reopen
// and run again; a lost or timed-out remote shard (NetworkError) as Unavailable with
// `*lost` set, for the caller to reconnect. The result carries the versions of `synonyms`
// (its caller's to set) and `rules`.
Result<SearchResult> RunQuery(Reader& reader, const CheckedRequest& request,
                              const Synonyms& synonyms, const Rules& rules, const WordList& words,
                              CategoryNames* names,
                              bool* modified, bool* lost = nullptr);

}  // namespace commerce::search
