// Tests of src/catalog/product_json.cpp: ProductToJson and ProductFromJson, the one reader of
// product JSON (the import schema's), which the HTTP server and Python use too.
#include <catch2/catch.hpp>

#include <string>

#include "commerce/catalog.h"

namespace catalog_product_json_test {

using namespace commerce;

namespace {

Product Sample() {
  Product p;
  p.id = "tee";
  p.title = "Tee \"classic\"";
  p.description = "line one\nline two";
  p.brand = "Acme";
  p.categories = {"apparel/tops"};
  p.options = {"size"};
  p.attributes = {{"material", "cotton"}};
  Variant v;
  v.sku = "TEE-M";
  v.price = Money{1999, "EUR"};
  v.options = {{"size", "M"}};
  v.barcode = "0123456789012";
  p.variants.push_back(v);
  p.status = ProductStatus::kDraft;
  p.popularity = 7;
  p.version = 3;
  p.created_at_ms = 1000;
  p.updated_at_ms = 2000;
  return p;
}

}  // namespace

TEST_CASE("product json: what ProductToJson writes, ProductFromJson reads back", "[catalog]") {
  const Product p = Sample();
  for (bool engine_fields : {true, false}) {
    auto back = ProductFromJson(ProductToJson(p, engine_fields));
    INFO(back.status().ToString());
    REQUIRE(back.ok());
    Product expected = p;
    // Engine fields are the engine's to set: accepted on input, never taken from it.
    expected.version = 0;
    expected.created_at_ms = expected.updated_at_ms = 0;
    CHECK(*back == expected);
  }
}

TEST_CASE("product json: the import schema's rules, in one reader", "[catalog]") {
  SECTION("a variant without a currency takes the default, not a fixed USD") {
    auto p = ProductFromJson(R"({"id":"a","title":"A","variants":[{"sku":"A-1","price":100}]})",
                             {.default_currency = "JPY"});
    REQUIRE(p.ok());
    CHECK(p->variants[0].price == Money{100, "JPY"});
  }
  SECTION("decimal prices and category paths, as imports take them") {
    auto p = ProductFromJson(R"({"id":"a","title":"A","categories":["Shoes > Running"],
                                 "category_ids":["shoes/running","sale"],
                                 "variants":[{"sku":"A-1","price_decimal":"49.99"}]})");
    INFO(p.status().ToString());
    REQUIRE(p.ok());
    CHECK(p->variants[0].price == Money{4999, "USD"});
    CHECK(p->categories == std::vector<std::string>{"shoes/running", "sale"});
  }
  SECTION("the id may come from elsewhere") {
    auto p = ProductFromJson(R"({"title":"A","variants":[{"sku":"A-1","price":1}]})",
                             {.id_required = false});
    REQUIRE(p.ok());
    CHECK(p->id.empty());
    CHECK(ProductFromJson(R"({"title":"A","variants":[{"sku":"A-1","price":1}]})").status().message() ==
          "id: missing; it is required");
  }
}

TEST_CASE("product json: bad input is InvalidArgument naming the field", "[catalog]") {
  struct Case {
    const char* json;
    const char* message_start;
  };
  const Case cases[] = {
      {R"({"id":"a","title":"A","variants":[{"sku":"A-1","price":"1"}]})", "body.variants[0].price: expected"},
      {R"({"id":"a","title":"A","colour":"red","variants":[{"sku":"A-1","price":1}]})", "body.colour: unknown field"},
      {R"({"id":"a","title":"A","variants":[{"sku":"A-1","price":1,"currency":"XYZ"}]})",
       "body.variants[0].currency: unknown currency 'XYZ'"},
      {R"({"id":"a","title":"","variants":[{"sku":"A-1","price":1}]})", "body.title"},
      {R"({"id":"a","title":"A","variants":[]})", "body.variants"},
      {R"(["not", "an", "object"])", "body: expected a JSON object, got an array"},
      {R"({"id":"a",)", "invalid JSON at offset"},
      {"", "invalid JSON at offset"},
  };
  for (const Case& c : cases) {
    CAPTURE(c.json);
    auto p = ProductFromJson(c.json, {.field_prefix = "body."});
    REQUIRE_FALSE(p.ok());
    CHECK(p.status().code() == Code::kInvalidArgument);
    CHECK(p.status().message().rfind(c.message_start, 0) == 0);
  }
}

}  // namespace catalog_product_json_test
