// Tests of search-as-you-type (src/search/suggester.cpp) through the public API: completions
// from the products' words counted against the words before, typo tolerance, popular queries
// first, a deterministic order, and bad input.
#include <atomic>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include <xapian.h>

#include <catch2/catch.hpp>

#include "commerce/engine.h"
#include "test_dir.h"
#include "test_engine.h"
#include "test_search.h"

namespace search_suggester_test {

namespace {

using commerce::Engine;
using commerce::SuggestRequest;
using commerce::SuggestResult;
using commerce::testing::Find;
using commerce::testing::PutTitled;
using commerce::testing::TempDir;
using commerce::testing::WaitIndexed;

std::unique_ptr<Engine> Shop(const TempDir& dir) {
  commerce::EngineOptions o;
  o.path = dir.path();
  o.run_background = false;
  auto opened = Engine::open(o);
  INFO(opened.status().ToString());
  REQUIRE(opened.ok());
  auto e = std::move(opened).value();
  const std::vector<std::pair<std::string, std::string>> products{
      {"p1", "Sony Wireless Headphones"},     {"p2", "Bose Wireless Headphones"},
      {"p3", "Sony Headset for Gaming"},      {"p4", "Wireless Mouse"},
      {"p5", "Sony Television 55 inch"},      {"p6", "Headphone Stand"},
  };
  for (const auto& [id, title] : products) PutTitled(*e, id, title);
  WaitIndexed(*e);
  return e;
}

SuggestResult Suggest(Engine& e, SuggestRequest r) {
  auto s = e.search().suggest(r);
  INFO(s.status().ToString());
  REQUIRE(s.ok());
  return *s;
}

std::vector<std::string> Texts(const SuggestResult& r) {
  std::vector<std::string> out;
  for (const auto& s : r.suggestions) out.push_back(s.text);
  return out;
}

}  // namespace

TEST_CASE("suggest completes the word being typed, counted with the words before it", "[search][suggest]") {
  TempDir dir;
  auto e = Shop(dir);
  // "headphone" and "headphones" share a stem: offered once, as the shorter.
  auto head = Suggest(*e, {.text = "hea"});
  REQUIRE_FALSE(head.suggestions.empty());
  CHECK(head.suggestions[0].source == "catalog");
  CHECK(head.suggestions[0].count == 3);  // p1, p2, p6
  CHECK(Texts(head) == std::vector<std::string>{"headphone", "headset"});
  // After a word: the words that follow it in titles ("Sony Headset") first; then, with room
  // left, words found with it anywhere in a product ("Sony Wireless Headphones": a shopper
  // typing "sony h" means those too), in the form the title writes.
  auto sony = Suggest(*e, {.text = "Sony h"});
  CHECK(Texts(sony) == std::vector<std::string>{"sony headset", "sony headphones"});
  REQUIRE(sony.suggestions.size() == 2);
  CHECK(sony.suggestions[0].count == 1);
  CHECK(sony.suggestions[1].count == 1);
  CHECK_FALSE(sony.suggestions[0].corrected);
  // Nothing that goes with the words before is offered.
  CHECK(Suggest(*e, {.text = "bose t"}).suggestions.empty());
  CHECK(Suggest(*e, {.text = "zzzz"}).suggestions.empty());
  // A trailing space: the word is done, and the next word comes from the titles.
  auto next = Suggest(*e, {.text = "sony "});
  CHECK(Texts(next) == std::vector<std::string>{"sony headset", "sony television", "sony wireless"});
  for (const auto& x : next.suggestions) CHECK(x.count == 1);
  // The forms of a word are one completion: shown as the most frequent, counted together.
  auto wireless = Suggest(*e, {.text = "wireless "});
  CHECK(Texts(wireless) == std::vector<std::string>{"wireless headphones", "wireless mouse"});
  CHECK(wireless.suggestions[0].count == 2);
  // The word before is matched by its stem: "headphone" finds what follows "headphones" too.
  CHECK(Texts(Suggest(*e, {.text = "headphone "})) == std::vector<std::string>{"headphone stand"});
  // The title pair first, though "sku" (every product's SKU code, "SKU-p1") is in more of the
  // products: a phrase titles hold ranks before words that merely share products; and among
  // those, a title word ("sony") before a word only met in SKU codes.
  auto stand = Suggest(*e, {.text = "headphones s"});
  CHECK(Texts(stand) == std::vector<std::string>{"headphones stand", "headphones sony", "headphones sku"});
  REQUIRE(stand.suggestions.size() == 3);
  CHECK(stand.suggestions[0].count == 1);
  CHECK(stand.suggestions[1].count == 1);  // p1
  CHECK(stand.suggestions[2].count == 3);  // p1, p2, p6
  CHECK(Suggest(*e, {.text = "w", .limit = 1}).suggestions.size() == 1);
  CHECK(head.index_seq == *e->events().last_seq());
}

TEST_CASE("suggest offers a word that never follows the one before in a title", "[search][suggest]") {
  TempDir dir;
  auto e = Shop(dir);
  // "headphones" never follows "sony" in a title ("Sony Wireless Headphones"): the title pairs
  // give only "sony headset"; the rest is counted with "sony" anywhere in the product.
  auto hea = Suggest(*e, {.text = "sony hea"});
  CHECK(Texts(hea) == std::vector<std::string>{"sony headset", "sony headphones"});
  REQUIRE(hea.suggestions.size() == 2);
  CHECK(hea.suggestions[1].source == "catalog");
  CHECK(hea.suggestions[1].count == 1);  // p1, not p6 ("Headphone Stand": no "sony")
  CHECK_FALSE(hea.suggestions[1].corrected);
  // One completion per stem: the pair's form, not the word list's as well ("headphone").
  CHECK(Texts(Suggest(*e, {.text = "wireless hea"})) == std::vector<std::string>{"wireless headphones"});
  // With nothing from the pairs ("wireless" never precedes "sony"), the loose ones alone, by count.
  auto son = Suggest(*e, {.text = "wireless so"});
  CHECK(Texts(son) == std::vector<std::string>{"wireless sony"});
  // Three words: counted with every word typed before the last.
  CHECK(Texts(Suggest(*e, {.text = "sony wireless hea"})) == std::vector<std::string>{"sony wireless headphones"});
  CHECK(Texts(Suggest(*e, {.text = "bose sony hea"})).empty());
  // As typed before corrected, whichever way found: "headp" is a prefix of "headphones" and
  // one edit from "heads" ("sony headset", a title pair).
  auto typed = Suggest(*e, {.text = "sony headp"});
  CHECK(Texts(typed) == std::vector<std::string>{"sony headphones", "sony headset"});
  REQUIRE(typed.suggestions.size() == 2);
  CHECK_FALSE(typed.suggestions[0].corrected);
  CHECK(typed.suggestions[1].corrected);
  // Typo tolerant as the pairs are.
  auto far = Suggest(*e, {.text = "sony hedpho"});
  CHECK(Texts(far) == std::vector<std::string>{"sony headphones"});
  REQUIRE_FALSE(far.suggestions.empty());
  CHECK(far.suggestions[0].corrected);
  CHECK(Suggest(*e, {.text = "sony hedpho", .typo_tolerance = false}).suggestions.empty());
  // Never more than a search for the suggestion finds, never nothing.
  for (const char* typed : {"sony hea", "wireless so", "headphones s", "sony h", "gaming s", "mouse w"}) {
    INFO(typed);
    for (const auto& x : Suggest(*e, {.text = typed, .limit = 10}).suggestions) {
      INFO(x.text);
      CHECK(x.count > 0);
      CHECK(Find(*e, {.text = x.text, .limit = 50}).total >= x.count);
    }
  }
}

void PutProduct(Engine& e, const std::string& id, const std::string& title, const std::string& brand,
                const std::string& description, std::vector<std::string> categories = {}) {
  commerce::Product p;
  p.id = id;
  p.title = title;
  p.brand = brand;
  p.description = description;
  p.categories = std::move(categories);
  commerce::Variant v;
  v.sku = "SKU-" + id;
  v.price = commerce::Money{1000, "USD"};
  p.variants.push_back(v);
  auto r = e.catalog().upsert(p);
  INFO(r.status().ToString());
  REQUIRE(r.ok());
}

TEST_CASE("suggest: loose completions offer title and brand words before description and code words",
          "[search][suggest]") {
  TempDir dir;
  auto e = Shop(dir);
  PutProduct(*e, "l1", "Brass Desk Lamp", "", "Bright light for study");
  PutProduct(*e, "l2", "Reading Lamp", "Birch", "Bright light");
  PutProduct(*e, "l3", "Floor Lamp", "", "Warm glow");
  PutProduct(*e, "l4", "Pocket Torch", "", "Bright light beam");
  WaitIndexed(*e);
  // Nothing follows "lamp" in a title: every completion is loose. "bright" (a description
  // word) is in two of the lamps, "brass" (a title word) and "birch" (a brand) in one each:
  // the title and brand words first, by count then text, the description word after them.
  auto lamp = Suggest(*e, {.text = "lamp b"});
  CHECK(Texts(lamp) == std::vector<std::string>{"lamp birch", "lamp brass", "lamp bright"});
  REQUIRE(lamp.suggestions.size() == 3);
  CHECK(lamp.suggestions[2].count == 2);
  // "lamp" only ever ends a title (no title pair starts with it): told a title word from the
  // title of the first product counted, so it comes before "light" (three products, never in
  // a title).
  auto bright = Suggest(*e, {.text = "bright l"});
  CHECK(Texts(bright) == std::vector<std::string>{"bright lamp", "bright light"});
  REQUIRE(bright.suggestions.size() == 2);
  CHECK(bright.suggestions[0].count == 2);
  CHECK(bright.suggestions[1].count == 3);
  // A word only in SKU codes ("SKU-l1": "sku") after the title word "sony", whatever its count.
  CHECK(Texts(Suggest(*e, {.text = "headphones s"})) ==
        std::vector<std::string>{"headphones stand", "headphones sony", "headphones sku"});
  for (const char* typed : {"lamp b", "bright l", "desk s"}) {
    INFO(typed);
    for (const auto& x : Suggest(*e, {.text = typed, .limit = 10}).suggestions) {
      INFO(x.text);
      CHECK(x.count > 0);
      CHECK(Find(*e, {.text = x.text, .limit = 50}).total >= x.count);
    }
  }
}

TEST_CASE("suggest: a short prefix offers the most frequent words, not the first in byte order",
          "[search][suggest]") {
  TempDir dir;
  auto e = Shop(dir);
  // 60 words that sort before "sony", one product each; "sony" is in three.
  for (char a = 'a'; a < 'd'; ++a)
    for (char b = 'a'; b < 'u'; ++b) PutTitled(*e, std::string("x") + a + b, std::string("Sa") + a + b + "q Gadget");
  WaitIndexed(*e);
  // "sony" (three products) before "saaaq" (the first in byte order); "sku" (every product's
  // SKU "SKU-xab", indexed as text too, 66 products) is a code word: title words fill both
  // places before it.
  auto s = Suggest(*e, {.text = "s", .limit = 2});
  CHECK(Texts(s) == std::vector<std::string>{"sony", "saaaq"});
  REQUIRE(s.suggestions.size() == 2);
  CHECK(s.suggestions[0].count == 3);
}

// Issue 18: with one word typed, the word list's most frequent words came first whatever
// field they were met in, so `s` offered "sku" (every product's SKU code) before "sony".
TEST_CASE("suggest: one word typed offers title brand and category words before description and code words",
          "[search][suggest]") {
  TempDir dir;
  auto e = Shop(dir);
  // "sony" (a title pair starts with it), then "stand" (only ever last in a title: told by the
  // title of the first product with it), then "sku" (six products, only in SKU codes).
  auto s = Suggest(*e, {.text = "s"});
  CHECK(Texts(s) == std::vector<std::string>{"sony", "stand", "sku"});
  REQUIRE(s.suggestions.size() == 3);
  CHECK(s.suggestions[0].count == 3);
  CHECK(s.suggestions[1].count == 1);
  CHECK(s.suggestions[2].count == 6);
  // A rarer title or brand word before a more frequent description word: "bright" is in three
  // descriptions; "birch" (a brand), "bose" and "brass" (titles) in one product each.
  PutProduct(*e, "l1", "Brass Desk Lamp", "", "Bright light for study");
  PutProduct(*e, "l2", "Reading Lamp", "Birch", "Bright light");
  PutProduct(*e, "l3", "Floor Lamp", "", "Warm glow");
  PutProduct(*e, "l4", "Pocket Torch", "", "Bright light beam");
  PutProduct(*e, "g1", "Globe Lamp", "", "");
  // A word only in a category's name ("furniture" of "Garden Furniture") before a description
  // word in more products ("furnished").
  REQUIRE(e->catalog().upsert_category({"garden-furniture", "Garden Furniture", ""}).ok());
  PutProduct(*e, "c1", "Teak Bench", "", "Furnished with cushions", {"garden-furniture"});
  PutProduct(*e, "c2", "Camping Chair", "", "Furnished with a carry bag");
  PutProduct(*e, "c3", "Folding Stool", "", "Furnished with straps");
  WaitIndexed(*e);
  auto b = Suggest(*e, {.text = "b"});
  // "bench" ends its only title ("Teak Bench"): told by reading that product.
  CHECK(Texts(b) == std::vector<std::string>{"bench", "birch", "bose", "brass", "bright", "bag", "beam"});
  REQUIRE(b.suggestions.size() == 7);
  CHECK(b.suggestions[4].count == 3);
  auto furn = Suggest(*e, {.text = "furn"});
  CHECK(Texts(furn) == std::vector<std::string>{"furniture", "furnished"});
  REQUIRE(furn.suggestions.size() == 2);
  CHECK(furn.suggestions[0].count == 1);
  CHECK(furn.suggestions[1].count == 3);
  // Loose, after a word: the category word before the description word, though both are in
  // the one bench ("bench" is never followed by a word in a title: no pairs).
  CHECK(Texts(Suggest(*e, {.text = "bench f"})) == std::vector<std::string>{"bench furniture", "bench furnished"});
  CHECK(Texts(Suggest(*e, {.text = "gard"})) == std::vector<std::string>{"garden"});
  // As typed before corrected, whatever field: "glow" (a description word, as typed) before
  // "globe" (a title word, one edit away).
  auto glow = Suggest(*e, {.text = "glow"});
  CHECK(Texts(glow) == std::vector<std::string>{"glow", "globe"});
  REQUIRE(glow.suggestions.size() == 2);
  CHECK_FALSE(glow.suggestions[0].corrected);
  CHECK(glow.suggestions[1].corrected);
  // The limit keeps the first of that order.
  CHECK(Texts(Suggest(*e, {.text = "b", .limit = 2})) == std::vector<std::string>{"bench", "birch"});
  CHECK(Texts(Suggest(*e, {.text = "s", .limit = 1})) == std::vector<std::string>{"sony"});
  // What a reader remembers of a word follows the index: "bright" in a title now.
  PutTitled(*e, "t1", "Bright Star Lantern");
  WaitIndexed(*e);
  CHECK(Texts(Suggest(*e, {.text = "b", .limit = 2})) == std::vector<std::string>{"bright", "bench"});
  // A renamed category: its new name's words, not the old one's, once the index follows.
  REQUIRE(e->catalog().upsert_category({"garden-furniture", "Patio Seating", ""}).ok());
  WaitIndexed(*e);
  CHECK(Texts(Suggest(*e, {.text = "furn"})) == std::vector<std::string>{"furnished"});
  CHECK(Texts(Suggest(*e, {.text = "pat"})) == std::vector<std::string>{"patio"});
  for (const char* typed : {"s", "b", "furn", "glow", "bench f", "sea"}) {
    INFO(typed);
    for (const auto& x : Suggest(*e, {.text = typed, .limit = 10}).suggestions) {
      INFO(x.text);
      CHECK(x.count > 0);
      CHECK(Find(*e, {.text = x.text, .limit = 50}).total >= x.count);
    }
  }
}

TEST_CASE("suggest tolerates typos in the word being typed and before it", "[search][suggest]") {
  TempDir dir;
  auto e = Shop(dir);
  auto typo = Suggest(*e, {.text = "wirles"});
  REQUIRE_FALSE(typo.suggestions.empty());
  CHECK(typo.suggestions[0].text == "wireless");
  CHECK(typo.suggestions[0].corrected);
  CHECK(Suggest(*e, {.text = "wirles", .typo_tolerance = false}).suggestions.empty());
  auto before = Suggest(*e, {.text = "wireles hea"});
  CHECK(Texts(before) == std::vector<std::string>{"wireless headphones"});
  CHECK(before.suggestions[0].corrected);
  CHECK(before.suggestions[0].count == 2);
  // The word being typed after a word, misspelt: completed from close prefixes of its
  // followers, after the completions as typed.
  auto after = Suggest(*e, {.text = "sony wirle"});
  CHECK(Texts(after) == std::vector<std::string>{"sony wireless"});
  CHECK(after.suggestions[0].corrected);
  CHECK(Suggest(*e, {.text = "sony wirle", .typo_tolerance = false}).suggestions.empty());
}

TEST_CASE("suggest offers popular queries first, deterministically", "[search][suggest]") {
  TempDir dir;
  auto e = Shop(dir);
  for (int i = 0; i < 3; ++i) REQUIRE(e->search().query({.text = "sony wireless headphones"}).ok());
  REQUIRE(e->search().query({.text = "sony headset"}).ok());
  REQUIRE(e->search().query({.text = "sony qwertyuiop zxcvbnm asdfgh"}).ok());  // found nothing
  auto s = Suggest(*e, {.text = "SONY"});
  REQUIRE(s.suggestions.size() >= 3);
  CHECK(s.suggestions[0].text == "sony wireless headphones");
  CHECK(s.suggestions[0].source == "query");
  CHECK(s.suggestions[0].count == 3);
  CHECK(s.suggestions[1].text == "sony headset");
  CHECK(s.suggestions[2].text == "sony");
  CHECK(s.suggestions[2].source == "catalog");
  for (const auto& x : s.suggestions) CHECK(x.text.find("qwerty") == std::string::npos);
  // A query that found something only through its correction is not offered as typed.
  auto corrected = e->search().query({.text = "sonny wireless"});
  REQUIRE(corrected.ok());
  REQUIRE(corrected->used_correction);
  for (const auto& x : Suggest(*e, {.text = "sonn"}).suggestions) CHECK(x.text != "sonny wireless");
  CHECK(Texts(Suggest(*e, {.text = "SONY"})) == Texts(s));
  auto without = Suggest(*e, {.text = "sony", .popular_queries = false});
  CHECK(Texts(without) == std::vector<std::string>{"sony"});
}

TEST_CASE("suggest refuses bad input with the field at fault", "[search][suggest]") {
  TempDir dir;
  auto e = Shop(dir);
  auto& s = e->search();
  for (const std::string& text : {std::string(""), std::string("   "), std::string("?!-"),
                                  std::string(501, 'a')}) {
    auto r = s.suggest({.text = text});
    CHECK(r.status().IsInvalidArgument());
    CHECK(r.status().ToString().find("text") != std::string::npos);
  }
  std::string many;
  for (int i = 0; i < 40; ++i) many += "w ";
  CHECK(s.suggest({.text = many}).status().IsInvalidArgument());
  for (size_t limit : {size_t{0}, size_t{51}}) {
    auto r = s.suggest({.text = "so", .limit = limit});
    CHECK(r.status().IsInvalidArgument());
    CHECK(r.status().ToString().find("limit") != std::string::npos);
  }
}

// A catalog where a phrase is shared by most products of its first word.
void PutPhrases(Engine& e) {
  const std::vector<std::pair<std::string, std::string>> products{
      {"n1", "Acme Noise Cancelling Headphones"}, {"n2", "Zed Noise Cancelling Headphones"},
      {"n3", "Bolt Noise Cancelling Earbuds"},    {"n4", "Acme Noise Maker"},
      {"n5", "Acme Wireless Earbuds"},
  };
  for (const auto& [id, title] : products) PutTitled(e, id, title);
  WaitIndexed(e);
}

TEST_CASE("suggest offers phrase completions from titles", "[search][suggest]") {
  TempDir dir;
  auto e = Shop(dir);
  PutPhrases(*e);
  // "noise" (4 products): 3 go on with "cancelling", and 2 of those with "headphones": each
  // word kept by at least half of the products before it.
  auto noise = Suggest(*e, {.text = "noi"});
  REQUIRE(noise.suggestions.size() == 2);
  CHECK(noise.suggestions[0].text == "noise");
  CHECK(noise.suggestions[0].source == "catalog");
  CHECK(noise.suggestions[0].count == 4);
  CHECK(noise.suggestions[1].text == "noise cancelling headphones");
  CHECK(noise.suggestions[1].source == "phrase");
  CHECK(noise.suggestions[1].count == 2);
  // After a word, the completion is extended the same way.
  auto after = Suggest(*e, {.text = "noise can"});
  CHECK(Texts(after) == std::vector<std::string>{"noise cancelling", "noise cancelling headphones"});
  CHECK(after.suggestions[0].count == 3);
  // No follower shared by two products: no phrase ("sony" goes on with three words, once each).
  CHECK(Texts(Suggest(*e, {.text = "son"})) == std::vector<std::string>{"sony"});
  // "acme" (3 products) goes on with "noise" in 2, "acme noise" with "cancelling" in 1 of 2:
  // the phrase stops there.
  auto acm = Suggest(*e, {.text = "acm"});
  CHECK(Texts(acm) == std::vector<std::string>{"acme", "acme noise"});
  CHECK(acm.suggestions.back().count == 2);
  // A phrase takes a place within the limit.
  CHECK(Texts(Suggest(*e, {.text = "noi", .limit = 1})) == std::vector<std::string>{"noise"});
  // Three words and more: counted with every word before the pair, never more than a search
  // for the suggestion finds, never nothing.
  auto acme = Suggest(*e, {.text = "acme noise c"});
  CHECK(Texts(acme) == std::vector<std::string>{"acme noise cancelling"});
  REQUIRE_FALSE(acme.suggestions.empty());
  CHECK(acme.suggestions[0].count == 1);
  CHECK(Suggest(*e, {.text = "bolt noise m"}).suggestions.empty());
  // A stem's followers are remembered per reader state: after writes, phrases follow the new
  // titles ("cancelling" now goes on with "earbuds" in four products, "headphones" in two).
  for (const char* id : {"n6", "n7", "n8"}) PutTitled(*e, id, "Bolt Noise Cancelling Earbuds");
  WaitIndexed(*e);
  auto later = Suggest(*e, {.text = "noi"});
  CHECK(Texts(later) == std::vector<std::string>{"noise", "noise cancelling earbuds"});
  REQUIRE(later.suggestions.size() == 2);
  CHECK(later.suggestions[1].count == 4);
  for (const char* typed : {"noi", "noise ", "acme noise ", "acme noise cancelling h", "zed noise c", "acme w", "sony "}) {
    INFO(typed);
    for (const auto& x : Suggest(*e, {.text = typed, .limit = 10}).suggestions) {
      INFO(x.text);
      CHECK(x.count > 0);
      CHECK(Find(*e, {.text = x.text, .limit = 50}).total >= x.count);
    }
  }
}

TEST_CASE("suggest extends a long phrase past the followers it remembers", "[search][suggest]") {
  TempDir dir;
  auto e = Shop(dir);
  // "zulu" is followed by eight words three times each, and by "india" twice: a phrase that
  // already holds the eight (typed before it) goes on with "india", past the followers each
  // reader remembers per stem.
  const std::vector<std::string> eight{"Alpha", "Bravo", "Charlie", "Delta", "Echo", "Foxtrot", "Golf", "Hotel"};
  for (size_t k = 0; k < eight.size(); ++k)
    for (int n = 0; n < 3; ++n) PutTitled(*e, "q" + std::to_string(k) + "-" + std::to_string(n), "Zulu " + eight[k]);
  for (const char* id : {"z1", "z2"})
    PutTitled(*e, id, "Hotel Zulu India Alpha Bravo Charlie Delta Echo Foxtrot Golf");
  WaitIndexed(*e);
  auto s = Suggest(*e, {.text = "alpha bravo charlie delta echo foxtrot golf hotel zul"});
  const std::string typed = "alpha bravo charlie delta echo foxtrot golf hotel zulu";
  REQUIRE(s.suggestions.size() >= 2);
  CHECK(s.suggestions[0].text == typed);
  CHECK(s.suggestions[0].count == 2);
  CHECK(s.suggestions[1].text == typed + " india");
  CHECK(s.suggestions[1].source == "phrase");
  CHECK(s.suggestions[1].count == 2);
}

TEST_CASE("suggest follows the catalog: a deleted product's title pairs are gone", "[search][suggest]") {
  TempDir dir;
  auto e = Shop(dir);
  CHECK(Texts(Suggest(*e, {.text = "sony t"})) == std::vector<std::string>{"sony television"});
  REQUIRE(e->catalog().archive("p5").ok());
  WaitIndexed(*e);
  CHECK(Suggest(*e, {.text = "sony t"}).suggestions.empty());
  PutTitled(*e, "p3", "Sony Tablet");  // "Sony Headset for Gaming" renamed
  WaitIndexed(*e);
  CHECK(Texts(Suggest(*e, {.text = "sony "})) == std::vector<std::string>{"sony tablet", "sony wireless"});
}

TEST_CASE("suggest: an index of the format before title pairs is rebuilt and completes phrases",
          "[search][suggest]") {
  TempDir dir;
  {
    auto e = Shop(dir);
  }
  // Mark one shard as format 3 (no title pair terms).
  commerce::testing::MarkShardFormat(dir.path(), "3");
  auto e = commerce::testing::OpenTestEngine(dir.path(), "lmdb");
  WaitIndexed(*e);
  CHECK(e->search().stats()->last_error.find("format '3'") != std::string::npos);
  CHECK(Texts(Suggest(*e, {.text = "sony "})) ==
        std::vector<std::string>{"sony headset", "sony television", "sony wireless"});
}

TEST_CASE("suggest while products are written", "[search][suggest]") {
  TempDir dir;
  auto e = Shop(dir);
  std::atomic<bool> stop{false};
  std::atomic<int> errors{0}, empty{0}, calls{0};
  std::vector<std::thread> readers;
  // One word typed ("so") too: what each reader remembers of a word (naming_words.h) is
  // dropped as it reopens on each commit.
  for (int t = 0; t < 4; ++t) {
    readers.emplace_back([&, t] {
      const char* typed[] = {"sony ", "wireless hea", "sony wireless h", "so"};
      while (!stop.load() && calls.load() < 20000) {
        auto r = e->search().suggest({.text = typed[t]});
        calls.fetch_add(1);
        if (!r.ok()) errors.fetch_add(1);
        else if (r->suggestions.empty()) empty.fetch_add(1);
        else
          for (const auto& x : r->suggestions)
            if (x.count == 0) errors.fetch_add(1);
      }
    });
  }
  for (int i = 0; i < 200; ++i) PutTitled(*e, "w" + std::to_string(i), "Sony Wireless Headphones " + std::to_string(i));
  WaitIndexed(*e);
  stop.store(true);
  for (auto& r : readers) r.join();
  CHECK(errors.load() == 0);
  CHECK(empty.load() == 0);  // every typed text finds something before and after the writes
  CHECK(Suggest(*e, {.text = "sony wireless h"}).suggestions[0].count == 201);
  auto so = Suggest(*e, {.text = "so"});
  REQUIRE_FALSE(so.suggestions.empty());
  CHECK(so.suggestions[0].text == "sony");
  CHECK(so.suggestions[0].count == 203);
}

}  // namespace search_suggester_test
