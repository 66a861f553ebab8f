// Whether a word names products -- a word of titles, brands or category names -- for
// suggestions (suggester.cpp): such words are offered before words only met in descriptions,
// options or codes. Whether a word is one does not depend on what was typed, and the common
// words come back in query after query, so each reader remembers the answers per state of the
// index: the memo is dropped whenever the reader opens or reopens (Reader::opens), so it never
// outlives the index it was read from, and past kMaxNamingWordsKept words it starts again.
//
// Told without reading a product: a name of a category the index holds has the word, some
// title has it followed by another word (a title pair term starts with its stem: one
// term-list seek), or a brand is that one word (one term-frequency read). Category names are
// indexed as free text with the rest of a product's words, so the index cannot tell their words
// by itself (not without a format change); the categories it holds it can (the "XC" term of
// each category and its ancestors), and their names come from the catalog (category_names.h,
// cached): their words' stems are read into a set once per state, at most
// kMaxCategoryTermsRead category terms (the first in byte order). Over remote shards the names
// are the querying engine's catalog's, as for facet labels; a category it cannot read counts
// the words of its id (what the indexer indexes for it then).
//
// A word only ever last in titles is not told so; the caller may read a product's title for it
// and remember the answer here (NamingWord::first_read).
//
// Thread safety: a memo belongs to one Reader, used by one thread at a time (reader_pool.h).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <unordered_map>
#include <unordered_set>

#include "search/category_names.h"
#include "search/reader_pool.h"

namespace commerce::search {

// Category terms read per reader state: bounds the cost of a catalog with very many
// categories (the words of the others are not told).
inline constexpr size_t kMaxCategoryTermsRead = 10000;
// Words remembered per reader state: bounds the memo's memory (about 100 bytes a word).
inline constexpr size_t kMaxNamingWordsKept = 65536;

struct NamingWord {
  bool told = false;            // a category, title-pair or brand word (above)
  bool first_read = false;      // the caller read the first product with it (one word typed)
  bool in_first_title = false;  // and that product's title or brand holds it
};

class NamingWordsMemo {
 public:
  // What is known of `word` (stem `stem`) as of `reader`'s current state; `told` is worked out
  // on the first call per state. `names` may be null: no word is told a category word. The
  // reference is valid until the next call.
  NamingWord& Get(Reader& reader, CategoryNames* names, const std::string& word, const std::string& stem);

 private:
  bool CategoryWord(Reader& reader, CategoryNames& names, const std::string& stem);

  uint64_t opens_ = 0;
  bool any_ = false;
  bool categories_read_ = false;
  std::unordered_set<std::string> category_stems_;
  std::unordered_map<std::string, NamingWord> words_;
};

}  // namespace commerce::search
