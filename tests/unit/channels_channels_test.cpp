// Channels through the engine (src/channels/channels.cpp, carts, order placement), on every
// storage driver: records and their bad input and events, stores whose carts and orders carry
// channel keys from before channels, the currencies, products and warehouses a channel
// selects, removal, 8 threads editing a channel's warehouses while orders place, and a
// damaged record.
#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

#include "channels/channel_store.h"
#include "commerce/channels.h"
#include "commerce/engine.h"
#include "pg_test_cluster.h"
#include "test_dir.h"
#include "test_engine.h"
#include "test_scale.h"

namespace channels_channels_test {

namespace {

using namespace commerce;
using commerce::testing::TempDir;

struct Shop {
  TempDir dir;
  std::unique_ptr<Engine> engine;

  explicit Shop(const std::string& driver) {
    EngineOptions o = commerce::testing::QuietEngineOptions(dir.path());
    commerce::testing::UseTestDriver(o, driver, "chan");
    auto e = Engine::open(o);
    INFO(e.status().ToString());
    REQUIRE(e.ok());
    engine = std::move(e).value();
    for (const char* c : {"apparel", "apparel/tees", "kitchen"}) {
      Category cat;
      cat.id = c;
      cat.name = c;
      std::string_view id(c);
      if (id.find('/') != std::string_view::npos) cat.parent_id = std::string(id.substr(0, id.find('/')));
      auto s = engine->catalog().upsert_category(cat);
      INFO(s.ToString());
      REQUIRE(s.ok());
    }
    AddProduct("tee", "TEE", {"apparel/tees"});
    AddProduct("mug", "MUG", {"kitchen"});
    AddProduct("pan", "PAN", {"kitchen"});
    for (const char* w : {"w1", "w2", "w3"}) {
      Warehouse wh;
      wh.id = w;
      wh.name = w;
      wh.region = "de";
      REQUIRE(engine->inventory().upsert_warehouse(wh).ok());
    }
    Customer c;
    c.id = "alice";
    c.email = "alice@example.com";
    c.name = "Alice";
    REQUIRE(engine->customers().create(c).ok());
  }
  void AddProduct(const std::string& id, const std::string& sku, std::vector<std::string> categories) {
    Product p;
    p.id = id;
    p.title = id;
    p.categories = std::move(categories);
    Variant v;
    v.sku = sku;
    v.price = Money{1000, "EUR"};
    p.variants.push_back(v);
    auto r = engine->catalog().upsert(p);
    INFO(r.status().ToString());
    REQUIRE(r.ok());
  }
  Channels& channels() { return engine->channels(); }
  Channel Create(const Channel& c) {
    auto r = channels().create(c);
    INFO(r.status().ToString());
    REQUIRE(r.ok());
    return *r;
  }
  PlaceOrder Lines(const std::string& key, std::vector<OrderLineRequest> lines,
                   const std::string& channel, const std::string& currency = "") {
    PlaceOrder r;
    r.idempotency_key = key;
    r.customer_id = "alice";
    r.lines = std::move(lines);
    r.currency = currency;
    r.channel = channel;
    r.shipping_address = Address{"A", "1 Hauptstr.", "", "Berlin", "", "de", "DE"};
    return r;
  }
};

Channel Eu() {
  Channel c;
  c.id = "eu";
  c.name = "Europe";
  c.default_currency = "EUR";
  return c;
}

// The status's message holds `what`.
void CheckNames(const Status& s, const std::string& what) {
  INFO(s.ToString());
  CHECK(s.message().find(what) != std::string::npos);
}

}  // namespace

TEST_CASE("channels: records, bad input and events", "[channels]") {
  for (const std::string& driver : commerce::testing::TestStorageDrivers()) {
    CAPTURE(driver);
    Shop shop(driver);
    Channel eu = Eu();
    eu.currencies = {"EUR", "GBP"};
    eu.warehouse_ids = {"w1"};
    eu.category_ids = {"apparel"};
    Channel made = shop.Create(eu);
    CHECK(made.version == 1);
    CHECK(made.created_at_ms > 0);
    CHECK(*shop.channels().get("eu") == made);
    CHECK(shop.channels().create(eu).status().IsAlreadyExists());

    Channel next = made;
    next.warehouse_ids = {"w1", "w2"};
    auto updated = shop.channels().update(next, 1);
    REQUIRE(updated.ok());
    CHECK(updated->version == 2);
    CHECK(updated->created_at_ms == made.created_at_ms);
    CHECK(shop.channels().update(next, 1).status().IsConflict());
    CHECK(shop.channels().remove("eu", 1).IsConflict());
    Channel nowhere = Eu();
    nowhere.id = "nowhere";
    CHECK(shop.channels().update(nowhere).status().IsNotFound());
    CHECK(shop.channels().get("nowhere").status().IsNotFound());
    CHECK(shop.channels().remove("nowhere").IsNotFound());

    Channel us = Eu();
    us.id = "us";
    us.default_currency = "USD";
    shop.Create(us);
    auto all = shop.channels().list();
    REQUIRE(all.ok());
    REQUIRE(all->size() == 2);
    CHECK((*all)[0].id == "eu");
    CHECK((*all)[1].id == "us");
    REQUIRE(shop.channels().remove("us", 1).ok());
    CHECK(shop.channels().get("us").status().IsNotFound());
    CHECK(commerce::testing::EventTypesWithPrefix(*shop.engine, "Channel") ==
          std::vector<std::string>{"ChannelUpserted", "ChannelUpserted", "ChannelUpserted", "ChannelRemoved"});

    // Bad input: InvalidArgument naming the field, nothing written.
    struct Bad {
      std::function<void(Channel&)> edit;
      std::string field;
    };
    const std::vector<Bad> bad = {
        {[](Channel& c) { c.id = ""; }, "id"},
        {[](Channel& c) { c.id = "e u"; }, "id"},
        {[](Channel& c) { c.id = std::string(65, 'e'); }, "id"},
        {[](Channel& c) { c.name = ""; }, "name"},
        {[](Channel& c) { c.name = std::string(201, 'n'); }, "name"},
        {[](Channel& c) { c.default_currency = "EURO"; }, "default_currency"},
        {[](Channel& c) { c.currencies = {"EUR", "XXZ"}; }, "currencies[1]"},
        {[](Channel& c) { c.currencies = {"EUR", "EUR"}; }, "currencies[1]"},
        {[](Channel& c) { c.currencies = {"GBP"}; }, "currencies"},
        {[](Channel& c) { c.warehouse_ids = {"w1", "w9"}; }, "warehouse_ids[1]"},
        {[](Channel& c) { c.warehouse_ids = {"w1", "w1"}; }, "warehouse_ids[1]"},
        {[](Channel& c) { c.warehouse_ids = {""}; }, "warehouse_ids[0]"},
        {[](Channel& c) { c.category_ids = {"toys"}; }, "category_ids[0]"},
        {[](Channel& c) { c.product_ids = {"tee", "tee"}; }, "product_ids[1]"},
        {[](Channel& c) { c.excluded_product_ids = {" mug"}; }, "excluded_product_ids[0]"},
        {[](Channel& c) { c.product_ids.assign(kMaxChannelProducts + 1, "p"); }, "product_ids"},
    };
    for (const Bad& b : bad) {
      Channel c = Eu();
      c.id = "new";
      b.edit(c);
      auto created = shop.channels().create(c);
      CAPTURE(b.field);
      REQUIRE(created.status().IsInvalidArgument());
      CHECK(created.status().message().rfind(b.field + ":", 0) == 0);
      if (!c.id.empty() && c.id.size() <= 64 && c.id.find(' ') == std::string::npos)
        CHECK(shop.channels().get(c.id).status().IsNotFound());
      Channel u = *shop.channels().get("eu");
      const std::string id = u.id;
      b.edit(u);
      if (u.id == id) {
        auto r = shop.channels().update(u);
        CHECK(r.status().IsInvalidArgument());
      }
    }
    CHECK(shop.channels().get("").status().IsInvalidArgument());
    CHECK(shop.channels().remove("a/b").IsInvalidArgument());
    CHECK(shop.channels().visible("eu", "nope").status().IsNotFound());
    CHECK(shop.channels().visible("nope", "tee").status().IsNotFound());
    CHECK(*shop.engine->channels().get("eu") == *updated);  // none of it was written

    auto report = shop.engine->verify();
    REQUIRE(report.ok());
    CHECK(report->problems.empty());
  }
}

TEST_CASE("channels: keys from before channels keep working until the first channel exists",
          "[channels][carts][orders]") {
  for (const std::string& driver : commerce::testing::TestStorageDrivers()) {
    CAPTURE(driver);
    Shop shop(driver);
    for (const char* w : {"w1", "w2"}) REQUIRE(shop.engine->inventory().receive("TEE", w, 10).ok());
    // No channel record: "web" is an opaque key, as before channels.
    auto cart = shop.engine->carts().create({.currency = "EUR", .channel = "web"});
    REQUIRE(cart.ok());
    REQUIRE(shop.engine->carts().add(cart->id, "TEE", 1).ok());
    auto o = shop.engine->orders().place(shop.Lines("k1", {{"TEE", 1}}, "web", "EUR"));
    INFO(o.status().ToString());
    REQUIRE(o.ok());
    CHECK(o->channel == "web");

    // The store's first channel: from now on a key must name one.
    shop.Create(Eu());
    auto add = shop.engine->carts().add(cart->id, "TEE", 1);
    CHECK(add.status().IsNotFound());
    CheckNames(add.status(), "channel");
    CHECK(shop.engine->carts().create({.currency = "EUR", .channel = "web"}).status().IsNotFound());
    auto placed = shop.engine->orders().place(shop.Lines("k2", {{"TEE", 1}}, "web", "EUR"));
    CHECK(placed.status().IsNotFound());
    CheckNames(placed.status(), "channel: no channel with id 'web'");
    // The old cart can still be read, emptied and removed; the old order keeps its key.
    CHECK(shop.engine->carts().get(cart->id).ok());
    CHECK(shop.engine->carts().clear(cart->id).ok());
    CHECK(shop.engine->orders().get(o->id)->channel == "web");
    // Without a channel: the whole catalog, every warehouse, any currency.
    auto plain = shop.engine->orders().place(shop.Lines("k3", {{"TEE", 1}}, "", "EUR"));
    REQUIRE(plain.ok());
    CHECK(plain->channel.empty());
  }
}

TEST_CASE("channels: currencies, visible products and warehouses", "[channels][carts][orders]") {
  for (const std::string& driver : commerce::testing::TestStorageDrivers()) {
    CAPTURE(driver);
    Shop shop(driver);
    REQUIRE(shop.engine->inventory().receive("TEE", "w2", 5).ok());
    REQUIRE(shop.engine->inventory().receive("TEE", "w1", 50).ok());
    REQUIRE(shop.engine->inventory().receive("MUG", "w2", 50).ok());
    REQUIRE(shop.engine->inventory().receive("PAN", "w1", 50).ok());
    Channel eu = Eu();
    eu.currencies = {"EUR", "GBP"};
    eu.warehouse_ids = {"w2"};
    eu.category_ids = {"apparel"};  // the tee is under apparel/tees
    eu.product_ids = {"mug"};
    shop.Create(eu);

    // Currencies: the cart's must be one the channel sells in.
    auto usd = shop.engine->carts().create({.currency = "USD", .channel = "eu"});
    CHECK(usd.status().IsInvalidArgument());
    CheckNames(usd.status(), "currency: channel 'eu' sells in EUR, GBP, not 'USD'");
    auto usd_order = shop.engine->orders().place(shop.Lines("c1", {{"TEE", 1}}, "eu", "USD"));
    CHECK(usd_order.status().IsInvalidArgument());

    // Visibility: the tee by its category's parent, the mug by id; not the pan.
    CHECK(*shop.channels().visible("eu", "tee"));
    CHECK(*shop.channels().visible("eu", "mug"));
    CHECK_FALSE(*shop.channels().visible("eu", "pan"));
    auto cart = shop.engine->carts().create({.currency = "EUR", .channel = "eu"});
    REQUIRE(cart.ok());
    REQUIRE(shop.engine->carts().add(cart->id, "TEE", 1).ok());
    REQUIRE(shop.engine->carts().add(cart->id, "MUG", 1).ok());
    auto pan = shop.engine->carts().add(cart->id, "PAN", 1);
    CHECK(pan.status().IsFailedPrecondition());
    CheckNames(pan.status(), "sku: product 'pan' (sku 'PAN') is not sold in channel 'eu'");
    auto pan_order = shop.engine->orders().place(shop.Lines("c2", {{"TEE", 1}, {"PAN", 1}}, "eu"));
    CHECK(pan_order.status().IsFailedPrecondition());
    CheckNames(pan_order.status(), "lines[1].sku: product 'pan'");

    // Lines without a currency are in the channel's default; only w2 ships, though w1 holds more.
    auto o = shop.engine->orders().place(shop.Lines("c3", {{"TEE", 2}}, "eu"));
    INFO(o.status().ToString());
    REQUIRE(o.ok());
    CHECK(o->currency == "EUR");
    CHECK(o->channel == "eu");
    REQUIRE(o->shipments.size() == 1);
    CHECK(o->shipments[0].warehouse_id == "w2");
    // w2 has 3 TEE left: 4 is out of stock in the channel, though w1 has 50.
    auto short_order = shop.engine->orders().place(shop.Lines("c4", {{"TEE", 4}}, "eu"));
    CHECK(short_order.status().IsOutOfStock());
    // The same without a channel ships from w1.
    auto anywhere = shop.engine->orders().place(shop.Lines("c5", {{"TEE", 4}}, ""));
    REQUIRE(anywhere.ok());
    CHECK(anywhere->shipments[0].warehouse_id == "w1");

    // Exclusion wins over a category and an id; the cart's order meets the channel as it is then.
    Channel narrowed = *shop.channels().get("eu");
    narrowed.excluded_product_ids = {"mug"};
    REQUIRE(shop.channels().update(narrowed).ok());
    CHECK_FALSE(*shop.channels().visible("eu", "mug"));
    PlaceOrder from_cart;
    from_cart.idempotency_key = "c6";
    from_cart.customer_id = "alice";
    from_cart.cart_id = cart->id;
    from_cart.shipping_address = Address{"A", "1 Hauptstr.", "", "Berlin", "", "de", "DE"};
    auto excluded = shop.engine->orders().place(from_cart);
    CHECK(excluded.status().IsFailedPrecondition());
    CheckNames(excluded.status(), "product 'mug'");
    REQUIRE(shop.engine->carts().remove(cart->id, "MUG").ok());
    auto ordered = shop.engine->orders().place(from_cart);
    INFO(ordered.status().ToString());
    REQUIRE(ordered.ok());
    CHECK(ordered->channel == "eu");
    CHECK(ordered->shipments[0].warehouse_id == "w2");

    // A channel without rules shows everything and sells from every active warehouse.
    Channel open = Eu();
    open.id = "open";
    shop.Create(open);
    CHECK(*shop.channels().visible("open", "pan"));
    auto pan_open = shop.engine->orders().place(shop.Lines("c7", {{"PAN", 1}}, "open"));
    REQUIRE(pan_open.ok());
    CHECK(pan_open->shipments[0].warehouse_id == "w1");

    // Removed: its carts take nothing more and cannot be ordered; its orders keep the key.
    auto open_cart = shop.engine->carts().create({.currency = "EUR", .channel = "open"});
    REQUIRE(open_cart.ok());
    REQUIRE(shop.engine->carts().add(open_cart->id, "PAN", 1).ok());
    REQUIRE(shop.channels().remove("open").ok());
    CHECK(shop.engine->carts().add(open_cart->id, "PAN", 1).status().IsNotFound());
    from_cart.idempotency_key = "c8";
    from_cart.cart_id = open_cart->id;
    CHECK(shop.engine->orders().place(from_cart).status().IsNotFound());
    CHECK(shop.engine->orders().get(pan_open->id)->channel == "open");
    CHECK(shop.engine->carts().remove_cart(open_cart->id).ok());

    auto report = shop.engine->verify();
    REQUIRE(report.ok());
    CHECK(report->problems.empty());
  }
}

TEST_CASE("channels: OrderPlaced names the channel, and a return's exchange stays in it",
          "[channels][orders][returns][events]") {
  Shop shop("lmdb");
  REQUIRE(shop.engine->inventory().receive("TEE", "w1", 50).ok());
  REQUIRE(shop.engine->inventory().receive("TEE", "w2", 5).ok());
  REQUIRE(shop.engine->inventory().receive("PAN", "w1", 50).ok());
  Channel eu = Eu();
  eu.warehouse_ids = {"w2"};
  eu.category_ids = {"apparel"};
  shop.Create(eu);
  auto o = shop.engine->orders().place(shop.Lines("x1", {{"TEE", 2}}, "eu"));
  INFO(o.status().ToString());
  REQUIRE(o.ok());
  auto plain = shop.engine->orders().place(shop.Lines("x2", {{"PAN", 1}}, ""));
  REQUIRE(plain.ok());
  auto events = shop.engine->events().tail(1, 10000);
  REQUIRE(events.ok());
  int placed = 0;
  for (const auto& ev : *events) {
    if (ev.type != "OrderPlaced") continue;
    ++placed;
    INFO(ev.data);
    if (ev.subject == o->id) CHECK(ev.data.find("\"channel\":\"eu\"") != std::string::npos);
    if (ev.subject == plain->id) CHECK(ev.data.find("\"channel\"") == std::string::npos);
  }
  CHECK(placed == 2);
  for (auto to : {OrderStatus::kPaid, OrderStatus::kFulfilling, OrderStatus::kShipped, OrderStatus::kDelivered}) {
    auto moved = shop.engine->orders().transition(o->id, to);
    INFO(moved.status().ToString());
    REQUIRE(moved.ok());
  }
  // The exchange is an order of the channel: from its warehouse (w1 holds more), and held to
  // its products (the pan is not sold there).
  auto r = shop.engine->returns().request({.order_id = o->id, .lines = {{"TEE", 1, "too small"}},
                                           .exchange_lines = {{"TEE", 1}}});
  REQUIRE(r.ok());
  auto approved = shop.engine->returns().approve(r->id);
  INFO(approved.status().ToString());
  REQUIRE(approved.ok());
  auto x = shop.engine->orders().get(approved->exchange_order_id);
  REQUIRE(x.ok());
  CHECK(x->channel == "eu");
  REQUIRE(x->shipments.size() == 1);
  CHECK(x->shipments[0].warehouse_id == "w2");
  auto r2 = shop.engine->returns().request({.order_id = o->id, .lines = {{"TEE", 1, "again"}},
                                            .exchange_lines = {{"PAN", 1}}});
  REQUIRE(r2.ok());
  auto refused = shop.engine->returns().approve(r2->id);
  CHECK(refused.status().IsFailedPrecondition());
  CheckNames(refused.status(), "product 'pan'");
  CHECK(shop.engine->returns().get(r2->id)->status == ReturnStatus::kRequested);
}

TEST_CASE("channels: 8 threads edit a channel's warehouses while orders place", "[channels][concurrency]") {
  for (const std::string& driver : commerce::testing::TestStorageDrivers()) {
    CAPTURE(driver);
    Shop shop(driver);
    for (const char* w : {"w1", "w2", "w3"}) REQUIRE(shop.engine->inventory().receive("TEE", w, 100'000).ok());
    Channel eu = Eu();
    eu.warehouse_ids = {"w1"};
    shop.Create(eu);
    // Editors move the channel between {w1} and {w2}. w3 holds the stock too and ranks first
    // (priority 10): an order that ignored its channel would ship from there.
    Warehouse best;
    best.id = "w3";
    best.name = "w3";
    best.region = "de";
    best.priority = 10;
    REQUIRE(shop.engine->inventory().upsert_warehouse(best).ok());
    const int rounds = commerce::testing::Scaled(30, 10);
    std::atomic<int> failures{0};
    std::mutex mu;
    std::vector<std::string> order_ids;
    std::vector<std::thread> threads;
    for (int e = 0; e < 4; ++e)
      threads.emplace_back([&, e] {
        for (int i = 0; i < rounds; ++i) {
          Channel c = Eu();
          c.warehouse_ids = {(i + e) % 2 ? "w2" : "w1"};
          auto r = shop.channels().update(c);
          if (!r.ok()) ++failures;
        }
      });
    for (int p = 0; p < 4; ++p)
      threads.emplace_back([&, p] {
        for (int i = 0; i < rounds; ++i) {
          auto o = shop.engine->orders().place(
              shop.Lines("t" + std::to_string(p) + "-" + std::to_string(i), {{"TEE", 1}}, "eu"));
          if (!o.ok()) {
            ++failures;
            continue;
          }
          std::lock_guard<std::mutex> lock(mu);
          order_ids.push_back(o->id);
        }
      });
    for (auto& t : threads) t.join();
    CHECK(failures.load() == 0);
    REQUIRE(order_ids.size() == size_t(4 * rounds));

    // Replay the log: each order shipped only from the warehouse the channel had when it
    // committed (the newest ChannelUpserted before its OrderPlaced).
    auto events = shop.engine->events().tail(1, 10000);
    REQUIRE(events.ok());
    std::string current = "w1";
    std::map<std::string, int> shipped_from;
    size_t orders = 0;
    for (const Event& ev : *events) {
      if (ev.type == "ChannelUpserted") {
        const bool w1 = ev.data.find("\"warehouse_ids\":[\"w1\"]") != std::string::npos;
        const bool w2 = ev.data.find("\"warehouse_ids\":[\"w2\"]") != std::string::npos;
        REQUIRE(w1 != w2);
        current = w1 ? "w1" : "w2";
      } else if (ev.type == "OrderPlaced") {
        ++orders;
        Order o = shop.engine->orders().get(ev.subject).value();
        REQUIRE(o.shipments.size() == 1);
        INFO("order " << o.id << " at seq " << ev.seq);
        CHECK(o.shipments[0].warehouse_id == current);
        ++shipped_from[o.shipments[0].warehouse_id];
      }
    }
    CHECK(orders == order_ids.size());
    CHECK(shipped_from.count("w3") == 0);
    auto report = shop.engine->verify();
    REQUIRE(report.ok());
    CHECK(report->problems.empty());
  }
}

TEST_CASE("channels: a damaged record is Corruption, and verify names it", "[channels][verify]") {
  Shop shop("lmdb");
  shop.Create(Eu());
  auto cart = shop.engine->carts().create({.currency = "EUR", .channel = "eu"});
  REQUIRE(cart.ok());
  auto t = shop.engine->storage().table("channels");
  REQUIRE(t.ok());
  std::string bad;
  {
    auto txn = shop.engine->storage().read();
    REQUIRE(txn.ok());
    auto v = (*txn)->get(*t, ChannelKey("eu"));
    REQUIRE(v.ok());
    bad = std::string(*v);
  }
  bad[bad.size() / 2] ^= 0x20;
  REQUIRE(shop.engine->storage().write([&](WriteTxn& w) { return w.put(*t, ChannelKey("eu"), bad); }).ok());
  CHECK(shop.channels().get("eu").status().IsCorruption());
  CHECK(shop.channels().list().status().IsCorruption());
  CHECK(shop.channels().remove("eu").IsCorruption());
  CHECK(shop.engine->carts().add(cart->id, "TEE", 1).status().IsCorruption());
  auto report = shop.engine->verify();
  REQUIRE(report.ok());
  bool named = false;
  for (const auto& problem : report->problems) named = named || problem.where.rfind("channels", 0) == 0;
  CHECK(named);

  // A channel without the count that makes keys checked (dropped by hand) is a problem too.
  Shop other("lmdb");
  other.Create(Eu());
  auto meta = other.engine->storage().table("meta");
  REQUIRE(meta.ok());
  REQUIRE(other.engine->storage().write([&](WriteTxn& w) { return w.del(*meta, ChannelCountKey()); }).ok());
  auto missing = other.engine->verify();
  REQUIRE(missing.ok());
  REQUIRE(missing->problems.size() == 1);
  CHECK(missing->problems[0].what.find("is missing") != std::string::npos);
}

TEST_CASE("channels: a cart without a currency takes its channel's default currency", "[channels][carts]") {
  for (const std::string& driver : commerce::testing::TestStorageDrivers()) {
    CAPTURE(driver);
    Shop shop(driver);
    // Before the store's first channel a key is opaque: no currency is USD, as before.
    auto opaque = shop.engine->carts().create({.channel = "web"});
    REQUIRE(opaque.ok());
    CHECK(opaque->currency == "USD");
    Channel eu = Eu();
    eu.currencies = {"EUR", "GBP"};
    shop.Create(eu);
    // In a channel: its default currency (it was USD, which 'eu' does not sell: refused).
    auto cart = shop.engine->carts().create({.channel = "eu"});
    INFO(cart.status().ToString());
    REQUIRE(cart.ok());
    CHECK(cart->currency == "EUR");
    CHECK(shop.engine->carts().add(cart->id, "TEE", 1).ok());
    auto gbp = shop.engine->carts().create({.currency = "GBP", .channel = "eu"});
    REQUIRE(gbp.ok());
    CHECK(gbp->currency == "GBP");
    // Without a channel: USD, whatever channels exist.
    auto plain = shop.engine->carts().create({});
    REQUIRE(plain.ok());
    CHECK(plain->currency == "USD");
    CHECK(std::string(NewCart{}.currency).empty());
    // Bad input writes nothing.
    auto before = shop.engine->events().last_seq();
    REQUIRE(before.ok());
    auto usd = shop.engine->carts().create({.currency = "USD", .channel = "eu"});
    CHECK(usd.status().IsInvalidArgument());
    CheckNames(usd.status(), "currency: channel 'eu' sells in EUR, GBP, not 'USD'");
    auto bad = shop.engine->carts().create({.currency = "eur", .channel = "eu"});
    CHECK(bad.status().IsInvalidArgument());
    CheckNames(bad.status(), "currency: 'eur' is not an active ISO 4217 code");
    auto none = shop.engine->carts().create({.channel = "nowhere"});
    CHECK(none.status().IsNotFound());
    CheckNames(none.status(), "channel: no channel with id 'nowhere'");
    CHECK(*shop.engine->events().last_seq() == *before);
  }
}

}  // namespace channels_channels_test
