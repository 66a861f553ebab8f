// The LMDB driver (default): one LMDB environment per store, one named database per table,
// durability through the driver's own write-ahead log (wal.h) in front of LMDB commits that
// do not sync. See docs/storage.md for why and for what a crash can and cannot take back.
#pragma once

#include <memory>

#include "commerce/storage.h"

namespace commerce {

Result<std::unique_ptr<Storage>> OpenLmdbStorage(const StorageOptions& options);

}  // namespace commerce
