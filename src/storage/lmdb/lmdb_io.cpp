#include "storage/lmdb/lmdb_io.h"

#include <string>

#include "storage/fault_injection.h"

namespace commerce::lmdb {

namespace {
std::string DataFile(MDB_env* env) {
  const char* dir = nullptr;
  if (mdb_env_get_path(env, &dir) != 0 || !dir) return "";
  return std::string(dir) + "/data.mdb";
}
}  // namespace

int CommitWriteTxn(MDB_txn* txn) {
  if (int err = fault::Check(fault::Op::kLmdbCommit, DataFile(mdb_txn_env(txn)))) {
    mdb_txn_abort(txn);
    return err;
  }
  return mdb_txn_commit(txn);
}

int SyncEnv(MDB_env* env) {
  if (int err = fault::Check(fault::Op::kLmdbSync, DataFile(env))) return err;
  return mdb_env_sync(env, 1);
}

}  // namespace commerce::lmdb
