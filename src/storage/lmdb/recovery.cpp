#include "storage/lmdb/recovery.h"

#include <algorithm>
#include <string>

#include "storage/lmdb/lmdb_status.h"
#include "storage/lmdb/redo_record.h"

namespace commerce::lmdb {

namespace {

Status ApplyRecord(MDB_txn* txn, LmdbTables* tables, const std::string& where,
                   std::string_view payload) {
  return ForEachRedoOp(payload, where, [&](const RedoOp& op) -> Status {
    uint32_t id;
    COMMERCE_RETURN_IF_ERROR(tables->open(txn, std::string(op.table), &id));
    MDB_val k = Val(op.key), v = Val(op.value);
    int rc = op.put ? mdb_put(txn, tables->dbi(id), &k, &v, 0)
                    : mdb_del(txn, tables->dbi(id), &k, nullptr);
    if (rc != 0 && rc != MDB_NOTFOUND) return LmdbError(rc, "replay");
    return Status::OK();
  });
}

}  // namespace

Result<uint64_t> Recover(MDB_env* env, LmdbTables* tables, MDB_dbi meta, Wal* wal,
                         const std::function<Status()>& grow_map) {
  uint64_t applied = 0;
  {
    MDB_txn* txn;
    int rc = mdb_txn_begin(env, nullptr, MDB_RDONLY, &txn);
    if (rc != 0) return LmdbError(rc, "begin");
    auto lsn = ReadAppliedLsn(txn, meta);
    mdb_txn_abort(txn);
    if (!lsn.ok()) return lsn.status();
    applied = *lsn;
  }
  MDB_txn* txn = nullptr;
  size_t in_txn = 0;
  uint64_t last_applied = applied;
  auto commit = [&]() -> Status {
    if (!txn) return Status::OK();
    int rc = PutAppliedLsn(txn, meta, last_applied);
    if (rc == 0) rc = mdb_txn_commit(txn); else mdb_txn_abort(txn);
    txn = nullptr;
    in_txn = 0;
    return rc == 0 ? Status::OK() : LmdbError(rc, "replay commit");
  };
  uint64_t last = 0;
  const uint32_t tables_before = tables->count();
  Status s = wal->Replay(applied, [&](uint64_t lsn, std::string_view payload) -> Status {
    if (!txn) {
      int rc = mdb_txn_begin(env, nullptr, 0, &txn);
      if (rc != 0) return LmdbError(rc, "replay begin");
    }
    COMMERCE_RETURN_IF_ERROR(ApplyRecord(txn, tables, wal->dir(), payload));
    last_applied = lsn;
    if (++in_txn >= 1024) COMMERCE_RETURN_IF_ERROR(commit());
    return Status::OK();
  }, &last);
  if (!s.ok() && txn) {
    mdb_txn_abort(txn);
    txn = nullptr;
    // Tables opened in the aborted txn are closed with it.
    tables->forget_from(tables_before);
  }
  if (s.IsResourceExhausted() && s.message().find("MDB_MAP_FULL") != std::string::npos) {
    // Grow and replay again from what LMDB has now: nothing is applied twice because the
    // applied LSN is committed with each replay txn.
    COMMERCE_RETURN_IF_ERROR(grow_map());
    return Recover(env, tables, meta, wal, grow_map);
  }
  COMMERCE_RETURN_IF_ERROR(s);
  COMMERCE_RETURN_IF_ERROR(commit());
  int rc = mdb_env_sync(env, 1);
  if (rc != 0) return LmdbError(rc, "sync after replay");
  uint64_t next_lsn = std::max(applied, last) + 1;
  COMMERCE_RETURN_IF_ERROR(wal->Reset(next_lsn));
  return next_lsn;
}

}  // namespace commerce::lmdb
