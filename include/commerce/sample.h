// A deterministic generator of realistic sample catalogs, of any size.
//
// The demo, the tests and the benchmarks all draw their catalogs from here, so a benchmark
// run on one machine and a bug report from another talk about the same products: for the
// same options, every call returns the same bytes on every platform and standard library.
// (No std::*_distribution, whose output differs between standard libraries, and no
// floating-point arithmetic in what is generated: prices, popularity and the Zipf draw use
// integer and fixed-point arithmetic only.)
//
// What a catalog looks like: a three-level category tree (8 departments such as
// Electronics > Audio > Headphones or Home & Kitchen > Cookware > Frying Pans, 240 leaves),
// 300 brands, titles of brand + adjective + a noun fitting the leaf + a model number,
// descriptions of 2-4 sentences, 1-4 variants with options that fit the department (size
// and colour for clothing, colour and storage for phones, size for pans), log-normal prices
// per category with realistic endings (49.99), attributes (material, weight, warranty, ...),
// and a popularity that follows Zipf ranks over a seeded permutation of the products, so the
// most popular products are spread over the id space rather than first in it.
//
// Every product passes the catalog's validation, and write_jsonl() writes the native import
// schema (Catalog::import_file), so a sample catalog round-trips through the importer.
//
// Thread safety: a SampleCatalog is immutable after construction; all its methods may be
// called from any number of threads.
#pragma once

#include <cstdint>
#include <functional>
#include <iosfwd>
#include <string>
#include <vector>

#include "commerce/catalog.h"
#include "commerce/export.h"

namespace commerce {

struct SampleCatalogOptions {
  uint64_t products = 1000;
  // Different seeds give different catalogs over the same category tree and brands.
  uint64_t seed = 42;
  // The currency of every price; prices are in its major units at US-dollar-like magnitudes.
  // Must be an active ISO 4217 code (IsKnownCurrency); anything else is replaced by USD.
  std::string currency = "USD";
  // The Zipf exponent of popularity (1.0 is classic Zipf; 0 is uniform). Clamped to [0, 4].
  double zipf_s = 1.0;
};

class COMMERCE_EXPORT SampleCatalog {
 public:
  explicit SampleCatalog(SampleCatalogOptions options);

  uint64_t size() const { return options_.products; }
  const SampleCatalogOptions& options() const { return options_; }

  // The i-th product (REQUIRES: i < size()), with `categories` holding its category ids.
  // Each product is computed from (seed, i) alone, in O(1) time and memory, so a benchmark
  // can stream a million products without holding them.
  Product product(uint64_t i) const;

  // The whole category tree, breadth first: the departments, then their sub-categories,
  // then the leaves; every parent before its children.
  std::vector<Category> categories() const;

  // A product index drawn with Zipf(zipf_s) probability by popularity rank, from `u01`, a
  // uniform number in [0, 1): how benchmarks pick popular products. The most likely index
  // is index_at_rank(0), the product with the highest popularity.
  uint64_t popular_index(double u01) const;
  // The popularity rank of product i (0 = most popular) and its inverse: a seeded
  // permutation of [0, size()).
  uint64_t popularity_rank(uint64_t i) const;
  uint64_t index_at_rank(uint64_t rank) const;

  // "p00000042"; "S00000042-1" for variant 1 (variants count from 1).
  static std::string ProductId(uint64_t i);
  static std::string Sku(uint64_t i, int variant);

  // Writes every product as one line of the native JSON Lines import schema, using
  // "category_ids" (create categories() first). `progress` is called with the number of
  // products written, every 10,000 and at the end.
  void write_jsonl(std::ostream& out, std::function<void(uint64_t)> progress = {}) const;

 private:
  SampleCatalogOptions options_;
  int exponent_ = 2;         // the currency's minor-unit digits
  int64_t zipf_s_q32_ = 0;   // zipf_s in 32.32 fixed point
  uint64_t perm_keys_[4] = {};
  unsigned perm_half_bits_ = 1;
};

}  // namespace commerce
