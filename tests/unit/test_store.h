// Test helper: fills a store through the public API so that every table the engine keeps
// holds records — categories and products (with their sku and category indexes), warehouses
// and stock, customers (and the email index), a guest cart and a customer's cart, orders in
// several states (idempotency keys, customer and status indexes), events, consumer cursors
// and a webhook subscription whose deliveries fail (queue, state and failure rows). Used by
// the codec, damage and verify tests, which need a store with something in every corner.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "commerce/engine.h"
#include "engine/engine_core.h"

namespace commerce::testing {

// What FillStore wrote, for tests that look records up again.
struct FilledStore {
  std::vector<std::string> product_ids;  // "P-0".., each with skus "<id>-S" and "<id>-M"
  std::vector<std::string> skus;
  std::vector<std::string> order_ids;
  std::string customer_id = "cus-fill";
  std::string webhook_id;
};

// A TCP port on 127.0.0.1 that nothing listens on (bound once, then closed): a webhook
// pointed at it fails every delivery with "connection refused", quickly.
inline int ClosedPort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
  socklen_t len = sizeof a;
  REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0);
  ::close(fd);
  return ntohs(a.sin_port);
}

// REQUIRES: an engine opened with run_background = false (OpenTestEngine), so that the
// background rounds below are the only ones. `products` >= 3.
inline FilledStore FillStore(Engine& e, int products = 6) {
  FilledStore out;
  REQUIRE(e.catalog().upsert_category({.id = "apparel", .name = "Apparel"}).ok());
  REQUIRE(e.catalog().upsert_category({.id = "apparel/shirts", .name = "Shirts"}).ok());
  WebhookSubscription sub;
  sub.url = "http://127.0.0.1:" + std::to_string(ClosedPort()) + "/hook";
  sub.secret = "0123456789abcdef0123";
  auto subscribed = e.webhooks().subscribe(sub);
  INFO(subscribed.status().ToString());
  REQUIRE(subscribed.ok());
  out.webhook_id = subscribed->id;

  for (int i = 0; i < products; ++i) {
    Product p;
    p.id = "P-" + std::to_string(i);
    p.title = "Shirt number " + std::to_string(i);
    p.brand = "Acme";
    p.categories = {"apparel/shirts"};
    p.options = {"size"};
    for (const char* size : {"S", "M"}) {
      Variant v;
      v.sku = p.id + "-" + size;
      v.options = {{"size", size}};
      v.price = Money{1000 + 100 * i, "USD"};
      p.variants.push_back(v);
      out.skus.push_back(v.sku);
    }
    auto r = e.catalog().upsert(p);
    INFO(r.status().ToString());
    REQUIRE(r.ok());
    out.product_ids.push_back(p.id);
  }
  REQUIRE(e.inventory().upsert_warehouse({.id = "wh-east", .name = "East", .region = "us-east"}).ok());
  REQUIRE(e.inventory().upsert_warehouse({.id = "wh-west", .name = "West", .region = "us-west", .priority = 1}).ok());
  for (const auto& sku : out.skus) {
    REQUIRE(e.inventory().receive(sku, "wh-east", 50).ok());
    REQUIRE(e.inventory().receive(sku, "wh-west", 20).ok());
  }

  Customer c;
  c.id = out.customer_id;
  c.email = "Fill@Example.com";
  c.name = "Fill Person";
  Address home{.name = "Fill Person", .line1 = "1 Main St", .city = "Springfield", .region = "us-east",
               .country = "US"};
  c.addresses = {home};
  REQUIRE(e.customers().create(c).ok());

  // A customer's cart turned into an order, explicit-line orders in several states, and a
  // guest cart left open.
  REQUIRE(e.carts().create({.id = "cart-cus", .customer_id = out.customer_id}).ok());
  REQUIRE(e.carts().add("cart-cus", out.skus[0], 2).ok());
  REQUIRE(e.carts().add("cart-cus", out.skus[1], 1).ok());
  auto from_cart = e.orders().place({.idempotency_key = "k-cart", .customer_id = out.customer_id,
                                     .cart_id = "cart-cus", .shipping_address = home});
  INFO(from_cart.status().ToString());
  REQUIRE(from_cart.ok());
  out.order_ids.push_back(from_cart->id);
  for (int i = 0; i < 4; ++i) {
    auto o = e.orders().place({.idempotency_key = "k-" + std::to_string(i),
                               .customer_id = out.customer_id,
                               .lines = {{out.skus[2 + i % 2], 1 + i}},
                               .shipping_address = home});
    INFO(o.status().ToString());
    REQUIRE(o.ok());
    out.order_ids.push_back(o->id);
  }
  REQUIRE(e.orders().transition(out.order_ids[1], OrderStatus::kPaid).ok());
  REQUIRE(e.orders().transition(out.order_ids[2], OrderStatus::kCancelled).ok());
  REQUIRE(e.orders().transition(out.order_ids[3], OrderStatus::kPaid).ok());
  REQUIRE(e.orders().transition(out.order_ids[3], OrderStatus::kFulfilling).ok());
  REQUIRE(e.orders().transition(out.order_ids[3], OrderStatus::kShipped).ok());
  REQUIRE(e.carts().create({.id = "cart-guest"}).ok());
  REQUIRE(e.carts().add("cart-guest", out.skus[4], 3).ok());
  REQUIRE(e.catalog().archive(out.product_ids.back()).ok());

  // Background rounds: cart expiry and the search indexer move their cursors, the webhook
  // queues every event and fails to deliver the first ones (webhook_failures).
  for (int i = 0; i < 2; ++i) {
    Status s = e.run_background_once();
    INFO(s.ToString());
    REQUIRE(s.ok());
  }
  return out;
}

}  // namespace commerce::testing

namespace commerce::testing {

// Every table the engine keeps.
inline std::vector<std::string> EngineTables() {
  std::vector<std::string> names;
  for (const auto& t : kTableNames) names.emplace_back(t.name);
  return names;
}

// Every key and value of every engine table, in one string: two dumps are equal exactly when
// nothing was written in between.
inline std::string DumpStore(Engine& e) {
  std::string out;
  auto txn = e.storage().read();
  REQUIRE(txn.ok());
  for (const auto& name : EngineTables()) {
    auto t = e.storage().table(name);
    REQUIRE(t.ok());
    auto rows = (*txn)->scan(*t, "", "", 0);
    REQUIRE(rows.ok());
    out += name + "\n";
    for (const auto& kv : *rows) out += std::to_string(kv.key.size()) + ":" + kv.key + "=" + std::to_string(kv.value.size()) + ":" + kv.value + "\n";
  }
  return out;
}

}  // namespace commerce::testing
