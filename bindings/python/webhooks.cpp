// Binds include/commerce/webhooks.h: subscriptions, delivery failures and the signature
// helper. Delivery itself runs on the engine's own thread; nothing here touches it.
#include "commerce/webhooks.h"

#include "bind.h"

namespace commerce::python {

void BindWebhooks(py::module_& m) {
  Value<WebhookSubscription>(m, "WebhookSubscription", "A subscriber of events over HTTP POST (docs/webhooks.md).")
      .field("id", &WebhookSubscription::id, "Generated ('wh-...') when empty on subscribe.")
      .field("url", &WebhookSubscription::url, "http:// or https://, at most 2,000 bytes.")
      .field("event_types", &WebhookSubscription::event_types, "Event types; empty: every event.")
      .field("secret", &WebhookSubscription::secret, "HMAC key, 16..256 bytes; blanked by list().")
      .field("active", &WebhookSubscription::active, "Inactive subscriptions receive nothing.")
      .field("created_at_ms", &WebhookSubscription::created_at_ms, "Set by the engine.");
  Value<WebhookDelivery>(m, "WebhookDelivery", "A delivery that has failed at least once.")
      .field("subscription_id", &WebhookDelivery::subscription_id, "The subscription.")
      .field("event_seq", &WebhookDelivery::event_seq, "The event's seq (the receiver's dedup id).")
      .field("event_type", &WebhookDelivery::event_type, "The event's type.")
      .field("attempts", &WebhookDelivery::attempts, "Attempts so far.")
      .field("last_http_status", &WebhookDelivery::last_http_status, "0: no HTTP response.")
      .field("last_error", &WebhookDelivery::last_error, "The last failure.")
      .field("next_attempt_ms", &WebhookDelivery::next_attempt_ms, "0 once given up.")
      .field("given_up", &WebhookDelivery::given_up, "Attempts exhausted.");
  Value<WebhookOptions>(m, "WebhookOptions", "Webhook delivery options (EngineOptions.webhooks).")
      .field("deliver", &WebhookOptions::deliver, "False: no delivery thread.")
      .field("max_attempts", &WebhookOptions::max_attempts, "Attempts per delivery (1..100).")
      .field("backoff_initial", &WebhookOptions::backoff_initial, "Doubled after each failure.")
      .field("backoff_max", &WebhookOptions::backoff_max, "The longest backoff.")
      .field("request_timeout", &WebhookOptions::request_timeout, "The whole POST.")
      .field("max_in_flight", &WebhookOptions::max_in_flight, "POSTs in flight at once.")
      .field("max_pending", &WebhookOptions::max_pending, "Deliveries queued per subscription.")
      .field("max_failures_kept", &WebhookOptions::max_failures_kept, "Given-up deliveries kept.")
      .field("allowed_networks", &WebhookOptions::allowed_networks,
             "CIDR networks deliveries may reach although not public (loopback, private, link-local...).");

  m.def("webhook_event_types", &WebhookEventTypes, "The event types a subscription may name.");
  m.def(
      "webhook_signature",
      [](const std::string& secret, int64_t timestamp_s, const std::string& body) {
        return WebhookSignature(secret, timestamp_s, body);
      },
      py::arg("secret"), py::arg("timestamp_s"), py::arg("body"),
      "The X-Commerce-Signature value of body (str or bytes) sent at timestamp_s under secret: "
      "'t=<timestamp_s>,v1=<hex HMAC-SHA256 of \"<timestamp_s>.<body>\">'.");
  m.def(
      "verify_webhook_signature",
      [](const std::string& secret, const std::string& header, const std::string& body, int64_t tolerance_s,
         int64_t now_s) { return VerifyWebhookSignature(secret, header, body, tolerance_s, now_s); },
      py::arg("secret"), py::arg("header"), py::arg("body"),
        py::arg("tolerance_s") = kWebhookDefaultToleranceS, py::arg("now_s") = 0,
        "Checks a delivery's X-Commerce-Signature header against its raw body (bytes) and secret, "
        "and that its timestamp is within tolerance_s of now_s (0: the system clock). Returns None; "
        "raises InvalidArgument (malformed, no match, or outside the window: a replay).");

  py::class_<Webhooks>(m, "Webhooks",
                       "Webhook subscriptions (Engine.webhooks). Safe from any number of threads; "
                       "every call releases the GIL.")
      .def("subscribe", &Webhooks::subscribe, py::arg("subscription"), ReleaseGil(),
           "Stores the subscription. InvalidArgument (id, url, event types, secret), "
           "AlreadyExists, ResourceExhausted.")
      .def(
          "update",
          [](Webhooks& w, const std::string& id, std::optional<std::string> url,
             std::optional<std::vector<std::string>> event_types, std::optional<std::string> secret,
             std::optional<bool> active) {
            return w.update(id, WebhookSubscriptionUpdate{std::move(url), std::move(event_types),
                                                          std::move(secret), active});
          },
          py::arg("subscription_id"), py::kw_only(), py::arg("url") = py::none(),
          py::arg("event_types") = py::none(), py::arg("secret") = py::none(), py::arg("active").noconvert() = py::none(),
          ReleaseGil(),
          "Changes the given fields (the others kept), keeping the subscription's cursor, queue and failures; "
          "returns it, secret blanked. InvalidArgument (nothing given, or what subscribe refuses), NotFound.")
      .def("unsubscribe", &Webhooks::unsubscribe, py::arg("subscription_id"), ReleaseGil(),
           "Removes it with its queued deliveries; NotFound when there is none.")
      .def("get", &Webhooks::get, py::arg("subscription_id"), ReleaseGil(), "The subscription, secret included.")
      .def("list", &Webhooks::list, ReleaseGil(), "Every subscription, by id, secrets blanked.")
      .def("failures", &Webhooks::failures, py::arg("subscription_id") = "", py::arg("limit") = 100, ReleaseGil(),
           "Deliveries that failed at least once and have not succeeded since, oldest first.");
}

}  // namespace commerce::python
