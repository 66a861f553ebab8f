// The LMDB driver's checkpoints: sync the LMDB file, then remove the log segments that sync
// covers. The writer rotates the log (Wal::Rotate) and hands the retired segments over; a
// thread of this class does the slow part (mdb_env_sync) so that writers do not wait for it.
//
// Why it is safe: every record in a retired segment was committed to LMDB before the
// rotation, so once mdb_env_sync returns they are all in the LMDB file on disk.
//
// A failed sync is final: the checkpointer never removes a segment again (a later sync that
// succeeds proves nothing — the kernel may have dropped the pages the failed one did not
// write) and hands the failure to `on_failure`, which puts the store into its failed state.
//
// Thread safety: hand_over(), busy() and complete() may be called from any thread;
// complete() runs one at a time.
#pragma once

#include <lmdb.h>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "commerce/status.h"

namespace commerce::lmdb {

class Checkpointer {
 public:
  Checkpointer(MDB_env* env, std::string wal_dir, std::function<void(Status)> on_failure);
  ~Checkpointer() { stop(); }
  Checkpointer(const Checkpointer&) = delete;
  Checkpointer& operator=(const Checkpointer&) = delete;

  // True from hand_over() until the thread has finished what it was given.
  bool busy() const;
  // Gives the thread segments retired by a rotation; returns at once.
  void hand_over(std::vector<std::string> retired);
  // Syncs LMDB and removes `retired` on the calling thread. After a failed sync, returns
  // that failure and removes nothing.
  Status complete(std::vector<std::string> retired);
  // Finishes what was handed over, then ends the thread. Idempotent.
  void stop();

  uint64_t count() const { return count_.load(); }

 private:
  void loop();

  MDB_env* const env_;
  const std::string wal_dir_;
  const std::function<void(Status)> on_failure_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::string> pending_;  // GUARDED_BY(mu_)
  bool busy_ = false;                 // GUARDED_BY(mu_)
  bool stop_ = false;                 // GUARDED_BY(mu_)
  std::mutex run_mu_;                 // serialises complete()
  Status sync_failure_;               // GUARDED_BY(run_mu_)
  std::atomic<uint64_t> count_{0};
  std::thread thread_;
};

}  // namespace commerce::lmdb
