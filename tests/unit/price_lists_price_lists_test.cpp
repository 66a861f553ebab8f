// Price lists through the engine (src/price_lists/price_lists.cpp, carts, order placement):
// records and their bad input, resolution through PriceLists::price, carts priced for their
// customer's group and channel at each add, orders re-priced at placement and naming their
// list, tax-inclusive prices with the default policy, records written before price lists,
// 8 threads editing lists while carts add and orders place, and a damaged record.
#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

#include "commerce/engine.h"
#include "commerce/price_lists.h"
#include "common/checksum.h"
#include "common/key.h"
#include "common/record_frame.h"
#include "price_lists/price_list_store.h"
#include "test_dir.h"
#include "test_engine.h"
#include "test_scale.h"

namespace price_lists_price_lists_test {

namespace {

using namespace commerce;
using commerce::testing::TempDir;

struct Shop {
  TempDir dir;
  std::unique_ptr<Engine> engine;

  explicit Shop(const std::string& driver = "lmdb") {
    EngineOptions o;
    o.path = dir.path();
    commerce::testing::UseTestDriver(o, driver, "plists");
    o.run_background = false;
    o.search.run_indexer = false;
    // 19% in "de", nothing elsewhere; no shipping.
    o.pricing = MakeDefaultPricing({.tax_bp_by_region = {{"de", 1900}}});
    auto e = Engine::open(o);
    INFO(e.status().ToString());
    REQUIRE(e.ok());
    engine = std::move(e).value();
    AddProduct("tee", "TEE", Money{2000, "USD"});
    AddProduct("mug", "MUG", Money{1000, "USD"});
    AddProduct("stollen", "STOLLEN", Money{900, "EUR"});
    Warehouse w;
    w.id = "w1";
    w.name = "One";
    w.region = "de";
    REQUIRE(engine->inventory().upsert_warehouse(w).ok());
    for (const char* sku : {"TEE", "MUG", "STOLLEN"})
      REQUIRE(engine->inventory().receive(sku, "w1", 100'000).ok());
    AddCustomer("alice", "wholesale");
    AddCustomer("bob", "");
  }
  void AddProduct(const std::string& id, const std::string& sku, Money price) {
    Product p;
    p.id = id;
    p.title = id;
    Variant v;
    v.sku = sku;
    v.price = price;
    p.variants.push_back(v);
    auto r = engine->catalog().upsert(p);
    INFO(r.status().ToString());
    REQUIRE(r.ok());
  }
  void AddCustomer(const std::string& id, const std::string& group) {
    Customer c;
    c.id = id;
    c.email = id + "@example.com";
    c.name = id;
    c.group = group;
    auto r = engine->customers().create(c);
    INFO(r.status().ToString());
    REQUIRE(r.ok());
  }
  PriceLists& lists() { return engine->price_lists(); }
  PriceList Create(PriceList l) {
    auto r = lists().create(l);
    INFO(r.status().ToString());
    REQUIRE(r.ok());
    return *r;
  }
  PlaceOrder Lines(const std::string& key, const std::string& customer,
                   std::vector<OrderLineRequest> lines, const std::string& currency = "EUR") {
    PlaceOrder r;
    r.idempotency_key = key;
    r.customer_id = customer;
    r.lines = std::move(lines);
    r.currency = currency;
    r.shipping_address = Address{"A", "1 Hauptstr.", "", "Berlin", "", "de", "DE"};
    return r;
  }
  Order Place(const PlaceOrder& r) {
    auto o = engine->orders().place(r);
    INFO(o.status().ToString());
    REQUIRE(o.ok());
    return *o;
  }
  // The stored bytes of a record, and a way to put others in their place.
  std::string Get(const char* table, const std::string& key) {
    auto t = engine->storage().table(table);
    REQUIRE(t.ok());
    auto txn = engine->storage().read();
    REQUIRE(txn.ok());
    auto v = (*txn)->get(*t, key);
    REQUIRE(v.ok());
    return std::string(*v);
  }
  void Put(const char* table, const std::string& key, const std::string& bytes) {
    auto t = engine->storage().table(table);
    REQUIRE(t.ok());
    REQUIRE(engine->storage().write([&](WriteTxn& w) { return w.put(*t, key, bytes); }).ok());
  }
};

PriceList List(const std::string& id, const std::string& currency,
               std::vector<PriceEntry> entries) {
  PriceList l;
  l.id = id;
  l.name = id.empty() ? "Unnamed" : "List " + id;
  l.currency = currency;
  l.entries = std::move(entries);
  return l;
}

}  // namespace

TEST_CASE("price lists: records and bad input", "[price_lists]") {
  Shop shop;
  auto& lists = shop.lists();
  PriceList eu = shop.Create(List("eu", "EUR", {{"TEE", 1800, 1}, {"TEE", 1500, 10}, {"MUG", 950, 1}}));
  CHECK(eu.version == 1);
  CHECK(eu.created_at_ms > 0);
  CHECK(lists.get("eu").value() == eu);
  CHECK(lists.create(eu).status().IsAlreadyExists());
  auto generated = lists.create(List("", "EUR", {}));
  REQUIRE(generated.ok());
  CHECK(generated->id.rfind("pl-", 0) == 0);
  CHECK(lists.list().value().items.size() == 2);

  PriceList changed = eu;
  changed.entries = {{"MUG", 990, 1}};
  CHECK(lists.update(changed, 7).status().IsConflict());
  auto updated = lists.update(changed, 1);
  REQUIRE(updated.ok());
  CHECK(updated->version == 2);
  CHECK(updated->created_at_ms == eu.created_at_ms);
  // The SKU the list no longer prices is back at its base price (in USD: none in EUR).
  CHECK(lists.price("TEE", {.currency = "EUR"}).status().IsFailedPrecondition());
  CHECK(lists.price("MUG", {.currency = "EUR"})->price == Money{990, "EUR"});
  changed.id = "nope";
  CHECK(lists.update(changed).status().IsNotFound());
  CHECK(lists.get("nope").status().IsNotFound());
  CHECK(lists.remove("eu", 1).IsConflict());
  CHECK(lists.remove("nope").IsNotFound());
  REQUIRE(lists.remove("eu", 2).ok());
  CHECK(lists.get("eu").status().IsNotFound());
  CHECK(lists.price("MUG", {.currency = "EUR"}).status().IsFailedPrecondition());
  CHECK(lists.price("MUG", {.currency = "USD"})->price == Money{1000, "USD"});

  // Bad lists: each is InvalidArgument naming its field, and nothing is written.
  struct Bad {
    const char* field;
    void (*edit)(PriceList&);
  };
  const std::vector<Bad> bad = {
      {"id: ", [](PriceList& l) { l.id = " padded"; }},
      {"name: ", [](PriceList& l) { l.name = ""; }},
      {"currency: 'XYZ'", [](PriceList& l) { l.currency = "XYZ"; }},
      {"customer_group: ", [](PriceList& l) { l.customer_group = "whole sale"; }},
      {"channel: ", [](PriceList& l) { l.channel = std::string(65, 'a'); }},
      {"starts_at_ms: ", [](PriceList& l) { l.starts_at_ms = -1; }},
      {"ends_at_ms: must be after", [](PriceList& l) { l.starts_at_ms = 10; l.ends_at_ms = 10; }},
      {"priority: ", [](PriceList& l) { l.priority = 2'000'000; }},
      {"entries[1].price_minor: -1", [](PriceList& l) { l.entries[1].price_minor = -1; }},
      {"entries[1].price_minor: ", [](PriceList& l) { l.entries[1].price_minor = kMaxMoneyMinor + 1; }},
      {"entries[0].min_quantity: 0", [](PriceList& l) { l.entries[0].min_quantity = 0; }},
      {"entries[0].sku: ", [](PriceList& l) { l.entries[0].sku = ""; }},
      {"entries[1]: sku 'TEE' at min_quantity 1 is given twice",
       [](PriceList& l) { l.entries[1] = l.entries[0]; }},
      {"entries[1].sku: no product has sku 'NOPE'", [](PriceList& l) { l.entries[1].sku = "NOPE"; }},
      {"entries: 10001 given", [](PriceList& l) {
         l.entries.clear();
         for (int i = 0; i <= 10'000; ++i) l.entries.push_back({"TEE", 1, i + 1});
       }},
  };
  for (const Bad& b : bad) {
    INFO(b.field);
    PriceList l = List("bad", "EUR", {{"TEE", 100, 1}, {"MUG", 100, 1}});
    b.edit(l);
    auto r = lists.create(l);
    CHECK(r.status().IsInvalidArgument());
    CHECK(r.status().message().rfind(b.field, 0) == 0);
    l.id = generated->id;
    if (std::string(b.field) == "id: ") continue;  // update names its list by id
    auto u = lists.update(l);
    CHECK(u.status().IsInvalidArgument());
  }
  CHECK(lists.get("bad").status().IsNotFound());
  CHECK(lists.get(generated->id)->version == 1);

  // Bad contexts for price().
  CHECK(lists.price("TEE", {.currency = "XYZ"}).status().IsInvalidArgument());
  CHECK(lists.price("TEE", {.currency = "EUR", .customer_group = "a/b"}).status().IsInvalidArgument());
  CHECK(lists.price("TEE", {.currency = "EUR", .quantity = 0}).status().IsInvalidArgument());
  CHECK(lists.price("TEE", {.currency = "EUR", .now_ms = -5}).status().IsInvalidArgument());
  CHECK(lists.price("", {.currency = "EUR"}).status().IsInvalidArgument());
  CHECK(lists.price("NOPE", {.currency = "EUR"}).status().IsNotFound());
  auto verified = shop.engine->verify();
  REQUIRE(verified.ok());
  CHECK(verified->problems.empty());
}

TEST_CASE("price lists: each write is one event naming the SKUs whose prices it changed",
          "[price_lists][events]") {
  Shop shop;
  auto& lists = shop.lists();
  PriceList eu = shop.Create(List("eu", "EUR", {{"TEE", 1800, 1}, {"TEE", 1500, 10}, {"MUG", 950, 1}}));
  PriceList changed = eu;
  changed.entries = {{"MUG", 990, 1}, {"STOLLEN", 800, 1}};
  REQUIRE(lists.update(changed, 1).ok());
  // Refused writes add nothing.
  CHECK(lists.update(changed, 1).status().IsConflict());
  CHECK(lists.create(List("bad", "EUR", {{"NOPE", 1, 1}})).status().IsInvalidArgument());
  REQUIRE(lists.remove("eu", 2).ok());
  CHECK(commerce::testing::EventTypesWithPrefix(*shop.engine, "PriceList") ==
        std::vector<std::string>{"PriceListUpserted", "PriceListUpserted", "PriceListRemoved"});
  auto events = shop.engine->events().tail(1, 10000);
  REQUIRE(events.ok());
  std::vector<std::string> data;
  for (const auto& ev : *events)
    if (ev.type.rfind("PriceList", 0) == 0) {
      CHECK(ev.subject == "eu");
      data.push_back(ev.data);
    }
  REQUIRE(data.size() == 3);
  auto has = [](const std::string& d, const std::string& part) {
    INFO(d);
    CHECK(d.find(part) != std::string::npos);
  };
  has(data[0], "\"skus\":[\"MUG\",\"TEE\"]");
  has(data[0], "\"created\":true");
  has(data[0], "\"entries\":3");
  has(data[0], "\"currency\":\"EUR\"");
  // An update names what it dropped (TEE) as well as what it prices now.
  has(data[1], "\"skus\":[\"MUG\",\"STOLLEN\",\"TEE\"]");
  has(data[1], "\"version\":2");
  has(data[1], "\"created\":false");
  has(data[2], "\"skus\":[\"MUG\",\"STOLLEN\"]");
  has(data[2], "\"version\":2");
}

TEST_CASE("price lists: the store's limit holds against concurrent creates", "[price_lists][concurrency]") {
  // The count was read from a scan that no write expected: creates prepared on one snapshot
  // could all pass the limit together. It is now a meta record each create expects as read.
  Shop shop;
  constexpr int kThreads = 8;
  std::atomic<int> next{0};
  auto fill = [&] {
    for (int i; (i = next.fetch_add(1)) < static_cast<int>(kMaxPriceLists) - kThreads;)
      REQUIRE(shop.lists().create(List("fill-" + std::to_string(i), "EUR", {})).ok());
  };
  std::vector<std::thread> fillers;
  for (int t = 0; t < kThreads; ++t) fillers.emplace_back(fill);
  for (auto& th : fillers) th.join();
  // 8 threads, 4 creates each, for the last 8 places.
  std::atomic<int> created{0}, refused{0}, other{0};
  std::vector<std::thread> racers;
  for (int t = 0; t < kThreads; ++t)
    racers.emplace_back([&, t] {
      for (int k = 0; k < 4; ++k) {
        auto r = shop.lists().create(List("race-" + std::to_string(t) + "-" + std::to_string(k), "EUR", {}));
        (r.ok() ? created : r.status().IsResourceExhausted() ? refused : other).fetch_add(1);
      }
    });
  for (auto& th : racers) th.join();
  CHECK(created == kThreads);
  CHECK(refused == 3 * kThreads);
  CHECK(other == 0);
  size_t listed = 0;
  PriceListPageOptions page{.limit = kMaxPriceListPage};
  do {
    auto got = shop.lists().list(page);
    REQUIRE(got.ok());
    listed += got->items.size();
    page.cursor = got->next_cursor;
  } while (!page.cursor.empty());
  CHECK(listed == kMaxPriceLists);
  auto v = shop.engine->verify();
  REQUIRE(v.ok());
  for (const auto& p : v->problems) CHECK(p.check + ": " + p.what == "");
}

TEST_CASE("price lists: a store without the list count counts its lists once", "[price_lists][verify]") {
  Shop shop;
  for (const char* id : {"a", "b", "c"}) shop.Create(List(id, "EUR", {}));
  auto meta = shop.engine->storage().table("meta");
  REQUIRE(meta.ok());
  const std::string count_key = commerce::PriceListCountKey();
  CHECK(shop.Get("meta", count_key) == KeyBuilder().u64(3).key());
  // As a store written before the count: none.
  REQUIRE(shop.engine->storage().write([&](WriteTxn& w) { return w.del(*meta, count_key); }).ok());
  auto clean = shop.engine->verify();
  REQUIRE(clean.ok());
  CHECK(clean->problems.empty());
  shop.Create(List("d", "EUR", {}));
  CHECK(shop.Get("meta", count_key) == KeyBuilder().u64(4).key());
  REQUIRE(shop.lists().remove("a").ok());
  CHECK(shop.Get("meta", count_key) == KeyBuilder().u64(3).key());
  // A count that disagrees with the lists is named by verify.
  shop.Put("meta", count_key, KeyBuilder().u64(7).key());
  auto v = shop.engine->verify();
  REQUIRE(v.ok());
  bool found = false;
  for (const auto& p : v->problems) found |= p.check == "price_lists" && p.what.find("counts 7") != std::string::npos;
  CHECK(found);
}

TEST_CASE("price lists: customer groups are validated and stored", "[price_lists][customers]") {
  Shop shop;
  auto& customers = shop.engine->customers();
  CHECK(customers.get("alice")->group == "wholesale");
  CHECK(customers.get("bob")->group.empty());
  Customer c = customers.get("bob").value();
  for (const char* bad : {"has space", "ü", "a.b", "0123456789012345678901234567890123456789012345678901234567890123X"}) {
    INFO(bad);
    c.group = bad;
    auto r = customers.update(c);
    CHECK(r.status().IsInvalidArgument());
    CHECK(r.status().message().rfind("group: ", 0) == 0);
  }
  c.group = "vip_2-tier";
  auto r = customers.update(c);
  REQUIRE(r.ok());
  CHECK(r->version == 2);
  CHECK(customers.get("bob")->group == "vip_2-tier");
  Customer fresh;
  fresh.email = "x@example.com";
  fresh.group = "bad group";
  CHECK(customers.create(fresh).status().IsInvalidArgument());
}

TEST_CASE("price lists: carts are priced for their customer's group and channel at each add",
          "[price_lists][carts]") {
  Shop shop;
  shop.Create(List("eu", "EUR", {{"TEE", 1800, 1}, {"TEE", 1500, 10}}));
  PriceList ws = List("eu-wholesale", "EUR", {{"TEE", 1200, 1}});
  ws.customer_group = "wholesale";
  shop.Create(ws);
  PriceList app = List("eu-app", "EUR", {{"TEE", 1700, 1}});
  app.channel = "app";
  shop.Create(app);
  auto& carts = shop.engine->carts();

  auto guest = carts.create({.currency = "EUR"});
  REQUIRE(guest.ok());
  CHECK(guest->channel.empty());
  auto g = carts.add(guest->id, "TEE", 1);
  REQUIRE(g.ok());
  CHECK(g->lines[0].unit_price == Money{1800, "EUR"});
  // The tier is the line's quantity after the add.
  g = carts.add(guest->id, "TEE", 9);
  REQUIRE(g.ok());
  CHECK(g->lines[0].quantity == 10);
  CHECK(g->lines[0].unit_price == Money{1500, "EUR"});
  g = carts.set_quantity(guest->id, "TEE", 2);
  REQUIRE(g.ok());
  CHECK(g->lines[0].unit_price == Money{1800, "EUR"});
  // A SKU based in USD with no EUR list: refused as before price lists.
  auto mug = carts.add(guest->id, "MUG", 1);
  CHECK(mug.status().IsInvalidArgument());
  CHECK(mug.status().message().find("no price list that applies prices it in 'EUR'") != std::string::npos);
  // A base price in the cart's currency still applies.
  REQUIRE(carts.add(guest->id, "STOLLEN", 1).ok());

  auto alices = carts.create({.customer_id = "alice", .currency = "EUR"});
  REQUIRE(alices.ok());
  CHECK(carts.add(alices->id, "TEE", 1)->lines[0].unit_price == Money{1200, "EUR"});
  auto in_app = carts.create({.currency = "EUR", .channel = "app"});
  REQUIRE(in_app.ok());
  CHECK(in_app->channel == "app");
  CHECK(carts.get(in_app->id)->channel == "app");
  CHECK(carts.add(in_app->id, "TEE", 1)->lines[0].unit_price == Money{1700, "EUR"});
  // A USD cart has no USD list: the base price.
  auto usd = carts.create({.currency = "USD"});
  REQUIRE(usd.ok());
  CHECK(carts.add(usd->id, "TEE", 1)->lines[0].unit_price == Money{2000, "USD"});

  auto bad = carts.create({.currency = "EUR", .channel = "no spaces"});
  CHECK(bad.status().IsInvalidArgument());
  CHECK(bad.status().message().rfind("channel: ", 0) == 0);

  // Login keeps the guest's channel and refuses to merge two channels' carts.
  auto app_guest = carts.create({.currency = "EUR", .channel = "app"});
  REQUIRE(app_guest.ok());
  REQUIRE(carts.add(app_guest->id, "TEE", 1).ok());
  auto merged = carts.merge_guest_into_customer(app_guest->id, "alice");
  CHECK(merged.status().IsInvalidArgument());
  CHECK(merged.status().message().rfind("channel: ", 0) == 0);
  auto to_bob = carts.merge_guest_into_customer(app_guest->id, "bob");
  REQUIRE(to_bob.ok());
  CHECK(to_bob->channel == "app");
}

TEST_CASE("price lists: orders are re-priced at placement and name their list", "[price_lists][orders]") {
  Shop shop;
  PriceList eu = shop.Create(List("eu", "EUR", {{"TEE", 1800, 1}, {"MUG", 950, 1}}));
  PriceList ws = List("eu-wholesale", "EUR", {{"TEE", 1200, 1}});
  ws.customer_group = "wholesale";
  shop.Create(ws);
  PriceList app = List("eu-app", "EUR", {{"MUG", 700, 1}});
  app.channel = "app";
  shop.Create(app);
  auto& carts = shop.engine->carts();

  // A cart priced at add, its list changed before the order: the order takes the new price.
  auto cart = carts.create({.customer_id = "bob", .currency = "EUR"});
  REQUIRE(cart.ok());
  REQUIRE(carts.add(cart->id, "TEE", 2).ok());
  PriceList cheaper = eu;
  cheaper.entries[0].price_minor = 1750;
  REQUIRE(shop.lists().update(cheaper).ok());
  PlaceOrder from_cart = shop.Lines("k1", "bob", {}, "");
  from_cart.cart_id = cart->id;
  Order o = shop.Place(from_cart);
  REQUIRE(o.lines.size() == 1);
  CHECK(o.currency == "EUR");
  CHECK(o.lines[0].unit_price == Money{1750, "EUR"});
  CHECK(o.lines[0].price_list_id == "eu");
  CHECK(!o.lines[0].tax_inclusive);
  CHECK(o.subtotal == Money{3500, "EUR"});
  CHECK(o.tax == Money{665, "EUR"});  // 19% added: the list is tax-exclusive
  CHECK(o.tax_included == Money{0, "EUR"});
  CHECK(shop.engine->orders().get(o.id).value() == o);

  // The customer's group and the request's channel choose; a base price names no list.
  Order alices = shop.Place(shop.Lines("k2", "alice", {{"TEE", 1}, {"MUG", 1}, {"STOLLEN", 1}}));
  CHECK(alices.lines[0].price_list_id == "eu-wholesale");
  CHECK(alices.lines[0].unit_price == Money{1200, "EUR"});
  CHECK(alices.lines[1].price_list_id == "eu");
  CHECK(alices.lines[2].price_list_id.empty());
  CHECK(alices.lines[2].unit_price == Money{900, "EUR"});
  PlaceOrder in_app = shop.Lines("k3", "bob", {{"MUG", 1}});
  in_app.channel = "app";
  Order app_order = shop.Place(in_app);
  CHECK(app_order.channel == "app");
  CHECK(app_order.lines[0].price_list_id == "eu-app");
  CHECK(app_order.lines[0].unit_price == Money{700, "EUR"});
  // The same key with another channel is another request.
  PlaceOrder other_channel = in_app;
  other_channel.channel = "web";
  CHECK(shop.engine->orders().place(other_channel).status().IsConflict());

  // A group the customer has left no longer prices its orders.
  Customer a = shop.engine->customers().get("alice").value();
  a.group = "";
  REQUIRE(shop.engine->customers().update(a).ok());
  CHECK(shop.Place(shop.Lines("k4", "alice", {{"TEE", 1}})).lines[0].price_list_id == "eu");

  // Bad input: a channel that is not a key; a channel other than the cart's; no EUR price.
  PlaceOrder bad = shop.Lines("k5", "bob", {{"TEE", 1}});
  bad.channel = "a b";
  auto r = shop.engine->orders().place(bad);
  CHECK(r.status().IsInvalidArgument());
  CHECK(r.status().message().rfind("channel: ", 0) == 0);
  auto app_cart = carts.create({.customer_id = "bob", .currency = "EUR", .channel = "app"});
  REQUIRE(app_cart.ok());
  REQUIRE(carts.add(app_cart->id, "MUG", 1).ok());
  PlaceOrder wrong_channel = shop.Lines("k6", "bob", {}, "");
  wrong_channel.cart_id = app_cart->id;
  wrong_channel.channel = "web";
  r = shop.engine->orders().place(wrong_channel);
  CHECK(r.status().IsInvalidArgument());
  CHECK(r.status().message().rfind("channel: 'web' differs from the cart's ('app')", 0) == 0);
  wrong_channel.channel = "";
  CHECK(shop.Place(wrong_channel).channel == "app");
  REQUIRE(shop.lists().remove("eu").ok());
  r = shop.engine->orders().place(shop.Lines("k7", "bob", {{"TEE", 1}}));
  CHECK(r.status().IsInvalidArgument());
  CHECK(r.status().message().rfind("lines[0].sku: sku 'TEE' is priced in USD; the order is in EUR", 0) == 0);
  // In USD the base price still applies, to every group and channel.
  PlaceOrder usd = shop.Lines("k8", "alice", {{"TEE", 1}}, "USD");
  usd.channel = "app";
  Order usd_order = shop.Place(usd);
  CHECK(usd_order.lines[0].unit_price == Money{2000, "USD"});
  CHECK(usd_order.lines[0].price_list_id.empty());
}

TEST_CASE("price lists: tax-inclusive prices hold their tax, the default policy adds none to them",
          "[price_lists][orders][pricing]") {
  Shop shop;
  PriceList gross = List("de-gross", "EUR", {{"TEE", 11900, 1}});
  gross.tax_inclusive = true;
  shop.Create(gross);
  shop.Create(List("de-net", "EUR", {{"MUG", 1000, 1}}));

  Order o = shop.Place(shop.Lines("k1", "bob", {{"TEE", 1}}));
  CHECK(o.lines[0].tax_inclusive);
  CHECK(o.subtotal == Money{11900, "EUR"});
  CHECK(o.tax == Money{0, "EUR"});
  CHECK(o.tax_included == Money{1900, "EUR"});
  CHECK(o.total == Money{11900, "EUR"});

  // Mixed: tax added to the net line only; the gross line's tax shown, not added.
  Order mixed = shop.Place(shop.Lines("k2", "bob", {{"TEE", 2}, {"MUG", 1}}));
  CHECK(mixed.subtotal == Money{24800, "EUR"});
  CHECK(mixed.tax == Money{190, "EUR"});
  CHECK(mixed.tax_included == Money{3800, "EUR"});
  CHECK(mixed.total == Money{24990, "EUR"});

  // Outside the taxed region: nothing included, nothing added.
  PlaceOrder elsewhere = shop.Lines("k3", "bob", {{"TEE", 1}});
  elsewhere.shipping_address.region = "nowhere";
  Order untaxed = shop.Place(elsewhere);
  CHECK(untaxed.tax_included == Money{0, "EUR"});
  CHECK(untaxed.total == Money{11900, "EUR"});
}

TEST_CASE("price lists: records written before price lists read unchanged", "[price_lists][codec]") {
  Shop shop;
  // Each record rewritten as its previous version wrote it: its class version (the archive's
  // first u32) set back, the fields the new version appends cut off, the frame's checksum
  // made anew.
  auto downgrade = [&](const char* table, const std::string& key, char version, size_t cut) {
    std::string bytes = shop.Get(table, key);
    REQUIRE(FramingOf(bytes) == RecordFraming::kFramed);
    REQUIRE(bytes.size() > kFrameHeader + cut);
    bytes[kFrameHeader] = version;
    bytes.resize(bytes.size() - cut);
    const uint32_t sum = RecordChecksum(std::string_view(bytes).substr(kFrameHeader));
    for (int i = 0; i < 4; ++i) bytes[2 + i] = static_cast<char>(sum >> (8 * i));
    shop.Put(table, key, bytes);
  };
  // A customer of version 1: no group (an empty string is its u64 length).
  Customer bob = shop.engine->customers().get("bob").value();
  downgrade("customers", KeyBuilder().str("bob").key(), '\x01', 8);
  CHECK(shop.engine->customers().get("bob").value() == bob);

  // A cart of version 1: no channel.
  auto cart = shop.engine->carts().create({.customer_id = "bob", .currency = "USD"});
  REQUIRE(cart.ok());
  Cart before = shop.engine->carts().add(cart->id, "TEE", 2).value();
  downgrade("carts", KeyBuilder().str(cart->id).key(), '\x01', 8);
  CHECK(shop.engine->carts().get(cart->id).value() == before);

  // An order of version 3: no channel, no tax included, no line's list or tax flag. Moved
  // once, so that its record holds its placement sequence as a version-3 record did.
  PlaceOrder r = shop.Lines("old", "bob", {{"TEE", 1}}, "USD");
  Order placed = shop.Place(r);
  placed = shop.engine->orders().transition(placed.id, OrderStatus::kPaid).value();
  // Version 4 appends: channel (8), tax_included (8 + 8 + "USD"), per line a list id (8)
  // and a flag (1).
  downgrade("orders", KeyBuilder().str(placed.id).key(), '\x03', 8 + 8 + 8 + 3 + 9);
  auto old = shop.engine->orders().get(placed.id);
  INFO(old.status().ToString());
  REQUIRE(old.ok());
  CHECK(*old == placed);
  // The upgraded customer and cart still work: placed at the base price, as always.
  PlaceOrder from_cart = shop.Lines("old-cart", "bob", {}, "");
  from_cart.cart_id = cart->id;
  Order o = shop.Place(from_cart);
  CHECK(o.lines[0].unit_price == Money{2000, "USD"});
  auto verified = shop.engine->verify();
  REQUIRE(verified.ok());
  for (const auto& p : verified->problems) INFO(p.where + ": " + p.what);
  CHECK(verified->problems.empty());
}

TEST_CASE("price lists: a damaged record is Corruption, and verify names it", "[price_lists][verify]") {
  Shop shop;
  shop.Create(List("eu", "EUR", {{"TEE", 1800, 1}}));
  const std::string key = PriceListKey("eu");
  std::string bad = shop.Get("price_lists", key);
  bad[bad.size() / 2] ^= 0x20;
  shop.Put("price_lists", key, bad);
  CHECK(shop.lists().get("eu").status().IsCorruption());
  CHECK(shop.lists().list().status().IsCorruption());
  CHECK(shop.lists().remove("eu").IsCorruption());
  auto report = shop.engine->verify();
  REQUIRE(report.ok());
  bool named = false;
  for (const auto& problem : report->problems) named = named || problem.where.rfind("price_lists", 0) == 0;
  CHECK(named);

  // A SKU's row that disagrees with the lists (one dropped by hand) is a verify problem too.
  Shop other;
  other.Create(List("eu", "EUR", {{"TEE", 1800, 1}}));
  auto t = other.engine->storage().table("sku_prices");
  REQUIRE(t.ok());
  REQUIRE(other.engine->storage().write([&](WriteTxn& w) { return w.del(*t, SkuPricesKey("TEE")); }).ok());
  auto missing = other.engine->verify();
  REQUIRE(missing.ok());
  REQUIRE(missing->problems.size() == 1);
  CHECK(missing->problems[0].what.find("is missing") != std::string::npos);
}

TEST_CASE("price lists: 8 threads edit lists while carts add and orders place", "[price_lists][concurrency]") {
  auto driver = GENERATE(as<std::string>{}, "lmdb", "sqlite");
  CAPTURE(driver);
  Shop shop(driver);
  // The sale is valid now in its odd versions and never (a window long past) in its even ones,
  // each version at a price of its own, and outranks the other list: an order priced from an
  // even version was priced from a list version that was never valid when it was placed.
  PriceList first = List("sale", "EUR", {{"TEE", 100'000, 1}});
  first.priority = 1;
  shop.Create(first);
  shop.Create(List("eu", "EUR", {{"TEE", 5000, 1}, {"MUG", 800, 1}}));
  const int rounds = commerce::testing::Scaled(40, 12);
  std::mutex mu;
  std::map<int64_t, uint64_t> valid_prices;  // price -> version, of the versions valid now
  std::set<int64_t> never_valid;
  valid_prices[100'000] = 1;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int w = 0; w < 2; ++w)
    threads.emplace_back([&, w] {
      for (int i = 0; i < rounds; ++i) {
        auto cur = shop.lists().get("sale");
        if (!cur.ok()) { ++failures; continue; }
        PriceList next = *cur;
        const bool valid = (cur->version + 1) % 2 == 1;  // odd next version: valid now
        const int64_t price = 1000 + int64_t(w) * 100'000 + i * 10 + (valid ? 1 : 2);
        next.entries = {{"TEE", price, 1}};
        next.starts_at_ms = valid ? 0 : 1'000;
        next.ends_at_ms = valid ? 0 : 2'000;
        {
          // Recorded before the write: an order may commit the moment it does.
          std::lock_guard<std::mutex> lock(mu);
          if (valid)
            valid_prices[price] = cur->version + 1;
          else
            never_valid.insert(price);
        }
        auto r = shop.lists().update(next, cur->version);
        if (!r.ok() && !r.status().IsConflict()) ++failures;
      }
    });
  for (int w = 0; w < 2; ++w)
    threads.emplace_back([&, w] {
      // Another list edited alongside, touching the SKU rows the sale shares.
      for (int i = 0; i < rounds; ++i) {
        PriceList eu = List("eu", "EUR", {{"TEE", 5000 + i, 1}, {"MUG", 800 + w, 1}});
        if (!shop.lists().update(eu).ok()) ++failures;
      }
    });
  std::vector<std::string> order_ids;
  for (int p = 0; p < 2; ++p)
    threads.emplace_back([&, p] {
      for (int i = 0; i < rounds; ++i) {
        auto o = shop.engine->orders().place(
            shop.Lines("t" + std::to_string(p) + "-" + std::to_string(i), p ? "alice" : "bob",
                       {{"TEE", 1}, {"MUG", 1}}));
        if (!o.ok()) { ++failures; continue; }
        std::lock_guard<std::mutex> lock(mu);
        order_ids.push_back(o->id);
      }
    });
  std::vector<std::string> cart_ids;
  for (int c = 0; c < 2; ++c)
    threads.emplace_back([&] {
      auto cart = shop.engine->carts().create({.currency = "EUR"});
      if (!cart.ok()) { ++failures; return; }
      for (int i = 0; i < rounds; ++i)
        if (!shop.engine->carts().add(cart->id, "TEE", 1).ok()) ++failures;
      std::lock_guard<std::mutex> lock(mu);
      cart_ids.push_back(cart->id);
    });
  for (auto& t : threads) t.join();
  CHECK(failures.load() == 0);
  REQUIRE(order_ids.size() == size_t(2 * rounds));
  int from_sale = 0;
  for (const auto& id : order_ids) {
    Order o = shop.engine->orders().get(id).value();
    const OrderLine& tee = o.lines[0];
    REQUIRE(tee.sku == "TEE");
    INFO("order " << id << " TEE at " << tee.unit_price.minor << " from '" << tee.price_list_id << "'");
    CHECK(never_valid.count(tee.unit_price.minor) == 0);
    if (tee.price_list_id == "sale") {
      ++from_sale;
      CHECK(valid_prices.count(tee.unit_price.minor) == 1);
    } else {
      // The sale was in a version never valid: the other list, at one of its prices.
      CHECK(tee.price_list_id == "eu");
      CHECK(tee.unit_price.minor >= 5000);
      CHECK(tee.unit_price.minor < 5000 + rounds);
    }
  }
  CHECK(from_sale > 0);
  for (const auto& id : cart_ids) CHECK(shop.engine->carts().get(id)->item_count == rounds);
  auto verified = shop.engine->verify();
  REQUIRE(verified.ok());
  CHECK(verified->problems.empty());
}

TEST_CASE("price lists: list pages from the store with a cursor", "[price_lists][paging]") {
  for (const std::string& driver : commerce::testing::TestStorageDrivers()) {
    CAPTURE(driver);
    Shop shop(driver);
    auto& lists = shop.lists();
    auto empty = lists.list();
    REQUIRE(empty.ok());
    CHECK(empty->items.empty());
    CHECK(empty->next_cursor.empty());
    for (int i = 0; i < 25; ++i) shop.Create(List("pl" + std::to_string(100 + i), "EUR", {}));
    for (size_t limit : {1, 2, 7, 20, 25, 100}) {
      CAPTURE(limit);
      std::vector<std::string> seen;
      PriceListPageOptions o{.limit = limit};
      for (int guard = 0; guard < 100; ++guard) {
        auto page = lists.list(o);
        REQUIRE(page.ok());
        REQUIRE(page->items.size() <= limit);
        for (const auto& l : page->items) seen.push_back(l.id);
        if (page->next_cursor.empty()) break;
        CHECK(page->items.size() == limit);
        CHECK(page->next_cursor == page->items.back().id);
        o.cursor = page->next_cursor;
      }
      std::vector<std::string> want;
      for (int i = 0; i < 25; ++i) want.push_back("pl" + std::to_string(100 + i));
      CHECK(seen == want);
    }
    // Lists created and removed between pages: none repeats, none of the others is hidden.
    PriceListPageOptions o{.limit = 5};
    auto first = lists.list(o);
    REQUIRE(first.ok());
    CHECK(first->next_cursor == "pl104");
    shop.Create(List("pl000", "EUR", {}));   // before the cursor: not on a later page
    shop.Create(List("pl1045", "EUR", {}));  // after it: on the next page
    REQUIRE(lists.remove("pl106").ok());
    o.cursor = first->next_cursor;
    auto second = lists.list(o);
    REQUIRE(second.ok());
    std::vector<std::string> ids;
    for (const auto& l : second->items) ids.push_back(l.id);
    CHECK(ids == std::vector<std::string>{"pl1045", "pl105", "pl107", "pl108", "pl109"});

    // Bad input: a clear error naming the field, whatever the store holds.
    for (size_t bad : {size_t{0}, kMaxPriceListPage + 1}) {
      auto r = lists.list({.limit = bad});
      CHECK(r.status().IsInvalidArgument());
      CHECK(r.status().message().rfind("limit:", 0) == 0);
    }
    for (const std::string& bad : {std::string(65, 'a'), std::string("a\x01b"), std::string("\xff")}) {
      auto r = lists.list({.cursor = bad});
      CHECK(r.status().IsInvalidArgument());
      CHECK(r.status().message().rfind("cursor:", 0) == 0);
    }
  }
}

}  // namespace price_lists_price_lists_test
