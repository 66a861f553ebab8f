// Highlighted titles (src/search/highlight.h) through the stem cache a reader keeps.
#include <string>

#include <catch2/catch.hpp>
#include <xapian.h>

#include "search/highlight.h"

namespace search_highlight_test {

using commerce::search::Highlight;
using commerce::search::HighlightTerms;
using commerce::search::StemCache;
using commerce::search::TermsToHighlight;

TEST_CASE("title highlights from the stem cache stay the same after it fills and empties", "[search][highlight]") {
  const Xapian::Stem stem("english");
  const HighlightTerms terms = TermsToHighlight("running shoe", false, stem);
  const HighlightTerms typing = TermsToHighlight("running sho", true, stem);
  const std::string title = "Runner's Running Shoes & shoe-laces <Showcase>";
  const std::string marked = "Runner's <b>Running</b> <b>Shoes</b> &amp; <b>shoe</b>-laces &lt;Showcase&gt;";
  const std::string typed = "Runner's <b>Running</b> <b>Shoes</b> &amp; <b>shoe</b>-laces &lt;<b>Showcase</b>&gt;";
  StemCache cache;
  CHECK(Highlight(title, terms, cache) == marked);
  CHECK(Highlight(title, typing, cache) == typed);
  CHECK(cache.Of("running") == "run");
  CHECK(cache.Of("shoes") == "shoe");
  // Other words past the bound: the cache empties once and fills again, never beyond it.
  for (size_t i = 0; i < StemCache::kMaxWords + 10; ++i) {
    const std::string word = "walking" + std::to_string(i);
    REQUIRE(cache.Of(word) == stem(word));
    REQUIRE(cache.size() <= StemCache::kMaxWords);
  }
  CHECK(cache.size() < StemCache::kMaxWords);  // it was emptied
  CHECK(Highlight(title, terms, cache) == marked);
  CHECK(Highlight(title, typing, cache) == typed);
  CHECK(cache.Of("running") == "run");
}

}  // namespace search_highlight_test
