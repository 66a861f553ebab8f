// The synthetic catalog and query stream of suite "search": deterministic (same seed and
// size, same bytes on every machine: integer arithmetic on splitmix64 only, no
// std::*_distribution, no floating point in what is generated), of any size, computed
// product by product in O(1) so a million products stream without being held.
//
// What it looks like:
//   - a vocabulary of 30,000 pronounceable pseudo-words ("poslar", "brogemin"), ranked: word
//     r is drawn with Zipf probability ~ 1/(r+1) (fixed-point weights, ZipfTable below);
//     the 50 most frequent act as the corpus's function words: descriptions draw from the
//     whole vocabulary, titles and queries only from ranks >= 50;
//   - 2,000 brands (one or two capitalised pseudo-words), Zipf-popular;
//   - 20 departments ("dept-3", named by a pseudo-word) of 15 leaf categories each
//     ("dept-3/cat-47", named by two pseudo-words): 300 leaves, Zipf-popular over a fixed
//     permutation so that popular leaves are spread over the departments;
//   - per product: id "sp00000042", one variant (SKU "SP00000042"), a title of 5-9 words, a
//     description of 20-40 words, a brand, one leaf category, a price ($1.99 to $981.99, in
//     cents), a popularity (Zipf-like: N / (1 + uniform(N))). The engine stamps the creation
//     time itself on import (Product::created_at_ms), so the corpus carries none.
//   - queries: 1 word (35%), 2 (40%) or 3 (25%), taken in title order from the title of a
//     product drawn uniformly: the terms follow the titles' Zipf distribution and every
//     query matches at least that product with every word. A query also names that
//     product's brand, department and a price range around its price [price/2, 2*price],
//     for the filtered cases.
//
// Thread safety: a SearchCorpus is immutable after construction; every method may be
// called from any number of threads.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "commerce/catalog.h"
#include "harness.h"
#include "search_peer.h"

namespace commerce::bench {

// Zipf(s = 1) over ranks [first, n): weight of rank r = floor(2^40 / (r + 1)), drawn by
// binary search over the cumulative weights.
class ZipfTable {
 public:
  ZipfTable(uint64_t n, uint64_t first = 0);
  // A rank in [first, n) for a uniform 64-bit number.
  uint64_t Draw(uint64_t random) const;

 private:
  uint64_t first_;
  std::vector<uint64_t> cumulative_;
};

struct SearchCorpusOptions {
  uint64_t products = 1'000'000;
  uint64_t seed = 42;
};

struct CorpusQuery {
  std::string text;      // 1-3 lower-case words
  std::string brand;     // the brand of the product the words come from
  std::string category;  // that product's department (a root category id)
  int64_t price_min = 0, price_max = 0;  // minor units, around that product's price
  uint64_t product = 0;  // that product
};

class SearchCorpus {
 public:
  static constexpr uint64_t kVocabulary = 30'000;
  static constexpr uint64_t kFunctionWords = 50;
  static constexpr uint64_t kBrands = 2'000;
  static constexpr uint64_t kDepartments = 20;
  static constexpr uint64_t kLeavesPerDepartment = 15;

  explicit SearchCorpus(SearchCorpusOptions options);

  uint64_t size() const { return options_.products; }

  // The departments, then the leaves (every parent before its children).
  std::vector<Category> categories() const;

  // Product i (REQUIRES: i < size()). revision > 0: the same product changed (a new price and
  // one title word replaced), as suite search's index-lag writes it.
  Product product(uint64_t i, uint32_t revision = 0) const;
  // A product as the peers index it: the same fields, category names and ids with ancestors.
  void ToDoc(const Product& p, SearchDoc* doc) const;
  void Doc(uint64_t i, SearchDoc* doc) const { ToDoc(product(i), doc); }

  // Every product as one line of the native JSON Lines import schema (ProductToJson, with
  // "category_ids": create categories() first).
  bool WriteJsonl(const std::string& path, Progress* progress, std::string* error) const;

  // The query of `seed` (any 64-bit number).
  CorpusQuery query(uint64_t seed) const;
  // `n` queries with distinct texts, from seeds derived from `seed`.
  std::vector<CorpusQuery> QueryPool(size_t n, uint64_t seed) const;

  static std::string ProductId(uint64_t i);  // "sp00000042"
  static std::string Sku(uint64_t i);        // "SP00000042"

 private:
  const std::string& Word(uint64_t rank) const { return vocabulary_[rank]; }

  SearchCorpusOptions options_;
  std::vector<std::string> vocabulary_;  // by Zipf rank
  std::vector<std::string> brands_;      // by Zipf rank
  std::vector<std::string> department_names_;
  std::vector<std::string> leaf_names_;  // leaf l is in department l / kLeavesPerDepartment
  ZipfTable all_words_;
  ZipfTable content_words_;
  ZipfTable brand_zipf_;
  ZipfTable leaf_zipf_;
};

}  // namespace commerce::bench
