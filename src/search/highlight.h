// The highlighted title of a hit: the title, HTML-escaped, with each word that matched the
// query wrapped in <b>..</b>. A title word matches when its English stem is the stem of a
// query word, or, for the word being typed, when it starts with it.
//
// (Xapian's MSet::snippet recognises stems only in the "Z"-prefixed form of STEM_SOME; the
// index uses STEM_ALL — half the terms, a faster write path — so highlighting is done here.)
//
// Thread safety: pure functions; the Stem is the caller's.
#pragma once

#include <string>
#include <string_view>
#include <unordered_set>

#include <xapian.h>

namespace commerce::search {

struct HighlightTerms {
  std::unordered_set<std::string> stems;  // of the query's words
  std::string prefix;                     // the word being typed, lower-cased, or ""
};

HighlightTerms TermsToHighlight(std::string_view query_text, bool last_word_partial,
                                const Xapian::Stem& stem);
std::string Highlight(std::string_view title, const HighlightTerms& terms, const Xapian::Stem& stem);
std::string HtmlEscape(std::string_view s);

}  // namespace commerce::search
