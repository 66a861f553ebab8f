// The PostgreSQL driver: Storage on a schema of a PostgreSQL database, shared by any number of
// engine processes (docs/scaling.md). One bytea table (k PRIMARY KEY, v) per table; groups
// committed as one SERIALIZABLE transaction with a savepoint per mutation, retried on
// serialization failures within a budget; each group's id written in its own transaction,
// so a COMMIT whose answer was lost is looked up, never run twice.
#pragma once

#include <memory>

#include "commerce/storage.h"

namespace commerce {

Result<std::unique_ptr<Storage>> OpenPostgresStorage(const StorageOptions& options);

}  // namespace commerce
