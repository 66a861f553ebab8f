#include "storage/postgres/pg_schema.h"

#include <cstdio>

#include "common/ids.h"

namespace commerce::postgres {

bool IsValidSchemaName(std::string_view name) {
  if (name.empty() || name.size() > 63 || name.starts_with("pg_")) return false;
  for (char c : name)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) return false;
  return true;
}

std::string PgTableName(std::string_view name) {
  // PostgreSQL cuts identifiers at 63 bytes; a 64-byte name (storage.h allows them) would
  // then meet the 63-byte name it starts with. Long names keep 54 bytes and a hash of the
  // whole name instead.
  if (name.size() <= 63) return std::string(name);
  uint32_t h = 2166136261u;  // FNV-1a
  for (unsigned char c : name) h = (h ^ c) * 16777619u;
  char hex[9];
  std::snprintf(hex, sizeof hex, "%08x", h);
  return std::string(name.substr(0, 54)) + "_" + hex;
}

std::string Quoted(std::string_view schema, std::string_view name) {
  // Both are [a-z0-9_] (checked before use), so quoting never needs escaping.
  std::string out = "\"";
  out += schema;
  out += "\".\"";
  out += PgTableName(name);
  out += '"';
  return out;
}

std::string CreateTableSql(std::string_view schema, std::string_view table) {
  return "CREATE TABLE IF NOT EXISTS " + Quoted(schema, table) +
         " (k bytea PRIMARY KEY, v bytea NOT NULL)";
}

std::string BinaryArray(Oid element, const std::vector<std::string_view>& items) {
  std::string out;
  auto int4 = [&out](uint32_t v) {
    for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<char>((v >> shift) & 0xff));
  };
  // ndim, has-nulls flag, element type, then the one dimension's length and lower bound
  // (an empty array has no dimension).
  int4(items.empty() ? 0 : 1);
  int4(0);
  int4(element);
  if (items.empty()) return out;
  int4(static_cast<uint32_t>(items.size()));
  int4(1);
  for (std::string_view item : items) {
    int4(static_cast<uint32_t>(item.size()));
    out.append(item);
  }
  return out;
}

uint32_t SchemaNames::add(std::string_view name) {
  std::lock_guard<std::mutex> lock(mu_);
  uint32_t id = tables_.add(name);
  while (statements_.size() <= id) {
    uint32_t tid = static_cast<uint32_t>(statements_.size());
    std::string t = Quoted(schema_, *tables_.name(tid));
    Statements s;
    auto set = [&](TableStmt which, std::string sql) {
      size_t i = static_cast<size_t>(which);
      s.name[i] = "t" + std::to_string(tid) + "_" + std::to_string(i);
      s.sql[i] = std::move(sql);
    };
    set(TableStmt::kGet, "SELECT v FROM " + t + " WHERE k = $1");
    set(TableStmt::kSeekForward, "SELECT k, v FROM " + t + " WHERE k >= $1 ORDER BY k LIMIT $2");
    set(TableStmt::kNextForward, "SELECT k, v FROM " + t + " WHERE k > $1 ORDER BY k LIMIT $2");
    set(TableStmt::kFirst, "SELECT k, v FROM " + t + " ORDER BY k LIMIT $1");
    set(TableStmt::kSeekReverse, "SELECT k, v FROM " + t + " WHERE k <= $1 ORDER BY k DESC LIMIT $2");
    set(TableStmt::kNextReverse, "SELECT k, v FROM " + t + " WHERE k < $1 ORDER BY k DESC LIMIT $2");
    set(TableStmt::kLast, "SELECT k, v FROM " + t + " ORDER BY k DESC LIMIT $1");
    set(TableStmt::kPut, "INSERT INTO " + t + " (k, v) VALUES ($1, $2) ON CONFLICT (k) DO UPDATE SET v = EXCLUDED.v");
    set(TableStmt::kInsert, "INSERT INTO " + t + " (k, v) VALUES ($1, $2) ON CONFLICT (k) DO NOTHING");
    set(TableStmt::kDel, "DELETE FROM " + t + " WHERE k = $1");
    set(TableStmt::kGetMany, "SELECT k, v FROM " + t + " WHERE k = ANY($1)");
    set(TableStmt::kPutMany, "INSERT INTO " + t + " (k, v) SELECT * FROM unnest($1::bytea[], $2::bytea[]) "
                             "ON CONFLICT (k) DO UPDATE SET v = EXCLUDED.v");
    set(TableStmt::kInsertMany, "INSERT INTO " + t + " (k, v) SELECT * FROM unnest($1::bytea[], $2::bytea[])");
    set(TableStmt::kDelMany, "DELETE FROM " + t + " WHERE k = ANY($1)");
    set(TableStmt::kRange, "SELECT k, v FROM " + t + " WHERE k >= $1 AND k < $2 ORDER BY k LIMIT $3");
    // The log's newest key as a number (8 bytes big-endian): the counter row catches up with
    // it, so a log written by a group holding the store's exclusive lock (which counts from
    // the newest key, pg_apply.cpp) or by a process of an older layout is never overtaken.
    const std::string seq = Quoted(schema_, "__seq");
    const std::string name_literal = "'" + std::string(*tables_.name(tid)) + "'";  // [a-z0-9_]
    set(TableStmt::kSeqTake,
        "INSERT INTO " + seq + " AS q (t, n) SELECT " + name_literal + ", COALESCE((SELECT ('x' || "
        "encode(k, 'hex'))::bit(64)::bigint FROM " + t + " ORDER BY k DESC LIMIT 1), 0) + $1 "
        "ON CONFLICT (t) DO UPDATE SET n = GREATEST(q.n, EXCLUDED.n - $1) + $1 RETURNING n");
    // The slot's 8 bytes: the log's last taken number less $4, bits inverted with flag 1.
    const std::string slot =
        "int8send(CASE WHEN u.f & 1 = 1 THEN ~(s.n - u.b) ELSE s.n - u.b END)";
    const std::string slotted_rows =
        " AS u(k, v, l, b, o, f) JOIN " + seq + " s ON s.t = u.l";
    const std::string slotted_select =
        "SELECT CASE WHEN u.f & 2 = 0 THEN overlay(u.k placing " + slot + " from u.o + 1 for 8) ELSE u.k END, "
        "CASE WHEN u.f & 2 = 2 THEN overlay(u.v placing " + slot + " from u.o + 1 for 8) ELSE u.v END "
        "FROM unnest($1::bytea[], $2::bytea[], $3::text[], $4::int8[], $5::int4[], $6::int4[])" + slotted_rows;
    set(TableStmt::kPutSlotted, "INSERT INTO " + t + " (k, v) " + slotted_select +
                                    " ON CONFLICT (k) DO UPDATE SET v = EXCLUDED.v");
    set(TableStmt::kInsertSlotted, "INSERT INTO " + t + " (k, v) " + slotted_select);
    set(TableStmt::kDelSlotted,
        "DELETE FROM " + t + " WHERE k IN (SELECT overlay(u.k placing " + slot + " from u.o + 1 for 8) "
        "FROM unnest($1::bytea[], $2::text[], $3::int8[], $4::int4[], $5::int4[]) AS u(k, l, b, o, f) "
        "JOIN " + seq + " s ON s.t = u.l)");
    statements_.push_back(std::move(s));
  }
  return id;
}

Status SchemaNames::statement(Table table, TableStmt which, const std::string** name,
                              const std::string** sql) const {
  std::lock_guard<std::mutex> lock(mu_);
  if (table.id >= statements_.size())
    return Status::InvalidArgument("table id " + std::to_string(table.id) +
                                   " was not given out by this storage");
  const Statements& s = statements_[table.id];
  *name = &s.name[static_cast<size_t>(which)];
  *sql = &s.sql[static_cast<size_t>(which)];
  return Status::OK();
}

namespace {

// One step of the layout, from version `to - 1` to `to`. Steps are appended, never edited:
// a store records the last one applied.
struct Migration {
  int to;
  const char* sql;  // "%s" stands for the quoted schema prefix "<schema>".
};

constexpr Migration kMigrations[] = {
    {1,
     "CREATE TABLE IF NOT EXISTS %s.\"__groups\" ("
     "id bytea PRIMARY KEY, at timestamptz NOT NULL DEFAULT now())"},
    // Never holds a row: every group takes it IN EXCLUSIVE MODE as its transaction's first
    // statement, which queues the writers of all processes (pg_storage.cpp, "Isolation").
    {2, "CREATE TABLE IF NOT EXISTS %s.\"__write_lock\" (unused int)"},
    // Per log table, the last sequence a group of change sets running beside others took
    // (pg_schema.h, kSeqTake). Starts empty: a row is made, caught up with its log's newest
    // key, by the first group that appends to that log.
    {3, "CREATE TABLE IF NOT EXISTS %s.\"__seq\" (t text PRIMARY KEY, n bigint NOT NULL)"},
};

std::string Expand(const char* sql, const std::string& schema) {
  std::string out, q = "\"" + schema + "\"";
  for (const char* p = sql; *p; ++p) {
    if (p[0] == '%' && p[1] == 's') {
      out += q;
      ++p;
    } else {
      out += *p;
    }
  }
  return out;
}

Status ApplyOnce(PgConnection& conn, const std::string& schema, std::string* store_id,
                 Failure* failure) {
  const std::string meta = Quoted(schema, "__meta");
  COMMERCE_RETURN_IF_ERROR(conn.exec(
      "BEGIN ISOLATION LEVEL READ COMMITTED; CREATE SCHEMA IF NOT EXISTS \"" + schema + "\"; " +
          "CREATE TABLE IF NOT EXISTS " + meta + " (k text PRIMARY KEY, v text NOT NULL)",
      failure));
  Status s;
  // The row lock on schema_version serialises concurrent openers: the second waits for the
  // first to commit its migrations, then finds nothing left to do.
  std::string id = RandomId("store-");
  PgResult r = conn.run("__meta_init",
                        "INSERT INTO " + meta + " (k, v) VALUES ('schema_version', '0'), "
                        "('store_id', $1) ON CONFLICT (k) DO NOTHING",
                        {Param{id, 25}}, &s, failure);
  if (!s.ok()) return s;
  r = conn.run("__meta_lock",
               "SELECT (SELECT v FROM " + meta + " WHERE k = 'schema_version' FOR UPDATE), "
               "(SELECT v FROM " + meta + " WHERE k = 'store_id')",
               {}, &s, failure);
  if (!s.ok()) return s;
  if (PQntuples(r.get()) != 1 || PQgetisnull(r.get(), 0, 0) || PQgetisnull(r.get(), 0, 1))
    return Status::Corruption("PostgreSQL schema \"" + schema +
                              "\": __meta lacks schema_version or store_id");
  std::string version_text(PQgetvalue(r.get(), 0, 0), PQgetlength(r.get(), 0, 0));
  *store_id = std::string(PQgetvalue(r.get(), 0, 1), PQgetlength(r.get(), 0, 1));
  int version = -1;
  try {
    version = std::stoi(version_text);
  } catch (...) {
  }
  if (version < 0)
    return Status::Corruption("PostgreSQL schema \"" + schema + "\": schema_version '" +
                              version_text + "' is not a number");
  if (version > kSchemaVersion)
    return Status::FailedPrecondition(
        "PostgreSQL schema \"" + schema + "\" has layout version " + std::to_string(version) +
        ", newer than this build's " + std::to_string(kSchemaVersion) + ": upgrade commerce");
  for (const Migration& m : kMigrations) {
    if (m.to <= version) continue;
    COMMERCE_RETURN_IF_ERROR(conn.exec(Expand(m.sql, schema), failure)
                                 .WithContext("schema migration to version " + std::to_string(m.to)));
    COMMERCE_RETURN_IF_ERROR(conn.exec("UPDATE " + meta + " SET v = '" + std::to_string(m.to) +
                                           "' WHERE k = 'schema_version'",
                                       failure));
  }
  return conn.exec("COMMIT", failure);
}

}  // namespace

Status ApplySchema(PgConnection& conn, const std::string& schema, std::string* store_id) {
  // Two processes creating the same schema at once can collide inside PostgreSQL's catalog
  // (a unique violation on pg_namespace or pg_type) even with IF NOT EXISTS: the loser
  // rolls back and tries again, and then finds the winner's objects.
  Status s;
  for (int attempt = 0; attempt < 5; ++attempt) {
    Failure failure = Failure::kNone;
    s = ApplyOnce(conn, schema, store_id, &failure);
    if (s.ok()) return s;
    (void)conn.exec("ROLLBACK");
    if (failure == Failure::kConnection) break;
    if (!s.IsAlreadyExists() && failure != Failure::kRetry) break;
  }
  return s.WithContext("preparing PostgreSQL schema \"" + schema + "\"");
}

}  // namespace commerce::postgres
