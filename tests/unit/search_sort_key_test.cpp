// Tests of the order of search results (src/search/sort_key.cpp): the keys that make every
// sort total, and the regression test of issue 18's first defect — two indexes built from one
// catalog, in different orders, must answer every page of every query identically.
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "commerce/engine.h"
#include "commerce/sample.h"
#include "search/sort_key.h"
#include "test_dir.h"
#include "test_search.h"

namespace search_sort_key_test {

namespace {

using commerce::Engine;
using commerce::SampleCatalog;
using commerce::SearchRequest;
using commerce::testing::OpenSearchEngine;
using commerce::testing::TempDir;

// Loads the catalog's products in the order given by `order`, a batch of `batch` products
// indexed at a time: the index's internal document numbers follow the load order.
void Load(Engine& e, const SampleCatalog& catalog, const std::vector<uint64_t>& order, size_t batch) {
  for (const auto& c : catalog.categories()) REQUIRE(e.catalog().upsert_category(c).ok());
  for (size_t i = 0; i < order.size(); ++i) {
    auto r = e.catalog().upsert(catalog.product(order[i]));
    INFO(r.status().ToString());
    REQUIRE(r.ok());
    if ((i + 1) % batch == 0 || i + 1 == order.size()) {
      auto seq = e.events().last_seq();
      REQUIRE(seq.ok());
      REQUIRE(e.search().wait_for(*seq, std::chrono::seconds(30)).ok());
    }
  }
}

std::vector<std::string> Page(Engine& e, SearchRequest r) {
  r.use_cache = false;
  auto res = e.search().query(r);
  INFO(res.status().ToString());
  REQUIRE(res.ok());
  std::vector<std::string> ids;
  for (const auto& h : res->hits) ids.push_back(h.product_id);
  return ids;
}

}  // namespace

TEST_CASE("sort keys order by their parts, then by product id", "[search][sort]") {
  using commerce::search::SortKey;
  // Ascending integers, and descending ones, compare as the numbers do, whatever their size.
  std::vector<int64_t> values = {INT64_MIN, -1000000, -256, -255, -1, 0, 1, 9, 255, 256, 65535,
                                 65536, 4999, 1LL << 40, INT64_MAX};
  std::sort(values.begin(), values.end());
  for (size_t i = 0; i + 1 < values.size(); ++i) {
    INFO(values[i] << " vs " << values[i + 1]);
    CHECK(SortKey().Ascending(values[i]).str() < SortKey().Ascending(values[i + 1]).str());
    CHECK(SortKey().Descending(values[i]).str() > SortKey().Descending(values[i + 1]).str());
  }
  // A later part only decides between equal earlier parts, even when the parts are of
  // different lengths (every integer part is prefix-free).
  CHECK(SortKey().Ascending(5).Descending(1).Id("a").str() <
        SortKey().Ascending(5).Descending(0).Id("a").str());
  CHECK(SortKey().Ascending(255).Id("zzz").str() < SortKey().Ascending(256).Id("a").str());
  CHECK(SortKey().Descending(256).Id("zzz").str() < SortKey().Descending(255).Id("a").str());
  // Ids last, in byte order: "a" < "ab" < "b".
  CHECK(SortKey().Descending(7).Id("a").str() < SortKey().Descending(7).Id("ab").str());
  CHECK(SortKey().Descending(7).Id("ab").str() < SortKey().Descending(7).Id("b").str());
}

// The caller's prices read a document's id from its popularity key (caller_prices.cpp).
TEST_CASE("a key's integer part is skipped to its id whatever its sign direction and size",
          "[search][sort]") {
  using commerce::search::AfterSortKeyPart;
  using commerce::search::SortKey;
  for (int64_t v : {INT64_MIN, int64_t{-65536}, int64_t{-1}, int64_t{0}, int64_t{1}, int64_t{255}, int64_t{256},
                    int64_t{1} << 40, INT64_MAX}) {
    CAPTURE(v);
    CHECK(AfterSortKeyPart(SortKey().Ascending(v).Id("p-1").str()) == "p-1");
    CHECK(AfterSortKeyPart(SortKey().Descending(v).Id("p-1").str()) == "p-1");
    CHECK(AfterSortKeyPart(SortKey().Descending(v).Id("").str()).empty());
  }
  // Not a key: nothing.
  CHECK(AfterSortKeyPart("").empty());
  CHECK(AfterSortKeyPart("abc").empty());
  CHECK(AfterSortKeyPart(std::string(1, '\x88')).empty());  // says 8 bytes follow; none do
}

TEST_CASE("two indexes of one catalog, loaded in different orders into 1 and 3 shards, answer every page alike",
          "[search][sort][determinism]") {
  // Issue 18, defect 1: equal scores came back in the order the products happened to be
  // indexed, so two stores of the same catalog disagreed and pages repeated or skipped items.
  const SampleCatalog catalog({.products = 600, .seed = 7});
  std::vector<uint64_t> forward(catalog.size()), shuffled(catalog.size());
  for (uint64_t i = 0; i < catalog.size(); ++i) forward[i] = i;
  // A fixed permutation (multiplication by a unit modulo the size), loaded in small batches.
  for (uint64_t i = 0; i < catalog.size(); ++i) shuffled[i] = (i * 241 + 17) % catalog.size();
  REQUIRE(std::set<uint64_t>(shuffled.begin(), shuffled.end()).size() == catalog.size());

  // Different shard counts too: one database, and three read as one (a product's shard is
  // its id's hash, so the documents' order differs again).
  TempDir dir_a, dir_b;
  auto a = OpenSearchEngine(dir_a.path(), 1, /*run_indexer=*/false);
  auto b = OpenSearchEngine(dir_b.path(), 3, /*run_indexer=*/false);
  Load(*a, catalog, forward, 600);
  Load(*b, catalog, shuffled, 37);

  // Words that many products share, so that scores tie; browses, where every score ties.
  std::vector<SearchRequest> queries;
  for (const char* text : {"", "black", "wireless headphones", "pan", "case", "cotton shirt", "stainless"}) {
    for (const char* sort : {"", "relevance", "popularity", "price_asc", "price_desc", "newest"}) {
      queries.push_back({.text = text, .sort = sort});
      queries.push_back({.text = text, .categories = {"electronics"}, .sort = sort});
      queries.push_back({.text = text, .in_stock = false, .sort = sort, .relax = false});
    }
  }
  size_t compared_pages = 0, nonempty = 0, reordered = 0;
  for (SearchRequest q : queries) {
    std::vector<std::string> all_a;
    for (q.offset = 0;; q.offset += 7) {
      q.limit = 7;
      const auto pa = Page(*a, q);
      const auto pb = Page(*b, q);
      INFO("text '" << q.text << "' sort '" << q.sort << "' offset " << q.offset);
      // (Creation times are the engine's clock at the first upsert, so "newest" is compared
      // only within one index.)
      if (q.sort != "newest") REQUIRE(pa == pb);
      ++compared_pages;
      all_a.insert(all_a.end(), pa.begin(), pa.end());
      if (pa.size() < 7 || q.offset > 280) break;
    }
    // Pages neither repeat nor skip: together they are the first page of their total size.
    std::set<std::string> unique(all_a.begin(), all_a.end());
    INFO("text '" << q.text << "' sort '" << q.sort << "'");
    REQUIRE(unique.size() == all_a.size());
    q.offset = 0;
    q.limit = 98;
    auto whole = Page(*a, q);
    all_a.resize(std::min(all_a.size(), whole.size()));
    REQUIRE(whole == all_a);
    if (!all_a.empty()) ++nonempty;
    // Category intent (on by default) reorders some text queries' first matches: the pages
    // above stitched the reordered list, not only BM25 order.
    SearchRequest bm25 = q;
    bm25.category_intent = false;
    if (!q.text.empty() && (q.sort.empty() || q.sort == "relevance") && Page(*a, bm25) != whole) ++reordered;
  }
  CHECK(reordered > 0);
  CHECK(compared_pages > 500);
  CHECK(nonempty > queries.size() / 2);
}

TEST_CASE("relevance ties go to popularity then id on every page of a query with facets or relaxed",
          "[search][sort][determinism]") {
  // The engine sorts by relevance alone and puts tied matches in key order itself, running the
  // window again when a tie crosses its edge (src/search/ranked_page.h): every page must hold
  // what relevance, then popularity (descending), then id gives, whichever shard and document
  // number a product has. Two groups of equal scores (the word twice in the title, or once),
  // popularity repeating so that ids decide too, loaded in a scrambled order into 2 shards.
  TempDir dir;
  auto e = OpenSearchEngine(dir.path(), 2, /*run_indexer=*/false);
  constexpr int kProducts = 60;
  struct Expected {
    bool twice;
    int64_t popularity;
    std::string id;
  };
  std::vector<Expected> expected;
  for (int k = 0; k < kProducts; ++k) {
    const int i = (k * 37 + 11) % kProducts;  // a permutation: ids are not indexed in order
    commerce::Product p;
    p.id = "p" + std::to_string(100 + i);
    p.title = i % 5 == 0 ? "walnut walnut board" : "walnut board";
    p.brand = "Brand" + std::to_string(i % 3);
    p.popularity = i % 4;
    commerce::Variant v;
    v.sku = "SKU-" + p.id;
    v.price = commerce::Money{1000, "USD"};
    p.variants.push_back(v);
    auto r = e->catalog().upsert(p);
    INFO(r.status().ToString());
    REQUIRE(r.ok());
    expected.push_back({i % 5 == 0, p.popularity, p.id});
  }
  commerce::testing::WaitIndexed(*e);
  std::sort(expected.begin(), expected.end(), [](const Expected& a, const Expected& b) {
    if (a.twice != b.twice) return a.twice;
    if (a.popularity != b.popularity) return a.popularity > b.popularity;
    return a.id < b.id;
  });
  std::vector<std::string> order;
  for (const auto& x : expected) order.push_back(x.id);

  std::vector<SearchRequest> queries = {
      {.text = "walnut"},
      {.text = "walnut", .facets = {"brand"}},
      {.text = "walnut board", .sort = "relevance"},
      // Relaxed (one of the two words), each match's weight a tier plus its BM25.
      {.text = "walnut zzzqqq", .typo_tolerance = false},
  };
  for (const auto& base : queries) {
    INFO("text '" << base.text << "' facets " << base.facets.size());
    SearchRequest whole = base;
    whole.limit = 100;
    const auto all = commerce::testing::Find(*e, whole);
    REQUIRE(commerce::testing::Ids(all) == order);
    REQUIRE(all.total == kProducts);
    // Equal titles score alike: ties are what is being tested.
    REQUIRE(all.hits[0].score == all.hits[11].score);
    REQUIRE(all.hits[12].score == all.hits[59].score);
    REQUIRE(all.hits[11].score > all.hits[12].score);
    // Every window: edges inside a tie group, across the groups' boundary, at the end.
    for (size_t limit : {1, 5, 7}) {
      for (size_t offset = 0; offset < kProducts + 2; ++offset) {
        SearchRequest q = base;
        q.offset = offset;
        q.limit = limit;
        const auto page = commerce::testing::Find(*e, q);
        std::vector<std::string> want(order.begin() + std::min<size_t>(offset, order.size()),
                                      order.begin() + std::min<size_t>(offset + limit, order.size()));
        INFO("offset " << offset << " limit " << limit);
        REQUIRE(commerce::testing::Ids(page) == want);
        REQUIRE(page.total == kProducts);
        if (!base.facets.empty()) {
          REQUIRE(page.facets.size() == 1);
          uint64_t counted = 0;
          for (const auto& v : page.facets[0].values) counted += v.count;
          REQUIRE(counted == kProducts);  // counted once, whatever ran again
        }
      }
    }
  }
}

}  // namespace search_sort_key_test
