// Tests of merchandising rules (src/search/rules.cpp and their use in query_runner.cpp)
// through the public API: when a rule applies (exact or contained query, category), what it
// does (pins at positions across pages, hide, boost and bury by id, brand, category and
// attribute, for every sort), the total order pages stitch into, explanations, versions and
// optimistic concurrency, persistence, the result cache, and bad input.
#include <algorithm>
#include <chrono>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

#include "commerce/engine.h"
#include "test_dir.h"
#include "test_engine.h"
#include "test_search.h"

namespace search_rules_test {

namespace {

using commerce::Code;
using commerce::Engine;
using commerce::MerchandisingRule;
using commerce::Money;
using commerce::Product;
using commerce::SearchRequest;
using commerce::SearchResult;
using commerce::Variant;
using commerce::testing::Find;
using commerce::testing::Ids;
using commerce::testing::TempDir;
using commerce::testing::WaitIndexed;

Product Make(const std::string& id, const std::string& title, const std::string& brand,
             const std::string& category, int64_t price, int64_t popularity) {
  Product p;
  p.id = id;
  p.title = title;
  p.brand = brand;
  p.categories = {category};
  p.popularity = popularity;
  p.attributes["color"] = id < "t5" ? "black" : "white";
  Variant v;
  v.sku = "SKU-" + id;
  v.price = Money{price, "USD"};
  p.variants.push_back(v);
  return p;
}

// Ten televisions (t0..t9, popularity falling with the number) and two cables.
std::unique_ptr<Engine> Shop(const TempDir& dir) {
  auto e = commerce::testing::OpenTestEngine(dir.path(), "lmdb");
  for (std::string c : {"tv", "tv/oled", "tv/lcd", "cables"}) {
    commerce::Category cat;
    cat.id = c;
    cat.name = c;
    REQUIRE(e->catalog().upsert_category(cat).ok());
  }
  for (int i = 0; i < 10; ++i) {
    const std::string id = "t" + std::to_string(i);
    auto r = e->catalog().upsert(Make(id, "Smart TV model " + id, i % 2 ? "Sony" : "LG",
                                      i < 5 ? "tv/oled" : "tv/lcd", 50000 + 1000 * i, 100 - i));
    REQUIRE(r.ok());
  }
  REQUIRE(e->catalog().upsert(Make("c1", "HDMI cable for TV", "Acme", "cables", 999, 5)).ok());
  REQUIRE(e->catalog().upsert(Make("c2", "USB cable", "Acme", "cables", 499, 4)).ok());
  WaitIndexed(*e);
  return e;
}

uint64_t Put(Engine& e, const MerchandisingRule& rule) {
  auto v = e.search().put_rule(rule);
  INFO(v.status().ToString());
  REQUIRE(v.ok());
  return *v;
}

// put_rule refuses `rule` as InvalidArgument naming `field`.
void Refused(Engine& e, const MerchandisingRule& rule, const std::string& field) {
  auto v = e.search().put_rule(rule);
  INFO(field << ": " << v.status().ToString());
  CHECK(v.status().code() == Code::kInvalidArgument);
  CHECK(v.status().message().find(field) != std::string::npos);
}

std::vector<std::string> Browse(Engine& e, SearchRequest r) {
  return Ids(Find(e, std::move(r)));
}

}  // namespace

TEST_CASE("rules: pins place products at positions of the whole list, across pages", "[search][rules]") {
  TempDir dir;
  auto e = Shop(dir);
  const auto before = Browse(*e, {.text = "tv", .limit = 100});
  REQUIRE(before.size() == 11);  // ten TVs and the HDMI cable "for TV"
  Put(*e, {.id = "pin-tv", .query = "tv", .pins = {{"t7", 1}, {"c2", 3}, {"t9", 500}}});
  auto r = Find(*e, {.text = "tv", .limit = 100});
  auto ids = Ids(r);
  // Nine ranked (the eleven less t7 and t9) and three pins: c2 does not match "tv" and is
  // shown pinned; t9, pinned past the end, moves up to it.
  REQUIRE(ids.size() == 12);
  CHECK(ids[0] == "t7");
  CHECK(ids[2] == "c2");
  CHECK(ids.back() == "t9");
  CHECK(r.total == 12);
  CHECK(r.rules_applied == std::vector<std::string>{"pin-tv"});
  // Every page of three is the same list cut in pieces: nothing repeats or goes missing.
  std::vector<std::string> paged;
  for (size_t off = 0; off < 15; off += 3) {
    auto page = Browse(*e, {.text = "tv", .offset = off, .limit = 3});
    paged.insert(paged.end(), page.begin(), page.end());
  }
  CHECK(paged == ids);
  // The pinned products do not also appear ranked.
  CHECK(std::set<std::string>(ids.begin(), ids.end()).size() == ids.size());
  // Pins meet the search's filters: a brand filter leaves out the LG and the Acme pins.
  auto sony = Ids(Find(*e, {.text = "tv", .brands = {"Sony"}, .limit = 100}));
  CHECK(sony[0] == "t7");
  CHECK(std::find(sony.begin(), sony.end(), "c2") == sony.end());
  // Another query is untouched (exact match: "tv cable" is not "tv").
  CHECK(Find(*e, {.text = "tv cable", .limit = 100}).rules_applied.empty());
}

TEST_CASE("rules: hide, boost and bury by id, brand, category and attribute, in every sort",
          "[search][rules]") {
  TempDir dir;
  auto e = Shop(dir);
  Put(*e, {.id = "a-boost-sony",
           .query = "smart tv",
           .match = "contains",
           .boost = {.brands = {"sony"}},
           .bury = {.attributes = {{"color", "white"}}},
           .hide = {.product_ids = {"t1"}}});
  for (std::string sort : {"relevance", "price_asc", "price_desc", "popularity", "newest"}) {
    INFO(sort);
    auto r = Find(*e, {.text = "big smart tv", .sort = sort, .limit = 100, .typo_tolerance = false,
                           .relax = true, .explain = true});
    auto ids = Ids(r);
    CHECK(std::find(ids.begin(), ids.end(), "t1") == ids.end());  // hidden
    REQUIRE(ids.size() == 9);
    CHECK(r.total == 9);
    // Boosted (Sony, not white): t3; neither: t0 t2 t4; buried (white): t5..t9 — t5, t7, t9
    // are Sony and white, bury beats boost.
    CHECK(ids[0] == "t3");
    CHECK(std::set<std::string>(ids.begin() + 1, ids.begin() + 4) == std::set<std::string>{"t0", "t2", "t4"});
    CHECK(std::set<std::string>(ids.begin() + 4, ids.end()) ==
          std::set<std::string>{"t5", "t6", "t7", "t8", "t9"});
    REQUIRE(r.hits[0].explanation);
    CHECK(r.hits[0].explanation->tier == "boosted");
    CHECK(r.hits[0].explanation->rules == std::vector<std::string>{"a-boost-sony"});
    CHECK(r.hits[1].explanation->tier == "");
    CHECK(r.hits.back().explanation->tier == "buried");
    CHECK(r.hits[0].explanation->sort == sort);
  }
  // Within a tier, the search's own order: price ascending in the buried tier.
  auto asc = Ids(Find(*e, {.text = "smart tv", .sort = "price_asc", .limit = 100}));
  CHECK(std::vector<std::string>(asc.end() - 5, asc.end()) ==
        std::vector<std::string>{"t5", "t6", "t7", "t8", "t9"});
  // Paged, the tiers stitch into the same list.
  std::vector<std::string> paged;
  for (size_t off = 0; off < 9; off += 2) {
    auto page = Browse(*e, {.text = "smart tv", .sort = "price_asc", .offset = off, .limit = 2});
    paged.insert(paged.end(), page.begin(), page.end());
  }
  CHECK(paged == asc);
  // Facets and totals leave hidden products out.
  auto faceted = Find(*e, {.text = "smart tv", .facets = {"brand"}});
  CHECK(faceted.total == 9);
  uint64_t counted = 0;
  for (const auto& v : faceted.facets.at(0).values) counted += v.count;
  CHECK(counted == 9);
}

TEST_CASE("rules: a category condition applies to browses of it and its sub-categories",
          "[search][rules]") {
  TempDir dir;
  auto e = Shop(dir);
  Put(*e, {.id = "tv-browse", .categories = {"tv"}, .pins = {{"t9", 1}}, .hide = {.brands = {"LG"}}});
  auto oled = Find(*e, {.categories = {"tv/lcd"}});
  CHECK(Ids(oled) == std::vector<std::string>{"t9", "t5", "t7"});
  CHECK(oled.rules_applied == std::vector<std::string>{"tv-browse"});
  // Not a browse of cables, nor one without a category.
  CHECK(Find(*e, {.categories = {"cables"}}).rules_applied.empty());
  CHECK(Find(*e, {.text = "tv"}).rules_applied.empty());
  // Query and category together: both must hold.
  Put(*e, {.id = "tv-and-text", .query = "sony", .categories = {"tv"}, .bury = {.product_ids = {"t1"}}});
  CHECK(Find(*e, {.text = "sony", .categories = {"tv/oled"}}).rules_applied ==
        std::vector<std::string>{"tv-and-text", "tv-browse"});
  CHECK(Find(*e, {.text = "sony"}).rules_applied.empty());
  // A disabled rule does nothing.
  Put(*e, {.id = "tv-browse", .categories = {"tv"}, .enabled = false, .pins = {{"t9", 1}}});
  CHECK(Ids(Find(*e, {.categories = {"tv/lcd"}}))[0] == "t5");
}

TEST_CASE("rules: versions, conflicts, persistence, deletion and the result cache", "[search][rules]") {
  TempDir dir;
  auto e = Shop(dir);
  auto none = e->search().rules();
  REQUIRE(none.ok());
  CHECK(none->version == 0);
  CHECK(none->rules.empty());
  SearchRequest cached{.text = "usb cable"};
  auto first = e->search().query(cached);  // through the cache
  REQUIRE(first.ok());
  CHECK(Ids(*first) == std::vector<std::string>{"c2"});
  const uint64_t v1 = Put(*e, {.id = "hide-usb", .query = "usb cable", .hide = {.product_ids = {"c2"}}});
  CHECK(v1 == 1);
  // The cached page is not served under the new rules. (With c2 hidden nothing has both
  // words, and the any-word fall-back finds the HDMI cable.)
  auto no_c2 = [](const SearchResult& r) {
    auto ids = Ids(r);
    return std::find(ids.begin(), ids.end(), "c2") == ids.end();
  };
  auto second = e->search().query(cached);
  REQUIRE(second.ok());
  CHECK(no_c2(*second));
  CHECK(second->rules_applied == std::vector<std::string>{"hide-usb"});
  CHECK(second->rules_version == 1);
  // Optimistic concurrency: a stale version is refused and changes nothing.
  auto stale = e->search().put_rule({.id = "x", .query = "q", .hide = {.brands = {"b"}}}, 7);
  CHECK(stale.status().code() == Code::kConflict);
  auto fresh = e->search().put_rule({.id = "x", .query = "q", .hide = {.brands = {"b"}}}, v1);
  REQUIRE(fresh.ok());
  CHECK(*fresh == 2);
  auto set = e->search().rules();
  REQUIRE(set.ok());
  CHECK(set->version == 2);
  REQUIRE(set->rules.size() == 2);
  CHECK(set->rules[0].id == "hide-usb");
  CHECK(set->rules[0].version == 1);
  CHECK(set->rules[1].version == 2);
  // Durable across a reopen.
  e.reset();
  e = commerce::testing::OpenTestEngine(dir.path(), "lmdb");
  CHECK(no_c2(Find(*e, cached)));
  CHECK(e->search().rules()->version == 2);
  // Deleted: the product is back; deleting again is NotFound.
  auto del = e->search().delete_rule("hide-usb");
  REQUIRE(del.ok());
  CHECK(*del == 3);
  CHECK(Ids(Find(*e, cached)) == std::vector<std::string>{"c2"});
  CHECK(e->search().delete_rule("hide-usb").status().code() == Code::kNotFound);
  CHECK(e->search().delete_rule("x", 1).status().code() == Code::kConflict);
}

TEST_CASE("rules: bad rules are refused with the field at fault and change nothing", "[search][rules]") {
  TempDir dir;
  auto e = Shop(dir);
  auto refused = [&](const MerchandisingRule& r, const std::string& field) { Refused(*e, r, field); };
  const commerce::ProductSelector some{.brands = {"LG"}};
  refused({.id = "", .query = "tv", .hide = some}, "id");
  refused({.id = "has space", .query = "tv", .hide = some}, "id");
  refused({.id = std::string(65, 'a'), .query = "tv", .hide = some}, "id");
  refused({.id = "r", .query = "tv", .match = "regex", .hide = some}, "match");
  refused({.id = "r", .hide = some}, "categories");  // no condition
  refused({.id = "r", .query = "!!!", .hide = some}, "query");
  refused({.id = "r", .query = "tv"}, "changes nothing");
  refused({.id = "r", .query = "tv", .pins = {{"t1", 0}}}, "pins[0].position");
  refused({.id = "r", .query = "tv", .pins = {{"t1", 10001}}}, "pins[0].position");
  refused({.id = "r", .query = "tv", .pins = {{"t1", 1}, {"t1", 2}}}, "pinned twice");
  refused({.id = "r", .query = "tv", .pins = {{"", 1}}}, "pins[0].product_id");
  refused({.id = "r", .query = "tv", .hide = {.brands = {""}}}, "hide.brands[0]");
  refused({.id = "r", .query = "tv", .boost = {.product_ids = {"\xff"}}}, "boost.product_ids[0]");
  refused({.id = "r", .query = "tv", .bury = {.attributes = {{"", "x"}}}}, "bury.attributes");
  MerchandisingRule many{.id = "r", .query = "tv"};
  for (int i = 0; i < 101; ++i) many.pins.push_back({"p" + std::to_string(i), 1});
  refused(many, "pins");
  CHECK(e->search().rules()->version == 0);
  CHECK(e->search().delete_rule("bad id").status().code() == Code::kInvalidArgument);
}

TEST_CASE("explain: the weight, the terms matched and the correction used", "[search][rules]") {
  TempDir dir;
  auto e = Shop(dir);
  auto r = Find(*e, {.text = "hdmi cable", .explain = true});
  REQUIRE(r.hits.size() == 1);
  REQUIRE(r.hits[0].explanation);
  const auto& x = *r.hits[0].explanation;
  CHECK(x.query == "hdmi cable");
  CHECK_FALSE(x.corrected);
  CHECK(x.weight == r.hits[0].score);
  CHECK(x.weight > 0);
  REQUIRE(x.terms.size() >= 2);
  for (const auto& t : x.terms) {
    INFO(t.term);
    CHECK(t.weight > 0);
    CHECK(t.wdf > 0);
  }
  CHECK(x.sort == "relevance");
  // A misspelt query: the hit says it was found by the correction.
  auto typo = Find(*e, {.text = "hdmi cabel", .prefix = false, .explain = true});
  REQUIRE(typo.used_correction);
  REQUIRE(!typo.hits.empty());
  CHECK(typo.hits[0].explanation->corrected);
  CHECK(typo.hits[0].explanation->query == typo.corrected_query);
  // Not asked: no explanation.
  CHECK_FALSE(Find(*e, {.text = "hdmi cable"}).hits[0].explanation);
  // A pinned hit says by which rule and where.
  Put(*e, {.id = "pin", .query = "hdmi cable", .pins = {{"t4", 1}}});
  auto pinned = Find(*e, {.text = "hdmi cable", .explain = true});
  REQUIRE(pinned.hits.size() == 2);
  CHECK(pinned.hits[0].product_id == "t4");
  CHECK(pinned.hits[0].explanation->tier == "pinned");
  CHECK(pinned.hits[0].explanation->pinned_position == 1);
  CHECK(pinned.hits[0].explanation->rules == std::vector<std::string>{"pin"});
  // A pin is not a match: a query whose words match nothing is still corrected (and relaxed),
  // the pin kept at its place.
  Put(*e, {.id = "cable-pin", .query = "cable", .match = "contains", .pins = {{"t0", 1}}});
  auto fixed = Find(*e, {.text = "cable hdmmi", .prefix = false, .explain = true});
  CHECK(fixed.used_correction);
  CHECK(Ids(fixed) == std::vector<std::string>{"t0", "c1"});
  CHECK(fixed.hits[1].explanation->corrected);
}

TEST_CASE("rules: a schedule window: a rule applies from its start until its end", "[search][rules]") {
  TempDir dir;
  auto e = Shop(dir);
  constexpr int64_t kStart = 1'900'000'000'000, kEnd = kStart + 3'600'000;
  Put(*e, {.id = "sale", .query = "tv", .pins = {{"c2", 1}}, .starts_at_ms = kStart, .ends_at_ms = kEnd});
  auto at = [&](int64_t now_ms) { return Find(*e, {.text = "tv", .now_ms = now_ms}); };
  CHECK(at(kStart - 1).rules_applied.empty());
  CHECK(Ids(at(kStart - 1))[0] != "c2");
  CHECK(at(kStart).rules_applied == std::vector<std::string>{"sale"});  // the start is inside
  CHECK(Ids(at(kStart))[0] == "c2");
  CHECK(at(kEnd - 1).rules_applied == std::vector<std::string>{"sale"});
  CHECK(at(kEnd).rules_applied.empty());  // the end is not
  // No time given: the system clock's, before the start.
  CHECK(Find(*e, {.text = "tv"}).rules_applied.empty());
  // Open ends: only a start, only an end.
  Put(*e, {.id = "from", .query = "tv", .hide = {.product_ids = {"t0"}}, .starts_at_ms = kStart});
  Put(*e, {.id = "until", .query = "tv", .hide = {.product_ids = {"t1"}}, .ends_at_ms = kStart});
  CHECK(at(1).rules_applied == std::vector<std::string>{"until"});
  CHECK(at(kEnd + 1'000'000'000).rules_applied == std::vector<std::string>{"from"});
  // The window travels through the store: read back as put.
  auto set = e->search().rules();
  REQUIRE(set.ok());
  REQUIRE(set->rules.size() == 3);
  CHECK(set->rules[1].starts_at_ms == kStart);
  CHECK(set->rules[1].ends_at_ms == kEnd);
}

TEST_CASE("rules: a page cached before a rule's start or end is not served after it", "[search][rules]") {
  TempDir dir;
  auto e = Shop(dir);
  constexpr int64_t kStart = 1'900'000'000'000, kEnd = kStart + 60'000;
  Put(*e, {.id = "sale", .query = "usb cable", .hide = {.product_ids = {"c2"}},
           .starts_at_ms = kStart, .ends_at_ms = kEnd});
  // Through the result cache (fresh for about two seconds).
  auto query = [&](int64_t now_ms) {
    auto r = e->search().query({.text = "usb cable", .now_ms = now_ms});
    INFO(r.status().ToString());
    REQUIRE(r.ok());
    return *r;
  };
  auto before = query(kStart - 1000);
  CHECK(Ids(before) == std::vector<std::string>{"c2"});
  CHECK(query(kStart - 500).from_cache);  // the same interval: the cached page
  auto started = query(kStart);
  CHECK_FALSE(started.from_cache);
  CHECK(started.rules_applied == std::vector<std::string>{"sale"});
  CHECK(Ids(started) != std::vector<std::string>{"c2"});
  CHECK(query(kStart + 10).from_cache);
  auto ended = query(kEnd);
  CHECK_FALSE(ended.from_cache);
  CHECK(ended.rules_applied.empty());
  CHECK(Ids(ended) == std::vector<std::string>{"c2"});

  // By the system clock: a rule starting in a moment, while the page before it is fresh
  // (cache_ttl's 2 s less its jitter is at least 1.6 s).
  const auto at = std::chrono::system_clock::now() + std::chrono::milliseconds(1000);
  const int64_t soon = std::chrono::duration_cast<std::chrono::milliseconds>(at.time_since_epoch()).count();
  Put(*e, {.id = "soon", .query = "hdmi cable", .hide = {.product_ids = {"c1"}}, .starts_at_ms = soon});
  SearchRequest hdmi{.text = "hdmi cable", .relax = false};
  auto early = e->search().query(hdmi);
  REQUIRE(early.ok());
  CHECK(Ids(*early) == std::vector<std::string>{"c1"});
  std::this_thread::sleep_until(at + std::chrono::milliseconds(50));
  auto late = e->search().query(hdmi);
  REQUIRE(late.ok());
  CHECK_FALSE(late->from_cache);
  CHECK(late->rules_applied == std::vector<std::string>{"soon"});
  CHECK(late->hits.empty());
}

TEST_CASE("rules: a redirect comes with the hits, the lowest rule id's winning", "[search][rules]") {
  TempDir dir;
  auto e = Shop(dir);
  // A rule may do nothing but redirect.
  Put(*e, {.id = "m-tv", .query = "tv", .redirect = "https://shop.example/tv-week?src=search"});
  auto r = Find(*e, {.text = "tv"});
  CHECK(r.redirect == "https://shop.example/tv-week?src=search");
  CHECK(r.hits.size() == 11);  // the hits all the same
  CHECK(r.rules_applied == std::vector<std::string>{"m-tv"});
  CHECK(Find(*e, {.text = "cable"}).redirect.empty());
  // Several applying rules with one: the lowest id's, whatever the order they were put in.
  Put(*e, {.id = "z-tv", .query = "tv", .redirect = "http://z.example/"});
  Put(*e, {.id = "a-tv", .query = "tv", .pins = {{"t3", 1}}});  // applies, has none
  Put(*e, {.id = "b-tv", .query = "tv", .redirect = "HTTPS://b.example"});
  auto several = Find(*e, {.text = "tv"});
  CHECK(several.rules_applied == std::vector<std::string>{"a-tv", "b-tv", "m-tv", "z-tv"});
  CHECK(several.redirect == "HTTPS://b.example");
  // Outside its window a rule's redirect does not apply either.
  Put(*e, {.id = "b-tv", .query = "tv", .redirect = "https://b.example", .ends_at_ms = 1000});
  CHECK(Find(*e, {.text = "tv"}).redirect == "https://shop.example/tv-week?src=search");
  auto set = e->search().rules();
  REQUIRE(set.ok());
  CHECK(set->rules[0].redirect.empty());
  CHECK(set->rules[1].redirect == "https://b.example");
}

TEST_CASE("rules: bad redirects and schedules are refused with the field at fault", "[search][rules]") {
  TempDir dir;
  auto e = Shop(dir);
  auto refused = [&](const MerchandisingRule& r, const std::string& field) { Refused(*e, r, field); };
  for (std::string bad : {"/tv", "shop.example/tv", "ftp://shop.example/", "javascript:alert(1)",
                          "https://", "https:///tv", "https://shop.example/a b", "https://shop.example/\x01",
                          "https://shop.example/\xc3\xa9", "mailto:x@example.com", "http://:80/"}) {
    INFO(bad);
    refused({.id = "r", .query = "tv", .redirect = bad}, "redirect");
  }
  refused({.id = "r", .query = "tv", .redirect = "https://shop.example/" + std::string(commerce::kMaxRedirectBytes, 'a')},
          "redirect");
  refused({.id = "r", .query = "tv", .hide = {.brands = {"LG"}}, .starts_at_ms = -1}, "starts_at_ms");
  refused({.id = "r", .query = "tv", .hide = {.brands = {"LG"}}, .ends_at_ms = -5}, "ends_at_ms");
  refused({.id = "r", .query = "tv", .hide = {.brands = {"LG"}}, .starts_at_ms = 2000, .ends_at_ms = 2000},
          "ends_at_ms");
  refused({.id = "r", .query = "tv", .hide = {.brands = {"LG"}}, .starts_at_ms = 2000, .ends_at_ms = 1000},
          "ends_at_ms");
  CHECK(e->search().rules()->version == 0);
  // The longest accepted, and a redirect's surrounding spaces trimmed.
  const std::string longest = "https://s.example/" + std::string(commerce::kMaxRedirectBytes - 18, 'a');
  Put(*e, {.id = "r", .query = "tv", .redirect = longest});
  Put(*e, {.id = "s", .query = "tv", .redirect = "  https://s.example/x  "});
  CHECK(e->search().rules()->rules[1].redirect == "https://s.example/x");
  // A request's clock is checked too.
  CHECK(e->search().query({.text = "tv", .now_ms = -1}).status().code() == Code::kInvalidArgument);
}

}  // namespace search_rules_test
