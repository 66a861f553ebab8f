#include "storage/lmdb/recovery.h"

#include <algorithm>
#include <string>

#include "storage/lmdb/lmdb_io.h"
#include "storage/lmdb/lmdb_status.h"
#include "storage/lmdb/redo_record.h"

namespace commerce::lmdb {

namespace {

// Records per LMDB txn during replay: large txns, because the log may hold many groups.
constexpr size_t kRecordsPerTxn = 1024;

// One pass over the log. A full map may stop it at any LMDB call (a put, the applied LSN,
// a commit — the last one included); the pass then rolls back its open txn, sets map_full
// and returns, and the caller grows the map and runs a new pass. Nothing is applied twice:
// each txn commits the applied LSN with the records it holds.
class ReplayPass {
 public:
  ReplayPass(MDB_env* env, LmdbTables* tables, MDB_dbi meta, Wal* wal)
      : env_(env), tables_(tables), meta_(meta), wal_(wal) {}
  ~ReplayPass() { Abort(); }

  bool map_full() const { return map_full_; }

  // On success: the LSN the next group gets.
  Result<uint64_t> Run() {
    COMMERCE_ASSIGN_OR_RETURN(applied_, ReadApplied());
    last_applied_ = applied_;
    uint64_t last = 0;
    Status s = wal_->Replay(applied_, [&](uint64_t lsn, std::string_view payload) {
      return Apply(lsn, payload);
    }, &last);
    if (s.ok()) s = Commit();
    if (!s.ok()) {
      Abort();
      return s;
    }
    int rc = SyncEnv(env_);
    if (rc != 0) return LmdbError(rc, "sync after replay");
    uint64_t next_lsn = std::max(applied_, last) + 1;
    COMMERCE_RETURN_IF_ERROR(wal_->Reset(next_lsn));
    return next_lsn;
  }

 private:
  Result<uint64_t> ReadApplied() {
    MDB_txn* txn;
    int rc = mdb_txn_begin(env_, nullptr, MDB_RDONLY, &txn);
    if (rc != 0) return LmdbError(rc, "begin");
    auto lsn = ReadAppliedLsn(txn, meta_);
    mdb_txn_abort(txn);
    return lsn;
  }

  // The Status for LMDB's `rc`, noting a full map.
  Status Check(int rc, const char* what) {
    if (rc == 0) return Status::OK();
    if (rc == MDB_MAP_FULL) map_full_ = true;
    return LmdbError(rc, what);
  }

  Status Apply(uint64_t lsn, std::string_view payload) {
    if (!txn_) {
      COMMERCE_RETURN_IF_ERROR(Check(mdb_txn_begin(env_, nullptr, 0, &txn_), "replay begin"));
      tables_at_begin_ = tables_->count();
    }
    COMMERCE_RETURN_IF_ERROR(ForEachRedoOp(payload, wal_->dir(), [&](const RedoOp& op) -> Status {
      uint32_t id;
      COMMERCE_RETURN_IF_ERROR(tables_->open(txn_, std::string(op.table), &id));
      MDB_val k = Val(op.key), v = Val(op.value);
      int rc = op.put ? mdb_put(txn_, tables_->dbi(id), &k, &v, 0)
                      : mdb_del(txn_, tables_->dbi(id), &k, nullptr);
      return Check(rc == MDB_NOTFOUND ? 0 : rc, "replay");
    }));
    last_applied_ = lsn;
    if (++in_txn_ >= kRecordsPerTxn) return Commit();
    return Status::OK();
  }

  Status Commit() {
    if (!txn_) return Status::OK();
    MDB_txn* txn = txn_;
    txn_ = nullptr;
    in_txn_ = 0;
    int rc = PutAppliedLsn(txn, meta_, last_applied_);
    if (rc != 0) {
      mdb_txn_abort(txn);
      tables_->forget_from(tables_at_begin_);
      return Check(rc, "replay: cannot record the applied lsn");
    }
    rc = CommitWriteTxn(txn);  // frees the txn, committed or not
    if (rc != 0) tables_->forget_from(tables_at_begin_);
    return Check(rc, "replay commit");
  }

  void Abort() {
    if (!txn_) return;
    mdb_txn_abort(txn_);
    txn_ = nullptr;
    in_txn_ = 0;
    // Tables opened in the aborted txn are closed with it.
    tables_->forget_from(tables_at_begin_);
  }

  MDB_env* const env_;
  LmdbTables* const tables_;
  const MDB_dbi meta_;
  Wal* const wal_;
  MDB_txn* txn_ = nullptr;
  size_t in_txn_ = 0;
  uint32_t tables_at_begin_ = 0;
  uint64_t applied_ = 0;
  uint64_t last_applied_ = 0;
  bool map_full_ = false;
};

}  // namespace

Result<uint64_t> Recover(MDB_env* env, LmdbTables* tables, MDB_dbi meta, Wal* wal,
                         const std::function<Status()>& grow_map) {
  for (;;) {
    ReplayPass pass(env, tables, meta, wal);
    auto next = pass.Run();
    if (next.ok() || !pass.map_full()) return next;
    COMMERCE_RETURN_IF_ERROR(grow_map());
  }
}

}  // namespace commerce::lmdb
