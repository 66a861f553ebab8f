// Tests of the catalog engine (src/catalog/catalog.cpp, src/catalog/catalog_store.cpp) through
// the public API, on every local driver: writes and reads, optimistic concurrency, SKU
// ownership, categories, listings with cursors, counters, the rejection of bad input before
// anything is written, and concurrent writers.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <functional>
#include <latch>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

#include "commerce/catalog.h"
#include "commerce/engine.h"
#include "commerce/events.h"
#include "commerce/money.h"
#include "engine/engine_core.h"
#include "test_dir.h"
#include "test_engine.h"

namespace catalog_catalog_test {

namespace {

using commerce::Catalog;
using commerce::CatalogStats;
using commerce::Category;
using commerce::Code;
using commerce::Engine;
using commerce::ListOptions;
using commerce::Money;
using commerce::Product;
using commerce::ProductStatus;
using commerce::Variant;
using commerce::WriteCondition;
using commerce::testing::TempDir;

Category Cat(std::string id, std::string name, std::string parent_id = "") {
  return Category{std::move(id), std::move(name), std::move(parent_id)};
}

ListOptions Opts(size_t limit, bool include_archived = false) {
  ListOptions o;
  o.limit = limit;
  o.include_archived = include_archived;
  return o;
}

Variant MakeVariant(std::string sku, int64_t minor = 1999, std::string currency = "USD") {
  Variant v;
  v.sku = std::move(sku);
  v.price = Money{minor, std::move(currency)};
  return v;
}

// A valid product with one variant per SKU (by default one SKU: "<id>-SKU").
Product MakeProduct(const std::string& id, std::vector<std::string> skus = {},
                    std::vector<std::string> categories = {}) {
  Product p;
  p.id = id;
  p.title = "Product " + id;
  if (skus.empty()) skus.push_back(id + "-SKU");
  for (auto& s : skus) p.variants.push_back(MakeVariant(std::move(s)));
  p.categories = std::move(categories);
  return p;
}

// Everything a failed write must leave as it was.
struct Snapshot {
  CatalogStats stats;
  uint64_t last_seq = 0;
};

Snapshot Take(Engine& e) {
  auto stats = e.catalog().stats();
  REQUIRE(stats.ok());
  auto seq = e.events().last_seq();
  REQUIRE(seq.ok());
  return {*stats, *seq};
}

void RequireUnchanged(Engine& e, const Snapshot& before) {
  Snapshot now = Take(e);
  CHECK(now.stats.products == before.stats.products);
  CHECK(now.stats.skus == before.stats.skus);
  CHECK(now.stats.categories == before.stats.categories);
  CHECK(now.last_seq == before.last_seq);
}

// The product as the caller gave it, with the engine-set fields cleared.
Product WithoutEngineFields(Product p) {
  p.created_at_ms = 0;
  p.updated_at_ms = 0;
  p.version = 0;
  return p;
}

// Every page of a listing, following cursors; fails on a runaway loop.
template <typename ListFn>
std::vector<std::vector<Product>> AllPages(ListFn list, ListOptions o) {
  std::vector<std::vector<Product>> pages;
  for (int guard = 0; guard < 1000; ++guard) {
    auto page = list(o);
    INFO(page.status().ToString());
    REQUIRE(page.ok());
    pages.push_back(page->items);
    if (page->next_cursor.empty()) return pages;
    REQUIRE(page->next_cursor != o.cursor);
    o.cursor = page->next_cursor;
  }
  FAIL("listing did not end after 1000 pages");
  return pages;
}

std::vector<std::string> Ids(const std::vector<std::vector<Product>>& pages) {
  std::vector<std::string> ids;
  for (const auto& page : pages)
    for (const auto& p : page) ids.push_back(p.id);
  return ids;
}

}  // namespace

TEST_CASE("upsert then get and get_by_sku round-trip every field", "[catalog]") {
  auto driver = GENERATE(as<std::string>{}, "lmdb", "sqlite");
  CAPTURE(driver);
  TempDir dir;
  auto engine = commerce::testing::OpenTestEngine(dir.path(), driver);
  Catalog& catalog = engine->catalog();
  REQUIRE(catalog.upsert_category(Cat("shoes", "Shoes")).ok());
  REQUIRE(catalog.upsert_category(Cat("shoes/running", "Running")).ok());

  Product in;
  in.id = "trail-runner-2";
  in.title = "Trail Runner 2 — ünïcode ✓";
  in.description = "Line one.\nLine two\twith a tab.";
  in.brand = "Acme";
  in.categories = {"shoes/running"};
  in.options = {"size", "colour"};
  in.attributes = {{"material", "mesh"}, {"care", "hand wash\nonly"}};
  Variant a = MakeVariant("TR2-42-BLK", 4999, "EUR");
  a.options = {{"size", "42"}, {"colour", "black"}};
  a.barcode = "0123456789012";
  a.attributes = {{"weight_g", "310"}};
  Variant b = MakeVariant("TR2-43-RED", 0, "EUR");  // a free item is allowed
  b.options = {{"size", "43"}, {"colour", "red"}};
  in.variants = {a, b};
  in.status = ProductStatus::kDraft;
  in.popularity = 77;
  // Engine-set fields are ignored on input.
  in.version = 41;
  in.created_at_ms = 5;
  in.updated_at_ms = 6;

  const int64_t before = commerce::EngineCore::NowMs();
  auto stored = catalog.upsert(in);
  const int64_t after = commerce::EngineCore::NowMs();
  INFO(stored.status().ToString());
  REQUIRE(stored.ok());
  CHECK(WithoutEngineFields(*stored) == WithoutEngineFields(in));
  CHECK(stored->version == 1);
  CHECK(stored->created_at_ms >= before);
  CHECK(stored->created_at_ms <= after);
  CHECK(stored->updated_at_ms == stored->created_at_ms);

  auto got = catalog.get("trail-runner-2");
  REQUIRE(got.ok());
  CHECK(*got == *stored);
  for (const char* sku : {"TR2-42-BLK", "TR2-43-RED"}) {
    CAPTURE(sku);
    auto by_sku = catalog.get_by_sku(sku);
    REQUIRE(by_sku.ok());
    CHECK(*by_sku == *stored);
  }
  auto stats = catalog.stats();
  REQUIRE(stats.ok());
  CHECK(stats->products == 1);
  CHECK(stats->skus == 2);
  CHECK(stats->categories == 2);
}

TEST_CASE("a second upsert increments the version and keeps created_at", "[catalog]") {
  auto driver = GENERATE(as<std::string>{}, "lmdb", "sqlite");
  CAPTURE(driver);
  TempDir dir;
  auto engine = commerce::testing::OpenTestEngine(dir.path(), driver);
  Catalog& catalog = engine->catalog();

  auto v1 = catalog.upsert(MakeProduct("p1"));
  REQUIRE(v1.ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  Product change = MakeProduct("p1");
  change.title = "Renamed";
  auto v2 = catalog.upsert(change);
  REQUIRE(v2.ok());
  CHECK(v2->version == 2);
  CHECK(v2->title == "Renamed");
  CHECK(v2->created_at_ms == v1->created_at_ms);
  CHECK(v2->updated_at_ms > v1->updated_at_ms);
  auto got = catalog.get("p1");
  REQUIRE(got.ok());
  CHECK(*got == *v2);
  auto stats = catalog.stats();
  REQUIRE(stats.ok());
  CHECK(stats->products == 1);
  CHECK(stats->skus == 1);
}

TEST_CASE("an upsert that changes nothing writes nothing: no version, no event", "[catalog]") {
  auto driver = GENERATE(as<std::string>{}, "lmdb", "sqlite");
  CAPTURE(driver);
  TempDir dir;
  auto engine = commerce::testing::OpenTestEngine(dir.path(), driver);
  Catalog& catalog = engine->catalog();
  REQUIRE(catalog.upsert_category(Cat("shoes", "Shoes")).ok());

  Product p = MakeProduct("p1", {"A-1", "A-2"}, {"shoes"});
  p.attributes = {{"material", "mesh"}};
  auto v1 = catalog.upsert(p);
  REQUIRE(v1.ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  {
    Snapshot before = Take(*engine);
    // The same product, and the same with stale engine-set fields (as read back and resent).
    Product resent = *v1;
    resent.version = 77;
    resent.updated_at_ms = 1;
    for (const Product& same : {p, resent}) {
      auto again = catalog.upsert(same);
      REQUIRE(again.ok());
      CHECK(*again == *v1);  // the stored product: version 1, its timestamps
    }
    // With the current version as a condition: unchanged too; a stale one still conflicts.
    auto conditioned = catalog.upsert(p, WriteCondition{.if_version = 1});
    REQUIRE(conditioned.ok());
    CHECK(conditioned->version == 1);
    CHECK(catalog.upsert(p, WriteCondition{.if_version = 0}).status().code() == Code::kConflict);
    RequireUnchanged(*engine, before);
    auto got = catalog.get("p1");
    REQUIRE(got.ok());
    CHECK(*got == *v1);
  }
  // Any difference is a change: a variant's price, an attribute, the status, the order of
  // categories is not ignored either (it is the caller's order).
  Product cheaper = p;
  cheaper.variants[1].price.minor = 999;
  auto v2 = catalog.upsert(cheaper);
  REQUIRE(v2.ok());
  CHECK(v2->version == 2);
  CHECK(v2->updated_at_ms > v1->updated_at_ms);
  Product draft = cheaper;
  draft.status = ProductStatus::kDraft;
  auto v3 = catalog.upsert(draft);
  REQUIRE(v3.ok());
  CHECK(v3->version == 3);
  auto events = engine->events().tail(0, 100);
  REQUIRE(events.ok());
  size_t upserted = 0;
  for (const auto& e : *events) upserted += e.type == "ProductUpserted";
  CHECK(upserted == 3);  // v1, v2, v3: none for the unchanged upserts
}

TEST_CASE("if_version: stale conflicts, current succeeds, 0 means must not exist", "[catalog]") {
  auto driver = GENERATE(as<std::string>{}, "lmdb", "sqlite");
  CAPTURE(driver);
  TempDir dir;
  auto engine = commerce::testing::OpenTestEngine(dir.path(), driver);
  Catalog& catalog = engine->catalog();

  // 0 on a new product: OK.
  auto v1 = catalog.upsert(MakeProduct("p1"), WriteCondition{.if_version = 0});
  INFO(v1.status().ToString());
  REQUIRE(v1.ok());
  CHECK(v1->version == 1);
  // A version on a product that does not exist: Conflict, nothing written.
  {
    Snapshot before = Take(*engine);
    auto r = catalog.upsert(MakeProduct("p2"), WriteCondition{.if_version = 1});
    CHECK(r.status().code() == Code::kConflict);
    CHECK(catalog.get("p2").status().code() == Code::kNotFound);
    RequireUnchanged(*engine, before);
  }
  // 0 on an existing product: Conflict.
  {
    Snapshot before = Take(*engine);
    Product change = MakeProduct("p1");
    change.title = "must not land";
    auto r = catalog.upsert(change, WriteCondition{.if_version = 0});
    CHECK(r.status().code() == Code::kConflict);
    CHECK(r.status().message().find("p1") != std::string::npos);
    RequireUnchanged(*engine, before);
    auto got = catalog.get("p1");
    REQUIRE(got.ok());
    CHECK(*got == *v1);
  }
  // The current version: OK.
  Product renamed = MakeProduct("p1");
  renamed.title = "Renamed";
  auto v2 = catalog.upsert(renamed, WriteCondition{.if_version = 1});
  REQUIRE(v2.ok());
  CHECK(v2->version == 2);
  // A stale one: Conflict, the product stays at version 2.
  {
    Snapshot before = Take(*engine);
    Product change = MakeProduct("p1");
    change.title = "stale write";
    auto r = catalog.upsert(change, WriteCondition{.if_version = 1});
    CHECK(r.status().code() == Code::kConflict);
    RequireUnchanged(*engine, before);
    auto got = catalog.get("p1");
    REQUIRE(got.ok());
    CHECK(got->version == 2);
    CHECK(got->title == v2->title);
  }
  // A version from the future: Conflict too.
  CHECK(catalog.upsert(renamed, WriteCondition{.if_version = 3}).status().code() ==
        Code::kConflict);
  // archive honours it as well.
  CHECK(catalog.archive("p1", WriteCondition{.if_version = 1}).status().code() == Code::kConflict);
  auto archived = catalog.archive("p1", WriteCondition{.if_version = 2});
  REQUIRE(archived.ok());
  CHECK(archived->version == 3);
}

TEST_CASE("SKUs: moved between variants, freed by removal, owned by one product", "[catalog]") {
  auto driver = GENERATE(as<std::string>{}, "lmdb", "sqlite");
  CAPTURE(driver);
  TempDir dir;
  auto engine = commerce::testing::OpenTestEngine(dir.path(), driver);
  Catalog& catalog = engine->catalog();

  Product p1 = MakeProduct("p1", {"A", "B"});
  p1.options = {"size"};
  p1.variants[0].options = {{"size", "S"}};
  p1.variants[1].options = {{"size", "M"}};
  REQUIRE(catalog.upsert(p1).ok());

  SECTION("moving a SKU to another variant of the same product is fine") {
    Product moved = p1;
    moved.variants[0].sku = "C";  // size S gets a new SKU
    moved.variants[1].sku = "A";  // A now names size M
    auto r = catalog.upsert(moved);
    INFO(r.status().ToString());
    REQUIRE(r.ok());
    auto by_a = catalog.get_by_sku("A");
    REQUIRE(by_a.ok());
    CHECK(by_a->id == "p1");
    REQUIRE(by_a->variants.size() == 2);
    CHECK(by_a->variants[1].sku == "A");
    CHECK(by_a->variants[1].options.at("size") == "M");
    CHECK(catalog.get_by_sku("C").ok());
    CHECK(catalog.get_by_sku("B").status().code() == Code::kNotFound);
    auto stats = catalog.stats();
    REQUIRE(stats.ok());
    CHECK(stats->skus == 2);

    // Swapping two SKUs between variants is fine too.
    Product swapped = moved;
    std::swap(swapped.variants[0].sku, swapped.variants[1].sku);
    REQUIRE(catalog.upsert(swapped).ok());
    auto by_c = catalog.get_by_sku("C");
    REQUIRE(by_c.ok());
    CHECK(by_c->variants[1].sku == "C");
    stats = catalog.stats();
    REQUIRE(stats.ok());
    CHECK(stats->skus == 2);
  }

  SECTION("a SKU of another product is AlreadyExists and nothing is written") {
    Snapshot before = Take(*engine);
    auto r = catalog.upsert(MakeProduct("p2", {"Z", "B"}));
    CHECK(r.status().code() == Code::kAlreadyExists);
    CHECK(r.status().message().find("'B'") != std::string::npos);
    CHECK(r.status().message().find("p1") != std::string::npos);
    CHECK(catalog.get("p2").status().code() == Code::kNotFound);
    CHECK(catalog.get_by_sku("Z").status().code() == Code::kNotFound);
    auto owner = catalog.get_by_sku("B");
    REQUIRE(owner.ok());
    CHECK(owner->id == "p1");
    RequireUnchanged(*engine, before);

    // The same when the product exists: it keeps its old form.
    REQUIRE(catalog.upsert(MakeProduct("p3", {"D"})).ok());
    before = Take(*engine);
    Product p3 = MakeProduct("p3", {"D", "A"});
    p3.title = "must not land";
    CHECK(catalog.upsert(p3).status().code() == Code::kAlreadyExists);
    auto got = catalog.get("p3");
    REQUIRE(got.ok());
    CHECK(got->version == 1);
    CHECK(got->title == "Product p3");
    CHECK(got->variants.size() == 1);
    RequireUnchanged(*engine, before);
  }

  SECTION("removing a variant frees its SKU for another product") {
    Product fewer = p1;
    fewer.variants.pop_back();  // drops B
    REQUIRE(catalog.upsert(fewer).ok());
    CHECK(catalog.get_by_sku("B").status().code() == Code::kNotFound);
    auto a = catalog.get_by_sku("A");
    REQUIRE(a.ok());
    CHECK(a->id == "p1");
    auto p2 = catalog.upsert(MakeProduct("p2", {"B"}));
    INFO(p2.status().ToString());
    REQUIRE(p2.ok());
    auto b = catalog.get_by_sku("B");
    REQUIRE(b.ok());
    CHECK(b->id == "p2");
    auto stats = catalog.stats();
    REQUIRE(stats.ok());
    CHECK(stats->products == 2);
    CHECK(stats->skus == 2);
  }
}

TEST_CASE("archive keeps the product readable and its SKUs reserved", "[catalog]") {
  auto driver = GENERATE(as<std::string>{}, "lmdb", "sqlite");
  CAPTURE(driver);
  TempDir dir;
  auto engine = commerce::testing::OpenTestEngine(dir.path(), driver);
  Catalog& catalog = engine->catalog();
  REQUIRE(catalog.upsert(MakeProduct("p1", {"A"})).ok());
  const uint64_t seq_before = *engine->events().last_seq();

  auto archived = catalog.archive("p1");
  INFO(archived.status().ToString());
  REQUIRE(archived.ok());
  CHECK(archived->status == ProductStatus::kArchived);
  CHECK(archived->version == 2);

  auto events = engine->events().tail(seq_before + 1, 10);
  REQUIRE(events.ok());
  REQUIRE(events->size() == 1);
  CHECK((*events)[0].type == "ProductArchived");
  CHECK((*events)[0].subject == "p1");

  auto got = catalog.get("p1");
  REQUIRE(got.ok());
  CHECK(got->status == ProductStatus::kArchived);
  CHECK(*got == *archived);
  auto by_sku = catalog.get_by_sku("A");
  REQUIRE(by_sku.ok());
  CHECK(by_sku->id == "p1");
  CHECK(catalog.upsert(MakeProduct("p2", {"A"})).status().code() == Code::kAlreadyExists);
  CHECK(catalog.archive("nope").status().code() == Code::kNotFound);
  CHECK(catalog.archive("").status().code() == Code::kInvalidArgument);

  auto stats = catalog.stats();
  REQUIRE(stats.ok());
  CHECK(stats->products == 1);  // archived products still count
  CHECK(stats->skus == 1);
}

TEST_CASE("list pages over every product once, by id, skipping archived ones", "[catalog]") {
  auto driver = GENERATE(as<std::string>{}, "lmdb", "sqlite");
  CAPTURE(driver);
  TempDir dir;
  auto engine = commerce::testing::OpenTestEngine(dir.path(), driver);
  Catalog& catalog = engine->catalog();
  for (const char* c : {"a", "a/b", "a/b/c", "x"})
    REQUIRE(catalog.upsert_category(Cat(c, std::string("Cat ") + c)).ok());

  // Ids without padding, so that id order ("p-10" < "p-2") differs from creation order.
  // Product i is in a/b/c (i % 3 == 0), a/b (i % 3 == 1) or x (i % 3 == 2); every 25th
  // is in both a/b/c and x; every 7th is archived.
  constexpr int kProducts = 250;
  std::vector<std::string> all, active, under_a, under_abc, active_under_a;
  {
    std::vector<std::thread> threads;
    std::atomic<int> failures{0};
    for (int t = 0; t < 8; ++t) {
      threads.emplace_back([&, t] {
        for (int i = t; i < kProducts; i += 8) {
          std::vector<std::string> cats;
          if (i % 25 == 0) cats = {"a/b/c", "x"};
          else if (i % 3 == 0) cats = {"a/b/c"};
          else if (i % 3 == 1) cats = {"a/b"};
          else cats = {"x"};
          if (!catalog.upsert(MakeProduct("p-" + std::to_string(i), {}, cats)).ok()) ++failures;
          if (i % 7 == 0 && !catalog.archive("p-" + std::to_string(i)).ok()) ++failures;
        }
      });
    }
    for (auto& th : threads) th.join();
    REQUIRE(failures == 0);
  }
  for (int i = 0; i < kProducts; ++i) {
    std::string id = "p-" + std::to_string(i);
    all.push_back(id);
    const bool archived = i % 7 == 0;
    if (!archived) active.push_back(id);
    const bool in_abc = i % 25 == 0 || i % 3 == 0;
    const bool in_ab = in_abc || i % 3 == 1;
    if (in_ab) under_a.push_back(id);
    if (in_ab && !archived) active_under_a.push_back(id);
    if (in_abc) under_abc.push_back(id);
  }
  for (auto* v : {&all, &active, &under_a, &under_abc, &active_under_a}) std::sort(v->begin(), v->end());

  auto list = [&](ListOptions o) { return catalog.list(o); };
  auto list_a = [&](ListOptions o) { return catalog.list_by_category("a", o); };
  auto list_abc = [&](ListOptions o) { return catalog.list_by_category("a/b/c", o); };

  {  // list, active only
    auto pages = AllPages(list, Opts(100));
    REQUIRE(pages.size() >= 2);
    for (size_t i = 0; i + 1 < pages.size(); ++i) CHECK(pages[i].size() == 100);
    CHECK(Ids(pages) == active);
    for (const auto& page : pages)
      for (const auto& p : page) CHECK(p.status != ProductStatus::kArchived);
  }
  {  // list, archived included
    auto pages = AllPages(list, Opts(100, true));
    REQUIRE(pages.size() == 3);
    CHECK(pages[0].size() == 100);
    CHECK(pages[1].size() == 100);
    CHECK(pages[2].size() == 50);
    CHECK(Ids(pages) == all);
    // Listed products are whole products, equal to what get returns.
    auto got = catalog.get(pages[1][7].id);
    REQUIRE(got.ok());
    CHECK(*got == pages[1][7]);
  }
  {  // list, a limit that divides the count exactly ends with an empty cursor
    auto pages = AllPages(list, Opts(125, true));
    CHECK(Ids(pages) == all);
    CHECK(pages.size() <= 3);
  }
  {  // list_by_category includes sub-categories and lists each product once
    auto pages = AllPages(list_a, Opts(100, true));
    CHECK(Ids(pages) == under_a);
    auto active_pages = AllPages(list_a, Opts(100));
    CHECK(Ids(active_pages) == active_under_a);
    auto leaf = AllPages(list_abc, Opts(100, true));
    CHECK(Ids(leaf) == under_abc);
    for (const auto& page : leaf)
      for (const auto& p : page)
        CHECK(std::find(p.categories.begin(), p.categories.end(), "a/b/c") != p.categories.end());
  }
  {  // moving a product between categories moves it between listings
    Product p = MakeProduct("p-0", {}, {"x"});  // was in a/b/c and x
    REQUIRE(catalog.upsert(p).ok());
    auto leaf = AllPages(list_abc, Opts(1000, true));
    auto ids = Ids(leaf);
    CHECK(std::find(ids.begin(), ids.end(), "p-0") == ids.end());
    CHECK(ids.size() == under_abc.size() - 1);
    auto in_a = Ids(AllPages(list_a, Opts(1000, true)));
    CHECK(std::find(in_a.begin(), in_a.end(), "p-0") == in_a.end());
    auto in_x = Ids(AllPages([&](ListOptions o) { return catalog.list_by_category("x", o); },
                             Opts(1000, true)));
    CHECK(std::find(in_x.begin(), in_x.end(), "p-0") != in_x.end());
  }
  {  // bad listing arguments
    CHECK(catalog.list(Opts(0)).status().code() == Code::kInvalidArgument);
    CHECK(catalog.list(Opts(1001)).status().code() == Code::kInvalidArgument);
    CHECK(catalog.list(Opts(1000)).ok());
    CHECK(catalog.list_by_category("a", Opts(0)).status().code() == Code::kInvalidArgument);
    CHECK(catalog.list_by_category("a", Opts(1001)).status().code() == Code::kInvalidArgument);
    auto unknown = catalog.list_by_category("no-such-category");
    CHECK(unknown.status().code() == Code::kNotFound);
    CHECK(unknown.status().message().find("no-such-category") != std::string::npos);
  }
}

TEST_CASE("a product in a category and in its ancestor is listed there once", "[catalog]") {
  auto driver = GENERATE(as<std::string>{}, "lmdb", "sqlite");
  CAPTURE(driver);
  TempDir dir;
  auto engine = commerce::testing::OpenTestEngine(dir.path(), driver);
  Catalog& catalog = engine->catalog();
  for (const char* c : {"a", "a/b", "a/c"}) REQUIRE(catalog.upsert_category(Cat(c, c)).ok());
  REQUIRE(catalog.upsert(MakeProduct("p1", {}, {"a/b", "a", "a/c"})).ok());
  auto ids_in = [&](const char* category) {
    auto page = catalog.list_by_category(category, Opts(100, true));
    REQUIRE(page.ok());
    std::vector<std::string> ids;
    for (const auto& p : page->items) ids.push_back(p.id);
    return ids;
  };
  CHECK(ids_in("a") == std::vector<std::string>{"p1"});
  CHECK(ids_in("a/b") == std::vector<std::string>{"p1"});
  CHECK(ids_in("a/c") == std::vector<std::string>{"p1"});
  // Dropping a/b keeps it under a (named directly, and the parent of a/c).
  REQUIRE(catalog.upsert(MakeProduct("p1", {}, {"a/c"})).ok());
  CHECK(ids_in("a") == std::vector<std::string>{"p1"});
  CHECK(ids_in("a/b").empty());
  CHECK(ids_in("a/c") == std::vector<std::string>{"p1"});
  // No category at all: listed nowhere, still in list().
  REQUIRE(catalog.upsert(MakeProduct("p1")).ok());
  CHECK(ids_in("a").empty());
  CHECK(ids_in("a/c").empty());
  auto all = catalog.list();
  REQUIRE(all.ok());
  REQUIRE(all->items.size() == 1);
  CHECK(all->items[0].categories.empty());
}

TEST_CASE("archive of an archived product with a matching if_version changes nothing",
          "[catalog]") {
  auto driver = GENERATE(as<std::string>{}, "lmdb", "sqlite");
  CAPTURE(driver);
  TempDir dir;
  auto engine = commerce::testing::OpenTestEngine(dir.path(), driver);
  Catalog& catalog = engine->catalog();
  REQUIRE(catalog.upsert(MakeProduct("p1")).ok());
  auto archived = catalog.archive("p1");
  REQUIRE(archived.ok());
  REQUIRE(archived->version == 2);
  // Without a condition: a no-op, as documented by the code.
  Snapshot before = Take(*engine);
  auto again = catalog.archive("p1");
  REQUIRE(again.ok());
  CHECK(again->version == 2);
  RequireUnchanged(*engine, before);
  // With the right condition: the same no-op is expected.
  auto conditional = catalog.archive("p1", WriteCondition{.if_version = 2});
  REQUIRE(conditional.ok());
  CHECK(conditional->version == 2);
  RequireUnchanged(*engine, before);
}

TEST_CASE("categories: roots, children, missing parents, parent mismatch", "[catalog]") {
  auto driver = GENERATE(as<std::string>{}, "lmdb", "sqlite");
  CAPTURE(driver);
  TempDir dir;
  auto engine = commerce::testing::OpenTestEngine(dir.path(), driver);
  Catalog& catalog = engine->catalog();

  REQUIRE(catalog.upsert_category(Cat("cell-phones", "Cell Phones")).ok());
  REQUIRE(catalog.upsert_category(Cat("audio", "Audio")).ok());
  REQUIRE(catalog.upsert_category(Cat("cell-phones/prepaid-phones", "Prepaid Phones", "cell-phones")).ok());
  REQUIRE(catalog.upsert_category(Cat("cell-phones/cases", "Cases")).ok());

  auto child = catalog.get_category("cell-phones/prepaid-phones");
  REQUIRE(child.ok());
  CHECK(child->name == "Prepaid Phones");
  CHECK(child->parent_id == "cell-phones");
  auto cases = catalog.get_category("cell-phones/cases");
  REQUIRE(cases.ok());
  CHECK(cases->parent_id == "cell-phones");  // derived when not given
  auto root = catalog.get_category("audio");
  REQUIRE(root.ok());
  CHECK(root->parent_id.empty());
  CHECK(catalog.get_category("nope").status().code() == Code::kNotFound);

  {
    Snapshot before = Take(*engine);
    auto orphan = catalog.upsert_category(Cat("tv/oled", "OLED"));
    CHECK(orphan.code() == Code::kNotFound);
    CHECK(orphan.message().find("tv") != std::string::npos);
    CHECK(catalog.get_category("tv/oled").status().code() == Code::kNotFound);
    auto mismatch = catalog.upsert_category(
        Cat("cell-phones/unlocked", "Unlocked", "audio"));
    CHECK(mismatch.code() == Code::kInvalidArgument);
    CHECK(mismatch.message().find("parent_id") != std::string::npos);
    CHECK(catalog.get_category("cell-phones/unlocked").status().code() == Code::kNotFound);
    CHECK(catalog.upsert_category(Cat("Not A Slug", "x")).code() ==
          Code::kInvalidArgument);
    CHECK(catalog.upsert_category(Cat("", "x")).code() == Code::kInvalidArgument);
    CHECK(catalog.upsert_category(Cat("ok", "")).code() == Code::kInvalidArgument);
    RequireUnchanged(*engine, before);
  }

  auto roots = catalog.list_categories();
  REQUIRE(roots.ok());
  REQUIRE(roots->size() == 2);
  CHECK((*roots)[0].id == "audio");
  CHECK((*roots)[1].id == "cell-phones");
  auto children = catalog.list_categories("cell-phones");
  REQUIRE(children.ok());
  REQUIRE(children->size() == 2);
  CHECK((*children)[0].id == "cell-phones/cases");
  CHECK((*children)[1] == *child);
  auto leaves = catalog.list_categories("audio");
  REQUIRE(leaves.ok());
  CHECK(leaves->empty());

  // Renaming keeps the count and the tree.
  REQUIRE(catalog.upsert_category(Cat("audio", "Audio & Sound")).ok());
  auto renamed = catalog.get_category("audio");
  REQUIRE(renamed.ok());
  CHECK(renamed->name == "Audio & Sound");
  roots = catalog.list_categories();
  REQUIRE(roots.ok());
  CHECK(roots->size() == 2);
  auto stats = catalog.stats();
  REQUIRE(stats.ok());
  CHECK(stats->categories == 4);
}

TEST_CASE("upsert into a category that does not exist is NotFound and writes nothing",
          "[catalog]") {
  auto driver = GENERATE(as<std::string>{}, "lmdb", "sqlite");
  CAPTURE(driver);
  TempDir dir;
  auto engine = commerce::testing::OpenTestEngine(dir.path(), driver);
  Catalog& catalog = engine->catalog();
  REQUIRE(catalog.upsert_category(Cat("shoes", "Shoes")).ok());
  Snapshot before = Take(*engine);
  auto r = catalog.upsert(MakeProduct("p1", {"A"}, {"shoes", "hats"}));
  CHECK(r.status().code() == Code::kNotFound);
  CHECK(r.status().message().find("hats") != std::string::npos);
  CHECK(catalog.get("p1").status().code() == Code::kNotFound);
  CHECK(catalog.get_by_sku("A").status().code() == Code::kNotFound);
  auto listed = catalog.list_by_category("shoes", Opts(50, true));
  REQUIRE(listed.ok());
  CHECK(listed->items.empty());
  RequireUnchanged(*engine, before);
}

TEST_CASE("stats count products, SKUs and categories through every kind of write",
          "[catalog]") {
  auto driver = GENERATE(as<std::string>{}, "lmdb", "sqlite");
  CAPTURE(driver);
  TempDir dir;
  auto engine = commerce::testing::OpenTestEngine(dir.path(), driver);
  Catalog& catalog = engine->catalog();
  auto expect = [&](uint64_t products, uint64_t skus, uint64_t categories) {
    auto s = catalog.stats();
    REQUIRE(s.ok());
    CHECK(s->products == products);
    CHECK(s->skus == skus);
    CHECK(s->categories == categories);
  };
  expect(0, 0, 0);
  REQUIRE(catalog.upsert_category(Cat("c", "C")).ok());
  REQUIRE(catalog.upsert_category(Cat("c", "C")).ok());  // unchanged
  REQUIRE(catalog.upsert_category(Cat("c/d", "D")).ok());
  expect(0, 0, 2);
  REQUIRE(catalog.upsert(MakeProduct("p1", {"A", "B"}, {"c/d"})).ok());
  expect(1, 2, 2);
  REQUIRE(catalog.upsert(MakeProduct("p2", {"C"})).ok());
  expect(2, 3, 2);
  REQUIRE(catalog.upsert(MakeProduct("p1", {"A", "B", "E", "F"})).ok());  // adds two
  expect(2, 5, 2);
  REQUIRE(catalog.upsert(MakeProduct("p1", {"F"})).ok());  // removes three
  expect(2, 2, 2);
  REQUIRE(catalog.upsert(MakeProduct("p1", {"G"})).ok());  // replaces one
  expect(2, 2, 2);
  REQUIRE(catalog.archive("p2").ok());
  expect(2, 2, 2);
  REQUIRE(catalog.archive("p2").ok());  // already archived
  expect(2, 2, 2);
  REQUIRE(catalog.upsert(MakeProduct("p3", {"A", "B"})).ok());  // freed SKUs reused
  expect(3, 4, 2);
  // Failed writes leave the counters alone.
  CHECK(catalog.upsert(MakeProduct("p4", {"G"})).status().code() == Code::kAlreadyExists);
  CHECK(catalog.upsert(MakeProduct("p4", {"H"}, {"nope"})).status().code() == Code::kNotFound);
  CHECK(catalog.upsert(MakeProduct("p3", {"A", "B", "H"}), WriteCondition{.if_version = 7})
            .status()
            .code() == Code::kConflict);
  expect(3, 4, 2);
}

namespace {

struct BadCase {
  const char* name;
  std::function<void(Product&)> spoil;
  const char* field;  // the message must start with "<field>: "
};

}  // namespace

TEST_CASE("bad input is InvalidArgument naming the field, and nothing is written",
          "[catalog]") {
  auto driver = GENERATE(as<std::string>{}, "lmdb", "sqlite");
  CAPTURE(driver);
  TempDir dir;
  auto engine = commerce::testing::OpenTestEngine(dir.path(), driver);
  Catalog& catalog = engine->catalog();
  // Something in the store, so that "unchanged" is not "all zero".
  auto seed = catalog.upsert(MakeProduct("seed", {"SEED-1"}));
  REQUIRE(seed.ok());

  const std::vector<BadCase> cases = {
      {"empty id", [](Product& p) { p.id = ""; }, "id"},
      {"65-byte id", [](Product& p) { p.id = std::string(65, 'x'); }, "id"},
      {"id with a control character", [](Product& p) { p.id = "bad\x01id"; }, "id"},
      {"id with a slash", [](Product& p) { p.id = "bad/id"; }, "id"},
      {"id with a trailing space", [](Product& p) { p.id = "bad "; }, "id"},
      {"empty sku", [](Product& p) { p.variants[0].sku = ""; }, "variants[0].sku"},
      {"65-byte sku", [](Product& p) { p.variants[0].sku = std::string(65, 'S'); },
       "variants[0].sku"},
      {"sku with a newline", [](Product& p) { p.variants[0].sku = "S\nKU"; }, "variants[0].sku"},
      {"empty title", [](Product& p) { p.title = ""; }, "title"},
      {"title with a tab", [](Product& p) { p.title = "a\ttitle"; }, "title"},
      {"invalid UTF-8 in the title", [](Product& p) { p.title = "caf\xC3\x28"; }, "title"},
      {"overlong UTF-8 in the title", [](Product& p) { p.title = "x\xC0\xAF"; }, "title"},
      {"negative price", [](Product& p) { p.variants[0].price.minor = -1; },
       "variants[0].price"},
      {"price past kMaxMoneyMinor",
       [](Product& p) { p.variants[0].price.minor = commerce::kMaxMoneyMinor + 1; },
       "variants[0].price"},
      {"unknown currency", [](Product& p) { p.variants[0].price.currency = "XXZ"; },
       "variants[0].currency"},
      {"lower-case currency", [](Product& p) { p.variants[0].price.currency = "usd"; },
       "variants[0].currency"},
      {"two currencies",
       [](Product& p) { p.variants.push_back(MakeVariant("OTHER", 100, "EUR")); },
       "variants[1].currency"},
      {"duplicate SKU within the product",
       [](Product& p) { p.variants.push_back(MakeVariant(p.variants[0].sku)); },
       "variants[1].sku"},
      {"no variants", [](Product& p) { p.variants.clear(); }, "variants"},
      {"undeclared variant option", [](Product& p) { p.variants[0].options = {{"size", "S"}}; },
       "variants[0].options.size"},
      {"negative popularity", [](Product& p) { p.popularity = -1; }, "popularity"},
  };

  for (const auto& c : cases) {
    INFO("case: " << c.name);
    for (const std::string id : {"fresh", "seed"}) {
      INFO("product: " << id);
      Product p = MakeProduct(id, {id + "-NEW"});
      c.spoil(p);
      Snapshot before = Take(*engine);
      auto r = catalog.upsert(p);
      CHECK(r.status().code() == Code::kInvalidArgument);
      INFO("message: " << r.status().message());
      CHECK(r.status().message().rfind(std::string(c.field) + ": ", 0) == 0);
      RequireUnchanged(*engine, before);
      CHECK(catalog.get("fresh").status().code() == Code::kNotFound);
      CHECK(catalog.get_by_sku(id + "-NEW").status().code() == Code::kNotFound);
      auto still = catalog.get("seed");
      REQUIRE(still.ok());
      CHECK(*still == *seed);
    }
  }

  // Limits are inclusive: the longest id and SKU, the largest price are accepted.
  Product edge = MakeProduct(std::string(64, 'i'), {std::string(64, 's')});
  edge.variants[0].price.minor = commerce::kMaxMoneyMinor;
  auto ok = catalog.upsert(edge);
  INFO(ok.status().ToString());
  CHECK(ok.ok());
}

TEST_CASE("bad reads: empty ids, unknown ids", "[catalog]") {
  auto driver = GENERATE(as<std::string>{}, "lmdb", "sqlite");
  CAPTURE(driver);
  TempDir dir;
  auto engine = commerce::testing::OpenTestEngine(dir.path(), driver);
  Catalog& catalog = engine->catalog();
  REQUIRE(catalog.upsert(MakeProduct("p1", {"A"})).ok());

  CHECK(catalog.get("").status().code() == Code::kInvalidArgument);
  CHECK(catalog.get_by_sku("").status().code() == Code::kInvalidArgument);
  auto unknown = catalog.get("p2");
  CHECK(unknown.status().code() == Code::kNotFound);
  CHECK(unknown.status().message().find("p2") != std::string::npos);
  auto unknown_sku = catalog.get_by_sku("B");
  CHECK(unknown_sku.status().code() == Code::kNotFound);
  CHECK(unknown_sku.status().message().find("B") != std::string::npos);
  // Ids that differ only past a prefix or by case are different ids.
  CHECK(catalog.get("p").status().code() == Code::kNotFound);
  CHECK(catalog.get("P1").status().code() == Code::kNotFound);
  CHECK(catalog.get_by_sku("a").status().code() == Code::kNotFound);
  CHECK(catalog.get("p1").ok());
  // Ids longer than any stored one: never found, and never a crash or an Internal error.
  for (size_t n : {size_t{65}, size_t{300}, size_t{479}, size_t{512}, size_t{513}, size_t{5000}}) {
    INFO("length " << n);
    const Code id_code = catalog.get(std::string(n, 'p')).status().code();
    CHECK((id_code == Code::kNotFound || id_code == Code::kInvalidArgument));
    const Code sku_code = catalog.get_by_sku(std::string(n, 'S')).status().code();
    CHECK((sku_code == Code::kNotFound || sku_code == Code::kInvalidArgument));
  }
}

TEST_CASE("8 threads upserting 800 products at once", "[catalog]") {
  auto driver = GENERATE(as<std::string>{}, "lmdb", "sqlite");
  CAPTURE(driver);
  TempDir dir;
  auto engine = commerce::testing::OpenTestEngine(dir.path(), driver);
  Catalog& catalog = engine->catalog();
  constexpr int kThreads = 8, kEach = 100;

  std::vector<std::vector<std::string>> errors(kThreads);
  std::latch start(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      start.arrive_and_wait();
      for (int i = 0; i < kEach; ++i) {
        std::string id = "t" + std::to_string(t) + "-" + std::to_string(i);
        auto r = catalog.upsert(MakeProduct(id));
        if (!r.ok()) errors[t].push_back(id + ": " + r.status().ToString());
        else if (r->version != 1) errors[t].push_back(id + ": version " + std::to_string(r->version));
      }
    });
  }
  for (auto& th : threads) th.join();
  for (const auto& e : errors) {
    INFO((e.empty() ? std::string() : e.front()));
    CHECK(e.empty());
  }

  for (int t = 0; t < kThreads; ++t)
    for (int i = 0; i < kEach; ++i) {
      std::string id = "t" + std::to_string(t) + "-" + std::to_string(i);
      auto p = catalog.get_by_sku(id + "-SKU");
      INFO(id);
      REQUIRE(p.ok());
      CHECK(p->id == id);
    }
  auto stats = catalog.stats();
  REQUIRE(stats.ok());
  CHECK(stats->products == kThreads * kEach);
  CHECK(stats->skus == kThreads * kEach);

  auto last = engine->events().last_seq();
  REQUIRE(last.ok());
  CHECK(*last == kThreads * kEach);
  auto events = engine->events().tail(1, 10'000);
  REQUIRE(events.ok());
  REQUIRE(events->size() == kThreads * kEach);
  std::set<std::string> subjects;
  for (size_t i = 0; i < events->size(); ++i) {
    CHECK((*events)[i].seq == i + 1);
    subjects.insert((*events)[i].subject);
  }
  CHECK(subjects.size() == kThreads * kEach);
  auto listed = catalog.list(Opts(1000));
  REQUIRE(listed.ok());
  CHECK(listed->items.size() == kThreads * kEach);
}

TEST_CASE("8 threads racing for one new SKU: exactly one wins", "[catalog]") {
  auto driver = GENERATE(as<std::string>{}, "lmdb", "sqlite");
  CAPTURE(driver);
  TempDir dir;
  auto engine = commerce::testing::OpenTestEngine(dir.path(), driver);
  Catalog& catalog = engine->catalog();
  constexpr int kThreads = 8;

  for (int round = 0; round < 5; ++round) {
    CAPTURE(round);
    const std::string sku = "HOT-" + std::to_string(round);
    std::vector<commerce::Status> results(kThreads);
    std::latch start(kThreads);
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] {
        start.arrive_and_wait();
        results[t] = catalog.upsert(MakeProduct("r" + std::to_string(round) + "-" + std::to_string(t), {sku})).status();
      });
    }
    for (auto& th : threads) th.join();
    int winner = -1, wins = 0, lost = 0;
    for (int t = 0; t < kThreads; ++t) {
      INFO("thread " << t << ": " << results[t].ToString());
      if (results[t].ok()) {
        ++wins;
        winner = t;
      } else {
        CHECK(results[t].code() == Code::kAlreadyExists);
        ++lost;
      }
    }
    REQUIRE(wins == 1);
    CHECK(lost == kThreads - 1);
    auto owner = catalog.get_by_sku(sku);
    REQUIRE(owner.ok());
    CHECK(owner->id == "r" + std::to_string(round) + "-" + std::to_string(winner));
    for (int t = 0; t < kThreads; ++t) {
      if (t == winner) continue;
      CHECK(catalog.get("r" + std::to_string(round) + "-" + std::to_string(t)).status().code() ==
            Code::kNotFound);
    }
    auto stats = catalog.stats();
    REQUIRE(stats.ok());
    CHECK(stats->products == static_cast<uint64_t>(round + 1));
    CHECK(stats->skus == static_cast<uint64_t>(round + 1));
    auto last = engine->events().last_seq();
    REQUIRE(last.ok());
    CHECK(*last == static_cast<uint64_t>(round + 1));
  }
}

}  // namespace catalog_catalog_test
