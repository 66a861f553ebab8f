// Tests of bulk import (src/catalog/catalog_import.cpp and the parser it drives) through the
// public API, on every local driver: native JSON Lines with progress, a file mixing good and
// bad records, file errors, CSV, importing the same file twice, and the Best Buy sample
// through its field mapping.
//
// LICENCE: the Best Buy sample (../shared/data/bestbuy-algolia) has no licence to
// redistribute. It is read at run time only; nothing of it is copied into this file.
#include <sys/stat.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <map>
#include <memory>
#include <random>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "commerce/catalog.h"
#include "commerce/engine.h"
#include "commerce/events.h"
#include "test_dir.h"
#include "test_engine.h"

namespace catalog_import_test {

namespace {

using commerce::Catalog;
using commerce::CategoryIdFromPath;
using commerce::Code;
using commerce::Engine;
using commerce::ImportOptions;
using commerce::ImportProgress;
using commerce::ImportReport;
using commerce::Money;
using commerce::Product;
using commerce::ProductStatus;
using commerce::Rejection;
using commerce::Variant;
using commerce::testing::TempDir;

void WriteFile(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
  REQUIRE(out.good());
}

uint64_t FileSize(const std::string& path) {
  struct stat st;
  REQUIRE(::stat(path.c_str(), &st) == 0);
  return static_cast<uint64_t>(st.st_size);
}

Product WithoutEngineFields(Product p) {
  p.created_at_ms = 0;
  p.updated_at_ms = 0;
  p.version = 0;
  return p;
}

// A synthetic catalog (made up here, no real data): product i with its category paths, and
// the product the engine must store for it.
struct Generated {
  Product expected;  // engine-set fields 0; categories are the leaf ids
  std::vector<std::vector<std::string>> paths;
  std::string line;  // the native JSON Lines record
};

Generated Generate(int i) {
  Generated g;
  Product& p = g.expected;
  p.id = "imp-" + std::to_string(i);
  p.title = "Imported product " + std::to_string(i) + (i % 11 == 0 ? " — spécial ✓" : "");
  if (i % 3 == 0) p.description = "First line of " + p.id + ".\nSecond line.";
  if (i % 2 == 0) p.brand = "Brand " + std::to_string(i % 7);
  g.paths.push_back({"Dept " + std::to_string(i % 5), "Sub " + std::to_string(i % 3)});
  if (i % 50 == 0) g.paths.push_back({"Extra", "Deep & Narrow", "Deeper"});
  for (const auto& path : g.paths) p.categories.push_back(CategoryIdFromPath(path));
  p.attributes["colour"] = "c" + std::to_string(i % 4);
  p.attributes["weight_g"] = std::to_string(100 + i);  // written as a JSON number
  const std::string currency = i % 6 == 0 ? "EUR" : "USD";
  if (i % 10 == 0) {
    p.options = {"size"};
    for (const char* size : {"S", "M"}) {
      Variant v;
      v.sku = p.id + "-" + size;
      v.options = {{"size", size}};
      v.price = Money{1000 + i, currency};
      p.variants.push_back(v);
    }
  } else {
    Variant v;
    v.sku = p.id + "-ONE";
    v.price = Money{i % 4 == 1 ? 1234 : 500 + i, currency};
    if (i % 8 == 0) v.barcode = "0" + std::to_string(100000000000LL + i);
    p.variants.push_back(v);
  }
  if (i % 9 == 0) p.status = ProductStatus::kDraft;
  p.popularity = i;

  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  auto str = [&](const std::string& s) { w.String(s.data(), static_cast<rapidjson::SizeType>(s.size())); };
  w.StartObject();
  w.Key("id"); str(p.id);
  w.Key("title"); str(p.title);
  if (!p.description.empty()) { w.Key("description"); str(p.description); }
  if (!p.brand.empty()) { w.Key("brand"); str(p.brand); }
  w.Key("categories");
  w.StartArray();
  for (size_t k = 0; k < g.paths.size(); ++k) {
    if ((i + k) % 2 == 0) {  // "A > B" form
      std::string joined;
      for (const auto& name : g.paths[k]) joined += (joined.empty() ? "" : " > ") + name;
      str(joined);
    } else {  // array form
      w.StartArray();
      for (const auto& name : g.paths[k]) str(name);
      w.EndArray();
    }
  }
  w.EndArray();
  w.Key("attributes");
  w.StartObject();
  w.Key("colour"); str(p.attributes["colour"]);
  w.Key("weight_g"); w.Int(100 + i);
  w.EndObject();
  if (!p.options.empty()) {
    w.Key("options");
    w.StartArray();
    for (const auto& o : p.options) str(o);
    w.EndArray();
  }
  w.Key("variants");
  w.StartArray();
  for (const auto& v : p.variants) {
    w.StartObject();
    w.Key("sku"); str(v.sku);
    if (v.price.minor == 1234) {  // major units, as a decimal string
      w.Key("price_decimal"); str("12.34");
    } else {
      w.Key("price"); w.Int64(v.price.minor);
    }
    if (v.price.currency != "USD") { w.Key("currency"); str(v.price.currency); }
    if (!v.options.empty()) {
      w.Key("options");
      w.StartObject();
      for (const auto& [k, val] : v.options) { w.Key(k.c_str()); str(val); }
      w.EndObject();
    }
    if (!v.barcode.empty()) { w.Key("barcode"); str(v.barcode); }
    w.EndObject();
  }
  w.EndArray();
  if (p.status == ProductStatus::kDraft) { w.Key("status"); str("draft"); }
  w.Key("popularity"); w.Int(i);
  w.EndObject();
  g.line = buf.GetString();
  return g;
}

// Every category id a set of paths makes, ancestors included.
std::set<std::string> CategoryIds(const std::vector<Generated>& all) {
  std::set<std::string> ids;
  for (const auto& g : all)
    for (const auto& path : g.paths)
      for (size_t n = 1; n <= path.size(); ++n)
        ids.insert(CategoryIdFromPath(
            std::vector<std::string>(path.begin(), path.begin() + static_cast<long>(n))));
  return ids;
}

const Rejection* RejectionAt(const ImportReport& r, uint64_t line) {
  for (const auto& rej : r.rejections)
    if (rej.line == line) return &rej;
  return nullptr;
}

std::string Describe(const ImportReport& r) {
  std::ostringstream out;
  out << "records " << r.records << ", imported " << r.imported << " (unchanged "
      << r.unchanged << "), rejected " << r.rejected
      << ", categories " << r.categories_created;
  for (const auto& rej : r.rejections)
    out << "\n  line " << rej.line << " [" << rej.field << "] " << rej.reason;
  return out.str();
}

// What the Best Buy mapping's "repair_cp1252" does to text (field_mapping.h): C1 control
// characters U+0080..U+009F, the trace of Windows-1252 text decoded as Latin-1, become the
// Windows-1252 characters they stand for (U+0099 -> U+2122). The five code points that
// Windows-1252 leaves undefined are kept.
std::string RepairCp1252(const std::string& in) {
  static constexpr char32_t kCp1252[32] = {
      0x20AC, 0, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160,
      0x2039, 0x0152, 0, 0x017D, 0, 0, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013,
      0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0, 0x017E, 0x0178};
  std::string out;
  for (size_t i = 0; i < in.size(); ++i) {
    const auto b = static_cast<unsigned char>(in[i]);
    const auto next = i + 1 < in.size() ? static_cast<unsigned char>(in[i + 1]) : 0;
    char32_t cp = b == 0xC2 && next >= 0x80 && next <= 0x9F ? kCp1252[next - 0x80] : 0;
    if (cp == 0) {
      out += in[i];
      continue;
    }
    ++i;
    if (cp < 0x800) {
      out += static_cast<char>(0xC0 | (cp >> 6));
    } else {
      out += static_cast<char>(0xE0 | (cp >> 12));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    }
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
  return out;
}

}  // namespace

TEST_CASE("import of a native JSON Lines file, with progress, then again", "[catalog]") {
  auto driver = GENERATE(as<std::string>{}, "lmdb", "sqlite");
  CAPTURE(driver);
  TempDir dir;
  auto engine = commerce::testing::OpenTestEngine(dir.sub("store"), driver);
  Catalog& catalog = engine->catalog();

  constexpr int kProducts = 2500;
  std::vector<Generated> all;
  std::string text;
  size_t skus = 0;
  for (int i = 0; i < kProducts; ++i) {
    all.push_back(Generate(i));
    text += all.back().line + "\n";
    skus += all.back().expected.variants.size();
  }
  const std::string file = dir.sub("catalog.jsonl");
  WriteFile(file, text);
  const std::set<std::string> category_ids = CategoryIds(all);
  REQUIRE(category_ids.size() == 23);  // 5 depts, 15 subs, 3 extra levels

  std::vector<ImportProgress> progress;
  auto report = catalog.import_jsonl(file, [&](const ImportProgress& p) { progress.push_back(p); });
  INFO(report.status().ToString());
  REQUIRE(report.ok());
  INFO(Describe(*report));
  CHECK(report->records == kProducts);
  CHECK(report->imported == kProducts);
  CHECK(report->rejected == 0);
  CHECK(report->rejections.empty());
  CHECK(report->categories_created == category_ids.size());

  // Progress: about every 1,000 records, records increasing, and a final call with all.
  REQUIRE(progress.size() >= 3);
  for (size_t i = 1; i < progress.size(); ++i) {
    CHECK(progress[i].records > progress[i - 1].records);
    CHECK(progress[i].bytes_read >= progress[i - 1].bytes_read);
  }
  const ImportProgress& last = progress.back();
  CHECK(last.records == kProducts);
  CHECK(last.imported == kProducts);
  CHECK(last.rejected == 0);
  CHECK(last.bytes_total == FileSize(file));
  CHECK(last.bytes_read == FileSize(file));
  CHECK(progress.front().records == 1000);

  // Every product as generated; categories as the paths named them.
  for (const auto& g : all) {
    INFO(g.expected.id);
    auto got = catalog.get(g.expected.id);
    REQUIRE(got.ok());
    CHECK(WithoutEngineFields(*got) == g.expected);
    CHECK(got->version == 1);
    auto by_sku = catalog.get_by_sku(g.expected.variants.back().sku);
    REQUIRE(by_sku.ok());
    CHECK(by_sku->id == g.expected.id);
  }
  auto dept = catalog.get_category("dept-3");
  REQUIRE(dept.ok());
  CHECK(dept->name == "Dept 3");
  auto deep = catalog.get_category("extra/deep-narrow/deeper");
  REQUIRE(deep.ok());
  CHECK(deep->name == "Deeper");
  CHECK(deep->parent_id == "extra/deep-narrow");
  auto stats = catalog.stats();
  REQUIRE(stats.ok());
  CHECK(stats->products == kProducts);
  CHECK(stats->skus == skus);
  CHECK(stats->categories == category_ids.size());
  // One event per product and per category created, gapless.
  const uint64_t events_after_first = engine->events().last_seq().value_or(0);
  CHECK(events_after_first == kProducts + category_ids.size());
  // Listed under the department: i % 5 == 3.
  auto listed = catalog.list_by_category("dept-3", {"", 1000, true});
  REQUIRE(listed.ok());
  CHECK(listed->items.size() == kProducts / 5);
  CHECK(listed->next_cursor.empty());

  // The same file again: every record unchanged, so nothing is written — no new version,
  // no event (so no index or webhook work) — and the report says so.
  std::vector<ImportProgress> progress2;
  auto again = catalog.import_jsonl(file, [&](const ImportProgress& p) { progress2.push_back(p); });
  REQUIRE(again.ok());
  INFO(Describe(*again));
  CHECK(again->records == kProducts);
  CHECK(again->imported == kProducts);
  CHECK(again->unchanged == kProducts);
  CHECK(again->rejected == 0);
  CHECK(again->categories_created == 0);
  REQUIRE(!progress2.empty());
  CHECK(progress2.back().unchanged == kProducts);
  for (int i = 0; i < kProducts; i += 97) {
    auto got = catalog.get(all[i].expected.id);
    REQUIRE(got.ok());
    CHECK(got->version == 1);
    CHECK(WithoutEngineFields(*got) == all[i].expected);
  }
  auto stats2 = catalog.stats();
  REQUIRE(stats2.ok());
  CHECK(stats2->products == kProducts);
  CHECK(stats2->skus == skus);
  CHECK(stats2->categories == category_ids.size());
  CHECK(engine->events().last_seq().value_or(0) == events_after_first);

  // A file where one record in ten changed: only those are written, each with its event.
  std::string edited;
  size_t changed = 0;
  for (int i = 0; i < kProducts; ++i) {
    std::string line = all[i].line;
    if (i % 10 == 4) {
      const std::string title = "\"title\":\"" + all[i].expected.title + "\"";
      const size_t at = line.find(title);
      REQUIRE(at != std::string::npos);
      line.replace(at, title.size(), "\"title\":\"Changed " + std::to_string(i) + "\"");
      ++changed;
    }
    edited += line + "\n";
  }
  const std::string edited_file = dir.sub("edited.jsonl");
  WriteFile(edited_file, edited);
  auto third = catalog.import_jsonl(edited_file);
  REQUIRE(third.ok());
  INFO(Describe(*third));
  CHECK(third->imported == kProducts);
  CHECK(third->unchanged == kProducts - changed);
  CHECK(engine->events().last_seq().value_or(0) == events_after_first + changed);
  CHECK(catalog.get("imp-4")->version == 2);
  CHECK(catalog.get("imp-4")->title == "Changed 4");
  CHECK(catalog.get("imp-5")->version == 1);

  // A product written back by ProductToJson imports unchanged.
  auto original = catalog.get("imp-10");
  REQUIRE(original.ok());
  const std::string back = dir.sub("back.jsonl");
  Product renamed = *original;
  renamed.id = "imp-10-copy";
  for (auto& v : renamed.variants) v.sku += "-COPY";
  WriteFile(back, commerce::ProductToJson(renamed, false) + "\n");
  auto copied = catalog.import_file(back);
  REQUIRE(copied.ok());
  INFO(Describe(*copied));
  CHECK(copied->imported == 1);
  auto copy = catalog.get("imp-10-copy");
  REQUIRE(copy.ok());
  CHECK(WithoutEngineFields(*copy) == WithoutEngineFields(renamed));
}

TEST_CASE("import keeps the good records of a mixed file and reports each bad one",
          "[catalog]") {
  auto driver = GENERATE(as<std::string>{}, "lmdb", "sqlite");
  CAPTURE(driver);
  TempDir dir;
  auto engine = commerce::testing::OpenTestEngine(dir.sub("store"), driver);
  Catalog& catalog = engine->catalog();

  const std::string file = dir.sub("mixed.jsonl");
  WriteFile(file,
            // 1: good
            R"({"id":"g1","title":"Good one","variants":[{"sku":"G1","price":100}]})" "\n"
            // 2: malformed JSON
            R"({"id":"bad-json","title":"cut short","variants":[{"sku":"BJ","price":)" "\n"
            // 3: good
            R"({"id":"g2","title":"Good two","variants":[{"sku":"G2","price":200}]})" "\n"
            // 4: unknown field (a typo)
            R"({"id":"bad-field","titel":"Typo","variants":[{"sku":"BF","price":1}]})" "\n"
            // 5: blank, skipped but counted as a line
            "\n"
            // 6: negative price
            R"({"id":"bad-price","title":"Negative","variants":[{"sku":"BP","price":-5}]})" "\n"
            // 7: good, takes SHARED
            R"({"id":"g3","title":"Good three","variants":[{"sku":"SHARED","price":300}]})" "\n"
            // 8: SHARED again, on another product, with a category path of its own
            R"({"id":"bad-dup","title":"Dup","categories":["Orphan > Branch"],"variants":[{"sku":"SHARED","price":1}]})" "\n"
            // 9: good, in a new category
            R"({"id":"g4","title":"Good four","categories":["Mixed > Good"],"variants":[{"sku":"G4","price":400}]})" "\n"
            // 10: an array, not an object
            R"([1,2,3])" "\n"
            // 11: no variants
            R"({"id":"bad-novariants","title":"None"})" "\n"
            // 12: an unknown currency
            R"({"id":"bad-currency","title":"Money","variants":[{"sku":"BC","price":1,"currency":"XXZ"}]})" "\n");

  auto report = catalog.import_file(file);
  INFO(report.status().ToString());
  REQUIRE(report.ok());
  INFO(Describe(*report));
  CHECK(report->records == 11);
  CHECK(report->imported == 4);
  CHECK(report->rejected == 7);
  CHECK(report->rejections.size() == 7);
  CHECK(report->categories_created == 2);  // mixed, mixed/good; not orphan, orphan/branch

  struct Expect { uint64_t line; const char* field; const char* id; };
  for (const Expect& e : std::vector<Expect>{{2, "", "bad-json"},
                                             {4, "titel", "bad-field"},
                                             {6, "variants[0].price", "bad-price"},
                                             {10, "", nullptr},
                                             {11, "variants", "bad-novariants"},
                                             {12, "variants[0].currency", "bad-currency"}}) {
    INFO("line " << e.line);
    const Rejection* r = RejectionAt(*report, e.line);
    REQUIRE(r != nullptr);
    CHECK(r->field == e.field);
    CHECK_FALSE(r->reason.empty());
    if (e.id) CHECK(catalog.get(e.id).status().code() == Code::kNotFound);
  }
  for (const char* sku : {"BJ", "BF", "BP", "BC"})
    CHECK(catalog.get_by_sku(sku).status().code() == Code::kNotFound);

  // The SKU conflict: found only at write time, rolled back with the categories it made.
  const Rejection* dup = RejectionAt(*report, 8);
  REQUIRE(dup != nullptr);
  CHECK(dup->reason.find("SHARED") != std::string::npos);
  CHECK(catalog.get("bad-dup").status().code() == Code::kNotFound);
  auto shared = catalog.get_by_sku("SHARED");
  REQUIRE(shared.ok());
  CHECK(shared->id == "g3");
  CHECK(catalog.get_category("orphan").status().code() == Code::kNotFound);
  CHECK(catalog.get_category("orphan/branch").status().code() == Code::kNotFound);

  for (const char* id : {"g1", "g2", "g3", "g4"}) CHECK(catalog.get(id).ok());
  auto g4 = catalog.get("g4");
  REQUIRE(g4.ok());
  CHECK(g4->categories == std::vector<std::string>{"mixed/good"});
  auto stats = catalog.stats();
  REQUIRE(stats.ok());
  CHECK(stats->products == 4);
  CHECK(stats->skus == 4);
  CHECK(stats->categories == 2);
  // 4 ProductUpserted + 2 CategoryUpserted; nothing of the rejected records.
  auto events = engine->events().tail(1, 100);
  REQUIRE(events.ok());
  CHECK(events->size() == 6);
  for (const auto& e : *events) {
    CHECK(e.subject.find("bad") == std::string::npos);
    CHECK(e.subject.find("orphan") == std::string::npos);
  }

  // max_rejections caps the list, not the count.
  ImportOptions capped;
  capped.max_rejections = 2;
  auto again = catalog.import_file(file, capped);
  REQUIRE(again.ok());
  INFO(Describe(*again));
  CHECK(again->imported == 4);
  CHECK(again->rejected == 7);
  CHECK(again->rejections.size() == 2);
  // The same records rejected the second time: still none of them written.
  CHECK(catalog.get("bad-dup").status().code() == Code::kNotFound);
  CHECK(catalog.get_by_sku("SHARED").value_or(Product{}).id == "g3");
  stats = catalog.stats();
  REQUIRE(stats.ok());
  CHECK(stats->products == 4);
  CHECK(stats->categories == 2);
}

TEST_CASE("import: a SKU taken by another product is rejected naming the field",
          "[catalog]") {
  auto driver = GENERATE(as<std::string>{}, "lmdb", "sqlite");
  CAPTURE(driver);
  TempDir dir;
  auto engine = commerce::testing::OpenTestEngine(dir.sub("store"), driver);
  const std::string file = dir.sub("dup.jsonl");
  WriteFile(file,
            R"({"id":"a","title":"A","variants":[{"sku":"SHARED","price":1}]})" "\n"
            R"({"id":"b","title":"B","variants":[{"sku":"B1","price":1},{"sku":"SHARED","price":1}]})" "\n");
  auto report = engine->catalog().import_file(file);
  REQUIRE(report.ok());
  INFO(Describe(*report));
  REQUIRE(report->rejections.size() == 1);
  CHECK(report->rejections[0].line == 2);
  CHECK(report->rejections[0].field == "variants[1].sku");
}

TEST_CASE("import of a file that is missing, a directory, or of no known format", "[catalog]") {
  auto driver = GENERATE(as<std::string>{}, "lmdb", "sqlite");
  CAPTURE(driver);
  TempDir dir;
  auto engine = commerce::testing::OpenTestEngine(dir.sub("store"), driver);
  Catalog& catalog = engine->catalog();

  const std::string missing = dir.sub("missing.jsonl");
  auto r = catalog.import_file(missing);
  CHECK(r.status().code() == Code::kNotFound);
  CHECK(r.status().message().find(missing) != std::string::npos);

  const std::string directory = dir.sub("a-directory.jsonl");
  REQUIRE(::mkdir(directory.c_str(), 0755) == 0);
  auto d = catalog.import_file(directory);
  CHECK(d.status().code() == Code::kInvalidArgument);
  CHECK(d.status().message().find("directory") != std::string::npos);
  ImportOptions dir_as_jsonl;
  dir_as_jsonl.format = "jsonl";
  CHECK(catalog.import_file(dir.path(), dir_as_jsonl).status().code() == Code::kInvalidArgument);

  const std::string no_ext = dir.sub("catalog");
  WriteFile(no_ext, R"({"id":"p","title":"T","variants":[{"sku":"S","price":1}]})" "\n");
  CHECK(catalog.import_file(no_ext).status().code() == Code::kInvalidArgument);
  ImportOptions xml;
  xml.format = "xml";
  CHECK(catalog.import_file(no_ext, xml).status().code() == Code::kInvalidArgument);
  ImportOptions bad_currency;
  bad_currency.format = "jsonl";
  bad_currency.default_currency = "XXZ";
  CHECK(catalog.import_file(no_ext, bad_currency).status().code() == Code::kInvalidArgument);
  ImportOptions bad_mapping;
  bad_mapping.format = "jsonl";
  bad_mapping.mapping_path = dir.sub("no-such-mapping.json");
  CHECK_FALSE(catalog.import_file(no_ext, bad_mapping).ok());

  // None of that wrote anything; with the format given the same file imports.
  CHECK(engine->events().last_seq().value_or(99) == 0);
  ImportOptions jsonl;
  jsonl.format = "jsonl";
  auto ok = catalog.import_file(no_ext, jsonl);
  REQUIRE(ok.ok());
  CHECK(ok->imported == 1);
  CHECK(catalog.get("p").ok());

  // An empty file is zero records, not an error.
  const std::string empty = dir.sub("empty.jsonl");
  WriteFile(empty, "");
  auto e = catalog.import_file(empty);
  REQUIRE(e.ok());
  CHECK(e->records == 0);
  CHECK(e->imported == 0);
}

TEST_CASE("import of a CSV file: rows grouped into products", "[catalog]") {
  auto driver = GENERATE(as<std::string>{}, "lmdb", "sqlite");
  CAPTURE(driver);
  TempDir dir;
  auto engine = commerce::testing::OpenTestEngine(dir.sub("store"), driver);
  Catalog& catalog = engine->catalog();
  const std::string file = dir.sub("small.csv");
  WriteFile(file,
            "product_id,sku,title,price,categories\n"
            "c1,C1-S,Plain shirt,19.99,Clothing > Shirts\n"
            "c1,C1-M,Plain shirt,21.00,Clothing > Shirts\n"
            "c2,C2,\"Mug, large\",7.5,Kitchen|Gifts > Mugs\n"
            "c3,C3,Broken price,-1,Kitchen\n"
            "c4,C4,\"Quoted \"\"title\"\"\",0.99,\n");
  auto report = catalog.import_csv(file);
  INFO(report.status().ToString());
  REQUIRE(report.ok());
  INFO(Describe(*report));
  CHECK(report->imported == 3);
  CHECK(report->rejected == 1);
  REQUIRE(report->rejections.size() == 1);
  CHECK(report->rejections[0].line == 5);
  CHECK(report->rejections[0].field == "price");
  CHECK(report->categories_created == 5);  // clothing, clothing/shirts, kitchen, gifts, gifts/mugs

  auto c1 = catalog.get("c1");
  REQUIRE(c1.ok());
  CHECK(c1->title == "Plain shirt");
  REQUIRE(c1->variants.size() == 2);
  CHECK(c1->variants[0].sku == "C1-S");
  CHECK(c1->variants[0].price == Money{1999, "USD"});
  CHECK(c1->variants[1].sku == "C1-M");
  CHECK(c1->variants[1].price == Money{2100, "USD"});
  CHECK(c1->categories == std::vector<std::string>{"clothing/shirts"});
  auto c2 = catalog.get_by_sku("C2");
  REQUIRE(c2.ok());
  CHECK(c2->id == "c2");
  CHECK(c2->title == "Mug, large");
  CHECK(c2->variants[0].price == Money{750, "USD"});
  CHECK(c2->categories == std::vector<std::string>{"kitchen", "gifts/mugs"});
  auto c4 = catalog.get("c4");
  REQUIRE(c4.ok());
  CHECK(c4->title == "Quoted \"title\"");
  CHECK(c4->variants[0].price == Money{99, "USD"});
  CHECK(c4->categories.empty());
  CHECK(catalog.get("c3").status().code() == Code::kNotFound);
  CHECK(catalog.get_by_sku("C3").status().code() == Code::kNotFound);
  auto stats = catalog.stats();
  REQUIRE(stats.ok());
  CHECK(stats->products == 3);
  CHECK(stats->skus == 4);
  CHECK(stats->categories == 5);
}

TEST_CASE("import of the Best Buy sample through its field mapping", "[catalog]") {
  const std::string data = COMMERCE_SOURCE_DIR "/../shared/data/bestbuy-algolia/products.json";
  const std::string mapping = COMMERCE_SOURCE_DIR "/tools/mappings/bestbuy.json";
  std::ifstream in(data, std::ios::binary);
  if (!in) {
    WARN("skipped: ../shared/data/bestbuy-algolia absent");
    return;
  }
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  rapidjson::Document doc;
  doc.Parse(text.data(), text.size());
  REQUIRE_FALSE(doc.HasParseError());
  REQUIRE(doc.IsArray());
  REQUIRE(doc.Size() > 0);
  // The first record's SKU, from its image file name, and its name: read here, never copied.
  const auto& first = doc[0];
  REQUIRE(first.HasMember("image"));
  REQUIRE(first.HasMember("name"));
  const std::string image = first["image"].GetString();
  const std::string name = first["name"].GetString();
  std::smatch m;
  REQUIRE(std::regex_search(image, m, std::regex("/([0-9]+)_[^/]*$")));
  const std::string sku = m[1].str();
  const uint64_t records = doc.Size();

  auto driver = GENERATE(as<std::string>{}, "lmdb", "sqlite");
  CAPTURE(driver);
  TempDir dir;
  auto engine = commerce::testing::OpenTestEngine(dir.sub("store"), driver);
  Catalog& catalog = engine->catalog();
  ImportOptions options;
  options.mapping_path = mapping;
  auto report = catalog.import_file(data, options);
  INFO(report.status().ToString());
  REQUIRE(report.ok());
  INFO(Describe(*report));
  CHECK(report->records == records);
  CHECK(report->imported >= 3287);
  CHECK(report->imported + report->rejected == records);
  CHECK(report->rejections.size() == report->rejected);
  for (const auto& r : report->rejections) {
    CHECK(r.line >= 1);
    CHECK(r.line <= records);
    CHECK_FALSE(r.reason.empty());
  }
  CHECK(report->categories_created > 0);

  auto product = catalog.get_by_sku(sku);
  INFO("sku " << sku);
  REQUIRE(product.ok());
  CHECK(product->title == RepairCp1252(name));
  CHECK(product->id == sku);
  REQUIRE(product->variants.size() == 1);
  CHECK(product->variants[0].price.currency == "USD");
  CHECK(product->variants[0].price.minor > 0);
  CHECK_FALSE(product->categories.empty());
  auto stats = catalog.stats();
  REQUIRE(stats.ok());
  CHECK(stats->products == report->imported);
  CHECK(stats->categories == report->categories_created);

  // Every imported record, field by field, against the file as read here. A record whose
  // image has no SKU gets the id rec-<element number>.
  const std::regex sku_pattern("/([0-9]+)_[^/]*$");
  uint64_t checked = 0, mismatched = 0;
  for (rapidjson::SizeType i = 0; i < doc.Size(); ++i) {
    const auto& rec = doc[i];
    if (RejectionAt(*report, i + 1)) continue;
    const std::string img = rec["image"].GetString();
    std::smatch sm;
    const std::string id =
        std::regex_search(img, sm, sku_pattern) ? sm[1].str() : "rec-" + std::to_string(i + 1);
    auto p = catalog.get(id);
    INFO("element " << i + 1 << ", id " << id);
    REQUIRE(p.ok());
    std::vector<std::string> path;
    for (const auto& c : rec["categories"].GetArray()) path.push_back(RepairCp1252(c.GetString()));
    const bool same =
        p->title == RepairCp1252(rec["name"].GetString()) &&
        p->brand == RepairCp1252(rec["brand"].GetString()) &&
        p->description == RepairCp1252(rec["description"].GetString()) &&
        p->popularity == rec["popularity"].GetInt64() && p->variants.size() == 1 &&
        p->variants[0].sku == id &&
        p->variants[0].price.minor == std::llround(rec["price"].GetDouble() * 100) &&
        p->variants[0].price.currency == "USD" &&
        p->categories == std::vector<std::string>{CategoryIdFromPath(path)} &&
        p->attributes.count("image") && p->attributes.at("image") == img;
    if (!same) {
      ++mismatched;
      FAIL_CHECK("the stored product differs from the file's record");
    }
    ++checked;
  }
  CHECK(checked == report->imported);
  CHECK(mismatched == 0);
}

// --- ImportStream: the importer fed chunk by chunk (start_import) ----------------------

namespace {

// Feeds `text` to a fresh stream in chunks of varying size (a seeded sequence that splits
// lines, multi-byte characters and numbers alike) and finishes it.
commerce::Result<ImportReport> StreamImport(Catalog& catalog, const std::string& text, ImportOptions o,
                                            unsigned seed = 7) {
  auto stream = catalog.start_import(o);
  if (!stream.ok()) return stream.status();
  std::mt19937 rng(seed);
  for (size_t at = 0; at < text.size();) {
    const size_t n = std::min<size_t>(text.size() - at, 1 + rng() % 5000);
    commerce::Status s = (*stream)->write(std::string_view(text).substr(at, n));
    if (!s.ok()) return s;
    at += n;
  }
  return (*stream)->finish();
}

}  // namespace

TEST_CASE("start_import: chunks split anywhere import exactly what import_file does", "[catalog][stream]") {
  auto driver = GENERATE(as<std::string>{}, "lmdb", "sqlite");
  CAPTURE(driver);
  TempDir dir;
  auto engine = commerce::testing::OpenTestEngine(dir.sub("store"), driver);
  Catalog& catalog = engine->catalog();
  std::vector<Generated> all;
  std::string text;
  for (int i = 0; i < 1500; ++i) {
    all.push_back(Generate(i));
    text += all.back().line + (i % 7 == 0 ? "\r\n" : "\n");
  }
  text += "{\"id\": broken\n";  // one bad line, reported, not fatal
  for (const char* format : {"jsonl", "auto"}) {
    CAPTURE(format);
    ImportOptions o;
    o.format = format;
    o.expected_bytes = text.size();
    std::vector<ImportProgress> progress;
    o.progress = [&](const ImportProgress& p) { progress.push_back(p); };
    auto report = StreamImport(catalog, text, o);
    INFO(report.status().ToString());
    REQUIRE(report.ok());
    INFO(Describe(*report));
    CHECK(report->records == 1501);
    CHECK(report->imported == 1500);
    CHECK(report->rejected == 1);
    REQUIRE(report->rejections.size() == 1);
    CHECK(report->rejections[0].line == 1501);
    CHECK_FALSE(report->cancelled);
    REQUIRE(!progress.empty());
    CHECK(progress.back().bytes_total == text.size());
    CHECK(progress.back().bytes_read == text.size());
    CHECK(progress.back().imported == 1500);
  }
  for (int i = 0; i < 1500; i += 37) {
    auto got = catalog.get(all[i].expected.id);
    REQUIRE(got.ok());
    CHECK(WithoutEngineFields(*got) == all[i].expected);
  }
  // A JSON array and CSV through the same stream, the format told by the first byte.
  auto arr = StreamImport(catalog, "\n  [" + all[3].line + ",\n" + all[4].line + "]\n", ImportOptions{}, 3);
  REQUIRE(arr.ok());
  CHECK(arr->imported == 2);
  auto csv = StreamImport(catalog, "product_id,sku,title,price\nc-1,C1,Cup,1.50\nc-1,C2,Cup,2\n", ImportOptions{}, 1);
  REQUIRE(csv.ok());
  CHECK(csv->imported == 1);
  auto cup = catalog.get("c-1");
  REQUIRE(cup.ok());
  CHECK(cup->variants.size() == 2);
}

TEST_CASE("start_import: broken input, bad options and misuse are clear errors", "[catalog][stream]") {
  TempDir dir;
  auto engine = commerce::testing::OpenTestEngine(dir.sub("store"), "lmdb");
  Catalog& catalog = engine->catalog();
  ImportOptions xml;
  xml.format = "xml";
  CHECK(catalog.start_import(xml).status().code() == Code::kInvalidArgument);
  ImportOptions currency;
  currency.default_currency = "XXZ";
  CHECK(catalog.start_import(currency).status().code() == Code::kInvalidArgument);
  ImportOptions mapping;
  mapping.mapping_path = dir.sub("none.json");
  CHECK_FALSE(catalog.start_import(mapping).ok());

  // A bad CSV header: the stream is dead at once and nothing is written.
  {
    auto s = catalog.start_import({});
    REQUIRE(s.ok());
    commerce::Status w = (*s)->write("product_id,sku,title,price,colour\np-1,S,T,1,red\n");
    CHECK(w.code() == Code::kInvalidArgument);
    CHECK(w.message().find("column 'colour'") != std::string::npos);
    CHECK((*s)->write("p-2,S2,T,1,red\n").code() == Code::kInvalidArgument);
    auto r = (*s)->finish();
    CHECK(r.status().code() == Code::kInvalidArgument);
    CHECK((*s)->finish().status().code() == Code::kFailedPrecondition);
    CHECK((*s)->write("x").code() == Code::kFailedPrecondition);
  }
  // Data after a JSON array's ']': what came before is kept, the error says so.
  {
    ImportOptions json;
    json.format = "json";
    auto s = catalog.start_import(json);
    REQUIRE(s.ok());
    CHECK((*s)->write(R"([{"id":"a1","title":"A","variants":[{"sku":"A1","price":1}]}])").ok());
    CHECK((*s)->write(" garbage").code() == Code::kInvalidArgument);
    auto r = (*s)->finish();
    CHECK(r.status().code() == Code::kInvalidArgument);
    CHECK(r.status().message().find("after 1 imported records") != std::string::npos);
    CHECK(catalog.get("a1").ok());
  }
  // Empty or blank input of unknown format: nothing to tell the format from.
  {
    auto s = catalog.start_import({});
    REQUIRE(s.ok());
    CHECK((*s)->write(" \n\t\n").ok());
    CHECK((*s)->finish().status().code() == Code::kInvalidArgument);
  }
  CHECK(engine->events().last_seq().value_or(0) == 1);  // only a1
}

TEST_CASE("start_import: progress and rejections are visible from another thread, cancel stops it",
          "[catalog][stream]") {
  auto driver = GENERATE(as<std::string>{}, "lmdb", "sqlite");
  CAPTURE(driver);
  TempDir dir;
  auto engine = commerce::testing::OpenTestEngine(dir.sub("store"), driver);
  Catalog& catalog = engine->catalog();
  auto stream = catalog.start_import({});
  REQUIRE(stream.ok());
  commerce::ImportStream& s = **stream;
  std::atomic<bool> done{false}, went_back{false};
  std::atomic<uint64_t> seen_records{0}, seen_rejections{0};
  // No CHECK on this thread: Catch2's assertion counters are not thread-safe (TSan's report);
  // what the watcher sees is checked on the test's thread after the join.
  std::thread watcher([&] {
    while (!done.load()) {
      ImportProgress p = s.progress();
      if (p.records < seen_records.load()) went_back.store(true);
      seen_records.store(p.records);
      seen_rejections.store(s.rejections().size());
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  });
  // Batches of 1000 records, every tenth line bad, until the watcher has seen progress.
  int written = 0;
  while (written < 200'000 && (seen_records.load() < 3000 || seen_rejections.load() == 0)) {
    std::string batch;
    for (int i = 0; i < 1000; ++i, ++written)
      batch += written % 10 == 9 ? std::string("not json\n") : Generate(written).line + "\n";
    REQUIRE(s.write(batch).ok());
  }
  CHECK(seen_records.load() >= 3000);
  CHECK(seen_rejections.load() > 0);
  s.cancel();
  CHECK(s.write(Generate(written).line + "\n").code() == Code::kFailedPrecondition);
  auto report = s.finish();
  done.store(true);
  watcher.join();
  CHECK_FALSE(went_back.load());  // progress never goes backwards
  REQUIRE(report.ok());
  CHECK(report->cancelled);
  CHECK(report->imported > 0);
  CHECK(report->imported + report->rejected == report->records);
  // What the report says was imported is there, and durable: reopen and count.
  auto stats = catalog.stats();
  REQUIRE(stats.ok());
  CHECK(stats->products == report->imported);
  engine.reset();
  auto reopened = commerce::testing::OpenTestEngine(dir.sub("store"), driver);
  CHECK(reopened->catalog().stats()->products == report->imported);
}

TEST_CASE("start_import: a stream dropped unfinished keeps what it imported", "[catalog][stream]") {
  TempDir dir;
  auto engine = commerce::testing::OpenTestEngine(dir.sub("store"), "lmdb");
  {
    auto s = engine->catalog().start_import({});
    REQUIRE(s.ok());
    std::string text;
    for (int i = 0; i < 300; ++i) text += Generate(i).line + "\n";
    REQUIRE((*s)->write(text).ok());
  }
  CHECK(engine->catalog().stats()->products == 300);
}

}  // namespace catalog_import_test
