// Everything behind commerce::Webhooks in one engine: the subscriptions' API and the delivery
// consumer with its thread. Engine owns one; Webhooks (webhooks.h) is its public face.
//
// A delivery round has two steps:
//   1. fan-out: for each subscription with room in its queue, the events after its cursor
//      are matched against its event types; each match becomes a queue row (with the JSON
//      body, built once) and the cursor advances, in one transaction, so that an event is
//      queued exactly once per subscription whatever the crashes;
//   2. send: the first queue row of each (subscription, subject) that is due and not already
//      in flight is POSTed (at most max_in_flight at once). Its outcome is written in one
//      transaction: 2xx removes the row (and its failures row); otherwise the row's attempts
//      and next attempt time are updated and mirrored to webhook_failures, or, after
//      max_attempts, the row is removed and the failures row kept as given up.
// A later event of a subject waits behind the first one, so a subscriber receives a
// subject's events in order; other subjects go on.
//
// Outcomes are written with sync = false: a crash may forget that a POST succeeded (it is
// sent again: at-least-once), never that an event was queued. A clean close syncs them.
//
// Thread safety: the API methods are safe from any number of threads. Rounds run on the
// delivery thread (Start) or, when it is not running, in RunOnce on the caller's thread.
#pragma once

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "commerce/webhooks.h"
#include "engine/lease.h"
#include "webhooks/http_poster.h"
#include "webhooks/target_policy.h"

namespace commerce {

class EngineCore;
class WebhookService {
 public:
  WebhookService(EngineCore* core, WebhookOptions options);
  ~WebhookService();  // Stop()s

  // InvalidArgument naming the option at fault.
  static Status CheckOptions(const WebhookOptions& o);

  // On a store that several processes share: deliver only while this process holds `lease`
  // (engine/lease.h), and write delivery state only in writes that check it. Before Start().
  void UseLease(std::unique_ptr<Lease> lease) { lease_ = std::move(lease); }

  void Start();  // the delivery thread
  // Stops the thread within about kPollSlice, abandoning POSTs in flight. Idempotent.
  void Stop();
  // One round, every POST it starts waited for (bounded by request_timeout). A no-op while
  // the delivery thread runs.
  Status RunOnce();

  Result<WebhookSubscription> Subscribe(const WebhookSubscription& s);
  Result<WebhookSubscription> Update(std::string_view id, const WebhookSubscriptionUpdate& u);
  Status Unsubscribe(std::string_view id);
  Result<WebhookSubscription> Get(std::string_view id);
  Result<std::vector<WebhookSubscription>> List();
  Result<std::vector<WebhookDelivery>> Failures(std::string_view id, size_t limit);

  // The last error of a round, for operators ("" when none).
  std::string last_error() const;

 private:
  struct InFlight {
    std::string subscription_id, subject;
    uint64_t seq = 0;
    std::string type;
  };

  void Loop();
  // Fans out until every subscription is caught up or full.
  Status FanOut();
  Status FanOutBatch(bool* more);
  // Whether some subscription has events to take and room for them (a read).
  Result<bool> FanOutDue();
  // Starts the due heads not in flight, up to the free slots. *next_due_ms: the earliest
  // time a head not yet due will be (INT64_MAX when none).
  Status StartDue(HttpPoster& poster, int64_t now_ms, int64_t* next_due_ms);
  // Writes the outcomes of finished POSTs.
  Status Record(const std::vector<HttpOutcome>& outcomes);
  int64_t BackoffMs(uint32_t attempts) const;
  void NoteError(const Status& s);

  EngineCore* core_;
  const WebhookOptions options_;
  const TargetPolicy policy_;  // from options_.allowed_networks
  std::unique_ptr<Lease> lease_;  // null: the store is this process's alone

  std::mutex round_mu_;  // one round at a time: the thread's or RunOnce's
  std::map<uint64_t, InFlight> in_flight_;                       // GUARDED_BY(round_mu_), by tag
  std::set<std::pair<std::string, std::string>> busy_subjects_;  // GUARDED_BY(round_mu_)
  uint64_t next_tag_ = 1;                                        // GUARDED_BY(round_mu_)
  size_t rotate_ = 0;  // GUARDED_BY(round_mu_): the subscription served first, for fairness

  std::atomic<bool> stop_{false};
  std::thread thread_;
  mutable std::mutex error_mu_;
  std::string last_error_;  // GUARDED_BY(error_mu_)
};

}  // namespace commerce
