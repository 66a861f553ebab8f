// The LMDB calls that write data.mdb, made through fault_injection.h: LMDB does its own I/O,
// so a test fails these calls in its place (as a failed pwrite or fdatasync inside LMDB
// would make them fail). The injector sees the path <store>/data.mdb.
#pragma once

#include <lmdb.h>

namespace commerce::lmdb {

// mdb_txn_commit of a write txn. On an injected fault the txn is aborted and the errno
// returned, as LMDB does when its own write fails.
int CommitWriteTxn(MDB_txn* txn);
// mdb_env_sync(env, 1).
int SyncEnv(MDB_env* env);

}  // namespace commerce::lmdb
