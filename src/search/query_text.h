// The structure of what a shopper types: words, "quoted phrases", -excluded and +required
// words, OR between two alternatives, and the word still being typed. Each clause keeps its
// place in the text, so that a correction replaces a word where it stands and leaves the
// rest — quotes, signs, operators, the trailing space that ends the last word — as typed.
//
// Grammar (whitespace separates clauses; anything unbalanced is read literally):
//   clause   := ['-' | '+'] (word | '"' words '"')      '-' excludes, '+' requires
//   NOT x    == -x
//   a OR b   a clause that is an alternative to the previous one (same group)
//   AND      ignored (every group is required)
// A word is any run of non-space characters; what terms it makes (wi-fi -> wi, fi) is
// Xapian's business, through the same QueryParser as the index's TermGenerator.
//
// Thread safety: pure functions and values.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace commerce::search {

struct Clause {
  std::string text;      // the word or the phrase's words, as typed (no sign, no quotes)
  size_t begin = 0;      // [begin, end) of `text` in the typed string
  size_t end = 0;
  bool phrase = false;   // was quoted
  bool excluded = false; // -word, NOT word
  bool required = false; // +word: required even when a query is relaxed to some of its words
  bool partial = false;  // the last word, still being typed (a prefix)
  size_t group = 0;      // clauses joined by OR share a group; groups are ANDed
};

struct QueryText {
  std::vector<Clause> clauses;
  size_t groups = 0;  // number of groups of non-excluded clauses

  // Non-excluded clauses, in order.
  std::vector<const Clause*> positive() const;
};

// `prefix`: the request treats the last word as a prefix (it is partial unless the text ends
// with a space, or it is quoted or excluded).
QueryText ParseQueryText(std::string_view text, bool prefix);

// `text` with the given clauses' words replaced: (clause index, new text) pairs.
std::string ReplaceClauses(std::string_view text, const QueryText& q,
                           const std::vector<std::pair<size_t, std::string>>& replacements);

}  // namespace commerce::search
