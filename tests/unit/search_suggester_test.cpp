// Tests of search-as-you-type (src/search/suggester.cpp) through the public API: completions
// from the products' words counted against the words before, typo tolerance, popular queries
// first, a deterministic order, and bad input.
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "commerce/engine.h"
#include "test_dir.h"
#include "test_search.h"

namespace search_suggester_test {

namespace {

using commerce::Engine;
using commerce::SuggestRequest;
using commerce::SuggestResult;
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
  // With "sony" before: only what goes with it (not "headphone stand"), then by text.
  auto sony = Suggest(*e, {.text = "Sony h"});
  CHECK(Texts(sony) == std::vector<std::string>{"sony headphone", "sony headset"});
  CHECK(sony.suggestions[0].count == 1);
  CHECK_FALSE(sony.suggestions[0].corrected);
  // Nothing that goes with the words before is offered.
  CHECK(Suggest(*e, {.text = "bose t"}).suggestions.empty());
  CHECK(Suggest(*e, {.text = "zzzz"}).suggestions.empty());
  // A trailing space: the word is done, and no next word is guessed from the catalog.
  CHECK(Suggest(*e, {.text = "sony "}).suggestions.empty());
  CHECK(Suggest(*e, {.text = "w", .limit = 1}).suggestions.size() == 1);
  CHECK(head.index_seq == *e->events().last_seq());
}

TEST_CASE("suggest: a short prefix offers the most frequent words, not the first in byte order",
          "[search][suggest]") {
  TempDir dir;
  auto e = Shop(dir);
  // 60 words that sort before "sony", one product each; "sony" is in three.
  for (char a = 'a'; a < 'd'; ++a)
    for (char b = 'a'; b < 'u'; ++b) PutTitled(*e, std::string("x") + a + b, std::string("Sa") + a + b + "q Gadget");
  WaitIndexed(*e);
  // "sku": every product's SKU ("SKU-xab") is indexed as text too.
  auto s = Suggest(*e, {.text = "s", .limit = 2});
  CHECK(Texts(s) == std::vector<std::string>{"sku", "sony"});
  REQUIRE(s.suggestions.size() == 2);
  CHECK(s.suggestions[1].count == 3);
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
  CHECK(Texts(before) == std::vector<std::string>{"wireless headphone"});
  CHECK(before.suggestions[0].corrected);
  CHECK(before.suggestions[0].count == 2);
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

}  // namespace search_suggester_test
