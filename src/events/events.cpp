#include "commerce/events.h"

#include <algorithm>

#include "common/key.h"
#include "common/utf8.h"
#include "engine/engine_core.h"
#include "events/event_log.h"

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

Result<std::vector<Event>> Events::tail(uint64_t from, size_t limit) {
  if (limit < 1 || limit > 10'000)
    return Status::InvalidArgument("limit must be 1..10000, got " + std::to_string(limit));
  COMMERCE_ASSIGN_OR_RETURN(auto txn, core_->storage->read());
  COMMERCE_ASSIGN_OR_RETURN(auto rows, txn->scan(core_->tables.events, KeyBuilder().u64(from).key(), "", limit));
  std::vector<Event> out(rows.size());
  for (size_t i = 0; i < rows.size(); ++i)
    COMMERCE_RETURN_IF_ERROR(DecodeEvent(rows[i].key, rows[i].value, &out[i]));
  return out;
}

Result<uint64_t> Events::last_seq() {
  COMMERCE_ASSIGN_OR_RETURN(auto txn, core_->storage->read());
  return LastEventSeq(*txn, core_->tables.events);
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
    return txn.put(t.meta, key, KeyBuilder().u64(seq).key());
  }, options);
}

}  // namespace commerce
