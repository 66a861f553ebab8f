// Tests of spelling corrections (src/search/corrector.cpp) through the public API: the
// regression tests of issue 18's second defect, one per fault it names.
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "commerce/engine.h"
#include "test_dir.h"
#include "test_engine.h"
#include "test_search.h"

namespace search_corrector_test {

namespace {

using commerce::Engine;
using commerce::Money;
using commerce::Product;
using commerce::ProductStatus;
using commerce::SearchRequest;
using commerce::SearchResult;
using commerce::Variant;
using commerce::testing::Find;
using commerce::testing::Ids;
using commerce::testing::TempDir;
using commerce::testing::WaitIndexed;

Product Make(const std::string& id, const std::string& title, const std::string& description = "",
             const std::string& brand = "Acme") {
  Product p;
  p.id = id;
  p.title = title;
  p.brand = brand;
  p.description = description;
  Variant v;
  v.sku = "SKU-" + id;
  v.price = Money{1999, "USD"};
  p.variants.push_back(v);
  return p;
}

void Put(Engine& e, const Product& p) {
  auto r = e.catalog().upsert(p);
  INFO(r.status().ToString());
  REQUIRE(r.ok());
}

}  // namespace

TEST_CASE("corrections keep the prefix match of the last word", "[search][corrector]") {
  TempDir dir;
  auto e = commerce::testing::OpenTestEngine(dir.path(), "lmdb");
  Put(*e, Make("a", "Wireless Headphones"));
  Put(*e, Make("b", "Wireless Charger"));
  WaitIndexed(*e);
  // "wireles" is a typo, "headph" the word being typed: the corrected query must still
  // complete "headph", not read it as a word (which found nothing and fell back to any word,
  // bringing the charger along).
  auto r = Find(*e, {.text = "wireles headph"});
  CHECK(r.used_correction);
  CHECK_FALSE(r.relaxed);
  CHECK(r.corrected_query == "wireless headph");
  CHECK(Ids(r) == std::vector<std::string>{"a"});
}

TEST_CASE("corrections keep the first letter and prefer the word that fits the query", "[search][corrector]") {
  TempDir dir;
  auto e = commerce::testing::OpenTestEngine(dir.path(), "lmdb");
  // "phone" is far more frequent than "iphone"; both are one edit from "ihone".
  for (int i = 0; i < 12; ++i) Put(*e, Make("p" + std::to_string(i), "Basic Phone " + std::to_string(i)));
  Put(*e, Make("i1", "Apple iPhone Case"));
  Put(*e, Make("i2", "Apple iPhone Charger"));
  WaitIndexed(*e);
  auto r = Find(*e, {.text = "ihone"});
  CHECK(r.corrected_query == "iphone");
  CHECK(r.used_correction);
  CHECK(Ids(r).size() == 2);
  // With context: "chager" is one left-out letter from "charger" and from "changer", and
  // "changer" is the more frequent; the word that goes with "iphone" wins.
  Put(*e, Make("c1", "Coin Changer"));
  Put(*e, Make("c2", "Record Changer"));
  Put(*e, Make("c3", "Tyre Changer"));
  WaitIndexed(*e);
  CHECK(Find(*e, {.text = "chager "}).corrected_query == "changer ");
  auto ctx = Find(*e, {.text = "iphone chager "});
  CHECK(ctx.corrected_query == "iphone charger ");
  CHECK(Ids(ctx) == std::vector<std::string>{"i2"});
}

// A typo in the first letter (two letters swapped, the first left out) found nothing and was
// never corrected: only words of the typed first letter were candidates.
TEST_CASE("a first letter mistyped is corrected when no word of that letter fits", "[search][corrector]") {
  TempDir dir;
  auto e = commerce::testing::OpenTestEngine(dir.path(), "lmdb");
  Put(*e, Make("s1", "Screen Protectors for Tablets"));
  Put(*e, Make("d1", "Screen Display Cover"));
  Put(*e, Make("r1", "Rotating Stand"));  // an r-word, but not near "rpotectors"
  WaitIndexed(*e);
  auto swapped = Find(*e, {.text = "rpotectors "});
  CHECK(swapped.used_correction);
  CHECK(swapped.corrected_query == "protectors ");
  CHECK(Ids(swapped) == std::vector<std::string>{"s1"});
  // The word being typed, its first letter left out.
  auto typed = Find(*e, {.text = "screen isplay"});
  CHECK(typed.used_correction);
  CHECK(typed.corrected_query == "screen display");
  // A word of the typed letter that fits wins over a changed first letter: "rotatng" keeps
  // its "r" ("rotating"), though "protectors" exists too.
  CHECK(Find(*e, {.text = "rotatng "}).corrected_query == "rotating ");
}

TEST_CASE("a word whose stem is indexed is corrected when a correction fits better", "[search][corrector]") {
  TempDir dir;
  auto e = commerce::testing::OpenTestEngine(dir.path(), "lmdb");
  Put(*e, Make("t1", "Samsung Galaxy Tablet"));
  Put(*e, Make("t2", "Oak Coffee Table"));
  WaitIndexed(*e);
  // "tabled" stems to "tabl", the stem of "table": it was taken as known and never corrected.
  auto r = Find(*e, {.text = "samsung tabled "});
  CHECK(r.used_correction);
  CHECK(r.corrected_query == "samsung tablet ");
  CHECK(Ids(r) == std::vector<std::string>{"t1"});
  // Alone, "tabled" finds tables: it is kept (no correction needed).
  auto alone = Find(*e, {.text = "tabled "});
  CHECK_FALSE(alone.used_correction);
  CHECK(Ids(alone) == std::vector<std::string>{"t2"});
}

TEST_CASE("words found only in descriptions are corrected too", "[search][corrector]") {
  TempDir dir;
  auto e = commerce::testing::OpenTestEngine(dir.path(), "lmdb");
  Put(*e, Make("w1", "Outdoor Speaker", "A waterproof speaker for the garden."));
  WaitIndexed(*e);
  auto r = Find(*e, {.text = "waterprof "});
  CHECK(r.used_correction);
  CHECK(r.corrected_query == "waterproof ");
  CHECK(Ids(r) == std::vector<std::string>{"w1"});
}

TEST_CASE("deleted and changed products leave nothing to correct towards", "[search][corrector]") {
  TempDir dir;
  auto e = commerce::testing::OpenTestEngine(dir.path(), "lmdb");
  Put(*e, Make("z1", "Zanzibar Lamp"));
  Put(*e, Make("q1", "Quixotic Vase"));
  Put(*e, Make("keep", "Plain Mug"));
  WaitIndexed(*e);
  CHECK(Find(*e, {.text = "zanzibr "}).corrected_query == "zanzibar ");
  CHECK(Find(*e, {.text = "quixotc "}).corrected_query == "quixotic ");
  // z1 is archived; q1's title changes.
  Product z = Make("z1", "Zanzibar Lamp");
  z.status = ProductStatus::kArchived;
  Put(*e, z);
  Put(*e, Make("q1", "Plain Vase"));
  WaitIndexed(*e);
  auto gone = Find(*e, {.text = "zanzibr "});
  CHECK(gone.corrected_query.empty());
  CHECK_FALSE(gone.used_correction);
  CHECK(gone.hits.empty());
  auto changed = Find(*e, {.text = "quixotc "});
  CHECK(changed.corrected_query.empty());
  CHECK(changed.hits.empty());
}

TEST_CASE("corrections keep quotes, exclusions and operators as typed", "[search][corrector]") {
  TempDir dir;
  auto e = commerce::testing::OpenTestEngine(dir.path(), "lmdb");
  Put(*e, Make("a", "Wireless Headphones", "", "Sony"));
  Put(*e, Make("b", "Wireless Headphones", "", "Bose"));
  WaitIndexed(*e);
  auto r = Find(*e, {.text = "\"wireles headphones\" -bose"});
  CHECK(r.corrected_query == "\"wireless headphones\" -bose");
  CHECK(r.used_correction);
  CHECK(Ids(r) == std::vector<std::string>{"a"});
}

TEST_CASE("the word list survives restarts and follows rebuilds", "[search][corrector]") {
  TempDir dir;
  {
    auto e = commerce::testing::OpenTestEngine(dir.path(), "lmdb");
    Put(*e, Make("w1", "Outdoor Speaker", "A waterproof speaker."));
    WaitIndexed(*e);
  }
  auto e = commerce::testing::OpenTestEngine(dir.path(), "lmdb");
  CHECK(Find(*e, {.text = "waterprof "}).corrected_query == "waterproof ");
  REQUIRE(e->search().rebuild(2).ok());
  CHECK(Find(*e, {.text = "waterprof "}).corrected_query == "waterproof ");
  CHECK(Find(*e, {.text = "outdor "}).corrected_query == "outdoor ");
}

}  // namespace search_corrector_test
