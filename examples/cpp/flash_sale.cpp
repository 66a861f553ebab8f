// A flash sale on one SKU: its stock split into slots so that concurrent buyers reserve on
// different rows, 8 threads buying until it sells out (never past the stock), then the slots
// merged back into one stock row.
//   build/bin/example_flash_sale /tmp/sale
// Safe to run again on the same store (orders use fresh keys; a split left by an interrupted
// run is merged first). See docs/orders.md, "A hot SKU".
#include <commerce/engine.h>

#include <atomic>
#include <chrono>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

namespace {

int Fail(const char* what, const commerce::Status& s) {
  std::cerr << what << ": " << s.ToString() << "\n";
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << "usage: " << argv[0] << " DIR\n";
    return 2;
  }
  auto opened = commerce::Engine::open({.path = argv[1]});
  if (!opened.ok()) return Fail("open", opened.status());
  commerce::Engine& engine = **opened;
  commerce::Inventory& inventory = engine.inventory();

  commerce::Product p;
  p.id = "sneaker";
  p.title = "Limited sneaker";
  p.variants.push_back({.sku = "SNEAKER-42", .price = {18000, "USD"}});
  if (auto s = engine.catalog().upsert(p); !s.ok()) return Fail("product", s.status());
  if (auto s = inventory.upsert_warehouse({"wh", "Reno", "us-west", 0, true}); !s.ok())
    return Fail("warehouse", s.status());
  commerce::Customer ada;
  ada.id = "ada";
  ada.email = "ada@example.com";
  if (auto s = engine.customers().create(ada); !s.ok() && !s.status().IsAlreadyExists())
    return Fail("customer", s.status());
  if (auto l = inventory.get("SNEAKER-42", "wh"); l.ok() && l->slots > 0)
    if (auto s = inventory.merge_stock("SNEAKER-42", "wh"); !s.ok()) return Fail("merge", s.status());
  if (auto s = inventory.receive("SNEAKER-42", "wh", 100); !s.ok()) return Fail("stock", s.status());

  // The sale opens: 16 slots, each with its share of the available units.
  auto split = inventory.split_stock("SNEAKER-42", "wh", 16);
  if (!split.ok()) return Fail("split_stock", split.status());
  const int64_t available = split->available();
  std::cout << "split into " << split->slots << " slots: " << available << " available\n";

  const std::string run = std::to_string(std::chrono::system_clock::now().time_since_epoch().count());
  std::atomic<int64_t> sold{0}, refused{0};
  std::vector<std::thread> buyers;
  for (int t = 0; t < 8; ++t)
    buyers.emplace_back([&, t] {
      for (int i = 0;; ++i) {
        commerce::PlaceOrder req;
        req.idempotency_key = "sale-" + run + "-" + std::to_string(t) + "-" + std::to_string(i);
        req.customer_id = "ada";
        req.lines = {{"SNEAKER-42", 1}};
        req.shipping_address = {.name = "Ada", .line1 = "1 Main St", .city = "Reno",
                                .region = "us-west", .country = "US"};
        auto order = engine.orders().place(req);
        if (order.ok()) {
          ++sold;
        } else {
          if (order.status().IsOutOfStock()) ++refused;
          else std::cerr << "place: " << order.status().ToString() << "\n";
          return;
        }
      }
    });
  for (auto& b : buyers) b.join();
  std::cout << "sold " << sold << " of " << available << ", then " << refused
            << " buyers were told it sold out\n";

  // The sale ends: one row again, with the sums.
  auto merged = inventory.merge_stock("SNEAKER-42", "wh");
  if (!merged.ok()) return Fail("merge_stock", merged.status());
  std::cout << "merged: on_hand " << merged->on_hand << ", reserved " << merged->reserved
            << ", available " << merged->available() << "\n";
  return sold == available ? 0 : 1;
}
