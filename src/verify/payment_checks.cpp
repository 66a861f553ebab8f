// commerce verify: payments and their outbox (src/payments/payment_store.h).
//
//   - every payment decodes, is stored under its order's id, belongs to an order that exists,
//     and its amounts hold together (captured <= authorized, refunded + pending <= captured
//     once captured);
//   - every outbox entry decodes and belongs to a payment, and a payment's pending count is
//     its outbox entries;
//   - every order in payment_pending has a payment.
#include <map>

#include "common/key.h"
#include "order/order_store.h"
#include "payments/payment_store.h"
#include "verify/check_context.h"

namespace commerce::verify {

namespace {
constexpr const char* kPayments = "payments";
constexpr const char* kOutbox = "payment_outbox";
}  // namespace

void CheckPayments(CheckContext& c) {
  std::map<std::string, uint32_t, std::less<>> queued;
  c.Scan("payments", kOutbox, [&](std::string_view key, std::string_view value) {
    PaymentOperationEntry e;
    if (!DecodeRecord(c, kOutbox, key, value, [&] { return DecodeOperation(key, value, &e); })) return true;
    KeyReader kr(key);
    auto order_id = kr.str();
    auto number = kr.u64();
    if (!order_id || !number.has_value() || !kr.done()) {
      c.Problem("payments", Where(kOutbox, key), "its key is not (order id, operation number)");
      return true;
    }
    ++queued[*order_id];
    if (!c.Has("payments", kPayments, PaymentRecordKey(*order_id)))
      c.Problem("payments", Where(kOutbox, key), "its payment (of order '" + *order_id + "') does not exist");
    return true;
  }, /*count=*/true);

  c.Scan("payments", kPayments, [&](std::string_view key, std::string_view value) {
    Payment p;
    if (!DecodeRecord(c, kPayments, key, value, [&] { return DecodePayment(key, value, &p); })) return true;
    const std::string where = Where(kPayments, key);
    if (key != PaymentRecordKey(p.order_id) || p.id != PaymentIdOf(p.order_id))
      c.Problem("payments", where, "holds payment '" + p.id + "' of order '" + p.order_id + "'");
    if (!c.Has("payments", "orders", OrderKey(p.order_id)))
      c.Problem("payments", where, "its order '" + p.order_id + "' does not exist");
    auto it = queued.find(p.order_id);
    const uint32_t entries = it == queued.end() ? 0 : it->second;
    if (p.pending_operations != entries)
      c.Problem("payments", where, "counts " + std::to_string(p.pending_operations) +
                                       " pending operations; the outbox holds " + std::to_string(entries));
    if (p.captured_minor > p.authorized_minor)
      c.Problem("payments", where, "captured " + std::to_string(p.captured_minor) + " of " +
                                       std::to_string(p.authorized_minor) + " authorized");
    if (p.captured_minor > 0 && p.refunded_minor + p.refund_pending_minor > p.captured_minor)
      c.Problem("payments", where, "refunds (" + std::to_string(p.refunded_minor) + " + " +
                                       std::to_string(p.refund_pending_minor) + " pending) past " +
                                       std::to_string(p.captured_minor) + " captured");
    return true;
  }, /*count=*/true);

  c.Scan("payments", "status_orders", [&](std::string_view key, std::string_view value) {
    KeyReader kr(key);
    auto status = kr.u64();
    if (status && *status == static_cast<uint64_t>(OrderStatus::kPaymentPending) &&
        !c.Has("payments", kPayments, PaymentRecordKey(value)))
      c.Problem("payments", Where("status_orders", key),
                "order '" + std::string(value) + "' is payment_pending without a payment");
    return true;
  });
}

}  // namespace commerce::verify
