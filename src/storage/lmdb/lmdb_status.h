// The LMDB driver's small shared helpers: LMDB return codes turned into Status, the key
// check every driver applies, and MDB_val <-> string_view.
#pragma once

#include <lmdb.h>

#include <string>
#include <string_view>

#include "commerce/status.h"

namespace commerce::lmdb {

// MDB_NOTFOUND -> NotFound, MDB_KEYEXIST -> AlreadyExists, damaged-file codes -> Corruption,
// MDB_MAP_FULL / MDB_READERS_FULL -> ResourceExhausted, EIO/ENOSPC/EACCES/... -> Unavailable,
// anything else -> Internal. The message is `what`: mdb_strerror(rc).
Status LmdbError(int rc, const std::string& what);

// FailedPrecondition for a call on a closed store.
inline Status Closed() { return Status::FailedPrecondition("storage is closed: reopen it"); }

// InvalidArgument for an empty key or one longer than kMaxKeySize.
Status CheckKey(std::string_view key);

inline MDB_val Val(std::string_view s) { return MDB_val{s.size(), const_cast<char*>(s.data())}; }
inline std::string_view View(const MDB_val& v) {
  return {static_cast<const char*>(v.mv_data), v.mv_size};
}

}  // namespace commerce::lmdb
