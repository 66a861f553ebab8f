// Search-as-you-type completions (suggest.h) on one reader: the word being typed completed
// from the word list (word_list.h) or, after a word, from the words that follow it in titles
// (title_pairs.h), typo tolerant as corrections are (edit_cost.h); phrase completions; and
// recorded queries that start with the text (analytics.h).
//
// Ranking is deterministic: popular queries first (a shopper's own words, already known to
// find something), by searches that found something; then catalog completions, as typed
// before corrected, those read from title pairs before loose ones, title, brand and category
// words before the others (below), by the products they find, all with the text as the final
// tie-break. A completion that finds nothing is
// never offered; one stem is offered once.
//
// Candidates, one word typed: the words of the 2 x limit most frequent index stems starting
// with it (one pass over the index's term list, at most 5,000 terms), then up to 40 words of
// the word list starting with it in byte order (a stem can be shorter than the typed word),
// then, typo tolerant, words starting with close prefixes; counted by their stems' frequency,
// title, brand and category-name words (naming_words.h) before words only met in
// descriptions, options or codes.
// After a word: the title pair terms of that word and what is typed of the next (one pass, at
// most 5,000 terms), counted by the pairs' frequency; with more words before the pair, each
// candidate is also counted with them (one counting match), most promising first, until the
// pair frequencies (bounds) say no other can enter. Loose: when the pairs give fewer than the
// limit and a word is being typed, its candidates as when alone, each counted with every word
// before it anywhere in the product (bounded the same way, exact up to 100 products), title,
// brand and category words before words only met in descriptions or codes, shown in the form
// a product's title writes it. Counts share one read of the words before (candidate_counter.h).
//
// Phrases: each of the two best completions followed by the title words that at least half
// of its products go on with (docs/search.md, "Suggestions"); a stem's most frequent
// followers are remembered per reader state (top_followers.h).
//
// Thread safety: on the reader's thread (reader_pool.h); the word list and analytics are
// safe from any thread.
#pragma once

#include "commerce/status.h"
#include "commerce/suggest.h"
#include "search/analytics.h"
#include "search/category_names.h"
#include "search/reader_pool.h"
#include "search/word_list.h"

namespace commerce::search {

inline constexpr size_t kMaxSuggestions = 50;

// InvalidArgument naming the field, or OK.
Status CheckSuggestRequest(const SuggestRequest& request);

// `analytics` may be null (no popular queries); `names` may be null (no word is told a
// category-name word). Xapian errors propagate (the caller turns them into a Status and
// retries a modified database).
SuggestResult Suggest(Reader& reader, const WordList& words, const Analytics* analytics, CategoryNames* names,
                      const SuggestRequest& request);

}  // namespace commerce::search
