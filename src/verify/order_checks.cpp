// commerce verify: orders, their idempotency keys and their two indexes.
//
//   - every order decodes, is stored under its own id, belongs to an existing customer, and
//     adds up: each line's total is its unit price times its quantity, the subtotal their sum,
//     each line's discount at most its total, the discount the sum of the lines' and of the
//     promotions' amounts, the total subtotal - discount + tax + shipping, the shipments hold
//     exactly the lines' quantities,
//     and its history ends in its status;
//   - its placement seq is the OrderPlaced event of that order;
//   - its idempotency key (customer, key) names it, and every order_keys entry names an order
//     of that customer placed with that key (its fingerprint 16 hex digits);
//   - customer_orders and status_orders hold exactly one entry per order, at its seq, under its
//     customer and its current status.
// It also sums, per SKU and warehouse, the units held by orders that are placed, paid or
// fulfilling (their shipments), for the stock check.
#include <map>

#include "common/key.h"
#include "customer/customer_store.h"
#include "events/event_log.h"
#include "order/order_store.h"
#include "verify/check_context.h"

namespace commerce::verify {

namespace {

constexpr const char* kOrders = "orders";

bool HoldsStock(OrderStatus s) {
  return s == OrderStatus::kPlaced || s == OrderStatus::kPaid || s == OrderStatus::kFulfilling ||
         s == OrderStatus::kPaymentPending;
}

std::optional<StoredOrder> ReadOrder(CheckContext& c, const char* check, const std::string& id) {
  const std::string key = OrderKey(id);
  auto v = c.Get(check, kOrders, key);
  if (!v) return std::nullopt;
  StoredOrder o;
  if (!DecodeOrder(key, *v, &o).ok()) return std::nullopt;  // reported by the orders scan
  return o;
}

void CheckSums(CheckContext& c, const std::string& where, const Order& o) {
  int64_t subtotal = 0, line_discounts = 0;
  std::map<std::string, int64_t> line_qty;
  for (const auto& l : o.lines) {
    if (l.quantity < 1 || l.unit_price.minor < 0 || l.line_total.minor != l.unit_price.minor * l.quantity)
      c.Problem("orders", where, "line '" + l.sku + "': " + std::to_string(l.quantity) + " x " +
                                     std::to_string(l.unit_price.minor) + " is not its total " +
                                     std::to_string(l.line_total.minor));
    subtotal += l.line_total.minor;
    line_qty[l.sku] += l.quantity;
    if (l.discount.minor < 0 || l.discount.minor > l.line_total.minor)
      c.Problem("orders", where, "line '" + l.sku + "': discount " + std::to_string(l.discount.minor) +
                                     " is not within its total " + std::to_string(l.line_total.minor));
    line_discounts += l.discount.minor;
  }
  int64_t promoted = 0;
  for (const auto& p : o.promotions) promoted += p.amount.minor;
  if (subtotal != o.subtotal.minor)
    c.Problem("orders", where, "subtotal " + std::to_string(o.subtotal.minor) +
                                   " is not the sum of its lines, " + std::to_string(subtotal));
  if (o.discount.minor != line_discounts || o.discount.minor != promoted)
    c.Problem("orders", where, "discount " + std::to_string(o.discount.minor) +
                                   " is not the sum of its lines' (" + std::to_string(line_discounts) +
                                   ") and of its promotions' (" + std::to_string(promoted) + ")");
  if (o.total.minor != o.subtotal.minor - o.discount.minor + o.tax.minor + o.shipping.minor)
    c.Problem("orders", where, "total " + std::to_string(o.total.minor) +
                                   " is not subtotal - discount + tax + shipping");
  std::map<std::string, int64_t> shipped;
  for (const auto& s : o.shipments)
    for (const auto& item : s.items) shipped[item.sku] += item.quantity;
  if (shipped != line_qty) c.Problem("orders", where, "its shipments do not hold exactly its lines");
  if (o.history.empty() || o.history.back().to != o.status)
    c.Problem("orders", where, std::string("its history does not end in its status, ") +
                                   OrderStatusName(o.status));
}

}  // namespace

void CheckOrders(CheckContext& c) {
  Facts& f = c.facts;
  c.Scan("orders", kOrders, [&](std::string_view key, std::string_view value) {
    StoredOrder stored;
    if (!DecodeRecord(c, kOrders, key, value, [&] { return DecodeOrder(key, value, &stored); }))
      return true;
    const Order& o = stored.order;
    const std::string where = Where(kOrders, key);
    if (key != OrderKey(o.id)) c.Problem("orders", where, "holds order '" + o.id + "'");
    if (!c.Has("orders", "customers", CustomerKey(o.customer_id)))
      c.Problem("orders", where, "its customer '" + o.customer_id + "' does not exist");
    CheckSums(c, where, o);

    // Placement seq: the OrderPlaced event of this order.
    const std::string event_key = KeyBuilder().u64(stored.seq).key();
    auto ev = c.Get("orders", "events", event_key);
    Event e;
    if (!ev || !DecodeEvent(event_key, *ev, &e).ok() || e.type != "OrderPlaced" || e.subject != o.id)
      c.Problem("orders", where, "its placement seq " + std::to_string(stored.seq) +
                                     " is not its OrderPlaced event");

    const std::string idem = IdempotencyKey(o.customer_id, o.idempotency_key);
    auto kv = c.Get("orders", "order_keys", idem);
    OrderKeyRecord r;
    if (!kv) c.Problem("orders", where, "its idempotency key is missing from order_keys");
    else if (DecodeOrderKey(idem, *kv, &r).ok() && r.order_id != o.id)
      c.Problem("orders", where, "its idempotency key names order '" + r.order_id + "'");
    auto by_customer = c.Get("orders", "customer_orders", CustomerIndexKey(o.customer_id, stored.seq));
    if (by_customer != o.id)
      c.Problem("orders", where, "customer_orders does not list it under its customer at seq " +
                                     std::to_string(stored.seq));
    auto by_status = c.Get("orders", "status_orders", StatusIndexKey(o.status, stored.seq));
    if (by_status != o.id)
      c.Problem("orders", where, std::string("status_orders does not list it under ") +
                                     OrderStatusName(o.status) + " at seq " + std::to_string(stored.seq));
    if (HoldsStock(o.status))
      for (const auto& s : o.shipments)
        for (const auto& item : s.items) f.reserved_by_orders[{item.sku, s.warehouse_id}] += item.quantity;
    return true;
  }, /*count=*/true);

  c.Scan("orders", "order_keys", [&](std::string_view key, std::string_view value) {
    OrderKeyRecord r;
    if (!DecodeRecord(c, "order_keys", key, value, [&] { return DecodeOrderKey(key, value, &r); }))
      return true;
    const std::string where = Where("order_keys", key);
    KeyReader kr(key);
    auto customer = kr.str();
    auto idem = kr.str();
    if (!customer || !idem || !kr.done()) {
      c.Problem("orders", where, "the key does not decode");
      return true;
    }
    bool hex = r.fingerprint.size() == 16;
    for (char ch : r.fingerprint) hex = hex && ((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f'));
    if (!hex) c.Problem("orders", where, "its request fingerprint is not 16 hex digits");
    auto o = ReadOrder(c, "orders", r.order_id);
    if (!o) c.Problem("orders", where, "names order '" + r.order_id + "', which does not exist");
    else if (o->order.customer_id != *customer || o->order.idempotency_key != *idem)
      c.Problem("orders", where, "names order '" + r.order_id + "', placed by another customer or key");
    return true;
  }, /*count=*/true);

  c.Scan("orders", "customer_orders", [&](std::string_view key, std::string_view value) {
    const std::string where = Where("customer_orders", key);
    KeyReader kr(key);
    auto customer = kr.str();
    auto inverted = kr.u64();
    if (!customer || !inverted || !kr.done()) {
      c.Problem("orders", where, "the key does not decode");
      return true;
    }
    auto o = ReadOrder(c, "orders", std::string(value));
    if (!o) c.Problem("orders", where, "names order '" + std::string(value) + "', which does not exist");
    else if (o->order.customer_id != *customer || o->seq != ~*inverted)
      c.Problem("orders", where, "names order '" + o->order.id + "' of another customer or seq");
    return true;
  }, /*count=*/true);

  c.Scan("orders", "status_orders", [&](std::string_view key, std::string_view value) {
    const std::string where = Where("status_orders", key);
    KeyReader kr(key);
    auto status = kr.u64();
    auto seq = kr.u64();
    if (!status || !seq || !kr.done()) {
      c.Problem("orders", where, "the key does not decode");
      return true;
    }
    auto o = ReadOrder(c, "orders", std::string(value));
    if (!o) c.Problem("orders", where, "names order '" + std::string(value) + "', which does not exist");
    else if (static_cast<uint64_t>(o->order.status) != *status || o->seq != *seq)
      c.Problem("orders", where, "names order '" + o->order.id + "', now " +
                                     OrderStatusName(o->order.status) + " at seq " + std::to_string(o->seq));
    return true;
  }, /*count=*/true);
}

}  // namespace commerce::verify
