// The best counts a suggestion keeps while counting its candidates (src/search/top_counts.h):
// when a candidate is still worth counting, by its tier, its bound, the room and the number of
// counts made.
#include <catch2/catch.hpp>

#include "search/top_counts.h"

namespace search_top_counts_test {

using commerce::search::TopCounts;

TEST_CASE("top counts: a tier full of counts that reach a bound beats it and not a higher one", "[search][suggest]") {
  TopCounts best(2, /*room=*/2, /*max_counted=*/10);
  CHECK(best.Worth(0, 1));
  best.Add(0, 7);
  CHECK_FALSE(best.Beaten(0, 100));  // one count of room 2: anything may still be shown
  best.Add(0, 5);
  CHECK(best.Beaten(0, 5));  // the lower of the two reaches a bound of 5
  CHECK(best.Beaten(0, 3));
  CHECK_FALSE(best.Beaten(0, 6));
  best.Add(0, 9);  // 5 leaves the two best: 9 and 7
  CHECK(best.Beaten(0, 7));
  CHECK_FALSE(best.Beaten(0, 8));
  CHECK(best.Worth(0, 8));
  // The other tier has its own counts.
  CHECK_FALSE(best.Beaten(1, 1));
}

TEST_CASE("top counts: a tier closes once the tiers before it fill the room", "[search][suggest]") {
  TopCounts best(4, /*room=*/3, /*max_counted=*/100);
  best.Add(0, 4);
  best.Add(1, 2);
  CHECK_FALSE(best.Closed(0));
  CHECK_FALSE(best.Closed(2));  // 2 counts before tier 2: a place is left
  best.Add(1, 1);
  CHECK_FALSE(best.Closed(0));
  CHECK_FALSE(best.Closed(1));  // tier 0 holds one count only
  CHECK(best.Closed(2));
  CHECK(best.Closed(3));
  CHECK_FALSE(best.Worth(3, 1000));
  CHECK(best.Worth(1, 3));
}

TEST_CASE("top counts: a count that found nothing takes no place but is counted", "[search][suggest]") {
  TopCounts best(2, /*room=*/1, /*max_counted=*/3);
  best.Add(0, 0);
  best.Add(0, 0);
  CHECK_FALSE(best.Beaten(0, 0));  // no count holds a place
  CHECK_FALSE(best.Closed(1));
  CHECK(best.Worth(1, 1));
  best.Add(1, 0);
  // Three counts made: nothing more is worth counting, in any tier.
  CHECK(best.Closed(0));
  CHECK(best.Closed(1));
  CHECK_FALSE(best.Worth(0, 1000));
}

}  // namespace search_top_counts_test
