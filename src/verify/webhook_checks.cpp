// commerce verify: webhook subscriptions, their state, queues and failures.
//
//   - every subscription decodes, is stored under its own id and has a state row, and every
//     state row belongs to a subscription;
//   - a subscription's cursor is not ahead of the log; its pending count is its queue's rows
//     and its given-up count its given-up failure rows;
//   - every queued delivery and every failure belongs to a subscription and to an event of
//     the log (a queued one: of its subject and type).
#include <map>

#include "common/key.h"
#include "events/event_log.h"
#include "verify/check_context.h"
#include "webhooks/webhook_store.h"

namespace commerce::verify {

namespace {
constexpr const char* kWebhooks = "webhooks";
constexpr const char* kState = "webhook_state";
}  // namespace

void CheckWebhooks(CheckContext& c) {
  const uint64_t last = c.facts.last_event;
  std::map<std::string, uint32_t, std::less<>> pending, given_up;
  c.Scan("webhooks", "webhook_queue", [&](std::string_view key, std::string_view value) {
    WebhookQueueEntry q;
    if (!DecodeRecord(c, "webhook_queue", key, value, [&] { return DecodeWebhookQueueEntry(key, value, &q); }))
      return true;
    const std::string where = Where("webhook_queue", key);
    ++pending[q.subscription_id];
    if (!c.Has("webhooks", kWebhooks, KeyBuilder().str(q.subscription_id).key()))
      c.Problem("webhooks", where, "its subscription '" + q.subscription_id + "' does not exist");
    const std::string event_key = KeyBuilder().u64(q.seq).key();
    auto ev = c.Get("webhooks", "events", event_key);
    Event e;
    if (!ev || !DecodeEvent(event_key, *ev, &e).ok() || e.subject != q.subject || e.type != q.type)
      c.Problem("webhooks", where, "event " + std::to_string(q.seq) + " of " + q.type + " '" +
                                       q.subject + "' is not in the log");
    return true;
  }, /*count=*/true);

  c.Scan("webhooks", "webhook_failures", [&](std::string_view key, std::string_view value) {
    WebhookDelivery d;
    if (!DecodeRecord(c, "webhook_failures", key, value, [&] { return DecodeWebhookDelivery(key, value, &d); }))
      return true;
    const std::string where = Where("webhook_failures", key);
    KeyReader kr(key);
    auto id = kr.str();
    auto seq = kr.u64();
    if (!id || !seq || !kr.done() || *id != d.subscription_id || *seq != d.event_seq) {
      c.Problem("webhooks", where, "its key does not name its delivery");
      return true;
    }
    if (d.given_up) ++given_up[d.subscription_id];
    if (!c.Has("webhooks", kWebhooks, KeyBuilder().str(d.subscription_id).key()))
      c.Problem("webhooks", where, "its subscription '" + d.subscription_id + "' does not exist");
    if (d.event_seq == 0 || d.event_seq > last)
      c.Problem("webhooks", where, "event " + std::to_string(d.event_seq) + " is not in the log");
    return true;
  }, /*count=*/true);

  c.Scan("webhooks", kWebhooks, [&](std::string_view key, std::string_view value) {
    WebhookSubscription s;
    if (!DecodeRecord(c, kWebhooks, key, value, [&] { return DecodeWebhook(key, value, &s); }))
      return true;
    const std::string where = Where(kWebhooks, key);
    if (key != KeyBuilder().str(s.id).key()) c.Problem("webhooks", where, "holds subscription '" + s.id + "'");
    if (!c.Has("webhooks", kState, key)) c.Problem("webhooks", where, "has no webhook_state row");
    return true;
  }, /*count=*/true);

  c.Scan("webhooks", kState, [&](std::string_view key, std::string_view value) {
    WebhookState st;
    if (!DecodeRecord(c, kState, key, value, [&] { return DecodeWebhookState(key, value, &st); }))
      return true;
    const std::string where = Where(kState, key);
    KeyReader kr(key);
    auto id = kr.str();
    if (!id || !kr.done()) {
      c.Problem("webhooks", where, "the key does not decode");
      return true;
    }
    if (!c.Has("webhooks", kWebhooks, key)) c.Problem("webhooks", where, "belongs to no subscription");
    if (st.cursor > last)
      c.Problem("webhooks", where, "its cursor " + std::to_string(st.cursor) +
                                       " is past the newest event " + std::to_string(last));
    auto p = pending.find(*id);
    const uint32_t queued = p == pending.end() ? 0 : p->second;
    if (st.pending != queued)
      c.Problem("webhooks", where, "counts " + std::to_string(st.pending) + " pending deliveries; its queue holds " +
                                       std::to_string(queued));
    auto g = given_up.find(*id);
    const uint32_t gone = g == given_up.end() ? 0 : g->second;
    if (st.given_up != gone)
      c.Problem("webhooks", where, "counts " + std::to_string(st.given_up) + " given-up deliveries; " +
                                       std::to_string(gone) + " are kept");
    return true;
  }, /*count=*/true);
}

}  // namespace commerce::verify
