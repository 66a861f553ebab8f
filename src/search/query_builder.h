// From a shopper's text (query_text.h) to the Xapian query that runs: each clause through
// the reader's QueryParser (the TermGenerator's tokenizer and stems; the word being typed
// expanded to its most frequent completions), OR-alternatives and synonym runs as units,
// exclusions as AND_NOT, and a SKU or model number as one more way to match.
//
// Two shapes:
//   Every(): every unit is required — the query as typed.
//
// A SKU or model number (WithCode): the text as one code also matches, and a product so
// found gains kCodeWeight, so it ranks first whatever its words weigh.
//   Share(): the any-word fallback, bounded by a minimum share of the words
//     (SearchRequest::minimum_should_match). Each unit a product matches adds kWordTier to
//     its weight (a FixedWeightPostingSource, which remote shards know), so a product
//     matching more words ranks above one matching fewer whatever their BM25, and a boolean
//     filter (ShareFilter) leaves out products below the minimum share. The word being typed
//     counts half a word and never meets the minimum alone — "frying p" needs "frying" —
//     unless it is already a whole word of the index ("bose speaker").
//
// Thread safety: one builder per Reader, on the reader's thread.
#pragma once

#include <string>
#include <string_view>

#include "commerce/status.h"
#include "search/highlight.h"
#include "search/query_text.h"
#include "search/reader_pool.h"
#include "search/synonyms.h"

namespace commerce::search {

// Weight a relaxed query adds per matched word: above any sum of BM25 parts (at most a few
// thousand for 32 words, field weights and the code boost included).
inline constexpr double kWordTier = 1e6;
// Weight an exact code match adds (a FixedWeightPostingSource filtered by the code term: the
// term is boolean, so its own BM25 weight is 0). Above any sum of BM25 parts, so the product
// the text names by its code ranks before every text match; under half a word tier, so it
// never reads as a matched word (MatchedWords) and stays within its relaxed tier.
inline constexpr double kCodeWeight = 1e5;
static_assert(static_cast<long long>(kWordTier / 2) % static_cast<long long>(kCodeWeight) == 0 &&
                  kCodeWeight * 2 <= kWordTier / 2,
              "TextWeight takes the weight modulo kCodeWeight: a code match and BM25 fit in half a tier");

// A query matching every document. Not Xapian::Query::MatchAll: that is one static object
// whose reference count (not atomic) every copy changes, so copies made by several search
// threads at once corrupt it and it is freed under a running query (Xapian's query.h says to
// build this instead; search_search_test "queries without text run from several threads").
inline Xapian::Query MatchAllQuery() { return Xapian::Query(std::string()); }

struct QueryPlan {
  Xapian::Query query;       // empty: no clause makes a term and nothing is excluded
  double min_weight = 0;     // Enquire weight cutoff (Share, past kMaxShareSets only)
  size_t units = 0;          // positive units; the word being typed is one
  size_t required = 0;       // units that must match (Every: all; Share: the minimum share)
  bool relaxed = false;      // made by Share
  // The text as one SKU or code ("K" + normalised), when it is looked up as one; else "".
  std::string code_term;
  HighlightTerms highlight;  // the words to mark in titles
};

class QueryBuilder {
 public:
  QueryBuilder(Reader& reader, const Synonyms& synonyms) : reader_(reader), synonyms_(synonyms) {}

  Result<QueryPlan> Every(const QueryText& q, std::string_view text);
  // `percent` of the complete (not being typed) units, rounded down, at least one. An empty
  // plan when there is nothing to relax to (a single complete word).
  Result<QueryPlan> Share(const QueryText& q, std::string_view text, int percent);

 private:
  struct Unit {
    Xapian::Query query;
    double words = 1;    // words it stands for (a synonym run covers several)
    bool partial = false;
    bool required = false;
  };
  // `weigh_typing`: find out whether the word being typed is already whole (Unit::partial),
  // which costs a term lookup; only Share() weighs it.
  Status Units(const QueryText& q, std::vector<Unit>* units, Xapian::Query* excluded,
               HighlightTerms* highlight, bool weigh_typing);
  Result<Xapian::Query> Parse(const std::string& text, bool partial, bool phrase);
  Xapian::Query WithCode(Xapian::Query q, std::string_view text, std::string* code_term);
  bool WholeWord(const std::string& text);

  Reader& reader_;
  const Synonyms& synonyms_;
};

// A ranked weight's parts: its BM25 part (without word tiers or a code match), how many words
// a relaxed query's product matched, and whether it matched the text as a code.
double TextWeight(double weight);
double MatchedWords(double weight);
bool CodeMatched(double weight);

}  // namespace commerce::search
