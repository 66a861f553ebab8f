// What the search peers of commerce-bench share (suites "search" and "search-quality"): the
// document a peer indexes, the query it runs and what it answers, so that the raw-Xapian and
// SQLite FTS5 baselines index the same fields with the same weights as the engine and are
// asked the same questions.
//
// The engine indexes a product's title, brand, category names and description, weighted in
// that order; the peers mirror it with the weights below (Xapian: wdf increments of the
// TermGenerator; FTS5: bm25() column weights).
//
// Thread safety: plain values and pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace commerce::bench {

// Field weights: title > brand > category names > description, the engine's
// (src/search/index_schema.h: wdf 4, 3, 2, 1 per occurrence).
inline constexpr int kTitleWeight = 4;
inline constexpr int kBrandWeight = 3;
inline constexpr int kCategoryWeight = 2;
inline constexpr int kDescriptionWeight = 1;

// The engine's cap on exact facet counting (search.h kFacetExactCap): a peer computing facets
// looks at as many matches.
inline constexpr uint64_t kPeerFacetCap = 10000;

// One product as a peer indexes it.
struct SearchDoc {
  std::string id;                         // the engine's product id
  std::string title;
  std::string brand;
  std::string description;
  std::string category_text;              // the names of its categories (and their ancestors)
  std::vector<std::string> category_ids;  // its category ids and every ancestor's
  int64_t price = 0;                      // minor units (the lowest variant price)
  int64_t popularity = 0;
};

// One search: text, filters (AND), optionally the brand facet. Empty filter = none.
struct PeerQuery {
  std::string text;
  std::string brand;     // exact, case-insensitive
  std::string category;  // a category id; includes its sub-categories
  std::optional<int64_t> price_min, price_max;  // minor units, inclusive
  bool facet_brand = false;
  // Multi-select: the brand facet counts without the brand filter (the other filters apply),
  // a second pass over the matches as the engine's disjunctive facet makes.
  bool facet_brand_multiselect = false;
  size_t limit = 20;
};

struct PeerResult {
  std::vector<std::string> ids;  // best first
  uint64_t matches = 0;          // as the peer knows it (an estimate for Xapian)
  std::vector<std::pair<std::string, uint64_t>> brand_facet;  // top 10, by count
  bool relaxed = false;          // every-word query found nothing: any-word results
  bool corrected = false;        // the results are those of a spelling correction
  void clear() {
    ids.clear();
    matches = 0;
    brand_facet.clear();
    relaxed = false;
    corrected = false;
  }
};

// The words of a query as a peer sees them: runs of ASCII letters and digits (bytes >= 0x80
// count as letters, so UTF-8 words stay whole), lower-cased.
std::vector<std::string> QueryTokens(std::string_view text);

// ASCII lower case.
std::string Lower(std::string_view s);

}  // namespace commerce::bench
