// Tests of the Carts API (src/cart/carts.cpp, src/cart/cart_login.cpp, src/cart/cart_store.cpp)
// on every driver (PostgreSQL too when a server is named: ctest's postgres_carts): creation, totals, edits, the rejection of bad input with nothing
// written, merging a copy edited on a device, the guest cart at login, removal, events, and
// concurrent writers.
#include <atomic>
#include <chrono>
#include <latch>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

#include "commerce/cart.h"
#include "commerce/engine.h"
#include "commerce/inventory.h"
#include "test_dir.h"
#include "test_engine.h"

namespace cart_carts_test {

namespace {

using namespace commerce;
using commerce::testing::TempDir;

// A small shop: an engine on a temporary directory with products in every state a cart must
// handle (active in USD, active in EUR, archived, draft, very expensive).
Variant ShopVariant(std::string sku, int64_t minor, std::string currency = "USD") {
  Variant v;
  v.sku = std::move(sku);
  v.price = Money{minor, std::move(currency)};
  return v;
}

Product ShopProduct(std::string id, std::vector<Variant> variants,
                           ProductStatus status = ProductStatus::kActive) {
  Product p;
  p.id = std::move(id);
  p.title = "Product " + p.id;
  p.variants = std::move(variants);
  p.status = status;
  return p;
}

class Shop {
 public:
  explicit Shop(const std::string& driver, std::chrono::milliseconds cart_ttl = std::chrono::hours(1)) {
    EngineOptions o;
    o.path = dir_.path();
    commerce::testing::UseTestDriver(o, driver, "carts");
    o.cart_ttl = cart_ttl;
    o.run_background = false;  // tests run the consumers themselves
    auto e = Engine::open(o);
    INFO(e.status().ToString());
    REQUIRE(e.ok());
    engine_ = std::move(e).value();
    Upsert(ShopProduct("tee", {ShopVariant("TEE-S", 1500), ShopVariant("TEE-M", 1600)}));
    Upsert(ShopProduct("mug", {ShopVariant("MUG", 899)}));
    Upsert(ShopProduct("euro-mug", {ShopVariant("MUG-EUR", 1000, "EUR")}));
    Upsert(ShopProduct("old", {ShopVariant("OLD-1", 100)}, ProductStatus::kArchived));
    Upsert(ShopProduct("soon", {ShopVariant("DRAFT-1", 100)}, ProductStatus::kDraft));
    Upsert(ShopProduct("gold", {ShopVariant("GOLD", 1'000'000'000'000)}));  // 10^12 minor
  }

  Engine& engine() { return *engine_; }
  Carts& carts() { return engine_->carts(); }

  void Upsert(const Product& p) {
    auto r = engine_->catalog().upsert(p);
    INFO(r.status().ToString());
    REQUIRE(r.ok());
  }
  void SetPrice(const std::string& product_id, const std::string& sku, int64_t minor) {
    auto p = engine_->catalog().get(product_id);
    REQUIRE(p.ok());
    for (auto& v : p->variants)
      if (v.sku == sku) v.price.minor = minor;
    Upsert(*p);
  }

  uint64_t LastSeq() {
    auto s = engine_->events().last_seq();
    REQUIRE(s.ok());
    return *s;
  }
  std::vector<Event> EventsAfter(uint64_t seq) {
    auto e = engine_->events().tail(seq + 1, 1000);
    REQUIRE(e.ok());
    return *e;
  }

  Cart NewCart(std::string id = "", std::string currency = "USD", std::string customer = "") {
    ::commerce::NewCart c;
    c.id = std::move(id);
    c.currency = std::move(currency);
    c.customer_id = std::move(customer);
    auto r = carts().create(c);
    INFO(r.status().ToString());
    REQUIRE(r.ok());
    return *r;
  }
  Cart Add(const std::string& cart, const std::string& sku, int64_t q) {
    auto r = carts().add(cart, sku, q);
    INFO(r.status().ToString());
    REQUIRE(r.ok());
    return *r;
  }
  std::string NewCustomer(const std::string& email) {
    Customer c;
    c.email = email;
    auto r = engine_->customers().create(c);
    INFO(r.status().ToString());
    REQUIRE(r.ok());
    return r->id;
  }

 private:
  TempDir dir_;
  std::unique_ptr<Engine> engine_;
};

// The state of one cart and the event log, to show that a rejected call wrote nothing.
struct CartUnchanged {
  Shop& shop;
  std::string cart_id;
  CartState state;
  uint64_t seq;

  CartUnchanged(Shop& s, std::string id) : shop(s), cart_id(std::move(id)), seq(s.LastSeq()) {
    auto st = s.carts().state(cart_id);
    REQUIRE(st.ok());
    state = *st;
  }
  void Check() {
    auto st = shop.carts().state(cart_id);
    REQUIRE(st.ok());
    CHECK(*st == state);
    CHECK(shop.LastSeq() == seq);
  }
};


Money Usd(int64_t minor) { return Money{minor, "USD"}; }

void RequireError(const Status& s, Code code, const std::string& needle) {
  INFO(s.ToString());
  CHECK(s.code() == code);
  CHECK(s.message().find(needle) != std::string::npos);
}

}  // namespace

TEST_CASE("carts: create with a given or generated id, and its event", "[carts]") {
  auto driver = GENERATE(from_range(commerce::testing::TestStorageDrivers()));
  CAPTURE(driver);
  Shop shop(driver);
  const uint64_t seq = shop.LastSeq();

  Cart generated = shop.NewCart();
  CHECK(generated.id.rfind("cart-", 0) == 0);
  CHECK(generated.id.size() == 5 + 32);  // 128 bits: the id is the capability
  CHECK(generated.id.find_first_not_of("0123456789abcdef", 5) == std::string::npos);
  CHECK(generated.currency == "USD");
  CHECK(generated.lines.empty());
  CHECK(generated.subtotal == Usd(0));
  CHECK(generated.item_count == 0);
  CHECK(generated.updated_at_ms > 0);

  Cart given = shop.NewCart("my-cart", "EUR");
  CHECK(given.id == "my-cart");
  auto got = shop.carts().get("my-cart");
  REQUIRE(got.ok());
  CHECK(*got == given);

  auto events = shop.EventsAfter(seq);
  REQUIRE(events.size() == 2);
  CHECK(events[0].type == "CartCreated");
  CHECK(events[0].subject == generated.id);
  CHECK(events[1].subject == "my-cart");
  CHECK(events[1].data.find("\"currency\":\"EUR\"") != std::string::npos);
}

TEST_CASE("carts: create rejects a taken id, an unknown currency or customer, writing nothing",
          "[carts]") {
  auto driver = GENERATE(from_range(commerce::testing::TestStorageDrivers()));
  CAPTURE(driver);
  Shop shop(driver);
  shop.NewCart("taken");
  const uint64_t seq = shop.LastSeq();

  commerce::NewCart c;
  c.id = "taken";
  RequireError(shop.carts().create(c).status(), Code::kAlreadyExists, "id");
  c.id = "fresh";
  c.currency = "XYZ";
  RequireError(shop.carts().create(c).status(), Code::kInvalidArgument, "currency");
  c.currency = "usd";
  RequireError(shop.carts().create(c).status(), Code::kInvalidArgument, "currency");
  c.currency = "USD";
  c.customer_id = "nobody";
  RequireError(shop.carts().create(c).status(), Code::kNotFound, "customer_id");
  c.customer_id = "";
  c.id = std::string(65, 'x');
  RequireError(shop.carts().create(c).status(), Code::kInvalidArgument, "id");
  c.id = " padded";
  RequireError(shop.carts().create(c).status(), Code::kInvalidArgument, "id");

  CHECK(shop.LastSeq() == seq);
  CHECK(shop.carts().get("fresh").status().code() == Code::kNotFound);
}

TEST_CASE("carts: totals are computed from the lines, sorted by SKU", "[carts]") {
  auto driver = GENERATE(from_range(commerce::testing::TestStorageDrivers()));
  CAPTURE(driver);
  Shop shop(driver);
  Cart c = shop.NewCart("c1");
  shop.Add("c1", "TEE-S", 2);
  shop.Add("c1", "MUG", 3);
  Cart got = shop.Add("c1", "TEE-S", 1);

  REQUIRE(got.lines.size() == 2);
  CHECK(got.lines[0] == CartLine{"MUG", 3, Usd(899), Usd(2697)});
  CHECK(got.lines[1] == CartLine{"TEE-S", 3, Usd(1500), Usd(4500)});
  CHECK(got.subtotal == Usd(7197));
  CHECK(got.item_count == 6);
  CHECK(got.updated_at_ms >= c.updated_at_ms);
  auto again = shop.carts().get("c1");
  REQUIRE(again.ok());
  CHECK(*again == got);

  // The price is the catalog's at the time of the add; the line shows the newest add's.
  shop.SetPrice("mug", "MUG", 950);
  got = shop.Add("c1", "MUG", 1);
  CHECK(got.lines[0] == CartLine{"MUG", 4, Usd(950), Usd(3800)});
  // set_quantity re-prices the line at the current price.
  got = *shop.carts().set_quantity("c1", "TEE-S", 5);
  CHECK(got.lines[1] == CartLine{"TEE-S", 5, Usd(1500), Usd(7500)});
  CHECK(got.subtotal == Usd(11300));
  CHECK(got.item_count == 9);
}

TEST_CASE("carts: set_quantity, remove and clear", "[carts]") {
  auto driver = GENERATE(from_range(commerce::testing::TestStorageDrivers()));
  CAPTURE(driver);
  Shop shop(driver);
  shop.NewCart("c1");
  shop.Add("c1", "TEE-S", 2);
  shop.Add("c1", "TEE-M", 1);
  shop.Add("c1", "MUG", 1);
  const uint64_t seq = shop.LastSeq();

  auto r = shop.carts().set_quantity("c1", "TEE-S", 7);
  REQUIRE(r.ok());
  CHECK(r->lines[2].quantity == 7);
  r = shop.carts().set_quantity("c1", "TEE-M", 0);  // 0 removes
  REQUIRE(r.ok());
  REQUIRE(r->lines.size() == 2);
  CHECK(r->lines[0].sku == "MUG");
  r = shop.carts().remove("c1", "MUG");
  REQUIRE(r.ok());
  REQUIRE(r->lines.size() == 1);
  CHECK(r->lines[0].sku == "TEE-S");
  r = shop.carts().remove("c1", "MUG");  // again: harmless
  REQUIRE(r.ok());
  CHECK(r->lines.size() == 1);
  r = shop.carts().clear("c1");
  REQUIRE(r.ok());
  CHECK(r->lines.empty());
  CHECK(r->subtotal == Usd(0));
  CHECK(r->item_count == 0);

  auto events = shop.EventsAfter(seq);
  REQUIRE(events.size() == 5);
  for (const auto& e : events) {
    CHECK(e.type == "CartUpdated");
    CHECK(e.subject == "c1");
  }
  CHECK(events[0].data.find("\"op\":\"set_quantity\"") != std::string::npos);
  CHECK(events[4].data.find("\"op\":\"clear\"") != std::string::npos);
  // Removals are recorded: the state keeps every dot it removed.
  auto st = shop.carts().state("c1");
  REQUIRE(st.ok());
  CHECK(st->lines.at("TEE-S").removed.size() == 2);
  CHECK(st->lines.at("MUG").adds.empty());
}

TEST_CASE("carts: bad input is rejected with a clear error and nothing is written", "[carts]") {
  auto driver = GENERATE(from_range(commerce::testing::TestStorageDrivers()));
  CAPTURE(driver);
  Shop shop(driver);
  shop.NewCart("c1");
  shop.Add("c1", "TEE-S", 2);
  shop.Add("c1", "MUG", commerce::kMaxQuantity - 1);
  CartUnchanged unchanged(shop, "c1");
  auto& carts = shop.carts();

  RequireError(carts.add("c1", "NO-SUCH-SKU", 1).status(), Code::kNotFound, "sku");
  RequireError(carts.add("c1", "NO-SUCH-SKU", 1).status(), Code::kNotFound, "NO-SUCH-SKU");
  RequireError(carts.add("c1", "TEE-S", 0).status(), Code::kInvalidArgument, "quantity");
  RequireError(carts.add("c1", "TEE-S", -1).status(), Code::kInvalidArgument, "quantity");
  RequireError(carts.add("c1", "TEE-S", commerce::kMaxQuantity + 1).status(), Code::kInvalidArgument,
               "quantity");
  RequireError(carts.add("c1", "TEE-S", INT64_MAX).status(), Code::kInvalidArgument, "quantity");
  RequireError(carts.add("c1", "MUG", 2).status(), Code::kInvalidArgument, "quantity");  // past the cap
  RequireError(carts.add("c1", "OLD-1", 1).status(), Code::kInvalidArgument, "OLD-1");
  RequireError(carts.add("c1", "OLD-1", 1).status(), Code::kInvalidArgument, "archived");
  RequireError(carts.add("c1", "DRAFT-1", 1).status(), Code::kInvalidArgument, "draft");
  RequireError(carts.add("c1", "MUG-EUR", 1).status(), Code::kInvalidArgument, "currency");
  RequireError(carts.add("c1", "GOLD", 1001).status(), Code::kInvalidArgument, "GOLD");  // > 10^15
  RequireError(carts.add("c1", "", 1).status(), Code::kInvalidArgument, "sku");
  RequireError(carts.add("no-cart", "TEE-S", 1).status(), Code::kNotFound, "cart_id");
  RequireError(carts.add("", "TEE-S", 1).status(), Code::kInvalidArgument, "cart_id");
  RequireError(carts.set_quantity("c1", "TEE-S", -5).status(), Code::kInvalidArgument, "quantity");
  RequireError(carts.set_quantity("c1", "TEE-S", commerce::kMaxQuantity + 1).status(),
               Code::kInvalidArgument, "quantity");
  RequireError(carts.set_quantity("c1", "OLD-1", 1).status(), Code::kInvalidArgument, "archived");
  RequireError(carts.set_quantity("c1", "NO-SUCH-SKU", 1).status(), Code::kNotFound, "sku");
  RequireError(carts.set_quantity("no-cart", "TEE-S", 1).status(), Code::kNotFound, "cart_id");
  RequireError(carts.remove("no-cart", "TEE-S").status(), Code::kNotFound, "cart_id");
  RequireError(carts.clear("no-cart").status(), Code::kNotFound, "cart_id");
  RequireError(carts.get("no-cart").status(), Code::kNotFound, "cart_id");
  RequireError(carts.state("no-cart").status(), Code::kNotFound, "cart_id");
  RequireError(carts.remove_cart("no-cart"), Code::kNotFound, "cart_id");
  unchanged.Check();

  // A cart in EUR refuses USD products the same way.
  shop.NewCart("eur", "EUR");
  CartUnchanged eur(shop, "eur");
  RequireError(carts.add("eur", "TEE-S", 1).status(), Code::kInvalidArgument, "currency");
  CHECK(carts.add("eur", "MUG-EUR", 1).ok());
  (void)eur;
}

TEST_CASE("carts: an archived product can still be removed from a cart", "[carts]") {
  auto driver = GENERATE(from_range(commerce::testing::TestStorageDrivers()));
  CAPTURE(driver);
  Shop shop(driver);
  shop.NewCart("c1");
  shop.Add("c1", "MUG", 2);
  REQUIRE(shop.engine().catalog().archive("mug").ok());
  // Adding more is refused, setting to 0 and removing are not.
  RequireError(shop.carts().add("c1", "MUG", 1).status(), Code::kInvalidArgument, "archived");
  auto r = shop.carts().set_quantity("c1", "MUG", 0);
  REQUIRE(r.ok());
  CHECK(r->lines.empty());
}

TEST_CASE("carts: a copy edited on a device merges back without losing an add", "[carts]") {
  auto driver = GENERATE(from_range(commerce::testing::TestStorageDrivers()));
  CAPTURE(driver);
  Shop shop(driver);
  shop.NewCart("c1");
  shop.Add("c1", "TEE-S", 1);
  shop.Add("c1", "MUG", 2);

  // The phone takes a copy and goes offline: removes the mug, adds a medium tee.
  auto copy = shop.carts().state("c1");
  REQUIRE(copy.ok());
  CartState phone = *copy;
  commerce::CartStateRemove(phone, "MUG");
  REQUIRE(commerce::CartStateAdd(phone, "phone-1", "TEE-M", 1, Usd(1600), 1).ok());
  // Meanwhile the server adds two more small tees.
  shop.Add("c1", "TEE-S", 2);

  const uint64_t seq = shop.LastSeq();
  auto merged = shop.carts().merge("c1", phone);
  INFO(merged.status().ToString());
  REQUIRE(merged.ok());
  REQUIRE(merged->lines.size() == 2);
  CHECK(merged->lines[0] == CartLine{"TEE-M", 1, Usd(1600), Usd(1600)});
  CHECK(merged->lines[1] == CartLine{"TEE-S", 3, Usd(1500), Usd(4500)});  // no add lost
  auto events = shop.EventsAfter(seq);
  REQUIRE(events.size() == 1);
  CHECK(events[0].type == "CartMerged");

  // Merging the same copy again changes nothing but the time (idempotent).
  auto again = shop.carts().merge("c1", phone);
  REQUIRE(again.ok());
  CHECK(again->lines == merged->lines);
  // An old copy does not bring the removed mug back.
  auto old = shop.carts().merge("c1", *copy);
  REQUIRE(old.ok());
  CHECK(old->lines == merged->lines);
}

TEST_CASE("carts: merge rejects a state of another cart, currency or shape, writing nothing",
          "[carts]") {
  auto driver = GENERATE(from_range(commerce::testing::TestStorageDrivers()));
  CAPTURE(driver);
  Shop shop(driver);
  shop.NewCart("c1");
  shop.Add("c1", "TEE-S", 1);
  CartUnchanged unchanged(shop, "c1");
  CartState good = unchanged.state;

  CartState other = good;
  other.cart_id = "c2";
  RequireError(shop.carts().merge("c1", other).status(), Code::kInvalidArgument, "cart_id");
  other = good;
  other.currency = "EUR";
  RequireError(shop.carts().merge("c1", other).status(), Code::kInvalidArgument, "currency");
  other = good;
  other.lines["MUG"].adds.push_back({{"dev", 1}, 0, Usd(100), 1});
  RequireError(shop.carts().merge("c1", other).status(), Code::kInvalidArgument, "quantity");
  other = good;
  other.lines["MUG"].adds.push_back({{"dev", 1}, 1, Money{100, "EUR"}, 1});
  RequireError(shop.carts().merge("c1", other).status(), Code::kInvalidArgument, "currency");
  other = good;
  other.lines["MUG"].adds.push_back({{"dev", 1}, 1, Usd(-5), 1});
  RequireError(shop.carts().merge("c1", other).status(), Code::kInvalidArgument, "unit_price");
  other = good;
  other.customer_id = "ghost";
  other.customer_time_ms = INT64_MAX;
  RequireError(shop.carts().merge("c1", other).status(), Code::kNotFound, "customer_id");
  RequireError(shop.carts().merge("missing", good).status(), Code::kNotFound, "cart_id");
  other = good;  // a copy holding more history than one cart may store
  for (uint64_t i = 1; i <= 2 * commerce::kMaxCartDots; ++i)
    other.lines["MUG"].removed.push_back({"dev", i});
  RequireError(shop.carts().merge("c1", other).status(), Code::kResourceExhausted, "20000");
  unchanged.Check();
}

TEST_CASE("carts: remove_cart deletes the cart and writes CartDeleted", "[carts]") {
  auto driver = GENERATE(from_range(commerce::testing::TestStorageDrivers()));
  CAPTURE(driver);
  Shop shop(driver);
  shop.NewCart("c1");
  shop.Add("c1", "TEE-S", 1);
  const uint64_t seq = shop.LastSeq();
  REQUIRE(shop.carts().remove_cart("c1").ok());
  CHECK(shop.carts().get("c1").status().code() == Code::kNotFound);
  auto events = shop.EventsAfter(seq);
  REQUIRE(events.size() == 1);
  CHECK(events[0].type == "CartDeleted");
  CHECK(events[0].subject == "c1");
  // The id is free again.
  shop.NewCart("c1");
  CHECK(shop.carts().get("c1")->lines.empty());
}

TEST_CASE("carts: 8 threads adding to one cart lose no add", "[carts]") {
  auto driver = GENERATE(from_range(commerce::testing::TestStorageDrivers()));
  CAPTURE(driver);
  Shop shop(driver);
  shop.NewCart("c1");
  constexpr int kThreads = 8, kAdds = 20;
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int i = 0; i < kThreads; ++i)
    threads.emplace_back([&, i] {
      for (int k = 0; k < kAdds; ++k)
        if (!shop.carts().add("c1", i % 2 ? "TEE-S" : "MUG", 1).ok()) ++failures;
    });
  for (auto& t : threads) t.join();
  CHECK(failures.load() == 0);
  auto c = shop.carts().get("c1");
  REQUIRE(c.ok());
  CHECK(c->item_count == kThreads * kAdds);
  REQUIRE(c->lines.size() == 2);
  CHECK(c->lines[0].quantity == kThreads / 2 * kAdds);
}

TEST_CASE("carts: adds, set_quantity and device merges on one cart at once lose nothing",
          "[carts]") {
  // Cart edits are prepared against snapshots and expect the cart as read: every writer here
  // meets carts written since its snapshot, is prepared again (at last on the writer) and
  // still applies. Nothing fails, and the cart holds exactly what was written.
  auto driver = GENERATE(from_range(commerce::testing::TestStorageDrivers()));
  CAPTURE(driver);
  Shop shop(driver);
  shop.NewCart("c1");
  constexpr int kAdders = 3, kMergers = 3, kSetters = 2, kOps = 25;
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  std::mutex mu;
  std::string first_failure;
  auto failed = [&](const Status& s) {
    std::lock_guard<std::mutex> lock(mu);
    if (failures++ == 0) first_failure = s.ToString();
  };
  for (int i = 0; i < kAdders; ++i)
    threads.emplace_back([&] {
      for (int k = 0; k < kOps; ++k)
        if (auto r = shop.carts().add("c1", "MUG", 1); !r.ok()) failed(r.status());
    });
  for (int i = 0; i < kMergers; ++i)
    threads.emplace_back([&, i] {
      // A device's copy with one more add of its own each time (its dots: "dev-i", k).
      CartState copy;
      copy.cart_id = "c1";
      copy.currency = "USD";
      for (uint64_t k = 1; k <= kOps; ++k) {
        CartDot dot{"dev-" + std::to_string(i), k};
        copy.lines["TEE-S"].adds.push_back(CartAdd{dot, 1, Usd(1500), 1});
        copy.clock[dot.replica] = k;
        if (auto r = shop.carts().merge("c1", copy); !r.ok()) failed(r.status());
      }
    });
  for (int i = 0; i < kSetters; ++i)
    threads.emplace_back([&, i] {
      for (int k = 0; k < kOps; ++k)
        if (auto r = shop.carts().set_quantity("c1", "TEE-M", 1 + (k + i) % 3); !r.ok()) failed(r.status());
    });
  for (auto& t : threads) t.join();
  INFO(first_failure);
  CHECK(failures.load() == 0);
  auto c = shop.carts().get("c1");
  REQUIRE(c.ok());
  REQUIRE(c->lines.size() == 3);
  CHECK(c->lines[0].sku == "MUG");
  CHECK(c->lines[0].quantity == kAdders * kOps);
  CHECK(c->lines[1].sku == "TEE-M");  // one engine: each set saw the one before, the last wins
  CHECK(c->lines[1].quantity >= 1);
  CHECK(c->lines[1].quantity <= 3);
  CHECK(c->lines[2].sku == "TEE-S");
  CHECK(c->lines[2].quantity == kMergers * kOps);
  // One event per write, none lost, none doubled.
  auto events = shop.EventsAfter(0);
  size_t updated = 0, merged = 0;
  for (const auto& e : events) {
    updated += e.type == "CartUpdated";
    merged += e.type == "CartMerged";
  }
  CHECK(updated == size_t{(kAdders + kSetters) * kOps});
  CHECK(merged == size_t{kMergers * kOps});
}

// --- The guest cart at login (cart_login.cpp) ----------------------------------------

TEST_CASE("login: guest lines fold into the customer's cart by the documented rule", "[carts]") {
  auto driver = GENERATE(from_range(commerce::testing::TestStorageDrivers()));
  CAPTURE(driver);
  Shop shop(driver);
  const std::string alice = shop.NewCustomer("alice@example.com");
  shop.NewCart("mine", "USD", alice);
  shop.Add("mine", "MUG", 2);    // at 899
  shop.Add("mine", "TEE-M", 1);  // only in the customer's cart
  shop.SetPrice("mug", "MUG", 799);
  shop.NewCart("guest");
  shop.Add("guest", "MUG", 3);    // at 799: the guest's price wins
  shop.Add("guest", "TEE-S", 1);  // only in the guest cart
  const uint64_t seq = shop.LastSeq();

  auto r = shop.carts().merge_guest_into_customer("guest", alice);
  INFO(r.status().ToString());
  REQUIRE(r.ok());
  CHECK(r->id == "mine");
  CHECK(r->customer_id == alice);
  REQUIRE(r->lines.size() == 3);
  CHECK(r->lines[0] == CartLine{"MUG", 5, Usd(799), Usd(3995)});
  CHECK(r->lines[1] == CartLine{"TEE-M", 1, Usd(1600), Usd(1600)});
  CHECK(r->lines[2] == CartLine{"TEE-S", 1, Usd(1500), Usd(1500)});
  CHECK(shop.carts().get("guest").status().code() == Code::kNotFound);
  auto stored = shop.carts().get("mine");
  REQUIRE(stored.ok());
  CHECK(*stored == *r);

  auto events = shop.EventsAfter(seq);
  REQUIRE(events.size() == 2);
  CHECK(events[0].type == "CartMerged");
  CHECK(events[0].subject == "mine");
  CHECK(events[0].data.find("\"from_cart_id\":\"guest\"") != std::string::npos);
  CHECK(events[1].type == "CartDeleted");
  CHECK(events[1].subject == "guest");
}

TEST_CASE("login: the newest of the customer's carts is the target, none means a new one",
          "[carts]") {
  auto driver = GENERATE(from_range(commerce::testing::TestStorageDrivers()));
  CAPTURE(driver);
  Shop shop(driver);
  const std::string bob = shop.NewCustomer("bob@example.com");
  const std::string carol = shop.NewCustomer("carol@example.com");
  shop.NewCart("b-old", "USD", bob);
  shop.NewCart("b-new", "USD", bob);
  std::this_thread::sleep_for(std::chrono::milliseconds(3));
  shop.Add("b-new", "MUG", 1);  // b-new is updated last
  shop.NewCart("g1");
  shop.Add("g1", "MUG", 1);
  auto r = shop.carts().merge_guest_into_customer("g1", bob);
  REQUIRE(r.ok());
  CHECK(r->id == "b-new");
  CHECK(r->lines[0].quantity == 2);
  CHECK(shop.carts().get("b-old")->lines.empty());

  // Carol has no cart: one is made for her, in the guest cart's currency.
  shop.NewCart("g2", "EUR");
  shop.Add("g2", "MUG-EUR", 4);
  const uint64_t seq = shop.LastSeq();
  r = shop.carts().merge_guest_into_customer("g2", carol);
  INFO(r.status().ToString());
  REQUIRE(r.ok());
  CHECK(r->id.rfind("cart-", 0) == 0);
  CHECK(r->customer_id == carol);
  CHECK(r->currency == "EUR");
  REQUIRE(r->lines.size() == 1);
  CHECK(r->lines[0] == CartLine{"MUG-EUR", 4, Money{1000, "EUR"}, Money{4000, "EUR"}});
  auto events = shop.EventsAfter(seq);
  REQUIRE(events.size() == 3);
  CHECK(events[0].type == "CartCreated");
  CHECK(events[1].type == "CartMerged");
  CHECK(events[2].type == "CartDeleted");

  // The new cart is now Carol's newest: a second login lands in it.
  shop.NewCart("g3", "EUR");
  shop.Add("g3", "MUG-EUR", 1);
  auto again = shop.carts().merge_guest_into_customer("g3", carol);
  REQUIRE(again.ok());
  CHECK(again->id == r->id);
  CHECK(again->lines[0].quantity == 5);
}

TEST_CASE("login: the summed quantity is capped", "[carts]") {
  auto driver = GENERATE(from_range(commerce::testing::TestStorageDrivers()));
  CAPTURE(driver);
  Shop shop(driver);
  const std::string dan = shop.NewCustomer("dan@example.com");
  shop.NewCart("mine", "USD", dan);
  shop.Add("mine", "MUG", commerce::kMaxQuantity - 5);
  shop.NewCart("guest");
  shop.Add("guest", "MUG", 10);
  auto r = shop.carts().merge_guest_into_customer("guest", dan);
  REQUIRE(r.ok());
  CHECK(r->lines[0].quantity == commerce::kMaxQuantity);
}

TEST_CASE("login: refusals write nothing, not even an empty group", "[carts]") {
  auto driver = GENERATE(from_range(commerce::testing::TestStorageDrivers()));
  CAPTURE(driver);
  Shop shop(driver);
  const std::string erin = shop.NewCustomer("erin@example.com");
  const std::string fay = shop.NewCustomer("fay@example.com");
  shop.NewCart("erin-usd", "USD", erin);
  shop.NewCart("fay-cart", "USD", fay);
  shop.NewCart("guest-eur", "EUR");
  shop.Add("guest-eur", "MUG-EUR", 1);
  CartUnchanged guest(shop, "guest-eur");
  const StorageStats before = shop.engine().storage().stats();

  auto& carts = shop.carts();
  auto s = carts.merge_guest_into_customer("guest-eur", erin).status();
  CHECK(s.code() == Code::kInvalidArgument);
  CHECK(s.message().find("currency") != std::string::npos);
  s = carts.merge_guest_into_customer("no-such-cart", erin).status();
  CHECK(s.code() == Code::kNotFound);
  CHECK(s.message().find("guest_cart_id") != std::string::npos);
  s = carts.merge_guest_into_customer("guest-eur", "nobody").status();
  CHECK(s.code() == Code::kNotFound);
  CHECK(s.message().find("customer_id") != std::string::npos);
  s = carts.merge_guest_into_customer("fay-cart", erin).status();  // someone else's cart
  CHECK(s.code() == Code::kFailedPrecondition);
  s = carts.merge_guest_into_customer("", erin).status();
  CHECK(s.code() == Code::kInvalidArgument);
  guest.Check();
  CHECK(carts.get("fay-cart").ok());
  CHECK(carts.get("erin-usd")->lines.empty());

  // A cart that is already the customer's is returned as it is.
  auto same = carts.merge_guest_into_customer("erin-usd", erin);
  REQUIRE(same.ok());
  CHECK(same->id == "erin-usd");
  // All answered from a snapshot on the caller's thread: not even an empty group reached the
  // writer (as a mutation, each was one, and one more fsync).
  const StorageStats after = shop.engine().storage().stats();
  CHECK(after.mutations == before.mutations);
  CHECK(after.groups == before.groups);
}

TEST_CASE("login: 8 logins at once of a customer with no cart make one cart holding every "
          "guest line",
          "[carts][concurrency]") {
  auto driver = GENERATE(from_range(commerce::testing::TestStorageDrivers()));
  CAPTURE(driver);
  Shop shop(driver);
  constexpr int kLogins = 8;
  for (int round = 0; round < 3; ++round) {
    CAPTURE(round);
    const std::string who = shop.NewCustomer("c" + std::to_string(round) + "@example.com");
    for (int i = 0; i < kLogins; ++i) {
      const std::string guest = "g" + std::to_string(round) + "-" + std::to_string(i);
      shop.NewCart(guest);
      shop.Add(guest, "MUG", i + 1);
    }
    const uint64_t seq = shop.LastSeq();
    std::vector<Result<Cart>> answers(kLogins, Status::Internal("not answered"));
    std::latch start(kLogins);
    std::vector<std::thread> threads;
    for (int i = 0; i < kLogins; ++i)
      threads.emplace_back([&, i] {
        start.arrive_and_wait();
        answers[i] = shop.carts().merge_guest_into_customer(
            "g" + std::to_string(round) + "-" + std::to_string(i), who);
      });
    for (auto& t : threads) t.join();
    std::set<std::string> targets;
    for (const auto& a : answers) {
      INFO(a.status().ToString());
      REQUIRE(a.ok());
      targets.insert(a->id);
    }
    // One cart, not one per login that found none: the logins that lost the race were
    // prepared again and landed in the winner's cart.
    CHECK(targets.size() == 1);
    size_t created = 0;
    for (const auto& e : shop.EventsAfter(seq)) created += e.type == "CartCreated";
    CHECK(created == 1);
    auto cart = shop.carts().get(*targets.begin());
    REQUIRE(cart.ok());
    CHECK(cart->customer_id == who);
    REQUIRE(cart->lines.size() == 1);
    CHECK(cart->lines[0].quantity == kLogins * (kLogins + 1) / 2);
  }
  auto report = shop.engine().verify();
  REQUIRE(report.ok());
  INFO(report->ToText());
  CHECK(report->ok());
}

TEST_CASE("login: logins into a cart that another thread edits lose neither an edit nor a "
          "guest line",
          "[carts][concurrency]") {
  auto driver = GENERATE(from_range(commerce::testing::TestStorageDrivers()));
  CAPTURE(driver);
  Shop shop(driver);
  const std::string hal = shop.NewCustomer("hal@example.com");
  shop.NewCart("mine", "USD", hal);
  constexpr int kLoginThreads = 4, kLoginsEach = 10, kEdits = 60;
  std::atomic<int> errors{0};
  std::latch start(kLoginThreads + 1);
  std::vector<std::thread> threads;
  for (int t = 0; t < kLoginThreads; ++t)
    threads.emplace_back([&, t] {
      start.arrive_and_wait();
      for (int i = 0; i < kLoginsEach; ++i) {
        NewCart c;
        c.id = "g" + std::to_string(t) + "-" + std::to_string(i);
        c.currency = "USD";
        bool ok = shop.carts().create(c).ok() && shop.carts().add(c.id, "MUG", 1).ok();
        auto r = shop.carts().merge_guest_into_customer(c.id, hal);
        if (!ok || !r.ok() || r->id != "mine") ++errors;
      }
    });
  threads.emplace_back([&] {
    start.arrive_and_wait();
    for (int i = 0; i < kEdits; ++i)
      if (!shop.carts().add("mine", "TEE-S", 1).ok()) ++errors;
  });
  for (auto& t : threads) t.join();
  CHECK(errors == 0);
  auto cart = shop.carts().get("mine");
  REQUIRE(cart.ok());
  REQUIRE(cart->lines.size() == 2);
  CHECK(cart->lines[0] == CartLine{"MUG", kLoginThreads * kLoginsEach, Usd(899),
                                   Usd(899 * kLoginThreads * kLoginsEach)});
  CHECK(cart->lines[1].sku == "TEE-S");
  CHECK(cart->lines[1].quantity == kEdits);
}

}  // namespace cart_carts_test
