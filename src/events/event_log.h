// Appending to and reading the event log inside transactions. An event is written by the
// same mutation as the change it records (see events.h for the guarantees).
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <string_view>

#include "commerce/events.h"
#include "commerce/storage.h"

namespace commerce {

// Appends an event with the next sequence number (WriteTxn::append: gapless because the
// writer is single and a rolled-back mutation takes its event with it). Returns the sequence.
Result<uint64_t> AppendEvent(WriteTxn& txn, Table events, std::string_view type,
                             std::string_view subject, std::string data, int64_t time_ms);

// Adds the event to `changes`: the writer gives it the next sequence as the set is applied
// (ApplyResult::seqs), with no read of the log by the caller.
void AppendEvent(ChangeSet& changes, Table events, std::string_view type,
                 std::string_view subject, std::string data, int64_t time_ms);

// The newest sequence visible to `view`; 0 for an empty log.
Result<uint64_t> LastEventSeq(ReadView& view, Table events);

// The oldest sequence visible to `view`: the horizon (Events::first_seq). 1 for an empty log,
// which only a store that never had an event has (trimming keeps the newest event).
Result<uint64_t> FirstEventSeq(ReadView& view, Table events);

// Gone, naming the horizon, when the events from `from` on cannot be read whole because the
// oldest of them were trimmed (from < FirstEventSeq; from 0 counts as 1). `what` says who
// asked ("consumer 'nats'", "webhook 'w1'"); it leads the message.
Status CheckNotTrimmed(ReadView& view, Table events, uint64_t from, std::string_view what);

// The meta table's key of a consumer's durable cursor (Events::cursor, set_cursor), and the
// prefix every such key starts with.
std::string ConsumerCursorKey(std::string_view consumer);
std::string ConsumerCursorPrefix();

Status DecodeEvent(std::string_view key, std::string_view value, Event* out);

// Wakes Events::wait() callers after commits. Engines call Notify() after a write that
// appended events has been acknowledged.
//
// Listeners (Events::add_listener) are called by Notify() and by NotifyListeners() — the
// latter without waking WaitPast(), for changes that are not new events (the search index
// publishing).
class EventNotifier {
 public:
  void Notify() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      ++generation_;
      cv_.notify_all();
    }
    NotifyListeners();
  }
  void NotifyListeners() {
    std::lock_guard<std::mutex> lock(listeners_mu_);
    for (const auto& [id, fn] : listeners_) fn();
  }
  uint64_t AddListener(std::function<void()> fn) {
    std::lock_guard<std::mutex> lock(listeners_mu_);
    listeners_.emplace(++last_listener_, std::move(fn));
    return last_listener_;
  }
  void RemoveListener(uint64_t id) {
    std::lock_guard<std::mutex> lock(listeners_mu_);
    listeners_.erase(id);
  }
  uint64_t generation() {
    std::lock_guard<std::mutex> lock(mu_);
    return generation_;
  }
  // Waits until the generation moves past `seen` or the deadline passes.
  template <typename Clock, typename Dur>
  void WaitPast(uint64_t seen, std::chrono::time_point<Clock, Dur> deadline) {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait_until(lock, deadline, [&] { return generation_ != seen; });
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  uint64_t generation_ = 0;  // GUARDED_BY(mu_)
  // Held while listeners run, so that RemoveListener() waits out a call in progress.
  std::mutex listeners_mu_;
  std::map<uint64_t, std::function<void()>> listeners_;  // GUARDED_BY(listeners_mu_)
  uint64_t last_listener_ = 0;                            // GUARDED_BY(listeners_mu_)
};

}  // namespace commerce
