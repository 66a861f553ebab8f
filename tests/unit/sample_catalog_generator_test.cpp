#include <catch2/catch.hpp>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "catalog/import_parser.h"
#include "catalog/product_validation.h"
#include "commerce/sample.h"
#include "test_dir.h"

namespace sample_catalog_generator_test {

using namespace commerce;

namespace {

SampleCatalog Make(uint64_t products, uint64_t seed = 42, double zipf_s = 1.0) {
  SampleCatalogOptions o;
  o.products = products;
  o.seed = seed;
  o.zipf_s = zipf_s;
  return SampleCatalog(o);
}

// A uniform [0, 1) stream that does not depend on the standard library.
double Uniform(uint64_t* state) {
  *state += 0x9e3779b97f4a7c15ull;
  uint64_t z = *state;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  z ^= z >> 31;
  return static_cast<double>(z >> 11) / 9007199254740992.0;
}

}  // namespace

TEST_CASE("sample: same seed gives identical products, another seed different ones", "[sample]") {
  const SampleCatalog a = Make(500);
  const SampleCatalog b = Make(500);
  const SampleCatalog c = Make(500, 7);
  size_t differing = 0;
  for (uint64_t i = 0; i < 500; ++i) {
    const Product p = a.product(i);
    CHECK(p == b.product(i));
    CHECK(p == a.product(i));  // computed again on demand: the same
    CHECK(p.id == SampleCatalog::ProductId(i));
    const Product q = c.product(i);
    CHECK(q.id == p.id);
    differing += q.title != p.title;
  }
  CHECK(differing > 450);
  // A product does not depend on the catalog size (only popularity does, through the ranks).
  Product small = Make(10).product(3);
  Product big = a.product(3);
  small.popularity = big.popularity = 0;
  CHECK(small == big);
}

TEST_CASE("sample: ids and a pinned product", "[sample]") {
  CHECK(SampleCatalog::ProductId(42) == "p00000042");
  CHECK(SampleCatalog::ProductId(123456789) == "p123456789");
  CHECK(SampleCatalog::Sku(42, 2) == "S00000042-2");
  // A fingerprint of the generator's output: if this changes, every catalog changed, and
  // benchmarks before and after the change are not comparable. Update it on purpose only.
  const SampleCatalog s = Make(1000);
  uint64_t h = 1469598103934665603ull;
  auto mix = [&](const std::string& text) {
    for (unsigned char ch : text) h = (h ^ ch) * 1099511628211ull;
  };
  for (uint64_t i = 0; i < 50; ++i) {
    const Product p = s.product(i);
    mix(p.title);
    mix(p.description);
    mix(std::to_string(p.popularity));
    for (const Variant& v : p.variants) mix(v.sku + std::to_string(v.price.minor) + v.barcode);
  }
  INFO("fingerprint " << h);
  CHECK(h == 11686458507906585296ull);  // the same with g++ and clang++ at -O0 and -O2
  CHECK(s.popular_index(0.5) == 541);
}

TEST_CASE("sample: 2,000 products pass validation and look realistic", "[sample]") {
  const SampleCatalog s = Make(2000);
  std::set<std::string> category_ids;
  for (const Category& c : s.categories()) category_ids.insert(c.id);
  std::set<std::string> brands, skus, leaves;
  std::map<size_t, size_t> variant_counts;
  size_t ninety_nine = 0;
  for (uint64_t i = 0; i < s.size(); ++i) {
    const Product p = s.product(i);
    Status valid = ValidateProduct(p);
    INFO(p.id << ": " << valid.ToString());
    REQUIRE(valid.ok());
    REQUIRE(p.categories.size() == 1);
    CHECK(category_ids.count(p.categories[0]) == 1);
    leaves.insert(p.categories[0]);
    brands.insert(p.brand);
    CHECK(p.title.rfind(p.brand + " ", 0) == 0);
    CHECK(p.description.size() > 40);
    CHECK(p.attributes.count("weight") == 1);
    ++variant_counts[p.variants.size()];
    for (const Variant& v : p.variants) {
      CHECK(skus.insert(v.sku).second);
      CHECK(v.price.currency == "USD");
      CHECK(v.price.minor > 0);
      CHECK(v.barcode.size() == 13);
      ninety_nine += v.price.minor % 100 == 99;
    }
  }
  CHECK(brands.size() > 150);
  CHECK(leaves.size() > 200);
  CHECK(variant_counts.size() == 4);  // 1 to 4 variants
  CHECK(ninety_nine > skus.size() / 2);
}

TEST_CASE("sample: the category tree is valid, parents first", "[sample]") {
  const std::vector<Category> tree = Make(1).categories();
  CHECK(tree.size() == 8 + 8 * 6 + 8 * 6 * 5);
  std::set<std::string> seen;
  for (const Category& c : tree) {
    Status valid = ValidateCategory(c);
    INFO(c.id << ": " << valid.ToString());
    CHECK(valid.ok());
    CHECK(c.parent_id == std::string(CategoryParentId(c.id)));
    if (!c.parent_id.empty()) CHECK(seen.count(c.parent_id) == 1);
    CHECK(seen.insert(c.id).second);
  }
  CHECK(seen.count("electronics/audio/headphones") == 1);
  CHECK(seen.count("home-kitchen/cookware/frying-pans") == 1);
  CHECK(seen.count("clothing/men/shirts") == 1);
}

TEST_CASE("sample: other currencies get their own minor units", "[sample]") {
  SampleCatalogOptions o;
  o.products = 50;
  o.currency = "JPY";
  const SampleCatalog yen(o);
  o.currency = "BHD";
  const SampleCatalog dinar(o);
  o.currency = "nope";
  const SampleCatalog fallback(o);
  for (uint64_t i = 0; i < 50; ++i) {
    CHECK(ValidateProduct(yen.product(i)).ok());
    CHECK(ValidateProduct(dinar.product(i)).ok());
    CHECK(yen.product(i).variants[0].price.currency == "JPY");
    CHECK(dinar.product(i).variants[0].price.minor % 10 == 0);
    CHECK(fallback.product(i).variants[0].price.currency == "USD");
  }
}

TEST_CASE("sample: popularity ranks are a permutation and Zipf draws favour rank 0", "[sample]") {
  const uint64_t n = 1000;
  const SampleCatalog s = Make(n);
  std::set<uint64_t> ranks;
  for (uint64_t i = 0; i < n; ++i) {
    const uint64_t r = s.popularity_rank(i);
    CHECK(r < n);
    CHECK(s.index_at_rank(r) == i);
    ranks.insert(r);
  }
  CHECK(ranks.size() == n);
  CHECK(s.index_at_rank(0) != 0);  // the most popular product is not simply the first
  CHECK(s.product(s.index_at_rank(0)).popularity > s.product(s.index_at_rank(1)).popularity);
  CHECK(s.product(s.index_at_rank(1)).popularity > s.product(s.index_at_rank(500)).popularity);

  std::map<uint64_t, uint64_t> hits;
  uint64_t state = 1;
  const int draws = 100'000;
  for (int k = 0; k < draws; ++k) {
    const uint64_t i = s.popular_index(Uniform(&state));
    REQUIRE(i < n);
    ++hits[i];
  }
  uint64_t best = 0, best_hits = 0;
  for (const auto& [i, h] : hits) {
    if (h > best_hits) best = i, best_hits = h;
  }
  CHECK(best == s.index_at_rank(0));
  // Zipf(1) over 1,000 ranks: rank 0 has about 1/H(1000) = 13% of the draws, rank 1 half that.
  CHECK(best_hits > draws / 10);
  CHECK(best_hits < draws / 5);
  CHECK(hits[s.index_at_rank(1)] > best_hits / 3);
  CHECK(hits[s.index_at_rank(1)] < best_hits * 2 / 3);
  CHECK(s.popular_index(0.0) == s.index_at_rank(0));
  CHECK(s.popular_index(0.999999999) == s.index_at_rank(n - 1));

  // s = 0 is uniform; a steeper s puts more on rank 0.
  const SampleCatalog flat = Make(n, 42, 0.0);
  const SampleCatalog steep = Make(n, 42, 2.0);
  uint64_t flat_top = 0, steep_top = 0;
  state = 1;
  for (int k = 0; k < 20'000; ++k) {
    const double u = Uniform(&state);
    flat_top += flat.popular_index(u) == flat.index_at_rank(0);
    steep_top += steep.popular_index(u) == steep.index_at_rank(0);
  }
  CHECK(flat_top < 100);
  CHECK(steep_top > 20'000 / 2);
}

TEST_CASE("sample: JSON Lines output round-trips through the importer", "[sample][import]") {
  commerce::testing::TempDir dir;
  const SampleCatalog s = Make(300);
  const std::string path = dir.sub("sample.jsonl");
  uint64_t last_progress = 0;
  {
    std::ofstream out(path, std::ios::binary);
    s.write_jsonl(out, [&](uint64_t done) { last_progress = done; });
  }
  CHECK(last_progress == 300);
  auto parser = ImportParser::Open(path, ImportOptions{});
  REQUIRE(parser.ok());
  ParsedRecord rec;
  uint64_t i = 0;
  while ((*parser)->next(&rec)) {
    INFO("line " << rec.line << ": " << rec.rejection.field << ": " << rec.rejection.reason);
    REQUIRE(rec.product.has_value());
    CHECK(rec.line == i + 1);
    Product p = rec.product->product;
    // Categories travel as paths of names, so that importing the file creates the tree.
    CHECK(rec.product->category_ids.empty());
    for (const auto& path : rec.product->category_paths) p.categories.push_back(CategoryIdFromPath(path));
    CHECK(p == s.product(i));
    ++i;
  }
  CHECK(i == 300);
  CHECK((*parser)->status().ok());
}

}  // namespace sample_catalog_generator_test
