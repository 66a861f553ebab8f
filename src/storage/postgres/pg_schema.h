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
//   "<schema>"."__write_lock" (never a row): the store's write lock (pg_storage.cpp);
//   "<schema>"."__seq"    (t text PRIMARY KEY, n bigint): per log table, the last sequence
//                         handed out by a group of change sets running beside others
//                         (kSeqTake); never behind the log, whose newest key it catches up
//                         with, so a store of an older layout needs no initialisation.
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
inline constexpr int kSchemaVersion = 3;

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
  // A log table's sequence for a group of change sets running beside others: takes $1
  // (int8) numbers from the log's counter row in __seq and answers the last of them; the row
  // stays locked to the end of the transaction, which orders the groups' commits by sequence.
  kSeqTake,
  // Writes whose key (or value) holds a sequence taken by kSeqTake in this transaction:
  // $1 keys, $2 values (bytea[]), $3 the log's name (text[]), $4 how far below the log's
  // last taken number the sequence is (int8[]), $5 the slot's byte offset, $6 flags (int4[]:
  // 1 invert the sequence's bits, 2 the slot is in the value). kDelSlotted has no $2.
  kPutSlotted,
  kInsertSlotted,
  kDelSlotted,
  kCount_
};

// The types of the *Many statements' array parameters.
inline constexpr Oid kByteaArrayOid = 1001;
inline constexpr Oid kTextArrayOid = 1009;
inline constexpr Oid kInt4ArrayOid = 1007;
inline constexpr Oid kInt8ArrayOid = 1016;

// A one-dimensional array in PostgreSQL's binary format, of elements of type `element` (bytea
// 17, text 25, int4 23, int8 20) each given in its binary form.
std::string BinaryArray(Oid element, const std::vector<std::string_view>& items);
inline std::string ByteaArray(const std::vector<std::string_view>& items) { return BinaryArray(17, items); }

// The statements one pipeline sends (PgConnection::pipeline), with the parameter bytes they
// point into.
class StatementBatch {
 public:
  void add(const std::string* name, const std::string* sql, std::vector<Param> params) {
    piped_.push_back({name, sql, std::move(params)});
  }
  // A bytea[] parameter: its bytes live as long as this batch.
  Param array(const std::vector<std::string_view>& items) { return keep(ByteaArray(items), kByteaArrayOid); }
  Param texts(const std::vector<std::string_view>& items) { return keep(BinaryArray(25, items), kTextArrayOid); }
  Param int8s(const std::vector<int64_t>& items) { return numbers(items, 20, 8, kInt8ArrayOid); }
  Param int4s(const std::vector<int32_t>& items) { return numbers(items, 23, 4, kInt4ArrayOid); }
  // A parameter of type `type` whose bytes the batch keeps (an int8, say).
  Param keep(std::string bytes, Oid type) {
    kept_.push_back(std::move(bytes));
    return Param{kept_.back(), type};
  }
  std::vector<PgConnection::Piped>& piped() { return piped_; }

 private:
  template <typename Int>
  Param numbers(const std::vector<Int>& items, Oid element, int width, Oid array_type) {
    std::string bytes;
    std::vector<std::string_view> views;
    bytes.reserve(items.size() * width);
    for (Int v : items)
      for (int shift = (width - 1) * 8; shift >= 0; shift -= 8)
        bytes.push_back(static_cast<char>((static_cast<uint64_t>(v) >> shift) & 0xff));
    for (size_t i = 0; i < items.size(); ++i) views.emplace_back(bytes.data() + i * width, width);
    return keep(BinaryArray(element, views), array_type);
  }

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
  // The name of a table this Storage gave out ("" for another id).
  std::string name(Table table) const { return tables_.name(table.id).value_or(""); }

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
