// A cart edited on two devices while they were offline, merged back without losing an add
// and without bringing back what was removed (docs/carts.md has the same story in detail).
//   build/bin/example_cart_merge /tmp/cart-shop
#include <commerce/commerce.h>

#include <iostream>
#include <string>
#include <utility>

namespace {

void Print(const std::string& title, const commerce::Cart& c) {
  std::cout << title << "\n";
  for (const auto& l : c.lines)
    std::cout << "  " << l.sku << " x" << l.quantity << " @ " << commerce::FormatMoney(l.unit_price)
              << " = " << commerce::FormatMoney(l.line_total) << "\n";
  std::cout << "  subtotal " << commerce::FormatMoney(c.subtotal) << " " << c.currency << ", "
            << c.item_count << " items\n";
}

void PrintState(const std::string& title, const commerce::CartState& s) {
  std::cout << title << "\n";
  for (const auto& [sku, line] : s.lines) {
    std::cout << "  " << sku << ": adds {";
    for (const auto& a : line.adds) std::cout << " " << a.dot.replica << ":" << a.dot.counter << " x" << a.quantity;
    std::cout << " } removed {";
    for (const auto& d : line.removed) std::cout << " " << d.replica << ":" << d.counter;
    std::cout << " } -> " << commerce::CartStateQuantity(s, sku) << "\n";
  }
}

int Fail(const commerce::Status& s) {
  std::cerr << s.ToString() << "\n";
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  commerce::EngineOptions options;
  options.path = argc > 1 ? argv[1] : "./cart-shop";
  auto opened = commerce::Engine::open(options);
  if (!opened.ok()) return Fail(opened.status());
  commerce::Engine& engine = **opened;

  for (const auto& [sku, minor] : {std::pair{"TEE-S", 1500}, std::pair{"MUG", 899}}) {
    commerce::Product p;
    p.id = p.title = sku;
    commerce::Variant v;
    v.sku = sku;
    v.price = {minor, "USD"};
    p.variants.push_back(v);
    if (auto r = engine.catalog().upsert(p); !r.ok()) return Fail(r.status());
  }

  auto& carts = engine.carts();
  auto cart = carts.create({});  // a guest cart with a generated id
  if (!cart.ok()) return Fail(cart.status());
  const std::string id = cart->id;
  if (auto r = carts.add(id, "TEE-S", 1); !r.ok()) return Fail(r.status());
  auto before = carts.add(id, "MUG", 2);
  if (!before.ok()) return Fail(before.status());
  Print("The cart as both devices last saw it:", *before);

  // The phone takes a copy and goes offline: the mugs go, one more tee comes.
  auto copy = carts.state(id);
  if (!copy.ok()) return Fail(copy.status());
  commerce::CartState phone = *copy;
  commerce::CartStateRemove(phone, "MUG");
  if (auto s = commerce::CartStateAdd(phone, "phone", "TEE-S", 1, {1500, "USD"}, 0); !s.ok()) return Fail(s);
  PrintState("Phone's copy (offline):", phone);

  // Meanwhile, on the laptop (online, so straight to the engine): one more mug, and the tee
  // line set to 3.
  if (auto r = carts.add(id, "MUG", 1); !r.ok()) return Fail(r.status());
  if (auto r = carts.set_quantity(id, "TEE-S", 3); !r.ok()) return Fail(r.status());
  auto server = carts.state(id);
  if (!server.ok()) return Fail(server.status());
  PrintState("Stored copy (laptop's edits):", *server);

  // The phone comes back online.
  auto merged = carts.merge(id, phone);
  if (!merged.ok()) return Fail(merged.status());
  auto merged_state = carts.state(id);
  if (!merged_state.ok()) return Fail(merged_state.status());
  PrintState("Merged:", *merged_state);
  Print("The cart after the merge:", *merged);
  // TEE-S: the laptop's set (3) and the phone's add (1) never saw each other: both stay, 4.
  // MUG: the phone removed the two mugs it saw; the laptop's new mug it never saw stays, 1.
  return 0;
}
