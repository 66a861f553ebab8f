#include "storage/group_writer.h"

#include <pthread.h>

#include <chrono>
#include <future>
#include <memory>
#include <vector>

namespace commerce {

GroupWriter::GroupWriter(GroupBackend* backend, size_t max_group_size, int max_group_wait_us,
                         int idle_tick_ms)
    : backend_(backend),
      max_group_size_(max_group_size == 0 ? 1 : max_group_size),
      max_group_wait_us_(max_group_wait_us),
      idle_tick_ms_(idle_tick_ms) {
  thread_ = std::thread([this] {
    // Named so that a profile (perf report --sort comm) tells the writer from its callers.
    pthread_setname_np(pthread_self(), "commerce-writer");
    loop();
  });
}

GroupWriter::~GroupWriter() { stop(); }

void GroupWriter::write_async(Mutation m, WriteOptions o, std::function<void(Status)> done) {
  Status refused;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!failure_.ok()) {
      refused = failure_;
    } else if (stopping_) {
      refused = Status::FailedPrecondition("storage is closed: reopen it to write");
    } else {
      queue_.push_back(Item{new PendingWrite{std::move(m), o.sync, std::move(done), Status::OK()}, {}});
    }
  }
  if (refused.ok()) {
    cv_.notify_one();  // after unlocking, so that the writer does not wake into a held lock (Waiter says more)
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
    cv_.notify_one();
  }
  return waiter->wait();
}

void GroupWriter::stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_ && !thread_.joinable()) return;
    stopping_ = true;
    cv_.notify_one();
  }
  if (thread_.joinable()) thread_.join();
}

GroupWriterStats GroupWriter::stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  return stats_;
}

void GroupWriter::loop() {
  std::vector<PendingWrite*> group;
  group.reserve(max_group_size_);
  auto last_idle = std::chrono::steady_clock::now();
  for (;;) {
    std::function<void()> task;
    {
      std::unique_lock<std::mutex> lock(mu_);
      while (queue_.empty() && !stopping_) {
        auto tick = std::chrono::milliseconds(idle_tick_ms_);
        if (cv_.wait_for(lock, tick) == std::cv_status::timeout && queue_.empty()) {
          lock.unlock();
          backend_->on_idle();
          last_idle = std::chrono::steady_clock::now();
          lock.lock();
        }
      }
      if (queue_.empty() && stopping_) return;
      if (queue_.front().write == nullptr) {
        task = std::move(queue_.front().task);
        queue_.pop_front();
      } else {
        if (max_group_wait_us_ > 0 && queue_.size() < max_group_size_) {
          // Trade a little latency for a larger group when the caller asked for it.
          cv_.wait_for(lock, std::chrono::microseconds(max_group_wait_us_),
                       [this] { return queue_.size() >= max_group_size_ || stopping_; });
        }
        while (!queue_.empty() && queue_.front().write != nullptr &&
               group.size() < max_group_size_) {
          group.push_back(queue_.front().write);
          queue_.pop_front();
        }
      }
    }
    if (task) {
      task();
      continue;
    }

    bool durable = false;
    for (auto* w : group) durable |= w->sync;
    Status group_status = failure();
    if (group_status.ok()) group_status = backend_->commit_group(group, durable);
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
    // Upkeep also under constant load, not only when the queue drains.
    auto now = std::chrono::steady_clock::now();
    if (now - last_idle > std::chrono::milliseconds(idle_tick_ms_)) {
      backend_->on_idle();
      last_idle = now;
    }
  }
}

}  // namespace commerce
