// The webhook service (webhook_service.h). Parts, in order:
//   - validation of subscriptions and options;
//   - the API: subscribe, unsubscribe, get, list, failures;
//   - the delivery round: FanOut, StartDue, Record;
//   - the delivery thread and RunOnce.
#include "webhooks/webhook_service.h"

#include <curl/curl.h>
#include <pthread.h>

#include <algorithm>
#include <cctype>
#include <limits>

#include "common/ids.h"
#include "events/event_json.h"
#include "common/key.h"
#include "common/utf8.h"
#include "engine/engine_core.h"
#include "events/event_log.h"
#include "events/event_message.h"
#include "webhooks/webhook_store.h"

namespace commerce {

namespace {

constexpr size_t kFanOutBatch = 500;  // events read from the log per fan-out transaction
// While POSTs are in flight the thread looks at its stop flag and the log this often.
constexpr auto kPollSlice = std::chrono::milliseconds(50);
// Idle, the thread looks for due retries and new events at least this often...
constexpr auto kIdleWait = std::chrono::milliseconds(1000);
// ...and, under a stream of commits, at most this often, so that events are fanned out in
// batches rather than one transaction per commit.
constexpr auto kMinRoundInterval = std::chrono::milliseconds(20);

bool StartsWithNoCase(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i) {
    char c = s[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != prefix[i]) return false;
  }
  return true;
}

// A URL whose host is an address the policy refuses is refused at subscribe, where the
// subscriber can read why; names are judged when resolved, at each delivery.
Status CheckUrl(const std::string& url, const TargetPolicy& policy) {
  if (url.empty() || url.size() > kMaxWebhookUrlBytes)
    return Status::InvalidArgument("url: must be 1.." + std::to_string(kMaxWebhookUrlBytes) + " bytes, got " +
                                   std::to_string(url.size()));
  if (!StartsWithNoCase(url, "http://") && !StartsWithNoCase(url, "https://"))
    return Status::InvalidArgument("url: must start with http:// or https://");
  for (unsigned char c : url)
    if (c <= 0x20 || c == 0x7f)
      return Status::InvalidArgument("url: must not contain spaces or control characters");
  COMMERCE_RETURN_IF_ERROR(CheckUtf8("url", url));
  CURLU* u = curl_url();
  if (!u) return Status::Internal("url: cannot parse (out of memory)");
  Status result;
  CURLUcode rc = curl_url_set(u, CURLUPART_URL, url.c_str(), 0);
  if (rc != CURLUE_OK) {
    result = Status::InvalidArgument(std::string("url: ") + curl_url_strerror(rc));
  } else {
    char* host = nullptr;
    rc = curl_url_get(u, CURLUPART_HOST, &host, 0);
    if (rc != CURLUE_OK || !host || !*host) {
      result = Status::InvalidArgument("url: has no host");
    } else {
      std::string h(host);
      for (auto& c : h) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      if (h.size() > 1 && h.back() == '.') h.pop_back();
      // RFC 6761: localhost and its subdomains are loopback, whatever a resolver says.
      if (h == "localhost" || (h.size() > 10 && h.compare(h.size() - 10, 10, ".localhost") == 0)) h = "127.0.0.1";
      const std::string why = policy.RefusalOfLiteral(h);
      if (!why.empty()) result = Status::InvalidArgument("url: " + why);
    }
    curl_free(host);
  }
  curl_url_cleanup(u);
  return result;
}

Status CheckEventTypes(const std::vector<std::string>& types) {
  const auto& known = WebhookEventTypes();
  for (size_t i = 0; i < types.size(); ++i) {
    const std::string field = "event_types[" + std::to_string(i) + "]";
    COMMERCE_RETURN_IF_ERROR(CheckUtf8(field, types[i]));  // before it is quoted below
    if (std::find(known.begin(), known.end(), types[i]) == known.end()) {
      std::string list;
      for (const auto& k : known) list += (list.empty() ? "" : ", ") + k;
      // Quoted as JSON so that control characters in the name cannot garble the message.
      const std::string quoted = JsonQuote(std::string_view(types[i]).substr(0, 64));
      return Status::InvalidArgument(field + ": unknown event type '" +
                                     quoted.substr(1, quoted.size() - 2) + "'; known: " + list);
    }
    for (size_t j = 0; j < i; ++j)
      if (types[j] == types[i])
        return Status::InvalidArgument(field + ": '" + types[i] + "' is listed twice");
  }
  return Status::OK();
}

Status CheckSubscription(const WebhookSubscription& s, const TargetPolicy& policy) {
  COMMERCE_RETURN_IF_ERROR(CheckIdentifier("id", s.id));
  COMMERCE_RETURN_IF_ERROR(CheckUrl(s.url, policy));
  COMMERCE_RETURN_IF_ERROR(CheckEventTypes(s.event_types));
  if (s.secret.size() < kMinWebhookSecretBytes || s.secret.size() > kMaxWebhookSecretBytes)
    return Status::InvalidArgument("secret: must be " + std::to_string(kMinWebhookSecretBytes) + ".." +
                                   std::to_string(kMaxWebhookSecretBytes) + " bytes, got " +
                                   std::to_string(s.secret.size()));
  return CheckUtf8("secret", s.secret);
}

bool Matches(const WebhookSubscription& s, const Event& e) {
  return s.event_types.empty() ||
         std::find(s.event_types.begin(), s.event_types.end(), e.type) != s.event_types.end();
}

bool Delivered(const HttpOutcome& o) { return o.http_status >= 200 && o.http_status < 300; }

}  // namespace

// --- validation ---------------------------------------------------------------------------

Status WebhookService::CheckOptions(const WebhookOptions& o) {
  if (o.max_attempts < 1 || o.max_attempts > 100)
    return Status::InvalidArgument("webhooks.max_attempts must be 1..100");
  if (o.backoff_initial.count() <= 0) return Status::InvalidArgument("webhooks.backoff_initial must be positive");
  if (o.backoff_max < o.backoff_initial)
    return Status::InvalidArgument("webhooks.backoff_max must be at least backoff_initial");
  if (o.request_timeout.count() <= 0 || o.request_timeout > std::chrono::minutes(10))
    return Status::InvalidArgument("webhooks.request_timeout must be 1 ms..10 minutes");
  if (o.max_in_flight < 1 || o.max_in_flight > 1000)
    return Status::InvalidArgument("webhooks.max_in_flight must be 1..1000");
  if (o.max_pending < 1 || o.max_pending > 1'000'000)
    return Status::InvalidArgument("webhooks.max_pending must be 1..1000000");
  if (o.max_failures_kept < 1 || o.max_failures_kept > 1'000'000)
    return Status::InvalidArgument("webhooks.max_failures_kept must be 1..1000000");
  return TargetPolicy::Make(o.allowed_networks).status();
}

namespace {
TargetPolicy PolicyOf(const WebhookOptions& o) {
  auto p = TargetPolicy::Make(o.allowed_networks);
  // CheckOptions ran before (Engine::open); should it not have, nothing more is allowed.
  return p.ok() ? std::move(*p) : *TargetPolicy::Make({});
}
}  // namespace

WebhookService::WebhookService(EngineCore* core, WebhookOptions options)
    : core_(core), options_(std::move(options)), policy_(PolicyOf(options_)) {}

WebhookService::~WebhookService() { Stop(); }

std::string WebhookService::last_error() const {
  std::lock_guard<std::mutex> lock(error_mu_);
  return last_error_;
}

void WebhookService::NoteError(const Status& s) {
  if (s.ok()) return;
  std::lock_guard<std::mutex> lock(error_mu_);
  last_error_ = s.ToString();
}

// --- the API ------------------------------------------------------------------------------

Result<WebhookSubscription> WebhookService::Subscribe(const WebhookSubscription& given) {
  WebhookSubscription s = given;
  if (s.id.empty()) s.id = RandomId("wh-");
  COMMERCE_RETURN_IF_ERROR(CheckSubscription(s, policy_));
  s.created_at_ms = EngineCore::NowMs();
  const Tables& t = core_->tables;
  COMMERCE_RETURN_IF_ERROR(core_->storage->write([&](WriteTxn& txn) -> Status {
    auto old = GetWebhookInTxn(txn, t, s.id);
    if (old.ok()) return Status::AlreadyExists("id: webhook subscription '" + s.id + "' already exists");
    if (!old.status().IsNotFound()) return old.status();
    COMMERCE_ASSIGN_OR_RETURN(auto rows, txn.scan(t.webhooks, "", "", kMaxWebhookSubscriptions));
    if (rows.size() >= kMaxWebhookSubscriptions)
      return Status::ResourceExhausted("at most " + std::to_string(kMaxWebhookSubscriptions) +
                                       " webhook subscriptions; unsubscribe one first");
    // Events committed after this one are the subscription's: it starts at the log's end.
    WebhookState state;
    COMMERCE_ASSIGN_OR_RETURN(state.cursor, LastEventSeq(txn, t.events));
    COMMERCE_RETURN_IF_ERROR(PutWebhookInTxn(txn, t, s));
    return PutWebhookStateInTxn(txn, t, s.id, state);
  }));
  return s;
}

Result<WebhookSubscription> WebhookService::Update(std::string_view id, const WebhookSubscriptionUpdate& u) {
  COMMERCE_RETURN_IF_ERROR(CheckIdentifier("id", id));
  if (!u.url && !u.event_types && !u.secret && !u.active)
    return Status::InvalidArgument("update: nothing to change (give url, event_types, secret or active)");
  const Tables& t = core_->tables;
  WebhookSubscription s;
  COMMERCE_RETURN_IF_ERROR(core_->storage->write([&](WriteTxn& txn) -> Status {
    COMMERCE_ASSIGN_OR_RETURN(s, GetWebhookInTxn(txn, t, id));
    if (u.url) s.url = *u.url;
    if (u.event_types) s.event_types = *u.event_types;
    if (u.secret) s.secret = *u.secret;
    if (u.active) s.active = *u.active;
    // The whole subscription as subscribe() checks it: the url under the same address rules.
    COMMERCE_RETURN_IF_ERROR(CheckSubscription(s, policy_));
    // The state row (cursor, queue counts) and the queue are untouched: nothing queued is lost.
    return PutWebhookInTxn(txn, t, s);
  }));
  s.secret.clear();
  return s;
}

Status WebhookService::Unsubscribe(std::string_view id) {
  COMMERCE_RETURN_IF_ERROR(CheckIdentifier("id", id));
  const Tables& t = core_->tables;
  const std::string key = KeyBuilder().str(id).key();
  return core_->storage->write([&](WriteTxn& txn) -> Status {
    COMMERCE_RETURN_IF_ERROR(GetWebhookInTxn(txn, t, id).status());
    COMMERCE_RETURN_IF_ERROR(txn.del(t.webhooks, key));
    COMMERCE_RETURN_IF_ERROR(txn.del(t.webhook_state, key));
    // Both bounded: max_pending queued, max_failures_kept given up plus one a subject retrying.
    for (Table table : {t.webhook_queue, t.webhook_failures}) {
      COMMERCE_ASSIGN_OR_RETURN(auto rows, txn.scan(table, key, PrefixEnd(key), 0));
      for (const auto& row : rows) COMMERCE_RETURN_IF_ERROR(txn.del(table, row.key));
    }
    return Status::OK();
  });
}

Result<WebhookSubscription> WebhookService::Get(std::string_view id) {
  COMMERCE_RETURN_IF_ERROR(CheckIdentifier("id", id));
  COMMERCE_ASSIGN_OR_RETURN(auto txn, core_->storage->read());
  return GetWebhookInTxn(*txn, core_->tables, id);
}

Result<std::vector<WebhookSubscription>> WebhookService::List() {
  COMMERCE_ASSIGN_OR_RETURN(auto txn, core_->storage->read());
  COMMERCE_ASSIGN_OR_RETURN(auto subs, ListWebhooksInTxn(*txn, core_->tables));
  for (auto& s : subs) s.secret.clear();
  return subs;
}

Result<std::vector<WebhookDelivery>> WebhookService::Failures(std::string_view id, size_t limit) {
  if (limit < 1 || limit > 10'000)
    return Status::InvalidArgument("limit: must be 1..10000, got " + std::to_string(limit));
  if (!id.empty()) COMMERCE_RETURN_IF_ERROR(CheckIdentifier("subscription_id", id));
  const Tables& t = core_->tables;
  COMMERCE_ASSIGN_OR_RETURN(auto txn, core_->storage->read());
  std::vector<std::string> ids;
  if (!id.empty()) {
    COMMERCE_RETURN_IF_ERROR(GetWebhookInTxn(*txn, t, id).status());
    ids.emplace_back(id);
  } else {
    COMMERCE_ASSIGN_OR_RETURN(auto subs, ListWebhooksInTxn(*txn, t));
    for (auto& s : subs) ids.push_back(std::move(s.id));
  }
  // Each subscription's rows are in event order; the oldest `limit` overall are among the
  // first `limit` of each.
  std::vector<WebhookDelivery> out;
  for (const auto& sub : ids) {
    const std::string prefix = WebhookFailurePrefix(sub);
    COMMERCE_ASSIGN_OR_RETURN(auto rows, txn->scan(t.webhook_failures, prefix, PrefixEnd(prefix), limit));
    for (const auto& row : rows) {
      WebhookDelivery d;
      COMMERCE_RETURN_IF_ERROR(DecodeWebhookDelivery(row.key, row.value, &d));
      out.push_back(std::move(d));
    }
  }
  std::stable_sort(out.begin(), out.end(), [](const WebhookDelivery& a, const WebhookDelivery& b) {
    return a.event_seq != b.event_seq ? a.event_seq < b.event_seq : a.subscription_id < b.subscription_id;
  });
  if (out.size() > limit) out.resize(limit);
  return out;
}

// --- the delivery round ---------------------------------------------------------------------

int64_t WebhookService::BackoffMs(uint32_t attempts) const {
  // attempts >= 1 failures so far: initial * 2^(attempts-1), capped.
  const int64_t cap = options_.backoff_max.count();
  int64_t delay = options_.backoff_initial.count();
  for (uint32_t i = 1; i < attempts && delay < cap; ++i) delay *= 2;
  return std::min(delay, cap);
}

Status WebhookService::FanOutBatch(bool* more) {
  const Tables& t = core_->tables;
  const uint32_t max_pending = options_.max_pending;
  return core_->storage->write([&](WriteTxn& txn) -> Status {
    *more = false;  // a mutation may run more than once
    if (lease_) COMMERCE_RETURN_IF_ERROR(lease_->Check(txn));
    COMMERCE_ASSIGN_OR_RETURN(auto subs, ListWebhooksInTxn(txn, t));
    if (subs.empty()) return Status::OK();
    COMMERCE_ASSIGN_OR_RETURN(uint64_t last, LastEventSeq(txn, t.events));
    struct Work {
      const WebhookSubscription* sub;
      WebhookState state;
    };
    std::vector<Work> work;
    uint64_t from = std::numeric_limits<uint64_t>::max();
    for (const auto& s : subs) {
      auto state = GetWebhookStateInTxn(txn, t, s.id);
      // A subscription without state was written by a newer version, or is half-removed.
      if (state.status().IsNotFound()) continue;
      COMMERCE_RETURN_IF_ERROR(state.status());
      if (state->cursor >= last) continue;
      if (s.active && state->pending >= max_pending) continue;  // full: the log keeps its events
      work.push_back({&s, *state});
      from = std::min(from, state->cursor + 1);
    }
    if (work.empty()) return Status::OK();
    COMMERCE_ASSIGN_OR_RETURN(auto rows, txn.scan(t.events, KeyBuilder().u64(from).key(), "", kFanOutBatch));
    // Trimming keeps what a subscription has not passed; should a cursor still be below the
    // log's horizon, the subscription stops with that error rather than skip events.
    if (!rows.empty() && KeyReader(rows[0].key).u64() != from)
      COMMERCE_RETURN_IF_ERROR(CheckNotTrimmed(txn, t.events, from, "webhook delivery"));
    std::vector<Event> events(rows.size());
    for (size_t i = 0; i < rows.size(); ++i) COMMERCE_RETURN_IF_ERROR(DecodeEvent(rows[i].key, rows[i].value, &events[i]));
    std::vector<std::string> bodies(events.size());  // built once, shared by the subscriptions
    for (auto& w : work) {
      const uint64_t was = w.state.cursor;
      for (size_t i = 0; i < events.size(); ++i) {
        const Event& e = events[i];
        if (e.seq <= w.state.cursor) continue;
        if (w.sub->active && Matches(*w.sub, e)) {
          if (w.state.pending >= max_pending) break;
          if (bodies[i].empty()) bodies[i] = EventMessage(e);
          WebhookQueueEntry entry;
          entry.type = e.type;
          entry.body = bodies[i];
          COMMERCE_RETURN_IF_ERROR(txn.put(t.webhook_queue, WebhookQueueKey(w.sub->id, e.subject, e.seq),
                                           EncodeWebhookQueueEntry(entry)));
          ++w.state.pending;
        }
        w.state.cursor = e.seq;
      }
      if (w.state.cursor == was) continue;
      COMMERCE_RETURN_IF_ERROR(PutWebhookStateInTxn(txn, t, w.sub->id, w.state));
      if (w.state.cursor < last && (!w.sub->active || w.state.pending < max_pending)) *more = true;
    }
    return Status::OK();
  }, WriteOptions{.sync = false});
}

Result<bool> WebhookService::FanOutDue() {
  const Tables& t = core_->tables;
  COMMERCE_ASSIGN_OR_RETURN(auto txn, core_->storage->read());
  COMMERCE_ASSIGN_OR_RETURN(auto subs, ListWebhooksInTxn(*txn, t));
  if (subs.empty()) return false;
  COMMERCE_ASSIGN_OR_RETURN(uint64_t last, LastEventSeq(*txn, t.events));
  for (const auto& s : subs) {
    auto state = GetWebhookStateInTxn(*txn, t, s.id);
    if (state.status().IsNotFound()) continue;
    COMMERCE_RETURN_IF_ERROR(state.status());
    if (state->cursor < last && (!s.active || state->pending < options_.max_pending)) return true;
  }
  return false;
}

Status WebhookService::FanOut() {
  // A read first: most rounds have nothing to fan out, and a write would cost a commit.
  COMMERCE_ASSIGN_OR_RETURN(bool due, FanOutDue());
  if (!due) return Status::OK();
  for (;;) {
    bool more = false;
    COMMERCE_RETURN_IF_ERROR(FanOutBatch(&more));
    if (!more || stop_.load()) return Status::OK();
  }
}

Status WebhookService::StartDue(HttpPoster& poster, int64_t now_ms, int64_t* next_due_ms) {
  *next_due_ms = std::numeric_limits<int64_t>::max();
  if (poster.in_flight() >= options_.max_in_flight) return Status::OK();
  size_t free = options_.max_in_flight - poster.in_flight();
  const Tables& t = core_->tables;
  COMMERCE_ASSIGN_OR_RETURN(auto txn, core_->storage->read());
  COMMERCE_ASSIGN_OR_RETURN(auto subs, ListWebhooksInTxn(*txn, t));
  if (subs.empty()) return Status::OK();
  const size_t first = rotate_++ % subs.size();
  auto cursor = txn->cursor(t.webhook_queue);
  for (size_t n = 0; n < subs.size() && free > 0; ++n) {
    const WebhookSubscription& sub = subs[(first + n) % subs.size()];
    if (!sub.active) continue;
    const std::string prefix = WebhookQueuePrefix(sub.id);
    const std::string end = PrefixEnd(prefix);
    // The first row of each subject is its head; seeking past the subject skips the rest.
    for (cursor->seek(prefix); free > 0 && cursor->valid() && cursor->key() < end;) {
      WebhookQueueEntry head;
      COMMERCE_RETURN_IF_ERROR(DecodeWebhookQueueEntry(cursor->key(), cursor->value(), &head));
      const std::string subject_end = PrefixEnd(KeyBuilder().str(sub.id).str(head.subject).key());
      if (busy_subjects_.count({sub.id, head.subject}) == 0) {
        if (head.next_attempt_ms > now_ms) {
          *next_due_ms = std::min(*next_due_ms, head.next_attempt_ms);
        } else {
          HttpPost post;
          post.tag = next_tag_++;
          post.url = sub.url;
          post.headers = {"Content-Type: application/json",
                          "X-Commerce-Event-Id: " + std::to_string(head.seq),
                          "X-Commerce-Event-Type: " + head.type,
                          "X-Commerce-Signature: " + WebhookSignature(sub.secret, now_ms / 1000, head.body)};
          post.body = std::move(head.body);
          busy_subjects_.insert({sub.id, head.subject});
          in_flight_[post.tag] = InFlight{sub.id, head.subject, head.seq, head.type};
          poster.Start(std::move(post));
          --free;
        }
      }
      cursor->seek(subject_end);
    }
    COMMERCE_RETURN_IF_ERROR(cursor->status());
  }
  return Status::OK();
}

Status WebhookService::Record(const std::vector<HttpOutcome>& outcomes) {
  std::vector<std::pair<InFlight, const HttpOutcome*>> done;
  for (const auto& o : outcomes) {
    auto it = in_flight_.find(o.tag);
    if (it == in_flight_.end()) continue;
    busy_subjects_.erase({it->second.subscription_id, it->second.subject});
    done.emplace_back(std::move(it->second), &o);
    in_flight_.erase(it);
  }
  if (done.empty()) return Status::OK();
  const Tables& t = core_->tables;
  const int64_t now = EngineCore::NowMs();
  return core_->storage->write([&](WriteTxn& txn) -> Status {
    if (lease_) COMMERCE_RETURN_IF_ERROR(lease_->Check(txn));
    for (const auto& [f, o] : done) {
      const std::string qkey = WebhookQueueKey(f.subscription_id, f.subject, f.seq);
      std::string_view value;
      Status s = txn.get(t.webhook_queue, qkey, &value);
      if (s.IsNotFound()) continue;  // unsubscribed meanwhile
      COMMERCE_RETURN_IF_ERROR(s);
      WebhookQueueEntry entry;
      COMMERCE_RETURN_IF_ERROR(DecodeWebhookQueueEntry(qkey, value, &entry));
      auto state = GetWebhookStateInTxn(txn, t, f.subscription_id);
      if (state.status().IsNotFound()) continue;
      COMMERCE_RETURN_IF_ERROR(state.status());
      const std::string fkey = WebhookFailureKey(f.subscription_id, f.seq);
      if (Delivered(*o)) {
        COMMERCE_RETURN_IF_ERROR(txn.del(t.webhook_queue, qkey));
        COMMERCE_RETURN_IF_ERROR(txn.del(t.webhook_failures, fkey));
        if (state->pending > 0) --state->pending;
        COMMERCE_RETURN_IF_ERROR(PutWebhookStateInTxn(txn, t, f.subscription_id, *state));
        continue;
      }
      WebhookDelivery d;
      d.subscription_id = f.subscription_id;
      d.event_seq = f.seq;
      d.event_type = f.type;
      d.attempts = entry.attempts + 1;
      d.last_http_status = o->http_status;
      d.last_error = o->error.empty() ? "HTTP " + std::to_string(o->http_status) : o->error;
      if (d.attempts >= options_.max_attempts) {
        d.given_up = true;
        d.next_attempt_ms = 0;
        COMMERCE_RETURN_IF_ERROR(txn.del(t.webhook_queue, qkey));
        if (state->pending > 0) --state->pending;
        COMMERCE_RETURN_IF_ERROR(txn.put(t.webhook_failures, fkey, EncodeWebhookDelivery(d)));
        ++state->given_up;
        // Keep the newest max_failures_kept given-up rows; rows still retrying stay.
        const std::string prefix = WebhookFailurePrefix(f.subscription_id);
        auto c = txn.cursor(t.webhook_failures);
        for (c->seek(prefix); state->given_up > options_.max_failures_kept && c->valid() &&
                              c->key() < PrefixEnd(prefix);) {
          WebhookDelivery old;
          COMMERCE_RETURN_IF_ERROR(DecodeWebhookDelivery(c->key(), c->value(), &old));
          if (!old.given_up) {
            c->next();
            continue;
          }
          const std::string old_key(c->key());
          COMMERCE_RETURN_IF_ERROR(txn.del(t.webhook_failures, old_key));
          --state->given_up;
          c->seek(old_key);  // a cursor's position is not defined across writes
        }
        COMMERCE_RETURN_IF_ERROR(c->status());
      } else {
        d.next_attempt_ms = now + BackoffMs(d.attempts);
        entry.attempts = d.attempts;
        entry.next_attempt_ms = d.next_attempt_ms;
        COMMERCE_RETURN_IF_ERROR(txn.put(t.webhook_queue, qkey, EncodeWebhookQueueEntry(entry)));
        COMMERCE_RETURN_IF_ERROR(txn.put(t.webhook_failures, fkey, EncodeWebhookDelivery(d)));
      }
      COMMERCE_RETURN_IF_ERROR(PutWebhookStateInTxn(txn, t, f.subscription_id, *state));
    }
    return Status::OK();
  }, WriteOptions{.sync = false});
}

// --- the thread and RunOnce ---------------------------------------------------------------

void WebhookService::Start() {
  if (thread_.joinable() || stop_.load()) return;
  thread_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "commerce-hooks");  // for profiles (perf report --sort comm)
    Loop();
  });
}

void WebhookService::Stop() {
  stop_.store(true);
  core_->notifier.Notify();  // wake the loop
  if (thread_.joinable()) thread_.join();
  // The rounds are over: the next process takes the consumer over at once, not after a ttl.
  if (lease_) {
    std::lock_guard<std::mutex> lock(round_mu_);
    (void)lease_->Release();
  }
}

Status WebhookService::RunOnce() {
  if (thread_.joinable()) return Status::OK();  // the thread delivers
  std::lock_guard<std::mutex> lock(round_mu_);
  if (lease_ && !lease_->Held()) return Status::OK();  // another process delivers
  Status first = FanOut();
  HttpPoster poster(options_.request_timeout, policy_);
  int64_t next_due = 0;
  Status s = StartDue(poster, EngineCore::NowMs(), &next_due);
  if (first.ok()) first = s;
  while (poster.in_flight() > 0 && !stop_.load()) {
    auto outcomes = poster.Poll(kPollSlice);
    s = Record(outcomes);
    if (first.ok()) first = s;
  }
  // Stopped: what was in flight is attempted again after the next open.
  in_flight_.clear();
  busy_subjects_.clear();
  NoteError(first);
  return first;
}

void WebhookService::Loop() {
  HttpPoster poster(options_.request_timeout, policy_);
  int64_t next_due = std::numeric_limits<int64_t>::max();
  uint64_t seen = std::numeric_limits<uint64_t>::max();
  bool rescan = true;
  while (!stop_.load()) {
    // Renews the lease on time also while POSTs are in flight (cheap between looks).
    if (lease_) (void)lease_->Held();
    const uint64_t gen = core_->notifier.generation();
    const int64_t now = EngineCore::NowMs();
    if (rescan || gen != seen || now >= next_due) {
      rescan = false;
      seen = gen;
      std::lock_guard<std::mutex> lock(round_mu_);
      Status s;
      if (lease_ && !lease_->Held()) {
        next_due = now + kIdleWait.count();  // another process delivers: look again later
      } else {
        s = FanOut();
        if (s.ok()) s = StartDue(poster, now, &next_due);
      }
      if (!s.ok()) {
        NoteError(s);
        next_due = now + kIdleWait.count();  // a store error: try again later
      }
    }
    if (stop_.load()) break;
    if (poster.in_flight() > 0) {
      auto outcomes = poster.Poll(kPollSlice);
      if (outcomes.empty()) continue;
      std::lock_guard<std::mutex> lock(round_mu_);
      NoteError(Record(outcomes));
      rescan = true;  // a subject freed, a slot freed
      continue;
    }
    const auto round_start = std::chrono::steady_clock::now();
    auto wait = kIdleWait;
    if (next_due != std::numeric_limits<int64_t>::max())
      wait = std::min<std::chrono::milliseconds>(wait, std::chrono::milliseconds(std::max<int64_t>(0, next_due - now)));
    core_->notifier.WaitPast(gen, round_start + wait);
    if (std::chrono::steady_clock::now() >= round_start + wait) rescan = true;
    const auto next = round_start + kMinRoundInterval;
    while (!stop_.load() && std::chrono::steady_clock::now() < next)
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  std::lock_guard<std::mutex> lock(round_mu_);
  poster.AbandonAll();
  in_flight_.clear();
  busy_subjects_.clear();
}

}  // namespace commerce
