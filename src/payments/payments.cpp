// The Payments API (payments.h): a thin face over PaymentService, and the names of its enums.
#include "commerce/payments.h"

#include <iterator>

#include "payments/payment_service.h"

namespace commerce {

namespace {

template <size_t N>
const char* NameAt(const char* const (&names)[N], uint8_t i) {
  return i < N ? names[i] : "unknown";
}

}  // namespace

const char* PaymentOperationName(PaymentOperation op) {
  static const char* const kNames[] = {"authorize", "capture", "void", "refund"};
  return NameAt(kNames, static_cast<uint8_t>(op));
}

const char* PaymentResultName(PaymentResult r) {
  static const char* const kNames[] = {"succeeded", "declined", "unknown"};
  return NameAt(kNames, static_cast<uint8_t>(r));
}

const char* PaymentStatusName(PaymentStatus s) {
  static const char* const kNames[] = {"pending", "authorized", "declined", "captured",
                                       "voided",  "refunded",   "failed"};
  return NameAt(kNames, static_cast<uint8_t>(s));
}

const char* RefundStatusName(RefundStatus s) {
  static const char* const kNames[] = {"pending", "succeeded", "declined"};
  return NameAt(kNames, static_cast<uint8_t>(s));
}

bool Payments::enabled() const { return service_->enabled(); }

Result<Payment> Payments::get(std::string_view order_id) { return service_->Get(order_id); }

Result<Payment> Payments::refund(std::string_view order_id, std::string_view refund_id, int64_t amount_minor) {
  return service_->Refund(order_id, refund_id, amount_minor);
}

Status Payments::handle_webhook(std::string_view provider, std::string_view signature, std::string_view body,
                                bool* duplicate) {
  return service_->HandleWebhook(provider, signature, body, duplicate);
}

}  // namespace commerce
