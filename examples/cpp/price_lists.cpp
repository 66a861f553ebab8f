// Price lists: a product priced in USD sold in EUR through a price list, a wholesale group's
// list with a quantity tier, a sale with a window, and a tax-inclusive list; the price that
// applies to each caller and why, a cart priced for its customer, and an order naming the list
// each line came from.
//   build/bin/example_price_lists /tmp/shop
// Safe to run again on the same store (records are written once; orders use fresh keys).
// See docs/prices.md.
#include <commerce/engine.h>
#include <commerce/price_lists.h>

#include <chrono>
#include <iostream>
#include <string>

namespace {

int Fail(const char* what, const commerce::Status& s) {
  std::cerr << what << ": " << s.ToString() << "\n";
  return 1;
}

std::string Show(const commerce::Money& m) { return commerce::FormatMoney(m) + " " + m.currency; }

std::string Why(const commerce::ResolvedPrice& p) {
  if (p.price_list_id.empty()) return "the variant's base price";
  return "price list '" + p.price_list_id + "' v" + std::to_string(p.price_list_version) +
         (p.min_quantity > 1 ? ", tier from " + std::to_string(p.min_quantity) : "") +
         (p.tax_inclusive ? ", tax included" : "");
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << "usage: " << argv[0] << " DIR\n";
    return 2;
  }
  // 19% tax in the "de" region; the default policy extracts it from tax-inclusive prices.
  commerce::EngineOptions options{.path = argv[1]};
  options.pricing = commerce::MakeDefaultPricing({.tax_bp_by_region = {{"de", 1900}}});
  auto opened = commerce::Engine::open(options);
  if (!opened.ok()) return Fail("open", opened.status());
  commerce::Engine& engine = **opened;

  commerce::Product tee;
  tee.id = "tee";
  tee.title = "Tee";
  tee.variants.push_back({.sku = "TEE", .price = {2500, "USD"}});  // the base price
  if (auto s = engine.catalog().upsert(tee); !s.ok()) return Fail("product", s.status());
  if (auto s = engine.inventory().upsert_warehouse({"fra", "Frankfurt", "de", 0, true}); !s.ok())
    return Fail("warehouse", s.status());
  if (auto s = engine.inventory().receive("TEE", "fra", 100); !s.ok()) return Fail("stock", s.status());
  if (engine.customers().get("grete").status().IsNotFound())
    (void)engine.customers().create(
        {.id = "grete", .email = "grete@example.com", .name = "Grete", .group = "wholesale"});

  // EUR prices for everyone, tax included as is usual in Germany; 15% less for wholesale
  // customers from 10 units; a weekend sale.
  const int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::system_clock::now().time_since_epoch()).count();
  commerce::PriceList eur;
  eur.id = "eur";
  eur.name = "Euro prices";
  eur.currency = "EUR";
  eur.tax_inclusive = true;
  eur.entries = {{.sku = "TEE", .price_minor = 2990}};
  commerce::PriceList wholesale;
  wholesale.id = "eur-wholesale";
  wholesale.name = "Wholesale";
  wholesale.currency = "EUR";
  wholesale.customer_group = "wholesale";
  wholesale.entries = {{.sku = "TEE", .price_minor = 2100},
                       {.sku = "TEE", .price_minor = 1785, .min_quantity = 10}};
  commerce::PriceList sale;
  sale.id = "eur-weekend";
  sale.name = "Weekend sale";
  sale.currency = "EUR";
  sale.tax_inclusive = true;
  sale.starts_at_ms = now + 24 * 3600 * 1000;  // tomorrow
  sale.ends_at_ms = sale.starts_at_ms + 2 * 24 * 3600 * 1000;
  sale.priority = 10;
  sale.entries = {{.sku = "TEE", .price_minor = 1990}};
  for (const auto& l : {eur, wholesale, sale})
    if (auto s = engine.price_lists().create(l); !s.ok() && !s.status().IsAlreadyExists())
      return Fail("price list", s.status());

  struct Ask {
    const char* who;
    commerce::PriceContext ctx;
  };
  const Ask asks[] = {
      {"a guest, in USD", {.currency = "USD"}},
      {"a guest, in EUR", {.currency = "EUR"}},
      {"wholesale, 1 unit", {.currency = "EUR", .customer_group = "wholesale"}},
      {"wholesale, 12 units", {.currency = "EUR", .customer_group = "wholesale", .quantity = 12}},
      {"a guest, during the sale", {.currency = "EUR", .now_ms = sale.starts_at_ms}},
      {"a guest, in GBP", {.currency = "GBP"}},
  };
  for (const Ask& a : asks) {
    auto p = engine.price_lists().price("TEE", a.ctx);
    if (p.ok())
      std::cout << a.who << ": " << Show(p->price) << " (" << Why(*p) << ")\n";
    else
      std::cout << a.who << ": " << p.status().ToString() << "\n";
  }

  // A cart in EUR for the wholesale customer, and its order: re-priced at placement, each
  // line naming its list. Net wholesale prices: the default policy adds 19%.
  auto cart = engine.carts().create({.customer_id = "grete", .currency = "EUR"});
  if (!cart.ok()) return Fail("cart", cart.status());
  if (auto s = engine.carts().add(cart->id, "TEE", 12); !s.ok()) return Fail("add", s.status());
  commerce::PlaceOrder place;
  place.idempotency_key = "example-" + std::to_string(now);
  place.customer_id = "grete";
  place.cart_id = cart->id;
  place.shipping_address = {"Grete", "Hauptstr. 1", "", "Berlin", "10115", "de", "DE"};
  auto order = engine.orders().place(place);
  if (!order.ok()) return Fail("order", order.status());
  for (const auto& l : order->lines)
    std::cout << "order line " << l.sku << " x" << l.quantity << " at " << Show(l.unit_price)
              << " from '" << l.price_list_id << "'\n";
  std::cout << "subtotal " << Show(order->subtotal) << ", tax added " << Show(order->tax)
            << ", tax included " << Show(order->tax_included) << ", total " << Show(order->total)
            << "\n";

  // A guest's order at the tax-inclusive price: the tax is inside it, not added.
  if (engine.customers().get("gast").status().IsNotFound())
    (void)engine.customers().create({.id = "gast", .email = "gast@example.com", .name = "Gast"});
  place.idempotency_key += "-guest";
  place.customer_id = "gast";
  place.cart_id.clear();
  place.lines = {{"TEE", 1}};
  place.currency = "EUR";
  auto gross = engine.orders().place(place);
  if (!gross.ok()) return Fail("order", gross.status());
  std::cout << "guest order: total " << Show(gross->total) << ", of which tax "
            << Show(gross->tax_included) << "\n";
  return 0;
}
