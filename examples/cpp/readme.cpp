// The README's example, kept here so that it is compiled (and run by hand) like any other.
//   build/bin/example_readme /tmp/shop
#include <commerce/commerce.h>

#include <cstdlib>
#include <iostream>

// Every fallible call returns Status or Result<T>; this example stops at the first error.
template <class T>
T must(commerce::Result<T> r) {
  if (!r.ok()) { std::cerr << r.status().ToString() << "\n"; std::exit(1); }
  return std::move(r).value();
}

int main(int argc, char** argv) {
  auto engine = must(commerce::Engine::open({.path = argc > 1 ? argv[1] : "./shop"}));  // LMDB
  auto& catalog = engine->catalog();

  commerce::Product p{.id = "tee", .title = "Classic Cotton T-Shirt", .brand = "Acme",
                      .options = {"size"}};
  for (const char* size : {"S", "M", "L"})
    p.variants.push_back({.sku = std::string("TEE-") + size,
                          .options = {{"size", size}}, .price = {1999, "USD"}});
  must(catalog.upsert(p));                           // durable when it returns
  auto tee = must(catalog.get_by_sku("TEE-M"));
  std::cout << tee.title << " " << commerce::FormatMoney(tee.variants[1].price) << "\n";

  must(engine->inventory().upsert_warehouse({.id = "wh-1", .name = "Reno", .region = "us-west"}));
  must(engine->inventory().receive("TEE-M", "wh-1", 10));
  auto ada = engine->customers().get_by_email("ada@example.com");
  if (!ada.ok()) ada = engine->customers().create({.email = "ada@example.com", .name = "Ada"});
  auto cart = must(engine->carts().create({.customer_id = must(std::move(ada)).id}));
  must(engine->carts().add(cart.id, "TEE-M", 2));
  auto order = must(engine->orders().place(
      {.idempotency_key = "checkout-" + cart.id, .customer_id = cart.customer_id,
       .cart_id = cart.id,
       .shipping_address = {.name = "Ada", .line1 = "1 Main St", .city = "Reno",
                            .region = "us-west", .country = "US"}}));
  must(engine->orders().transition(order.id, commerce::OrderStatus::kPaid));
  std::cout << "order " << order.id << ": " << commerce::FormatMoney(order.total) << " "
            << order.currency << " from " << order.shipments[0].warehouse_id << "\n";
}
