// Payments inside a transaction: the payment record, its outbox of provider operations, and
// what an order's transition asks of its payment (payments.h, docs/payments.md).
//
// Tables (keys in common/key.h's tuple encoding):
//   payments          order id                           -> Payment (checksummed, version 1)
//   payment_outbox    (order id, u64 operation number)   -> PaymentOperationEntry
//   payment_webhooks  (provider, event id)               -> u64 time seen (ms)
//
// The outbox is the queue of provider calls still to make. An entry is written in the same
// transaction as the change that asks for it (placement: authorize; shipped: capture;
// cancelled: void; refunded or Payments::refund: refund) and removed in the transaction that
// records the provider's answer. A payment's entries are answered in number order: a void
// queued behind an authorization waits for it, so the provider never sees them reversed.
//
// Thread safety: these functions run inside one transaction, on that transaction's thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "commerce/order.h"
#include "commerce/payments.h"
#include "commerce/storage.h"
#include "engine/engine_core.h"

namespace commerce {

// A queued provider call.
struct PaymentOperationEntry {
  PaymentOperation operation = PaymentOperation::kAuthorize;
  int64_t amount_minor = 0;
  std::string refund_id;        // kRefund only
  uint32_t attempts = 0;        // answered kUnknown so far
  int64_t next_attempt_ms = 0;  // not asked before this
  std::string last_error;       // of the last kUnknown
  int64_t created_at_ms = 0;
};

// "pay-" + the order id's 16 hex digits, and back. OrderIdOfPayment: nullopt when `payment_id`
// is not of that shape.
std::string PaymentIdOf(std::string_view order_id);
std::optional<std::string> OrderIdOfPayment(std::string_view payment_id);
// The idempotency key towards the provider: "<payment id>:<operation>[:<refund id>]".
std::string ProviderKey(std::string_view payment_id, PaymentOperation op, std::string_view refund_id);

std::string PaymentRecordKey(std::string_view order_id);
std::string OutboxKey(std::string_view order_id, uint64_t number);
std::string OutboxPrefix(std::string_view order_id);
std::string PaymentWebhookKey(std::string_view provider, std::string_view event_id);

std::string EncodePayment(const Payment& p);
Status DecodePayment(std::string_view key, std::string_view bytes, Payment* p);
std::string EncodeOperation(const PaymentOperationEntry& e);
Status DecodeOperation(std::string_view key, std::string_view bytes, PaymentOperationEntry* e);

// The payment of an order: nullopt when it has none (placed without payments).
Result<std::optional<Payment>> ReadPayment(ReadView& view, const Tables& t, std::string_view order_id);

// Placement with payments: the new payment of `o` (status pending) and its authorize entry,
// inserted (checked: absent) in `changes`, beside the order.
void AddNewPayment(ChangeSet& changes, const Tables& t, const Order& o, std::string_view provider,
                   int64_t now_ms);

// Queues `op` for `p` (numbered p.next_operation, which moves on; pending_operations grows).
// The caller writes `p` afterwards (PutPaymentInTxn).
Status QueueOperationInTxn(WriteTxn& txn, const Tables& t, Payment& p, PaymentOperation op,
                           int64_t amount_minor, std::string_view refund_id, int64_t now_ms);
// Writes `p` with its version bumped and updated_at_ms = now_ms.
Status PutPaymentInTxn(WriteTxn& txn, const Tables& t, Payment& p, int64_t now_ms);

// Refunds `amount_minor` of captured payment `p` under `refund_id`: queues the refund in the
// outbox, marks it pending in `p` and writes `p`. The same refund id with the same amount
// again writes nothing (OK); with another amount: Conflict. FailedPrecondition when `p` is not
// captured or the amount is past captured - refunded - pending. REQUIRES: refund_id checked
// (1..kMaxRefundIdBytes of [A-Za-z0-9_-]), amount_minor > 0. Payments::refund and returns
// (returns.h) share it.
Status RefundPaymentInTxn(WriteTxn& txn, const Tables& t, Payment& p, std::string_view refund_id,
                          int64_t amount_minor, int64_t now_ms);

// What an order's move from `from` to `to` asks of its payment, if it has one: cancelled
// voids a pending or authorized payment (a pending one too: the provider may have recorded
// an authorization it never answered); shipped captures an authorized one; refunded refunds
// what was captured (or will be, when the capture is still queued) and not yet refunded.
Status FollowOrderTransitionInTxn(WriteTxn& txn, const Tables& t, const Order& o, OrderStatus from,
                                  OrderStatus to, int64_t now_ms);

// Appends a payment event ("PaymentAuthorized", ...) about `p`, with the operation's key and
// `amount_minor`, and the provider's reason and reference.
Status AppendPaymentEvent(WriteTxn& txn, const Tables& t, std::string_view type, const Payment& p,
                          PaymentOperation op, std::string_view key, int64_t amount_minor,
                          std::string_view reason, int64_t now_ms);

}  // namespace commerce
