// From an empty store to a delivered order: catalog -> warehouses and stock -> customer ->
// cart -> order (placed three times with one idempotency key, the last with place_async: one order)
// -> pay -> fulfil -> ship -> deliver, printing each step and the stock it moved; then the
// listings of orders (by customer; every order by status and time).
//   build/bin/example_order_flow /tmp/shop
// Safe to run again on the same directory: each run adds stock and places a new order.
#include <commerce/engine.h>

#include <cstdlib>
#include <future>
#include <iostream>
#include <string>
#include <utility>

namespace {

// Prints the error and exits: an example should stop at the first surprise.
template <typename T>
T Must(commerce::Result<T> r, const char* what) {
  if (!r.ok()) {
    std::cerr << what << ": " << r.status().ToString() << "\n";
    std::exit(1);
  }
  return std::move(r).value();
}

void Must(const commerce::Status& s, const char* what) {
  if (!s.ok()) {
    std::cerr << what << ": " << s.ToString() << "\n";
    std::exit(1);
  }
}

std::string Price(const commerce::Money& m) {
  return commerce::FormatMoney(m) + " " + m.currency;
}

void PrintStock(commerce::Engine& engine, const char* sku) {
  auto s = Must(engine.inventory().get(sku), "stock");
  std::cout << "    " << sku << ": available " << s.available << " (";
  for (size_t i = 0; i < s.levels.size(); ++i)
    std::cout << (i ? ", " : "") << s.levels[i].warehouse_id << " on hand "
              << s.levels[i].on_hand << " reserved " << s.levels[i].reserved;
  std::cout << ")\n";
}

}  // namespace

int main(int argc, char** argv) {
  using namespace commerce;
  EngineOptions options;
  options.path = argc > 1 ? argv[1] : "./shop";
  // 8.25% tax in us-east, 4.99 per parcel, free from 100.00 (pricing.h: replace it with
  // your own PricingPolicy to call a tax service or carrier rates).
  DefaultPricingOptions pricing;
  pricing.tax_bp_by_region = {{"us-east", 825}};
  pricing.shipping_per_shipment_minor = 499;
  pricing.free_shipping_from_minor = 10000;
  options.pricing = MakeDefaultPricing(pricing);
  auto engine = Must(Engine::open(options), "open");

  // 1. Catalog.
  Product tee;
  tee.id = "tee-classic";
  tee.title = "Classic Cotton T-Shirt";
  tee.options = {"size"};
  for (const char* size : {"S", "M"}) {
    Variant v;
    v.sku = std::string("TEE-") + size;
    v.options = {{"size", size}};
    v.price = Money{1999, "USD"};
    tee.variants.push_back(v);
  }
  Product mug;
  mug.id = "mug-12oz";
  mug.title = "Enamel Mug";
  Variant m;
  m.sku = "MUG-12";
  m.price = Money{1250, "USD"};
  mug.variants.push_back(m);
  Must(engine->catalog().upsert(tee), "upsert tee");
  Must(engine->catalog().upsert(mug), "upsert mug");
  std::cout << "1. catalog: " << tee.title << " (TEE-S, TEE-M) at 19.99, " << mug.title
            << " (MUG-12) at 12.50\n";

  // 2. Warehouses and stock: the mug is only in the west.
  Inventory& inv = engine->inventory();
  Must(inv.upsert_warehouse({"nyc", "New York", "us-east", 10, true}), "warehouse nyc");
  Must(inv.upsert_warehouse({"sfo", "San Francisco", "us-west", 5, true}), "warehouse sfo");
  Must(inv.receive("TEE-M", "nyc", 20), "receive");
  Must(inv.receive("TEE-M", "sfo", 5), "receive");
  Must(inv.receive("MUG-12", "sfo", 8), "receive");
  std::cout << "2. stock received\n";
  PrintStock(*engine, "TEE-M");
  PrintStock(*engine, "MUG-12");

  // 3. A customer (kept from an earlier run if there was one).
  Customer ada;
  ada.id = "ada";
  ada.email = "ada@example.com";
  ada.name = "Ada Lovelace";
  auto created = engine->customers().create(ada);
  if (!created.ok() && !created.status().IsAlreadyExists()) Must(created.status(), "customer");
  std::cout << "3. customer: ada\n";

  // 4. A cart.
  NewCart nc;
  nc.customer_id = "ada";
  auto cart = Must(engine->carts().create(nc), "cart");
  Must(engine->carts().add(cart.id, "TEE-M", 2), "add TEE-M");
  cart = Must(engine->carts().add(cart.id, "MUG-12", 1), "add MUG-12");
  std::cout << "4. cart " << cart.id << ": " << cart.item_count << " items, subtotal "
            << Price(cart.subtotal) << "\n";

  // 5. The order, placed from the cart. Sent twice with one key (a client retrying after a
  //    timeout): the second call returns the first order and writes nothing.
  PlaceOrder req;
  req.idempotency_key = "checkout-" + cart.id;
  req.customer_id = "ada";
  req.cart_id = cart.id;
  req.shipping_address.name = "Ada Lovelace";
  req.shipping_address.line1 = "12 St James's Square";
  req.shipping_address.city = "New York";
  req.shipping_address.region = "us-east";
  req.shipping_address.country = "US";
  Order order = Must(engine->orders().place(req), "place");
  Order retry = Must(engine->orders().place(req), "place again");
  std::cout << "5. order " << order.id << " placed (retry returned "
            << (retry.id == order.id ? "the same order" : "ANOTHER ORDER") << ")\n";
  for (const auto& l : order.lines)
    std::cout << "    " << l.quantity << " x " << l.sku << " " << l.title << " at "
              << Price(l.unit_price) << " = " << Price(l.line_total) << "\n";
  // sfo is in another region than the address, but it is the one warehouse that can ship
  // the whole order: one parcel beats a split (docs/orders.md, "Allocation").
  for (const auto& s : order.shipments) {
    std::cout << "    shipment from " << s.warehouse_id << ":";
    for (size_t i = 0; i < s.items.size(); ++i)
      std::cout << (i ? ", " : " ") << s.items[i].quantity << " x " << s.items[i].sku;
    std::cout << "\n";
  }
  std::cout << "    subtotal " << Price(order.subtotal) << ", tax " << Price(order.tax)
            << ", shipping " << Price(order.shipping) << ", total " << Price(order.total)
            << "\n";
  PrintStock(*engine, "TEE-M");
  PrintStock(*engine, "MUG-12");

  // 5b. A server does not wait for the commit: place_async prepares the order on this thread,
  //     queues it and returns; the answer comes on the storage's writer thread once the order
  //     is durable (hand it over; do no more there). The retry of step 5's request, this time.
  std::promise<std::pair<Result<Order>, bool>> answer;
  engine->orders().place_async(req, [&answer](Result<Order> o, bool replayed) {
    answer.set_value({std::move(o), replayed});
  });
  auto [async_order, replayed] = answer.get_future().get();
  std::cout << "    place_async with the same key: "
            << (Must(std::move(async_order), "place_async").id == order.id && replayed
                    ? "the same order, replayed"
                    : "ANOTHER ORDER")
            << "\n";

  // 5c. The buyer's capability: the order's access token (128 random bits, made at placement)
  //     opens this one order and no other, so a client that may not read every order (a
  //     browser with the server's public key) reads its own with it. A wrong token reads as
  //     no such order.
  auto by_token = engine->orders().get_by_token(order.id, order.access_token);
  auto guess = engine->orders().get_by_token(order.id, "ot_" + std::string(32, '0'));
  std::cout << "    by its access token: " << (by_token.ok() && by_token->id == order.id ? "opens it" : "REFUSED")
            << "; a guessed token: " << (guess.status().IsNotFound() ? "no such order" : "OPENED IT")
            << "\n";

  // 6. Through the state machine to the door.
  const std::pair<OrderStatus, const char*> steps[] = {
      {OrderStatus::kPaid, "payment captured"},
      {OrderStatus::kFulfilling, "picking"},
      {OrderStatus::kShipped, "handed to the carrier"},
      {OrderStatus::kDelivered, "signed for"},
  };
  int n = 6;
  for (const auto& [to, note] : steps) {
    TransitionOptions o;
    o.note = note;
    order = Must(engine->orders().transition(order.id, to, o), "transition");
    std::cout << n++ << ". " << OrderStatusName(order.history.back().from) << " -> "
              << OrderStatusName(order.status) << " (" << note << ")\n";
    if (to == OrderStatus::kShipped) {
      PrintStock(*engine, "TEE-M");
      PrintStock(*engine, "MUG-12");
    }
  }

  auto mine = Must(engine->orders().list_by_customer("ada"), "list");
  std::cout << n << ". ada has " << mine.items.size() << " order(s) on this page, newest "
            << mine.items.front().id << " (" << OrderStatusName(mine.items.front().status)
            << ")\n";

  // 7. Every order delivered in the last hour, whoever placed it, oldest first: Orders::list
  //    filters by statuses, customer and created_at range (follow next_cursor for more pages;
  //    the cursor lists an order once even if it changes status meanwhile).
  const int64_t hour_ago = order.created_at_ms - 3600 * 1000;
  auto delivered = Must(engine->orders().list({.statuses = {OrderStatus::kDelivered}, .created_from_ms = hour_ago},
                                              {.limit = 100}),
                        "list");
  std::cout << n + 1 << ". delivered in the last hour: " << delivered.items.size()
            << " order(s) on this page, the latest " << delivered.items.back().id << "\n";
  return 0;
}
