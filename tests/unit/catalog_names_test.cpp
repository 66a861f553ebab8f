#include <catch2/catch.hpp>

#include "commerce/catalog.h"

namespace catalog_names_test {

using commerce::CategoryIdFromPath;
using commerce::ParseProductStatus;
using commerce::ProductStatus;
using commerce::ProductStatusName;

TEST_CASE("product status names round-trip", "[catalog][names]") {
  for (ProductStatus s : {ProductStatus::kDraft, ProductStatus::kActive, ProductStatus::kArchived}) {
    auto back = ParseProductStatus(ProductStatusName(s));
    REQUIRE(back.ok());
    CHECK(*back == s);
  }
  CHECK(std::string(ProductStatusName(ProductStatus::kActive)) == "active");
  CHECK(*ParseProductStatus("Archived") == ProductStatus::kArchived);
}

TEST_CASE("unknown product status is rejected with the expected names", "[catalog][names]") {
  for (const char* bad : {"", "deleted", "activ", "active "}) {
    auto r = ParseProductStatus(bad);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().IsInvalidArgument());
    CHECK(r.error().message().find("expected draft, active or archived") != std::string::npos);
  }
}

TEST_CASE("category ids are slugs of the path joined by '/'", "[catalog][names]") {
  CHECK(CategoryIdFromPath({"Cell Phones", "Prepaid Phones"}) == "cell-phones/prepaid-phones");
  CHECK(CategoryIdFromPath({"Home & Kitchen", "Cookware", "Frying Pans"}) ==
        "home-kitchen/cookware/frying-pans");
  CHECK(CategoryIdFromPath({"  Men's  Shirts!! "}) == "men-s-shirts");
  CHECK(CategoryIdFromPath({"A/B"}) == "a-b");  // '/' inside a name never splits the id
  CHECK(CategoryIdFromPath({"TVs > 4K"}) == "tvs-4k");
  CHECK(CategoryIdFromPath({"Cases_&_Clips--2024"}) == "cases-clips-2024");
  CHECK(CategoryIdFromPath({"USB-C"}) == "usb-c");
}

TEST_CASE("category slugs keep letters of other scripts and drop symbols", "[catalog][names]") {
  CHECK(CategoryIdFromPath({"Café Crème"}) == "café-crème");  // only ASCII is lower-cased
  CHECK(CategoryIdFromPath({"Kühlschränke"}) == "kühlschränke");
  CHECK(CategoryIdFromPath({"家电"}) == "家电");
  CHECK(CategoryIdFromPath({"Galaxy\u2122 Cases"}) == "galaxy-cases");   // ™
  CHECK(CategoryIdFromPath({"Apple\u00AE iPhone"}) == "apple-iphone");    // ®
  CHECK(CategoryIdFromPath({"Tops \u2013 Tees"}) == "tops-tees");         // en dash
  CHECK(CategoryIdFromPath({"Toys\u00A0& Games"}) == "toys-games");       // no-break space
  CHECK(CategoryIdFromPath({"Bad\xFF" "byte"}) == "bad-byte");            // invalid UTF-8
}

TEST_CASE("a path with an element that slugs to nothing has no id", "[catalog][names]") {
  CHECK(CategoryIdFromPath({}) == "");
  CHECK(CategoryIdFromPath({""}) == "");
  CHECK(CategoryIdFromPath({"Electronics", "&"}) == "");
  CHECK(CategoryIdFromPath({"\u2122", "Phones"}) == "");
  CHECK(CategoryIdFromPath({"   "}) == "");
}

}  // namespace catalog_names_test
