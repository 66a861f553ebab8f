// The check of the logs' counter rows ("<schema>"."__seq"), which Engine::verify runs on the
// postgres driver: the one piece of the driver's own bookkeeping whose damage the record
// checks cannot see, and which would number the next events past a gap.
#pragma once

#include <string>
#include <vector>

#include "commerce/status.h"
#include "storage/postgres/pg_connection.h"

namespace commerce::postgres {

struct LogCounterProblem {
  std::string where;  // "__seq row 'events'"
  std::string what;   // what is wrong, and what it would do
};

// Every counter row against the newest entry of the log it counts for, in one REPEATABLE READ
// snapshot on `conn` (a group's counter and its entries commit together, so the snapshot sees
// both or neither). A row is sound when 0 <= n <= the log's newest sequence: it may be behind
// (a group that held the store's exclusive lock counted from the newest key, and the next
// counter upsert catches up), never ahead (the next group would number its events past a gap
// no group will ever fill). Rows naming no table of the schema, or logs whose newest key holds
// no sequence, are problems too. The connection's transaction is ended on return.
Result<std::vector<LogCounterProblem>> CheckLogCounters(PgConnection& conn, const std::string& schema);

}  // namespace commerce::postgres
