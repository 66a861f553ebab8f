// Tests of category intent (src/search/category_intent.cpp and its stage in query_runner.cpp):
// the shares and the order of the pure stage (deepest categories, products in several
// categories, relaxed word tiers and codes above it), and through the public API: a query whose
// BM25 top mixes categories gets the leading category first and the option off gives BM25
// order back; explanations; browses and other sorts untouched; merchandising rules (pins,
// hide, boost and bury tiers); every page of two indexes of one catalog alike, pages that
// straddle the window's edge included.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "commerce/engine.h"
#include "search/category_intent.h"
#include "search/query_builder.h"
#include "test_dir.h"
#include "test_engine.h"
#include "test_search.h"

namespace search_category_intent_test {

namespace {

using commerce::Engine;
using commerce::Money;
using commerce::Product;
using commerce::SearchRequest;
using commerce::SearchResult;
using commerce::Variant;
using commerce::search::CategoryIntent;
using commerce::search::IntentMatch;
using commerce::search::kIntentWindow;
using commerce::testing::Find;
using commerce::testing::Ids;
using commerce::testing::TempDir;
using commerce::testing::WaitIndexed;

Product Make(const std::string& id, const std::string& title, const std::string& category,
             int64_t popularity = 0, const std::string& sku = "") {
  Product p;
  p.id = id;
  p.title = title;
  p.brand = "Volt";
  if (!category.empty()) p.categories = {category};
  p.popularity = popularity;
  Variant v;
  v.sku = sku.empty() ? "SKU-" + id : sku;
  v.price = Money{1000, "USD"};
  p.variants.push_back(v);
  return p;
}

// Category names hold none of the query's words, so only titles weigh.
void PutCategories(Engine& e) {
  for (const char* id : {"auto", "auto/batteries", "mobile", "mobile/power", "home", "home/lamps"}) {
    commerce::Category c;
    c.id = id;
    c.name = std::string("Dept ") + std::to_string(std::string(id).size());
    REQUIRE(e.catalog().upsert_category(c).ok());
  }
}

// Two car chargers whose titles say "charger" twice (the BM25 top), six phone chargers that
// say it once: the query's first matches are mostly phone chargers.
std::unique_ptr<Engine> Chargers(const TempDir& dir) {
  auto e = commerce::testing::OpenTestEngine(dir.path(), "lmdb");
  PutCategories(*e);
  REQUIRE(e->catalog().upsert(Make("c1", "Charger booster charger", "auto/batteries")).ok());
  REQUIRE(e->catalog().upsert(Make("c2", "Charger trickle charger", "auto/batteries")).ok());
  for (const char* m : {"m1", "m2", "m3", "m4", "m5", "m6"})
    REQUIRE(e->catalog().upsert(Make(m, std::string("Phone charger ") + m, "mobile/power")).ok());
  WaitIndexed(*e);
  return e;
}

std::vector<std::string> Head(const std::vector<std::string>& ids, size_t n) {
  return {ids.begin(), ids.begin() + static_cast<std::ptrdiff_t>(std::min(n, ids.size()))};
}

}  // namespace

TEST_CASE("DeepestCategories keeps the ids no other id of the product descends from", "[search][intent]") {
  using commerce::search::DeepestCategories;
  auto deepest = [](std::string_view v) {
    std::vector<std::string> out;
    for (auto id : DeepestCategories(v)) out.emplace_back(id);
    return out;
  };
  CHECK(deepest("a/b/c\na/b\na").empty() == false);
  CHECK(deepest("a/b/c\na/b\na") == std::vector<std::string>{"a/b/c"});
  // Two paths; "a/bc" does not descend from "a/b"; order and repeats do not matter.
  CHECK(deepest("x\na/bc\na/b\na\nx\na/b") == std::vector<std::string>{"a/b", "a/bc", "x"});
  CHECK(deepest("").empty());
  CHECK(deepest("solo") == std::vector<std::string>{"solo"});
}

TEST_CASE("CategoryIntent: shares by score, several categories split and take their best, tiers stay first",
          "[search][intent]") {
  // Four matches in list order: weights 10, 9, 8, 4 (a plain query: no word tiers).
  const std::vector<IntentMatch> window = {
      {10, "auto\nauto/batteries"}, {9, "mobile/power\nmobile"}, {8, "mobile/power\nmobile"}, {4, "mobile\nmobile/power\nhome/lamps\nhome"}};
  CategoryIntent intent;
  intent.Learn(window);
  // Masses: auto/batteries 1.0; mobile/power 0.9 + 0.8 + 0.2 (half of 0.4); home/lamps 0.2.
  const double whole = 1.0 + 0.9 + 0.8 + 0.4;
  auto part = intent.PartOf(window[3]);
  CHECK(part.category == "mobile/power");  // its best category
  CHECK(part.share == Approx(1.9 / whole));
  CHECK(part.added == Approx(1.9 / whole * 10));  // in the weight's units: share x the top weight
  CHECK(intent.PartOf(window[0]).share == Approx(1.0 / whole));
  // Values: 10 + 3.2, 9 + 6.1, 8 + 6.1, 4 + 6.1: the two strong phone chargers overtake the
  // car charger; the weak one does not.
  CHECK(intent.Order(window) == std::vector<size_t>{1, 2, 0, 3});
  // A match of no known category gains nothing; one with no category at all votes for none.
  CHECK(intent.PartOf({5, "garden"}).share == 0);
  CategoryIntent none;
  none.Learn({{3, ""}, {2, ""}});
  CHECK(none.Order({{3, ""}, {2, ""}}) == std::vector<size_t>{0, 1});

  // A relaxed query: more words matched first whatever the category (kWordTier per word);
  // a code match first within its tier.
  const double tier = commerce::search::kWordTier;
  const std::vector<IntentMatch> relaxed = {
      {2 * tier + 5, "auto/batteries"}, {tier + 9, "mobile/power"}, {tier + 8, "mobile/power"},
      {tier + 7, "mobile/power"}, {tier + 1, "auto/batteries", true}};
  CategoryIntent r;
  r.Learn(relaxed);
  CHECK(r.Order(relaxed) == std::vector<size_t>{0, 4, 1, 2, 3});
  // Equal values keep the list's order (the sort key's): the order stays total.
  const std::vector<IntentMatch> ties = {{5, "mobile/power"}, {5, "mobile/power"}, {5, "mobile/power"}};
  CategoryIntent t;
  t.Learn(ties);
  CHECK(t.Order(ties) == std::vector<size_t>{0, 1, 2});
}

TEST_CASE("a query whose BM25 top mixes categories gets the leading category first and off gives BM25 order back",
          "[search][intent]") {
  TempDir dir;
  auto e = Chargers(dir);
  const SearchResult off = Find(*e, {.text = "charger", .category_intent = false});
  REQUIRE(off.hits.size() == 8);
  // BM25 alone: the two car chargers (the word twice) first.
  std::vector<std::string> off_head = Head(Ids(off), 2);
  std::sort(off_head.begin(), off_head.end());
  CHECK(off_head == std::vector<std::string>{"c1", "c2"});

  SearchRequest on_request{.text = "charger", .explain = true};
  const SearchResult on = Find(*e, on_request);
  REQUIRE(on.hits.size() == 8);
  // The six phone chargers lead the query's matches: they go first, in their BM25 order.
  std::vector<std::string> expected;
  for (const auto& id : Ids(off))
    if (id[0] == 'm') expected.push_back(id);
  for (const auto& id : Ids(off))
    if (id[0] == 'c') expected.push_back(id);
  CHECK(Ids(on) == expected);
  // The explanation: the category, its share of the votes, what it added; the score stays BM25.
  const double top = std::max(on.hits[6].score, on.hits[7].score);
  double phones = 0, whole = 0;
  for (const auto& h : on.hits) {
    whole += h.score / top;
    if (h.product_id[0] == 'm') phones += h.score / top;
  }
  for (const auto& h : on.hits) {
    REQUIRE(h.explanation);
    const auto& x = *h.explanation;
    INFO(h.product_id);
    CHECK(x.intent_category == (h.product_id[0] == 'm' ? "mobile/power" : "auto/batteries"));
    const double share = h.product_id[0] == 'm' ? phones / whole : 1 - phones / whole;
    CHECK(x.intent_share == Approx(share));
    CHECK(x.intent_added == Approx(share * top));
    CHECK(x.weight == h.score);
  }
  // The option is part of the cache key: each answer is cached apart.
  on_request.use_cache = true;
  on_request.explain = false;
  REQUIRE(Ids(*e->search().query(on_request)) == expected);
  auto cached = e->search().query(on_request);
  REQUIRE(cached.ok());
  CHECK(cached->from_cache);
  on_request.category_intent = false;
  auto cached_off = e->search().query(on_request);
  REQUIRE(cached_off.ok());
  CHECK_FALSE(cached_off->from_cache);
  CHECK(Ids(*cached_off) == Ids(off));
}

TEST_CASE("category intent leaves browses and the other sorts alone and keeps a code match first",
          "[search][intent]") {
  TempDir dir;
  auto e = Chargers(dir);
  // A browse and the other sorts: the same with the option on or off.
  for (const SearchRequest& r : {SearchRequest{.text = ""}, SearchRequest{.text = "charger", .sort = "popularity"},
                                 SearchRequest{.text = "charger", .sort = "price_asc"}}) {
    SearchRequest off = r;
    off.category_intent = false;
    CHECK(Ids(Find(*e, r)) == Ids(Find(*e, off)));
  }
  // A SKU typed as a code: its product first, though the phone chargers lead its category vote.
  REQUIRE(e->catalog().upsert(Make("c9", "Charger jump starter", "auto/batteries", 0, "JS-500")).ok());
  for (const char* m : {"m7", "m8"})
    REQUIRE(e->catalog().upsert(Make(m, std::string("Phone charger js500 ") + m + " " + m, "mobile/power")).ok());
  WaitIndexed(*e);
  const SearchResult code = Find(*e, {.text = "js500", .explain = true});
  REQUIRE(code.hits.size() == 3);
  // (The code is a boolean term: its product's BM25 weight is 0, so it gives no votes.)
  CHECK(code.hits[0].product_id == "c9");
  CHECK(code.hits[0].score == 0);
  CHECK(code.hits[1].explanation->intent_category == "mobile/power");
}

TEST_CASE("category intent under merchandising rules: boosted first, pins at their places, hidden gone",
          "[search][intent][rules]") {
  TempDir dir;
  auto e = Chargers(dir);
  REQUIRE(e->catalog().upsert(Make("l1", "Lamp with phone charger base", "home/lamps")).ok());
  WaitIndexed(*e);
  // Boost one car charger, bury one phone charger, hide another, pin the lamp at 2.
  REQUIRE(e->search()
              .put_rule({.id = "r", .query = "charger", .match = "exact", .pins = {{"l1", 2}},
                         .boost = {.product_ids = {"c2"}}, .bury = {.product_ids = {"m1"}},
                         .hide = {.product_ids = {"m2"}}})
              .ok());
  const SearchResult off = Find(*e, {.text = "charger", .limit = 20, .category_intent = false});
  const SearchResult on = Find(*e, {.text = "charger", .limit = 20, .explain = true});
  REQUIRE(on.hits.size() == 8);  // 9 products, one hidden
  // Off: boosted c2, the pin, then BM25 (c1 first), m1 buried last.
  REQUIRE(off.hits.size() == 8);
  CHECK(Ids(off)[0] == "c2");
  CHECK(Ids(off)[1] == "l1");
  CHECK(Ids(off)[2] == "c1");
  // On: the tiers and the pin stay; within the unboosted tier the phone chargers (the
  // query's lead) go before the car charger.
  const auto ids = Ids(on);
  CHECK(ids[0] == "c2");
  CHECK(on.hits[0].explanation->tier == "boosted");
  CHECK(ids[1] == "l1");
  CHECK(on.hits[1].explanation->tier == "pinned");
  CHECK(std::vector<std::string>(ids.begin() + 2, ids.begin() + 6) == std::vector<std::string>{"m3", "m4", "m5", "m6"});
  CHECK(ids[6] == "c1");
  CHECK(ids[7] == "m1");
  CHECK(on.hits[7].explanation->tier == "buried");
  CHECK(on.hits[2].explanation->intent_category == "mobile/power");
  CHECK(std::find(ids.begin(), ids.end(), "m2") == ids.end());
  // Pages stitch into the whole list.
  std::vector<std::string> paged;
  for (size_t offset = 0; offset < 8; offset += 3) {
    const auto page = Ids(Find(*e, {.text = "charger", .offset = offset, .limit = 3}));
    paged.insert(paged.end(), page.begin(), page.end());
  }
  CHECK(paged == ids);
}

TEST_CASE("category intent: every page of two indexes of one catalog alike, across the window's edge",
          "[search][intent][determinism]") {
  // 90 chargers: one in ten a car charger saying "charger" three times (the BM25 top), the
  // rest phone chargers saying it twice or once; popularity repeats, so ties go to the key.
  std::vector<Product> products;
  for (int i = 0; i < 90; ++i) {
    const bool car = i % 10 == 0;
    const int times = car ? 3 : 1 + i % 2;
    std::string title;
    for (int k = 0; k < times; ++k) title += "charger ";
    title += car ? "clamp" : "cable";
    products.push_back(Make("p" + std::to_string(100 + i), title, car ? "auto/batteries" : "mobile/power", i % 4));
  }
  TempDir dir_a, dir_b;
  auto a = commerce::testing::OpenSearchEngine(dir_a.path(), 1, /*run_indexer=*/false);
  auto b = commerce::testing::OpenSearchEngine(dir_b.path(), 3, /*run_indexer=*/false);
  PutCategories(*a);
  PutCategories(*b);
  for (size_t i = 0; i < products.size(); ++i) {
    REQUIRE(a->catalog().upsert(products[i]).ok());
    REQUIRE(b->catalog().upsert(products[(i * 37 + 11) % products.size()]).ok());
  }
  WaitIndexed(*a);
  WaitIndexed(*b);

  for (const std::string text : {"charger", "charger cable", "charger c"}) {
    INFO(text);
    const auto whole = Ids(Find(*a, {.text = text, .limit = 100}));
    const auto off = Ids(Find(*a, {.text = text, .limit = 100, .category_intent = false}));
    REQUIRE(whole.size() == off.size());
    if (text == "charger") {
      REQUIRE(whole.size() == 90);
      // The window is reordered (the car chargers leave its top), the rest is BM25 order.
      CHECK(Head(whole, kIntentWindow) != Head(off, kIntentWindow));
      CHECK(std::set<std::string>(whole.begin(), whole.begin() + kIntentWindow) ==
            std::set<std::string>(off.begin(), off.begin() + kIntentWindow));
      CHECK(std::vector<std::string>(whole.begin() + kIntentWindow, whole.end()) ==
            std::vector<std::string>(off.begin() + kIntentWindow, off.end()));
      CHECK(whole[0] != "p100");
    }
    CHECK(Ids(Find(*b, {.text = text, .limit = 100})) == whole);
    for (size_t size : {7u, 13u}) {
      std::vector<std::string> paged;
      for (size_t offset = 0; offset < whole.size(); offset += size) {
        const auto pa = Ids(Find(*a, {.text = text, .offset = offset, .limit = size}));
        const auto pb = Ids(Find(*b, {.text = text, .offset = offset, .limit = size}));
        INFO("offset " << offset << " size " << size);
        REQUIRE(pa == pb);
        paged.insert(paged.end(), pa.begin(), pa.end());
      }
      CHECK(paged == whole);
    }
  }
}

TEST_CASE("category intent keeps a relaxed query's more-words-matched tiers first", "[search][intent]") {
  TempDir dir;
  auto e = commerce::testing::OpenTestEngine(dir.path(), "lmdb");
  PutCategories(*e);
  // Two car products match both words; six phone products match only "charger", twice.
  REQUIRE(e->catalog().upsert(Make("c1", "Charger clamp", "auto/batteries")).ok());
  REQUIRE(e->catalog().upsert(Make("c2", "Charger clamp kit", "auto/batteries")).ok());
  for (const char* m : {"m1", "m2", "m3", "m4", "m5", "m6"})
    REQUIRE(e->catalog().upsert(Make(m, std::string("Charger phone charger ") + m, "mobile/power")).ok());
  WaitIndexed(*e);
  const SearchResult on = Find(*e, {.text = "charger clamp zebra ", .minimum_should_match = 30, .explain = true});
  REQUIRE(on.relaxed);
  REQUIRE(on.hits.size() == 8);
  std::vector<std::string> head = Head(Ids(on), 2);
  std::sort(head.begin(), head.end());
  CHECK(head == std::vector<std::string>{"c1", "c2"});
  CHECK(on.hits[0].explanation->words_matched == 2);
  CHECK(on.hits[2].explanation->intent_category == "mobile/power");
}

}  // namespace search_category_intent_test
