// Tests of the title pair terms suggestions read (src/search/title_pairs.cpp): how titles are
// split into words, the terms' shape and length limit, and reading followers back.
#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <xapian.h>

#include "search/title_pairs.h"

namespace search_title_pairs_test {

using commerce::search::Followers;
using commerce::search::PairPrefix;
using commerce::search::PairTerm;
using commerce::search::TitleWords;

TEST_CASE("title pairs: titles split into lower-cased words as the index splits them", "[search][suggest]") {
  CHECK(TitleWords("Sony WH-1000XM4 \u2013 Black") == std::vector<std::string>{"sony", "wh", "1000xm4", "black"});
  CHECK(TitleWords("  \u00c9COLE  Caf\u00e9 ") == std::vector<std::string>{"\u00e9cole", "caf\u00e9"});
  CHECK(TitleWords("--- ").empty());
}

TEST_CASE("title pairs: term shape and the term length limit", "[search][suggest]") {
  CHECK(PairTerm("soni", "headphones") == "XWsoni headphones");
  CHECK(PairPrefix("soni", "hea") == "XWsoni hea");
  CHECK(PairPrefix("soni", "") == "XWsoni ");
  CHECK(PairTerm("", "x").empty());
  CHECK(PairTerm("a", "").empty());
  // Xapian refuses terms over 245 bytes: such a pair is not made.
  CHECK(PairTerm("a", std::string(236, 'b')).size() == 240);
  CHECK(PairTerm("a", std::string(237, 'b')).empty());
}

TEST_CASE("title pairs: followers read back with their products", "[search][suggest]") {
  Xapian::WritableDatabase db(std::string(), Xapian::DB_BACKEND_INMEMORY);
  for (const char* second : {"headphones", "headset", "headphones", "tv"}) {
    Xapian::Document d;
    d.add_boolean_term(PairTerm("soni", second));
    db.add_document(d);
  }
  Xapian::Document other;
  other.add_boolean_term(PairTerm("sonic", "hedgehog"));  // "sonic" is not "soni" followed by a word
  db.add_document(other);
  auto all = Followers(db, "soni", "", 100);
  REQUIRE(all.size() == 3);
  CHECK(all[0].word == "headphones");
  CHECK(all[0].products == 2);
  CHECK(all[2].word == "tv");
  auto hea = Followers(db, "soni", "hea", 100);
  REQUIRE(hea.size() == 2);
  CHECK(hea[1].word == "headset");
  CHECK(Followers(db, "soni", "", 1).size() == 1);  // bounded
}

}  // namespace search_title_pairs_test
