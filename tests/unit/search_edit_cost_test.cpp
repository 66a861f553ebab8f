// Tests of src/search/edit_cost.cpp: what a typo costs.
#include <catch2/catch.hpp>

#include "search/edit_cost.h"

namespace search_edit_cost_test {

using namespace commerce::search;

TEST_CASE("edit cost: each kind of typo at its weight", "[search][edit_cost]") {
  CHECK(EditCost("iphone", "iphone") == 0);
  CHECK(EditCost("iphne", "iphone") == Approx(kOmitted));
  CHECK(EditCost("adress", "address") == Approx(kOmittedDouble));
  CHECK(EditCost("iphonxe", "iphone") == Approx(kExtra));
  CHECK(EditCost("iphonee", "iphone") == Approx(kExtraDouble));
  CHECK(EditCost("ipohne", "iphone") == Approx(kSwapped));
  CHECK(EditCost("iphpne", "iphone") == Approx(kNeighbour));  // p is next to o
  CHECK(EditCost("iphxne", "iphone") == Approx(kWrong));
  CHECK(EditCost("ihpne", "iphone") == Approx(kSwapped + kOmitted));
  // Symmetry is not expected: leaving a letter out is cheaper than adding one.
  CHECK(EditCost("phone", "phones") < EditCost("phones", "phone"));
}

TEST_CASE("edit cost: how far a word may be corrected grows with its length", "[search][edit_cost]") {
  CHECK(MaxTypoCost(3) == 0);
  CHECK(MaxTypoCost(4) == 1.0);
  CHECK(MaxTypoCost(6) == 1.5);
  CHECK(MaxTypoCost(8) == 2.0);
  CHECK(MaxTypoCost(20) == 2.0);
}

}  // namespace search_edit_cost_test
