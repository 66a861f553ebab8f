// Tests of the SKU -> product projection (`sku_products`, catalog/catalog_store.h,
// GetProductBySku), on every driver: each SKU holds its product's record byte for byte, moved
// and removed in the commit that changes the product; a product written before the table
// existed is read through `skus` and `products`; a damaged or mismatched projection is
// Corruption naming sku_products (never a read of `products` instead); readers beside writers
// only ever see whole records.
#include <atomic>
#include <functional>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

#include "commerce/catalog.h"
#include "commerce/engine.h"
#include "common/key.h"
#include "engine/engine_core.h"
#include "pg_test_cluster.h"
#include "test_dir.h"
#include "test_engine.h"

namespace catalog_sku_products_test {

namespace {

using commerce::Code;
using commerce::Engine;
using commerce::KeyBuilder;
using commerce::Product;
using commerce::Status;
using commerce::WriteTxn;
using commerce::testing::TempDir;

std::unique_ptr<Engine> Open(const std::string& path, const std::string& driver) {
  auto o = commerce::testing::QuietEngineOptions(path);
  commerce::testing::UseTestDriver(o, driver, "sku_products");
  auto e = Engine::open(o);
  INFO(e.status().ToString());
  REQUIRE(e.ok());
  return std::move(e).value();
}

Product Make(const std::string& id, std::vector<std::string> skus) {
  Product p;
  p.id = id;
  p.title = "Product " + id;
  for (auto& s : skus) p.variants.push_back({.sku = std::move(s), .price = {1999, "USD"}});
  return p;
}

// The raw value under `key` in the engine's table named `table`, or nullopt.
std::optional<std::string> Raw(Engine& e, const char* table, const std::string& key) {
  auto t = e.storage().table(table);
  REQUIRE(t.ok());
  auto txn = e.storage().read();
  REQUIRE(txn.ok());
  std::string_view v;
  Status s = (*txn)->get(*t, key, &v);
  if (s.IsNotFound()) return std::nullopt;
  REQUIRE(s.ok());
  return std::string(v);
}

std::string Key(const std::string& s) { return KeyBuilder().str(s).key(); }

// A write through the storage seam, as an older engine or damage would leave the store.
void Poke(Engine& e, const std::function<Status(WriteTxn&, const commerce::Tables&)>& m) {
  commerce::Tables t;
  for (const auto& [member, name] : commerce::kTableNames) {
    auto table = e.storage().table(name);
    REQUIRE(table.ok());
    t.*member = *table;
  }
  Status s = e.storage().write([&](WriteTxn& txn) { return m(txn, t); });
  INFO(s.ToString());
  REQUIRE(s.ok());
}

}  // namespace

TEST_CASE("sku_products: each SKU holds its product's record and moves with it", "[catalog][sku_products]") {
  for (const std::string& driver : commerce::testing::TestStorageDrivers()) {
    CAPTURE(driver);
    TempDir dir;
    auto e = Open(dir.path(), driver);
    auto& catalog = e->catalog();
    REQUIRE(catalog.upsert(Make("P", {"A", "B"})).ok());
    auto record = Raw(*e, "products", Key("P"));
    REQUIRE(record);
    CHECK(Raw(*e, "sku_products", Key("A")) == record);
    CHECK(Raw(*e, "sku_products", Key("B")) == record);

    // B kept, A removed, C added: one commit moves all of them.
    REQUIRE(catalog.upsert(Make("P", {"B", "C"})).ok());
    record = Raw(*e, "products", Key("P"));
    CHECK(!Raw(*e, "sku_products", Key("A")));
    CHECK(Raw(*e, "sku_products", Key("B")) == record);
    CHECK(Raw(*e, "sku_products", Key("C")) == record);
    CHECK(catalog.get_by_sku("A").status().code() == Code::kNotFound);
    auto c = catalog.get_by_sku("C");
    REQUIRE(c.ok());
    CHECK(c->version == 2);
    CHECK(*c == *catalog.get("P"));

    // A freed SKU taken by another product reads as that product.
    REQUIRE(catalog.upsert(Make("Q", {"A"})).ok());
    auto a = catalog.get_by_sku("A");
    REQUIRE(a.ok());
    CHECK(a->id == "Q");

    // Archiving rewrites the record, projection included.
    REQUIRE(catalog.archive("P").ok());
    auto archived = catalog.get_by_sku("B");
    REQUIRE(archived.ok());
    CHECK(archived->status == commerce::ProductStatus::kArchived);
    CHECK(Raw(*e, "sku_products", Key("B")) == Raw(*e, "products", Key("P")));

    // An unchanged upsert writes nothing, the projection neither.
    const auto before = Raw(*e, "sku_products", Key("A"));
    REQUIRE(catalog.upsert(Make("Q", {"A"})).ok());
    CHECK(Raw(*e, "sku_products", Key("A")) == before);
  }
}

TEST_CASE("sku_products: a product written before the projection existed reads through skus",
          "[catalog][sku_products]") {
  for (const std::string& driver : commerce::testing::TestStorageDrivers()) {
    CAPTURE(driver);
    TempDir dir;
    auto e = Open(dir.path(), driver);
    auto& catalog = e->catalog();
    REQUIRE(catalog.upsert(Make("OLD", {"O-1", "O-2"})).ok());
    // What an engine before the projection left: skus and products, no sku_products.
    Poke(*e, [](WriteTxn& txn, const commerce::Tables& t) {
      COMMERCE_RETURN_IF_ERROR(txn.del(t.sku_products, Key("O-1")));
      return txn.del(t.sku_products, Key("O-2"));
    });
    auto old = catalog.get_by_sku("O-2");
    INFO(old.status().ToString());
    REQUIRE(old.ok());
    CHECK(old->id == "OLD");
    CHECK(catalog.get_by_sku("NONE").status().code() == Code::kNotFound);
    auto verified = e->verify({});
    REQUIRE(verified.ok());
    INFO(verified->ToText());
    CHECK(verified->ok());

    // The next write of the product gives it its projection.
    Product changed = *old;
    changed.title = "Old, rewritten";
    REQUIRE(catalog.upsert(changed).ok());
    CHECK(Raw(*e, "sku_products", Key("O-1")) == Raw(*e, "products", Key("OLD")));
    CHECK(catalog.get_by_sku("O-1")->title == "Old, rewritten");
  }
}

TEST_CASE("sku_products: a damaged or mismatched projection is Corruption naming it",
          "[catalog][sku_products][corruption]") {
  auto driver = GENERATE(from_range(commerce::testing::TestStorageDrivers()));
  CAPTURE(driver);
  {
    TempDir dir;
    auto e = Open(dir.path(), driver);
    auto& catalog = e->catalog();
    REQUIRE(catalog.upsert(Make("P", {"A"})).ok());
    REQUIRE(catalog.upsert(Make("Q", {"B"})).ok());

    SECTION("a flipped byte fails the checksum; products still reads") {
      Poke(*e, [](WriteTxn& txn, const commerce::Tables& t) -> Status {
        std::string_view v;
        COMMERCE_RETURN_IF_ERROR(txn.get(t.sku_products, Key("A"), &v));
        std::string bad(v);
        bad.back() ^= 0x10;
        return txn.put(t.sku_products, Key("A"), bad);
      });
      auto got = catalog.get_by_sku("A");
      INFO(got.status().ToString());
      CHECK(got.status().code() == Code::kCorruption);
      CHECK(got.status().message().find("sku_products") != std::string::npos);
      CHECK(got.status().message().find("checksum mismatch") != std::string::npos);
      CHECK(catalog.get("P").ok());
      CHECK(catalog.get_by_sku("B").ok());
    }
    SECTION("a sound record of a product without the SKU") {
      Poke(*e, [](WriteTxn& txn, const commerce::Tables& t) -> Status {
        std::string_view v;
        COMMERCE_RETURN_IF_ERROR(txn.get(t.products, Key("Q"), &v));
        return txn.put(t.sku_products, Key("A"), std::string(v));
      });
      auto got = catalog.get_by_sku("A");
      INFO(got.status().ToString());
      CHECK(got.status().code() == Code::kCorruption);
      CHECK(got.status().message().find("sku_products") != std::string::npos);
      CHECK(got.status().message().find("no such variant") != std::string::npos);
    }
    SECTION("bytes that are no record") {
      Poke(*e, [](WriteTxn& txn, const commerce::Tables& t) {
        return txn.put(t.sku_products, Key("A"), "not a record");
      });
      CHECK(catalog.get_by_sku("A").status().code() == Code::kCorruption);
    }
  }
}

TEST_CASE("sku_products: readers beside writers see whole records, equal to products at the end",
          "[catalog][sku_products][concurrency]") {
  for (const std::string& driver : commerce::testing::TestStorageDrivers()) {
    CAPTURE(driver);
    TempDir dir;
    auto e = Open(dir.path(), driver);
    auto& catalog = e->catalog();
    constexpr int kProducts = 4;
    for (int i = 0; i < kProducts; ++i) {
      Product p = Make("P" + std::to_string(i), {"S" + std::to_string(i) + "-a", "S" + std::to_string(i) + "-b"});
      p.title = "title-1";
      REQUIRE(catalog.upsert(p).ok());
    }
    std::atomic<bool> stop{false};
    std::atomic<int> bad{0}, reads{0}, writes{0};
    std::vector<std::thread> threads;
    // Writers: each rewrites its product with a title naming the version it will have.
    for (int w = 0; w < 2; ++w)
      threads.emplace_back([&, w] {
        for (int n = 0; n < 60; ++n) {
          const std::string id = "P" + std::to_string((w + n) % kProducts);
          auto p = catalog.get(id);
          if (!p.ok()) { ++bad; continue; }
          Product next = *p;
          next.title = "title-" + std::to_string(p->version + 1);
          auto s = catalog.upsert(next, {.if_version = p->version});
          if (s.ok()) ++writes;
          else if (s.status().code() != Code::kConflict) ++bad;
        }
      });
    // Readers: every product read by SKU is whole (its title names its own version).
    for (int r = 0; r < 2; ++r)
      threads.emplace_back([&, r] {
        for (int n = 0; !stop.load() || n < 200; ++n) {
          const int i = (r + n) % kProducts;
          auto p = catalog.get_by_sku("S" + std::to_string(i) + (n % 2 ? "-a" : "-b"));
          if (!p.ok() || p->title != "title-" + std::to_string(p->version)) ++bad;
          ++reads;
          if (n > 100000) break;
        }
      });
    for (int w = 0; w < 2; ++w) threads[w].join();
    stop = true;
    for (size_t k = 2; k < threads.size(); ++k) threads[k].join();
    CHECK(bad == 0);
    CHECK(writes > 0);
    CHECK(reads >= 400);
    for (int i = 0; i < kProducts; ++i)
      for (const char* side : {"-a", "-b"})
        CHECK(Raw(*e, "sku_products", Key("S" + std::to_string(i) + side)) ==
              Raw(*e, "products", Key("P" + std::to_string(i))));
  }
}

}  // namespace catalog_sku_products_test
