// Search-as-you-type (docs/search.md, "Suggestions"): completions of what a shopper has typed
// so far, from the words of the products (titles first) and from popular queries (search
// analytics, search_analytics.h), typo tolerant.
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
  // What has been typed: its last word is a prefix (unless the text ends with a space). 1 to
  // kMaxQueryChars characters, at most kMaxQueryWords words, at least one letter or digit.
  std::string text;
  size_t limit = 8;             // 1..50
  bool typo_tolerance = true;   // also complete words close to a misspelt one
  bool popular_queries = true;  // also offer recorded queries (search analytics) that fit
};

struct Suggestion {
  std::string text;         // the completed query, lower-cased
  std::string source;       // "query" (a popular query) or "catalog" (the products' words)
  // "query": recorded searches of it kept (SearchOptions::analytics_retention_hours) that
  // found something as typed; "catalog": the products it finds (an estimate for large counts).
  uint64_t count = 0;
  bool corrected = false;   // a typed word was replaced by a close one (typo tolerance)
};

struct SuggestResult {
  // Best first: popular queries, then catalog completions of the words as typed, then those
  // of corrected words; each by count, then text.
  std::vector<Suggestion> suggestions;
  uint64_t index_seq = 0;  // the event sequence the index reflected
};

}  // namespace commerce
