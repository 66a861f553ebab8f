// Tests of the in-transaction cart functions that order placement uses
// (src/cart/cart_store.cpp: ReadCartInTxn, ClearCartInTxn) and of the stored record's round
// trip, on every local driver. The engine's internals are reached the way order placement
// reaches them: an EngineCore over an open store.
#include <memory>
#include <string>

#include <catch2/catch.hpp>

#include "cart/cart_codec.h"
#include "cart/cart_store.h"
#include "commerce/cart.h"
#include "commerce/catalog.h"
#include "commerce/customer.h"
#include "common/key.h"
#include "engine/engine_core.h"
#include "test_dir.h"

namespace {

using commerce::CartLine;
using commerce::CartRecord;
using commerce::CartSnapshot;
using commerce::Code;
using commerce::EngineCore;
using commerce::Money;
using commerce::Status;

Money Usd(int64_t minor) { return Money{minor, "USD"}; }

// An EngineCore with the tables carts, catalog and customers use.
std::unique_ptr<EngineCore> OpenCore(const std::string& path, const std::string& driver) {
  commerce::StorageOptions so;
  so.path = path;
  so.driver = driver;
  auto core = std::make_unique<EngineCore>();
  auto storage = commerce::OpenStorage(so);
  INFO(storage.status().ToString());
  REQUIRE(storage.ok());
  core->storage = std::move(storage).value();
  auto& t = core->tables;
  struct { commerce::Table* table; const char* name; } all[] = {
      {&t.meta, "meta"}, {&t.events, "events"}, {&t.products, "products"}, {&t.skus, "skus"},
      {&t.categories, "categories"}, {&t.category_children, "category_children"},
      {&t.category_products, "category_products"}, {&t.customers, "customers"},
      {&t.customer_emails, "customer_emails"}, {&t.carts, "carts"},
      {&t.customer_carts, "customer_carts"}, {&t.cart_expiry, "cart_expiry"}};
  for (auto& [table, name] : all) {
    auto r = core->storage->table(name);
    REQUIRE(r.ok());
    *table = *r;
  }
  core->replica_id = "r-test";
  return core;
}

}  // namespace

TEST_CASE("cart store: ReadCartInTxn and ClearCartInTxn, as order placement uses them",
          "[carts]") {
  auto driver = GENERATE(as<std::string>{}, "lmdb", "sqlite");
  CAPTURE(driver);
  commerce::testing::TempDir dir;
  auto core = OpenCore(dir.path(), driver);
  commerce::Catalog catalog(core.get());
  commerce::Carts carts(core.get());
  commerce::Product p;
  p.id = "mug";
  p.title = "Mug";
  p.variants.push_back({"MUG", {}, Usd(899), "", {}});
  p.variants.push_back({"MUG-XL", {}, Usd(1299), "", {}});
  REQUIRE(catalog.upsert(p).ok());
  commerce::NewCart nc;
  nc.id = "c1";
  REQUIRE(carts.create(nc).ok());
  REQUIRE(carts.add("c1", "MUG-XL", 1).ok());
  REQUIRE(carts.add("c1", "MUG", 2).ok());
  REQUIRE(carts.add("c1", "MUG", 1).ok());
  auto state_before = carts.state("c1");
  REQUIRE(state_before.ok());

  {
    auto txn = core->storage->read();
    REQUIRE(txn.ok());
    auto snap = commerce::ReadCartInTxn(**txn, core->tables, "c1");
    REQUIRE(snap.ok());
    CHECK(snap->id == "c1");
    CHECK(snap->customer_id.empty());
    CHECK(snap->currency == "USD");
    REQUIRE(snap->lines.size() == 2);
    CHECK(snap->lines[0] == CartLine{"MUG", 3, Usd(899), Usd(2697)});
    CHECK(snap->lines[1] == CartLine{"MUG-XL", 1, Usd(1299), Usd(1299)});
    auto missing = commerce::ReadCartInTxn(**txn, core->tables, "nope");
    CHECK(missing.status().code() == Code::kNotFound);
  }

  // Placing an order clears the cart in the order's own mutation.
  Status s = core->Write([&](commerce::WriteTxn& txn) {
    return commerce::ClearCartInTxn(txn, core->tables, "c1", EngineCore::NowMs());
  });
  REQUIRE(s.ok());
  auto cart = carts.get("c1");
  REQUIRE(cart.ok());
  CHECK(cart->lines.empty());
  // The removal is recorded dot by dot: the copy from before the order, merged back (a phone
  // that was offline), cannot resurrect the ordered lines.
  auto merged = carts.merge("c1", *state_before);
  REQUIRE(merged.ok());
  CHECK(merged->lines.empty());

  s = core->Write([&](commerce::WriteTxn& txn) {
    return commerce::ClearCartInTxn(txn, core->tables, "nope", 1);
  });
  CHECK(s.code() == Code::kNotFound);
  // A failing mutation rolls back with everything else the order did.
  s = core->Write([&](commerce::WriteTxn& txn) -> Status {
    COMMERCE_RETURN_IF_ERROR(commerce::ClearCartInTxn(txn, core->tables, "c1", 1));
    return Status::OutOfStock("sku MUG: 0 left");
  });
  CHECK(s.code() == Code::kOutOfStock);
  CHECK(carts.get("c1")->updated_at_ms == merged->updated_at_ms);
}

TEST_CASE("cart store: the record round-trips, and garbage is Corruption", "[carts]") {
  CartRecord r;
  r.state.cart_id = "c1";
  r.state.currency = "JPY";
  r.state.customer_id = "cus-1";
  r.state.customer_time_ms = 7;
  r.state.customer_replica = "r-a";
  REQUIRE(commerce::CartStateAdd(r.state, "r-a", "A", 2, Money{500, "JPY"}, 10).ok());
  REQUIRE(commerce::CartStateAdd(r.state, "r-b", "A", 1, Money{450, "JPY"}, 11).ok());
  REQUIRE(commerce::CartStateAdd(r.state, "r-b", "B", 1, Money{0, "JPY"}, 12).ok());
  commerce::CartStateRemove(r.state, "B");
  r.created_at_ms = 1;
  r.updated_at_ms = 2;
  std::string bytes = commerce::EncodeCartRecord(r);
  CartRecord back;
  const std::string key = commerce::KeyBuilder().str("c1").key();
  REQUIRE(commerce::DecodeCartRecord(key, bytes, &back).ok());
  CHECK(back.state == r.state);
  CHECK(back.created_at_ms == 1);
  CHECK(back.updated_at_ms == 2);

  CartRecord junk;
  Status s = commerce::DecodeCartRecord(key, bytes.substr(0, bytes.size() / 2), &junk);
  CHECK(s.code() == Code::kCorruption);
  CHECK(s.message().find("carts (\"c1\")") != std::string::npos);
}
