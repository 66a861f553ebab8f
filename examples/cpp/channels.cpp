// Channels: an EU storefront that sells apparel in EUR and GBP from its Berlin warehouse, beside
// the store's own (no channel) that sells everything from every warehouse. A product outside
// the channel is refused, an order ships only from the channel's warehouse (and is out of stock
// there while the US warehouse has plenty), and the channel's price list prices it.
//   build/bin/example_channels /tmp/shop
// Safe to run again on the same store (records are written once; orders use fresh keys).
// See docs/channels.md.
#include <commerce/channels.h>
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

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << "usage: " << argv[0] << " DIR\n";
    return 2;
  }
  auto opened = commerce::Engine::open({.path = argv[1]});
  if (!opened.ok()) return Fail("open", opened.status());
  commerce::Engine& engine = **opened;

  // The catalog: a tee under apparel, a pan under kitchen; stock in Berlin and in Dallas.
  for (const char* c : {"apparel", "kitchen"})
    if (auto s = engine.catalog().upsert_category({.id = c, .name = c}); !s.ok()) return Fail("category", s);
  commerce::Product tee{.id = "tee", .title = "Tee", .categories = {"apparel"}};
  tee.variants.push_back({.sku = "TEE", .price = {2500, "USD"}});
  commerce::Product pan{.id = "pan", .title = "Pan", .categories = {"kitchen"}};
  pan.variants.push_back({.sku = "PAN", .price = {4000, "USD"}});
  for (const auto& p : {tee, pan})
    if (auto s = engine.catalog().upsert(p); !s.ok()) return Fail("product", s.status());
  for (const commerce::Warehouse& w : {commerce::Warehouse{"berlin", "Berlin", "de", 0, true},
                                       commerce::Warehouse{"dallas", "Dallas", "us", 0, true}})
    if (auto s = engine.inventory().upsert_warehouse(w); !s.ok()) return Fail("warehouse", s.status());
  const bool fresh = engine.channels().get("eu").status().IsNotFound();
  if (fresh) {
    if (auto s = engine.inventory().receive("TEE", "berlin", 3); !s.ok()) return Fail("stock", s.status());
    if (auto s = engine.inventory().receive("TEE", "dallas", 100); !s.ok()) return Fail("stock", s.status());
    if (auto s = engine.inventory().receive("PAN", "dallas", 100); !s.ok()) return Fail("stock", s.status());
  }

  // The EU storefront, and its prices.
  commerce::Channel eu;
  eu.id = "eu";
  eu.name = "Europe";
  eu.default_currency = "EUR";
  eu.currencies = {"EUR", "GBP"};
  eu.warehouse_ids = {"berlin"};
  eu.category_ids = {"apparel"};
  if (fresh)
    if (auto s = engine.channels().create(eu); !s.ok()) return Fail("channel", s.status());
  commerce::PriceList eur;
  eur.id = "eu-eur";
  eur.name = "EU prices";
  eur.currency = "EUR";
  eur.channel = "eu";
  eur.entries = {{.sku = "TEE", .price_minor = 2290}};
  if (auto s = engine.price_lists().create(eur); !s.ok() && !s.status().IsAlreadyExists())
    return Fail("price list", s.status());
  if (engine.customers().get("ines").status().IsNotFound())
    (void)engine.customers().create({.id = "ines", .email = "ines@example.com", .name = "Ines"});

  std::cout << std::boolalpha << "tee visible in eu: " << *engine.channels().visible("eu", "tee")
            << ", pan: " << *engine.channels().visible("eu", "pan") << "\n";
  // The storefront's listing: only what the channel shows, a page at a time.
  commerce::ListOptions shown{.limit = 20, .channel = "eu"};
  if (auto page = engine.catalog().list(shown); page.ok()) {
    std::cout << "listed in eu:";
    for (const auto& p : page->items) std::cout << " " << p.id;
    std::cout << "\n";
  }
  // A cart in the channel that names no currency is in the channel's default currency.
  if (auto plain = engine.carts().create({.channel = "eu"}); plain.ok())
    std::cout << "a cart in eu without a currency: " << plain->currency << "\n";
  auto usd = engine.carts().create({.currency = "USD", .channel = "eu"});
  std::cout << "a USD cart in eu: " << usd.status().ToString() << "\n";
  auto cart = engine.carts().create({.customer_id = "ines", .currency = "EUR", .channel = "eu"});
  if (!cart.ok()) return Fail("cart", cart.status());
  if (auto s = engine.carts().add(cart->id, "TEE", 2); !s.ok()) return Fail("add", s.status());
  std::cout << "add the pan: " << engine.carts().add(cart->id, "PAN", 1).status().ToString() << "\n";

  const int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::system_clock::now().time_since_epoch()).count();
  commerce::PlaceOrder place;
  place.idempotency_key = "example-" + std::to_string(now);
  place.customer_id = "ines";
  place.cart_id = cart->id;
  place.shipping_address = {"Ines", "Calle 1", "", "Madrid", "28001", "es", "ES"};
  auto order = engine.orders().place(place);
  if (order.ok()) {
    std::cout << "order " << order->id << " in " << order->channel << ": " << Show(order->total)
              << ", ships from " << order->shipments[0].warehouse_id << "\n";
  } else {
    // On a second run Berlin has 1 tee left: out of stock in the channel.
    std::cout << "order: " << order.status().ToString() << "\n";
  }
  // Five more tees: Berlin has at most 1 left, and Dallas does not sell in this channel.
  place.idempotency_key += "-more";
  place.cart_id.clear();
  place.lines = {{"TEE", 5}};
  place.channel = "eu";
  std::cout << "5 more in eu: " << engine.orders().place(place).status().ToString() << "\n";
  place.idempotency_key += "-store";
  place.channel.clear();
  place.currency = "USD";
  auto anywhere = engine.orders().place(place);
  if (!anywhere.ok()) return Fail("order", anywhere.status());
  std::cout << "5 more without a channel: ships from " << anywhere->shipments[0].warehouse_id << "\n";
  return 0;
}
