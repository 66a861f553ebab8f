// Title phrases for suggestions (suggester.h): each pair of adjacent title words is a boolean
// term of its product, "XW" + the first word's stem + " " + the second word as written
// (lower-cased, unstemmed, as the word list keeps words). Its term frequency is the number of
// products whose title holds the pair, read without a match: what follows "sony" in titles
// and how often is one pass over the terms starting "XWsoni ", in the index itself (so it is
// committed with the documents, gone with a deleted product, and served by remote shards).
//
// The first word is stemmed so that "headphone" and "headphones" typed before find the same
// followers; the second is kept as written, because it is what a suggestion shows and what the
// word being typed is a prefix of.
//
// Thread safety: pure functions; a Xapian::Database is per caller.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <xapian.h>

namespace commerce::search {

inline constexpr std::string_view kPrefixTitlePair = "XW";

// The words of a title as the index's term generator splits them (Unicode word characters),
// lower-cased: "Sony WH-1000XM4 – Black" -> {"sony", "wh", "1000xm4", "black"}.
std::vector<std::string> TitleWords(std::string_view title);

// The pair term, or "" when it would pass Xapian's term length limit (such a pair is not
// indexed: no shopper types a phrase of 200-byte words).
std::string PairTerm(std::string_view first_stem, std::string_view second);
// Every term of `first_stem` followed by a word starting with `typed` ("" for any word).
std::string PairPrefix(std::string_view first_stem, std::string_view typed);

struct Follower {
  std::string word;     // the second word, as written in titles
  uint64_t products = 0;  // products whose title holds the pair
};
// The words that follow `first_stem` in titles and start with `typed`, in byte order, from
// at most `max_terms` index terms (a bound on a very common word's followers).
std::vector<Follower> Followers(const Xapian::Database& db, std::string_view first_stem,
                                std::string_view typed, size_t max_terms);

}  // namespace commerce::search
