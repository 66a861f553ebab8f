// The PostgreSQL driver: Storage on a schema of a PostgreSQL database, shared by any number of
// engine processes (docs/scaling.md). One bytea table (k PRIMARY KEY, v) per table; groups
// committed as one SERIALIZABLE transaction with a savepoint per mutation, retried on
// serialization failures within a budget; each group's id written in its own transaction,
// so a COMMIT whose answer was lost is looked up, never run twice.
#pragma once

#include <functional>
#include <memory>

#include "commerce/storage.h"

namespace commerce {

Result<std::unique_ptr<Storage>> OpenPostgresStorage(const StorageOptions& options);

// Calls `on_commit` on a thread of the driver's soon after any process (this one included)
// commits a group on the store: PostgreSQL's LISTEN/NOTIFY (pg_listener.h). A hint, which
// may be lost while the listening connection is down: callers keep polling as well.
// NotSupported when `storage` is not a postgres driver or its server has no LISTEN (the
// caller then only polls); Unavailable when the server cannot be reached. At most once per
// storage; the thread stops with close().
Status ListenForCommits(Storage& storage, std::function<void()> on_commit);

// The driver's own bookkeeping that Engine::verify checks beside the engine's records: each
// log's counter row (pg_log_counters.h), `problem(where, what)` once per fault. NotSupported
// when `storage` is not a postgres driver (the local drivers number a log from its newest
// key: nothing beside the log to check); Unavailable when the server cannot be reached.
Status CheckLogCounters(Storage& storage, const std::function<void(std::string where, std::string what)>& problem);

}  // namespace commerce
