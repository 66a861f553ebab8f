// The single writer thread every local driver shares: it gathers the mutations queued by
// concurrent callers into groups and hands each group to the driver, which runs every
// mutation in its own nested transaction and commits the group once.
//
// A driver implements GroupBackend; GroupWriter owns the queue, the thread and the
// answering of callers. Control tasks (creating a table, sync, checkpoint, close) run on the
// same thread between groups, so a driver never has two writers.
//
// The failed state (LevelDB's background error): a driver whose log or file fails under it
// calls fail(cause). From then on every write and control task — queued or submitted later —
// is answered with that Status without reaching the driver, until the store is closed and
// opened again; reads go on. The first cause is kept.
//
// Thread safety: write_async(), write() and run() may be called from any thread except the
// writer thread itself (a mutation that calls write() would wait for itself); fail() and
// failure() from any thread, the writer's included.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <span>
#include <thread>

#include "commerce/storage.h"

namespace commerce {

struct PendingWrite {
  Mutation mutation;
  bool sync = true;
  std::function<void(Status)> done;
  Status result;  // set by the backend for each mutation in a group
};

class GroupBackend {
 public:
  virtual ~GroupBackend() = default;
  // Runs each write's mutation in a nested transaction of one group transaction, records each
  // outcome in write->result, and commits the group — durably when `durable`. A non-OK return
  // means the group as a whole did not commit; every caller in it is answered with it.
  virtual Status commit_group(std::span<PendingWrite* const> group, bool durable) = 0;
  // Called on the writer thread when the queue is empty, at most every `idle_tick_ms`, so a
  // driver can do background upkeep (LMDB checkpoints) without a thread of its own.
  virtual void on_idle() {}
};

struct GroupWriterStats {
  uint64_t groups = 0;
  uint64_t mutations = 0;
  uint64_t failed_mutations = 0;
  uint64_t max_group_size = 0;
};

class GroupWriter {
 public:
  GroupWriter(GroupBackend* backend, size_t max_group_size, int max_group_wait_us,
              int idle_tick_ms = 250);
  ~GroupWriter();  // stop()s

  void write_async(Mutation m, WriteOptions o, std::function<void(Status)> done);
  Status write(Mutation m, WriteOptions o);

  // Runs `task` on the writer thread between groups and returns its Status.
  Status run(std::function<Status()> task);

  // Commits everything queued, then ends the thread. Later writes get FailedPrecondition.
  void stop();

  // Enters the failed state with `cause` (see above); later calls keep the first cause.
  void fail(Status cause);
  // The failed state's Status, or OK while writes are accepted.
  Status failure() const;

  GroupWriterStats stats() const;

 private:
  struct Item {
    PendingWrite* write = nullptr;        // a mutation, or
    std::function<void()> task;           // a control task
  };
  void loop();

  GroupBackend* backend_;
  const size_t max_group_size_;
  const int max_group_wait_us_;
  const int idle_tick_ms_;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Item> queue_;  // GUARDED_BY(mu_)
  bool stopping_ = false;   // GUARDED_BY(mu_)
  Status failure_;          // GUARDED_BY(mu_)
  GroupWriterStats stats_;  // GUARDED_BY(mu_)
  std::thread thread_;
};

}  // namespace commerce
