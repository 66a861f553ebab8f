// The PostgreSQL driver's transactions and cursors.
//
// A ReadTxn borrows a connection from the PgPool and holds a REPEATABLE READ, READ ONLY
// transaction whose snapshot is taken when read() returns (BEGIN and a first statement in
// one round trip); it ends with a ROLLBACK sent without waiting for the answer. A WriteTxn is
// one mutation's view of the writer connection inside the group's transaction (the
// savepoint around it belongs to the group commit). Both read through TxnCore.
//
// read_many sends all its reads as one pipeline: one round trip however many keys and ranges.
//
// Cursors fetch pages of rows with one range query each (k >= target ORDER BY k LIMIT n,
// pages growing from 16 to 1024 rows), so a cursor that reads three rows costs one round
// trip and a full scan costs one per thousand rows.
//
// Thread safety: none; a transaction and its cursors belong to one thread (storage.h).
// Lifetime: ending a transaction detaches its cursors (they turn invalid with
// FailedPrecondition).
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "commerce/storage.h"
#include "storage/postgres/pg_connection.h"
#include "storage/postgres/pg_schema.h"

namespace commerce::postgres {

class PgCursor;

// Point reads and cursors over one connection, shared by both kinds of transaction. It
// remembers the worst failure any statement met (a lost connection, a serialization
// failure), which the group commit consults whatever the mutation returned.
class TxnCore {
 public:
  TxnCore(PgConnection* conn, const SchemaNames* names) : conn_(conn), names_(names) {}
  ~TxnCore() { end(); }
  TxnCore(const TxnCore&) = delete;
  TxnCore& operator=(const TxnCore&) = delete;

  Status get(Table table, std::string_view key, std::string_view* value);
  // One pipeline, one round trip: a `k = ANY($1)` statement per table read by key and a
  // range statement per range.
  Result<ReadResults> read_many(const std::vector<KeyRead>& keys, const std::vector<RangeRead>& ranges);
  std::unique_ptr<Cursor> cursor(Table table, CursorOptions options);
  Status put(Table table, std::string_view key, std::string_view value, PutMode mode);
  Status del(Table table, std::string_view key);

  // Runs one of the table's statements; records a connection or retry failure.
  PgResult run(Table table, TableStmt which, const std::vector<Param>& params, Status* status);

  void end();
  PgConnection* conn() const { return conn_; }
  Failure failure() const { return failure_; }
  void forget(PgCursor* cursor);

 private:
  void note(Failure f);

  PgConnection* conn_;
  const SchemaNames* names_;
  PgResult value_;  // what the last get() returned a view of
  std::vector<PgCursor*> cursors_;
  Failure failure_ = Failure::kNone;
};

// One mutation's transaction. REQUIRES: used on the writer thread inside the group's
// transaction on `conn`.
class PgWriteTxn final : public WriteTxn {
 public:
  PgWriteTxn(PgConnection* conn, const SchemaNames* names) : core_(conn, names) {}
  using ReadView::get;
  Status get(Table table, std::string_view key, std::string_view* value) override {
    return core_.get(table, key, value);
  }
  Result<ReadResults> read_many(const std::vector<KeyRead>& keys,
                                const std::vector<RangeRead>& ranges) override {
    return core_.read_many(keys, ranges);
  }
  std::unique_ptr<Cursor> cursor(Table table, CursorOptions options) override {
    return core_.cursor(table, options);
  }
  Status put(Table table, std::string_view key, std::string_view value, PutMode mode) override {
    return core_.put(table, key, value, mode);
  }
  Status del(Table table, std::string_view key) override { return core_.del(table, key); }
  Failure failure() const { return core_.failure(); }

 private:
  TxnCore core_;
};

// A snapshot that starts now. FailedPrecondition when the pool is closed, Unavailable when
// the server cannot be reached.
Result<std::unique_ptr<ReadTxn>> BeginRead(std::shared_ptr<PgPool> pool,
                                           std::shared_ptr<const SchemaNames> names);

}  // namespace commerce::postgres
