#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <random>
#include <set>
#include <sstream>

#include "catalog/import_parser.h"
#include "catalog/json_node.h"
#include "test_dir.h"

namespace catalog_import_parser_test {

using namespace commerce;
using commerce::testing::TempDir;

namespace {

std::string Write(const TempDir& dir, const std::string& name, const std::string& text) {
  const std::string path = dir.sub(name);
  std::ofstream(path, std::ios::binary) << text;
  return path;
}

struct Parsed {
  std::vector<ParsedRecord> records;
  Status status;
  uint64_t bytes_read = 0;
  uint64_t bytes_total = 0;

  // The record for `line`; fails the test when there is none.
  const ParsedRecord& at(uint64_t line) const {
    for (const ParsedRecord& r : records) {
      if (r.line == line) return r;
    }
    FAIL("no record for line " << line);
    return records.front();
  }
  const Product& product(uint64_t line) const {
    const ParsedRecord& r = at(line);
    INFO("line " << line << " rejected: " << r.rejection.field << ": " << r.rejection.reason);
    REQUIRE(r.product.has_value());
    return r.product->product;
  }
  void expect_rejected(uint64_t line, const std::string& field, const std::string& reason_part = "") const {
    const ParsedRecord& r = at(line);
    INFO("line " << line);
    REQUIRE_FALSE(r.product.has_value());
    CHECK(r.rejection.line == line);
    CHECK(r.rejection.field == field);
    INFO("reason: " << r.rejection.reason);
    CHECK(r.rejection.reason.find(reason_part) != std::string::npos);
  }
};

void ExpectSame(const Parsed& a, const Parsed& b) {
  REQUIRE(a.records.size() == b.records.size());
  for (size_t i = 0; i < a.records.size(); ++i) {
    const ParsedRecord& x = a.records[i];
    const ParsedRecord& y = b.records[i];
    INFO("record " << i << " (line " << x.line << ")");
    CHECK(x.line == y.line);
    REQUIRE(x.product.has_value() == y.product.has_value());
    if (x.product) {
      CHECK(x.product->product == y.product->product);
      CHECK(x.product->category_paths == y.product->category_paths);
      CHECK(x.product->category_ids == y.product->category_ids);
    } else {
      CHECK(x.rejection.line == y.rejection.line);
      CHECK(x.rejection.field == y.rejection.field);
      CHECK(x.rejection.reason == y.rejection.reason);
    }
  }
  CHECK(a.status.code() == b.status.code());
  CHECK(a.status.message() == b.status.message());
  CHECK(a.bytes_read == b.bytes_read);
}

// The same file fed to a push parser in chunks of `chunk` bytes (0: random sizes).
Parsed Feed(const std::string& path, ImportOptions options, size_t chunk) {
  std::ifstream in(path, std::ios::binary);
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (options.format == "auto" && options.mapping_path.empty()) {
    const std::string ext = path.substr(path.rfind('.'));
    options.format = ext == ".json" ? "json" : ext == ".csv" ? "csv" : "jsonl";
  }
  auto parser = ImportParser::Create(options, path, text.size());
  REQUIRE(parser.ok());
  Parsed out;
  ParsedRecord rec;
  std::mt19937 rng(static_cast<unsigned>(text.size()));
  for (size_t at = 0; at < text.size();) {
    const size_t n = std::min(text.size() - at, chunk ? chunk : 1 + rng() % 700);
    (*parser)->feed(std::string_view(text).substr(at, n));
    at += n;
    while ((*parser)->next(&rec)) out.records.push_back(std::move(rec));
  }
  (*parser)->finish();
  while ((*parser)->next(&rec)) out.records.push_back(std::move(rec));
  out.status = (*parser)->status();
  out.bytes_read = (*parser)->bytes_read();
  out.bytes_total = (*parser)->bytes_total();
  return out;
}

// Reads the file with a pull parser, and checks that push parsers fed it in chunks of every
// size — one byte, odd sizes, random — hand out exactly the same records and status.
Parsed ReadAll(const std::string& path, ImportOptions options = {}) {
  auto parser = ImportParser::Open(path, options);
  INFO(parser.status().ToString());
  REQUIRE(parser.ok());
  Parsed out;
  ParsedRecord rec;
  while ((*parser)->next(&rec)) out.records.push_back(std::move(rec));
  out.status = (*parser)->status();
  out.bytes_read = (*parser)->bytes_read();
  out.bytes_total = (*parser)->bytes_total();
  const bool small = out.bytes_total < (1 << 20);
  for (size_t chunk : {size_t{1}, size_t{3}, size_t{17}, size_t{4096}, size_t{0}}) {
    if (chunk < 4096 && !small) continue;
    INFO("fed in chunks of " << chunk);
    ExpectSame(out, Feed(path, options, chunk));
  }
  return out;
}

Status OpenError(const std::string& path, ImportOptions options = {}) {
  auto parser = ImportParser::Open(path, options);
  REQUIRE_FALSE(parser.ok());
  return parser.error();
}

const char* kGoodLine =
    R"({"id":"p-1","title":"Trail Runner","description":"Light.\nFast.","brand":"Acme",)"
    R"("categories":["Shoes > Running",["Shoes","Trail"]],"category_ids":["sale"],)"
    R"("attributes":{"material":"mesh","weight_g":240},"options":["size"],)"
    R"("variants":[{"sku":"TR-42","price":4999,"options":{"size":"42"},"barcode":"123"},)"
    R"({"sku":"TR-43","price_decimal":"49.99","currency":"USD","options":{"size":43}}],)"
    R"("status":"draft","popularity":12})";

}  // namespace

TEST_CASE("native JSON Lines: good record", "[catalog][import]") {
  TempDir dir;
  Parsed p = ReadAll(Write(dir, "a.jsonl", std::string(kGoodLine) + "\n"));
  REQUIRE(p.records.size() == 1);
  CHECK(p.status.ok());
  CHECK(p.bytes_read == p.bytes_total);
  const ParsedRecord& r = p.at(1);
  REQUIRE(r.product);
  const Product& prod = r.product->product;
  CHECK(prod.id == "p-1");
  CHECK(prod.title == "Trail Runner");
  CHECK(prod.description == "Light.\nFast.");
  CHECK(prod.brand == "Acme");
  CHECK(prod.categories.empty());
  CHECK(r.product->category_paths ==
        std::vector<std::vector<std::string>>{{"Shoes", "Running"}, {"Shoes", "Trail"}});
  CHECK(r.product->category_ids == std::vector<std::string>{"sale"});
  CHECK(prod.attributes.at("weight_g") == "240");
  REQUIRE(prod.variants.size() == 2);
  CHECK(prod.variants[0].price == Money{4999, "USD"});
  CHECK(prod.variants[1].price == Money{4999, "USD"});
  CHECK(prod.variants[1].options.at("size") == "43");
  CHECK(prod.variants[0].barcode == "123");
  CHECK(prod.status == ProductStatus::kDraft);
  CHECK(prod.popularity == 12);
}

TEST_CASE("native JSON Lines: each bad line is rejected with its line and field", "[catalog][import]") {
  TempDir dir;
  const std::string v = R"("variants":[{"sku":"S","price":100}])";
  std::string text;
  text += std::string(kGoodLine) + "\n";                                            // 1
  text += "\n";                                                                     // 2 blank
  text += "{\"id\":\"p-2\",\"title\":\n";                                           // 3 bad JSON
  text += R"({"id":"p-3","title":5,)" + v + "}\n";                                  // 4 wrong type
  text += R"({"id":"p-4","titel":"x","title":"T",)" + v + "}\n";                    // 5 unknown field
  text += R"({"id":"p-5",)" + v + "}\n";                                            // 6 no title
  text += R"({"id":"p-6","title":"T","variants":[{"sku":"S","price":-100}]})" "\n";  // 7 negative
  text += R"({"id":"p-7","title":"T","variants":[{"sku":"S","price":1,"currency":"XYZ"}]})" "\n";
  text += R"({"id":"p-8","title":"T","variants":[{"sku":"S","price_decimal":"49.99"}]})" "\r\n";
  text += R"({"id":"p-9","title":"T","variants":[{"sku":"S","price":49.99}]})" "\n";  // 10
  text += "[1,2]\n";                                                                // 11
  text += R"({"id":"p-10","title":"T","variants":[{"sku":"S","price":1,"colour":"red"}]})" "\n";
  text += R"({"id":"p-11","title":"T","variants":[]})" "\n";                        // 13
  text += R"({"id":"p-12","title":"T","categories":["Shoes > &"],)" + v + "}\n";    // 14
  text += R"({"id":"p 13 ","title":"T",)" + v + "}\n";                              // 15
  text += R"({"id":"p-14","title":"T","status":"gone",)" + v + "}\n";               // 16
  text += R"({"id":"p-15","title":"T","variants":[{"sku":"S","price_decimal":"12.345"}]})" "\n";
  text += R"({"id":"p-16","title":"T","variants":[{"sku":"S","price":1}]} trailing)" "\n";  // 18
  text += R"({"id":"p-17","title":"T","category_ids":["Not A Slug"],)" + v + "}";   // 19, no newline

  Parsed p = ReadAll(Write(dir, "mixed.jsonl", text));
  CHECK(p.status.ok());
  CHECK(p.records.size() == 18);  // every non-blank line is a record
  CHECK(p.product(1).id == "p-1");
  p.expect_rejected(3, "", "invalid JSON");
  p.expect_rejected(4, "title", "expected a string, got a number");
  p.expect_rejected(5, "titel", "unknown field");
  p.expect_rejected(6, "title", "missing");
  p.expect_rejected(7, "variants[0].price", "negative");
  p.expect_rejected(8, "variants[0].currency", "XYZ");
  CHECK(p.product(9).variants[0].price == Money{4999, "USD"});
  p.expect_rejected(10, "variants[0].price", "not an integer");
  p.expect_rejected(11, "", "expected a JSON object");
  p.expect_rejected(12, "variants[0].colour", "unknown field");
  p.expect_rejected(13, "variants", "at least one");
  p.expect_rejected(14, "categories[0]", "no letter or digit");
  p.expect_rejected(15, "id");
  p.expect_rejected(16, "status", "expected draft, active or archived");
  p.expect_rejected(17, "variants[0].price_decimal", "too many decimals");
  p.expect_rejected(18, "", "invalid JSON");
  p.expect_rejected(19, "category_ids[0]", "not a slug");
}

TEST_CASE("native JSON Lines: default currency and null fields", "[catalog][import]") {
  TempDir dir;
  const std::string path = Write(dir, "eur.ndjson",
                                 R"({"id":"p","title":"T","brand":null,"variants":[{"sku":"S","price":100}]})");
  ImportOptions o;
  o.default_currency = "EUR";
  Parsed p = ReadAll(path, o);
  CHECK(p.product(1).variants[0].price == Money{100, "EUR"});
  CHECK(p.product(1).brand.empty());

  o.default_currency = "EURO";
  CHECK(OpenError(path, o).IsInvalidArgument());
}

TEST_CASE("JSON array: elements are records numbered from 1", "[catalog][import]") {
  TempDir dir;
  const std::string text = "\xEF\xBB\xBF [\n  " + std::string(kGoodLine) +
                           ",\n  {\"id\": \"p-2\", \"title\": \"Brackets ] } [ { and, commas \\\" \\\\\", "
                           "\"variants\": [{\"sku\": \"B\", \"price\": 1}]},\n"
                           "  {\"id\": \"p-3\", \"title\": \"no variants\"},\n"
                           "  5,\n"
                           "  {\"id\": \"p-4\", \"title\": \"T\", \"variants\": [{\"sku\": \"D\", \"price\": 2}]}\n"
                           "]\n";
  Parsed p = ReadAll(Write(dir, "a.json", text));
  CHECK(p.status.ok());
  REQUIRE(p.records.size() == 5);
  CHECK(p.product(1).id == "p-1");
  CHECK(p.product(2).title == "Brackets ] } [ { and, commas \" \\");
  p.expect_rejected(3, "variants", "missing");
  p.expect_rejected(4, "", "expected a JSON object");
  CHECK(p.product(5).id == "p-4");
  CHECK(p.bytes_read == p.bytes_total);
}

TEST_CASE("JSON array: structure errors", "[catalog][import]") {
  TempDir dir;
  SECTION("empty array") {
    Parsed p = ReadAll(Write(dir, "e.json", " [ ] \n"));
    CHECK(p.records.empty());
    CHECK(p.status.ok());
  }
  SECTION("empty element") {
    Parsed p = ReadAll(Write(dir, "e.json", R"([{"id":"a","title":"T","variants":[{"sku":"S","price":1}]},,])"));
    CHECK(p.records.size() == 3);
    CHECK(p.product(1).id == "a");
    p.expect_rejected(2, "", "empty element");
    p.expect_rejected(3, "", "empty element");
  }
  SECTION("truncated") {
    Parsed p = ReadAll(Write(dir, "t.json", R"([{"id":"a","title":"T","variants":[{"sku":"S","price":1}]}, {"id":"b")"));
    REQUIRE(p.records.size() == 2);
    CHECK(p.product(1).id == "a");
    p.expect_rejected(2, "", "ends inside this element");
    CHECK(p.status.IsInvalidArgument());
    CHECK(p.status.message().find("closing ']'") != std::string::npos);
  }
  SECTION("garbage after the array") {
    Parsed p = ReadAll(Write(dir, "g.json", "[]\n[]"));
    CHECK(p.records.empty());
    CHECK(p.status.IsInvalidArgument());
  }
  SECTION("not an array") {
    Status s = OpenError(Write(dir, "o.json", R"({"id":"a"})"));
    CHECK(s.IsInvalidArgument());
    CHECK(s.message().find("jsonl") != std::string::npos);
    CHECK(OpenError(Write(dir, "empty.json", "")).IsInvalidArgument());
  }
}

TEST_CASE("CSV: rows grouped into products, bad rows rejected", "[catalog][import]") {
  TempDir dir;
  const std::string text =
      "product_id,sku,title,price,currency,options,categories,attributes,description\r\n"  // 1
      "p-1,P1-S,Shirt,19.99,,size=S;colour=red,Clothing > Men > Shirts|Sale,material=cotton,"
      "\"A shirt, with \"\"quotes\"\"\nand a second line\"\r\n"                             // 2-3
      "p-1,P1-M,Shirt,19.9,,size=M,,,\r\n"                                                   // 4
      "p-2,P2,Pan,12.345,,,,,\r\n"                                                           // 5
      "p-3,P3,Mug,5,,,,\r\n"                                                                 // 6
      "p-1,P1-L,Shirt,19.99,,,,,\r\n"                                                        // 7
      "p-4,P4,\"Lamp, desk\",30,EUR,,,,\r\n"                                                 // 8
      "\r\n"                                                                                 // 9
      "p-5,P5,\"bad\"quote,1.00,,,,,\r\n"                                                    // 10
      "p-6,P6,Cup,1.00,,,,,\r\n"                                                             // 11
      "p-6,P6,Cup,2.00,,,,,\r\n"                                                             // 12
      "p-7,P7,Plate,abc,,,,,\r\n"                                                            // 13
      "p-8,P8,Bowl,1,,colour,,,\r\n"                                                         // 14
      "p-9,P9,Spoon,1,,,,,";                                                                 // 15
  Parsed p = ReadAll(Write(dir, "c.csv", text));
  CHECK(p.status.ok());
  CHECK(p.bytes_read == p.bytes_total);

  const Product& shirt = p.product(2);
  CHECK(shirt.title == "Shirt");
  CHECK(shirt.description == "A shirt, with \"quotes\"\nand a second line");
  CHECK(shirt.attributes.at("material") == "cotton");
  CHECK(shirt.options == std::vector<std::string>{"colour", "size"});
  REQUIRE(shirt.variants.size() == 2);
  CHECK(shirt.variants[0].price == Money{1999, "USD"});
  CHECK(shirt.variants[1].price == Money{1990, "USD"});
  CHECK(shirt.variants[1].options.at("size") == "M");
  CHECK(p.at(2).product->category_paths ==
        std::vector<std::vector<std::string>>{{"Clothing", "Men", "Shirts"}, {"Sale"}});

  p.expect_rejected(5, "price", "too many decimals");
  p.expect_rejected(6, "", "8 fields; expected 9");
  p.expect_rejected(7, "product_id", "reappears");
  const Product& lamp = p.product(8);
  CHECK(lamp.title == "Lamp, desk");
  CHECK(lamp.variants[0].price == Money{3000, "EUR"});
  p.expect_rejected(10, "", "malformed quoting");
  p.expect_rejected(12, "sku", "duplicate SKU");  // points at the row of the second variant
  p.expect_rejected(13, "price", "not a number");
  p.expect_rejected(14, "options", "no '='");
  CHECK(p.product(15).id == "p-9");
  CHECK(p.records.size() == 10);
}

TEST_CASE("CSV: header errors fail Open naming the column", "[catalog][import]") {
  TempDir dir;
  Status s = OpenError(Write(dir, "u.csv", "product_id,sku,title,price,colour\n"));
  CHECK(s.IsInvalidArgument());
  CHECK(s.message().find("column 'colour'") != std::string::npos);
  s = OpenError(Write(dir, "m.csv", "product_id,sku,title\n"));
  CHECK(s.message().find("column 'price'") != std::string::npos);
  s = OpenError(Write(dir, "d.csv", "product_id,sku,title,price,sku\n"));
  CHECK(s.message().find("column 'sku': appears twice") != std::string::npos);
  s = OpenError(Write(dir, "e.csv", ""));
  CHECK(s.message().find("no header row") != std::string::npos);
}

TEST_CASE("CSV: an unterminated quote at the end is a rejection", "[catalog][import]") {
  TempDir dir;
  Parsed p = ReadAll(Write(dir, "q.csv", "product_id,sku,title,price\np-1,S,T,1\np-2,S2,\"open,1\n"));
  CHECK(p.product(2).id == "p-1");
  p.expect_rejected(3, "", "unterminated");
}

TEST_CASE("Open: files that cannot be imported", "[catalog][import]") {
  TempDir dir;
  CHECK(OpenError(dir.sub("missing.jsonl")).IsNotFound());
  std::filesystem::create_directory(dir.sub("d.jsonl"));
  Status s = OpenError(dir.sub("d.jsonl"));
  CHECK(s.IsInvalidArgument());
  CHECK(s.message().find("directory") != std::string::npos);
  s = OpenError(Write(dir, "x.txt", "{}"));
  CHECK(s.message().find("format") != std::string::npos);
  ImportOptions o;
  o.format = "xml";
  CHECK(OpenError(Write(dir, "x.jsonl", "{}"), o).IsInvalidArgument());
  o.format = "jsonl";
  Parsed p = ReadAll(Write(dir, "x.txt", R"({"id":"a","title":"T","variants":[{"sku":"S","price":1}]})"), o);
  CHECK(p.product(1).id == "a");
  if (::geteuid() != 0) {  // root reads anything
    const std::string locked = Write(dir, "locked.jsonl", "{}");
    std::filesystem::permissions(locked, std::filesystem::perms::none);
    CHECK(OpenError(locked).IsUnavailable());
  }
}

TEST_CASE("mapping: a foreign schema through a mapping file", "[catalog][import][mapping]") {
  TempDir dir;
  const std::string mapping = Write(dir, "m.json", R"({
    "format": "json", "currency": "EUR", "repair_cp1252": true,
    "fields": {
      "id":          {"from": "img", "pattern": "/([0-9]+)_", "fallback": "record"},
      "title":       {"from": "name"},
      "brand":       {"from": "maker.name", "default": "Unbranded"},
      "categories":  {"from": "cats", "as": "path"},
      "price":       {"from": "offers.0.price", "as": "decimal"},
      "currency":    {"from": "offers.0.currency"},
      "popularity":  {"from": "rank"},
      "status":      {"value": "draft"},
      "options.colour": {"from": "colour"},
      "attributes.image": {"from": "img"}
    }
  })");
  const std::string data = Write(dir, "d.json", R"([
    {"name": "Lamp", "img": "https://x/123_a.jpg", "maker": {"name": "Lumo\u0099"}, "cats": ["Home", "Lamps"],
     "offers": [{"price": 49.99}], "rank": 5, "colour": "red"},
    {"name": "Vase", "img": "nopattern.jpg", "cats": ["Home"], "offers": [{"price": 10, "currency": "GBP"}],
     "rank": 1, "colour": ""},
    {"name": "Rug", "img": "https://x/9_a.jpg", "cats": [], "offers": [{"price": 1.234}], "rank": 1},
    {"name": "Mat", "img": "https://x/10_a.jpg", "cats": [], "offers": [{"price": 1}], "rank": 1, "extra": 1},
    {"img": "https://x/11_a.jpg", "cats": [], "offers": [{"price": 1}], "rank": 1},
    {"name": "Cup", "img": "https://x/12_a.jpg", "cats": "Home", "offers": [{"price": 1}], "rank": 1}
  ])");
  ImportOptions o;
  o.mapping_path = mapping;
  Parsed p = ReadAll(data, o);
  CHECK(p.status.ok());
  REQUIRE(p.records.size() == 6);

  const Product& lamp = p.product(1);
  CHECK(lamp.id == "123");
  CHECK(lamp.variants[0].sku == "123");  // sku not mapped: it is the id
  CHECK(lamp.brand == "Lumo\u2122");  // U+0099 repaired to the trademark sign
  CHECK(lamp.variants[0].price == Money{4999, "EUR"});
  CHECK(lamp.popularity == 5);
  CHECK(lamp.status == ProductStatus::kDraft);
  CHECK(lamp.options == std::vector<std::string>{"colour"});
  CHECK(lamp.variants[0].options.at("colour") == "red");
  CHECK(lamp.attributes.at("image") == "https://x/123_a.jpg");
  CHECK(p.at(1).product->category_paths == std::vector<std::vector<std::string>>{{"Home", "Lamps"}});

  const Product& vase = p.product(2);
  CHECK(vase.id == "rec-2");
  CHECK(vase.brand == "Unbranded");
  CHECK(vase.variants[0].price == Money{1000, "GBP"});
  CHECK(vase.options.empty());

  p.expect_rejected(3, "offers.0.price", "too many decimals");
  p.expect_rejected(4, "extra", "ignore_unknown");
  p.expect_rejected(5, "name", "missing");
  p.expect_rejected(6, "cats", "expected an array");
}

TEST_CASE("mapping: CSV rows as records, validation names the source field", "[catalog][import][mapping]") {
  TempDir dir;
  const std::string mapping = Write(dir, "m.json", R"({
    "ignore_unknown": true,
    "fields": {
      "sku":        {"from": "Item Number"},
      "title":      {"from": "Name"},
      "categories": {"from": "Path", "as": "split", "separator": "/"},
      "price":      {"from": "Cents", "as": "minor"}
    }
  })");
  const std::string data = Write(dir, "d.csv",
                                 "Item Number,Name,Path,Cents,Ignored\n"
                                 "A-1,Kettle,Kitchen/Kettles,2599,x\n"
                                 "A-2,,Kitchen,100,x\n"
                                 "A-3,Toaster,Kitchen,12.5,x\n");
  ImportOptions o;
  o.mapping_path = mapping;
  Parsed p = ReadAll(data, o);
  REQUIRE(p.records.size() == 3);
  const Product& kettle = p.product(2);
  CHECK(kettle.id == "A-1");
  CHECK(kettle.variants[0].price == Money{2599, "USD"});
  CHECK(p.at(2).product->category_paths == std::vector<std::vector<std::string>>{{"Kitchen", "Kettles"}});
  p.expect_rejected(3, "Name", "empty");  // ValidateProduct's "title", named as in the source
  p.expect_rejected(4, "Cents", "not an integer");
}

TEST_CASE("mapping: bad mapping files fail Open naming the file and the key", "[catalog][import][mapping]") {
  TempDir dir;
  const std::string data = Write(dir, "d.json", "[]");
  auto expect_bad = [&](const std::string& mapping_text, const std::string& key) {
    const std::string mapping = Write(dir, "bad-mapping.json", mapping_text);
    ImportOptions o;
    o.mapping_path = mapping;
    Status s = OpenError(data, o);
    INFO(s.ToString());
    CHECK(s.IsInvalidArgument());
    CHECK(s.message().find(mapping) != std::string::npos);
    CHECK(s.message().find(key) != std::string::npos);
  };
  const std::string ok_fields = R"("id": {"from": "a"}, "title": {"from": "b"}, "price": {"from": "c"})";
  expect_bad("{not json", "not valid JSON");
  expect_bad("[]", "expected a JSON object");
  expect_bad(R"({"fields": {)" + ok_fields + R"(}, "colour": 1})", "colour");
  expect_bad(R"({"format": "xml", "fields": {)" + ok_fields + "}}", "format");
  expect_bad(R"({"currency": "XYZ", "fields": {)" + ok_fields + "}}", "currency");
  expect_bad(R"({"format": "json"})", "fields");
  expect_bad(R"({"fields": {)" + ok_fields + R"(, "colour": {"from": "d"}}})", "fields.colour");
  expect_bad(R"({"fields": {"id": {"from": "a"}, "title": {"from": "b"}, "price": {"from": "c", "as": "float"}}})",
             "fields.price.as");
  expect_bad(R"({"fields": {"id": {"from": "a", "pattern": "(["}, "title": {"from": "b"}, "price": {"from": "c"}}})",
             "fields.id.pattern");
  expect_bad(R"({"fields": {"id": {"from": "a"}, "price": {"from": "c"}}})", "\"title\" is not mapped");
  expect_bad(R"({"fields": {"title": {"from": "b"}, "price": {"from": "c"}}})", "\"id\" nor \"sku\"");
  expect_bad(R"({"fields": {"id": {"from": "a", "value": "x"}, "title": {"from": "b"}, "price": {"from": "c"}}})",
             "fields.id");
  expect_bad(R"({"fields": {"id": {"from": "a", "fallback": "zero"}, "title": {"from": "b"}, "price": {"from": "c"}}})",
             "fields.id.fallback");
  expect_bad(R"({"fields": {"id": {"frm": "a"}, "title": {"from": "b"}, "price": {"from": "c"}}})", "fields.id.frm");

  ImportOptions o;
  o.format = "json";
  o.mapping_path = Write(dir, "csv-mapping.json", R"({"format": "csv", "fields": {)" + ok_fields + "}}");
  CHECK(OpenError(data, o).message().find("conflicts") != std::string::npos);

  o = ImportOptions{};
  o.mapping_path = dir.sub("no-such-mapping.json");
  Status s = OpenError(data, o);
  CHECK(s.IsInvalidArgument());
  CHECK(s.message().find("no-such-mapping.json") != std::string::npos);
}

TEST_CASE("helpers: integers and category paths", "[catalog][import]") {
  int64_t v = 0;
  CHECK((ParseInteger("-42", &v) && v == -42));
  CHECK((ParseInteger("9223372036854775807", &v) && v == INT64_MAX));
  CHECK((ParseInteger("-9223372036854775808", &v) && v == INT64_MIN));
  for (const char* bad : {"", "-", "+1", "1.0", "1e3", " 1", "9223372036854775808"}) {
    CHECK_FALSE(ParseInteger(bad, &v));
  }
  CHECK(SplitCategoryPath("A > B >C") == std::vector<std::string>{"A", "B >C"});
  CHECK(SplitCategoryPath(" A  >  B ") == std::vector<std::string>{"A", "B"});
}

// The Best Buy sample is third-party data for internal testing only: it is read from the
// shared data directory beside the repository, never copied into it.
TEST_CASE("mapping: the Best Buy sample through tools/mappings/bestbuy.json", "[catalog][import][bestbuy]") {
  const std::string data = std::string(COMMERCE_SOURCE_DIR) + "/../shared/data/bestbuy-algolia/products.json";
  if (!std::filesystem::exists(data)) {
    WARN("skipped: " << data << " is absent (the Best Buy sample is not part of the repository)");
    return;
  }
  ImportOptions o;
  o.mapping_path = std::string(COMMERCE_SOURCE_DIR) + "/tools/mappings/bestbuy.json";
  Parsed p = ReadAll(data, o);
  CHECK(p.status.ok());
  CHECK(p.bytes_read == p.bytes_total);
  REQUIRE(p.records.size() == 3291);

  // What the prices should be, from the number text in the file itself.
  std::ifstream in(data, std::ios::binary);
  std::stringstream whole;
  whole << in.rdbuf();
  Result<JsonNode> doc = ParseJson(whole.str());
  REQUIRE(doc.ok());
  REQUIRE(doc->items.size() == 3291);

  size_t numeric = 0;
  size_t checked_4999 = 0;
  std::set<std::string> ids;
  for (size_t i = 0; i < p.records.size(); ++i) {
    const ParsedRecord& r = p.records[i];
    REQUIRE(r.line == i + 1);
    INFO("element " << r.line << ": " << r.rejection.field << ": " << r.rejection.reason);
    REQUIRE(r.product.has_value());
    const Product& prod = r.product->product;
    ids.insert(prod.id);
    if (!prod.variants[0].sku.empty() && prod.variants[0].sku.find_first_not_of("0123456789") == std::string::npos) {
      ++numeric;
    } else {
      CHECK(prod.variants[0].sku == "rec-" + std::to_string(r.line));
    }
    CHECK_FALSE(r.product->category_paths.empty());
    // Expected minor units from the decimal text, digit by digit.
    const std::string& text = doc->items[i].find("price")->text;
    const size_t dot = text.find('.');
    std::string digits = dot == std::string::npos ? text + "00" : text.substr(0, dot) + text.substr(dot + 1);
    if (dot != std::string::npos && text.size() - dot - 1 == 1) digits += "0";
    CHECK(prod.variants[0].price == Money{std::stoll(digits), "USD"});
    if (text == "49.99") {
      CHECK(prod.variants[0].price.minor == 4999);
      ++checked_4999;
    }
  }
  CHECK(numeric >= 3287);
  CHECK(ids.size() == 3291);
  CHECK(checked_4999 > 0);
}

TEST_CASE("push: the format told by the first byte that is not blank", "[catalog][import]") {
  auto parse = [](const std::string& text) {
    auto p = ImportParser::Create(ImportOptions{}, "input");
    REQUIRE(p.ok());
    (*p)->feed(text);
    (*p)->finish();
    std::vector<ParsedRecord> out;
    ParsedRecord rec;
    while ((*p)->next(&rec)) out.push_back(std::move(rec));
    return std::make_pair(std::move(out), (*p)->status());
  };
  const std::string record = R"({"id":"a","title":"T","variants":[{"sku":"S","price":1}]})";
  auto [jsonl, s1] = parse("\n\n" + record + "\n" + record + "\n");
  CHECK(s1.ok());
  CHECK(jsonl.size() == 2);
  CHECK(jsonl[0].line == 3);  // leading blank lines still count
  auto [json, s2] = parse("\xEF\xBB\xBF  [" + record + "]");
  CHECK(s2.ok());
  REQUIRE(json.size() == 1);
  CHECK(json[0].product.has_value());
  auto [csv, s3] = parse("product_id,sku,title,price\np,S,T,1\n");
  CHECK(s3.ok());
  REQUIRE(csv.size() == 1);
  CHECK(csv[0].line == 2);
  auto [none, s4] = parse("  \n ");
  CHECK(none.empty());
  CHECK(s4.IsInvalidArgument());
  CHECK(s4.message().find("nothing to import") != std::string::npos);
}

// Issue 15, defect 9: each unbounded piece of work is bounded before it is done, and the
// rejection names the limit.
TEST_CASE("limits: fields, values and categories are refused before the work", "[catalog][import][limits]") {
  TempDir dir;
  SECTION("a CSV row of empty fields") {
    const std::string row = "p-1,S,T,1" + std::string(200'000, ',') + "\n";
    Parsed p = ReadAll(Write(dir, "wide.csv", "product_id,sku,title,price\n" + row + "p-2,S2,T,2\n"));
    p.expect_rejected(2, "", "more than 1024 fields");
    CHECK(p.product(3).id == "p-2");
  }
  SECTION("a CSV header of many columns") {
    std::string header;
    for (int i = 0; i < 100'000; ++i) header += "c" + std::to_string(i) + ",";
    Status s = OpenError(Write(dir, "h.csv", header + "x\n"));
    CHECK(s.IsInvalidArgument());
    CHECK(s.message().find("more than 1024 fields") != std::string::npos);
  }
  SECTION("a JSON record of many values") {
    std::string zeros;
    for (int i = 0; i < 200'000; ++i) zeros += "0,";
    const std::string big = R"({"id":"a","title":"T","attributes":{"x":[)" + zeros +
                            R"(0]},"variants":[{"sku":"S","price":1}]})";
    Parsed p = ReadAll(Write(dir, "v.jsonl", big + "\n" + R"({"id":"b","title":"T","variants":[{"sku":"S","price":1}]})" + "\n"));
    p.expect_rejected(1, "", "more than 100000 values");
    CHECK(p.product(2).id == "b");
  }
  SECTION("categories: counted before they are split or checked") {
    std::string paths, ids;
    for (int i = 0; i < 150; ++i) {
      paths += std::string(i ? "," : "") + "\"A > B" + std::to_string(i) + "\"";
      ids += std::string(i ? "," : "") + "\"c" + std::to_string(i) + "\"";
    }
    const std::string v = R"("variants":[{"sku":"S","price":1}])";
    Parsed p = ReadAll(Write(dir, "c.jsonl",
                             R"({"id":"a","title":"T","categories":[)" + paths + "]," + v + "}\n" +
                                 R"({"id":"b","title":"T","category_ids":[)" + ids + "]," + v + "}\n"));
    p.expect_rejected(1, "categories", "150 entries; expected at most 100");
    p.expect_rejected(2, "category_ids", "150 entries; expected at most 100");
    std::string cell;
    for (int i = 0; i < 150; ++i) cell += std::string(i ? "|" : "") + "A > B" + std::to_string(i);
    Parsed c = ReadAll(Write(dir, "c.csv", "product_id,sku,title,price,categories\np,S,T,1,\"" + cell + "\"\n"));
    c.expect_rejected(2, "categories", "150 paths; expected at most 100");
  }
}

}  // namespace catalog_import_parser_test
