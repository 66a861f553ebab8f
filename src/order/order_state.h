// The order state machine (order.h) and what each transition does to stock.
//
//   payment_pending ──> paid, payment_declined (releases), cancelled   (with payments)
//   placed ──> paid ──> fulfilling ──> shipped ──> delivered ──> returned ──> refunded
//     │         │
//     └────┬────┘
//          └──> cancelled   (releases the reservations)
//
//   fulfilling -> shipped   ships the reserved units: reserved and on hand both go down
//   delivered -> returned   with restock, the units go back on hand where they shipped from
//
// With payments (payments.h) a transition of an order that has a payment also queues the
// payment's next operation (payments/payment_store.h): shipped a capture, cancelled a void,
// refunded a refund.
//
// Every transition appends OrderStatusChanged (order id, from, to, time, note) in the same
// mutation as the order and the stock it changes.
//
// Thread safety: IsLegalTransition and LegalTargets are pure; TransitionInTxn runs inside one
// transaction, on that transaction's thread.
#pragma once

#include <string>

#include "commerce/order.h"
#include "commerce/storage.h"
#include "engine/engine_core.h"

namespace commerce {

// True when the state machine allows from -> to (never for from == to).
bool IsLegalTransition(OrderStatus from, OrderStatus to);

// "paid, cancelled" for placed: the legal targets from `from`, for error messages; "none"
// for a final state.
std::string LegalTargets(OrderStatus from);

// Moves the stored order `id` to `to`: checks if_version (Conflict) and the state machine
// (FailedPrecondition naming from and to), applies the stock effects above, appends the
// history entry, bumps version, moves the order between status indexes and appends
// OrderStatusChanged. REQUIRES: options already validated (note length; restock only with
// kReturned). On success *out is the order as stored. Out of payment_pending only `kPayments`
// (the payment worker) moves an order to paid or payment_declined; a caller may cancel it.
enum class TransitionBy : uint8_t { kCaller, kPayments };
Status TransitionInTxn(WriteTxn& txn, const Tables& t, std::string_view id, OrderStatus to,
                       const TransitionOptions& options, int64_t now_ms, Order* out,
                       TransitionBy by = TransitionBy::kCaller);

}  // namespace commerce
