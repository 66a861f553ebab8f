#include <catch2/catch.hpp>

#include <functional>
#include <string>
#include <vector>

#include "catalog/product_validation.h"

namespace catalog_product_validation_test {

using namespace commerce;

namespace {

Product Good() {
  Product p;
  p.id = "p-1";
  p.title = "Trail Runner 2";
  p.description = "Light.\nFast.\tGrippy.";
  p.brand = "Acme";
  p.categories = {"shoes/running"};
  p.options = {"size", "colour"};
  p.attributes = {{"material", "mesh"}};
  Variant v;
  v.sku = "TR2-42-BLK";
  v.options = {{"size", "42"}, {"colour", "black"}};
  v.price = Money{4999, "USD"};
  v.barcode = "0123456789012";
  p.variants = {v};
  v.sku = "TR2-43-BLK";
  v.options = {{"size", "43"}};  // an option left out is fine
  p.variants.push_back(v);
  p.popularity = 7;
  return p;
}

// Asserts that `p` is rejected as InvalidArgument with a message starting with `field: `.
void ExpectRejected(const Product& p, const std::string& field) {
  Status s = ValidateProduct(p);
  INFO("expected a rejection naming " << field << ", got " << s.ToString());
  REQUIRE(s.IsInvalidArgument());
  CHECK(s.message().rfind(field + ": ", 0) == 0);
}

void ExpectRejected(const Category& c, const std::string& field) {
  Status s = ValidateCategory(c);
  INFO("expected a rejection naming " << field << ", got " << s.ToString());
  REQUIRE(s.IsInvalidArgument());
  CHECK(s.message().rfind(field + ": ", 0) == 0);
}

}  // namespace

TEST_CASE("a good product passes", "[catalog][validation]") {
  Status s = ValidateProduct(Good());
  INFO(s.ToString());
  CHECK(s.ok());
  Product p = Good();
  p.variants[0].price.minor = 0;  // free items are allowed
  p.variants[1].price.minor = kMaxMoneyMinor;
  p.id = std::string(64, 'x');
  p.title = "Caf\u00e9 \u2122 \u5bb6\u7535";
  CHECK(ValidateProduct(p).ok());
}

namespace {

// One entry per bad input: what is changed in a good product, and the field the rejection
// must name.
struct BadProduct {
  const char* what;
  std::function<void(Product&)> mutate;
  std::string field;
};

Variant& V(Product& p, size_t i) { return p.variants[i]; }

const std::vector<BadProduct>& BadProducts() {
  static const std::vector<BadProduct> cases = {
      {"empty id", [](Product& p) { p.id = ""; }, "id"},
      {"id of 65 bytes", [](Product& p) { p.id = std::string(65, 'x'); }, "id"},
      {"'/' in id", [](Product& p) { p.id = "a/b"; }, "id"},
      {"leading space in id", [](Product& p) { p.id = " p-1"; }, "id"},
      {"trailing space in id", [](Product& p) { p.id = "p-1 "; }, "id"},
      {"control character in id", [](Product& p) { p.id = "p\x01"; }, "id"},
      {"DEL in id", [](Product& p) { p.id = "p\x7f"; }, "id"},
      {"truncated UTF-8 in id", [](Product& p) { p.id = "p\xC3"; }, "id"},
      {"empty sku", [](Product& p) { V(p, 1).sku = ""; }, "variants[1].sku"},
      {"sku of 65 bytes", [](Product& p) { V(p, 1).sku = std::string(65, 'S'); }, "variants[1].sku"},
      {"tab in sku", [](Product& p) { V(p, 1).sku = "A\tB"; }, "variants[1].sku"},
      {"trailing space in sku", [](Product& p) { V(p, 1).sku = "SKU "; }, "variants[1].sku"},
      {"duplicate sku", [](Product& p) { V(p, 1).sku = V(p, 0).sku; }, "variants[1].sku"},
      {"empty title", [](Product& p) { p.title = ""; }, "title"},
      {"title of 1001 bytes", [](Product& p) { p.title = std::string(1001, 't'); }, "title"},
      {"newline in title", [](Product& p) { p.title = "two\nlines"; }, "title"},
      {"tab in title", [](Product& p) { p.title = "tab\there"; }, "title"},
      {"blank title", [](Product& p) { p.title = "   "; }, "title"},
      {"truncated UTF-8 in title", [](Product& p) { p.title = "bad \xE2\x82"; }, "title"},
      {"UTF-8 surrogate in title", [](Product& p) { p.title = "surrogate \xED\xA0\x80"; }, "title"},
      {"overlong UTF-8 in title", [](Product& p) { p.title = "overlong \xC0\xAF"; }, "title"},
      {"C1 control in title", [](Product& p) { p.title = "Acme\xC2\x99"; }, "title"},
      {"description of 100,001 bytes", [](Product& p) { p.description = std::string(100'001, 'd'); }, "description"},
      {"bell in description", [](Product& p) { p.description = "bell\x07"; }, "description"},
      {"invalid UTF-8 in description", [](Product& p) { p.description = "bad \xFF"; }, "description"},
      {"brand of 201 bytes", [](Product& p) { p.brand = std::string(201, 'b'); }, "brand"},
      {"newline in brand", [](Product& p) { p.brand = "Ac\nme"; }, "brand"},
      {"no variants", [](Product& p) { p.variants.clear(); }, "variants"},
      {"1,001 variants",
       [](Product& p) {
         p.variants.resize(1001, p.variants[0]);
         for (size_t i = 0; i < p.variants.size(); ++i) p.variants[i].sku = "S" + std::to_string(i);
       },
       "variants"},
      {"negative price", [](Product& p) { V(p, 1).price.minor = -1; }, "variants[1].price"},
      {"price past the limit", [](Product& p) { V(p, 1).price.minor = kMaxMoneyMinor + 1; }, "variants[1].price"},
      {"unknown currency", [](Product& p) { V(p, 1).price.currency = "XYZ"; }, "variants[1].currency"},
      {"lower-case currency", [](Product& p) { V(p, 0).price.currency = "usd"; }, "variants[0].currency"},
      {"mixed currencies", [](Product& p) { V(p, 1).price.currency = "EUR"; }, "variants[1].currency"},
      {"option not in product options", [](Product& p) { V(p, 0).options["width"] = "wide"; },
       "variants[0].options.width"},
      {"duplicate product option", [](Product& p) { p.options.push_back("size"); }, "options[2]"},
      {"empty product option", [](Product& p) { p.options.push_back(""); }, "options[2]"},
      {"empty option value", [](Product& p) { V(p, 0).options["size"] = ""; }, "variants[0].options.size"},
      {"newline in option value", [](Product& p) { V(p, 0).options["size"] = "4\n2"; },
       "variants[0].options.size"},
      {"empty attribute key", [](Product& p) { p.attributes[""] = "x"; }, "attributes[0]"},
      {"attribute key of 101 bytes", [](Product& p) { p.attributes[std::string(101, 'k')] = "x"; }, "attributes[0]"},
      {"attribute value of 10,001 bytes", [](Product& p) { p.attributes["care"] = std::string(10'001, 'v'); },
       "attributes.care"},
      {"invalid UTF-8 in attribute value", [](Product& p) { p.attributes["care"] = "bad \xC3\x28"; },
       "attributes.care"},
      {"variant attribute value of 10,001 bytes",
       [](Product& p) { V(p, 1).attributes["fit"] = std::string(10'001, 'v'); }, "variants[1].attributes.fit"},
      {"barcode of 65 bytes", [](Product& p) { V(p, 0).barcode = std::string(65, '1'); }, "variants[0].barcode"},
      {"newline in barcode", [](Product& p) { V(p, 0).barcode = "12\n34"; }, "variants[0].barcode"},
      {"empty category id", [](Product& p) { p.categories.push_back(""); }, "categories[1]"},
      {"category id of 513 bytes", [](Product& p) { p.categories.push_back(std::string(513, 'c')); },
       "categories[1]"},
      {"duplicate category", [](Product& p) { p.categories.push_back("shoes/running"); }, "categories[1]"},
      {"101 categories",
       [](Product& p) {
         p.categories.clear();
         for (int i = 0; i < 101; ++i) p.categories.push_back("c" + std::to_string(i));
       },
       "categories"},
      {"negative popularity", [](Product& p) { p.popularity = -1; }, "popularity"},
      {"status out of range", [](Product& p) { p.status = static_cast<ProductStatus>(7); }, "status"},
  };
  return cases;
}

}  // namespace

TEST_CASE("each bad product input is rejected naming its field", "[catalog][validation]") {
  for (const BadProduct& bad : BadProducts()) {
    DYNAMIC_SECTION(bad.what) {
      Product p = Good();
      bad.mutate(p);
      ExpectRejected(p, bad.field);
    }
  }
}

TEST_CASE("limits are inclusive and optional parts may be left out", "[catalog][validation]") {
  Product p = Good();
  p.variants[1].sku = "A/B";  // '/' is fine in a SKU
  p.title = std::string(1000, 't');
  p.description = std::string(100'000, 'd');
  p.brand = "";
  p.attributes["care"] = "Wash cold.\nLine dry.";  // multi-line values are fine
  p.attributes[std::string(100, 'k')] = std::string(10'000, 'v');
  CHECK(ValidateProduct(p).ok());

  p = Good();
  p.options.clear();
  p.variants.resize(1000, p.variants[0]);
  for (size_t i = 0; i < p.variants.size(); ++i) {
    p.variants[i].sku = "S" + std::to_string(i);
    p.variants[i].options.clear();
  }
  p.categories.clear();
  for (int i = 0; i < 100; ++i) p.categories.push_back("c" + std::to_string(i));
  CHECK(ValidateProduct(p).ok());

  for (ProductStatus s : {ProductStatus::kDraft, ProductStatus::kActive, ProductStatus::kArchived}) {
    p.status = s;
    CHECK(ValidateProduct(p).ok());
  }
}

TEST_CASE("category validation", "[catalog][validation]") {
  CHECK(ValidateCategory({"cell-phones", "Cell Phones", ""}).ok());
  CHECK(ValidateCategory({"cell-phones/prepaid-phones", "Prepaid Phones", "cell-phones"}).ok());
  CHECK(ValidateCategory({"cell-phones/prepaid-phones", "Prepaid Phones", ""}).ok());
  CHECK(ValidateCategory({"caf\u00e9", "Caf\u00e9", ""}).ok());

  ExpectRejected(Category{"", "X", ""}, "id");
  ExpectRejected(Category{std::string(513, 'a'), "X", ""}, "id");
  ExpectRejected(Category{"Cell-Phones", "X", ""}, "id");
  ExpectRejected(Category{"cell phones", "X", ""}, "id");
  ExpectRejected(Category{"a//b", "X", "a"}, "id");
  ExpectRejected(Category{"/a", "X", ""}, "id");
  ExpectRejected(Category{"a/", "X", ""}, "id");
  ExpectRejected(Category{"-a", "X", ""}, "id");
  ExpectRejected(Category{"a", "", ""}, "name");
  ExpectRejected(Category{"a", "  ", ""}, "name");
  ExpectRejected(Category{"a", "A\nB", ""}, "name");
  ExpectRejected(Category{"a", std::string(201, 'n'), ""}, "name");
  ExpectRejected(Category{"a/b", "B", "c"}, "parent_id");
  ExpectRejected(Category{"a", "A", "a"}, "parent_id");
}

TEST_CASE("helpers", "[catalog][validation]") {
  CHECK(CategoryParentId("a/b/c") == "a/b");
  CHECK(CategoryParentId("a") == "");
  CHECK(IsValidUtf8("plain"));
  CHECK(IsValidUtf8("\xF0\x9F\x98\x80"));
  CHECK_FALSE(IsValidUtf8("\xF4\x90\x80\x80"));  // past U+10FFFF
  CHECK_FALSE(IsValidUtf8("\x80"));
}

}  // namespace catalog_product_validation_test
