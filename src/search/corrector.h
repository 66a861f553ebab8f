// Spelling corrections: each word of a query that the index does not know, replaced by the
// likeliest word it does, with everything else the shopper typed left as it was (quotes,
// signs, operators, the word still being typed stays a prefix).
//
// A word is known when the word list (word_list.h) has it and its stem still finds a product;
// a word being typed is known when some indexed term starts with it. Words under four letters
// and words with digits are left alone: in real query logs they are abbreviations and model
// numbers, not typos. A word whose stem is indexed but which is not itself a word of the index
// ("tabled", stem "tabl" of "table") is a candidate for correction too; keeping it costs half
// an edit, so it is replaced only when a correction fits the query clearly better.
//
// Candidates come from the word list within a weighted edit distance (edit_cost.h; the first
// letter kept, as people rarely get it wrong, unless no word of that letter is a live
// candidate: then words of other letters, at WordList::kFirstLetterChanged more) and must
// still find products. They are ranked
//   - without context ("did you mean" beside results): by edit cost, then by how many products
//     the word finds;
//   - with context (the query found nothing): every combination of the best candidates per
//     word is counted against the rest of the query and the request's filters; a combination
//     that finds products beats one that does not, then cost minus a bonus of up to half an
//     edit for how many products it finds (on a log scale, relative to the index size). So
//     "ihone case" becomes "iphone case" — "phone" changes the first letter, and among words
//     at the same distance the one that goes with "case" wins, not the most frequent one.
//
// Thread safety: one Corrector per Reader, on the reader's thread.
#pragma once

#include <string>
#include <vector>

#include "commerce/status.h"
#include "search/query_builder.h"
#include "search/query_text.h"
#include "search/reader_pool.h"
#include "search/word_list.h"

namespace commerce::search {

struct Correction {
  std::string text;  // the corrected text; "" when no word needed correcting
  struct Fix {
    std::string from, to;  // a word as typed (lower-cased) and its replacement
    double cost = 0;       // weighted edit distance
  };
  std::vector<Fix> fixes;
};

class Corrector {
 public:
  Corrector(Reader& reader, const WordList& words, QueryBuilder& builder)
      : reader_(reader), words_(words), builder_(builder) {}

  // `with_context`: count candidate combinations against the query and `filters` (the
  // fall-back after no results); otherwise pick per word by cost and frequency.
  Result<Correction> Correct(const QueryText& q, const std::string& text, const Xapian::Query& filters,
                             bool with_context);

  // The run of the query as typed: its words' frequencies come from the match's own
  // statistics instead of a lookup in every shard (MSet::get_termfreq; other words are
  // looked up as before). Null: look every word up. Must outlive the Correct calls.
  void UseStats(const Xapian::MSet* run) { stats_ = run; }

 private:
  struct Candidate {
    std::string word;  // replacement for the clause's word ("" keeps it)
    double cost = 0;
    uint64_t freq = 0;
  };
  Xapian::doccount TermFreq(const std::string& term) const;
  bool Live(const std::string& word, bool prefix);
  uint64_t Freq(const std::string& word, bool prefix);
  Result<uint64_t> Count(const std::string& text, bool prefix, const Xapian::Query& filters);

  Reader& reader_;
  const WordList& words_;
  QueryBuilder& builder_;
  const Xapian::MSet* stats_ = nullptr;
};

}  // namespace commerce::search
