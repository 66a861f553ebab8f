// The webhooks' stored records (webhook_store.h). Cereal archives, version 1, written field by
// field from private wrappers so that the public types get no serialize() of ours.
#include "webhooks/webhook_store.h"

#include <stdexcept>

#include "common/codec.h"
#include "common/key.h"
#include "common/record.h"

namespace commerce {

namespace {

struct StoredWebhook {
  WebhookSubscription s;
  template <class Archive>
  void save(Archive& ar, std::uint32_t /*version*/) const {
    ar(s.id, s.url, s.event_types, s.secret, s.active, s.created_at_ms);
  }
  template <class Archive>
  void load(Archive& ar, std::uint32_t version) {
    if (version != 1) throw std::runtime_error("unknown webhook record version " + std::to_string(version));
    ar(s.id, s.url, s.event_types, s.secret, s.active, s.created_at_ms);
  }
};

struct StoredWebhookState {
  WebhookState s;
  template <class Archive>
  void save(Archive& ar, std::uint32_t /*version*/) const {
    ar(s.cursor, s.pending, s.given_up);
  }
  template <class Archive>
  void load(Archive& ar, std::uint32_t version) {
    if (version != 1) throw std::runtime_error("unknown webhook state version " + std::to_string(version));
    ar(s.cursor, s.pending, s.given_up);
  }
};

struct StoredQueueEntry {
  WebhookQueueEntry e;
  template <class Archive>
  void save(Archive& ar, std::uint32_t /*version*/) const {
    ar(e.type, e.body, e.attempts, e.next_attempt_ms);
  }
  template <class Archive>
  void load(Archive& ar, std::uint32_t version) {
    if (version != 1) throw std::runtime_error("unknown webhook queue version " + std::to_string(version));
    ar(e.type, e.body, e.attempts, e.next_attempt_ms);
  }
};

struct StoredDelivery {
  WebhookDelivery d;
  template <class Archive>
  void save(Archive& ar, std::uint32_t /*version*/) const {
    ar(d.subscription_id, d.event_seq, d.event_type, d.attempts, d.last_http_status, d.last_error,
       d.next_attempt_ms, d.given_up);
  }
  template <class Archive>
  void load(Archive& ar, std::uint32_t version) {
    if (version != 1) throw std::runtime_error("unknown webhook failure version " + std::to_string(version));
    ar(d.subscription_id, d.event_seq, d.event_type, d.attempts, d.last_http_status, d.last_error,
       d.next_attempt_ms, d.given_up);
  }
};

std::string IdKey(std::string_view id) { return KeyBuilder().str(id).key(); }

}  // namespace
}  // namespace commerce

CEREAL_CLASS_VERSION(commerce::StoredWebhook, 1);
CEREAL_CLASS_VERSION(commerce::StoredWebhookState, 1);
CEREAL_CLASS_VERSION(commerce::StoredQueueEntry, 1);
CEREAL_CLASS_VERSION(commerce::StoredDelivery, 1);

namespace commerce {

std::string WebhookQueueKey(std::string_view id, std::string_view subject, uint64_t seq) {
  return KeyBuilder().str(id).str(subject).u64(seq).key();
}
std::string WebhookQueuePrefix(std::string_view id) { return IdKey(id); }
std::string WebhookFailureKey(std::string_view id, uint64_t seq) {
  return KeyBuilder().str(id).u64(seq).key();
}
std::string WebhookFailurePrefix(std::string_view id) { return IdKey(id); }

Result<WebhookSubscription> GetWebhookInTxn(ReadView& view, const Tables& t, std::string_view id) {
  return GetRecord<WebhookSubscription>(view, t.webhooks, IdKey(id), id, "webhook subscription",
                                        DecodeWebhook);
}

Status DecodeWebhook(std::string_view key, std::string_view value, WebhookSubscription* out) {
  StoredWebhook stored;
  COMMERCE_RETURN_IF_ERROR(Decode(value, &stored, "webhooks", key));
  *out = std::move(stored.s);
  return Status::OK();
}

Status DecodeWebhookState(std::string_view key, std::string_view value, WebhookState* out) {
  StoredWebhookState stored;
  COMMERCE_RETURN_IF_ERROR(Decode(value, &stored, "webhook_state", key));
  *out = stored.s;
  return Status::OK();
}

Status PutWebhookInTxn(WriteTxn& txn, const Tables& t, const WebhookSubscription& s) {
  return txn.put(t.webhooks, IdKey(s.id), Encode(StoredWebhook{s}));
}

Result<std::vector<WebhookSubscription>> ListWebhooksInTxn(ReadView& view, const Tables& t) {
  COMMERCE_ASSIGN_OR_RETURN(auto rows, view.scan(t.webhooks, "", "", 0));
  std::vector<WebhookSubscription> out(rows.size());
  for (size_t i = 0; i < rows.size(); ++i) {
    COMMERCE_RETURN_IF_ERROR(DecodeWebhook(rows[i].key, rows[i].value, &out[i]));
  }
  return out;
}

Result<WebhookState> GetWebhookStateInTxn(ReadView& view, const Tables& t, std::string_view id) {
  std::string_view bytes;
  const std::string key = IdKey(id);
  Status s = view.get(t.webhook_state, key, &bytes);
  if (s.IsNotFound()) return Status::NotFound("webhook subscription '" + std::string(id) + "' has no state");
  COMMERCE_RETURN_IF_ERROR(s);
  WebhookState state;
  COMMERCE_RETURN_IF_ERROR(DecodeWebhookState(key, bytes, &state));
  return state;
}

Status PutWebhookStateInTxn(WriteTxn& txn, const Tables& t, std::string_view id,
                            const WebhookState& s) {
  return txn.put(t.webhook_state, IdKey(id), Encode(StoredWebhookState{s}));
}

std::string EncodeWebhookQueueEntry(const WebhookQueueEntry& e) { return Encode(StoredQueueEntry{e}); }

Status DecodeWebhookQueueEntry(std::string_view key, std::string_view value, WebhookQueueEntry* out) {
  KeyReader r(key);
  auto id = r.str();
  auto subject = r.str();
  auto seq = r.u64();
  if (!id || !subject || !seq || !r.done())
    return RecordCorruption("webhook_queue", key, "the key does not decode");
  StoredQueueEntry stored;
  COMMERCE_RETURN_IF_ERROR(Decode(value, &stored, "webhook_queue", key));
  *out = std::move(stored.e);
  out->subscription_id = std::move(*id);
  out->subject = std::move(*subject);
  out->seq = *seq;
  return Status::OK();
}

std::string EncodeWebhookDelivery(const WebhookDelivery& d) { return Encode(StoredDelivery{d}); }

Status DecodeWebhookDelivery(std::string_view key, std::string_view value, WebhookDelivery* out) {
  StoredDelivery stored;
  COMMERCE_RETURN_IF_ERROR(Decode(value, &stored, "webhook_failures", key));
  *out = std::move(stored.d);
  return Status::OK();
}

}  // namespace commerce
