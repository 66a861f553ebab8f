#include "storage/group_writer.h"

#include <pthread.h>

#include <chrono>
#include <future>
#include <memory>
#include <vector>

namespace commerce {

GroupWriter::GroupWriter(GroupBackend* backend, size_t max_group_size, int max_group_wait_us,
                         int idle_tick_ms, size_t lanes)
    : backend_(backend),
      max_group_size_(max_group_size == 0 ? 1 : max_group_size),
      max_group_wait_us_(max_group_wait_us),
      idle_tick_ms_(idle_tick_ms),
      lanes_(lanes == 0 ? 1 : lanes),
      lane_state_(new LaneState[lanes_]) {
  threads_.reserve(lanes_);
  for (size_t lane = 0; lane < lanes_; ++lane)
    threads_.emplace_back([this, lane] {
      // Named so that a profile (perf report --sort comm) tells the writers from their callers.
      pthread_setname_np(pthread_self(), "commerce-writer");
      loop(lane);
    });
}

GroupWriter::~GroupWriter() { stop(); }

void GroupWriter::write_async(Mutation m, WriteOptions o, std::function<void(Status)> done) {
  Status refused;
  size_t wake = lanes_;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!failure_.ok()) {
      refused = failure_;
    } else if (stopping_) {
      refused = Status::FailedPrecondition("storage is closed: reopen it to write");
    } else {
      queue_.push_back(Item{new PendingWrite{std::move(m), o.sync, std::move(done), Status::OK()}, {}});
      wake = idle_lane_locked();
    }
  }
  if (refused.ok()) {
    // After unlocking, so that the writer does not wake into a held lock (Waiter says more).
    // No lane idle: a busy one looks at the queue again when its group is done.
    if (wake < lanes_) lane_state_[wake].cv.notify_one();
    return;
  }
  if (done) done(refused);
}

void GroupWriter::fail(Status cause) {
  std::lock_guard<std::mutex> lock(mu_);
  if (failure_.ok() && !cause.ok()) failure_ = std::move(cause);
}

Status GroupWriter::failure() const {
  std::lock_guard<std::mutex> lock(mu_);
  return failure_;
}

namespace {
// A one-shot wait for one caller of write() or run(), set by the writer thread.
//
// set() signals after unlocking: a waiter woken while the writer still holds the lock blocks
// on it at once and needs a second wake from the unlock — two futex calls per write instead
// of one, and the waiters convoy on the writer. Answering callers that way was a third of the
// writer's samples at 64 callers (docs/storage.md, "Where a write's time goes"). Signalling
// after the unlock lets the waiter return (and end) before notify_one runs, so the Waiter is
// shared: the writer's callback holds it until the signal is sent.
struct Waiter {
  std::mutex mu;
  std::condition_variable cv;
  bool ready = false;
  Status status;
  void set(Status s) {
    {
      std::lock_guard<std::mutex> lock(mu);
      status = std::move(s);
      ready = true;
    }
    cv.notify_one();
  }
  Status wait() {
    std::unique_lock<std::mutex> lock(mu);
    cv.wait(lock, [this] { return ready; });
    return std::move(status);
  }
};
}  // namespace

Status GroupWriter::write(Mutation m, WriteOptions o) {
  auto waiter = std::make_shared<Waiter>();
  write_async(std::move(m), o, [waiter](Status s) { waiter->set(std::move(s)); });
  return waiter->wait();
}

Status GroupWriter::run(std::function<Status()> task) {
  auto waiter = std::make_shared<Waiter>();
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!failure_.ok()) return failure_;
    if (stopping_) return Status::FailedPrecondition("storage is closed: reopen it to write");
    // `task` lives on the caller's stack until wait() returns, which is after it ran.
    queue_.push_back(Item{nullptr, [this, waiter, &task] {
      Status failed = failure();  // the store may have failed while the task waited
      waiter->set(failed.ok() ? task() : failed);
    }});
    const size_t wake = idle_lane_locked();
    if (wake < lanes_) lane_state_[wake].cv.notify_one();
  }
  return waiter->wait();
}

void GroupWriter::stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  for (size_t lane = 0; lane < lanes_; ++lane) lane_state_[lane].cv.notify_all();
  for (std::thread& t : threads_)
    if (t.joinable()) t.join();
}

GroupWriterStats GroupWriter::stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  return stats_;
}

size_t GroupWriter::idle_lane_locked() const {
  for (size_t lane = 0; lane < lanes_; ++lane)
    if (!lane_state_[lane].busy) return lane;
  return lanes_;
}

void GroupWriter::set_busy_locked(size_t lane, bool busy) {
  lane_state_[lane].busy = busy;
  if (busy) ++busy_;
  else --busy_;
  // A group waiting to run alone waits for the others to end.
  if (!busy && alone_)
    for (size_t other = 0; other < lanes_; ++other)
      if (other != lane) lane_state_[other].cv.notify_one();
}

void GroupWriter::loop(size_t lane) {
  std::vector<PendingWrite*> group;
  group.reserve(max_group_size_);
  LaneState& me = lane_state_[lane];
  auto last_idle = std::chrono::steady_clock::now();
  // Lane 0 does the driver's upkeep (on_idle), between its own groups, counted busy meanwhile
  // so that no task runs beside it.
  auto upkeep_due = [&] {
    return lane == 0 && std::chrono::steady_clock::now() - last_idle > std::chrono::milliseconds(idle_tick_ms_);
  };
  auto upkeep = [&](std::unique_lock<std::mutex>& lock) {
    set_busy_locked(lane, true);
    lock.unlock();
    backend_->on_idle();
    last_idle = std::chrono::steady_clock::now();
    lock.lock();
    set_busy_locked(lane, false);
  };
  for (;;) {
    std::function<void()> task;
    bool solo = false;  // this lane's group runs alone
    size_t wake = lanes_;  // a lane to wake once the lock is released
    {
      std::unique_lock<std::mutex> lock(mu_);
      for (;;) {
        if (!queue_.empty() && !alone_) {
          // A task runs alone: it waits for the lanes' groups to end, and holds off new ones.
          if (queue_.front().write == nullptr) {
            if (busy_ == 0) {
              task = std::move(queue_.front().task);
              queue_.pop_front();
              alone_ = true;
              break;
            }
          } else {
            // Writes go to the lowest idle lane, so that at light load one lane (and one
            // connection) takes them all, in groups as large as with one lane.
            const size_t lowest = idle_lane_locked();
            if (lowest == lane) break;
            if (lowest < lane) lane_state_[lowest].cv.notify_one();
          }
        } else if (queue_.empty() && stopping_) {
          return;
        }
        auto tick = std::chrono::milliseconds(idle_tick_ms_);
        if (me.cv.wait_for(lock, tick) == std::cv_status::timeout && queue_.empty() && !alone_ &&
            upkeep_due())
          upkeep(lock);
      }
      set_busy_locked(lane, true);
      if (!task) {
        if (max_group_wait_us_ > 0 && queue_.size() < max_group_size_) {
          // Trade a little latency for a larger group when the caller asked for it.
          me.cv.wait_for(lock, std::chrono::microseconds(max_group_wait_us_),
                         [this] { return queue_.size() >= max_group_size_ || stopping_; });
        }
        // (Not while another lane runs alone: what is queued now comes after its group.)
        while (!alone_ && !queue_.empty() && queue_.front().write != nullptr &&
               group.size() < max_group_size_) {
          group.push_back(queue_.front().write);
          queue_.pop_front();
        }
        // A group that may not run beside others waits for the lanes' groups taken before it
        // to end, and holds off later ones: it commits after the first and before the second.
        if (!group.empty() && lanes_ > 1 && !backend_->may_run_beside_others(group)) {
          alone_ = solo = true;
          me.cv.wait(lock, [this] { return busy_ == 1; });
        } else if (!queue_.empty() && !alone_) {
          wake = idle_lane_locked();  // more is queued than this group took
        }
      }
    }
    if (wake < lanes_) lane_state_[wake].cv.notify_one();
    if (task) {
      task();
      std::lock_guard<std::mutex> lock(mu_);
      alone_ = false;
      set_busy_locked(lane, false);
      continue;
    }
    // Another lane took what was queued while this one waited for more.
    if (group.empty()) {
      std::lock_guard<std::mutex> lock(mu_);
      set_busy_locked(lane, false);
      continue;
    }

    bool durable = false;
    for (auto* w : group) durable |= w->sync;
    Status group_status = failure();
    if (group_status.ok()) group_status = backend_->commit_group(lane, group, durable);
    uint64_t failed = 0;
    for (auto* w : group)
      if (!group_status.ok() || !w->result.ok()) ++failed;
    // Counted before callers are answered, so a caller reading stats() after its write sees it.
    {
      std::lock_guard<std::mutex> lock(mu_);
      stats_.groups++;
      stats_.mutations += group.size();
      stats_.failed_mutations += failed;
      if (group.size() > stats_.max_group_size) stats_.max_group_size = group.size();
    }
    for (auto* w : group) {
      Status s = group_status.ok() ? std::move(w->result) : group_status;
      if (w->done) w->done(std::move(s));
      delete w;
    }
    group.clear();
    std::unique_lock<std::mutex> lock(mu_);
    if (solo) alone_ = false;
    set_busy_locked(lane, false);
    // Upkeep also under constant load, not only when the queue drains.
    if (upkeep_due() && !alone_) upkeep(lock);
  }
}

}  // namespace commerce
