// The SQLite driver's connections: one sqlite3 handle with its cache of prepared statements
// (turning a Table id into SQL through TableNames, storage/table_names.h), and the pool of
// read-only connections that ReadTxns borrow.
//
// Parts: SqliteConnection (one thread at a time), ReadPool (shared, thread-safe), and
// SqliteStatus (SQLite result code -> Status).
//
// Thread safety: connections are opened with SQLITE_OPEN_NOMUTEX, so a SqliteConnection and
// the statements it hands out belong to one thread at a time: the writer connection to the
// writer thread, a read connection to the thread holding the ReadTxn that borrowed it.
// TableNames and ReadPool lock internally and are shared with ReadTxns through shared_ptr, so
// a ReadTxn that outlives close() still returns its connection safely.
#pragma once

#include <sqlite3.h>

#include <array>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "commerce/storage.h"
#include "storage/table_names.h"

namespace commerce::sqlite {

// SQL for table `name` ("t_" + name: user names never clash with the driver's "__meta").
std::string QuotedTableName(std::string_view name);

// Turns a SQLite result code into a Status: BUSY/IOERR/CANTOPEN/READONLY -> Unavailable,
// CORRUPT/NOTADB -> Corruption (naming `file`), FULL/NOMEM -> ResourceExhausted, anything
// else -> Internal. `what` says what was being done, `db` (may be null) supplies the message.
Status SqliteStatus(int rc, sqlite3* db, std::string_view what, const std::string& file);

// The statements a connection prepares once per table and then reuses.
enum class TableStmt : uint8_t {
  kGet,          // the value of one key
  kSeekForward,  // entries with k >= ?1, ascending
  kSeekReverse,  // entries with k <= ?1, descending
  kFirst,        // all entries, ascending
  kLast,         // all entries, descending
  kPut,          // insert or replace
  kInsert,       // insert if absent (changes() == 0 when present)
  kDel,
  kCount_
};

// Statements without a table, prepared once per connection.
enum class ControlStmt : uint8_t {
  kBegin,
  kBeginImmediate,
  kCommit,
  kRollback,
  kSavepoint,
  kRelease,
  kRollbackTo,
  kStartSnapshot,  // a cheap read that pins the snapshot of a deferred BEGIN
  kCount_
};

struct ConnectionSettings {
  std::string file;
  bool read_only = false;
  int cache_kib = 0;
  int busy_timeout_ms = 5000;
};

class SqliteConnection {
 public:
  // Opens `settings.file` (creating it unless read_only) without SQLite's mutexes.
  static Result<std::unique_ptr<SqliteConnection>> Open(const ConnectionSettings& settings,
                                                        std::shared_ptr<const TableNames> names);
  ~SqliteConnection();  // finalizes every statement, then closes the handle
  SqliteConnection(const SqliteConnection&) = delete;
  SqliteConnection& operator=(const SqliteConnection&) = delete;

  sqlite3* db() const { return db_; }
  const std::string& file() const { return file_; }

  // Runs SQL text that returns no rows we need (pragmas, DDL).
  Status exec(const std::string& sql);
  // Runs one of the cached control statements to completion.
  Status run(ControlStmt which);
  // The first column of the first row of `sql` as text ("" when there is no row), for
  // pragmas that answer (journal_mode, quick_check).
  Result<std::string> query_text(const std::string& sql);

  // A statement for `table`, reset and unbound, owned by the caller until release()d.
  // Several may be out at once for one table (two cursors). InvalidArgument for a Table
  // this Storage never gave out; "no such table" (a snapshot older than the table) comes
  // back as NotFound so readers can treat the table as empty.
  Result<sqlite3_stmt*> acquire(Table table, TableStmt which);
  void release(Table table, TableStmt which, sqlite3_stmt* stmt);

  // The Status for a failed call on this connection.
  Status error(int rc, std::string_view what) const { return SqliteStatus(rc, db_, what, file_); }

 private:
  SqliteConnection(sqlite3* db, std::string file, std::shared_ptr<const TableNames> names)
      : db_(db), file_(std::move(file)), names_(std::move(names)) {}
  Result<sqlite3_stmt*> prepare(const std::string& sql);

  using Free = std::array<std::vector<sqlite3_stmt*>, static_cast<size_t>(TableStmt::kCount_)>;
  sqlite3* db_;
  std::string file_;
  std::shared_ptr<const TableNames> names_;
  std::vector<Free> free_;  // by table id: statements ready for reuse
  std::array<sqlite3_stmt*, static_cast<size_t>(ControlStmt::kCount_)> control_{};
};

// Read-only connections handed out to ReadTxns and given back when they end. It keeps at
// most kMaxIdle idle connections: each may hold a page cache of cache_kib.
class ReadPool {
 public:
  static constexpr size_t kMaxIdle = 16;
  ReadPool(ConnectionSettings settings, std::shared_ptr<const TableNames> names)
      : settings_(std::move(settings)), names_(std::move(names)) {}

  // An idle connection, or a new one. FailedPrecondition after close().
  Result<std::unique_ptr<SqliteConnection>> take();
  // Returns a connection with no open transaction; closes it when the pool is closed or full.
  void give_back(std::unique_ptr<SqliteConnection> conn);
  // Closes idle connections; those still out close when given back.
  void close();

 private:
  const ConnectionSettings settings_;
  const std::shared_ptr<const TableNames> names_;
  std::mutex mu_;
  std::vector<std::unique_ptr<SqliteConnection>> idle_;  // GUARDED_BY(mu_)
  bool closed_ = false;                                  // GUARDED_BY(mu_)
};

}  // namespace commerce::sqlite
