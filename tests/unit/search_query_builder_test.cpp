// Tests of the query as built from the text (src/search/query_builder.cpp) through the public
// API: the minimum share of words of the any-word fall-back (issue 18, defect 3), ranking by
// how many words matched, synonyms as units, exclusions, and word forms a shopper writes
// differently from the catalog (src/search/word_forms.h): two words the catalog writes as
// one ("water proof"), one word of letters and digits it writes as two ("iphone7"). Before,
// every word was required as typed, so such a query found nothing, or only what relaxation
// left of it (the Best Buy sample's "... water proof cases" queries).
#include <algorithm>
#include <chrono>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "commerce/engine.h"
#include "commerce/sample.h"
#include "test_dir.h"
#include "test_engine.h"
#include "test_search.h"

namespace search_query_builder_test {

namespace {

using commerce::Code;
using commerce::Engine;
using commerce::Product;
using commerce::SearchRequest;
using commerce::SearchResult;
using commerce::testing::Find;
using commerce::testing::Ids;
using commerce::testing::PlainProduct;
using commerce::testing::TempDir;
using commerce::testing::WaitIndexed;

std::unique_ptr<Engine> Shop(const TempDir& dir, const std::vector<Product>& products) {
  auto e = commerce::testing::OpenTestEngine(dir.path(), "lmdb");
  for (const auto& p : products) REQUIRE(e->catalog().upsert(p).ok());
  WaitIndexed(*e);
  return e;
}

std::set<std::string> IdSet(const SearchResult& r) {
  const auto ids = Ids(r);
  return {ids.begin(), ids.end()};
}

}  // namespace

TEST_CASE("the any-word fall-back cannot return everything", "[search][query_builder]") {
  TempDir dir;
  std::vector<Product> products;
  for (int i = 0; i < 30; ++i)
    products.push_back(PlainProduct("p" + std::to_string(i), (i % 2 ? "Prepaid Phone " : "Phone Case Pink ") + std::to_string(i)));
  auto e = Shop(dir, products);
  // The demo's "frying p": no product says "frying"; "p" completes to most words of the
  // catalog. Requiring any word returned all of it.
  auto r = Find(*e, {.text = "frying p"});
  CHECK(r.hits.empty());
  CHECK(r.total == 0);
  CHECK_FALSE(r.relaxed);
}

TEST_CASE("the demo's \"frying p\" on the generated sample catalog finds frying pans only",
          "[search][query_builder]") {
  // The report, on the catalog the demo generates (not the Best Buy file, absent in
  // CI): a fragment of a word matched alone, so the any-word query returned everything.
  TempDir dir;
  const commerce::SampleCatalog catalog({.products = 1000, .seed = 42});
  auto e = commerce::testing::OpenTestEngine(dir.path(), "lmdb");
  for (const auto& c : catalog.categories()) REQUIRE(e->catalog().upsert_category(c).ok());
  for (uint64_t i = 0; i < catalog.size(); ++i) REQUIRE(e->catalog().upsert(catalog.product(i)).ok());
  WaitIndexed(*e);
  for (const char* text : {"frying p", "frying pa", "frying pan", "fryng pan"}) {
    INFO(text);
    auto r = Find(*e, {.text = text, .limit = 100});
    REQUIRE(r.total > 0);
    CHECK(r.total < catalog.size() / 20);
    CHECK_FALSE(r.relaxed);
    for (const auto& h : r.hits) CHECK(h.title.find("Frying Pan") != std::string::npos);
  }
  // A word the catalog lacks beside a fragment: relaxing would leave the fragment alone,
  // which never meets the minimum; nothing rather than every "p" word.
  auto none = Find(*e, {.text = "zzyzx p"});
  CHECK(none.total == 0);
}

TEST_CASE("relaxed queries need a minimum share of the words and rank by how many matched",
          "[search][query_builder]") {
  TempDir dir;
  auto e = Shop(dir, {PlainProduct("ab", "alpha bravo"), PlainProduct("bc", "bravo charlie"), PlainProduct("a", "alpha"),
                      PlainProduct("c", "charlie"), PlainProduct("d", "delta"), PlainProduct("abd", "alpha bravo delta")});
  // Three words, nothing has all three: the default 75% needs two (floor of 2.25).
  auto r = Find(*e, {.text = "alpha bravo charlie "});
  CHECK(r.relaxed);
  auto ids = Ids(r);
  CHECK(std::set<std::string>(ids.begin(), ids.end()) == std::set<std::string>{"ab", "bc", "abd"});
  // One word in three is enough at 30%; the products with two words come first.
  auto loose = Find(*e, {.text = "alpha bravo charlie ", .minimum_should_match = 30});
  ids = Ids(loose);
  REQUIRE(ids.size() == 5);
  CHECK(std::set<std::string>(ids.begin(), ids.begin() + 3) == std::set<std::string>{"ab", "bc", "abd"});
  CHECK(std::set<std::string>(ids.begin() + 3, ids.end()) == std::set<std::string>{"a", "c"});
  // Scores are the text's weight, without the per-word tiers.
  for (const auto& h : loose.hits) CHECK(h.score < 1000);
  // 100% is every word: nothing to relax to.
  auto all = Find(*e, {.text = "alpha bravo charlie ", .minimum_should_match = 100});
  CHECK(all.hits.empty());
  CHECK_FALSE(all.relaxed);
  // The word being typed counts half: "alpha bravo ch" relaxes to products with "alpha"
  // and "bravo" or one of them and a "ch" word, never to "ch" words alone.
  auto typing = Find(*e, {.text = "alpha delta ch", .minimum_should_match = 50});
  ids = Ids(typing);
  CHECK(typing.relaxed);
  CHECK(std::find(ids.begin(), ids.end(), "c") == ids.end());
  CHECK(std::find(ids.begin(), ids.end(), "bc") == ids.end());
  REQUIRE(!ids.empty());
  CHECK(ids[0] == "abd");  // both complete words
  // Exclusions hold in the relaxed query too.
  auto excluded = Find(*e, {.text = "alpha bravo charlie -delta ", .minimum_should_match = 30});
  ids = Ids(excluded);
  CHECK(std::find(ids.begin(), ids.end(), "abd") == ids.end());
  CHECK(ids.size() == 4);
}

TEST_CASE("a relaxed query's page is whole when a tie group crosses its edge", "[search][query_builder]") {
  // 40 products of one weight (a tie group larger than the ranked page's margin) relaxed to
  // three words and the typed "wat": a page within the group was sorted again under a weight
  // cutoff, and Xapian 1.4.22's cutoff over the relaxed query's per-word weights left out
  // the group, or part of it: the first page of 20 came back with 10 hits or none.
  TempDir dir;
  std::vector<Product> products;
  for (int i = 0; i < 40; ++i) products.push_back(PlainProduct("t" + std::to_string(i), "Waterproof Alpha Bravo Charlie"));
  for (int i = 0; i < 50; ++i) products.push_back(PlainProduct("w" + std::to_string(i), "Water Bottle " + std::to_string(i)));
  auto e = Shop(dir, products);
  for (bool intent : {true, false}) {
    INFO("category_intent " << intent);
    std::vector<std::string> seen;
    for (size_t offset : {0, 10, 20, 30}) {
      INFO("offset " << offset);
      auto r = Find(*e, {.text = "alpha bravo charlie zulu yankee wat", .offset = offset, .limit = 10,
                         .category_intent = intent});
      CHECK(r.relaxed);
      CHECK(r.hits.size() == 10);
      for (const auto& id : Ids(r)) seen.push_back(id);
    }
    auto whole = Find(*e, {.text = "alpha bravo charlie zulu yankee wat", .limit = 20, .category_intent = intent});
    CHECK(whole.hits.size() == 20);
    // Pages neither repeat nor skip: the four pages are the 40 tied products once each.
    std::set<std::string> distinct(seen.begin(), seen.end());
    CHECK(seen.size() == 40);
    CHECK(distinct.size() == 40);
    for (const auto& id : distinct) CHECK(id[0] == 't');
  }
  // With a boost rule the tiers are ranked apart, and each tier's relaxed ties the same way:
  // the boosted five first, then the 40 once each (Xapian's own relevance-then-key order split
  // the tie by the weights' last bits: five pages held 36 distinct products).
  for (int i = 0; i < 5; ++i) {
    auto p = PlainProduct("b" + std::to_string(i), "Waterproof Alpha Bravo Charlie");
    p.brand = "Boosted";
    REQUIRE(e->catalog().upsert(p).ok());
  }
  WaitIndexed(*e);
  REQUIRE(e->search()
              .put_rule({.id = "boost", .query = "alpha bravo charlie zulu yankee wat", .match = "exact",
                         .boost = {.brands = {"Boosted"}}})
              .ok());
  for (bool intent : {true, false}) {
    INFO("category_intent " << intent);
    std::vector<std::string> seen;
    for (size_t offset : {0, 10, 20, 30, 40}) {
      INFO("offset " << offset);
      auto r = Find(*e, {.text = "alpha bravo charlie zulu yankee wat", .offset = offset, .limit = 10,
                         .category_intent = intent});
      CHECK(r.relaxed);
      for (const auto& id : Ids(r)) seen.push_back(id);
    }
    REQUIRE(seen.size() == 45);
    CHECK(std::set<std::string>(seen.begin(), seen.end()).size() == 45);
    for (size_t k = 0; k < 5; ++k) CHECK(seen[k][0] == 'b');
  }
}

TEST_CASE("minimum_should_match outside 1..100 is refused", "[search][query_builder]") {
  TempDir dir;
  auto e = Shop(dir, {PlainProduct("a", "alpha")});
  for (int bad : {0, -5, 101}) {
    SearchRequest r{.text = "alpha"};
    r.minimum_should_match = bad;
    auto res = e->search().query(r);
    CHECK(res.status().code() == Code::kInvalidArgument);
    CHECK(res.status().message().find("minimum_should_match") != std::string::npos);
  }
}

TEST_CASE("synonyms expand a run of words as one unit, one-way groups expand one way",
          "[search][query_builder]") {
  TempDir dir;
  auto e = Shop(dir, {PlainProduct("s", "Trail Running Shoes"), PlainProduct("k", "Leather Sneakers"),
                      PlainProduct("b", "Running Shorts")});
  REQUIRE(e->search().set_synonyms({{"sneakers", "running shoes"}}).ok());
  // "running shoes" or "sneakers", and "leather" as typed.
  CHECK(Ids(Find(*e, {.text = "leather running shoes ", .relax = false})) == std::vector<std::string>{"k"});
  auto both = Ids(Find(*e, {.text = "running shoes ", .relax = false}));
  CHECK(std::set<std::string>(both.begin(), both.end()) == std::set<std::string>{"s", "k"});
}

TEST_CASE("two words the catalog writes as one find it", "[search][query_builder]") {
  TempDir dir;
  auto e = Shop(dir, {PlainProduct("wp1", "Waterproof Case for Phones"), PlainProduct("wp2", "Rugged Waterproof Case"),
                      PlainProduct("apart", "Water Proof Jacket Case"), PlainProduct("bottle", "Water Bottle"),
                      PlainProduct("lamp", "Proof Reader Lamp"), PlainProduct("blue", "Phone Case Blue"),
                      PlainProduct("stand", "Headphone Stand"), PlainProduct("mount", "Phone Mount")});
  // Both forms, each word of the query still required: the bottle and the lamp have one
  // word each and stay out; the query is not relaxed and not corrected.
  auto r = Find(*e, {.text = "water proof case "});
  CHECK(IdSet(r) == std::set<std::string>{"wp1", "wp2", "apart"});
  CHECK_FALSE(r.relaxed);
  CHECK_FALSE(r.used_correction);
  // The word being typed joins as a prefix: "head phone" finds the headphone stand.
  auto typed = Find(*e, {.text = "head phone"});
  CHECK(IdSet(typed).count("stand") == 1);
  CHECK_FALSE(typed.relaxed);
  // A pair whose joined form is no word of the catalog still needs both words.
  CHECK(IdSet(Find(*e, {.text = "blue case "})) == std::set<std::string>{"blue"});
  // The title highlight marks the joined word.
  bool marked = false;
  for (const auto& h : r.hits)
    if (h.product_id == "wp1") marked = h.highlighted_title.find("<b>Waterproof</b>") != std::string::npos;
  CHECK(marked);
}

TEST_CASE("a word of letters and digits finds the two words the catalog writes", "[search][query_builder]") {
  TempDir dir;
  auto e = Shop(dir, {PlainProduct("case7", "Apple iPhone 7 Case"), PlainProduct("case6s", "Apple iPhone 6s Case"),
                      PlainProduct("mem", "Phone with 32 GB Memory"), PlainProduct("other", "Leather Case"),
                      PlainProduct("s7", "Galaxy S7 Cover")});
  auto r = Find(*e, {.text = "iphone7 case "});
  CHECK(IdSet(r) == std::set<std::string>{"case7"});
  CHECK_FALSE(r.relaxed);
  // Split where both halves are words: "6s" is one.
  CHECK(IdSet(Find(*e, {.text = "iphone6s case "})) == std::set<std::string>{"case6s"});
  auto gb = Find(*e, {.text = "32gb phone "});
  CHECK(IdSet(gb) == std::set<std::string>{"mem"});
  CHECK_FALSE(gb.relaxed);
  // A word the catalog knows is left whole: "s7" is not also "s 7".
  CHECK(IdSet(Find(*e, {.text = "galaxy s7 "})) == std::set<std::string>{"s7"});
}

}  // namespace search_query_builder_test
