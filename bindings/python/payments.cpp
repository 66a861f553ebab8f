// Binds include/commerce/payments.h: the payment of an order, refunds, provider webhooks, and
// the built-in TestPaymentProvider. A provider written in Python is not bound: the worker
// calls its provider on its own thread, and a Python provider would hold every call's answer
// on the GIL (docs/payments.md, "From Python").
#include "commerce/payments.h"

#include <pybind11/stl/filesystem.h>

#include <filesystem>
#include <iterator>

#include "bind.h"

namespace commerce::python {

namespace {

Result<PaymentOperation> ParseOperation(std::string_view s) {
  return ParseByName<PaymentOperation, 4>(s, &PaymentOperationName, "operation");
}
Result<PaymentResult> ParseResult(std::string_view s) {
  return ParseByName<PaymentResult, 3>(s, &PaymentResultName, "result");
}
Result<PaymentStatus> ParseStatus(std::string_view s) {
  return ParseByName<PaymentStatus, 7>(s, &PaymentStatusName, "status");
}
Result<RefundStatus> ParseRefundStatus(std::string_view s) {
  return ParseByName<RefundStatus, 3>(s, &RefundStatusName, "status");
}
const char* AnswerName(TestPaymentProvider::Answer a) {
  static const char* const kNames[] = {"succeed", "decline", "timeout", "unreachable", "answer_twice"};
  const auto i = static_cast<size_t>(a);
  return i < std::size(kNames) ? kNames[i] : "unknown";
}
Result<TestPaymentProvider::Answer> ParseAnswer(std::string_view s) {
  return ParseByName<TestPaymentProvider::Answer, 5>(s, &AnswerName, "answer");
}

}  // namespace

void BindPayments(py::module_& m) {
  py::enum_<PaymentOperation> op(m, "PaymentOperation", "A provider call: 'authorize', 'capture', 'void', 'refund'.");
  op.value("AUTHORIZE", PaymentOperation::kAuthorize)
      .value("CAPTURE", PaymentOperation::kCapture)
      .value("VOID", PaymentOperation::kVoid)
      .value("REFUND", PaymentOperation::kRefund);
  EnumNames(op, &PaymentOperationName, &ParseOperation);
  py::enum_<PaymentResult> result(m, "PaymentResult", "What a provider call did: 'succeeded', 'declined', 'unknown'.");
  result.value("SUCCEEDED", PaymentResult::kSucceeded)
      .value("DECLINED", PaymentResult::kDeclined)
      .value("UNKNOWN", PaymentResult::kUnknown);
  EnumNames(result, &PaymentResultName, &ParseResult);
  py::enum_<PaymentStatus> status(m, "PaymentStatus", "A payment's state ('pending', 'authorized', ...).");
  status.value("PENDING", PaymentStatus::kPending)
      .value("AUTHORIZED", PaymentStatus::kAuthorized)
      .value("DECLINED", PaymentStatus::kDeclined)
      .value("CAPTURED", PaymentStatus::kCaptured)
      .value("VOIDED", PaymentStatus::kVoided)
      .value("REFUNDED", PaymentStatus::kRefunded)
      .value("FAILED", PaymentStatus::kFailed);
  EnumNames(status, &PaymentStatusName, &ParseStatus);
  py::enum_<RefundStatus> refund_status(m, "RefundStatus", "A refund's state: 'pending', 'succeeded', 'declined'.");
  refund_status.value("PENDING", RefundStatus::kPending)
      .value("SUCCEEDED", RefundStatus::kSucceeded)
      .value("DECLINED", RefundStatus::kDeclined);
  EnumNames(refund_status, &RefundStatusName, &ParseRefundStatus);

  Value<PaymentRefund>(m, "PaymentRefund", "One refund of a payment.")
      .field("id", &PaymentRefund::id, "The caller's refund id ('order-refunded': the order's refunded move).")
      .field("amount_minor", &PaymentRefund::amount_minor, "Minor units.")
      .field("status", &PaymentRefund::status, "RefundStatus.")
      .field("reason", &PaymentRefund::reason, "Of a decline.");
  Value<Payment>(m, "Payment", "An order's payment (docs/payments.md).")
      .field("id", &Payment::id, "'pay-' + the order id's 16 hex digits.")
      .field("order_id", &Payment::order_id, "The order.")
      .field("provider", &Payment::provider, "The provider's name.")
      .field("status", &Payment::status, "PaymentStatus.")
      .field("amount", &Payment::amount, "The order total (Money).")
      .field("authorized_minor", &Payment::authorized_minor, "Authorized.")
      .field("captured_minor", &Payment::captured_minor, "Captured.")
      .field("refunded_minor", &Payment::refunded_minor, "Refunded.")
      .field("refund_pending_minor", &Payment::refund_pending_minor, "Asked of the provider, not yet answered.")
      .field("reference", &Payment::reference, "The provider's, from its last successful answer.")
      .field("reason", &Payment::reason, "Of the last decline.")
      .field("last_error", &Payment::last_error, "Of the last unknown answer ('' once answered).")
      .field("pending_operations", &Payment::pending_operations, "Outbox entries not yet answered.")
      .field("next_operation", &Payment::next_operation, "Numbers the outbox entries.")
      .field("refunds", &Payment::refunds, "PaymentRefund, in the order asked.")
      .field("created_at_ms", &Payment::created_at_ms, "Set by the engine.")
      .field("updated_at_ms", &Payment::updated_at_ms, "Set by the engine.")
      .field("version", &Payment::version, "Bumped by every change.");

  py::class_<PaymentProvider, std::shared_ptr<PaymentProvider>>(
      m, "PaymentProvider", "A payment provider (PaymentOptions.provider): TestPaymentProvider, or one in C++.")
      .def_property_readonly("name", &PaymentProvider::name, "Its name: payments keep it, webhooks name it.");

  py::enum_<TestPaymentProvider::Answer> answer(m, "TestPaymentAnswer",
                                                "What a TestPaymentProvider rule answers: 'succeed', 'decline', "
                                                "'timeout' (recorded, then unknown), 'unreachable', 'answer_twice'.");
  answer.value("SUCCEED", TestPaymentProvider::Answer::kSucceed)
      .value("DECLINE", TestPaymentProvider::Answer::kDecline)
      .value("TIMEOUT", TestPaymentProvider::Answer::kTimeout)
      .value("UNREACHABLE", TestPaymentProvider::Answer::kUnreachable)
      .value("ANSWER_TWICE", TestPaymentProvider::Answer::kAnswerTwice);
  EnumNames(answer, &AnswerName, &ParseAnswer);
  Value<TestPaymentProvider::Entry>(m, "TestPaymentLedgerEntry", "A call the test provider recorded (each key once).")
      .field("idempotency_key", &TestPaymentProvider::Entry::idempotency_key, "The engine's key.")
      .field("operation", &TestPaymentProvider::Entry::operation, "PaymentOperation.")
      .field("payment_id", &TestPaymentProvider::Entry::payment_id, "The payment.")
      .field("amount_minor", &TestPaymentProvider::Entry::amount_minor, "Minor units.")
      .field("result", &TestPaymentProvider::Entry::result, "PaymentResult.")
      .field("reason", &TestPaymentProvider::Entry::reason, "Of a decline.")
      .field("reference", &TestPaymentProvider::Entry::reference, "Its reference.");

  py::class_<TestPaymentProvider, PaymentProvider, std::shared_ptr<TestPaymentProvider>>(
      m, "TestPaymentProvider",
      "A provider for tests and demos whose ledger is a file in a directory, outliving the "
      "process; deduplicates by idempotency key. Rules make it misbehave (add_rule).")
      .def(py::init([](const std::filesystem::path& dir, const std::string& name) {
             auto p = TestPaymentProvider::open(dir.string(), name);
             ThrowIfError(p.status());
             return *p;
           }),
           py::arg("dir"), py::arg("name") = "test", "Opens (creating) the ledger in dir.")
      .def(
          "add_rule",
          [](TestPaymentProvider& p, PaymentOperation operation, TestPaymentProvider::Answer answer,
             int64_t amount_minor, int times, const std::string& reason) {
            p.add_rule({operation, answer, amount_minor, times, reason});
          },
          py::arg("operation"), py::arg("answer"), py::kw_only(), py::arg("amount_minor") = -1,
          py::arg("times") = -1, py::arg("reason") = "card_declined",
          "The first rule matching a call (operation; amount_minor when >= 0) answers it, times "
          "times (-1: always).")
      .def("clear_rules", &TestPaymentProvider::clear_rules, "Removes every rule.")
      .def("set_webhook_secret", &TestPaymentProvider::set_webhook_secret, py::arg("secret"),
           "The secret answer_twice webhooks are signed with.")
      .def(
          "take_webhooks",
          [](TestPaymentProvider& p) {
            std::vector<std::pair<std::string, std::string>> out;
            for (auto& w : p.take_webhooks()) out.emplace_back(std::move(w.signature), std::move(w.body));
            return out;
          },
          "The webhooks queued so far, as (signature, body) pairs, for Payments.handle_webhook.")
      .def("ledger", &TestPaymentProvider::ledger, ReleaseGil(), "Every recorded call, oldest first.")
      .def("calls", &TestPaymentProvider::calls, "Calls that reached it in this process.");

  Value<PaymentOptions>(m, "PaymentOptions", "Payments (EngineOptions.payments); off unless provider is set.")
      .field("provider", &PaymentOptions::provider, "A PaymentProvider, or None: payments off.")
      .field("abandon_after", &PaymentOptions::abandon_after, "A payment_pending order older than this is cancelled.")
      .field("retry_initial", &PaymentOptions::retry_initial, "Backoff after an unknown answer, doubled each time ...")
      .field("retry_max", &PaymentOptions::retry_max, "... up to this.")
      .field("webhook_secret", &PaymentOptions::webhook_secret, "HMAC key of provider webhooks; '' refuses them.")
      .field("webhook_tolerance_s", &PaymentOptions::webhook_tolerance_s, "Seconds a webhook's timestamp may be off.")
      .field("run_worker", &PaymentOptions::run_worker, "False: no worker thread (run_background_once).");

  py::class_<Payments>(m, "Payments",
                       "Orders' payments (Engine.payments). Safe from any number of threads; every "
                       "call releases the GIL.")
      .def_property_readonly("enabled", &Payments::enabled, "Whether a provider is configured.")
      .def("get", &Payments::get, py::arg("order_id"), ReleaseGil(),
           "The order's Payment; NotFound when it has none.")
      .def("refund", &Payments::refund, py::arg("order_id"), py::arg("refund_id"), py::arg("amount_minor"),
           ReleaseGil(),
           "Queues a refund of amount_minor (never past what was captured); the same refund_id "
           "and amount again changes nothing. Returns the Payment.")
      .def(
          "handle_webhook",
          [](Payments& p, const std::string& provider, const std::string& signature, const std::string& body) {
            bool duplicate = false;
            Status s;
            {
              py::gil_scoped_release release;
              s = p.handle_webhook(provider, signature, body, &duplicate);
            }
            ThrowIfError(s);
            return duplicate;
          },
          py::arg("provider"), py::arg("signature"), py::arg("body"),
          "A provider's webhook (body: str or bytes, as received). Returns True when the event was "
          "seen before (nothing changed). InvalidArgument for a bad signature or body.");
}

}  // namespace commerce::python
