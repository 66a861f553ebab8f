// The LMDB driver's read transactions: a pool of reset read-only txns that read() renews
// (mdb_txn_reset/mdb_txn_renew: a read costs no reader-slot allocation), the lock that keeps
// readers and map growth apart, and the deferred close of the environment.
//
// Why the lock: mdb_env_set_mapsize requires that no transaction be active in the process.
// Each LmdbReadTxn holds resize_mu shared for its life; growing the map holds it exclusive.
//
// Why the deferred close: a ReadTxn may outlive Storage::close() (storage.h), and LMDB must
// not close an environment under a live txn, so the environment is released when the last
// read txn ends.
//
// Thread safety: every method may be called from any thread.
#pragma once

#include <lmdb.h>

#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <vector>

#include "commerce/storage.h"
#include "storage/lmdb/lmdb_guard.h"
#include "storage/lmdb/lmdb_tables.h"

namespace commerce::lmdb {

class LmdbReaders {
 public:
  LmdbReaders(MDB_env* env, const LmdbTables* tables) : env_(env), tables_(tables) {}
  ~LmdbReaders();

  // A snapshot. FailedPrecondition after close().
  Result<std::unique_ptr<ReadTxn>> begin();

  // Waits until no read txn is live and keeps new ones out while the lock is held; drops the
  // pooled txns (they hold reader slots, which must not be live across a remap).
  std::unique_lock<std::shared_mutex> exclude();

  // No new read txns after this. `release_env` (which closes the environment) runs once no
  // read txn is live: now, or when the last one ends.
  void close(std::function<void()> release_env);
  // Runs a release still pending now, live read txns or not: for the Storage's destructor
  // (a ReadTxn outliving its Storage breaks the contract in storage.h).
  void release_now();

  // Where LMDB maps the file now, for the guards of later read txns (lmdb_guard.h).
  // REQUIRES: no read txn is live (at open, or while exclude()'s lock is held).
  void set_guard_map(LmdbGuard::Map map) { guard_map_ = map; }

  // Called by LmdbReadTxn's destructor.
  void release(MDB_txn* txn);

 private:
  Result<MDB_txn*> acquire();
  void ReleaseEnv();  // REQUIRES: mu_ held

  MDB_env* const env_;
  const LmdbTables* const tables_;
  std::shared_mutex resize_mu_;
  LmdbGuard::Map guard_map_;            // written with resize_mu_ exclusive (or before any read)
  std::mutex mu_;
  std::vector<MDB_txn*> pool_;          // GUARDED_BY(mu_): reset read txns, ready to renew
  size_t live_ = 0;                     // GUARDED_BY(mu_): handed out, not yet released
  bool closed_ = false;                 // GUARDED_BY(mu_)
  std::function<void()> release_env_;   // GUARDED_BY(mu_): set by close() until it has run
};

}  // namespace commerce::lmdb
