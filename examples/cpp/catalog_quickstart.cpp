// The README's example: open a store, write a product, read it back by SKU.
//   build/bin/example_catalog_quickstart /tmp/shop
#include <commerce/commerce.h>

#include <iostream>

int main(int argc, char** argv) {
  auto engine = commerce::Engine::open({.path = argc > 1 ? argv[1] : "./shop"});  // LMDB by default
  if (!engine.ok()) { std::cerr << engine.status().ToString() << "\n"; return 1; }
  auto& catalog = (*engine)->catalog();

  commerce::Product p;
  p.id = "tee-classic";
  p.title = "Classic Cotton T-Shirt";
  p.brand = "Acme";
  p.options = {"size"};
  for (const char* size : {"S", "M", "L"})
    p.variants.push_back({.sku = std::string("TEE-") + size, .options = {{"size", size}},
                          .price = {1999, "USD"}});
  auto stored = catalog.upsert(p);  // durable when it returns
  if (!stored.ok()) { std::cerr << stored.status().ToString() << "\n"; return 1; }

  auto got = catalog.get_by_sku("TEE-M");
  if (!got.ok()) { std::cerr << got.status().ToString() << "\n"; return 1; }
  std::cout << got->title << " v" << got->version << ": "
            << commerce::FormatMoney(got->variants[1].price) << " " << got->variants[1].price.currency << "\n";
  return 0;
}
