#include "storage/lmdb/checkpointer.h"

#include <pthread.h>

#include <filesystem>

#include "storage/lmdb/lmdb_io.h"
#include "storage/lmdb/lmdb_status.h"
#include "storage/lmdb/lmdb_test_hooks.h"
#include "storage/lmdb/wal.h"

namespace commerce::lmdb {

Checkpointer::Checkpointer(MDB_env* env, std::string wal_dir,
                           std::function<void(Status)> on_failure)
    : env_(env), wal_dir_(std::move(wal_dir)), on_failure_(std::move(on_failure)) {
  thread_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "commerce-ckpt");  // for profiles, as the writer's
    loop();
  });
}

bool Checkpointer::busy() const {
  std::lock_guard<std::mutex> lock(mu_);
  return busy_;
}

void Checkpointer::hand_over(std::vector<std::string> retired) {
  std::lock_guard<std::mutex> lock(mu_);
  pending_.insert(pending_.end(), retired.begin(), retired.end());
  busy_ = true;
  cv_.notify_one();
}

void Checkpointer::stop() {
  if (!thread_.joinable()) return;
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
    cv_.notify_one();
  }
  thread_.join();
}

void Checkpointer::loop() {
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    cv_.wait(lock, [this] { return stop_ || !pending_.empty(); });
    if (pending_.empty() && stop_) return;
    auto retired = std::move(pending_);
    pending_.clear();
    lock.unlock();
    (void)complete(std::move(retired));
    lock.lock();
    busy_ = !pending_.empty();
  }
}

Status Checkpointer::complete(std::vector<std::string> retired) {
  std::lock_guard<std::mutex> lock(run_mu_);
  if (!sync_failure_.ok()) return sync_failure_;
  CrashPoint("checkpoint-rotated");
  int rc = SyncEnv(env_);
  if (rc != 0) {
    std::string file = std::filesystem::path(wal_dir_).parent_path().string() + "/data.mdb";
    sync_failure_ = LmdbError(rc, "checkpoint: sync of " + file + " failed");
    if (on_failure_) on_failure_(sync_failure_);
    return sync_failure_;
  }
  CrashPoint("checkpoint-synced");
  COMMERCE_RETURN_IF_ERROR(Wal::Remove(retired, wal_dir_));
  count_.fetch_add(1);
  return Status::OK();
}

}  // namespace commerce::lmdb
