// CheckLogCounters (pg_log_counters.h).
#include "storage/postgres/pg_log_counters.h"

#include <libpq-fe.h>

#include "storage/postgres/pg_schema.h"

namespace commerce::postgres {

namespace {

bool IsTableName(std::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  for (char c : name)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) return false;
  return true;
}

Result<std::vector<LogCounterProblem>> CheckInSnapshot(PgConnection& conn, const std::string& schema) {
  Status s;
  Failure f = Failure::kNone;
  PgResult rows = conn.run("__seq_rows", "SELECT t, n FROM " + Quoted(schema, "__seq") + " ORDER BY t COLLATE \"C\"", {}, &s, &f);
  if (!s.ok()) return s.WithContext("reading the log counters (__seq)");
  std::vector<LogCounterProblem> problems;
  for (int i = 0; i < PQntuples(rows.get()); ++i) {
    const std::string t(PQgetvalue(rows.get(), i, 0), PQgetlength(rows.get(), i, 0));
    const int64_t n = Int8FromBytes(PQgetvalue(rows.get(), i, 1));
    const std::string where = "__seq row '" + t + "'";
    if (!IsTableName(t)) {
      problems.push_back({where, "names no table (not a table name): a row the driver never writes"});
      continue;
    }
    const std::string regclass = Quoted(schema, t);
    PgResult exists = conn.run("__seq_exists", "SELECT to_regclass($1) IS NOT NULL", {Param{regclass, 25}}, &s, &f);  // 25: text
    if (!s.ok()) return s.WithContext("reading the log counters (__seq)");
    if (*PQgetvalue(exists.get(), 0, 0) == 0) {
      problems.push_back({where, "names no table of schema '" + schema + "': a row the driver never writes"});
      continue;
    }
    // Prepared under a name per log: a pooled connection keeps its statements.
    PgResult last = conn.run("__seq_newest_" + t, "SELECT k FROM " + Quoted(schema, t) + " ORDER BY k DESC LIMIT 1",
                             {}, &s, &f);
    if (!s.ok()) return s.WithContext("reading the newest entry of log '" + t + "'");
    int64_t newest = 0;
    if (PQntuples(last.get()) > 0) {
      if (PQgetlength(last.get(), 0, 0) < 8) {
        problems.push_back({where, "the newest key of log '" + t + "' is " + std::to_string(PQgetlength(last.get(), 0, 0)) +
                                       " bytes, not a sequence: the counter cannot catch up with it"});
        continue;
      }
      newest = Int8FromBytes(PQgetvalue(last.get(), 0, 0));
    }
    if (n < 0) {
      problems.push_back({where, "counts " + std::to_string(n) + ", below 0"});
    } else if (n > newest) {
      problems.push_back({where, "counts " + std::to_string(n) + " numbers handed out, but the newest entry of log '" + t +
                                     "' is " + std::to_string(newest) + ": the next group would number its entries from " +
                                     std::to_string(n + 1) + ", and consumers would find " + std::to_string(newest + 1) +
                                     ".." + std::to_string(n) + " missing"});
    }
  }
  return problems;
}

}  // namespace

Result<std::vector<LogCounterProblem>> CheckLogCounters(PgConnection& conn, const std::string& schema) {
  COMMERCE_RETURN_IF_ERROR(conn.exec("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY"));
  auto problems = CheckInSnapshot(conn, schema);
  Status ended = conn.exec("ROLLBACK");
  if (!problems.ok()) return problems.status();
  COMMERCE_RETURN_IF_ERROR(ended);
  return problems;
}

}  // namespace commerce::postgres
