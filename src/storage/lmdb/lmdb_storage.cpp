// PLACEHOLDER while the driver is written; replaced before landing.
#include "storage/lmdb/lmdb_storage.h"
namespace commerce {
Result<std::unique_ptr<Storage>> OpenLmdbStorage(const StorageOptions&) {
  return Status::NotSupported("lmdb driver not built yet");
}
}  // namespace commerce
