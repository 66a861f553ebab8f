// The writer every driver shares: it gathers the mutations queued by concurrent callers into
// groups and hands each group to the driver, which runs every mutation in its own nested
// transaction and commits the group once.
//
// A driver implements GroupBackend; GroupWriter owns the queue, the threads and the answering
// of callers. Lanes: the local drivers (LMDB, SQLite) have one writer thread, one group at a
// time, as their files allow one write transaction at a time. A driver whose groups can commit
// side by side (PostgreSQL, each lane on a connection of its own) asks for several: each lane
// takes the next group from the queue as soon as it is free, so a group's round trips and
// commit overlap those of the others instead of queueing behind them. Control tasks (creating
// a table, sync, checkpoint, close) run alone: a task waits until no lane runs a group, and no
// lane starts one until the task is done, so a driver never has a task beside a group. A group
// the driver says may not run beside others (may_run_beside_others) runs alone the same way,
// so it keeps its place in the queue's order: writes whose order matters stay in it.
//
// The failed state (LevelDB's background error): a driver whose log or file fails under it
// calls fail(cause). From then on every write and control task — queued or submitted later —
// is answered with that Status without reaching the driver, until the store is closed and
// opened again; reads go on. The first cause is kept.
//
// Thread safety: write_async(), write() and run() may be called from any thread except the
// writer threads themselves (a mutation that calls write() would wait for itself);
// write_async() also from a writer thread (a callback queueing more work); fail() and
// failure() from any thread, the writers' included.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <span>
#include <thread>
#include <vector>

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
  // Runs each write's mutation all or nothing in one group transaction (in a nested
  // transaction, or straight where the driver can undo a failed one otherwise), records each
  // outcome in write->result, and commits the group — durably when `durable`. A non-OK return
  // means the group as a whole did not commit; every caller in it is answered with it.
  // `lane` (0 .. lanes - 1) is the calling writer thread's: with several lanes, calls of
  // different lanes run at the same time, each lane's one after another.
  virtual Status commit_group(size_t lane, std::span<PendingWrite* const> group, bool durable) = 0;
  // Called on lane 0's thread between its groups, at most every `idle_tick_ms`, when the
  // queue is empty and also under constant load, so a driver can do background upkeep (LMDB
  // checkpoints) without a thread of its own. Other lanes may be running groups meanwhile.
  virtual void on_idle() {}
  // With several lanes: whether `group` may commit beside the groups of other lanes (true) or
  // must run alone, after every group taken before it and before any taken after it (false),
  // as with one lane. Called with the writer's lock held: quick, and no call back into it.
  virtual bool may_run_beside_others(std::span<PendingWrite* const> group) const {
    (void)group;
    return true;
  }
};

struct GroupWriterStats {
  uint64_t groups = 0;
  uint64_t mutations = 0;
  uint64_t failed_mutations = 0;
  uint64_t max_group_size = 0;
};

class GroupWriter {
 public:
  // `lanes` (1 when 0): groups in flight at once, one writer thread each.
  GroupWriter(GroupBackend* backend, size_t max_group_size, int max_group_wait_us,
              int idle_tick_ms = 250, size_t lanes = 1);
  ~GroupWriter();  // stop()s

  void write_async(Mutation m, WriteOptions o, std::function<void(Status)> done);
  Status write(Mutation m, WriteOptions o);

  // Runs `task` on a writer thread while no group runs, and returns its Status.
  Status run(std::function<Status()> task);

  // Commits everything queued, then ends the threads. Later writes get FailedPrecondition.
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
  void loop(size_t lane);
  // The lowest lane not running a group or a task (lanes_ when all are). REQUIRES: mu_ held.
  size_t idle_lane_locked() const;
  // Marks `lane` busy or free, counting busy_. REQUIRES: mu_ held.
  void set_busy_locked(size_t lane, bool busy);

  struct LaneState {
    std::condition_variable cv;  // this lane's thread waits on it, under mu_
    bool busy = false;           // GUARDED_BY(mu_)
  };

  GroupBackend* backend_;
  const size_t max_group_size_;
  const int max_group_wait_us_;
  const int idle_tick_ms_;
  const size_t lanes_;

  mutable std::mutex mu_;
  std::deque<Item> queue_;    // GUARDED_BY(mu_)
  bool stopping_ = false;     // GUARDED_BY(mu_)
  size_t busy_ = 0;           // GUARDED_BY(mu_): lanes running a group or a task
  bool alone_ = false;        // GUARDED_BY(mu_): a task or a group runs (or waits to) alone
  Status failure_;            // GUARDED_BY(mu_)
  GroupWriterStats stats_;    // GUARDED_BY(mu_)
  std::unique_ptr<LaneState[]> lane_state_;
  std::vector<std::thread> threads_;
};

}  // namespace commerce
