#include "cart/cart_store.h"

#include <algorithm>
#include <cstdint>
#include <tuple>

#include "cart/cart_codec.h"
#include "commerce/inventory.h"
#include "common/key.h"
#include "common/record.h"
#include "events/event_json.h"
#include "events/event_log.h"

namespace commerce {

std::string CustomerCartKey(std::string_view customer_id, std::string_view cart_id) {
  return KeyBuilder().str(customer_id).str(cart_id).key();
}

std::string CartKey(std::string_view cart_id) { return KeyBuilder().str(cart_id).key(); }

Result<CartRecord> ReadCartRecord(ReadView& view, const Tables& t, std::string_view cart_id) {
  return GetRecord<CartRecord>(view, t.carts, CartKey(cart_id), cart_id, "cart", DecodeCartRecord);
}

Result<CartRecord> ReadCartRecord(ReadView& view, const Tables& t, std::string_view cart_id,
                                  ChangeSet& changes) {
  // The decoder reads the set's copy of the bytes: the view's own are valid only until the
  // next read of `view`.
  auto copy_into_set = [&](std::string_view key, std::string_view bytes, CartRecord* r) {
    changes.expect(t.carts, key, bytes);
    return DecodeCartRecord(key, changes.value(changes.ops().back()), r);
  };
  return GetRecord<CartRecord>(view, t.carts, CartKey(cart_id), cart_id, "cart", copy_into_set);
}

void WriteCartRecord(ChangeSet& changes, const Tables& t, const CartRecord& r,
                     std::string_view previous_customer) {
  const std::string& customer = r.state.customer_id;
  if (previous_customer != customer) {
    if (!previous_customer.empty())
      changes.del(t.customer_carts, CustomerCartKey(previous_customer, r.state.cart_id));
    if (!customer.empty()) changes.put(t.customer_carts, CustomerCartKey(customer, r.state.cart_id), "");
  }
  changes.put(t.carts, CartKey(r.state.cart_id), EncodeCartRecord(r));
}

void DeleteCartRecord(ChangeSet& changes, const Tables& t, const CartRecord& r) {
  if (!r.state.customer_id.empty())
    changes.del(t.customer_carts, CustomerCartKey(r.state.customer_id, r.state.cart_id));
  changes.del(t.carts, CartKey(r.state.cart_id));
}

Result<std::vector<CartLine>> LiveCartLines(const CartState& s) {
  std::vector<CartLine> out;
  for (const auto& [sku, line] : s.lines) {
    // Stored states are canonical (removed sorted); the check keeps this right even if not.
    int64_t quantity = 0;
    const CartAdd* newest = nullptr;
    for (const auto& a : line.adds) {
      if (std::binary_search(line.removed.begin(), line.removed.end(), a.dot)) continue;
      quantity += a.quantity;
      if (!newest || std::tie(a.time_ms, a.dot) > std::tie(newest->time_ms, newest->dot)) newest = &a;
    }
    if (!newest) continue;
    CartLine l;
    l.sku = sku;
    // Concurrent adds on two copies can sum past the cap of one line; show the cap, which is
    // also the most an order line accepts.
    l.quantity = std::min(quantity, kMaxQuantity);
    l.unit_price = newest->unit_price;
    int64_t total = 0;
    if (__builtin_mul_overflow(l.quantity, l.unit_price.minor, &total) || total > kMaxMoneyMinor)
      return Status::InvalidArgument("quantity: sku '" + sku + "' at " + std::to_string(l.quantity) +
                                     " x " + std::to_string(l.unit_price.minor) +
                                     " minor units exceeds the largest amount, 10^15 minor units");
    l.line_total = Money{total, s.currency};
    out.push_back(std::move(l));
  }
  return out;
}

Result<Cart> CartFromRecord(const CartRecord& r) {
  Cart c;
  c.id = r.state.cart_id;
  c.customer_id = r.state.customer_id;
  c.currency = r.state.currency;
  c.channel = r.channel;
  c.updated_at_ms = r.updated_at_ms;
  COMMERCE_ASSIGN_OR_RETURN(c.lines, LiveCartLines(r.state));
  c.subtotal = Money{0, c.currency};
  for (const auto& l : c.lines) {
    // Each line total is <= 10^15, but merged carts may hold thousands of lines.
    if (__builtin_add_overflow(c.subtotal.minor, l.line_total.minor, &c.subtotal.minor))
      c.subtotal.minor = INT64_MAX;
    c.item_count += l.quantity;
  }
  if (c.subtotal.minor > kMaxMoneyMinor)
    return Status::InvalidArgument("cart '" + c.id + "': subtotal exceeds the largest amount, 10^15 minor units");
  return c;
}

namespace {

// The data of every Cart* event (docs/events.md), whichever way it is written.
std::string CartEventData(const CartRecord& r, CartEventExtra extra) {
  EventJson data;
  data.str("cart_id", r.state.cart_id).str("customer_id", r.state.customer_id);
  data.i64("updated_at_ms", r.updated_at_ms);
  for (const CartEventMember& m : extra) {
    if (const auto* text = std::get_if<std::string_view>(&m.value)) data.str(m.name, *text);
    else data.i64(m.name, std::get<int64_t>(m.value));
  }
  return data.done();
}

}  // namespace

void AppendCartEvent(ChangeSet& changes, const Tables& t, std::string_view type,
                     const CartRecord& r, int64_t time_ms, CartEventExtra extra) {
  AppendEvent(changes, t.events, type, r.state.cart_id, CartEventData(r, extra), time_ms);
}

}  // namespace commerce
