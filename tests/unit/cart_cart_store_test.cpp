// Tests of the cart record (src/cart/cart_store.cpp, cart_codec.cpp) and of what order
// placement does to the cart it orders from, on every local driver, through the public API:
// the cart is emptied in the order's own write, the removal is recorded dot by dot (a stale
// copy merged back cannot resurrect the ordered lines), and a placement that fails leaves the
// cart as it was.
#include <memory>
#include <string>

#include <catch2/catch.hpp>

#include "cart/cart_codec.h"
#include "cart/cart_store.h"
#include "commerce/storage.h"
#include "commerce/engine.h"
#include "common/key.h"
#include "test_dir.h"
#include "test_engine.h"

namespace cart_cart_store_test {

namespace {

using commerce::CartLine;
using commerce::CartRecord;
using commerce::Code;
using commerce::Money;
using commerce::Status;

Money Usd(int64_t minor) { return Money{minor, "USD"}; }

commerce::PlaceOrder FromCart(const std::string& key) {
  commerce::PlaceOrder r;
  r.idempotency_key = key;
  r.customer_id = "cus-1";
  r.cart_id = "c1";
  r.shipping_address.name = "Ada";
  r.shipping_address.line1 = "1 Main St";
  r.shipping_address.city = "Springfield";
  r.shipping_address.region = "us-east";
  r.shipping_address.country = "US";
  return r;
}

}  // namespace

TEST_CASE("cart store: an order empties its cart, for good, and a failed one leaves it be",
          "[carts]") {
  auto driver = GENERATE(as<std::string>{}, "lmdb", "sqlite");
  CAPTURE(driver);
  commerce::testing::TempDir dir;
  auto engine = commerce::testing::OpenTestEngine(dir.path(), driver);
  commerce::Product p;
  p.id = "mug";
  p.title = "Mug";
  p.variants.push_back({"MUG", {}, Usd(899), "", {}});
  p.variants.push_back({"MUG-XL", {}, Usd(1299), "", {}});
  REQUIRE(engine->catalog().upsert(p).ok());
  commerce::Customer c;
  c.id = "cus-1";
  c.email = "c1@example.com";
  REQUIRE(engine->customers().create(c).ok());
  REQUIRE(engine->inventory().upsert_warehouse({"east-1", "East", "us-east", 0, true}).ok());
  REQUIRE(engine->inventory().receive("MUG", "east-1", 3).ok());
  commerce::NewCart nc;
  nc.id = "c1";
  nc.customer_id = "cus-1";
  REQUIRE(engine->carts().create(nc).ok());
  REQUIRE(engine->carts().add("c1", "MUG-XL", 1).ok());
  REQUIRE(engine->carts().add("c1", "MUG", 2).ok());
  REQUIRE(engine->carts().add("c1", "MUG", 1).ok());
  auto state_before = engine->carts().state("c1");
  REQUIRE(state_before.ok());
  auto cart_before = engine->carts().get("c1");
  REQUIRE(cart_before.ok());
  REQUIRE(cart_before->lines.size() == 2);
  CHECK(cart_before->lines[0] == CartLine{"MUG", 3, Usd(899), Usd(2697)});
  CHECK(cart_before->lines[1] == CartLine{"MUG-XL", 1, Usd(1299), Usd(1299)});

  // MUG-XL has no stock: the placement fails whole, and the cart is untouched.
  auto failed = engine->orders().place(FromCart("k1"));
  CHECK(failed.status().code() == Code::kOutOfStock);
  auto unchanged = engine->carts().get("c1");
  REQUIRE(unchanged.ok());
  CHECK(*unchanged == *cart_before);

  REQUIRE(engine->carts().remove("c1", "MUG-XL").ok());
  auto placed = engine->orders().place(FromCart("k2"));
  INFO(placed.status().ToString());
  REQUIRE(placed.ok());
  auto cart = engine->carts().get("c1");
  REQUIRE(cart.ok());
  CHECK(cart->lines.empty());
  // The removal is recorded dot by dot: the copy from before the order, merged back (a phone
  // that was offline), cannot resurrect the ordered lines.
  auto merged = engine->carts().merge("c1", *state_before);
  REQUIRE(merged.ok());
  CHECK(merged->lines.empty());
  // An empty cart orders nothing.
  CHECK(engine->orders().place(FromCart("k3")).status().code() == Code::kFailedPrecondition);
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

TEST_CASE("cart store: a cart write prepared over a cart written since fails its check and writes "
          "nothing", "[carts]") {
  auto driver = GENERATE(as<std::string>{}, "lmdb", "sqlite");
  CAPTURE(driver);
  commerce::testing::TempDir dir;
  commerce::StorageOptions o;
  o.path = dir.path();
  o.driver = driver;
  auto opened = commerce::OpenStorage(o);
  REQUIRE(opened.ok());
  commerce::Storage& storage = **opened;
  commerce::Tables t;
  for (const auto& [member, name] : commerce::kTableNames) {
    auto table = storage.table(name);
    REQUIRE(table.ok());
    t.*member = *table;
  }
  auto apply = [&](commerce::ChangeSet changes) { return storage.apply(std::move(changes)); };
  auto read_cart = [&]() {
    auto snap = storage.read();
    REQUIRE(snap.ok());
    auto r = commerce::ReadCartRecord(**snap, t, "c1");
    REQUIRE(r.ok());
    return std::move(r).value();
  };

  // Absent: NotFound, and the set is left empty.
  {
    auto snap = storage.read();
    REQUIRE(snap.ok());
    commerce::ChangeSet changes;
    CHECK(commerce::ReadCartRecord(**snap, t, "c1", changes).status().code() == Code::kNotFound);
    CHECK(changes.empty());
  }
  CartRecord created;
  created.state.cart_id = "c1";
  created.state.currency = "USD";
  created.state.customer_id = "cus-1";
  commerce::ChangeSet create;
  commerce::WriteCartRecord(create, t, created, "");
  commerce::AppendCartEvent(create, t, "CartCreated", created, 1);
  REQUIRE(apply(std::move(create)).status.ok());

  // An edit prepared against a snapshot...
  commerce::ChangeSet stale;
  {
    auto snap = storage.read();
    REQUIRE(snap.ok());
    auto r = commerce::ReadCartRecord(**snap, t, "c1", stale);
    REQUIRE(r.ok());
    REQUIRE(commerce::CartStateAdd(r->state, "r1", "MUG", 1, Usd(899), 2).ok());
    commerce::WriteCartRecord(stale, t, *r, "cus-1");
    commerce::AppendCartEvent(stale, t, "CartUpdated", *r, 2, {{"op", "add"}});
  }
  // ...while another writer edits the cart and gives it to another customer.
  {
    auto snap = storage.read();
    REQUIRE(snap.ok());
    commerce::ChangeSet other;
    auto r = commerce::ReadCartRecord(**snap, t, "c1", other);
    REQUIRE(r.ok());
    REQUIRE(commerce::CartStateAdd(r->state, "r2", "TEE", 2, Usd(1500), 3).ok());
    r->state.customer_id = "cus-2";
    commerce::WriteCartRecord(other, t, *r, "cus-1");
    commerce::AppendCartEvent(other, t, "CartUpdated", *r, 3, {{"op", "add"}});
    auto applied = apply(std::move(other));
    REQUIRE(applied.status.ok());
    CHECK(applied.seqs == std::vector<uint64_t>{2});
  }
  auto result = apply(std::move(stale));
  CHECK(result.status.code() == Code::kConflict);
  CHECK(result.failure == commerce::CheckFailure::kChanged);
  CHECK(result.failed_op == 0);
  CHECK(result.seqs.empty());

  // The stored cart is the other writer's; its customer index moved with it; no third event.
  CartRecord stored = read_cart();
  CHECK(commerce::CartStateQuantity(stored.state, "TEE") == 2);
  CHECK(commerce::CartStateQuantity(stored.state, "MUG") == 0);
  auto snap = storage.read();
  REQUIRE(snap.ok());
  auto index = (*snap)->scan(t.customer_carts, "", "", 0);
  REQUIRE(index.ok());
  REQUIRE(index->size() == 1);
  CHECK(index->front().key == commerce::CustomerCartKey("cus-2", "c1"));
  auto events = (*snap)->scan(t.events, "", "", 0);
  REQUIRE(events.ok());
  CHECK(events->size() == 2);
}

}  // namespace cart_cart_store_test
