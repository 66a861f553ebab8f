// commerce verify: carts and their two indexes.
//
//   - every cart decodes and is stored under its own id;
//   - a customer's cart names an existing customer and is listed in customer_carts under it,
//     and every customer_carts entry is a cart of that customer;
//   - every cart_expiry row decodes (expiry time, cart id), and every cart whose newest
//     created/updated/merged event the expiry consumer has handled has a row (else it would
//     never expire). Rows of carts deleted since are hints the consumer drops: not problems.
#include <set>

#include "cart/cart_codec.h"
#include "cart/cart_store.h"
#include "common/key.h"
#include "customer/customer_store.h"
#include "verify/check_context.h"

namespace commerce::verify {

namespace {
constexpr const char* kCarts = "carts";
}  // namespace

void CheckCarts(CheckContext& c) {
  std::set<std::string, std::less<>> expiring;
  c.Scan("carts", "cart_expiry", [&](std::string_view key, std::string_view) {
    KeyReader kr(key);
    auto due = kr.i64();
    auto cart = kr.str();
    if (!due || !cart || !kr.done()) c.Problem("carts", Where("cart_expiry", key), "the key does not decode");
    else expiring.insert(*cart);
    return true;
  }, /*count=*/true);

  const auto cursor = c.facts.cursors.find("cart-expiry");
  const uint64_t handled = cursor == c.facts.cursors.end() ? 0 : cursor->second;
  c.Scan("carts", kCarts, [&](std::string_view key, std::string_view value) {
    CartRecord r;
    if (!DecodeRecord(c, kCarts, key, value, [&] { return DecodeCartRecord(key, value, &r); }))
      return true;
    const std::string& id = r.state.cart_id;
    const std::string where = Where(kCarts, key);
    if (key != CartKey(id)) c.Problem("carts", where, "holds cart '" + id + "'");
    if (!r.state.customer_id.empty()) {
      if (!c.Has("carts", "customers", CustomerKey(r.state.customer_id)))
        c.Problem("carts", where, "its customer '" + r.state.customer_id + "' does not exist");
      if (!c.Has("carts", "customer_carts", CustomerCartKey(r.state.customer_id, id)))
        c.Problem("carts", where, "is missing from customer_carts under its customer");
    }
    auto last = c.facts.cart_last_event.find(id);
    if (last != c.facts.cart_last_event.end() && last->second <= handled && !expiring.count(id))
      c.Problem("carts", where, "the expiry consumer has handled its event " +
                                    std::to_string(last->second) + " but it has no cart_expiry row: it would never expire");
    return true;
  }, /*count=*/true);

  c.Scan("carts", "customer_carts", [&](std::string_view key, std::string_view) {
    const std::string where = Where("customer_carts", key);
    KeyReader kr(key);
    auto customer = kr.str();
    auto cart = kr.str();
    if (!customer || !cart || !kr.done()) {
      c.Problem("carts", where, "the key does not decode");
      return true;
    }
    const std::string ckey = CartKey(*cart);
    auto v = c.Get("carts", kCarts, ckey);
    CartRecord r;
    if (!v) c.Problem("carts", where, "names cart '" + *cart + "', which does not exist");
    else if (DecodeCartRecord(ckey, *v, &r).ok() && r.state.customer_id != *customer)
      c.Problem("carts", where, "names cart '" + *cart + "', which belongs to '" + r.state.customer_id + "'");
    return true;
  }, /*count=*/true);
}

}  // namespace commerce::verify
