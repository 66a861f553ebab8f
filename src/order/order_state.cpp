#include "order/order_state.h"

#include "events/event_json.h"
#include "events/event_log.h"
#include "inventory/stock_store.h"
#include "order/order_store.h"
#include "payments/payment_store.h"
#include "returns/return_store.h"

namespace commerce {

namespace {

// By stored number (order.h): appended only.
constexpr const char* kNames[] = {"placed",    "paid",      "fulfilling", "shipped",
                                  "delivered", "cancelled", "returned",   "refunded",
                                  "payment_pending", "payment_declined"};
constexpr OrderStatus kAll[] = {OrderStatus::kPlaced,    OrderStatus::kPaid,
                                OrderStatus::kFulfilling, OrderStatus::kShipped,
                                OrderStatus::kDelivered, OrderStatus::kCancelled,
                                OrderStatus::kReturned,  OrderStatus::kRefunded,
                                OrderStatus::kPaymentPending, OrderStatus::kPaymentDeclined};
static_assert(std::size(kNames) == static_cast<size_t>(kLastOrderStatus) + 1);
static_assert(std::size(kAll) == std::size(kNames));

// The stock side of a transition, per shipment item, with the order id as the holder.
Status ApplyStockEffects(WriteTxn& txn, const Tables& t, const Order& o, OrderStatus to,
                         bool restock, int64_t now_ms) {
  using Op = Result<StockLevel> (*)(WriteTxn&, const Tables&, std::string_view,
                                    std::string_view, int64_t, std::string_view, int64_t);
  Op op = nullptr;
  if (to == OrderStatus::kCancelled || to == OrderStatus::kPaymentDeclined) op = &ReleaseInTxn;
  else if (to == OrderStatus::kShipped) op = &ShipInTxn;
  else if (to == OrderStatus::kReturned && restock) op = &ReceiveInTxn;
  if (!op) return Status::OK();
  for (const auto& s : o.shipments)
    for (const auto& item : s.items) {
      Status st = op(txn, t, item.sku, s.warehouse_id, item.quantity, o.id, now_ms).status();
      if (!st.ok()) return st.WithContext("order '" + o.id + "' to " + OrderStatusName(to));
    }
  return Status::OK();
}

}  // namespace

const char* OrderStatusName(OrderStatus s) {
  auto i = static_cast<size_t>(s);
  return i < std::size(kNames) ? kNames[i] : "unknown";
}

Result<OrderStatus> ParseOrderStatus(std::string_view name) {
  for (OrderStatus s : kAll)
    if (name == OrderStatusName(s)) return s;
  std::string names;
  for (OrderStatus s : kAll) names += std::string(names.empty() ? "" : ", ") + OrderStatusName(s);
  return Status::InvalidArgument("status: '" + std::string(name) + "' is not one of " + names);
}

bool IsLegalTransition(OrderStatus from, OrderStatus to) {
  using S = OrderStatus;
  switch (from) {
    case S::kPlaced: return to == S::kPaid || to == S::kCancelled;
    case S::kPaid: return to == S::kFulfilling || to == S::kCancelled;
    case S::kFulfilling: return to == S::kShipped;
    case S::kShipped: return to == S::kDelivered;
    case S::kDelivered: return to == S::kReturned;
    case S::kReturned: return to == S::kRefunded;
    case S::kPaymentPending:
      return to == S::kPaid || to == S::kPaymentDeclined || to == S::kCancelled;
    case S::kCancelled:
    case S::kRefunded:
    case S::kPaymentDeclined: return false;
  }
  return false;
}

std::string LegalTargets(OrderStatus from) {
  std::string out;
  for (OrderStatus to : kAll) {
    if (!IsLegalTransition(from, to)) continue;
    if (!out.empty()) out += ", ";
    out += OrderStatusName(to);
  }
  return out.empty() ? "none" : out;
}

Status TransitionInTxn(WriteTxn& txn, const Tables& t, std::string_view id, OrderStatus to,
                       const TransitionOptions& options, int64_t now_ms, Order* out,
                       TransitionBy by) {
  COMMERCE_ASSIGN_OR_RETURN(StoredOrder stored, GetStoredOrder(txn, t, id));
  Order& o = stored.order;
  if (options.if_version && *options.if_version != o.version)
    return Status::Conflict("order '" + o.id + "' is at version " + std::to_string(o.version) +
                            ", not " + std::to_string(*options.if_version) +
                            ": read it again and reapply the change");
  const OrderStatus from = o.status;
  if (!IsLegalTransition(from, to))
    return Status::FailedPrecondition("order '" + o.id + "': cannot go from " +
                                      OrderStatusName(from) + " to " + OrderStatusName(to) +
                                      " (from " + OrderStatusName(from) + ": " +
                                      LegalTargets(from) + ")");
  if (from == OrderStatus::kPaymentPending && to != OrderStatus::kCancelled &&
      by != TransitionBy::kPayments)
    return Status::FailedPrecondition("order '" + o.id + "': payment_pending moves to " +
                                      OrderStatusName(to) +
                                      " when its payment is answered, not by a caller (from "
                                      "payment_pending a caller may only cancel)");
  // The whole order returned at once and returns of some of its units (returns.h) would
  // restock and refund the same units twice: an order with returns takes only returns.
  if (to == OrderStatus::kReturned) COMMERCE_RETURN_IF_ERROR(CheckNoReturnHoldsUnits(txn, t, o.id));
  COMMERCE_RETURN_IF_ERROR(ApplyStockEffects(txn, t, o, to, options.restock, now_ms));

  o.status = to;
  o.history.push_back({from, to, now_ms, options.note});
  o.updated_at_ms = now_ms;
  o.version += 1;
  COMMERCE_RETURN_IF_ERROR(UpdateOrderInTxn(txn, t, stored, from));
  std::string data = EventJson()
                         .str("order_id", o.id)
                         .str("customer_id", o.customer_id)
                         .str("from", OrderStatusName(from))
                         .str("to", OrderStatusName(to))
                         .i64("time_ms", now_ms)
                         .str("note", options.note)
                         .boolean("restock", options.restock)
                         .u64("version", o.version)
                         .done();
  COMMERCE_RETURN_IF_ERROR(
      AppendEvent(txn, t.events, "OrderStatusChanged", o.id, std::move(data), now_ms).status());
  // Its payment's side (payments.h): the capture, void or refund this move asks for.
  COMMERCE_RETURN_IF_ERROR(FollowOrderTransitionInTxn(txn, t, o, from, to, now_ms));
  *out = std::move(o);
  return Status::OK();
}

}  // namespace commerce
