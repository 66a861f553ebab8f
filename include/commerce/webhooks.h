// Webhooks: subscriptions stored in the engine, and a consumer of the event log that
// delivers each matching event to each subscriber over HTTP POST, the way integrators know
// them from Shopify or Medusa (docs/webhooks.md).
//
//   auto sub = engine->webhooks().subscribe({.url = "https://erp.example.com/hooks",
//                                            .event_types = {"OrderPlaced", "OrderStatusChanged"},
//                                            .secret = "whsec_..."});
//
// Delivery: at least once, with the event's sequence as its id for the receiver to
// deduplicate; signed with a timestamp (header `X-Commerce-Signature: t=<unix seconds>,v1=<hex
// HMAC-SHA256 of "<t>.<body>">`, so that a receiver can refuse a replayed old delivery);
// only to public addresses unless WebhookOptions::allowed_networks says otherwise; retried with exponential backoff up to a cap, then
// recorded as failed; in order per subject (an order's events reach a subscriber in the
// order they happened); resumed after a restart from durable cursors.
//
// Thread safety: a Webhooks (from Engine::webhooks()) is safe to use from any number of
// threads. Delivery runs on a thread of its own (never the caller's, never the thread of the
// other background consumers); Engine::close() stops it within about 100 ms, abandoning POSTs
// in flight (they are attempted again after the next open).
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "commerce/export.h"
#include "commerce/status.h"

namespace commerce {

class EngineCore;
class WebhookService;

struct WebhookSubscription {
  std::string id;                        // generated ("wh-...") when empty on subscribe
  std::string url;                       // http:// or https://, at most 2,000 bytes
  std::vector<std::string> event_types;  // event types (docs/events.md); empty: every event.
                                         // An unknown type is InvalidArgument.
  std::string secret;                    // HMAC key, 16..256 bytes; never returned by list()
  bool active = true;
  int64_t created_at_ms = 0;             // set by the engine

  friend bool operator==(const WebhookSubscription&, const WebhookSubscription&) = default;
};

// What Webhooks::update changes: each field that is set replaces the subscription's, the
// others are kept. Nothing set is InvalidArgument (a client's mistake, not a no-op).
struct WebhookSubscriptionUpdate {
  std::optional<std::string> url;                       // checked as on subscribe
  std::optional<std::vector<std::string>> event_types;  // empty: every event
  std::optional<std::string> secret;                    // a new HMAC key (rotation)
  std::optional<bool> active;                           // false: disable, true: enable
};

// A delivery that has failed at least once.
struct WebhookDelivery {
  std::string subscription_id;
  uint64_t event_seq = 0;
  std::string event_type;
  uint32_t attempts = 0;
  int last_http_status = 0;  // 0: no HTTP response (connection refused, timeout)
  std::string last_error;
  int64_t next_attempt_ms = 0;  // 0 once given up
  bool given_up = false;        // attempts exhausted: kept for inspection, not retried
};

struct WebhookOptions {
  // false: no delivery thread (tests drive delivery with Engine::run_background_once()).
  // EngineOptions::run_background = false turns the thread off too.
  bool deliver = true;
  // Attempts per delivery, the first included (1..100); then it is given up.
  uint32_t max_attempts = 8;
  std::chrono::milliseconds backoff_initial{1000};  // doubled after each failure
  std::chrono::milliseconds backoff_max{5 * 60 * 1000};
  // The whole POST, connecting included; a receiver slower than this is a failed attempt.
  std::chrono::milliseconds request_timeout{10000};
  // POSTs in flight at once, over every subscription (1..1000). More lets slow receivers
  // delay each other less, at the cost of sockets and memory.
  uint32_t max_in_flight = 16;
  // Deliveries queued per subscription (1..1,000,000). A subscription whose queue is full
  // takes no more events from the log until some are delivered or given up: nothing is lost
  // (the log keeps them), its deliveries just fall behind.
  uint32_t max_pending = 10000;
  // Given-up deliveries kept per subscription for failures() (1..1,000,000); the oldest are
  // dropped first.
  uint32_t max_failures_kept = 1000;
  // Networks in CIDR form ("10.0.0.0/8", "127.0.0.1/32", "fd00::/8") where deliveries may go
  // although they are not public: by default a URL whose host is, or resolves to, a loopback,
  // private, link-local (cloud metadata), shared, multicast or reserved address is refused
  // (at subscribe for an address, at each connection for a name), so that a subscriber cannot
  // aim the engine at its own network (docs/security.md). For tests and private deployments.
  std::vector<std::string> allowed_networks;
};

inline constexpr size_t kMaxWebhookSubscriptions = 1000;
inline constexpr size_t kMaxWebhookUrlBytes = 2000;
inline constexpr size_t kMinWebhookSecretBytes = 16;
inline constexpr size_t kMaxWebhookSecretBytes = 256;

// The event types a subscription may name (docs/events.md), in the order of that table.
COMMERCE_EXPORT const std::vector<std::string>& WebhookEventTypes();

class COMMERCE_EXPORT Webhooks {
 public:
  // Handed out by Engine (engine.h), which owns it; not copyable.
  Webhooks(const Webhooks&) = delete;
  Webhooks& operator=(const Webhooks&) = delete;

  // Stores the subscription; it receives the events committed after this call returns.
  // Errors: InvalidArgument (id, url, event types, secret), AlreadyExists (id taken),
  // ResourceExhausted (kMaxWebhookSubscriptions reached). Nothing is written on error.
  Result<WebhookSubscription> subscribe(const WebhookSubscription& subscription);
  // Changes a subscription in place, keeping its id, cursor, queued deliveries and recorded
  // failures (unsubscribe + subscribe would lose them). From the update on: deliveries go to
  // the new url, signed with the new secret (queued ones too: they are signed when sent),
  // events committed after the update are matched against the new event types (those already
  // queued stay queued), and an inactive subscription sends nothing and queues nothing (the
  // events committed while it is inactive are skipped; what was queued before waits and is
  // sent once it is active again). Returns the subscription, secret blanked.
  // Errors: InvalidArgument (nothing to change, or a field subscribe() would refuse: the url
  // under the same address rules), NotFound. Nothing is written on error.
  Result<WebhookSubscription> update(std::string_view id, const WebhookSubscriptionUpdate& update);
  // Removes the subscription with its queued deliveries and its recorded failures.
  // NotFound when there is no such subscription.
  Status unsubscribe(std::string_view id);
  // The subscription, secret included. NotFound when there is none.
  Result<WebhookSubscription> get(std::string_view id);
  // Every subscription, by id, secrets blanked.
  Result<std::vector<WebhookSubscription>> list();
  // Deliveries that failed at least once and have not succeeded since, oldest (by event
  // sequence) first: those still being retried and those given up. "" means every
  // subscription; limit is 1..10000. NotFound for an unknown subscription id.
  Result<std::vector<WebhookDelivery>> failures(std::string_view subscription_id = "",
                                                size_t limit = 100);

 private:
  friend class Engine;
  explicit Webhooks(WebhookService* service) : service_(service) {}
  WebhookService* service_;
};

// The X-Commerce-Signature header's value for `body` sent at `timestamp_s` (Unix seconds)
// under `secret`: "t=<timestamp_s>,v1=<lower-case hex HMAC-SHA256 of "<timestamp_s>.<body>">".
// The timestamp is signed with the body, so a receiver that refuses old timestamps cannot be
// sent a captured delivery again later (docs/webhooks.md, "Verifying the signature").
COMMERCE_EXPORT std::string WebhookSignature(std::string_view secret, int64_t timestamp_s, std::string_view body);

inline constexpr int64_t kWebhookDefaultToleranceS = 300;

// What a receiver does with a delivery: checks `header` (the X-Commerce-Signature value)
// against the raw `body` and `secret`, in constant time, and that its timestamp is within
// `tolerance_s` of `now_s` (Unix seconds; 0 means the system clock). OK when it holds;
// otherwise InvalidArgument saying which: the header is malformed, no v1 signature matches,
// or the timestamp is outside the window (a replay, or a clock far off). Several v1= entries
// are accepted, any one matching, for a receiver rotating its secret.
COMMERCE_EXPORT Status VerifyWebhookSignature(std::string_view secret, std::string_view header,
                                              std::string_view body, int64_t tolerance_s = kWebhookDefaultToleranceS,
                                              int64_t now_s = 0);

}  // namespace commerce
