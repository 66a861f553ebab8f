// Opening a store after a crash: the log records LMDB does not hold yet are applied to it.
//
// LMDB stores the LSN of the last record it holds (__meta, written in the same txn as the
// record's changes), so recovery applies exactly the records above it, nothing twice. The
// records are applied in large LMDB txns (the log may hold many groups), LMDB is synced,
// and the log is reset to one empty segment.
#pragma once

#include <lmdb.h>

#include <cstdint>
#include <functional>

#include "commerce/status.h"
#include "storage/lmdb/lmdb_tables.h"
#include "storage/lmdb/wal.h"

namespace commerce::lmdb {

// Replays `wal` into `env`; on success returns the LSN the next group gets. `grow_map` is
// called when LMDB's map is full (REQUIRES: no read txn is live). Errors: Corruption from the
// log (wal.h), ResourceExhausted when the map cannot grow, Unavailable for I/O.
Result<uint64_t> Recover(MDB_env* env, LmdbTables* tables, MDB_dbi meta, Wal* wal,
                         const std::function<Status()>& grow_map);

}  // namespace commerce::lmdb
