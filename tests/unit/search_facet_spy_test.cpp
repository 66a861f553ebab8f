// Tests of facet counts (src/search/facet_spy.cpp and their use in query_runner.cpp) through
// the public API: disjunctive (multi-select) facets counted without their own filter, price
// buckets given by the request, the category tree with counts per level, their bad input, and
// the spy's wire form that remote shards use.
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <xapian.h>

#include "commerce/engine.h"
#include "search/facet_spy.h"
#include "test_dir.h"
#include "test_engine.h"
#include "test_search.h"

namespace search_facet_spy_test {

namespace {

using commerce::Code;
using commerce::Engine;
using commerce::Facet;
using commerce::Money;
using commerce::Product;
using commerce::SearchRequest;
using commerce::SearchResult;
using commerce::Variant;
using commerce::testing::Find;
using commerce::testing::TempDir;
using commerce::testing::WaitIndexed;

Product Make(const std::string& id, const std::string& title, const std::string& brand,
             const std::string& category, int64_t price) {
  Product p;
  p.id = id;
  p.title = title;
  p.brand = brand;
  p.categories = {category};
  Variant v;
  v.sku = "SKU-" + id;
  v.price = Money{price, "USD"};
  p.variants.push_back(v);
  return p;
}

// Two departments, a three-level branch, five brands.
std::unique_ptr<Engine> Shop(const TempDir& dir) {
  auto e = commerce::testing::OpenTestEngine(dir.path(), "lmdb");
  for (const auto& [id, name] : std::vector<std::pair<std::string, std::string>>{
           {"audio", "Audio"}, {"audio/headphones", "Headphones"},
           {"audio/headphones/wireless", "Wireless"}, {"audio/speakers", "Speakers"},
           {"phones", "Phones"}, {"phones/cases", "Cases"}})
    REQUIRE(e->catalog().upsert_category({.id = id, .name = name}).ok());
  for (const auto& p : {Make("h1", "Sony Wireless Headphones", "Sony", "audio/headphones/wireless", 29999),
                        Make("h2", "Bose Headphones", "Bose", "audio/headphones", 34900),
                        Make("h3", "Sony Earbuds Headphones", "Sony", "audio/headphones", 4999),
                        Make("s1", "Sony Speaker", "Sony", "audio/speakers", 9999),
                        Make("s2", "JBL Speaker", "JBL", "audio/speakers", 12999),
                        Make("c1", "Rugged Phone Case", "Otterbox", "phones/cases", 2999),
                        Make("c2", "Slim Phone Case", "Sony", "phones/cases", 1999),
                        Make("p1", "Apple Phone", "Apple", "phones", 99900)})
    REQUIRE(e->catalog().upsert(p).ok());
  WaitIndexed(*e);
  return e;
}

// "value=count ..." of one facet; with the level and parent for the category tree.
std::string Values(const Facet& f) {
  std::string out;
  for (const auto& v : f.values) {
    if (!out.empty()) out += ' ';
    if (f.field == "category_tree") out += std::to_string(v.level) + ":" + v.parent + ">";
    out += v.value + "=" + std::to_string(v.count);
  }
  return out;
}

}  // namespace

TEST_CASE("a disjunctive facet counts without its own filter, every other filter applying",
          "[search][facets]") {
  TempDir dir;
  auto e = Shop(dir);
  // Sony ticked: the hits are Sony's, the brand facet still shows what each other brand adds.
  auto plain = Find(*e, {.brands = {"Sony"}, .facets = {"brand"}});
  CHECK(plain.total == 4);
  CHECK(Values(plain.facets[0]) == "Sony=4");
  auto multi = Find(*e, {.brands = {"Sony"}, .facets = {"brand"}, .disjunctive_facets = {"brand"}});
  CHECK(multi.total == 4);
  CHECK(Values(multi.facets[0]) == "Sony=4 Apple=1 Bose=1 JBL=1 Otterbox=1");
  // ... yet every other filter holds: within audio, Sony has 3 and the others 1 each; the
  // category facet (not disjunctive) counts with both filters.
  auto audio = Find(*e, {.brands = {"Sony"}, .categories = {"audio"}, .facets = {"brand", "category"},
                         .disjunctive_facets = {"brand"}});
  CHECK(audio.total == 3);
  CHECK(Values(audio.facets[0]) == "Sony=3 Bose=1 JBL=1");
  CHECK(Values(audio.facets[1]) == "audio/headphones=2 audio/speakers=1");
  // The text applies too.
  auto text = Find(*e, {.text = "headphones", .brands = {"Bose"}, .facets = {"brand"},
                        .disjunctive_facets = {"brand"}});
  CHECK(text.total == 1);
  CHECK(Values(text.facets[0]) == "Sony=2 Bose=1");
  // A disjunctive facet without its filter is an ordinary one.
  auto none = Find(*e, {.facets = {"brand"}, .disjunctive_facets = {"brand"}});
  CHECK(Values(none.facets[0]) == Values(Find(*e, {.facets = {"brand"}}).facets[0]));

  // Categories: the level of the ticked one (it and its siblings), counted without it.
  auto cat = Find(*e, {.categories = {"audio/speakers"}, .facets = {"category"},
                       .disjunctive_facets = {"category"}});
  CHECK(cat.total == 2);
  CHECK(Values(cat.facets[0]) == "audio/headphones=3 audio/speakers=2");
  auto two = Find(*e, {.text = "sony", .categories = {"audio/speakers", "phones/cases"},
                       .facets = {"category"}, .disjunctive_facets = {"category"}});
  CHECK(two.total == 2);
  CHECK(Values(two.facets[0]) == "audio=3 phones=1");  // no common parent: the departments

  // Price: the range filters the hits, not the price facet's counts.
  auto cheap = Find(*e, {.price_max = 9999, .facets = {"price", "brand"}, .disjunctive_facets = {"price"},
                         .price_buckets = {5000, 20000}});
  CHECK(cheap.total == 4);
  CHECK(Values(cheap.facets[0]) == "0..4999=3 5000..19999=2 20000..=3");
  CHECK(Values(cheap.facets[1]) == "Sony=3 Otterbox=1");
  // All three at once.
  auto all = Find(*e, {.brands = {"Sony"}, .categories = {"audio/headphones"}, .price_min = 10000,
                       .facets = {"category", "price", "brand"},
                       .disjunctive_facets = {"brand", "category", "price"}, .price_buckets = {10000}});
  CHECK(all.total == 1);
  CHECK(Values(all.facets[0]) == "audio/headphones=1");  // Sony, from 100.00: h1 only
  CHECK(Values(all.facets[1]) == "0..9999=1 10000..=1");  // Sony headphones: h3, h1
  CHECK(Values(all.facets[2]) == "Bose=1 Sony=1");        // headphones from 100.00: h2, h1
  CHECK(all.facets[0].exact);
}

TEST_CASE("price facet buckets given by the request", "[search][facets]") {
  TempDir dir;
  auto e = Shop(dir);
  auto r = Find(*e, {.facets = {"price"}, .price_buckets = {2000, 10000, 100000}});
  CHECK(Values(r.facets[0]) == "0..1999=1 2000..9999=3 10000..99999=4");  // nothing from 1000.00
  REQUIRE(r.facets[0].values.size() == 3);
  CHECK(r.facets[0].values[0].label == "0.00 - 19.99");
  CHECK(r.facets[0].values[2].label == "100.00 - 999.99");
  auto open = Find(*e, {.facets = {"price"}, .price_buckets = {10000}});
  CHECK(Values(open.facets[0]) == "0..9999=4 10000..=4");
  CHECK(open.facets[0].values[1].label == "100.00 and above");
  // The default buckets when none are given.
  CHECK(Values(Find(*e, {.facets = {"price"}}).facets[0]) ==
        "1000..2499=1 2500..4999=2 5000..9999=1 10000..24999=1 25000..49999=2 50000..99999=1");
  // The cache tells buckets apart.
  SearchRequest a{.facets = {"price"}, .price_buckets = {10000}};
  SearchRequest b{.facets = {"price"}, .price_buckets = {20000}};
  auto ra = e->search().query(a), rb = e->search().query(b);
  REQUIRE(ra.ok());
  REQUIRE(rb.ok());
  CHECK(Values(rb->facets[0]) == "0..19999=5 20000..=3");
  CHECK(Values(ra->facets[0]) != Values(rb->facets[0]));
}

TEST_CASE("the category tree facet counts every level down to the filtered category's children",
          "[search][facets]") {
  TempDir dir;
  auto e = Shop(dir);
  // Without a category filter: the departments.
  auto top = Find(*e, {.facets = {"category_tree"}});
  CHECK(Values(top.facets[0]) == "0:>audio=5 0:>phones=3");
  // Within headphones: the departments, audio's children, headphones' children; the hits are
  // the filtered category's.
  auto deep = Find(*e, {.categories = {"audio/headphones"}, .facets = {"category_tree"}});
  CHECK(deep.total == 3);
  CHECK(Values(deep.facets[0]) ==
        "0:>audio=5 0:>phones=3 1:audio>audio/headphones=3 1:audio>audio/speakers=2 "
        "2:audio/headphones>audio/headphones/wireless=1");
  CHECK(deep.facets[0].values[2].label == "Headphones");
  // Other filters apply at every level.
  auto sony = Find(*e, {.brands = {"Sony"}, .categories = {"audio/headphones"}, .facets = {"category_tree"}});
  CHECK(Values(sony.facets[0]) ==
        "0:>audio=3 0:>phones=1 1:audio>audio/headphones=2 1:audio>audio/speakers=1 "
        "2:audio/headphones>audio/headphones/wireless=1");
  // facet_size bounds each parent's values.
  auto one = Find(*e, {.categories = {"audio/headphones"}, .facets = {"category_tree"}, .facet_size = 1});
  CHECK(Values(one.facets[0]) ==
        "0:>audio=5 1:audio>audio/headphones=3 2:audio/headphones>audio/headphones/wireless=1");
  // Beside the one-level facet, which keeps its meaning.
  auto both = Find(*e, {.categories = {"audio"}, .facets = {"category", "category_tree"}});
  CHECK(Values(both.facets[0]) == "audio/headphones=3 audio/speakers=2");
  CHECK(Values(both.facets[1]) == "0:>audio=5 0:>phones=3 1:audio>audio/headphones=3 1:audio>audio/speakers=2");
}

TEST_CASE("bad facet requests are refused naming the field", "[search][facets]") {
  TempDir dir;
  auto e = Shop(dir);
  auto refused = [&](SearchRequest r, const std::string& field) {
    auto res = e->search().query(r);
    INFO(field);
    REQUIRE_FALSE(res.ok());
    CHECK(res.status().code() == Code::kInvalidArgument);
    CHECK(res.status().message().find(field) != std::string::npos);
  };
  refused({.facets = {"brand"}, .disjunctive_facets = {"colour"}}, "disjunctive_facets");
  refused({.facets = {"category_tree"}, .disjunctive_facets = {"category_tree"}}, "disjunctive_facets");
  refused({.facets = {"price"}, .disjunctive_facets = {"brand"}}, "not among facets");
  refused({.facets = {"price"}, .disjunctive_facets = {"brand", "category", "price", "brand"}},
          "disjunctive_facets");
  refused({.facets = {"price"}, .price_buckets = {0}}, "price_buckets");
  refused({.facets = {"price"}, .price_buckets = {-100, 100}}, "price_buckets");
  refused({.facets = {"price"}, .price_buckets = {100, 100}}, "price_buckets");
  refused({.facets = {"price"}, .price_buckets = {500, 100}}, "price_buckets");
  std::vector<int64_t> many;
  for (int64_t i = 1; i <= 51; ++i) many.push_back(i * 100);
  refused({.facets = {"price"}, .price_buckets = many}, "price_buckets");
  refused({.facets = {"tree"}}, "facets");
  many.pop_back();
  CHECK(e->search().query({.facets = {"price"}, .price_buckets = many}).ok());  // 50 is the limit
}

TEST_CASE("the facet spy's wire form carries the price buckets and refuses damage", "[search][facets]") {
  using commerce::search::FacetSpy;
  FacetSpy spy(false, true, true, {100, 500});
  Xapian::Registry registry;
  std::unique_ptr<Xapian::MatchSpy> copy(spy.unserialise(spy.serialise(), registry));
  auto* back = dynamic_cast<FacetSpy*>(copy.get());
  REQUIRE(back != nullptr);
  CHECK(back->bounds() == std::vector<int64_t>{100, 500});
  CHECK(back->price_buckets().size() == 3);
  // The default buckets travel as the bounds they are.
  FacetSpy plain(true, false, false);
  std::unique_ptr<Xapian::MatchSpy> plain_copy(plain.unserialise(plain.serialise(), registry));
  CHECK(dynamic_cast<FacetSpy*>(plain_copy.get())->bounds().size() == commerce::search::kPriceBucketBounds.size());
  // Damaged or inconsistent forms throw, which a query reports as an error.
  std::string descending = spy.serialise();
  std::swap(descending[2], descending[descending.size() - 2]);
  for (const std::string& bad : {std::string(), std::string("\x08", 1), spy.serialise().substr(0, 2),
                                 spy.serialise() + "x", descending})
    CHECK_THROWS_AS(delete spy.unserialise(bad, registry), Xapian::SerialisationError);
  // Counts from a shard with another number of buckets do not merge.
  FacetSpy other(false, false, true, {100});
  FacetSpy mine(false, false, true, {100, 500});
  CHECK_THROWS_AS(mine.merge_results(other.serialise_results()), Xapian::SerialisationError);
  mine.merge_results(FacetSpy(false, false, true, {100, 500}).serialise_results());
  CHECK(mine.total_seen() == 0);
}

}  // namespace search_facet_spy_test
