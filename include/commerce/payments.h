// Payments: an order's payment through a provider (Stripe, Adyen, ...) behind the
// PaymentProvider interface, with the provider called only from a worker, never inside a
// storage mutation (docs/payments.md).
//
//   auto provider = commerce::TestPaymentProvider::open("./ledger");   // or your own provider
//   commerce::EngineOptions o{.path = "./shop"};
//   o.payments.provider = *provider;
//   // place() now answers an order in payment_pending; the worker authorizes it -> paid.
//
// Opt-in: with no provider (PaymentOptions::provider null) orders behave exactly as without
// payments. With one:
//   - placement writes the order in `payment_pending`, its Payment and an outbox entry
//     (authorize) in the same commit as the order and its reservations;
//   - a worker takes outbox entries, calls the provider outside any mutation, and records the
//     outcome in a mutation that also removes (or, for an unknown outcome, reschedules) the
//     entry: authorized -> order `paid`; declined -> order `payment_declined`, stock released;
//     unknown -> asked again later with the SAME idempotency key;
//   - shipping an order queues its capture, cancelling it queues a void, refunding a returned
//     order queues the refund of what was captured and not yet refunded;
//   - an order not authorized within abandon_after is cancelled (stock released) and its
//     payment voided, in case the provider did record an authorization it never answered.
// Idempotency keys towards the provider are derived, never random: "<payment id>:authorize",
// ":capture", ":void", ":refund:<refund id>". A retry after a crash or a timeout sends the
// same key, so a provider that deduplicates by key (every real one does) acts once.
//
// Thread safety: a Payments (from Engine::payments()) is safe from any number of threads. A
// PaymentProvider is called from the worker's thread only (one call at a time per engine);
// TestPaymentProvider is safe from any number of threads and processes.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "commerce/export.h"
#include "commerce/money.h"
#include "commerce/status.h"

namespace commerce {

class PaymentService;

enum class PaymentOperation : uint8_t {
  kAuthorize = 0,
  kCapture = 1,
  kVoid = 2,
  kRefund = 3,
};
COMMERCE_EXPORT const char* PaymentOperationName(PaymentOperation op);  // "authorize", ...

// What a provider call did.
enum class PaymentResult : uint8_t {
  kSucceeded = 0,
  kDeclined = 1,  // a final no, with a reason (card declined, nothing to capture, ...)
  kUnknown = 2,   // no answer (timeout, transport error): asked again with the same key
};
COMMERCE_EXPORT const char* PaymentResultName(PaymentResult r);  // "succeeded", ...

struct PaymentOutcome {
  PaymentResult result = PaymentResult::kUnknown;
  std::string reason;     // why declined or unknown; up to 500 bytes are kept
  std::string reference;  // the provider's id for the payment or operation, if it gives one
};

// One provider call.
struct PaymentRequest {
  PaymentOperation operation = PaymentOperation::kAuthorize;
  std::string idempotency_key;  // derived: the same for every attempt of this operation
  std::string payment_id;       // "pay-" + the order id's 16 hex digits
  std::string order_id;
  Money amount;                 // authorize: the order total; capture: what was authorized;
                                // void: what was authorized (0 if nothing yet); refund: the refund
  std::string refund_id;        // kRefund only
};

// A payment provider. Each call must be idempotent by request.idempotency_key: a second call
// with a key seen before answers what the first answered and does nothing more (Stripe's
// Idempotency-Key, Adyen's Idempotency-Key header). A call that does not know what happened
// answers kUnknown; it is asked again later with the same key. Calls come from the payment
// worker's thread, outside any storage transaction; they may block (bounded by the
// provider's own timeout: the worker does nothing else meanwhile).
class COMMERCE_EXPORT PaymentProvider {
 public:
  virtual ~PaymentProvider() = default;
  // 1..32 of [a-z0-9_-]: kept with each payment, and the {provider} of its webhooks.
  virtual std::string name() const = 0;
  virtual PaymentOutcome authorize(const PaymentRequest& r) = 0;
  virtual PaymentOutcome capture(const PaymentRequest& r) = 0;
  virtual PaymentOutcome void_authorization(const PaymentRequest& r) = 0;
  virtual PaymentOutcome refund(const PaymentRequest& r) = 0;
};

enum class PaymentStatus : uint8_t {
  kPending = 0,     // authorization asked (or about to be)
  kAuthorized = 1,  // funds held: the order is paid
  kDeclined = 2,    // authorization declined: the order is payment_declined
  kCaptured = 3,    // captured at shipment (refunds may follow: refunded_minor)
  kVoided = 4,      // authorization released (order cancelled or abandoned)
  kRefunded = 5,    // everything captured was refunded
  kFailed = 6,      // the capture was declined: an operator's matter (reason says why)
};
COMMERCE_EXPORT const char* PaymentStatusName(PaymentStatus s);  // "pending", ...

// One refund of a payment.
enum class RefundStatus : uint8_t { kPending = 0, kSucceeded = 1, kDeclined = 2 };
COMMERCE_EXPORT const char* RefundStatusName(RefundStatus s);  // "pending", ...

struct PaymentRefund {
  std::string id;  // the caller's refund id; "order-refunded" for the order's refunded move
  int64_t amount_minor = 0;
  RefundStatus status = RefundStatus::kPending;
  std::string reason;  // of a decline
  friend bool operator==(const PaymentRefund&, const PaymentRefund&) = default;
};

struct Payment {
  std::string id;        // "pay-" + the order id's 16 hex digits
  std::string order_id;
  std::string provider;  // PaymentProvider::name() at placement
  PaymentStatus status = PaymentStatus::kPending;
  Money amount;                 // the order total
  int64_t authorized_minor = 0;
  int64_t captured_minor = 0;
  int64_t refunded_minor = 0;
  int64_t refund_pending_minor = 0;  // asked of the provider, not yet answered
  std::string reference;             // the provider's, from its last successful answer
  std::string reason;                // of the last decline
  std::string last_error;            // of the last unknown answer ("" once answered)
  uint32_t pending_operations = 0;   // outbox entries not yet answered
  uint32_t next_operation = 0;       // numbers the outbox entries, in order
  std::vector<PaymentRefund> refunds;  // in the order they were asked
  int64_t created_at_ms = 0;
  int64_t updated_at_ms = 0;
  uint64_t version = 0;
  friend bool operator==(const Payment&, const Payment&) = default;
};

struct PaymentOptions {
  // Null: no payments; placement, transitions and stock behave exactly as without them.
  std::shared_ptr<PaymentProvider> provider;
  // An order still payment_pending this long after placement is cancelled (its stock
  // released) and its payment voided. Longer than the provider's slowest authorization (3-D
  // Secure challenges take minutes); shorter keeps stock from waiting on buyers who left.
  std::chrono::milliseconds abandon_after = std::chrono::minutes(30);
  // After an unknown answer the operation is asked again after this, doubled each time up
  // to retry_max. Short catches a provider's blip quickly; long spares a provider that is down.
  std::chrono::milliseconds retry_initial{1000};
  std::chrono::milliseconds retry_max{60000};
  // Provider webhooks (Payments::handle_webhook): the HMAC-SHA256 key, 16..256 bytes; empty
  // refuses every webhook. Signed as the engine's own deliveries are (webhooks.h,
  // WebhookSignature), with this tolerance for the timestamp.
  std::string webhook_secret;
  int64_t webhook_tolerance_s = 300;
  // false: no worker thread (Engine::run_background_once() runs a round; tests).
  // EngineOptions::run_background = false turns the thread off too.
  bool run_worker = true;
};

// The largest refund id: 1..64 of [A-Za-z0-9_-].
inline constexpr size_t kMaxRefundIdBytes = 64;

class COMMERCE_EXPORT Payments {
 public:
  // Handed out by Engine (engine.h), which owns it; not copyable.
  Payments(const Payments&) = delete;
  Payments& operator=(const Payments&) = delete;

  // Whether a provider is configured (EngineOptions::payments.provider).
  bool enabled() const;
  // The payment of an order. NotFound when the order has none (placed without payments).
  Result<Payment> get(std::string_view order_id);
  // Refunds `amount_minor` (> 0) of what was captured: FailedPrecondition when it is more than
  // captured - refunded - refunds pending, or the payment is not captured. `refund_id`
  // (1..64 of [A-Za-z0-9_-]) makes the call idempotent: the same id with the same amount
  // again changes nothing and answers the payment (with another amount: Conflict); it is part
  // of the provider's key. The refund itself is asked of the provider by the worker
  // (PaymentRefunded or PaymentRefundDeclined when it answers).
  Result<Payment> refund(std::string_view order_id, std::string_view refund_id, int64_t amount_minor);
  // A provider's webhook: `signature` is its X-Commerce-Signature-style header
  // ("t=<unix s>,v1=<hex HMAC-SHA256 of "<t>.<body>">"), checked in constant time against
  // PaymentOptions::webhook_secret and the tolerance window (InvalidArgument otherwise;
  // FailedPrecondition when payments or the secret are not configured). The body is JSON:
  //   {"id": "evt_1", "idempotency_key": "pay-…:authorize", "result": "succeeded"|"declined",
  //    "reason": "…", "reference": "…"}
  // It answers an operation the worker asked (as the call itself would have): the outcome is
  // recorded unless the operation was answered already. The same event id twice changes
  // nothing the second time; *duplicate says so when given.
  Status handle_webhook(std::string_view provider, std::string_view signature, std::string_view body,
                        bool* duplicate = nullptr);

 private:
  friend class Engine;
  explicit Payments(PaymentService* service) : service_(service) {}
  PaymentService* service_;
};

// A provider for tests, examples and demos, with a ledger that outlives the process: a file
// in `dir` (created if absent), appended and fsync'ed under an exclusive lock for each call,
// so that a test can kill the engine at any moment and still count what the provider did.
// It deduplicates by idempotency key as a real provider does, and keeps per payment what was
// authorized, captured, voided and refunded: a capture of an unauthorized or voided payment
// is declined, as is a second capture under another key, a void after a capture and a refund
// past what was captured. An authorization arriving after a void is declined ("voided").
//
// Rules tell it to misbehave: the first rule that matches a call (by operation, and by amount
// when amount_minor >= 0) answers it, `times` times (-1: always).
class COMMERCE_EXPORT TestPaymentProvider : public PaymentProvider {
 public:
  enum class Answer : uint8_t {
    kSucceed = 0,
    kDecline = 1,          // a decline with the rule's reason, recorded under the key
    kTimeout = 2,          // the nasty case: the provider DOES record the call (its effect
                           // and answer, under the key), then the caller gets kUnknown
    kUnreachable = 3,      // nothing recorded, kUnknown (connection refused)
    kAnswerTwice = 4,      // succeeds, and the same outcome is queued twice as a webhook
  };
  struct Rule {
    PaymentOperation operation = PaymentOperation::kAuthorize;
    Answer answer = Answer::kDecline;
    int64_t amount_minor = -1;  // -1: any amount
    int times = -1;             // -1: every matching call
    std::string reason = "card_declined";
  };
  // One entry of the ledger: a call that the provider recorded (each key once).
  struct Entry {
    std::string idempotency_key;
    PaymentOperation operation = PaymentOperation::kAuthorize;
    std::string payment_id;
    int64_t amount_minor = 0;
    PaymentResult result = PaymentResult::kSucceeded;
    std::string reason;
    std::string reference;
  };
  // A webhook the provider wants delivered (kAnswerTwice): pass to Payments::handle_webhook.
  struct Webhook {
    std::string signature;  // signed with the secret given to set_webhook_secret
    std::string body;
  };

  // InvalidArgument for an empty dir; the OS error when the ledger cannot be opened.
  static Result<std::shared_ptr<TestPaymentProvider>> open(const std::string& dir,
                                                           std::string name = "test");

  std::string name() const override { return name_; }
  PaymentOutcome authorize(const PaymentRequest& r) override;
  PaymentOutcome capture(const PaymentRequest& r) override;
  PaymentOutcome void_authorization(const PaymentRequest& r) override;
  PaymentOutcome refund(const PaymentRequest& r) override;

  void add_rule(const Rule& rule);
  void clear_rules();
  // The secret its webhooks are signed with (kAnswerTwice); empty: none are queued.
  void set_webhook_secret(std::string secret);
  // Takes the webhooks queued so far.
  std::vector<Webhook> take_webhooks();
  // Called for each call before the ledger is written (recorded false) and after (true),
  // on the caller's thread: where a crash test kills its process. Null: none.
  void set_call_hook(std::function<void(const PaymentRequest&, bool recorded)> hook);

  // Everything recorded, oldest first (read from the file: other processes' calls included).
  Result<std::vector<Entry>> ledger() const;
  // How many calls reached the provider, recorded or not, in this process.
  uint64_t calls() const;

 private:
  TestPaymentProvider(std::string path, std::string name) : path_(std::move(path)), name_(std::move(name)) {}
  PaymentOutcome Call(const PaymentRequest& r);

  const std::string path_;
  const std::string name_;
  mutable std::mutex mu_;
  std::vector<Rule> rules_;  // GUARDED_BY(mu_)
  std::string webhook_secret_;  // GUARDED_BY(mu_)
  std::vector<Webhook> webhooks_;  // GUARDED_BY(mu_)
  std::function<void(const PaymentRequest&, bool)> hook_;  // GUARDED_BY(mu_)
  uint64_t calls_ = 0;  // GUARDED_BY(mu_)
};

}  // namespace commerce
