// Promotions limited to customer groups and channels, and tiered promotions, through the engine
// on every storage driver: carts priced and orders placed (the group and channel as the order
// commits), bad input that writes nothing, the PromotionUpserted and CouponUpserted events,
// promotions stored before groups, channels and tiers, commerce verify on the new fields, and
// threads changing a customer's group while orders place.
#include <algorithm>
#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

#include "commerce/channels.h"
#include "commerce/engine.h"
#include "commerce/webhooks.h"
#include "common/checksum.h"
#include "common/key.h"
#include "common/record_frame.h"
#include "pg_test_cluster.h"
#include "promotions/promotion_store.h"
#include "test_dir.h"
#include "test_engine.h"
#include "test_scale.h"

namespace promotions_promotion_conditions_test {

namespace {

using namespace commerce;
using commerce::testing::TempDir;

struct Shop {
  TempDir dir;
  std::unique_ptr<Engine> engine;

  explicit Shop(const std::string& driver) {
    EngineOptions o = commerce::testing::QuietEngineOptions(dir.path());
    commerce::testing::UseTestDriver(o, driver, "promo");
    auto e = Engine::open(o);
    INFO(e.status().ToString());
    REQUIRE(e.ok());
    engine = std::move(e).value();
    Category shoes;
    shoes.id = "shoes";
    shoes.name = "Shoes";
    REQUIRE(engine->catalog().upsert_category(shoes).ok());
    AddProduct("shoe", "SHOE", 5000, {"shoes"});
    AddProduct("sock", "SOCK", 500, {});
    Warehouse w;
    w.id = "w1";
    w.name = "One";
    w.region = "us-east";
    REQUIRE(engine->inventory().upsert_warehouse(w).ok());
    REQUIRE(engine->inventory().receive("SHOE", "w1", 100'000).ok());
    REQUIRE(engine->inventory().receive("SOCK", "w1", 100'000).ok());
    for (auto [id, group] : {std::pair{"alice", "vip"}, {"bob", ""}, {"carol", "retail"}}) {
      Customer c;
      c.id = id;
      c.email = std::string(id) + "@example.com";
      c.name = id;
      c.group = group;
      REQUIRE(engine->customers().create(c).ok());
    }
    for (const char* ch : {"web", "pos"}) {
      Channel c;
      c.id = ch;
      c.name = ch;
      c.default_currency = "USD";
      REQUIRE(engine->channels().create(c).ok());
    }
  }
  void AddProduct(const std::string& id, const std::string& sku, int64_t price,
                  std::vector<std::string> categories) {
    Product p;
    p.id = id;
    p.title = id;
    p.categories = std::move(categories);
    Variant v;
    v.sku = sku;
    v.price = Money{price, "USD"};
    p.variants.push_back(v);
    auto r = engine->catalog().upsert(p);
    INFO(r.status().ToString());
    REQUIRE(r.ok());
  }
  Promotions& promotions() { return engine->promotions(); }
  Promotion Create(const Promotion& p) {
    auto r = promotions().create(p);
    INFO(r.status().ToString());
    REQUIRE(r.ok());
    return *r;
  }
  std::string Cart(const std::string& customer, const std::string& channel, int64_t shoes, int64_t socks = 0) {
    auto cart = engine->carts().create({.customer_id = customer, .currency = "USD", .channel = channel});
    INFO(cart.status().ToString());
    REQUIRE(cart.ok());
    if (shoes) REQUIRE(engine->carts().add(cart->id, "SHOE", shoes).ok());
    if (socks) REQUIRE(engine->carts().add(cart->id, "SOCK", socks).ok());
    return cart->id;
  }
  PlaceOrder Order(const std::string& key, const std::string& customer, const std::string& channel,
                   int64_t shoes, std::vector<std::string> coupons = {}) {
    PlaceOrder r;
    r.idempotency_key = key;
    r.customer_id = customer;
    r.channel = channel;
    r.lines.push_back({"SHOE", shoes});
    r.shipping_address = Address{"A", "1 Main St", "", "Town", "", "us-east", "US"};
    r.coupon_codes = std::move(coupons);
    return r;
  }
  // The discount an order gets, or -1 with the error in the test's output.
  int64_t OrderDiscount(const PlaceOrder& r) {
    auto o = engine->orders().place(r);
    INFO(o.status().ToString());
    CHECK(o.ok());
    return o.ok() ? o->discount.minor : -1;
  }
};

// Every problem commerce verify finds, one a line ("" for a clean store).
std::string Problems(Engine& engine) {
  auto report = engine.verify();
  if (!report.ok()) return report.status().ToString();
  std::string out;
  for (const auto& p : report->problems) out += p.check + " " + p.where + ": " + p.what + "\n";
  return out;
}

Promotion PercentOff(const std::string& id, int32_t bp) {
  Promotion p;
  p.id = id;
  p.name = "Promotion " + id;
  p.currency = "USD";
  p.action = PromotionAction::kPercentOffLines;
  p.percent_bp = bp;
  return p;
}

Promotion Tiered(const std::string& id, PromotionTierBasis basis, std::vector<PromotionTier> tiers) {
  Promotion p;
  p.id = id;
  p.name = "Tiers " + id;
  p.currency = "USD";
  p.action = PromotionAction::kTiered;
  p.tier_basis = basis;
  p.tiers = std::move(tiers);
  return p;
}

}  // namespace

TEST_CASE("promotions by customer group and channel: carts and orders", "[promotions][conditions]") {
  for (const std::string& driver : commerce::testing::TestStorageDrivers()) {
    CAPTURE(driver);
    Shop shop(driver);
    Promotion vip = PercentOff("vip", 1000);
    vip.customer_groups = {"vip", "staff"};
    shop.Create(vip);
    Promotion web = PercentOff("web", 2000);
    web.channels = {"web"};
    shop.Create(web);
    Promotion coupon = PercentOff("vip-web", 500);
    coupon.customer_groups = {"vip"};
    coupon.channels = {"web"};
    coupon.requires_coupon = true;
    shop.Create(coupon);
    REQUIRE(shop.promotions().create_coupon({.code = "VIPWEB", .promotion_id = "vip-web"}).ok());

    struct Row {
      const char* customer;
      const char* channel;
      std::vector<std::string> applied;
    };
    // One shoe (50.00): vip 10% first (ids at equal priority), then web 20% of what is left.
    const std::vector<Row> rows = {
        {"alice", "web", {"vip", "web"}}, {"alice", "pos", {"vip"}}, {"alice", "", {"vip"}},
        {"bob", "web", {"web"}},          {"carol", "pos", {}},      {"", "web", {"web"}},
        {"", "", {}},
    };
    for (const Row& row : rows) {
      CAPTURE(row.customer, row.channel);
      auto priced = shop.promotions().price_cart(shop.Cart(row.customer, row.channel, 1));
      INFO(priced.status().ToString());
      REQUIRE(priced.ok());
      std::vector<std::string> applied;
      for (const auto& a : priced->promotions) applied.push_back(a.promotion_id);
      CHECK(applied == row.applied);
    }
    // The coupon's answer names the condition that fails.
    auto why = [&](const char* customer, const char* channel) {
      auto r = shop.promotions().price_cart(shop.Cart(customer, channel, 1), {.coupon_codes = {"vipweb"}});
      return r.ok() ? std::string("applies") : r.status().message();
    };
    CHECK(why("alice", "web") == "applies");
    CHECK(why("carol", "web") ==
          "coupon 'VIPWEB': its promotion is for customer groups 'vip' only; customer 'carol' is in 'retail'");
    CHECK(why("bob", "web") ==
          "coupon 'VIPWEB': its promotion is for customer groups 'vip' only; customer 'bob' is in none");
    CHECK(why("", "web") == "coupon 'VIPWEB': its promotion is for customer groups 'vip' only; a guest is in none");
    CHECK(why("alice", "pos") == "coupon 'VIPWEB': its promotion is for channels 'web' only; the cart is in 'pos'");
    CHECK(why("alice", "") == "coupon 'VIPWEB': its promotion is for channels 'web' only; the cart is in no channel");

    // Orders: by lines in a channel, and from a cart (its channel), the same answers.
    CHECK(shop.OrderDiscount(shop.Order("o1", "alice", "web", 1)) == 500 + 900);
    CHECK(shop.OrderDiscount(shop.Order("o2", "alice", "pos", 1)) == 500);
    CHECK(shop.OrderDiscount(shop.Order("o3", "bob", "", 1)) == 0);
    CHECK(shop.OrderDiscount(shop.Order("o4", "carol", "web", 1)) == 1000);
    CHECK(shop.OrderDiscount(shop.Order("o5", "alice", "web", 1, {"VIPWEB"})) == 500 + 900 + 180);
    auto refused = shop.engine->orders().place(shop.Order("o6", "carol", "web", 1, {"VIPWEB"}));
    CHECK(refused.status().IsFailedPrecondition());
    CHECK(refused.status().message().find("customer 'carol' is in 'retail'") != std::string::npos);
    PlaceOrder from_cart = shop.Order("o7", "alice", "", 0);
    from_cart.lines.clear();
    from_cart.cart_id = shop.Cart("alice", "web", 2);
    CHECK(shop.OrderDiscount(from_cart) == 1000 + 1800);
    // The customer's group as it is now: carol joins the staff group.
    Customer carol = shop.engine->customers().get("carol").value();
    carol.group = "staff";
    REQUIRE(shop.engine->customers().update(carol).ok());
    CHECK(shop.OrderDiscount(shop.Order("o8", "carol", "pos", 1)) == 500);
    CHECK(Problems(*shop.engine) == "");
  }
}

TEST_CASE("tiered promotions through the engine: by subtotal and by quantity", "[promotions][conditions]") {
  for (const std::string& driver : commerce::testing::TestStorageDrivers()) {
    CAPTURE(driver);
    Shop shop(driver);
    // Shoes: 5% from 100.00, 10% from 200.00. Socks: 1.00 off from 4 units, 3.00 from 10.
    Promotion by_subtotal = Tiered("shoes", PromotionTierBasis::kSubtotal, {{10000, 500, 0}, {20000, 1000, 0}});
    by_subtotal.categories = {"shoes"};
    shop.Create(by_subtotal);
    Promotion by_units = Tiered("socks", PromotionTierBasis::kQuantity, {{4, 0, 100}, {10, 0, 300}});
    by_units.skus = {"SOCK"};
    shop.Create(by_units);
    struct Row {
      int64_t shoes, socks, discount;
    };
    const std::vector<Row> rows = {
        {1, 3, 0},                  // 50.00 of shoes, 3 socks: no tier
        {2, 4, 500 + 100},          // exactly 100.00 and exactly 4 units
        {3, 9, 750 + 100},          // 150.00: still 5%
        {4, 10, 2000 + 300},        // exactly 200.00 and 10 units
        {10, 40, 5000 + 300},
    };
    for (const Row& row : rows) {
      CAPTURE(row.shoes, row.socks);
      auto priced = shop.promotions().price_cart(shop.Cart("bob", "", row.shoes, row.socks));
      REQUIRE(priced.ok());
      CHECK(priced->discount.minor == row.discount);
    }
    PlaceOrder r = shop.Order("t1", "bob", "", 4);
    r.lines.push_back({"SOCK", 10});
    auto o = shop.engine->orders().place(r);
    REQUIRE(o.ok());
    CHECK(o->discount.minor == 2300);
    REQUIRE(o->promotions.size() == 2);
    CHECK(o->promotions[0].amount.minor == 2000);
    CHECK(o->promotions[1].amount.minor == 300);
    // Stored and read back as created; verify accepts it.
    CHECK(shop.promotions().get("shoes").value().tiers == by_subtotal.tiers);
    CHECK(shop.promotions().get("socks").value().tier_basis == PromotionTierBasis::kQuantity);
    CHECK(Problems(*shop.engine) == "");
  }
}

TEST_CASE("promotions: groups, channels and tiers refused when bad, writing nothing", "[promotions][conditions]") {
  Shop shop("lmdb");
  auto& promos = shop.promotions();
  const uint64_t events_before = shop.engine->events().tail(1, 10000).value().size();
  auto bad = [&](std::function<void(Promotion&)> edit, const std::string& says) {
    Promotion p = Tiered("bad", PromotionTierBasis::kSubtotal, {{10000, 500, 0}, {20000, 1000, 0}});
    edit(p);
    auto r = promos.create(p);
    INFO(r.status().ToString());
    CHECK(r.status().IsInvalidArgument());
    CHECK(r.status().message() == says);
  };
  bad([](Promotion& p) { p.tiers.clear(); }, "tiers: a tiered promotion needs at least one tier");
  bad([](Promotion& p) { p.tiers = {{20000, 500, 0}, {10000, 1000, 0}}; },
      "tiers[1].threshold: 10000 is not above the tier before it (20000); tiers go in ascending order");
  bad([](Promotion& p) { p.tiers = {{10000, 500, 0}, {10000, 1000, 0}}; },
      "tiers[1].threshold: 10000 is not above the tier before it (10000); tiers go in ascending order");
  bad([](Promotion& p) {
        p.tiers.clear();
        for (int i = 1; i <= 21; ++i) p.tiers.push_back({i * 100, 100, 0});
      },
      "tiers: 21 tiers; at most 20");
  bad([](Promotion& p) { p.tiers[0].threshold = -5; }, "tiers[0].threshold: -5 is not in 1..1000000000000000");
  bad([](Promotion& p) { p.tiers[0].threshold = 0; }, "tiers[0].threshold: 0 is not in 1..1000000000000000");
  bad([](Promotion& p) { p.tiers[1].percent_bp = 10001; }, "tiers[1].percent_bp: 10001 is not in 1..10000");
  bad([](Promotion& p) { p.tiers[1].percent_bp = -1; }, "tiers[1].percent_bp: -1 is not in 1..10000");
  bad([](Promotion& p) { p.tiers[1] = {20000, 0, -100}; }, "tiers[1].amount_minor: -100 is not in 1..1000000000000000");
  bad([](Promotion& p) { p.tiers[0].amount_minor = 100; }, "tiers[0]: give exactly one of percent_bp and amount_minor");
  bad([](Promotion& p) { p.tiers[0].percent_bp = 0; }, "tiers[0]: give exactly one of percent_bp and amount_minor");
  bad([](Promotion& p) {
        p.tier_basis = PromotionTierBasis::kQuantity;
        p.tiers = {{5, 100, 0}, {2'000'000'000, 200, 0}};
      },
      "tiers[1].threshold: 2000000000 is not in 1..1000000");
  bad([](Promotion& p) { p.percent_bp = 500; },
      "percent_bp: not used by (tiered); each tier has its own");
  bad([](Promotion& p) { p.amount_minor = 500; },
      "amount_minor: not used by (tiered); each tier has its own");
  bad([](Promotion& p) { p.currency = "ZZZ"; }, "currency: 'ZZZ' is not an ISO 4217 code");
  bad([](Promotion& p) {
        p.action = PromotionAction::kPercentOffLines;
        p.percent_bp = 100;
      },
      "tiers, tier_basis: only for tiered, not (percent_off_lines)");
  bad([](Promotion& p) {
        p.action = PromotionAction::kPercentOffLines;
        p.percent_bp = 100;
        p.tiers.clear();
        p.tier_basis = PromotionTierBasis::kQuantity;
      },
      "tiers, tier_basis: only for tiered, not (percent_off_lines)");
  bad([](Promotion& p) { p.customer_groups = {"vip", ""}; }, "customer_groups[1]: empty");
  bad([](Promotion& p) { p.customer_groups = {"v i p"}; },
      "customer_groups[0]: may hold only A-Z a-z 0-9 '-' '_' (e.g. wholesale)");
  bad([](Promotion& p) { p.customer_groups = {"vip", "vip"}; }, "customer_groups[1]: 'vip' is given twice");
  bad([](Promotion& p) { p.customer_groups.assign(101, "g"); }, "customer_groups: 101 entries; at most 100");
  bad([](Promotion& p) { p.channels = {std::string(65, 'c')}; }, "channels[0]: is 65 bytes, more than 64");
  bad([](Promotion& p) { p.channels = {"web", "web"}; }, "channels[1]: 'web' is given twice");
  CHECK(promos.get("bad").status().IsNotFound());
  CHECK(promos.list().value().empty());
  CHECK(shop.engine->events().tail(1, 10000).value().size() == events_before);
  // An update refused the same way leaves the record and writes no event.
  Promotion good = shop.Create(Tiered("good", PromotionTierBasis::kSubtotal, {{100, 100, 0}}));
  Promotion worse = good;
  worse.tiers.push_back({50, 200, 0});
  CHECK(promos.update(worse).status().IsInvalidArgument());
  CHECK(promos.get("good").value() == good);
  CHECK(shop.engine->events().tail(1, 10000).value().size() == events_before + 1);
  CHECK(ParsePromotionTierBasis("quantity").value() == PromotionTierBasis::kQuantity);
  CHECK(ParsePromotionTierBasis("units").status().message() == "tier_basis: 'units' is not one of subtotal, quantity");
  CHECK(ParsePromotionAction("tiered").value() == PromotionAction::kTiered);
}

TEST_CASE("promotion and coupon writes add their events in the same transaction", "[promotions][events]") {
  for (const std::string& driver : commerce::testing::TestStorageDrivers()) {
    CAPTURE(driver);
    Shop shop(driver);
    auto& promos = shop.promotions();
    const uint64_t start = shop.engine->events().tail(1, 10000).value().size();
    Promotion p = Tiered("bulk", PromotionTierBasis::kQuantity, {{3, 500, 0}, {10, 0, 2500}});
    p.customer_groups = {"vip"};
    p.channels = {"web", "pos"};
    p.requires_coupon = true;
    const Promotion created = shop.Create(p);
    REQUIRE(promos.create_coupon({.code = "bulk-1", .promotion_id = "bulk", .usage_limit = 10}).ok());
    Promotion changed = created;
    changed.active = false;
    changed.tiers = {{5, 1000, 0}};
    const Promotion updated = promos.update(changed, 1).value();
    Coupon c = promos.get_coupon("BULK-1").value();
    c.per_customer_limit = 2;
    REQUIRE(promos.update_coupon(c, 1).ok());
    // Refused writes add nothing.
    CHECK(promos.update(changed, 1).status().IsConflict());
    CHECK(promos.create_coupon({.code = "BULK-1", .promotion_id = "bulk"}).status().IsAlreadyExists());

    auto events = shop.engine->events().tail(1, 10000);
    REQUIRE(events.ok());
    REQUIRE(events->size() == start + 4);
    std::vector<Event> mine(events->begin() + static_cast<long>(start), events->end());
    CHECK(mine[0].type == "PromotionUpserted");
    CHECK(mine[0].subject == "bulk");
    CHECK(mine[0].data ==
          "{\"promotion_id\":\"bulk\",\"name\":\"Tiers bulk\",\"active\":true,\"currency\":\"USD\","
          "\"action\":\"tiered\",\"requires_coupon\":true,\"priority\":0,\"exclusive\":false,"
          "\"starts_at_ms\":0,\"ends_at_ms\":0,\"skus\":0,\"categories\":0,\"customer_ids\":0,"
          "\"customer_groups\":[\"vip\"],\"channels\":[\"web\",\"pos\"],\"tier_basis\":\"quantity\","
          "\"tiers\":[{\"threshold\":3,\"percent_bp\":500,\"amount_minor\":0},"
          "{\"threshold\":10,\"percent_bp\":0,\"amount_minor\":2500}],\"version\":1,\"created\":true}");
    CHECK(mine[0].time_ms == created.created_at_ms);
    CHECK(mine[1].type == "CouponUpserted");
    CHECK(mine[1].subject == "BULK-1");
    CHECK(mine[1].data ==
          "{\"code\":\"BULK-1\",\"promotion_id\":\"bulk\",\"active\":true,\"usage_limit\":10,"
          "\"per_customer_limit\":0,\"version\":1,\"created\":true}");
    CHECK(mine[2].type == "PromotionUpserted");
    CHECK(mine[2].data.find("\"active\":false") != std::string::npos);
    CHECK(mine[2].data.find("\"tiers\":[{\"threshold\":5,\"percent_bp\":1000,\"amount_minor\":0}]") != std::string::npos);
    CHECK(mine[2].data.find("\"version\":2,\"created\":false}") != std::string::npos);
    CHECK(mine[2].time_ms == updated.updated_at_ms);
    CHECK(mine[3].type == "CouponUpserted");
    CHECK(mine[3].data ==
          "{\"code\":\"BULK-1\",\"promotion_id\":\"bulk\",\"active\":true,\"usage_limit\":10,"
          "\"per_customer_limit\":2,\"version\":2,\"created\":false}");
    for (size_t i = 1; i < mine.size(); ++i) CHECK(mine[i].seq == mine[i - 1].seq + 1);
    // A promotion that is not tiered says nothing of tiers.
    shop.Create(PercentOff("plain", 100));
    auto last = shop.engine->events().tail(1, 10000).value().back();
    CHECK(last.type == "PromotionUpserted");
    CHECK(last.data.find("tier") == std::string::npos);
    // Webhooks may subscribe to both.
    const auto& types = WebhookEventTypes();
    CHECK(std::find(types.begin(), types.end(), "PromotionUpserted") != types.end());
    CHECK(std::find(types.begin(), types.end(), "CouponUpserted") != types.end());
  }
}

TEST_CASE("a promotion stored before groups, channels and tiers keeps its meaning", "[promotions][conditions]") {
  for (const std::string& driver : commerce::testing::TestStorageDrivers()) {
    CAPTURE(driver);
    Shop shop(driver);
    Promotion old = PercentOff("old", 1000);
    old.categories = {"shoes"};
    old = shop.Create(old);
    // Rewrite it as version 1 wrote it: class version 1, without the fields version 2 appends
    // (two empty lists, the tier basis and an empty tier count: 8 + 8 + 1 + 4 zero bytes).
    Storage& st = shop.engine->storage();
    auto table = st.table("promotions");
    REQUIRE(table.ok());
    const std::string key = PromotionKey("old");
    std::string bytes;
    {
      auto txn = st.read();
      REQUIRE(txn.ok());
      auto stored = (*txn)->get(*table, key);
      REQUIRE(stored.ok());
      bytes = std::string(*stored);
    }
    REQUIRE(FramingOf(bytes) == RecordFraming::kFramed);
    std::string archive = bytes.substr(kFrameHeader);
    REQUIRE(archive.compare(0, 4, std::string("\x02\x00\x00\x00", 4)) == 0);
    REQUIRE(archive.size() > 21);
    REQUIRE(archive.compare(archive.size() - 21, 21, std::string(21, '\0')) == 0);
    archive[0] = '\x01';
    archive.resize(archive.size() - 21);
    std::string v1 = bytes.substr(0, kFrameHeader) + archive;
    const uint32_t sum = RecordChecksum(std::string_view(v1).substr(kFrameHeader));
    for (int i = 0; i < 4; ++i) v1[2 + i] = static_cast<char>(sum >> (8 * i));
    REQUIRE(st.write([&](WriteTxn& w) { return w.put(*table, key, v1); }).ok());

    CHECK(shop.promotions().get("old").value() == old);
    // It applies as before, to any group and channel (a guest, a group, a channel).
    for (auto [customer, channel] : {std::pair{"", ""}, {"alice", "web"}, {"carol", "pos"}}) {
      CAPTURE(customer, channel);
      auto priced = shop.promotions().price_cart(shop.Cart(customer, channel, 1));
      REQUIRE(priced.ok());
      CHECK(priced->discount.minor == 500);
    }
    CHECK(shop.OrderDiscount(shop.Order("old-1", "alice", "web", 1)) == 500);
    CHECK(Problems(*shop.engine) == "");
    // An update writes it as the current version, with the new fields.
    Promotion edited = old;
    edited.channels = {"pos"};
    REQUIRE(shop.promotions().update(edited).ok());
    CHECK(shop.OrderDiscount(shop.Order("old-2", "alice", "web", 1)) == 0);
    CHECK(shop.OrderDiscount(shop.Order("old-3", "alice", "pos", 1)) == 500);
  }
}

TEST_CASE("commerce verify checks the promotions' new fields", "[promotions][verify]") {
  Shop shop("lmdb");
  shop.Create(Tiered("t", PromotionTierBasis::kSubtotal, {{100, 100, 0}, {200, 200, 0}}));
  REQUIRE(shop.promotions().create_coupon({.code = "T", .promotion_id = "t"}).ok());
  auto report = shop.engine->verify();
  REQUIRE(report.ok());
  CHECK(report->problems.empty());
  CHECK(report->records.at("promotions") == 1);
  CHECK(report->records.at("coupons") == 1);
  // Records no engine writes: tiers out of order, a group with a space, a coupon whose promotion is
  // missing.
  Promotion broken = shop.promotions().get("t").value();
  broken.tiers = {{200, 100, 0}, {100, 200, 0}};
  Promotion spaced = broken;
  spaced.id = "spaced";
  spaced.tiers = {{100, 100, 0}};
  spaced.customer_groups = {"a b"};
  Coupon orphan;
  orphan.code = "ORPHAN";
  orphan.promotion_id = "gone";
  Storage& st = shop.engine->storage();
  auto promotions = st.table("promotions");
  auto coupons = st.table("coupons");
  REQUIRE(promotions.ok());
  REQUIRE(coupons.ok());
  REQUIRE(st.write([&](WriteTxn& w) {
              Status s = w.put(*promotions, PromotionKey("t"), EncodePromotion(broken));
              if (s.ok()) s = w.put(*promotions, PromotionKey("spaced"), EncodePromotion(spaced));
              if (s.ok()) s = w.put(*coupons, CouponKey("ORPHAN"), EncodeCoupon(orphan));
              return s;
            }).ok());
  report = shop.engine->verify();
  REQUIRE(report.ok());
  std::vector<std::string> found;
  for (const auto& p : report->problems)
    if (p.check == "promotions") found.push_back(p.what);
  CHECK(found == std::vector<std::string>{
                     "customer_groups[0]: may hold only A-Z a-z 0-9 '-' '_' (e.g. wholesale)",
                     "tiers[1].threshold: 100 is not above the tier before it (200); tiers go in ascending order",
                     "unlocks promotion 'gone', which does not exist"});
}

TEST_CASE("threads change a customer's group while orders place: each discount follows the group at commit",
          "[promotions][conditions][concurrency]") {
  for (const std::string& driver : commerce::testing::TestStorageDrivers()) {
    CAPTURE(driver);
    Shop shop(driver);
    Promotion vip = PercentOff("vip", 2000);  // 10.00 off a 50.00 shoe
    vip.customer_groups = {"vip"};
    shop.Create(vip);
    // Editors flip alice between vip and retail; each update's version says which group it set.
    std::mutex mu;
    std::map<uint64_t, std::string> group_at_version = {{1, "vip"}};
    const int rounds = commerce::testing::Scaled(25, 8);
    std::atomic<int> failures{0};
    std::vector<std::thread> threads;
    for (int e = 0; e < 2; ++e)
      threads.emplace_back([&, e] {
        for (int i = 0; i < rounds; ++i) {
          for (int attempt = 0; attempt < 50; ++attempt) {
            auto c = shop.engine->customers().get("alice");
            if (!c.ok()) break;
            Customer next = *c;
            next.group = (i + e) % 2 ? "vip" : "retail";
            auto r = shop.engine->customers().update(next, c->version);
            if (r.status().IsConflict()) continue;
            if (!r.ok()) {
              ++failures;
              UNSCOPED_INFO(r.status().ToString());
              break;
            }
            std::lock_guard<std::mutex> lock(mu);
            group_at_version[r->version] = r->group;
            break;
          }
        }
      });
    std::vector<std::string> order_ids;
    for (int p = 0; p < 4; ++p)
      threads.emplace_back([&, p] {
        for (int i = 0; i < rounds; ++i) {
          auto o = shop.engine->orders().place(
              shop.Order("g" + std::to_string(p) + "-" + std::to_string(i), "alice", p % 2 ? "web" : "", 1));
          if (!o.ok()) {
            ++failures;
            UNSCOPED_INFO(o.status().ToString());
            continue;
          }
          std::lock_guard<std::mutex> lock(mu);
          order_ids.push_back(o->id);
        }
      });
    for (auto& t : threads) t.join();
    CHECK(failures.load() == 0);
    REQUIRE(order_ids.size() == size_t(4 * rounds));

    // Replay the log: each order's discount is the one for alice's group as of the newest
    // CustomerUpdated before its OrderPlaced.
    auto events = shop.engine->events().tail(1, 10000);
    REQUIRE(events.ok());
    std::string group = "vip";
    std::map<std::string, int> orders_by_group;
    for (const Event& ev : *events) {
      if (ev.type == "CustomerUpdated" && ev.subject == "alice") {
        const auto at = ev.data.find("\"version\":");
        REQUIRE(at != std::string::npos);
        const uint64_t version = std::stoull(ev.data.substr(at + 10));
        REQUIRE(group_at_version.count(version));
        group = group_at_version[version];
      } else if (ev.type == "OrderPlaced") {
        Order o = shop.engine->orders().get(ev.subject).value();
        INFO("order " << o.id << " at seq " << ev.seq << " in group " << group);
        CHECK(o.discount.minor == (group == "vip" ? 1000 : 0));
        CHECK((ev.data.find("\"promotion_id\":\"vip\"") != std::string::npos) == (group == "vip"));
        ++orders_by_group[group];
      }
    }
    CHECK(orders_by_group["vip"] + orders_by_group["retail"] == 4 * rounds);
    CHECK(Problems(*shop.engine) == "");
  }
}

}  // namespace promotions_promotion_conditions_test
