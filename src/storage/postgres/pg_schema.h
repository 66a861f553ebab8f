// The PostgreSQL driver's schema: where a store lives in a database, the SQL of each table's
// statements, and the versioned layout applied on open.
//
// A store is one PostgreSQL schema (StorageOptions::postgres_schema, default "commerce"):
//   "<schema>"."<table>"  (k bytea PRIMARY KEY, v bytea NOT NULL) per engine table; bytea
//                         compares as unsigned bytes, then length: the order storage.h asks;
//   "<schema>"."__meta"   (k text PRIMARY KEY, v text): schema_version, store_id;
//   "<schema>"."__groups" (id bytea PRIMARY KEY, at timestamptz): the id of every committed
//                         group, so that a group whose COMMIT got no answer can be looked up
//                         (docs/scaling.md, "A lost connection never writes twice").
// Engine table names are [a-z0-9_] and never start with "__", so they cannot clash with the
// driver's own tables.
//
// Thread safety: SchemaNames locks internally; ApplySchema runs on the connection it is given.
#pragma once

#include <array>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "commerce/storage.h"
#include "storage/postgres/pg_connection.h"
#include "storage/table_names.h"

namespace commerce::postgres {

// The layout this build writes. Opening a store of a newer version is FailedPrecondition.
inline constexpr int kSchemaVersion = 2;

// The statements prepared once per table and connection.
enum class TableStmt : uint8_t {
  kGet,          // the value of one key
  kSeekForward,  // k >= $1 ascending, LIMIT $2
  kNextForward,  // k > $1 ascending, LIMIT $2
  kFirst,        // ascending from the start, LIMIT $1
  kSeekReverse,  // k <= $1 descending, LIMIT $2
  kNextReverse,  // k < $1 descending, LIMIT $2
  kLast,         // descending from the end, LIMIT $1
  kPut,          // insert or replace
  kInsert,       // insert if absent (0 rows when present)
  kDel,
  // The native apply's statements (pg_apply.h): one per table and round trip however many
  // keys, each key once ($1 bytea[] keys, $2 bytea[] values).
  kGetMany,     // k, v of every key of $1 that is present
  kPutMany,     // insert or replace every (key, value)
  kInsertMany,  // insert every (key, value); a key already present fails it (23505)
  kDelMany,     // delete every key of $1
  // ReadView::read_many's range read with an end: $1 <= k < $2 ascending, LIMIT $3.
  kRange,
  kCount_
};

// The type of the *Many statements' array parameters.
inline constexpr Oid kByteaArrayOid = 1001;

// bytea[] in PostgreSQL's binary array format, for a parameter of type kByteaArrayOid.
std::string ByteaArray(const std::vector<std::string_view>& items);

// The statements one pipeline sends (PgConnection::pipeline), with the parameter bytes they
// point into.
class StatementBatch {
 public:
  void add(const std::string* name, const std::string* sql, std::vector<Param> params) {
    piped_.push_back({name, sql, std::move(params)});
  }
  // A bytea[] parameter: its bytes live as long as this batch.
  Param array(const std::vector<std::string_view>& items) { return keep(ByteaArray(items), kByteaArrayOid); }
  // A parameter of type `type` whose bytes the batch keeps (an int8, say).
  Param keep(std::string bytes, Oid type) {
    kept_.push_back(std::move(bytes));
    return Param{kept_.back(), type};
  }
  std::vector<PgConnection::Piped>& piped() { return piped_; }

 private:
  std::vector<PgConnection::Piped> piped_;
  std::deque<std::string> kept_;  // a deque: adding one never moves the others
};

// True for 1..63 of [a-z0-9_] not starting with "pg_" (PostgreSQL's reserved prefix).
bool IsValidSchemaName(std::string_view name);

// The table's name in PostgreSQL: `name` itself up to 63 bytes (PostgreSQL's limit), else
// its first 54 bytes, '_' and 8 hex digits of a hash of the whole name.
std::string PgTableName(std::string_view name);

// "<schema>"."<name>" for a name already checked to be [a-z0-9_].
std::string Quoted(std::string_view schema, std::string_view name);

// The store's schema and its tables: Table id -> SQL.
class SchemaNames {
 public:
  explicit SchemaNames(std::string schema) : schema_(std::move(schema)) {}
  const std::string& schema() const { return schema_; }

  // The id of `name`, adding it (and its statements) if new.
  uint32_t add(std::string_view name);
  std::optional<uint32_t> find(std::string_view name) const { return tables_.find(name); }

  // The statement's name on a connection and its SQL; InvalidArgument for a Table this
  // Storage never gave out. The strings live as long as this object.
  Status statement(Table table, TableStmt which, const std::string** name,
                   const std::string** sql) const;

 private:
  struct Statements {
    std::array<std::string, static_cast<size_t>(TableStmt::kCount_)> name, sql;
  };
  const std::string schema_;
  TableNames tables_;
  mutable std::mutex mu_;
  std::deque<Statements> statements_;  // GUARDED_BY(mu_); by table id, never shrinks
};

// Creates the schema and the driver's tables, or upgrades them to kSchemaVersion, in one
// transaction that also serialises concurrent openers (they wait on the __meta row). Sets
// *store_id to the store's identity (made once, when the schema is created).
Status ApplySchema(PgConnection& conn, const std::string& schema, std::string* store_id);

// CREATE TABLE IF NOT EXISTS for an engine table.
std::string CreateTableSql(std::string_view schema, std::string_view table);

}  // namespace commerce::postgres
