// The highlighted title of a hit: the title, HTML-escaped, with each word that matched the
// query wrapped in <b>..</b>. A title word matches when its English stem is the stem of a
// query word, or, for the word being typed, when it starts with it.
//
// (Xapian's MSet::snippet recognises stems only in the "Z"-prefixed form of STEM_SOME; the
// index uses STEM_ALL — half the terms, a faster write path — so highlighting is done here.)
//
// Thread safety: pure functions; the Stem and the StemCache are the caller's.
#pragma once

#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>

#include <xapian.h>

namespace commerce::search {

struct HighlightTerms {
  std::unordered_set<std::string> stems;  // of the query's words
  std::string prefix;                     // the word being typed, lower-cased, or ""
};

// The English stems of title words, remembered. Stemming each word of each hit's title was
// most of the highlight's cost (docs/search.md, "Performance"), and titles' words recur from
// hit to hit and from query to query. Bounded: emptied when it holds kMaxWords words (a
// reader's worth of memory stays under a megabyte whatever the catalog's vocabulary).
class StemCache {
 public:
  static constexpr size_t kMaxWords = 8192;

  // `word` lower-cased, as SplitWords gives it.
  const std::string& Of(const std::string& word);
  size_t size() const { return stems_.size(); }

 private:
  Xapian::Stem stem_{"english"};  // its own: a Stem is not to be shared across threads
  std::unordered_map<std::string, std::string> stems_;
};

HighlightTerms TermsToHighlight(std::string_view query_text, bool last_word_partial,
                                const Xapian::Stem& stem);
std::string Highlight(std::string_view title, const HighlightTerms& terms, StemCache& stems);
std::string HtmlEscape(std::string_view s);

}  // namespace commerce::search
