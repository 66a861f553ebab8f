// The SQLite driver: one database file in WAL mode, one WITHOUT ROWID table (k BLOB PRIMARY
// KEY, v BLOB) per table, groups committed with BEGIN IMMEDIATE ... COMMIT and each mutation
// inside a SAVEPOINT; synchronous=FULL by default, so SQLite's own WAL makes a group durable.
#pragma once

#include <memory>

#include "commerce/storage.h"

namespace commerce {

Result<std::unique_ptr<Storage>> OpenSqliteStorage(const StorageOptions& options);

}  // namespace commerce
