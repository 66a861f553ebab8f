// Search-as-you-type (docs/search.md, "Suggestions"): completions of what a shopper has typed
// so far, from the words of the products and the phrases of their titles, and from popular
// queries (search analytics, search_analytics.h), typo tolerant.
//
//   auto s = engine->search().suggest({.text = "wireles hea"});
//   for (const auto& x : s->suggestions) std::cout << x.text << "\n";  // "wireless headphones"
//
// Plain values: no thread-safety concerns of their own (Search is safe from any thread).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace commerce {

struct SuggestRequest {
  // What has been typed: its last word is a prefix (unless the text ends with a space: then
  // the next word is offered, from the words that follow the last one in titles). 1 to
  // kMaxQueryChars characters, at most kMaxQueryWords words, at least one letter or digit.
  std::string text;
  size_t limit = 8;             // 1..50
  bool typo_tolerance = true;   // also complete words close to a misspelt one
  bool popular_queries = true;  // also offer recorded queries (search analytics) that fit
};

struct Suggestion {
  std::string text;         // the completed query, lower-cased
  // "query" (a popular query), "catalog" (the word being typed completed from the products'
  // words), or "phrase" (a catalog completion followed by the title words that most of its
  // products go on with: "noise" -> "noise cancelling headphones").
  std::string source;
  // "query": recorded searches of it kept (SearchOptions::analytics_retention_hours) that
  // found something as typed. "catalog" and "phrase": for one word, the products with it; for
  // more, the products with every word whose title holds the last two side by side, or, for a
  // completion of a word that does not follow the one before in any title ("sony headphones"
  // from "Sony Wireless Headphones"), the products with every word anywhere. A search for the
  // text finds at least these; past two words, or for such a completion, an estimate past 1,000.
  uint64_t count = 0;
  bool corrected = false;   // a typed word was replaced by a close one (typo tolerance)
};

struct SuggestResult {
  // Best first: popular queries, then catalog completions of the words as typed, then those
  // of corrected words; among catalog completions, those whose last two words are side by
  // side in titles before the others; each by count, then text.
  std::vector<Suggestion> suggestions;
  uint64_t index_seq = 0;  // the event sequence the index reflected
};

}  // namespace commerce
