#include "storage/lmdb/lmdb_readers.h"

#include "storage/lmdb/lmdb_status.h"
#include "storage/lmdb/lmdb_txn.h"

namespace commerce::lmdb {

LmdbReaders::~LmdbReaders() {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto* t : pool_) mdb_txn_abort(t);
  pool_.clear();
}

Result<std::unique_ptr<ReadTxn>> LmdbReaders::begin() {
  std::shared_lock<std::shared_mutex> resize_lock(resize_mu_);
  COMMERCE_ASSIGN_OR_RETURN(MDB_txn * txn, acquire());
  return std::unique_ptr<ReadTxn>(new LmdbReadTxn(this, tables_, env_, guard_map_, txn, std::move(resize_lock)));
}

Result<MDB_txn*> LmdbReaders::acquire() {
  MDB_txn* txn = nullptr;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (closed_) return Closed();
    ++live_;
    if (!pool_.empty()) {
      txn = pool_.back();
      pool_.pop_back();
    }
  }
  int rc;
  if (txn) {
    rc = mdb_txn_renew(txn);
    if (rc != 0) {
      mdb_txn_abort(txn);
      txn = nullptr;
    }
  }
  if (!txn) {
    rc = mdb_txn_begin(env_, nullptr, MDB_RDONLY, &txn);
    if (rc != 0) {
      std::lock_guard<std::mutex> lock(mu_);
      --live_;
      return LmdbError(rc, "cannot begin read transaction");
    }
  }
  return txn;
}

void LmdbReaders::release(MDB_txn* txn) {
  std::lock_guard<std::mutex> lock(mu_);
  --live_;
  if (closed_) {
    mdb_txn_abort(txn);
    if (live_ == 0 && release_env_) ReleaseEnv();
    return;
  }
  mdb_txn_reset(txn);
  pool_.push_back(txn);
}

std::unique_lock<std::shared_mutex> LmdbReaders::exclude() {
  std::unique_lock<std::shared_mutex> lock(resize_mu_);
  std::lock_guard<std::mutex> pool(mu_);
  for (auto* t : pool_) mdb_txn_abort(t);
  pool_.clear();
  return lock;
}

void LmdbReaders::close(std::function<void()> release_env) {
  std::lock_guard<std::mutex> lock(mu_);
  closed_ = true;
  release_env_ = std::move(release_env);
  if (live_ == 0) ReleaseEnv();
}

void LmdbReaders::release_now() {
  std::lock_guard<std::mutex> lock(mu_);
  if (release_env_) ReleaseEnv();
}

void LmdbReaders::ReleaseEnv() {
  for (auto* t : pool_) mdb_txn_abort(t);
  pool_.clear();
  auto release = std::move(release_env_);
  release_env_ = nullptr;
  release();
}

}  // namespace commerce::lmdb
