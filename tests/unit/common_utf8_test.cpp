// Tests for src/common/utf8.h and the rule it enforces: no string that is not UTF-8 reaches
// storage, through any entry point of the C++ API (which the Python bindings and the server
// call). For every string parameter and field of every call, bad bytes are InvalidArgument
// naming the field, the message itself is valid UTF-8 (it ends up in JSON), and the store is
// byte for byte what it was.
#include <catch2/catch.hpp>

#include <fstream>
#include <functional>
#include <string>
#include <vector>

#include "commerce/engine.h"
#include "common/utf8.h"
#include "test_dir.h"
#include "test_engine.h"
#include "test_store.h"

namespace common_utf8_test {

using namespace std::string_literals;
using commerce::Code;
using commerce::Status;
using commerce::testing::TempDir;

namespace {

template <typename T>
Status St(const commerce::Result<T>& r) {
  return r.status();
}
Status St(const Status& s) { return s; }

struct Case {
  std::string name;   // the call and the field
  std::string field;  // what the message must name
  std::function<Status()> call;
};

}  // namespace

TEST_CASE("utf8: well-formed and malformed sequences", "[utf8]") {
  using commerce::FirstInvalidUtf8;
  constexpr auto npos = std::string_view::npos;
  CHECK(FirstInvalidUtf8("") == npos);
  CHECK(FirstInvalidUtf8("plain ascii") == npos);
  CHECK(FirstInvalidUtf8("caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80") == npos);
  CHECK(FirstInvalidUtf8("ab\xff") == 2);                // not a lead byte
  CHECK(FirstInvalidUtf8("a\xC3\x28") == 1);             // bad continuation
  CHECK(FirstInvalidUtf8("a\xC3") == 1);                 // cut short
  CHECK(FirstInvalidUtf8("\xC0\xAF") == 0);              // overlong '/'
  CHECK(FirstInvalidUtf8("\xED\xA0\x80") == 0);          // a surrogate
  CHECK(FirstInvalidUtf8("\xF4\x90\x80\x80") == 0);      // past U+10FFFF
  CHECK(FirstInvalidUtf8("ok\x80") == 2);                // stray continuation
  Status s = commerce::CheckUtf8("title", "ab\xff");
  CHECK(s.code() == Code::kInvalidArgument);
  CHECK(s.message() == "title: invalid UTF-8 at byte 2; expected UTF-8 text");
  CHECK(commerce::CheckUtf8("title", "fine").ok());
}

TEST_CASE("utf8: every entry point refuses bad bytes in every string, writing nothing",
          "[utf8]") {
  auto driver = GENERATE(as<std::string>{}, "lmdb", "sqlite");
  auto bad = GENERATE(as<std::string>{}, "A\xC3\x28Z", "\xff", "x\xED\xA0\x80", "\xC0\xAFid");
  CAPTURE(driver);
  TempDir dir;
  auto engine = commerce::testing::OpenTestEngine(dir.path(), driver);
  auto& e = *engine;
  const auto f = commerce::testing::FillStore(e, 3);
  const std::string sku = f.skus[0];
  const std::string order = f.order_ids[0];

  auto product = [&] {
    commerce::Product p;
    p.id = "P-new";
    p.title = "New";
    p.variants.push_back({.sku = "NEW-1", .price = {100, "USD"}});
    return p;
  };
  auto warehouse = [] { return commerce::Warehouse{"wh-new", "New", "us-east", 0, true}; };
  auto customer = [] {
    commerce::Customer c;
    c.id = "cus-new";
    c.email = "new@example.com";
    c.name = "New";
    c.addresses = {{.name = "N", .line1 = "1 St", .city = "C", .region = "us-east", .country = "US"}};
    return c;
  };
  auto place = [&] {
    commerce::PlaceOrder r;
    r.idempotency_key = "k-new";
    r.customer_id = f.customer_id;
    r.lines = {{sku, 1}};
    r.shipping_address = customer().addresses[0];
    return r;
  };
  auto state = [&] {
    auto s = e.carts().state("cart-guest");
    REQUIRE(s.ok());
    return *s;
  };
  auto hook = [] {
    commerce::WebhookSubscription w;
    w.id = "wh-hook";
    w.url = "http://hooks.example:9/x";
    w.secret = "0123456789abcdef";
    return w;
  };
  const std::string b = bad;

  std::vector<Case> cases = {
      // catalog
      {"upsert id", "id", [&] { auto p = product(); p.id = b; return St(e.catalog().upsert(p)); }},
      {"upsert title", "title", [&] { auto p = product(); p.title = b; return St(e.catalog().upsert(p)); }},
      {"upsert description", "description", [&] { auto p = product(); p.description = b; return St(e.catalog().upsert(p)); }},
      {"upsert brand", "brand", [&] { auto p = product(); p.brand = b; return St(e.catalog().upsert(p)); }},
      {"upsert categories", "categories[0]", [&] { auto p = product(); p.categories = {b}; return St(e.catalog().upsert(p)); }},
      {"upsert options", "options[0]", [&] { auto p = product(); p.options = {b}; return St(e.catalog().upsert(p)); }},
      {"upsert attribute key", "attributes[0]", [&] { auto p = product(); p.attributes = {{b, "v"}}; return St(e.catalog().upsert(p)); }},
      {"upsert attribute value", "attributes.k", [&] { auto p = product(); p.attributes = {{"k", b}}; return St(e.catalog().upsert(p)); }},
      {"upsert variant sku", "variants[0].sku", [&] { auto p = product(); p.variants[0].sku = b; return St(e.catalog().upsert(p)); }},
      {"upsert variant barcode", "variants[0].barcode", [&] { auto p = product(); p.variants[0].barcode = b; return St(e.catalog().upsert(p)); }},
      {"upsert variant currency", "variants[0].currency", [&] { auto p = product(); p.variants[0].price.currency = b; return St(e.catalog().upsert(p)); }},
      {"upsert variant option", "variants[0]", [&] { auto p = product(); p.options = {"size"}; p.variants[0].options = {{"size", b}}; return St(e.catalog().upsert(p)); }},
      {"upsert variant attribute", "variants[0].attributes", [&] { auto p = product(); p.variants[0].attributes = {{"k", b}}; return St(e.catalog().upsert(p)); }},
      {"get", "product id", [&] { return St(e.catalog().get(b)); }},
      {"get_by_sku", "sku", [&] { return St(e.catalog().get_by_sku(b)); }},
      {"archive", "product id", [&] { return St(e.catalog().archive(b)); }},
      {"list_by_category", "category id", [&] { return St(e.catalog().list_by_category(b)); }},
      {"list cursor", "cursor", [&] { return St(e.catalog().list({.cursor = b})); }},
      {"upsert_category id", "id", [&] { return St(e.catalog().upsert_category({.id = "apparel/" + b, .name = "X"})); }},
      {"upsert_category name", "name", [&] { return St(e.catalog().upsert_category({.id = "apparel/x", .name = b})); }},
      {"get_category", "category id", [&] { return St(e.catalog().get_category(b)); }},
      {"list_categories", "parent id", [&] { return St(e.catalog().list_categories(b)); }},
      // inventory
      {"upsert_warehouse id", "id", [&] { auto w = warehouse(); w.id = b; return St(e.inventory().upsert_warehouse(w)); }},
      {"upsert_warehouse name", "name", [&] { auto w = warehouse(); w.name = b; return St(e.inventory().upsert_warehouse(w)); }},
      {"upsert_warehouse region", "region", [&] { auto w = warehouse(); w.region = b; return St(e.inventory().upsert_warehouse(w)); }},
      {"get_warehouse", "id", [&] { return St(e.inventory().get_warehouse(b)); }},
      {"receive sku", "sku", [&] { return St(e.inventory().receive(b, "wh-east", 1)); }},
      {"receive warehouse", "warehouse_id", [&] { return St(e.inventory().receive(sku, b, 1)); }},
      {"adjust reason", "reason", [&] { return St(e.inventory().adjust(sku, "wh-east", 1, b)); }},
      {"reserve ref", "ref", [&] { return St(e.inventory().reserve(sku, "wh-east", 1, b)); }},
      {"release ref", "ref", [&] { return St(e.inventory().release(sku, "wh-east", 1, b)); }},
      {"ship ref", "ref", [&] { return St(e.inventory().ship(sku, "wh-east", 1, b)); }},
      {"stock get sku", "sku", [&] { return St(e.inventory().get(b)); }},
      {"stock get warehouse", "warehouse_id", [&] { return St(e.inventory().get(sku, b)); }},
      // carts
      {"create id", "id", [&] { return St(e.carts().create({.id = b})); }},
      {"create customer", "customer_id", [&] { return St(e.carts().create({.id = "c-new", .customer_id = b})); }},
      {"create currency", "currency", [&] { return St(e.carts().create({.id = "c-new", .currency = b})); }},
      {"cart get", "cart_id", [&] { return St(e.carts().get(b)); }},
      {"cart add cart", "cart_id", [&] { return St(e.carts().add(b, sku, 1)); }},
      {"cart add sku", "sku", [&] { return St(e.carts().add("cart-guest", b, 1)); }},
      {"cart set_quantity", "sku", [&] { return St(e.carts().set_quantity("cart-guest", b, 1)); }},
      {"cart remove", "sku", [&] { return St(e.carts().remove("cart-guest", b)); }},
      {"cart clear", "cart_id", [&] { return St(e.carts().clear(b)); }},
      {"cart state", "cart_id", [&] { return St(e.carts().state(b)); }},
      {"cart remove_cart", "cart_id", [&] { return St(e.carts().remove_cart(b)); }},
      {"merge cart_id", "cart_id", [&] { auto s = state(); s.cart_id = b; return St(e.carts().merge("cart-guest", s)); }},
      {"merge currency", "currency", [&] { auto s = state(); s.currency = b; return St(e.carts().merge("cart-guest", s)); }},
      {"merge customer", "customer_id", [&] { auto s = state(); s.customer_id = b; return St(e.carts().merge("cart-guest", s)); }},
      {"merge line sku", "sku", [&] { auto s = state(); auto line = s.lines.begin()->second; s.lines[b] = line; return St(e.carts().merge("cart-guest", s)); }},
      {"merge clock replica", "clock replica", [&] { auto s = state(); s.clock[b] = 1; return St(e.carts().merge("cart-guest", s)); }},
      {"login guest", "guest_cart_id", [&] { return St(e.carts().merge_guest_into_customer(b, f.customer_id)); }},
      {"login customer", "customer_id", [&] { return St(e.carts().merge_guest_into_customer("cart-guest", b)); }},
      // orders
      {"place idempotency_key", "idempotency_key", [&] { auto r = place(); r.idempotency_key = b; return St(e.orders().place(r)); }},
      {"place customer", "customer_id", [&] { auto r = place(); r.customer_id = b; return St(e.orders().place(r)); }},
      {"place cart", "cart_id", [&] { auto r = place(); r.lines.clear(); r.cart_id = b; return St(e.orders().place(r)); }},
      {"place line sku", "lines[0].sku", [&] { auto r = place(); r.lines[0].sku = b; return St(e.orders().place(r)); }},
      {"place address name", "shipping_address.name", [&] { auto r = place(); r.shipping_address.name = b; return St(e.orders().place(r)); }},
      {"place address line1", "shipping_address.line1", [&] { auto r = place(); r.shipping_address.line1 = b; return St(e.orders().place(r)); }},
      {"place address line2", "shipping_address.line2", [&] { auto r = place(); r.shipping_address.line2 = b; return St(e.orders().place(r)); }},
      {"place address city", "shipping_address.city", [&] { auto r = place(); r.shipping_address.city = b; return St(e.orders().place(r)); }},
      {"place address postal", "shipping_address.postal_code", [&] { auto r = place(); r.shipping_address.postal_code = b; return St(e.orders().place(r)); }},
      {"place address region", "shipping_address.region", [&] { auto r = place(); r.shipping_address.region = b; return St(e.orders().place(r)); }},
      {"place address country", "shipping_address.country", [&] { auto r = place(); r.shipping_address.country = b; return St(e.orders().place(r)); }},
      {"place currency", "currency", [&] { auto r = place(); r.currency = b; return St(e.orders().place(r)); }},
      {"order get", "order_id", [&] { return St(e.orders().get(b)); }},
      {"transition id", "order_id", [&] { return St(e.orders().transition(b, commerce::OrderStatus::kPaid)); }},
      {"transition note", "note", [&] { return St(e.orders().transition(order, commerce::OrderStatus::kPaid, {.note = b})); }},
      {"list_by_customer", "customer_id", [&] { return St(e.orders().list_by_customer(b)); }},
      {"list_by_customer cursor", "cursor", [&] { return St(e.orders().list_by_customer(f.customer_id, {.cursor = b})); }},
      {"list_by_status cursor", "cursor", [&] { return St(e.orders().list_by_status(commerce::OrderStatus::kPaid, {.cursor = b})); }},
      // customers
      {"customer create id", "id", [&] { auto c = customer(); c.id = b; return St(e.customers().create(c)); }},
      {"customer create email", "email", [&] { auto c = customer(); c.email = "n" + b + "@example.com"; return St(e.customers().create(c)); }},
      {"customer create name", "name", [&] { auto c = customer(); c.name = b; return St(e.customers().create(c)); }},
      {"customer create address", "addresses[0].city", [&] { auto c = customer(); c.addresses[0].city = b; return St(e.customers().create(c)); }},
      {"customer update name", "name", [&] { auto c = *e.customers().get(f.customer_id); c.name = b; return St(e.customers().update(c)); }},
      {"customer update address", "addresses[0].line1", [&] { auto c = *e.customers().get(f.customer_id); c.addresses[0].line1 = b; return St(e.customers().update(c)); }},
      {"customer get", "id", [&] { return St(e.customers().get(b)); }},
      {"customer get_by_email", "email", [&] { return St(e.customers().get_by_email(b)); }},
      // events
      {"events cursor", "consumer name", [&] { return St(e.events().cursor(b)); }},
      {"events set_cursor", "consumer name", [&] { return St(e.events().set_cursor(b, 1)); }},
      // search
      {"search text", "text", [&] { return St(e.search().query({.text = b})); }},
      {"search brands", "brands", [&] { return St(e.search().query({.brands = {b}})); }},
      {"search categories", "categories", [&] { return St(e.search().query({.categories = {b}})); }},
      {"search attribute", "attributes", [&] { return St(e.search().query({.attributes = {{"k", b}}})); }},
      {"search facets", "facets", [&] { return St(e.search().query({.facets = {b}})); }},
      {"search sort", "sort", [&] { return St(e.search().query({.sort = b})); }},
      {"set_synonyms", "synonyms group 1", [&] { return St(e.search().set_synonyms({{"shirt", b}})); }},
      // webhooks
      {"subscribe id", "id", [&] { auto w = hook(); w.id = b; return St(e.webhooks().subscribe(w)); }},
      {"subscribe url", "url", [&] { auto w = hook(); w.url = "http://127.0.0.1/" + b; return St(e.webhooks().subscribe(w)); }},
      {"subscribe event type", "event_types[0]", [&] { auto w = hook(); w.event_types = {b}; return St(e.webhooks().subscribe(w)); }},
      {"subscribe secret", "secret", [&] { auto w = hook(); w.secret = b + "0123456789abcdef"; return St(e.webhooks().subscribe(w)); }},
      {"webhook get", "id", [&] { return St(e.webhooks().get(b)); }},
      {"unsubscribe", "id", [&] { return St(e.webhooks().unsubscribe(b)); }},
      {"failures", "subscription_id", [&] { return St(e.webhooks().failures(b)); }},
  };

  const std::string before = commerce::testing::DumpStore(e);
  for (const auto& c : cases) {
    INFO(c.name);
    Status s = c.call();
    INFO(s.ToString());
    CHECK(s.code() == Code::kInvalidArgument);
    CHECK(s.message().find(c.field) != std::string::npos);
    CHECK(commerce::IsValidUtf8(s.message()));
  }
  CHECK(commerce::testing::DumpStore(e) == before);
}

TEST_CASE("utf8: an import line with bad bytes is rejected, the rest imported", "[utf8]") {
  TempDir dir;
  auto engine = commerce::testing::OpenTestEngine(dir.sub("store"), "lmdb");
  const std::string file = dir.sub("in.jsonl");
  {
    std::ofstream out(file, std::ios::binary);
    out << R"({"id":"P-1","title":"Good","variants":[{"sku":"G-1","price":100,"currency":"USD"}]})"
        << "\n"
        << "{\"id\":\"P-2\",\"title\":\"Bad \xff\",\"variants\":[{\"sku\":\"B-1\",\"price\":100,\"currency\":\"USD\"}]}"
        << "\n";
  }
  auto report = engine->catalog().import_jsonl(file);
  INFO(report.status().ToString());
  REQUIRE(report.ok());
  CHECK(report->imported == 1);
  CHECK(engine->catalog().get("P-1").ok());
  CHECK(engine->catalog().get("P-2").status().code() == Code::kNotFound);
  CHECK(report->rejected == 1);
  REQUIRE(report->rejections.size() == 1);
  CHECK(report->rejections[0].line == 2);
  CHECK(commerce::IsValidUtf8(report->rejections[0].reason));
}

}  // namespace common_utf8_test
