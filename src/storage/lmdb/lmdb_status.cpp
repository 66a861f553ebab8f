#include "storage/lmdb/lmdb_status.h"

#include <cerrno>

#include "commerce/storage.h"

namespace commerce::lmdb {

Status LmdbError(int rc, const std::string& what) {
  std::string msg = what + ": " + mdb_strerror(rc);
  switch (rc) {
    case MDB_NOTFOUND: return Status::NotFound(msg);
    case MDB_KEYEXIST: return Status::AlreadyExists(msg);
    case MDB_CORRUPTED:
    case MDB_PAGE_NOTFOUND:
    case MDB_INVALID:
    case MDB_VERSION_MISMATCH: return Status::Corruption(msg);
    case MDB_MAP_FULL: return Status::ResourceExhausted(msg);
    case MDB_READERS_FULL: return Status::ResourceExhausted(msg + " (raise lmdb_max_readers)");
    case MDB_BAD_VALSIZE: return Status::InvalidArgument(msg);
    case EACCES:
    case EROFS:
    case EAGAIN:
    case EIO:
    case ENOSPC: return Status::Unavailable(msg);
    default: return Status::Internal(msg);
  }
}

Status CheckKey(std::string_view key) {
  if (key.empty()) return Status::InvalidArgument("empty key");
  if (key.size() > kMaxKeySize)
    return Status::InvalidArgument("key of " + std::to_string(key.size()) + " bytes exceeds " +
                                   std::to_string(kMaxKeySize));
  return Status::OK();
}

}  // namespace commerce::lmdb
