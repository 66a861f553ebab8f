// The payments' stored records and their outbox (payment_store.h). Cereal archives, version 1,
// in the checksummed frame of common/codec.h, written field by field from private wrappers so
// that the public types get no serialize() of ours.
#include "payments/payment_store.h"

#include <stdexcept>

#include "common/codec.h"
#include "common/key.h"
#include "common/record_fields.h"
#include "common/record.h"
#include "events/event_json.h"
#include "events/event_log.h"

namespace commerce {

namespace {

template <class Ar, class P>
void IoPayment(Ar& ar, P& p) {
  ar(p.id, p.order_id, p.provider);
  IoEnum(ar, p.status, PaymentStatus::kFailed, "payment status");
  ar(p.amount.minor, p.amount.currency, p.authorized_minor, p.captured_minor, p.refunded_minor,
     p.refund_pending_minor, p.reference, p.reason, p.last_error, p.pending_operations,
     p.next_operation);
  IoListSize(ar, p.refunds, 10'000, "refunds");
  for (auto& r : p.refunds) {
    ar(r.id, r.amount_minor);
    IoEnum(ar, r.status, RefundStatus::kDeclined, "refund status");
    ar(r.reason);
  }
  ar(p.created_at_ms, p.updated_at_ms, p.version);
}

template <class Ar, class E>
void IoOperation(Ar& ar, E& e) {
  IoEnum(ar, e.operation, PaymentOperation::kRefund, "payment operation");
  ar(e.amount_minor, e.refund_id, e.attempts, e.next_attempt_ms, e.last_error, e.created_at_ms);
}

struct StoredPayment {
  Payment p;
  template <class Archive>
  void save(Archive& ar, std::uint32_t /*version*/) const {
    IoPayment(ar, p);
  }
  template <class Archive>
  void load(Archive& ar, std::uint32_t version) {
    if (version != 1) throw std::runtime_error("unknown payment record version " + std::to_string(version));
    IoPayment(ar, p);
  }
};

struct StoredOperation {
  PaymentOperationEntry e;
  template <class Archive>
  void save(Archive& ar, std::uint32_t /*version*/) const {
    IoOperation(ar, e);
  }
  template <class Archive>
  void load(Archive& ar, std::uint32_t version) {
    if (version != 1) throw std::runtime_error("unknown payment operation version " + std::to_string(version));
    IoOperation(ar, e);
  }
};

}  // namespace
}  // namespace commerce

CEREAL_CLASS_VERSION(commerce::StoredPayment, 1);
CEREAL_CLASS_VERSION(commerce::StoredOperation, 1);

namespace commerce {

std::string PaymentIdOf(std::string_view order_id) {
  if (order_id.rfind("ord-", 0) == 0) order_id.remove_prefix(4);
  return "pay-" + std::string(order_id);
}

std::optional<std::string> OrderIdOfPayment(std::string_view payment_id) {
  if (payment_id.size() != 20 || payment_id.rfind("pay-", 0) != 0) return std::nullopt;
  std::string_view hex = payment_id.substr(4);
  if (hex.find_first_not_of("0123456789abcdef") != std::string_view::npos) return std::nullopt;
  return "ord-" + std::string(hex);
}

std::string ProviderKey(std::string_view payment_id, PaymentOperation op, std::string_view refund_id) {
  std::string k = std::string(payment_id) + ":" + PaymentOperationName(op);
  if (op == PaymentOperation::kRefund) k += ":" + std::string(refund_id);
  return k;
}

std::string PaymentRecordKey(std::string_view order_id) { return KeyBuilder().str(order_id).key(); }
std::string OutboxKey(std::string_view order_id, uint64_t number) {
  return KeyBuilder().str(order_id).u64(number).key();
}
std::string OutboxPrefix(std::string_view order_id) { return KeyBuilder().str(order_id).key(); }
std::string PaymentWebhookKey(std::string_view provider, std::string_view event_id) {
  return KeyBuilder().str(provider).str(event_id).key();
}

std::string EncodePayment(const Payment& p) { return Encode(StoredPayment{p}); }
Status DecodePayment(std::string_view key, std::string_view bytes, Payment* out) {
  StoredPayment s;
  COMMERCE_RETURN_IF_ERROR(Decode(bytes, &s, "payments", key));
  *out = std::move(s.p);
  return Status::OK();
}
std::string EncodeOperation(const PaymentOperationEntry& e) { return Encode(StoredOperation{e}); }
Status DecodeOperation(std::string_view key, std::string_view bytes, PaymentOperationEntry* out) {
  StoredOperation s;
  COMMERCE_RETURN_IF_ERROR(Decode(bytes, &s, "payment_outbox", key));
  *out = std::move(s.e);
  return Status::OK();
}

Result<std::optional<Payment>> ReadPayment(ReadView& view, const Tables& t, std::string_view order_id) {
  auto p = GetRecord<Payment>(view, t.payments, PaymentRecordKey(order_id), order_id, "payment",
                              DecodePayment);
  if (p.status().IsNotFound()) return std::optional<Payment>();
  COMMERCE_RETURN_IF_ERROR(p.status());
  return std::optional<Payment>(std::move(*p));
}

void AddNewPayment(ChangeSet& changes, const Tables& t, const Order& o, std::string_view provider,
                   int64_t now_ms) {
  Payment p;
  p.id = PaymentIdOf(o.id);
  p.order_id = o.id;
  p.provider = std::string(provider);
  p.status = PaymentStatus::kPending;
  p.amount = o.total;
  p.pending_operations = 1;
  p.next_operation = 1;
  p.created_at_ms = p.updated_at_ms = now_ms;
  p.version = 1;
  PaymentOperationEntry e;
  e.operation = PaymentOperation::kAuthorize;
  e.amount_minor = o.total.minor;
  e.created_at_ms = now_ms;
  changes.insert(t.payments, PaymentRecordKey(o.id), EncodePayment(p));
  changes.insert(t.payment_outbox, OutboxKey(o.id, 0), EncodeOperation(e));
}

Status QueueOperationInTxn(WriteTxn& txn, const Tables& t, Payment& p, PaymentOperation op,
                           int64_t amount_minor, std::string_view refund_id, int64_t now_ms) {
  PaymentOperationEntry e;
  e.operation = op;
  e.amount_minor = amount_minor;
  e.refund_id = std::string(refund_id);
  e.created_at_ms = now_ms;
  COMMERCE_RETURN_IF_ERROR(txn.put(t.payment_outbox, OutboxKey(p.order_id, p.next_operation),
                                   EncodeOperation(e), PutMode::kNoOverwrite)
                               .WithContext("payment '" + p.id + "' operation " +
                                            std::to_string(p.next_operation)));
  p.next_operation += 1;
  p.pending_operations += 1;
  return Status::OK();
}

Status PutPaymentInTxn(WriteTxn& txn, const Tables& t, Payment& p, int64_t now_ms) {
  p.version += 1;
  p.updated_at_ms = now_ms;
  return txn.put(t.payments, PaymentRecordKey(p.order_id), EncodePayment(p));
}

Status RefundPaymentInTxn(WriteTxn& txn, const Tables& t, Payment& p, std::string_view refund_id,
                          int64_t amount_minor, int64_t now_ms) {
  for (const auto& r : p.refunds)
    if (r.id == refund_id) {
      if (r.amount_minor != amount_minor)
        return Status::Conflict("refund_id: '" + std::string(refund_id) + "' was used for a refund of " +
                                std::to_string(r.amount_minor) + ", not " + std::to_string(amount_minor) +
                                "; use a new refund id for a new refund");
      return Status::OK();  // the same refund again: nothing more
    }
  if (p.status != PaymentStatus::kCaptured)
    return Status::FailedPrecondition("payment '" + p.id + "' is " + PaymentStatusName(p.status) +
                                      "; only a captured payment is refunded");
  const int64_t left = p.captured_minor - p.refunded_minor - p.refund_pending_minor;
  if (amount_minor > left)
    return Status::FailedPrecondition("refund of " + std::to_string(amount_minor) + " is past what is left to "
                                      "refund of payment '" + p.id + "': " + std::to_string(left) +
                                      " (captured " + std::to_string(p.captured_minor) + ", refunded " +
                                      std::to_string(p.refunded_minor) + ", pending " +
                                      std::to_string(p.refund_pending_minor) + ")");
  COMMERCE_RETURN_IF_ERROR(
      QueueOperationInTxn(txn, t, p, PaymentOperation::kRefund, amount_minor, refund_id, now_ms));
  p.refund_pending_minor += amount_minor;
  p.refunds.push_back({std::string(refund_id), amount_minor, RefundStatus::kPending, ""});
  return PutPaymentInTxn(txn, t, p, now_ms);
}

Status FollowOrderTransitionInTxn(WriteTxn& txn, const Tables& t, const Order& o, OrderStatus from,
                                  OrderStatus to, int64_t now_ms) {
  (void)from;
  COMMERCE_ASSIGN_OR_RETURN(std::optional<Payment> found, ReadPayment(txn, t, o.id));
  if (!found) return Status::OK();
  Payment& p = *found;
  if (to == OrderStatus::kCancelled &&
      (p.status == PaymentStatus::kPending || p.status == PaymentStatus::kAuthorized)) {
    COMMERCE_RETURN_IF_ERROR(
        QueueOperationInTxn(txn, t, p, PaymentOperation::kVoid, p.authorized_minor, "", now_ms));
  } else if (to == OrderStatus::kShipped && p.status == PaymentStatus::kAuthorized) {
    COMMERCE_RETURN_IF_ERROR(
        QueueOperationInTxn(txn, t, p, PaymentOperation::kCapture, p.authorized_minor, "", now_ms));
  } else if (to == OrderStatus::kRefunded) {
    // What was captured, or will be when the capture queued at shipment is answered (the
    // worker refuses a refund past what was captured when it comes to it).
    const bool capture_queued = p.status == PaymentStatus::kAuthorized;
    const int64_t base = capture_queued ? p.authorized_minor : p.captured_minor;
    const int64_t rest = base - p.refunded_minor - p.refund_pending_minor;
    constexpr std::string_view kRefundId = "order-refunded";
    bool asked = false;
    for (const auto& r : p.refunds) asked = asked || r.id == kRefundId;
    if (rest <= 0 || asked) return Status::OK();
    COMMERCE_RETURN_IF_ERROR(QueueOperationInTxn(txn, t, p, PaymentOperation::kRefund, rest, kRefundId, now_ms));
    p.refund_pending_minor += rest;
    p.refunds.push_back({std::string(kRefundId), rest, RefundStatus::kPending, ""});
  } else {
    return Status::OK();
  }
  return PutPaymentInTxn(txn, t, p, now_ms);
}

Status AppendPaymentEvent(WriteTxn& txn, const Tables& t, std::string_view type, const Payment& p,
                          PaymentOperation op, std::string_view key, int64_t amount_minor,
                          std::string_view reason, int64_t now_ms) {
  EventJson d;
  d.str("payment_id", p.id).str("order_id", p.order_id).str("provider", p.provider);
  d.str("operation", PaymentOperationName(op)).str("idempotency_key", key);
  d.i64("amount", amount_minor).str("currency", p.amount.currency);
  d.str("status", PaymentStatusName(p.status));
  d.i64("authorized", p.authorized_minor).i64("captured", p.captured_minor).i64("refunded", p.refunded_minor);
  if (!reason.empty()) d.str("reason", reason);
  if (!p.reference.empty()) d.str("reference", p.reference);
  return AppendEvent(txn, t.events, type, p.order_id, d.done(), now_ms).status();
}

}  // namespace commerce
