// Returns (RMA): a buyer's return of some of an order's units, with its own states, the
// stock it puts back (or writes off), its refund through payments (payments.h) and, for an
// exchange, a linked new order (docs/returns.md).
//
//   requested ──> approved ──> received ──> refunded
//       │            │
//       ├──> rejected (by the shop)
//       └────────────┴──> cancelled (by the buyer or the shop, before receipt)
//
// - Several returns per order; each line names a SKU of the order and a quantity. Over all
//   returns of an order that are not rejected or cancelled, no SKU is returned more than was
//   ordered: checked inside the writer's transaction that records the return, so returns
//   asked at once on many threads never pass it together.
// - Receipt decides per line: restock to an active warehouse (units back on hand, in the same
//   commit as the return) or write off (nothing back on hand; the line says so).
// - The refund defaults to the returned units' paid price (line total less its discounts,
//   per unit, times the units returned) plus the same share of the order's tax; shipping is
//   not refunded. With a payment provider it is asked through the payment's outbox with the
//   refund id "<return id>" (idempotent: refunding twice asks once) and is never above what
//   was captured less what was refunded or is pending; without one the return records the
//   refund as manual (made outside the engine) and says so.
// - An exchange: replacement lines asked with the return are placed as a new order when the
//   return is approved, with the idempotency key "return:<return id>:exchange", at catalog
//   prices (the buyer pays for it as for any order; the return's refund settles the returned
//   units, so the buyer pays the price difference).
// Every move is an event in the same commit: ReturnRequested, ReturnApproved, ReturnRejected,
// ReturnCancelled, ReturnReceived, ReturnRefunded.
//
// The order's own `delivered -> returned (restock) -> refunded` moves (order.h) still work
// for stores that use them: they return and refund the whole order at once. An order that has
// a return open (requested, approved or received) cannot move to returned, and an order that
// is returned or refunded takes no new return.
//
// Thread safety: a Returns (from Engine::returns()) is safe from any number of threads.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "commerce/export.h"
#include "commerce/money.h"
#include "commerce/order.h"
#include "commerce/status.h"

namespace commerce {

class EngineCore;
class Orders;

enum class ReturnStatus : uint8_t {
  kRequested = 0,
  kApproved = 1,
  kReceived = 2,
  kRefunded = 3,
  kRejected = 4,
  kCancelled = 5,
};
COMMERCE_EXPORT const char* ReturnStatusName(ReturnStatus s);  // "requested", ...
COMMERCE_EXPORT Result<ReturnStatus> ParseReturnStatus(std::string_view name);

// What became of a returned line at receipt.
enum class ReturnDisposition : uint8_t {
  kPending = 0,    // not received yet
  kRestocked = 1,  // back on hand in warehouse_id
  kWrittenOff = 2, // received, not sellable: nothing back on hand
};
COMMERCE_EXPORT const char* ReturnDispositionName(ReturnDisposition d);  // "pending", ...

// How the refund was made.
enum class RefundMethod : uint8_t {
  kNone = 0,     // not refunded yet
  kPayment = 1,  // through the order's payment (payments.h): the provider is asked
  kManual = 2,   // the order has no payment: the shop refunds outside the engine
};
COMMERCE_EXPORT const char* RefundMethodName(RefundMethod m);  // "none", "payment", "manual"

struct ReturnLineRequest {
  std::string sku;       // a SKU of the order
  int64_t quantity = 0;  // 1..what the order holds and no other open return holds
  std::string reason;    // up to 500 bytes, kept
};

// A replacement line of an exchange.
struct ExchangeLine {
  std::string sku;
  int64_t quantity = 0;  // 1..kMaxQuantity
  friend bool operator==(const ExchangeLine&, const ExchangeLine&) = default;
};

struct RequestReturn {
  std::string order_id;
  std::vector<ReturnLineRequest> lines;  // 1..500, each SKU once
  // Replacement lines for an exchange (may be empty): placed as a new order on approval.
  std::vector<ExchangeLine> exchange_lines;
  // Optional, 1..128: the same key for the same order answers the return it made the first
  // time (a different request under it: Conflict).
  std::string idempotency_key;
  std::string note;  // up to 500 bytes
};

struct ReturnLine {
  std::string sku;
  int64_t quantity = 0;
  std::string reason;
  Money refund;  // this line's share of the refund (paid price and tax share)
  ReturnDisposition disposition = ReturnDisposition::kPending;
  std::string warehouse_id;  // where it was restocked
  friend bool operator==(const ReturnLine&, const ReturnLine&) = default;
};

struct ReturnTransition {
  ReturnStatus from = ReturnStatus::kRequested;
  ReturnStatus to = ReturnStatus::kRequested;
  int64_t time_ms = 0;
  std::string note;
  friend bool operator==(const ReturnTransition&, const ReturnTransition&) = default;
};

struct Return {
  std::string id;  // "ret-" + 16 hex digits
  std::string order_id;
  std::string customer_id;
  std::string idempotency_key;
  ReturnStatus status = ReturnStatus::kRequested;
  std::vector<ReturnLine> lines;
  std::vector<ExchangeLine> exchange_lines;
  std::string exchange_order_id;  // set on approval when exchange_lines is not empty
  Money refund;                   // the default (sum of the lines) until refunded; then what was
  RefundMethod refund_method = RefundMethod::kNone;
  std::string refund_id;          // kPayment: the payment's refund id (the return id)
  std::vector<ReturnTransition> history;  // oldest first; the first is requested -> requested
  int64_t created_at_ms = 0;
  int64_t updated_at_ms = 0;
  uint64_t version = 0;
  friend bool operator==(const Return&, const Return&) = default;
};

// Receipt of one line: restock to `warehouse_id` (an active warehouse), or write it off.
struct ReceiveLine {
  std::string sku;
  std::string warehouse_id;  // restock here; "" with write_off
  bool write_off = false;
};

struct ReturnMoveOptions {
  std::string note;                    // up to 500 bytes, kept in the history
  std::optional<uint64_t> if_version;  // Conflict when stale
};

class COMMERCE_EXPORT Returns {
 public:
  // Handed out by Engine (engine.h), which owns it; not copyable.
  Returns(const Returns&) = delete;
  Returns& operator=(const Returns&) = delete;

  // A new return in `requested`. InvalidArgument for bad input (before anything is read);
  // NotFound for an unknown order; FailedPrecondition when the order is not shipped or
  // delivered, or a line asks for more than is left to return of its SKU (the message says
  // how many are left).
  Result<Return> request(const RequestReturn& r);
  // request(), and *replayed says whether the idempotency key answered a return made before
  // (nothing was written; the return as it is now): the server's Idempotent-Replayed header.
  Result<Return> request(const RequestReturn& r, bool* replayed);
  Result<Return> get(std::string_view return_id);
  // The order's returns, oldest first (NotFound for an unknown order).
  Result<std::vector<Return>> list_by_order(std::string_view order_id);

  // requested -> approved; with exchange lines the exchange order is placed first (its
  // errors, e.g. OutOfStock, are answered and the return stays requested).
  Result<Return> approve(std::string_view return_id, ReturnMoveOptions o = {});
  // requested -> rejected: its units count as not returned again.
  Result<Return> reject(std::string_view return_id, ReturnMoveOptions o = {});
  // requested | approved -> cancelled: likewise.
  Result<Return> cancel(std::string_view return_id, ReturnMoveOptions o = {});
  // approved -> received: every line of the return once in `lines`, each restocked to an
  // active warehouse or written off, in the same commit.
  Result<Return> receive(std::string_view return_id, const std::vector<ReceiveLine>& lines,
                         ReturnMoveOptions o = {});
  // received -> refunded: `amount_minor` (default: Return::refund) through the order's payment
  // (FailedPrecondition past what is left to refund of it), or recorded as manual when the
  // order has no payment. 0 is allowed (a refund of nothing, e.g. an exchange at the same price).
  Result<Return> refund(std::string_view return_id, std::optional<int64_t> amount_minor = std::nullopt,
                        ReturnMoveOptions o = {});

 private:
  friend class Engine;
  Returns(EngineCore* core, Orders* orders) : core_(core), orders_(orders) {}
  EngineCore* core_;
  Orders* orders_;
};

}  // namespace commerce
