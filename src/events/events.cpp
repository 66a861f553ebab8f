#include "commerce/events.h"

#include <algorithm>
#include <set>

#include "common/key.h"
#include "common/utf8.h"
#include "engine/engine_core.h"
#include "events/event_log.h"
#include "webhooks/webhook_store.h"

namespace commerce {

namespace {
constexpr auto kSharedStorePoll = std::chrono::milliseconds(100);

Status CheckConsumer(std::string_view name) {
  bool ok = !name.empty() && name.size() <= 64;
  for (char c : name)
    ok = ok && ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-');
  if (!ok)  // quoted only when it is text that can be shown
    return Status::InvalidArgument(
        "consumer name " + (IsValidUtf8(name) && name.size() <= 64 ? "'" + std::string(name) + "' " : "") +
        "must be 1..64 of [a-z0-9_.-]");
  return Status::OK();
}
}  // namespace

std::string ConsumerCursorKey(std::string_view name) { return KeyBuilder().str("cursor").str(name).key(); }
std::string ConsumerCursorPrefix() { return KeyBuilder().str("cursor").key(); }

namespace {
// The highest sequence every durable consumer has passed, and which consumer that is: the
// lowest of the cursors in the meta table and of the webhook subscriptions' cursors, read in
// the trimming transaction so that a cursor written meanwhile (even moved back) is respected.
struct ConsumerFloor {
  uint64_t seq = UINT64_MAX;
  std::string name;
  void Hold(uint64_t s, std::string n) {
    if (s < seq) seq = s, name = std::move(n);
  }
};

// `registered`: consumers that count even before their first cursor write (at 0).
Status ReadConsumerFloor(ReadView& txn, const Tables& t, const std::vector<std::string>& registered,
                         ConsumerFloor* floor) {
  const std::string prefix = ConsumerCursorPrefix();
  COMMERCE_ASSIGN_OR_RETURN(auto cursors, txn.scan(t.meta, prefix, PrefixEnd(prefix), 0));
  std::set<std::string> seen;
  for (const auto& row : cursors) {
    KeyReader k(row.key);
    (void)k.str();
    auto name = k.str();
    auto seq = KeyReader(row.value).u64();
    if (!name || !seq)
      return Status::Corruption("a consumer cursor in the meta table does not decode");
    floor->Hold(*seq, "cursor:" + *name);
    seen.insert(*name);
  }
  for (const auto& name : registered)
    if (!seen.count(name)) floor->Hold(0, "cursor:" + name);
  COMMERCE_ASSIGN_OR_RETURN(auto states, txn.scan(t.webhook_state, "", "", 0));
  for (const auto& row : states) {
    WebhookState st;
    COMMERCE_RETURN_IF_ERROR(DecodeWebhookState(row.key, row.value, &st));
    floor->Hold(st.cursor, "webhook:" + KeyReader(row.key).str().value_or("?"));
  }
  return Status::OK();
}
}  // namespace

Result<std::vector<Event>> Events::tail(uint64_t from, size_t limit) {
  if (limit < 1 || limit > 10'000)
    return Status::InvalidArgument("limit must be 1..10000, got " + std::to_string(limit));
  COMMERCE_ASSIGN_OR_RETURN(auto txn, core_->storage->read());
  COMMERCE_ASSIGN_OR_RETURN(auto rows, txn->scan(core_->tables.events, KeyBuilder().u64(from).key(), "", limit));
  // Above the horizon the log has no gaps: a first event after `from` means `from` was trimmed.
  if (!rows.empty() && KeyReader(rows[0].key).u64() != std::max<uint64_t>(from, 1))
    COMMERCE_RETURN_IF_ERROR(CheckNotTrimmed(*txn, core_->tables.events, from, "tail"));
  std::vector<Event> out(rows.size());
  for (size_t i = 0; i < rows.size(); ++i)
    COMMERCE_RETURN_IF_ERROR(DecodeEvent(rows[i].key, rows[i].value, &out[i]));
  return out;
}

Result<uint64_t> Events::last_seq() {
  COMMERCE_ASSIGN_OR_RETURN(auto txn, core_->storage->read());
  return LastEventSeq(*txn, core_->tables.events);
}

Result<uint64_t> Events::first_seq() {
  COMMERCE_ASSIGN_OR_RETURN(auto txn, core_->storage->read());
  return FirstEventSeq(*txn, core_->tables.events);
}

Result<EventTrimReport> Events::trim(const EventRetention& policy) {
  if (policy.max_age.count() < 0)
    return Status::InvalidArgument("max_age must not be negative, got " +
                                   std::to_string(policy.max_age.count()) + " ms");
  if (policy.max_age.count() == 0 && policy.max_count == 0)
    return Status::InvalidArgument("trim needs max_age or max_count (both 0 keeps every event)");
  // An event older than this (wall clock, as its time_ms) may go; fixed for the whole trim.
  const int64_t cutoff_ms = policy.max_age.count() > 0
                                ? EngineCore::NowMs() - policy.max_age.count()
                                : INT64_MIN;
  const Tables& t = core_->tables;
  EventTrimReport report;
  for (;;) {
    uint64_t removed = 0;
    bool more = false;
    std::string held_by;
    // Each batch is a write of its own, with the consumers' cursors read inside it.
    Status s = core_->storage->write([&](WriteTxn& txn) -> Status {
      removed = 0, more = false, held_by.clear();
      COMMERCE_ASSIGN_OR_RETURN(uint64_t last, LastEventSeq(txn, t.events));
      if (last == 0) return Status::OK();
      ConsumerFloor floor;
      COMMERCE_RETURN_IF_ERROR(ReadConsumerFloor(txn, t, registered_, &floor));
      if (index_seq_) floor.Hold(index_seq_(), "search-index");
      COMMERCE_ASSIGN_OR_RETURN(auto rows, txn.scan(t.events, "", "", kTrimBatch + 1));
      std::vector<std::string> doomed;
      for (const auto& row : rows) {
        Event e;
        COMMERCE_RETURN_IF_ERROR(DecodeEvent(row.key, row.value, &e));
        const bool allowed = (e.time_ms < cutoff_ms) ||
                             (policy.max_count > 0 && last - e.seq >= policy.max_count);
        if (!allowed || e.seq >= last) break;  // the limits, or the newest event: kept
        if (e.seq > floor.seq) {
          held_by = floor.name;  // the limits would let it go; a consumer has not passed it
          break;
        }
        if (doomed.size() == kTrimBatch) {
          more = true;
          break;
        }
        doomed.push_back(row.key);
      }
      for (const auto& key : doomed) COMMERCE_RETURN_IF_ERROR(txn.del(t.events, key));
      removed = doomed.size();
      return Status::OK();
    }, WriteOptions{.sync = false});
    COMMERCE_RETURN_IF_ERROR(s);
    report.removed += removed;
    report.held_by = held_by;
    if (!more) break;
  }
  // The batches were not synced one by one; a trim lost to a crash only keeps events longer.
  if (report.removed > 0) COMMERCE_RETURN_IF_ERROR(core_->storage->sync());
  COMMERCE_ASSIGN_OR_RETURN(auto txn, core_->storage->read());
  COMMERCE_ASSIGN_OR_RETURN(report.first_seq, FirstEventSeq(*txn, t.events));
  COMMERCE_ASSIGN_OR_RETURN(report.last_seq, LastEventSeq(*txn, t.events));
  return report;
}

Result<uint64_t> Events::wait(uint64_t after, std::chrono::milliseconds timeout) {
  if (timeout.count() < 0) return Status::InvalidArgument("timeout must not be negative");
  // Clamped so that now + timeout cannot overflow (milliseconds::max() means "a long time").
  timeout = std::min<std::chrono::milliseconds>(timeout, std::chrono::hours(24 * 365));
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    // Read the generation before the log, so a commit between the two wakes us.
    uint64_t gen = core_->notifier.generation();
    COMMERCE_ASSIGN_OR_RETURN(uint64_t last, last_seq());
    if (last > after || std::chrono::steady_clock::now() >= deadline) return last;
    // The notifier hears this process's commits only: on a store that other processes share,
    // look at the log again every kSharedStorePoll as well.
    auto until = deadline;
    if (core_->storage->capabilities() & kRemote)
      until = std::min(deadline, std::chrono::steady_clock::now() + kSharedStorePoll);
    core_->notifier.WaitPast(gen, until);
  }
}

uint64_t Events::add_listener(std::function<void()> on_change) {
  return core_->notifier.AddListener(std::move(on_change));
}

void Events::remove_listener(uint64_t id) { core_->notifier.RemoveListener(id); }

Result<uint64_t> Events::cursor(std::string_view consumer) {
  COMMERCE_RETURN_IF_ERROR(CheckConsumer(consumer));
  COMMERCE_ASSIGN_OR_RETURN(auto txn, core_->storage->read());
  std::string_view v;
  Status s = txn->get(core_->tables.meta, ConsumerCursorKey(consumer), &v);
  if (s.IsNotFound()) return uint64_t{0};
  COMMERCE_RETURN_IF_ERROR(s);
  auto seq = KeyReader(v).u64();
  if (!seq) return Status::Corruption("cursor of consumer '" + std::string(consumer) + "' does not decode");
  return *seq;
}

Status Events::set_cursor(std::string_view consumer, uint64_t seq, WriteOptions options) {
  COMMERCE_RETURN_IF_ERROR(CheckConsumer(consumer));
  std::string key = ConsumerCursorKey(consumer);
  const Tables& t = core_->tables;
  return core_->storage->write([&](WriteTxn& txn) -> Status {
    COMMERCE_ASSIGN_OR_RETURN(uint64_t last, LastEventSeq(txn, t.events));
    if (seq > last)
      return Status::InvalidArgument("cursor " + std::to_string(seq) +
                                     " is past the newest event " + std::to_string(last));
    // A cursor below the horizon would make the consumer's next tail fail.
    COMMERCE_RETURN_IF_ERROR(CheckNotTrimmed(txn, t.events, seq + 1,
                                             "cursor of consumer '" + std::string(consumer) + "'"));
    return txn.put(t.meta, key, KeyBuilder().u64(seq).key());
  }, options);
}

}  // namespace commerce
