// Tests of src/search/query_text.cpp: the clauses of what a shopper types, and corrections
// written back in place.
#include <catch2/catch.hpp>

#include "search/query_text.h"

namespace search_query_text_test {

using commerce::search::ParseQueryText;
using commerce::search::QueryText;
using commerce::search::ReplaceClauses;

TEST_CASE("query text: words, phrases, signs, operators and the word being typed", "[search][query_text]") {
  const std::string text = "wireless \"noise cancelling\" -bose +black sony OR jbl NOT red head";
  QueryText q = ParseQueryText(text, true);
  REQUIRE(q.clauses.size() == 8);
  CHECK(q.clauses[0].text == "wireless");
  CHECK(q.clauses[1].text == "noise cancelling");
  CHECK(q.clauses[1].phrase);
  CHECK(q.clauses[2].text == "bose");
  CHECK(q.clauses[2].excluded);
  CHECK(q.clauses[3].text == "black");
  CHECK(q.clauses[3].required);
  CHECK(q.clauses[4].text == "sony");
  CHECK(q.clauses[5].text == "jbl");
  CHECK(q.clauses[4].group == q.clauses[5].group);  // OR alternatives
  CHECK(q.clauses[6].text == "red");
  CHECK(q.clauses[6].excluded);
  CHECK(q.clauses[7].text == "head");
  CHECK(q.clauses[7].partial);
  CHECK(q.positive().size() == 6);
  CHECK(q.groups == 5);
  // Each clause knows where it stands in the text.
  for (const auto& c : q.clauses) CHECK(text.substr(c.begin, c.end - c.begin) == c.text);
}

TEST_CASE("query text: what ends the word being typed", "[search][query_text]") {
  CHECK(ParseQueryText("sony head", true).clauses.back().partial);
  CHECK_FALSE(ParseQueryText("sony head ", true).clauses.back().partial);  // a space
  CHECK_FALSE(ParseQueryText("sony head", false).clauses.back().partial);  // prefix off
  CHECK_FALSE(ParseQueryText("sony \"head\"", true).clauses.back().partial);  // quoted
  CHECK_FALSE(ParseQueryText("sony -head", true).clauses.back().partial);  // excluded
}

TEST_CASE("query text: odd input is read literally", "[search][query_text]") {
  // An unbalanced quote runs to the end; lone signs and punctuation make no clause; operators
  // at the edges are words.
  auto q = ParseQueryText("\"noise cancel", true);
  REQUIRE(q.clauses.size() == 1);
  CHECK(q.clauses[0].phrase);
  CHECK(q.clauses[0].text == "noise cancel");
  CHECK(ParseQueryText(" - + ... ", true).clauses.empty());
  CHECK(ParseQueryText("OR", true).clauses.size() == 1);
  CHECK(ParseQueryText("a AND", true).clauses.size() == 2);
  CHECK(ParseQueryText("", true).clauses.empty());
  // A dash inside a word is part of it.
  auto dash = ParseQueryText("wi-fi SM-G930", true);
  REQUIRE(dash.clauses.size() == 2);
  CHECK(dash.clauses[0].text == "wi-fi");
  CHECK_FALSE(dash.clauses[0].excluded);
}

TEST_CASE("query text: a replaced word keeps everything around it", "[search][query_text]") {
  const std::string text = "  \"wireles headphones\" -bose  chargr";
  auto q = ParseQueryText(text, true);
  REQUIRE(q.clauses.size() == 3);
  CHECK(ReplaceClauses(text, q, {{2, "charger"}, {0, "wireless headphones"}}) ==
        "  \"wireless headphones\" -bose  charger");
  CHECK(ReplaceClauses(text, q, {}) == text);
}

}  // namespace search_query_text_test
