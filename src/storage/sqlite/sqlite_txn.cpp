#include "storage/sqlite/sqlite_txn.h"

#include <algorithm>
#include <utility>

namespace commerce::sqlite {

namespace {

Status Ended() {
  return Status::FailedPrecondition("transaction has ended: use a cursor only inside its txn");
}

// SQLite would take any key; the limits are storage.h's, so that data moves between drivers.
Status CheckKey(std::string_view key) {
  if (key.empty()) return Status::InvalidArgument("empty key");
  if (key.size() > kMaxKeySize)
    return Status::InvalidArgument("key of " + std::to_string(key.size()) +
                                   " bytes is longer than kMaxKeySize (" +
                                   std::to_string(kMaxKeySize) + ")");
  return Status::OK();
}

// SQLite binds a null pointer as SQL NULL, not as an empty blob: an empty key or value must
// still point somewhere.
int BindBlob(sqlite3_stmt* stmt, int index, std::string_view bytes, sqlite3_destructor_type how) {
  const char* data = bytes.data() != nullptr ? bytes.data() : "";
  return sqlite3_bind_blob64(stmt, index, data, bytes.size(), how);
}

std::string_view ColumnBlob(sqlite3_stmt* stmt, int column) {
  // column_blob before column_bytes, as SQLite's docs require for a stable size.
  const void* data = sqlite3_column_blob(stmt, column);
  int size = sqlite3_column_bytes(stmt, column);
  if (data == nullptr) return {};
  return {static_cast<const char*>(data), static_cast<size_t>(size)};
}

}  // namespace

// A cursor is one running SELECT: seek and seek_to_first start a new one, next() steps it.
// The statement goes back to the connection's cache as soon as it runs out of rows.
class SqliteCursor final : public Cursor {
 public:
  SqliteCursor(TxnCore* txn, Table table, bool reverse)
      : txn_(txn), table_(table), reverse_(reverse) {}
  ~SqliteCursor() override {
    drop_statement();
    if (txn_ != nullptr) txn_->forget(this);
  }

  bool valid() const override { return valid_; }
  void seek(std::string_view target) override {
    start(reverse_ ? TableStmt::kSeekReverse : TableStmt::kSeekForward, &target);
  }
  void seek_to_first() override { start(reverse_ ? TableStmt::kLast : TableStmt::kFirst, nullptr); }
  void next() override {
    if (valid_) step();
  }
  std::string_view key() const override { return valid_ ? ColumnBlob(stmt_, 0) : std::string_view(); }
  std::string_view value() const override {
    return valid_ ? ColumnBlob(stmt_, 1) : std::string_view();
  }
  Status status() const override { return status_; }

  // Called by the transaction as it ends.
  void detach() {
    drop_statement();
    txn_ = nullptr;
    status_ = Ended();
  }

 private:
  void start(TableStmt which, const std::string_view* target) {
    drop_statement();
    if (txn_ == nullptr) return;  // keeps the Ended() status
    status_ = Status::OK();
    auto stmt = txn_->conn()->acquire(table_, which);
    if (!stmt.ok()) {
      // A table created after this snapshot began is, to the snapshot, empty.
      if (!stmt.error().IsNotFound()) status_ = stmt.error();
      return;
    }
    stmt_ = *stmt;
    which_ = which;
    if (target != nullptr) BindBlob(stmt_, 1, *target, SQLITE_TRANSIENT);
    step();
  }

  void step() {
    int rc = sqlite3_step(stmt_);
    valid_ = rc == SQLITE_ROW;
    if (valid_) return;
    if (rc != SQLITE_DONE) status_ = txn_->conn()->error(rc, "cursor step");
    drop_statement();
  }

  void drop_statement() {
    valid_ = false;
    if (stmt_ == nullptr) return;
    txn_->conn()->release(table_, which_, stmt_);
    stmt_ = nullptr;
  }

  TxnCore* txn_;  // null once the transaction ended
  const Table table_;
  const bool reverse_;
  sqlite3_stmt* stmt_ = nullptr;  // non-null while positioned or between rows
  TableStmt which_ = TableStmt::kFirst;
  bool valid_ = false;
  Status status_;
};

Status TxnCore::get(Table table, std::string_view key, std::string_view* value) {
  if (conn_ == nullptr) return Ended();
  COMMERCE_RETURN_IF_ERROR(CheckKey(key));
  auto acquired = conn_->acquire(table, TableStmt::kGet);
  if (!acquired.ok()) {
    if (acquired.error().IsNotFound()) return Status::NotFound("key not found");  // newer table
    return acquired.error();
  }
  sqlite3_stmt* stmt = *acquired;
  BindBlob(stmt, 1, key, SQLITE_STATIC);  // stepped and reset before `key` can go away
  int rc = sqlite3_step(stmt);
  Status s;
  if (rc == SQLITE_ROW) {
    std::string_view found = ColumnBlob(stmt, 0);
    value_.assign(found.data() != nullptr ? found.data() : "", found.size());
    *value = value_;
  } else if (rc == SQLITE_DONE) {
    s = Status::NotFound("key not found");
  } else {
    s = conn_->error(rc, "get");
  }
  conn_->release(table, TableStmt::kGet, stmt);
  return s;
}

std::unique_ptr<Cursor> TxnCore::cursor(Table table, CursorOptions options) {
  auto cursor = std::make_unique<SqliteCursor>(this, table, options.reverse);
  if (conn_ == nullptr)
    cursor->detach();
  else
    cursors_.push_back(cursor.get());
  return cursor;
}

void TxnCore::end() {
  for (SqliteCursor* c : cursors_) c->detach();
  cursors_.clear();
  conn_ = nullptr;
}

void TxnCore::forget(SqliteCursor* cursor) {
  cursors_.erase(std::remove(cursors_.begin(), cursors_.end(), cursor), cursors_.end());
}

Status SqliteWriteTxn::put(Table table, std::string_view key, std::string_view value,
                           PutMode mode) {
  SqliteConnection* conn = core_.conn();
  if (conn == nullptr) return Ended();
  COMMERCE_RETURN_IF_ERROR(CheckKey(key));
  TableStmt which = mode == PutMode::kNoOverwrite ? TableStmt::kInsert : TableStmt::kPut;
  COMMERCE_ASSIGN_OR_RETURN(sqlite3_stmt* stmt, conn->acquire(table, which));
  BindBlob(stmt, 1, key, SQLITE_STATIC);
  BindBlob(stmt, 2, value, SQLITE_STATIC);
  int rc = sqlite3_step(stmt);
  Status s;
  if (rc != SQLITE_DONE)
    s = conn->error(rc, "put");
  else if (which == TableStmt::kInsert && sqlite3_changes(conn->db()) == 0)
    s = Status::AlreadyExists("key already present (put with kNoOverwrite)");
  conn->release(table, which, stmt);
  return s;
}

Status SqliteWriteTxn::del(Table table, std::string_view key) {
  SqliteConnection* conn = core_.conn();
  if (conn == nullptr) return Ended();
  COMMERCE_RETURN_IF_ERROR(CheckKey(key));
  COMMERCE_ASSIGN_OR_RETURN(sqlite3_stmt* stmt, conn->acquire(table, TableStmt::kDel));
  BindBlob(stmt, 1, key, SQLITE_STATIC);
  int rc = sqlite3_step(stmt);
  Status s = rc == SQLITE_DONE ? Status::OK() : conn->error(rc, "del");
  conn->release(table, TableStmt::kDel, stmt);
  return s;
}

namespace {

// Owns a borrowed read connection for the life of one snapshot.
class SqliteReadTxn final : public ReadTxn {
 public:
  SqliteReadTxn(std::shared_ptr<ReadPool> pool, std::unique_ptr<SqliteConnection> conn)
      : pool_(std::move(pool)), conn_(std::move(conn)), core_(conn_.get()) {}
  ~SqliteReadTxn() override {
    core_.end();
    // Ending a read-only transaction cannot lose anything; a connection that will not end it
    // is closed rather than pooled (give_back checks).
    if (!conn_->run(ControlStmt::kCommit).ok()) (void)conn_->run(ControlStmt::kRollback);
    pool_->give_back(std::move(conn_));
  }

  using ReadView::get;
  Status get(Table table, std::string_view key, std::string_view* value) override {
    return core_.get(table, key, value);
  }
  std::unique_ptr<Cursor> cursor(Table table, CursorOptions options) override {
    return core_.cursor(table, options);
  }

 private:
  // The pool is shared so that a txn outliving close() (or its Storage) still has somewhere
  // to return its connection.
  std::shared_ptr<ReadPool> pool_;
  std::unique_ptr<SqliteConnection> conn_;
  TxnCore core_;
};

}  // namespace

Result<std::unique_ptr<ReadTxn>> BeginRead(std::shared_ptr<ReadPool> pool) {
  COMMERCE_ASSIGN_OR_RETURN(std::unique_ptr<SqliteConnection> conn, pool->take());
  Status s = conn->run(ControlStmt::kBegin);
  // A deferred BEGIN takes its snapshot at the first read, so read now: the snapshot must
  // not include commits that land between read() and the caller's first get.
  if (s.ok()) s = conn->run(ControlStmt::kStartSnapshot);
  if (!s.ok()) {
    (void)conn->run(ControlStmt::kRollback);
    pool->give_back(std::move(conn));
    return s;
  }
  return std::unique_ptr<ReadTxn>(new SqliteReadTxn(std::move(pool), std::move(conn)));
}

}  // namespace commerce::sqlite
