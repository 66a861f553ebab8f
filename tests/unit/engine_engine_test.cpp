// Tests of Engine (src/engine/engine.cpp) on every local driver: opening and its errors,
// closing and reopening, calls after close(), and a record that no longer decodes.
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

#include <catch2/catch.hpp>

#include "commerce/catalog.h"
#include "commerce/engine.h"
#include "commerce/events.h"
#include "commerce/storage.h"
#include "common/key.h"
#include "test_dir.h"
#include "test_engine.h"
#include "test_store.h"

namespace engine_engine_test {

namespace {

using commerce::Code;
using commerce::Engine;
using commerce::EngineOptions;
using commerce::Money;
using commerce::Product;
using commerce::Variant;
using commerce::testing::TempDir;

EngineOptions Options(const std::string& path, const std::string& driver) {
  EngineOptions o;
  o.path = path;
  o.driver = driver;
  return o;
}

std::unique_ptr<Engine> OpenEngine(const std::string& path, const std::string& driver) {
  auto engine = Engine::open(Options(path, driver));
  INFO("open " << path << " (" << driver << "): " << engine.status().ToString());
  REQUIRE(engine.ok());
  return std::move(engine).value();
}

Product MakeProduct(const std::string& id) {
  Product p;
  p.id = id;
  p.title = "Product " + id;
  Variant v;
  v.sku = id + "-SKU";
  v.price = Money{500, "USD"};
  p.variants.push_back(v);
  return p;
}

}  // namespace

TEST_CASE("Engine::open rejects bad options", "[engine]") {
  auto driver = GENERATE(as<std::string>{}, "lmdb", "sqlite");
  CAPTURE(driver);
  TempDir dir;

  auto empty = Engine::open(Options("", driver));
  CHECK(empty.status().code() == Code::kInvalidArgument);
  CHECK(empty.status().message().find("path") != std::string::npos);

  auto unknown = Engine::open(Options(dir.sub("store"), "rocksdb-" + driver));
  CHECK(unknown.status().code() == Code::kInvalidArgument);
  CHECK(unknown.status().message().find("rocksdb-" + driver) != std::string::npos);

  const std::string file = dir.sub("a-file");
  std::ofstream(file) << "not a directory\n";
  auto on_file = Engine::open(Options(file, driver));
  CHECK(on_file.status().code() == Code::kUnavailable);
  CHECK(on_file.status().message().find(file) != std::string::npos);

  // Under a file: the directory cannot be made.
  auto under_file = Engine::open(Options(file + "/store", driver));
  CHECK(under_file.status().code() == Code::kUnavailable);

  // The consumers' lease outside 200 ms .. 1 hour; nothing is created.
  for (auto ttl : {std::chrono::milliseconds(199), std::chrono::milliseconds(0),
                   std::chrono::milliseconds(3'600'001)}) {
    EngineOptions o = Options(dir.sub("lease"), driver);
    o.consumer_lease_ttl = ttl;
    auto bad = Engine::open(o);
    CHECK(bad.status().code() == Code::kInvalidArgument);
    CHECK(bad.status().message().find("consumer_lease_ttl") != std::string::npos);
  }
  CHECK_FALSE(std::filesystem::exists(dir.sub("lease")));
}

TEST_CASE("a store open in this process cannot be opened again until closed", "[engine]") {
  auto driver = GENERATE(as<std::string>{}, "lmdb", "sqlite");
  CAPTURE(driver);
  TempDir dir;
  const std::string path = dir.sub("store");
  auto first = OpenEngine(path, driver);
  REQUIRE(first->catalog().upsert(MakeProduct("p1")).ok());

  auto second = Engine::open(Options(path, driver));
  CHECK(second.status().code() == Code::kUnavailable);
  CHECK(second.status().message().find(path) != std::string::npos);
  // The failed open did not disturb the first engine.
  CHECK(first->catalog().get("p1").ok());
  REQUIRE(first->catalog().upsert(MakeProduct("p2")).ok());

  REQUIRE(first->close().ok());
  first.reset();
  auto again = OpenEngine(path, driver);
  auto p1 = again->catalog().get("p1");
  REQUIRE(p1.ok());
  CHECK(p1->title == "Product p1");
  CHECK(again->catalog().get_by_sku("p2-SKU").ok());
  auto stats = again->catalog().stats();
  REQUIRE(stats.ok());
  CHECK(stats->products == 2);
  CHECK(again->events().last_seq().value_or(0) == 2);
  // The reopened store keeps counting from where it was.
  auto p3 = again->catalog().upsert(MakeProduct("p3"));
  REQUIRE(p3.ok());
  CHECK(again->events().last_seq().value_or(0) == 3);
}

TEST_CASE("reopen after destruction without close keeps every acknowledged write", "[engine]") {
  auto driver = GENERATE(as<std::string>{}, "lmdb", "sqlite");
  CAPTURE(driver);
  TempDir dir;
  Product stored;
  {
    auto engine = OpenEngine(dir.path(), driver);
    REQUIRE(engine->catalog().upsert_category({"phones", "Phones", ""}).ok());
    Product p = MakeProduct("p1");
    p.categories = {"phones"};
    REQUIRE(engine->catalog().upsert(p).ok());
    auto archived = engine->catalog().archive("p1");
    REQUIRE(archived.ok());
    stored = *archived;
  }  // ~Engine closes
  auto engine = OpenEngine(dir.path(), driver);
  auto got = engine->catalog().get("p1");
  REQUIRE(got.ok());
  CHECK(*got == stored);
  auto category = engine->catalog().get_category("phones");
  REQUIRE(category.ok());
  CHECK(category->name == "Phones");
  auto listed = engine->catalog().list_by_category("phones", {"", 10, true});
  REQUIRE(listed.ok());
  REQUIRE(listed->items.size() == 1);
  CHECK(listed->items[0] == stored);
  CHECK(engine->events().last_seq().value_or(0) == 3);
}

TEST_CASE("calls after close fail with FailedPrecondition", "[engine]") {
  auto driver = GENERATE(as<std::string>{}, "lmdb", "sqlite");
  CAPTURE(driver);
  TempDir dir;
  auto engine = OpenEngine(dir.path(), driver);
  REQUIRE(engine->catalog().upsert(MakeProduct("p1")).ok());
  REQUIRE(engine->close().ok());

  auto& catalog = engine->catalog();
  CHECK(catalog.get("p1").status().code() == Code::kFailedPrecondition);
  CHECK(catalog.get_by_sku("p1-SKU").status().code() == Code::kFailedPrecondition);
  CHECK(catalog.upsert(MakeProduct("p2")).status().code() == Code::kFailedPrecondition);
  CHECK(catalog.archive("p1").status().code() == Code::kFailedPrecondition);
  CHECK(catalog.list().status().code() == Code::kFailedPrecondition);
  CHECK(catalog.stats().status().code() == Code::kFailedPrecondition);
  CHECK(catalog.upsert_category({"c", "C", ""}).code() == Code::kFailedPrecondition);
  CHECK(catalog.list_categories().status().code() == Code::kFailedPrecondition);
  auto& events = engine->events();
  CHECK(events.last_seq().status().code() == Code::kFailedPrecondition);
  CHECK(events.tail(1).status().code() == Code::kFailedPrecondition);
  CHECK(events.cursor("c").status().code() == Code::kFailedPrecondition);
  CHECK(events.set_cursor("c", 0).code() == Code::kFailedPrecondition);
  CHECK(events.wait(0, std::chrono::milliseconds(10)).status().code() ==
        Code::kFailedPrecondition);

  TempDir import_dir;
  const std::string file = import_dir.sub("one.jsonl");
  std::ofstream(file) << R"({"id":"p9","title":"T","variants":[{"sku":"S9","price":1}]})" << "\n";
  auto report = catalog.import_file(file);
  CHECK(report.status().code() == Code::kFailedPrecondition);
}

TEST_CASE("close is idempotent and the destructor after close is harmless", "[engine]") {
  auto driver = GENERATE(as<std::string>{}, "lmdb", "sqlite");
  CAPTURE(driver);
  TempDir dir;
  auto engine = OpenEngine(dir.path(), driver);
  REQUIRE(engine->catalog().upsert(MakeProduct("p1")).ok());
  REQUIRE(engine->close().ok());
  // Both drivers treat a second close as done already.
  CHECK(engine->close().ok());
  CHECK(engine->catalog().get("p1").status().code() == Code::kFailedPrecondition);
  engine.reset();
  auto again = OpenEngine(dir.path(), driver);
  CHECK(again->catalog().get("p1").ok());
}

TEST_CASE("a product record that does not decode is Corruption naming the product", "[engine]") {
  auto driver = GENERATE(as<std::string>{}, "lmdb", "sqlite");
  CAPTURE(driver);
  TempDir dir;
  auto engine = OpenEngine(dir.path(), driver);
  REQUIRE(engine->catalog().upsert(MakeProduct("good")).ok());
  REQUIRE(engine->catalog().upsert(MakeProduct("broken-1")).ok());

  auto table = engine->storage().table("products");
  REQUIRE(table.ok());
  const std::string key = commerce::KeyBuilder().str("broken-1").key();
  const commerce::Table products = *table;
  // A read by SKU reads the copy in sku_products (checked on its own:
  // catalog_sku_products_test.cpp), so that copy is damaged alike.
  auto projection = engine->storage().table("sku_products");
  REQUIRE(projection.ok());
  REQUIRE(engine->storage()
              .write([&](commerce::WriteTxn& txn) {
                COMMERCE_RETURN_IF_ERROR(txn.put(*projection, commerce::KeyBuilder().str("broken-1-SKU").key(),
                                                 std::string("\x07garbage\xff\xfe", 10)));
                return txn.put(products, key, std::string("\x07garbage\xff\xfe", 10));
              })
              .ok());

  auto got = engine->catalog().get("broken-1");
  CHECK(got.status().code() == Code::kCorruption);
  CHECK(got.status().message().find("broken-1") != std::string::npos);
  auto by_sku = engine->catalog().get_by_sku("broken-1-SKU");
  CHECK(by_sku.status().code() == Code::kCorruption);
  CHECK(by_sku.status().message().find("broken-1") != std::string::npos);
  // The other product is unaffected.
  CHECK(engine->catalog().get("good").ok());
  // Listing over it reports the corruption rather than skipping or crashing.
  CHECK(engine->catalog().list({"", 100, true}).status().code() == Code::kCorruption);
  // Overwriting it is refused too: the old SKUs cannot be known.
  auto upsert = engine->catalog().upsert(MakeProduct("broken-1"));
  CHECK(upsert.status().code() == Code::kCorruption);

  // An empty value is no better than garbage.
  REQUIRE(engine->storage()
              .write([&](commerce::WriteTxn& txn) { return txn.put(products, key, ""); })
              .ok());
  auto empty = engine->catalog().get("broken-1");
  CHECK(empty.status().code() == Code::kCorruption);
  CHECK(empty.status().message().find("broken-1") != std::string::npos);
}

// Categories are read through the one get-and-decode helper (catalog_store.h GetCategory,
// common/record.h) like every other record type: get_category, list_categories and an upsert
// over the record all answer Corruption naming the category.
TEST_CASE("a category record that does not decode is Corruption naming the category", "[engine]") {
  auto driver = GENERATE(as<std::string>{}, "lmdb", "sqlite");
  CAPTURE(driver);
  TempDir dir;
  auto engine = OpenEngine(dir.path(), driver);
  auto& catalog = engine->catalog();
  REQUIRE(catalog.upsert_category({"audio", "Audio", ""}).ok());
  REQUIRE(catalog.upsert_category({"audio/cables", "Cables", "audio"}).ok());
  REQUIRE(catalog.upsert_category({"audio/speakers", "Speakers", "audio"}).ok());

  auto table = engine->storage().table("categories");
  REQUIRE(table.ok());
  const commerce::Table categories = *table;
  const std::string key = commerce::KeyBuilder().str("audio/cables").key();
  REQUIRE(engine->storage()
              .write([&](commerce::WriteTxn& txn) {
                return txn.put(categories, key, std::string("\x07garbage\xff\xfe", 10));
              })
              .ok());

  auto got = catalog.get_category("audio/cables");
  CHECK(got.status().code() == Code::kCorruption);
  CHECK(got.status().message().find("category 'audio/cables'") != std::string::npos);
  auto children = catalog.list_categories("audio");
  CHECK(children.status().code() == Code::kCorruption);
  CHECK(children.status().message().find("category 'audio/cables'") != std::string::npos);
  auto upsert = catalog.upsert_category({"audio/cables", "Cables", "audio"});
  CHECK(upsert.code() == Code::kCorruption);
  CHECK(upsert.message().find("category 'audio/cables'") != std::string::npos);
  // The others are unaffected; an absent one is still NotFound.
  CHECK(catalog.get_category("audio/speakers").ok());
  CHECK(catalog.get_category("audio/none").status().code() == Code::kNotFound);
}

TEST_CASE("a store made by one driver is not opened as an empty store by the other",
          "[engine]") {
  auto made_by = GENERATE(as<std::string>{}, "lmdb", "sqlite");
  const std::string other = made_by == "lmdb" ? "sqlite" : "lmdb";
  CAPTURE(made_by);
  TempDir dir;
  {
    auto engine = OpenEngine(dir.path(), made_by);
    REQUIRE(engine->catalog().upsert(MakeProduct("p1")).ok());
  }
  {
    auto wrong = Engine::open(Options(dir.path(), other));
    CHECK_FALSE(wrong.ok());
    CHECK(wrong.status().message().find(made_by) != std::string::npos);
  }
  auto right = OpenEngine(dir.path(), made_by);
  CHECK(right->catalog().get("p1").ok());
}

TEST_CASE("category and event records that do not decode are Corruption", "[engine]") {
  auto driver = GENERATE(as<std::string>{}, "lmdb", "sqlite");
  CAPTURE(driver);
  TempDir dir;
  auto engine = OpenEngine(dir.path(), driver);
  REQUIRE(engine->catalog().upsert_category({"phones", "Phones", ""}).ok());  // event 1
  REQUIRE(engine->catalog().upsert(MakeProduct("p1")).ok());                 // event 2
  auto categories = engine->storage().table("categories");
  auto events = engine->storage().table("events");
  REQUIRE(categories.ok());
  REQUIRE(events.ok());
  const commerce::Table c = *categories, e = *events;
  REQUIRE(engine->storage()
              .write([&](commerce::WriteTxn& txn) -> commerce::Status {
                COMMERCE_RETURN_IF_ERROR(
                    txn.put(c, commerce::KeyBuilder().str("phones").key(), "\xff\xff\xff"));
                return txn.put(e, commerce::KeyBuilder().u64(1).key(), "\xff");
              })
              .ok());
  auto category = engine->catalog().get_category("phones");
  CHECK(category.status().code() == Code::kCorruption);
  CHECK(engine->catalog().list_categories().status().code() == Code::kCorruption);
  CHECK(engine->events().tail(1).status().code() == Code::kCorruption);
  // Event 2 is still readable on its own, and the log's end is known.
  auto tail = engine->events().tail(2);
  REQUIRE(tail.ok());
  REQUIRE(tail->size() == 1);
  CHECK((*tail)[0].subject == "p1");
  CHECK(engine->events().last_seq().value_or(0) == 2);
  // The products are not affected.
  CHECK(engine->catalog().get("p1").ok());
}

TEST_CASE("Corruption of a category or an event names the record", "[engine]") {
  auto driver = GENERATE(as<std::string>{}, "lmdb", "sqlite");
  CAPTURE(driver);
  TempDir dir;
  auto engine = OpenEngine(dir.path(), driver);
  REQUIRE(engine->catalog().upsert_category({"phones", "Phones", ""}).ok());
  auto categories = engine->storage().table("categories");
  auto events = engine->storage().table("events");
  REQUIRE(categories.ok());
  REQUIRE(events.ok());
  const commerce::Table c = *categories, e = *events;
  REQUIRE(engine->storage()
              .write([&](commerce::WriteTxn& txn) -> commerce::Status {
                COMMERCE_RETURN_IF_ERROR(
                    txn.put(c, commerce::KeyBuilder().str("phones").key(), "\xff\xff\xff"));
                return txn.put(e, commerce::KeyBuilder().u64(1).key(), "\xff");
              })
              .ok());
  auto category = engine->catalog().get_category("phones");
  INFO(category.status().ToString());
  CHECK(category.status().message().find("phones") != std::string::npos);
  auto tail = engine->events().tail(1);
  INFO(tail.status().ToString());
  CHECK(tail.status().message().find("events (1)") != std::string::npos);
}

TEST_CASE("an index entry naming the wrong record is Corruption, never the wrong record",
          "[engine][corruption]") {
  auto driver = GENERATE(as<std::string>{}, "lmdb", "sqlite");
  CAPTURE(driver);
  TempDir dir;
  auto engine = commerce::testing::OpenTestEngine(dir.path(), driver);
  const auto filled = commerce::testing::FillStore(*engine);
  commerce::Storage& s = engine->storage();
  auto put = [&](const char* table, const std::string& key, const std::string& value) {
    auto t = s.table(table);
    REQUIRE(t.ok());
    REQUIRE(s.write([&](commerce::WriteTxn& txn) { return txn.put(*t, key, value); }).ok());
  };
  // The SKU index sends P-0's first SKU to P-1 (an existing product without it), for a SKU
  // read through the index: one without an entry in sku_products (written before it existed).
  {
    auto t = s.table("sku_products");
    REQUIRE(t.ok());
    REQUIRE(s.write([&](commerce::WriteTxn& txn) {
      return txn.del(*t, commerce::KeyBuilder().str(filled.skus[0]).key());
    }).ok());
  }
  put("skus", commerce::KeyBuilder().str(filled.skus[0]).key(), filled.product_ids[1]);
  auto by_sku = engine->catalog().get_by_sku(filled.skus[0]);
  INFO(by_sku.status().ToString());
  CHECK(by_sku.status().code() == Code::kCorruption);
  CHECK(by_sku.status().message().find("skus (\"" + filled.skus[0] + "\")") != std::string::npos);

  // The email index names another existing customer.
  commerce::Customer other;
  other.id = "cus-other";
  other.email = "other@example.com";
  other.name = "Other";
  REQUIRE(engine->customers().create(other).ok());
  put("customer_emails", commerce::KeyBuilder().str("fill@example.com").key(), "cus-other");
  auto by_email = engine->customers().get_by_email("Fill@Example.com");
  INFO(by_email.status().ToString());
  CHECK(by_email.status().code() == Code::kCorruption);
  CHECK(by_email.status().message().find("customer_emails") != std::string::npos);

  // Every entry of the customer's order index names the first order.
  auto txn = s.read();
  REQUIRE(txn.ok());
  auto rows = (*txn)->scan(*s.table("customer_orders"), "", "", 0);
  REQUIRE(rows.ok());
  REQUIRE(rows->size() == filled.order_ids.size());
  txn->reset();
  for (const auto& kv : *rows) put("customer_orders", kv.key, filled.order_ids[0]);
  auto listed = engine->orders().list_by_customer(filled.customer_id);
  INFO(listed.status().ToString());
  CHECK(listed.status().code() == Code::kCorruption);
  CHECK(listed.status().message().find("customer_orders") != std::string::npos);
}

TEST_CASE("create_if_missing = false opens existing stores only and creates nothing",
          "[engine]") {
  auto driver = GENERATE(as<std::string>{}, "lmdb", "sqlite");
  CAPTURE(driver);
  TempDir dir;
  EngineOptions read_only = Options(dir.path() + "/typo", driver);
  read_only.create_if_missing = false;

  // A directory that does not exist: NotFound naming it, and it is still absent.
  auto missing = Engine::open(read_only);
  REQUIRE(missing.status().code() == Code::kNotFound);
  CHECK(missing.status().message().find(dir.path() + "/typo") != std::string::npos);
  CHECK_FALSE(std::filesystem::exists(dir.path() + "/typo"));

  // A directory that holds no store: NotFound, and it stays empty.
  std::filesystem::create_directory(dir.path() + "/typo");
  CHECK(Engine::open(read_only).status().code() == Code::kNotFound);
  CHECK(std::filesystem::is_empty(dir.path() + "/typo"));

  // A store made with the default (create_if_missing = true) opens, with its data.
  {
    auto engine = OpenEngine(dir.path() + "/typo", driver);
    REQUIRE(engine->catalog().upsert(MakeProduct("p1")).ok());
  }
  auto existing = Engine::open(read_only);
  INFO(existing.status().ToString());
  REQUIRE(existing.ok());
  CHECK((*existing)->catalog().get("p1").ok());
}

}  // namespace engine_engine_test
