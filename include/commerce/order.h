// Orders: placed from a cart or from explicit lines, idempotently, with stock allocated
// across warehouses and reserved in the same group-committed mutation as the order and its
// events — all or nothing.
//
// Placement (docs/orders.md):
//   - the idempotency key makes a retry safe: the same key with the same request returns the
//     order it made the first time and never a second one; the same key with a different
//     request is Conflict;
//   - prices come from the catalog at placement, never from the caller: the price that applies
//     then (price_lists.h) to the customer's group, the channel, the line's quantity and the
//     order's currency; each line records the price list it came from. Tax and shipping from
//     the engine's PricingPolicy (pricing.h), told which part of the subtotal already
//     includes tax;
//   - allocation prefers one warehouse that can ship the whole order (warehouses in the
//     address's region first, then by priority, then id); otherwise it splits the order into
//     the fewest shipments (greedy set cover, the same preference order breaking ties);
//   - OutOfStock names the SKU and how many are available in total;
//   - idempotency keys are scoped to the customer; a SKU may appear once in `lines`
//     (InvalidArgument otherwise: give each SKU once with its total quantity).
//
// State machine:
//   placed -> paid -> fulfilling -> shipped -> delivered -> returned -> refunded
//   placed | paid -> cancelled   (releases the reservations)
//   fulfilling -> shipped        (reserved stock leaves: on hand and reserved both go down)
//   delivered -> returned        (restock chosen by the caller: units go back on hand)
//   paid -> refunded is not a transition: cancel, which releases stock, then refund outside.
// With a payment provider (payments.h) an order is placed in payment_pending instead:
//   payment_pending -> paid              (its authorization succeeded; by the payment worker)
//   payment_pending -> payment_declined  (declined; releases the reservations; by the worker)
//   payment_pending -> cancelled         (releases the reservations; the payment is voided)
// and shipped queues the capture, cancelled the void, refunded the refund. Only the payment
// worker moves an order out of payment_pending to paid or payment_declined.
// An illegal transition is FailedPrecondition; every transition is an event with its time.
//
// Thread safety: an Orders (from Engine::orders()) is safe from any number of threads.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "commerce/catalog.h"
#include "commerce/customer.h"
#include "commerce/export.h"
#include "commerce/money.h"
#include "commerce/status.h"

namespace commerce {

class EngineCore;

enum class OrderStatus : uint8_t {
  kPlaced = 0,
  kPaid = 1,
  kFulfilling = 2,
  kShipped = 3,
  kDelivered = 4,
  kCancelled = 5,
  kReturned = 6,
  kRefunded = 7,
  // With payments (payments.h); appended, as stored numbers never change.
  kPaymentPending = 8,   // placed, stock reserved, the payment not yet authorized
  kPaymentDeclined = 9,  // the authorization was declined: the reservations released
};
// The last status: every value up to it is an OrderStatus.
inline constexpr OrderStatus kLastOrderStatus = OrderStatus::kPaymentDeclined;
COMMERCE_EXPORT const char* OrderStatusName(OrderStatus s);  // "placed", "paid", ...
COMMERCE_EXPORT Result<OrderStatus> ParseOrderStatus(std::string_view name);

struct OrderLineRequest {
  std::string sku;
  int64_t quantity = 0;  // 1..kMaxQuantity
};

struct PlaceOrder {
  std::string idempotency_key;  // required, 1..128 printable chars
  std::string customer_id;      // required; must exist
  std::string cart_id;          // either a cart (its lines are used, the cart is cleared) ...
  std::vector<OrderLineRequest> lines;  // ... or explicit lines (1..500), not both
  Address shipping_address;     // region required
  std::string currency;         // optional; must match the cart's / the products' currency
  // Coupon codes (promotions.h), up to kMaxCouponCodes, matched ignoring case. Each must apply
  // (NotFound for an unknown or inactive code, FailedPrecondition for one that does not apply
  // or is used up); each use is counted against the coupon's limits in the order's commit.
  std::vector<std::string> coupon_codes;
  // Optional: the channel (channels.h): its products, currencies, warehouses, price lists.
  // A cart order takes the cart's; given with a cart, it must be the cart's. As NewCart's.
  std::string channel;
};

// What one promotion took off one line.
struct LineDiscount {
  std::string promotion_id;
  Money amount;
  friend bool operator==(const LineDiscount&, const LineDiscount&) = default;
};

// A promotion applied to an order or a cart (promotions.h).
struct AppliedPromotion {
  std::string promotion_id;
  std::string name;
  std::string coupon_code;  // the code that unlocked it; "" for an automatic promotion
  Money amount;             // what it took off the lines, in total
  bool free_shipping = false;
  friend bool operator==(const AppliedPromotion&, const AppliedPromotion&) = default;
};

struct OrderLine {
  std::string sku;
  std::string product_id;
  std::string title;
  int64_t quantity = 0;
  Money unit_price;
  Money line_total;                    // unit_price x quantity, before discounts
  Money discount;                      // what promotions took off this line (the sum below)
  std::vector<LineDiscount> discounts; // by promotion, in the order they applied
  // Price lists (price_lists.h); last, so that initializers written before keep their meaning.
  std::string price_list_id;           // the price list unit_price came from; "": base price
  bool tax_inclusive = false;          // unit_price includes tax (from a tax-inclusive list)
  friend bool operator==(const OrderLine&, const OrderLine&) = default;
};

struct ShipmentItem {
  std::string sku;
  int64_t quantity = 0;
  friend bool operator==(const ShipmentItem&, const ShipmentItem&) = default;
};

struct Shipment {
  std::string warehouse_id;
  std::vector<ShipmentItem> items;
  friend bool operator==(const Shipment&, const Shipment&) = default;
};

struct OrderTransition {
  OrderStatus from = OrderStatus::kPlaced;
  OrderStatus to = OrderStatus::kPlaced;
  int64_t time_ms = 0;
  std::string note;
  friend bool operator==(const OrderTransition&, const OrderTransition&) = default;
};

struct Order {
  std::string id;  // "ord-" + 16 hex digits
  // A capability to read this one order without a key that reads every order: "ot_" + 32 hex
  // digits (128 bits from the OS random source), made at placement and kept with the order
  // (get_by_token). The buyer's secret: the placement answers carry it (a browser holding
  // only a publishable key reads its own order with it), and it never goes into events or
  // webhooks. Empty for orders placed before tokens existed: those only a full read opens.
  std::string access_token;
  std::string customer_id;
  std::string idempotency_key;
  OrderStatus status = OrderStatus::kPlaced;
  std::string currency;
  std::vector<OrderLine> lines;
  std::vector<Shipment> shipments;
  // subtotal: the lines before discounts; total = subtotal - discount + tax + shipping.
  Money subtotal, tax, shipping, total;
  Money discount;                            // the lines' discounts together
  std::vector<AppliedPromotion> promotions;  // in the order they applied
  Address shipping_address;
  std::vector<OrderTransition> history;  // oldest first; the first is placed -> placed
  int64_t created_at_ms = 0;
  int64_t updated_at_ms = 0;
  uint64_t version = 0;
  // Price lists (price_lists.h); last, so that initializers written before keep their meaning.
  std::string channel;  // "" when placed without one
  // The tax already inside the tax-inclusive lines' prices: shown, never added to the total
  // (tax is what is added). docs/orders.md, "Tax-inclusive prices".
  Money tax_included;
  friend bool operator==(const Order&, const Order&) = default;
};

struct TransitionOptions {
  std::string note;                      // up to 500 chars, kept in the history
  bool restock = false;                  // for kReturned: put the units back on hand
  std::optional<uint64_t> if_version;    // Conflict when stale
};

struct OrderListOptions {
  std::string cursor;
  size_t limit = 50;  // 1..1000
};

// Which orders Orders::list answers: each field that is set narrows the list (all must hold).
struct OrderFilter {
  std::vector<OrderStatus> statuses;         // in any of these; empty: in any status
  std::string customer_id;                   // of this customer; "": of any customer
  std::optional<int64_t> created_from_ms;    // created_at_ms >= this
  std::optional<int64_t> created_before_ms;  // created_at_ms < this
};

class COMMERCE_EXPORT Orders {
 public:
  // Handed out by Engine (engine.h), which owns it; not copyable.
  Orders(const Orders&) = delete;
  Orders& operator=(const Orders&) = delete;

  Result<Order> place(const PlaceOrder& request);
  // place(), and *replayed says whether the idempotency key returned an order placed before
  // (nothing was written; the order as it is now). The server's Idempotent-Replayed header.
  Result<Order> place(const PlaceOrder& request, bool* replayed);
  // What place_async answers: the order (or the error place() would give) and whether the
  // idempotency key returned an order placed before.
  using PlaceCallback = std::function<void(Result<Order> order, bool replayed)>;
  // As place(request, &replayed), without waiting for the group commit: the request is checked
  // and prepared on the calling thread (validation, prices, allocation, the records), then
  // queued for the writer, and place_async returns. `done` is called exactly once: on the
  // calling thread, before place_async returns, when the request fails before it is queued
  // (bad input, OutOfStock, ...); otherwise on the storage's writer thread, once the order is
  // durable or has failed. So `done` must be quick and must not wait for the engine's writes
  // (hand the result to another thread, e.g. with uv_async_send). A server uses it so that no
  // worker thread waits for a commit and groups grow with load, not with the thread count.
  void place_async(PlaceOrder request, PlaceCallback done);
  Result<Order> get(std::string_view order_id);
  // get(), only when `access_token` is the order's (compared in constant time). A wrong or
  // empty token, or an order without one, is NotFound worded as for no such order, so the
  // answer never tells a guesser that an order exists.
  Result<Order> get_by_token(std::string_view order_id, std::string_view access_token);
  // Moves the order to `to`; FailedPrecondition when the state machine forbids it.
  Result<Order> transition(std::string_view order_id, OrderStatus to, TransitionOptions o = {});

  // A customer's orders, newest first.
  Result<Page<Order>> list_by_customer(std::string_view customer_id, OrderListOptions o = {});
  // Orders currently in `status`, oldest first (a work queue for fulfilment).
  Result<Page<Order>> list_by_status(OrderStatus status, OrderListOptions o = {});
  // Every order that matches `filter`, in placement order (oldest first), a page at a time.
  // The cursor is a placement sequence number, so an order that changes status while a client
  // pages is still listed once. Statuses and customer narrow the walk through their indexes;
  // the time range is checked order by order, and one page looks at no more than
  // kOrderListScanBudget orders, so it may hold fewer than `limit` (even none) while its
  // next_cursor says there is more to look at: follow next_cursor until it is empty.
  // InvalidArgument for a bad filter (an unknown status, a negative time, an empty range) or
  // cursor; NotFound for a customer that does not exist.
  Result<Page<Order>> list(const OrderFilter& filter, OrderListOptions o = {});
  static constexpr size_t kOrderListScanBudget = 10'000;

 private:
  friend class Engine;
  explicit Orders(EngineCore* core) : core_(core) {}
  EngineCore* core_;
};

}  // namespace commerce
