// The SQLite driver's transactions and cursors.
//
// A ReadTxn borrows a read-only connection from the ReadPool and holds a deferred BEGIN
// whose first read pins its WAL snapshot; a WriteTxn is one mutation's view of the writer
// connection inside the group's BEGIN IMMEDIATE (the savepoint around it belongs to the
// group commit, not to the txn). Both read through TxnCore.
//
// Thread safety: none; a transaction and its cursors belong to one thread (storage.h).
// Lifetime: ending a transaction detaches its cursors (they turn invalid with
// FailedPrecondition) so none is left stepping a statement of a connection that has moved on.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "commerce/storage.h"
#include "storage/sqlite/sqlite_connection.h"

namespace commerce::sqlite {

class SqliteCursor;

// Point reads and cursors over one connection, shared by both kinds of transaction.
class TxnCore {
 public:
  explicit TxnCore(SqliteConnection* conn) : conn_(conn) {}
  ~TxnCore() { end(); }
  TxnCore(const TxnCore&) = delete;
  TxnCore& operator=(const TxnCore&) = delete;

  Status get(Table table, std::string_view key, std::string_view* value);
  std::unique_ptr<Cursor> cursor(Table table, CursorOptions options);

  // Detaches every open cursor and stops using the connection; later calls fail with
  // FailedPrecondition. Idempotent.
  void end();
  // The connection, or null once ended.
  SqliteConnection* conn() const { return conn_; }
  void forget(SqliteCursor* cursor);

 private:
  SqliteConnection* conn_;
  std::string value_;  // what the last get() returned a view of
  std::vector<SqliteCursor*> cursors_;
};

// One mutation's transaction. REQUIRES: used on the writer thread inside an open
// transaction of `conn`.
class SqliteWriteTxn final : public WriteTxn {
 public:
  explicit SqliteWriteTxn(SqliteConnection* conn) : core_(conn) {}
  using ReadView::get;
  Status get(Table table, std::string_view key, std::string_view* value) override {
    return core_.get(table, key, value);
  }
  std::unique_ptr<Cursor> cursor(Table table, CursorOptions options) override {
    return core_.cursor(table, options);
  }
  Status put(Table table, std::string_view key, std::string_view value, PutMode mode) override;
  Status del(Table table, std::string_view key) override;

 private:
  TxnCore core_;
};

// A snapshot that starts now: later commits stay invisible to it. FailedPrecondition when
// the pool is closed.
Result<std::unique_ptr<ReadTxn>> BeginRead(std::shared_ptr<ReadPool> pool);

}  // namespace commerce::sqlite
