// Tests of a text matching a product as its SKU or code (QueryBuilder::WithCode): the product
// it names ranks first though its own words do not hold the text, whether category intent is
// on or off, among other products whose words do hold it; its weight's parts decode (score
// the BM25 part, no matched words, a code match); explain names the code term. Over remote
// shards: search_remote_shards_test.cpp.
#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "commerce/engine.h"
#include "commerce/sample.h"
#include "search/query_builder.h"
#include "test_dir.h"
#include "test_search.h"

namespace search_code_match_test {

namespace {

using commerce::Engine;
using commerce::Money;
using commerce::Product;
using commerce::SampleCatalog;
using commerce::SearchRequest;
using commerce::SearchResult;
using commerce::Variant;
using commerce::search::CodeMatched;
using commerce::search::kCodeWeight;
using commerce::search::kWordTier;
using commerce::search::MatchedWords;
using commerce::search::TextWeight;
using commerce::testing::Find;
using commerce::testing::Ids;
using commerce::testing::OpenSearchEngine;
using commerce::testing::TempDir;
using commerce::testing::WaitIndexed;

// A generated catalog of 300 products, 36 cases whose titles name the phone model "X200" in
// a few ways (more than the category-intent window of 30), and the phone "px" itself, whose
// SKU X-200 is its only link to the text "x200": as a word of its text it is "x" and "200".
void LoadCatalog(Engine& e) {
  const SampleCatalog sample({.products = 300});
  for (const auto& c : sample.categories()) REQUIRE(e.catalog().upsert_category(c).ok());
  for (uint64_t i = 0; i < sample.size(); ++i) REQUIRE(e.catalog().upsert(sample.product(i)).ok());
  const std::string leaf = sample.categories().back().id;
  const char* kinds[] = {"Case", "Rugged case", "Wallet case for", "Screen guard", "Slim case x200 grip"};
  for (int i = 0; i < 36; ++i) {
    Product p;
    p.id = "case" + std::to_string(i);
    p.title = std::string(kinds[i % 5]) + " X200 " + std::to_string(i);
    p.brand = "Shellco";
    p.categories = {leaf};
    Variant v;
    v.sku = "SC-" + std::to_string(1000 + i);
    v.price = Money{1500 + i, "USD"};
    p.variants.push_back(v);
    REQUIRE(e.catalog().upsert(p).ok());
  }
  Product phone;
  phone.id = "px";
  phone.title = "Volt Nova smartphone";
  phone.brand = "Volt";
  phone.categories = {sample.categories().front().id};
  Variant v;
  v.sku = "X-200";
  v.price = Money{49900, "USD"};
  phone.variants.push_back(v);
  REQUIRE(e.catalog().upsert(phone).ok());
  WaitIndexed(e);
}

}  // namespace

TEST_CASE("a weight's parts decode: text weight and words matched and a code match", "[search][code]") {
  for (double words : {0.0, 0.5, 1.0, 2.5, 32.0})
    for (bool code : {false, true})
      for (double bm25 : {0.0, 0.25, 17.5, 4000.0}) {
        INFO(words << " " << code << " " << bm25);
        const double w = words * kWordTier + (code ? kCodeWeight : 0) + bm25;
        CHECK(TextWeight(w) == Approx(bm25).margin(1e-6));
        CHECK(MatchedWords(w) == words);
        CHECK(CodeMatched(w) == code);
      }
}

TEST_CASE("a product found only by its code ranks first with category intent on and off",
          "[search][code]") {
  TempDir dir;
  auto e = OpenSearchEngine(dir.path(), 2);
  LoadCatalog(*e);
  for (bool intent : {true, false}) {
    INFO("category_intent " << intent);
    for (const std::string text : {"x200", "X200"}) {
      INFO(text);
      const SearchResult r = Find(*e, {.text = text, .limit = 10, .category_intent = intent, .explain = true});
      REQUIRE(r.total >= 37);
      REQUIRE(r.hits.size() == 10);
      CHECK(r.hits[0].product_id == "px");
      // Its score is its words' BM25 weight: none of them is in the text.
      CHECK(r.hits[0].score == 0);
      const auto& x = *r.hits[0].explanation;
      CHECK_FALSE(x.relaxed);
      CHECK(x.words_matched == 0);
      CHECK(x.weight == 0);
      REQUIRE(x.terms.size() == 1);
      CHECK(x.terms[0].term == "Kx200");
      CHECK(x.terms[0].wdf == 0);
      CHECK(x.terms[0].weight == kCodeWeight);
      // The cases follow, by their words' weight (intent off: BM25 order), with sane scores.
      for (size_t i = 1; i < r.hits.size(); ++i) {
        CHECK(r.hits[i].product_id.rfind("case", 0) == 0);
        CHECK(r.hits[i].score > 0);
        CHECK(r.hits[i].score < 1000);
        for (const auto& t : r.hits[i].explanation->terms) CHECK(t.term != "Kx200");
        if (!intent && i > 1) CHECK(r.hits[i].score <= r.hits[i - 1].score);
      }
    }
  }
  // Every page: the phone once, on the first; all 37 between them.
  std::vector<std::string> all;
  for (size_t offset = 0; offset < 40; offset += 7) {
    const auto page = Ids(Find(*e, {.text = "x200", .offset = offset, .limit = 7}));
    all.insert(all.end(), page.begin(), page.end());
  }
  REQUIRE(all.size() == 37);
  CHECK(all[0] == "px");
  std::sort(all.begin(), all.end());
  CHECK(std::adjacent_find(all.begin(), all.end()) == all.end());
}

TEST_CASE("a code match with its words too ranks above one by its code alone", "[search][code]") {
  TempDir dir;
  auto e = OpenSearchEngine(dir.path(), 1);
  LoadCatalog(*e);
  // A second phone with the code as a SKU and the model in its title: both weigh the code,
  // its words add to it.
  Product p;
  p.id = "py";
  p.title = "Volt Nova X200 smartphone";
  p.brand = "Volt";
  Variant v;
  v.sku = "X200";
  v.price = Money{52900, "USD"};
  p.variants.push_back(v);
  REQUIRE(e->catalog().upsert(p).ok());
  WaitIndexed(*e);
  const SearchResult r = Find(*e, {.text = "x200", .limit = 5, .category_intent = false, .explain = true});
  REQUIRE(r.hits.size() == 5);
  CHECK(Ids(r)[0] == "py");
  CHECK(Ids(r)[1] == "px");
  CHECK(r.hits[0].score > 0);
  CHECK(r.hits[0].score < 1000);
  CHECK(r.hits[1].score == 0);
}

}  // namespace search_code_match_test
