// The payment worker, refunds and provider webhooks (payment_service.h).
#include "payments/payment_service.h"

#include <pthread.h>
#include <rapidjson/document.h>

#include <algorithm>
#include <chrono>
#include <exception>
#include <optional>

#include "commerce/webhooks.h"
#include "common/ids.h"
#include "common/key.h"
#include "engine/engine_core.h"
#include "order/order_state.h"
#include "order/order_store.h"

namespace commerce {

namespace {

// Entries of the outbox looked at in one round, and pending orders looked at for abandonment:
// a round stays short, and the next one goes on.
constexpr size_t kOutboxScan = 1000;
constexpr size_t kAbandonScan = 100;
// Passes over the outbox in one round (Round).
constexpr int kPassesPerRound = 8;
// Longest reason or error kept from a provider.
constexpr size_t kMaxReasonBytes = 500;
// The worker's longest sleep between rounds when no commit wakes it: a retry due or an order
// to abandon is acted on within this.
constexpr auto kIdleWait = std::chrono::milliseconds(200);

std::string Clip(std::string_view s) {
  s = s.substr(0, kMaxReasonBytes);
  // Cut back to a whole UTF-8 character: the stored reason goes into events as text.
  while (!s.empty() && (static_cast<unsigned char>(s.back()) & 0xC0) == 0x80) s.remove_suffix(1);
  if (!s.empty() && (static_cast<unsigned char>(s.back()) & 0x80)) s.remove_suffix(1);
  return std::string(s);
}

bool ValidProviderName(std::string_view n) {
  if (n.empty() || n.size() > 32) return false;
  return n.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789_-") == std::string_view::npos;
}

Status CheckRefundId(std::string_view id) {
  if (id.empty() || id.size() > kMaxRefundIdBytes ||
      id.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-") !=
          std::string_view::npos)
    return Status::InvalidArgument("refund_id: '" + Clip(id) + "'; expected 1..64 of A-Z a-z 0-9 '_' '-'");
  if (id == "order-refunded")
    return Status::InvalidArgument("refund_id: 'order-refunded' is the engine's, for an order moved to refunded");
  if (id.rfind("ret-", 0) == 0)
    return Status::InvalidArgument("refund_id: '" + Clip(id) + "': ids starting 'ret-' are the engine's, for returns "
                                   "(returns.h); refund a return with Returns::refund");
  return Status::OK();
}

// The provider's answer, never an exception: a provider is the caller's code.
PaymentOutcome Ask(PaymentProvider& provider, const PaymentRequest& r) {
  try {
    switch (r.operation) {
      case PaymentOperation::kAuthorize: return provider.authorize(r);
      case PaymentOperation::kCapture: return provider.capture(r);
      case PaymentOperation::kVoid: return provider.void_authorization(r);
      case PaymentOperation::kRefund: return provider.refund(r);
    }
  } catch (const std::exception& e) {
    return {PaymentResult::kUnknown, std::string("the provider threw: ") + e.what(), ""};
  } catch (...) {
    return {PaymentResult::kUnknown, "the provider threw", ""};
  }
  return {PaymentResult::kUnknown, "unknown operation", ""};
}

const char* EventOf(PaymentOperation op, bool succeeded) {
  switch (op) {
    case PaymentOperation::kAuthorize: return succeeded ? "PaymentAuthorized" : "PaymentDeclined";
    case PaymentOperation::kCapture: return succeeded ? "PaymentCaptured" : "PaymentCaptureDeclined";
    case PaymentOperation::kVoid: return succeeded ? "PaymentVoided" : "PaymentVoidDeclined";
    case PaymentOperation::kRefund: return succeeded ? "PaymentRefunded" : "PaymentRefundDeclined";
  }
  return "PaymentDeclined";
}

}  // namespace

PaymentService::PaymentService(EngineCore* core, PaymentOptions options)
    : core_(core), options_(std::move(options)) {}

PaymentService::~PaymentService() { Stop(); }

Status PaymentService::CheckOptions(const PaymentOptions& o) {
  if (o.provider && !ValidProviderName(o.provider->name()))
    return Status::InvalidArgument("payments.provider: name '" + Clip(o.provider->name()) +
                                   "'; expected 1..32 of a-z 0-9 '_' '-'");
  using std::chrono::milliseconds;
  if (o.abandon_after < milliseconds(100) || o.abandon_after > std::chrono::hours(24 * 30))
    return Status::InvalidArgument("payments.abandon_after must be 100 ms .. 30 days, not " +
                                   std::to_string(o.abandon_after.count()) + " ms");
  if (o.retry_initial < milliseconds(10) || o.retry_max < o.retry_initial ||
      o.retry_max > std::chrono::hours(24))
    return Status::InvalidArgument("payments.retry_initial must be at least 10 ms and retry_max "
                                   "between it and 1 day (" + std::to_string(o.retry_initial.count()) +
                                   " ms, " + std::to_string(o.retry_max.count()) + " ms)");
  if (!o.webhook_secret.empty() && (o.webhook_secret.size() < 16 || o.webhook_secret.size() > 256))
    return Status::InvalidArgument("payments.webhook_secret: " + std::to_string(o.webhook_secret.size()) +
                                   " bytes; expected 16..256 (or empty: no webhooks)");
  if (o.webhook_tolerance_s < 1 || o.webhook_tolerance_s > 3600)
    return Status::InvalidArgument("payments.webhook_tolerance_s must be 1..3600, not " +
                                   std::to_string(o.webhook_tolerance_s));
  return Status::OK();
}

void PaymentService::Start() {
  if (!enabled() || thread_.joinable()) return;
  thread_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "commerce-pay");
    Loop();
  });
}

void PaymentService::Stop() {
  stop_.store(true);
  core_->notifier.Notify();
  if (thread_.joinable()) thread_.join();
  // The rounds are over: the next process takes the consumer over at once, not after a ttl.
  if (lease_) {
    std::lock_guard<std::mutex> lock(round_mu_);
    (void)lease_->Release();
  }
}

Status PaymentService::RunOnce() {
  if (thread_.joinable() || !enabled()) return Status::OK();
  std::lock_guard<std::mutex> lock(round_mu_);
  return Round();
}

void PaymentService::Loop() {
  while (!stop_.load()) {
    const uint64_t gen = core_->notifier.generation();
    {
      std::lock_guard<std::mutex> lock(round_mu_);
      Status s = Round();
      if (!s.ok()) NoteError(s);
    }
    if (stop_.load()) break;
    auto wait = lease_ ? std::min<std::chrono::milliseconds>(kIdleWait, lease_->look_interval()) : kIdleWait;
    core_->notifier.WaitPast(gen, std::chrono::steady_clock::now() + wait);
  }
}

std::string PaymentService::last_error() const {
  std::lock_guard<std::mutex> lock(error_mu_);
  return last_error_;
}

void PaymentService::NoteError(const Status& s) {
  std::lock_guard<std::mutex> lock(error_mu_);
  last_error_ = s.ToString();
}

int64_t PaymentService::BackoffMs(uint32_t attempts) const {
  int64_t ms = options_.retry_initial.count();
  for (uint32_t i = 1; i < attempts && ms < options_.retry_max.count(); ++i) ms *= 2;
  return std::min<int64_t>(ms, options_.retry_max.count());
}

Status PaymentService::Round() {
  if (!enabled()) return Status::OK();
  if (lease_ && !lease_->Held()) return Status::OK();  // another process runs the worker
  Status first;
  // A payment's entries are asked one after another: the one behind an answered entry is
  // due in the same round (a void behind an authorization not asked), so passes repeat while
  // they answer something, a bounded number of times. A pass reads a page of the outbox from
  // where the last one stopped (wrapping at the end), so that a long outbox whose first
  // pages are all waiting out their backoff does not keep the rest from being asked.
  for (int pass = 0; pass < kPassesPerRound && !stop_.load(); ++pass) {
    const int64_t now = EngineCore::NowMs();
    std::vector<Due> due;
    bool wrapped = false;
    {
      COMMERCE_ASSIGN_OR_RETURN(auto txn, core_->storage->read());
      COMMERCE_ASSIGN_OR_RETURN(auto rows, txn->scan(core_->tables.payment_outbox, resume_, "", kOutboxScan));
      std::string last_order, first_order;
      for (const KeyValue& kv : rows) {
        KeyReader r(kv.key);
        auto order_id = r.str();
        if (!order_id) return Status::Corruption("payment_outbox: a key without an order id");
        if (first_order.empty()) first_order = *order_id;
        if (*order_id == last_order) continue;  // behind its payment's first entry
        last_order = *order_id;
        PaymentOperationEntry e;
        COMMERCE_RETURN_IF_ERROR(DecodeOperation(kv.key, kv.value, &e));
        if (e.next_attempt_ms <= now) due.push_back({*order_id, kv.key, std::move(e)});
      }
      if (rows.size() < kOutboxScan) {
        wrapped = true;
        resume_.clear();
      } else {
        // The page may end inside the last payment's entries: the next starts at that
        // payment (or past it, when the page held no other).
        resume_ = last_order == first_order ? PrefixEnd(OutboxPrefix(last_order)) : OutboxPrefix(last_order);
      }
    }
    size_t answered = 0;
    for (const Due& d : due) {
      if (stop_.load()) return first;
      bool done = false;
      Status s = Process(d, &done).WithContext("payment of order '" + d.order_id + "'");
      if (!s.ok() && first.ok()) first = s;
      answered += done;
    }
    if (answered == 0 && wrapped) break;
  }
  Status abandoned = Abandon(EngineCore::NowMs());
  return first.ok() ? abandoned : first;
}

Status PaymentService::Process(const Due& d, bool* answered) {
  std::optional<Payment> payment;
  OrderStatus order_status;
  {
    COMMERCE_ASSIGN_OR_RETURN(auto txn, core_->storage->read());
    COMMERCE_ASSIGN_OR_RETURN(payment, ReadPayment(*txn, core_->tables, d.order_id));
    COMMERCE_ASSIGN_OR_RETURN(StoredOrder order, GetStoredOrder(*txn, core_->tables, d.order_id));
    order_status = order.order.status;
  }
  if (!payment) return Status::Corruption("an outbox entry without its payment");
  const Payment& p = *payment;
  const PaymentOperationEntry& e = d.entry;
  if (e.operation == PaymentOperation::kAuthorize && order_status != OrderStatus::kPaymentPending) {
    // Cancelled (or abandoned) before it was answered: never asked now. The void behind it
    // tells the provider, in case an earlier attempt did reach it.
    *answered = true;
    return Record(d.order_id, d.key, e, nullptr, true);
  }
  if (e.operation == PaymentOperation::kRefund && e.amount_minor > p.captured_minor - p.refunded_minor) {
    // The capture before it failed or took less: never refund past what was captured.
    const PaymentOutcome refused{PaymentResult::kDeclined,
                   "refund of " + std::to_string(e.amount_minor) + " is past what was captured and not "
                   "refunded (" + std::to_string(p.captured_minor - p.refunded_minor) + ")", ""};
    *answered = true;
    return Record(d.order_id, d.key, e, &refused, true);
  }
  PaymentRequest r;
  r.operation = e.operation;
  r.payment_id = p.id;
  r.order_id = p.order_id;
  r.amount = Money{e.amount_minor, p.amount.currency};
  r.refund_id = e.refund_id;
  r.idempotency_key = ProviderKey(p.id, e.operation, e.refund_id);
  PaymentOutcome outcome = Ask(*options_.provider, r);
  *answered = outcome.result != PaymentResult::kUnknown;
  return Record(d.order_id, d.key, e, &outcome, true);
}

Status PaymentService::Record(const std::string& order_id, const std::string& key,
                              const PaymentOperationEntry& seen, const PaymentOutcome* outcome,
                              bool check_lease) {
  const int64_t now = EngineCore::NowMs();
  return core_->Write([&](WriteTxn& txn) -> Status {
    if (check_lease && lease_) COMMERCE_RETURN_IF_ERROR(lease_->Check(txn));
    std::string_view bytes;
    Status got = txn.get(core_->tables.payment_outbox, key, &bytes);
    if (got.IsNotFound()) return Status::OK();  // answered already
    COMMERCE_RETURN_IF_ERROR(got);
    PaymentOperationEntry stored;
    COMMERCE_RETURN_IF_ERROR(DecodeOperation(key, bytes, &stored));
    if (stored.attempts != seen.attempts) return Status::OK();  // answered since it was read
    return RecordInTxn(txn, order_id, key, stored, outcome, now);
  });
}

Status PaymentService::RecordInTxn(WriteTxn& txn, const std::string& order_id, const std::string& key,
                                   const PaymentOperationEntry& entry, const PaymentOutcome* asked,
                                   int64_t now) {
  const Tables& t = core_->tables;
  COMMERCE_ASSIGN_OR_RETURN(std::optional<Payment> found, ReadPayment(txn, t, order_id));
  if (!found) return Status::Corruption("payment_outbox: an entry of order '" + order_id + "' without its payment");
  Payment& p = *found;
  if (asked == nullptr) {
    // Not asked (Process): the entry goes; the payment stays as it is for the void behind it.
    COMMERCE_RETURN_IF_ERROR(txn.del(t.payment_outbox, key));
    p.pending_operations -= p.pending_operations > 0 ? 1 : 0;
    return PutPaymentInTxn(txn, t, p, now);
  }
  const PaymentOutcome& outcome = *asked;
  const std::string reason = Clip(outcome.reason);
  if (outcome.result == PaymentResult::kUnknown) {
    PaymentOperationEntry next = entry;
    next.attempts += 1;
    next.next_attempt_ms = now + BackoffMs(next.attempts);
    next.last_error = reason;
    COMMERCE_RETURN_IF_ERROR(txn.put(t.payment_outbox, key, EncodeOperation(next)));
    p.last_error = reason.empty() ? "no answer" : reason;
    return PutPaymentInTxn(txn, t, p, now);
  }
  COMMERCE_RETURN_IF_ERROR(txn.del(t.payment_outbox, key));
  p.pending_operations -= p.pending_operations > 0 ? 1 : 0;
  p.last_error.clear();
  const bool ok = outcome.result == PaymentResult::kSucceeded;
  if (ok && !outcome.reference.empty()) p.reference = Clip(outcome.reference);
  if (!ok) p.reason = reason;
  const std::string pkey = ProviderKey(p.id, entry.operation, entry.refund_id);

  if (entry.operation == PaymentOperation::kAuthorize) {
    COMMERCE_ASSIGN_OR_RETURN(StoredOrder order, GetStoredOrder(txn, t, order_id));
    if (p.status == PaymentStatus::kPending) {
      p.status = ok ? PaymentStatus::kAuthorized : PaymentStatus::kDeclined;
      if (ok) p.authorized_minor = entry.amount_minor;
    }
    COMMERCE_RETURN_IF_ERROR(PutPaymentInTxn(txn, t, p, now));
    COMMERCE_RETURN_IF_ERROR(
        AppendPaymentEvent(txn, t, EventOf(entry.operation, ok), p, entry.operation, pkey, entry.amount_minor, reason, now));
    // The order follows only while it waits: one cancelled meanwhile has its void queued.
    if (order.order.status != OrderStatus::kPaymentPending) return Status::OK();
    TransitionOptions o;
    o.note = ok ? "payment authorized" : Clip("payment declined: " + reason);
    Order out;
    return TransitionInTxn(txn, t, order_id, ok ? OrderStatus::kPaid : OrderStatus::kPaymentDeclined, o,
                           now, &out, TransitionBy::kPayments);
  }
  switch (entry.operation) {
    case PaymentOperation::kCapture:
      if (ok) {
        p.status = PaymentStatus::kCaptured;
        p.captured_minor = entry.amount_minor;
      } else {
        p.status = PaymentStatus::kFailed;
      }
      break;
    case PaymentOperation::kVoid:
      if (ok && (p.status == PaymentStatus::kPending || p.status == PaymentStatus::kAuthorized))
        p.status = PaymentStatus::kVoided;
      break;
    case PaymentOperation::kRefund: {
      p.refund_pending_minor = std::max<int64_t>(0, p.refund_pending_minor - entry.amount_minor);
      for (auto& r : p.refunds)
        if (r.id == entry.refund_id) {
          r.status = ok ? RefundStatus::kSucceeded : RefundStatus::kDeclined;
          r.reason = ok ? "" : reason;
        }
      if (ok) {
        p.refunded_minor += entry.amount_minor;
        if (p.refunded_minor >= p.captured_minor) p.status = PaymentStatus::kRefunded;
      }
      break;
    }
    case PaymentOperation::kAuthorize: break;  // above
  }
  COMMERCE_RETURN_IF_ERROR(PutPaymentInTxn(txn, t, p, now));
  return AppendPaymentEvent(txn, t, EventOf(entry.operation, ok), p, entry.operation, pkey,
                            entry.amount_minor, reason, now);
}

Status PaymentService::Abandon(int64_t now) {
  const int64_t cutoff = now - options_.abandon_after.count();
  std::vector<Order> pending;
  {
    COMMERCE_ASSIGN_OR_RETURN(auto txn, core_->storage->read());
    COMMERCE_ASSIGN_OR_RETURN(auto page, ListStatusOrders(*txn, core_->tables, OrderStatus::kPaymentPending,
                                                          "", kAbandonScan));
    pending = std::move(page.items);
  }
  const std::string note = "payment not authorized within " +
                           std::to_string(options_.abandon_after.count() / 1000.0).substr(0, 8) + " s";
  for (const Order& o : pending) {
    // Oldest first (placement order): the first one young enough ends the walk; one placed
    // a moment before it is abandoned in a later round.
    if (o.created_at_ms > cutoff || stop_.load()) break;
    Status s = core_->Write([&](WriteTxn& txn) -> Status {
      if (lease_) COMMERCE_RETURN_IF_ERROR(lease_->Check(txn));
      TransitionOptions opts;
      opts.note = note;
      Order out;
      COMMERCE_RETURN_IF_ERROR(TransitionInTxn(txn, core_->tables, o.id, OrderStatus::kCancelled, opts, now,
                                               &out, TransitionBy::kPayments));
      COMMERCE_ASSIGN_OR_RETURN(std::optional<Payment> p, ReadPayment(txn, core_->tables, o.id));
      if (!p) return Status::OK();
      return AppendPaymentEvent(txn, core_->tables, "PaymentAbandoned", *p, PaymentOperation::kAuthorize,
                                ProviderKey(p->id, PaymentOperation::kAuthorize, ""), p->amount.minor, note, now);
    });
    // Moved meanwhile (authorized, declined, cancelled by its buyer): nothing to abandon.
    if (!s.ok() && !s.IsFailedPrecondition()) return s.WithContext("abandoning order '" + o.id + "'");
  }
  return Status::OK();
}

Result<Payment> PaymentService::Get(std::string_view order_id) {
  COMMERCE_RETURN_IF_ERROR(CheckIdentifier("order_id", order_id, 64));
  COMMERCE_ASSIGN_OR_RETURN(auto txn, core_->storage->read());
  COMMERCE_ASSIGN_OR_RETURN(std::optional<Payment> p, ReadPayment(*txn, core_->tables, order_id));
  if (p) return std::move(*p);
  COMMERCE_RETURN_IF_ERROR(GetStoredOrder(*txn, core_->tables, order_id).status());
  return Status::NotFound("order '" + std::string(order_id) + "' has no payment (placed without payments)");
}

Result<Payment> PaymentService::Refund(std::string_view order_id, std::string_view refund_id,
                                       int64_t amount_minor) {
  COMMERCE_RETURN_IF_ERROR(CheckIdentifier("order_id", order_id, 64));
  COMMERCE_RETURN_IF_ERROR(CheckRefundId(refund_id));
  if (amount_minor <= 0 || amount_minor > kMaxMoneyMinor)
    return Status::InvalidArgument("amount_minor: " + std::to_string(amount_minor) + "; expected 1.." +
                                   std::to_string(kMaxMoneyMinor));
  if (!enabled()) return Status::FailedPrecondition("payments are off: no provider in EngineOptions::payments");
  const int64_t now = EngineCore::NowMs();
  Payment out;
  COMMERCE_RETURN_IF_ERROR(core_->Write([&](WriteTxn& txn) -> Status {
    const Tables& t = core_->tables;
    COMMERCE_ASSIGN_OR_RETURN(std::optional<Payment> found, ReadPayment(txn, t, order_id));
    if (!found) {
      COMMERCE_RETURN_IF_ERROR(GetStoredOrder(txn, t, order_id).status());
      return Status::NotFound("order '" + std::string(order_id) + "' has no payment (placed without payments)");
    }
    COMMERCE_RETURN_IF_ERROR(RefundPaymentInTxn(txn, t, *found, refund_id, amount_minor, now));
    out = std::move(*found);
    return Status::OK();
  }));
  return out;
}

Status PaymentService::HandleWebhook(std::string_view provider, std::string_view signature,
                                     std::string_view body, bool* duplicate) {
  if (duplicate) *duplicate = false;
  if (!enabled()) return Status::FailedPrecondition("payments are off: no provider in EngineOptions::payments");
  if (provider != options_.provider->name())
    return Status::NotFound("no payment provider '" + Clip(provider) + "'");
  if (options_.webhook_secret.empty())
    return Status::FailedPrecondition("payments.webhook_secret is not set: provider webhooks are refused");
  COMMERCE_RETURN_IF_ERROR(
      VerifyWebhookSignature(options_.webhook_secret, signature, body, options_.webhook_tolerance_s));
  rapidjson::Document d;
  d.Parse(body.data(), body.size());
  if (d.HasParseError() || !d.IsObject()) return Status::InvalidArgument("body: not a JSON object");
  auto str = [&](const char* name, bool required, std::string* out) -> Status {
    auto it = d.FindMember(name);
    if (it == d.MemberEnd()) {
      if (required) return Status::InvalidArgument(std::string("body: '") + name + "' is missing");
      return Status::OK();
    }
    if (!it->value.IsString()) return Status::InvalidArgument(std::string("body: '") + name + "' is not a string");
    out->assign(it->value.GetString(), it->value.GetStringLength());
    return Status::OK();
  };
  std::string id, key, result, reason, reference;
  COMMERCE_RETURN_IF_ERROR(str("id", true, &id));
  COMMERCE_RETURN_IF_ERROR(str("idempotency_key", true, &key));
  COMMERCE_RETURN_IF_ERROR(str("result", true, &result));
  COMMERCE_RETURN_IF_ERROR(str("reason", false, &reason));
  COMMERCE_RETURN_IF_ERROR(str("reference", false, &reference));
  COMMERCE_RETURN_IF_ERROR(CheckIdentifier("body: id", id, 128));
  PaymentOutcome outcome;
  if (result == "succeeded") outcome.result = PaymentResult::kSucceeded;
  else if (result == "declined") outcome.result = PaymentResult::kDeclined;
  else return Status::InvalidArgument("body: result '" + Clip(result) + "'; expected succeeded or declined");
  outcome.reason = reason;
  outcome.reference = reference;
  const size_t colon = key.find(':');
  auto order_id = OrderIdOfPayment(std::string_view(key).substr(0, colon));
  if (colon == std::string::npos || !order_id)
    return Status::InvalidArgument("body: idempotency_key '" + Clip(key) + "' is not one of this engine's");
  const int64_t now = EngineCore::NowMs();
  bool seen = false;
  COMMERCE_RETURN_IF_ERROR(core_->Write([&](WriteTxn& txn) -> Status {
    seen = false;
    const Tables& t = core_->tables;
    const std::string event_key = PaymentWebhookKey(provider, id);
    std::string_view unused;
    Status had = txn.get(t.payment_webhooks, event_key, &unused);
    if (had.ok()) {
      seen = true;
      return Status::OK();
    }
    if (!had.IsNotFound()) return had;
    COMMERCE_RETURN_IF_ERROR(txn.put(t.payment_webhooks, event_key, KeyBuilder().u64(now).key()));
    COMMERCE_ASSIGN_OR_RETURN(std::optional<Payment> p, ReadPayment(txn, t, *order_id));
    if (!p) return Status::OK();  // not a payment of this store: recorded as seen, nothing more
    const std::string prefix = OutboxPrefix(*order_id);
    COMMERCE_ASSIGN_OR_RETURN(auto rows, txn.scan(t.payment_outbox, prefix, PrefixEnd(prefix), 0));
    for (const KeyValue& kv : rows) {
      PaymentOperationEntry e;
      COMMERCE_RETURN_IF_ERROR(DecodeOperation(kv.key, kv.value, &e));
      if (ProviderKey(p->id, e.operation, e.refund_id) != key) continue;
      return RecordInTxn(txn, *order_id, kv.key, e, &outcome, now);
    }
    return Status::OK();  // answered already (by the call, or an earlier event)
  }));
  if (duplicate) *duplicate = seen;
  return Status::OK();
}

}  // namespace commerce
