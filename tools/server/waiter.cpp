#include "waiter.h"

#include <uv.h>

#include <chrono>

#include "commerce/engine.h"

namespace commerce::server {

struct Waiter::Handles {
  uv_async_t async{};
  uv_timer_t timer{};
  int open = 0;  // handles not yet closed
};

namespace {
int64_t LoopMs(uv_loop_t* loop) { return static_cast<int64_t>(uv_now(loop)); }
}  // namespace

Waiter::Waiter(uv_loop_t* loop, Engine* engine)
    : loop_(loop), engine_(engine), handles_(std::make_unique<Handles>()) {
  uv_async_init(loop_, &handles_->async, [](uv_async_t* a) { static_cast<Waiter*>(a->data)->OnAsync(); });
  handles_->async.data = this;
  uv_timer_init(loop_, &handles_->timer);
  handles_->timer.data = this;
  handles_->open = 2;
}

Waiter::~Waiter() {
  // Close() and a uv_run after it have released the handles; the callbacks still parked
  // (none after Stop()) are dropped with the maps.
}

void Waiter::Close() {
  {
    std::lock_guard<std::mutex> lock(post_mu_);
    if (closed_) return;
    closed_ = true;
    posted_.clear();
  }
  uv_timer_stop(&handles_->timer);
  uv_close(reinterpret_cast<uv_handle_t*>(&handles_->async), nullptr);
  uv_close(reinterpret_cast<uv_handle_t*>(&handles_->timer), nullptr);
}

Waiter::Id Waiter::Wait(WaitClock clock, uint64_t seq, int64_t timeout_ms, Callback cb) {
  const Id id = ++next_id_;
  const int64_t deadline = LoopMs(loop_) + std::max<int64_t>(0, timeout_ms);
  Entry e{clock, seq, deadline, std::move(cb), {}, {}};
  e.by_seq = Queue(clock).emplace(seq, id);
  e.by_deadline = deadlines_.emplace(deadline, id);
  waits_.emplace(id, std::move(e));
  uint64_t log_seq = 0;
  if (stopped_ || timeout_ms <= 0 || Reached(clock, seq, &log_seq)) {
    // Due already: run on the next turn, so that the caller never sees its callback run
    // inside Wait().
    due_now_.push_back(id);
    uv_async_send(&handles_->async);
  } else {
    ArmTimer();
  }
  return id;
}

bool Waiter::Cancel(Id id) {
  auto it = waits_.find(id);
  if (it == waits_.end()) return false;
  Queue(it->second.clock).erase(it->second.by_seq);
  deadlines_.erase(it->second.by_deadline);
  waits_.erase(it);
  ArmTimer();
  return true;
}

void Waiter::Stop() {
  stopped_ = true;
  std::vector<Id> all;
  for (const auto& [id, e] : waits_) all.push_back(id);
  for (Id id : all) Fire(id, WaitOutcome::kStopped);
}

void Waiter::Wake() {
  // The engine's listener may call this until the server removes it, which is after the
  // loops have closed their handles: a closed handle is never sent to.
  std::lock_guard<std::mutex> lock(post_mu_);
  if (!closed_) uv_async_send(&handles_->async);
}

void Waiter::Post(std::function<void()> fn) {
  std::lock_guard<std::mutex> lock(post_mu_);
  if (closed_) return;
  posted_.push_back(std::move(fn));
  uv_async_send(&handles_->async);
}

void Waiter::OnAsync() {
  std::vector<std::function<void()>> posted;
  {
    std::lock_guard<std::mutex> lock(post_mu_);
    posted.swap(posted_);
  }
  for (auto& fn : posted) fn();
  RunDue();
}

void Waiter::OnTimer() { RunDue(); }

bool Waiter::Reached(WaitClock clock, uint64_t seq, uint64_t* log_seq) {
  if (clock == WaitClock::kEventLog) {
    if (*log_seq == 0) {
      auto last = engine_->events().last_seq();
      if (!last.ok()) return true;  // the handler runs again and reports the error
      *log_seq = *last;
    }
    return *log_seq >= seq;
  }
  // A zero timeout only looks: the search index's published sequence against seq.
  return engine_->search().wait_for(seq, std::chrono::milliseconds(0)).ok();
}

void Waiter::RunDue() {
  std::vector<std::pair<Id, WaitOutcome>> due;
  for (Id id : due_now_) {
    auto it = waits_.find(id);
    if (it == waits_.end()) continue;
    uint64_t unused = 0;
    const bool reached = !stopped_ && Reached(it->second.clock, it->second.seq, &unused);
    due.emplace_back(id, stopped_ ? WaitOutcome::kStopped
                                  : reached ? WaitOutcome::kReached : WaitOutcome::kTimedOut);
  }
  due_now_.clear();
  // Each clock read once per turn; a queue is in sequence order, so the first wait not
  // reached ends its scan.
  uint64_t log_seq = 0;
  for (WaitClock clock : {WaitClock::kEventLog, WaitClock::kSearchIndex}) {
    for (const auto& [seq, id] : Queue(clock)) {
      if (!Reached(clock, seq, &log_seq)) break;
      due.emplace_back(id, WaitOutcome::kReached);
    }
  }
  const int64_t now = LoopMs(loop_);
  for (auto it = deadlines_.begin(); it != deadlines_.end() && it->first <= now; ++it)
    due.emplace_back(it->second, WaitOutcome::kTimedOut);
  for (const auto& [id, outcome] : due) Fire(id, outcome);  // a repeated id finds nothing
  ArmTimer();
}

void Waiter::Fire(Id id, WaitOutcome outcome) {
  auto it = waits_.find(id);
  if (it == waits_.end()) return;
  Callback cb = std::move(it->second.cb);
  Queue(it->second.clock).erase(it->second.by_seq);
  deadlines_.erase(it->second.by_deadline);
  waits_.erase(it);
  cb(outcome);
}

void Waiter::ArmTimer() {
  uv_timer_stop(&handles_->timer);
  if (deadlines_.empty()) return;
  const int64_t wait = std::max<int64_t>(0, deadlines_.begin()->first - LoopMs(loop_));
  uv_timer_start(&handles_->timer, [](uv_timer_t* t) { static_cast<Waiter*>(t->data)->OnTimer(); },
                 static_cast<uint64_t>(wait), 0);
}

}  // namespace commerce::server
