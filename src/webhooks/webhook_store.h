// The webhooks' stored state, read and written inside transactions. Four tables:
//
//   webhooks          KeyBuilder().str(id)                     -> subscription (cereal, v1)
//   webhook_state     KeyBuilder().str(id)                     -> WebhookState (cereal, v1)
//   webhook_queue     KeyBuilder().str(id).str(subject).u64(seq) -> WebhookQueueEntry (cereal, v1)
//   webhook_failures  KeyBuilder().str(id).u64(seq)             -> WebhookDelivery (cereal, v1)
//
// A subscription's state holds its cursor in the event log (the last event it has taken
// into its queue) and its counts. Its queue holds every delivery not yet made or given up,
// ordered by subject then event: the first entry of a subject is the only one that may be
// attempted (per-subject order). A failures row mirrors every delivery that has failed at
// least once: updated on each failure, removed on success, kept (given_up) after the last
// attempt.
//
// Thread safety: these functions run inside one transaction, on that transaction's thread.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "commerce/storage.h"
#include "commerce/webhooks.h"
#include "engine/engine_core.h"

namespace commerce {

struct WebhookState {
  uint64_t cursor = 0;    // last event seq taken into the queue (or skipped as not matching)
  uint32_t pending = 0;   // rows in webhook_queue
  uint32_t given_up = 0;  // given-up rows in webhook_failures
};

struct WebhookQueueEntry {
  // From the key.
  std::string subscription_id;
  std::string subject;
  uint64_t seq = 0;
  // From the value.
  std::string type;
  std::string body;  // the JSON body POSTed, built when the event was queued
  uint32_t attempts = 0;
  int64_t next_attempt_ms = 0;  // 0: at once
};

std::string WebhookQueueKey(std::string_view id, std::string_view subject, uint64_t seq);
std::string WebhookQueuePrefix(std::string_view id);
std::string WebhookFailureKey(std::string_view id, uint64_t seq);
std::string WebhookFailurePrefix(std::string_view id);

// NotFound ("no webhook subscription with id '<id>'") when absent.
Result<WebhookSubscription> GetWebhookInTxn(ReadView& view, const Tables& t, std::string_view id);
Status PutWebhookInTxn(WriteTxn& txn, const Tables& t, const WebhookSubscription& s);
// Decode a stored subscription / state; `key` is the storage key, named by Corruption.
Status DecodeWebhook(std::string_view key, std::string_view value, WebhookSubscription* out);
Status DecodeWebhookState(std::string_view key, std::string_view value, WebhookState* out);

// Every subscription, by id.
Result<std::vector<WebhookSubscription>> ListWebhooksInTxn(ReadView& view, const Tables& t);

// A subscription's state; NotFound when it has none.
Result<WebhookState> GetWebhookStateInTxn(ReadView& view, const Tables& t, std::string_view id);
Status PutWebhookStateInTxn(WriteTxn& txn, const Tables& t, std::string_view id,
                            const WebhookState& s);

std::string EncodeWebhookQueueEntry(const WebhookQueueEntry& e);  // the value
Status DecodeWebhookQueueEntry(std::string_view key, std::string_view value, WebhookQueueEntry* out);

std::string EncodeWebhookDelivery(const WebhookDelivery& d);
Status DecodeWebhookDelivery(std::string_view key, std::string_view value, WebhookDelivery* out);

}  // namespace commerce
