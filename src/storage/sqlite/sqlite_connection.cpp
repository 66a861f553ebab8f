#include "storage/sqlite/sqlite_connection.h"

#include <utility>

namespace commerce::sqlite {

std::string QuotedTableName(std::string_view name) {
  // Names are [a-z0-9_] (IsValidTableName), so quoting never needs escaping.
  std::string out = "\"t_";
  out += name;
  out += '"';
  return out;
}

Status SqliteStatus(int rc, sqlite3* db, std::string_view what, const std::string& file) {
  std::string detail = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  std::string where = std::string(what) + " on " + file + ": " + detail;
  switch (rc & 0xff) {
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return Status::Corruption(file + " is damaged or not a SQLite database (" + detail +
                                "): restore the store from a backup");
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_IOERR:
    case SQLITE_CANTOPEN:
    case SQLITE_READONLY:
    case SQLITE_PERM:
    case SQLITE_PROTOCOL:
      return Status::Unavailable(where);
    case SQLITE_FULL:
    case SQLITE_NOMEM:
    case SQLITE_TOOBIG:
      return Status::ResourceExhausted(where);
    default:
      return Status::Internal(where);
  }
}

namespace {

std::string TableSql(TableStmt which, const std::string& t) {
  switch (which) {
    case TableStmt::kGet: return "SELECT v FROM " + t + " WHERE k = ?1";
    case TableStmt::kSeekForward: return "SELECT k, v FROM " + t + " WHERE k >= ?1 ORDER BY k";
    case TableStmt::kSeekReverse:
      return "SELECT k, v FROM " + t + " WHERE k <= ?1 ORDER BY k DESC";
    case TableStmt::kFirst: return "SELECT k, v FROM " + t + " ORDER BY k";
    case TableStmt::kLast: return "SELECT k, v FROM " + t + " ORDER BY k DESC";
    case TableStmt::kPut:
      return "INSERT INTO " + t + " (k, v) VALUES (?1, ?2) ON CONFLICT (k) DO UPDATE SET v = excluded.v";
    case TableStmt::kInsert:
      return "INSERT INTO " + t + " (k, v) VALUES (?1, ?2) ON CONFLICT (k) DO NOTHING";
    case TableStmt::kDel: return "DELETE FROM " + t + " WHERE k = ?1";
    case TableStmt::kCount_: break;
  }
  return {};
}

const char* ControlSql(ControlStmt which) {
  switch (which) {
    case ControlStmt::kBegin: return "BEGIN";
    case ControlStmt::kBeginImmediate: return "BEGIN IMMEDIATE";
    case ControlStmt::kCommit: return "COMMIT";
    case ControlStmt::kRollback: return "ROLLBACK";
    case ControlStmt::kSavepoint: return "SAVEPOINT m";
    case ControlStmt::kRelease: return "RELEASE m";
    case ControlStmt::kRollbackTo: return "ROLLBACK TO m";
    // Any read starts a deferred transaction's snapshot; the schema table always exists.
    case ControlStmt::kStartSnapshot: return "SELECT 1 FROM sqlite_master LIMIT 1";
    case ControlStmt::kCount_: break;
  }
  return "";
}

}  // namespace

Result<std::unique_ptr<SqliteConnection>> SqliteConnection::Open(
    const ConnectionSettings& settings, std::shared_ptr<const TableNames> names) {
  int flags = SQLITE_OPEN_NOMUTEX |
              (settings.read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
  sqlite3* db = nullptr;
  int rc = sqlite3_open_v2(settings.file.c_str(), &db, flags, nullptr);
  if (rc != SQLITE_OK) {
    Status s = SqliteStatus(rc, db, "open", settings.file);
    sqlite3_close_v2(db);
    return s;
  }
  sqlite3_extended_result_codes(db, 1);
  sqlite3_busy_timeout(db, settings.busy_timeout_ms);
  std::unique_ptr<SqliteConnection> conn(new SqliteConnection(db, settings.file, std::move(names)));
  if (settings.cache_kib > 0)
    COMMERCE_RETURN_IF_ERROR(conn->exec("PRAGMA cache_size=-" + std::to_string(settings.cache_kib)));
  return conn;
}

SqliteConnection::~SqliteConnection() {
  for (auto& per_table : free_)
    for (auto& list : per_table)
      for (sqlite3_stmt* stmt : list) sqlite3_finalize(stmt);
  for (sqlite3_stmt* stmt : control_) sqlite3_finalize(stmt);  // null is a no-op
  // close_v2: should a statement still be out, the handle lingers until it is finalized
  // instead of failing to close.
  sqlite3_close_v2(db_);
}

Status SqliteConnection::exec(const std::string& sql) {
  char* message = nullptr;
  int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &message);
  sqlite3_free(message);  // sqlite3_errmsg still has it
  if (rc != SQLITE_OK) return error(rc, sql);
  return Status::OK();
}

Status SqliteConnection::run(ControlStmt which) {
  sqlite3_stmt*& stmt = control_[static_cast<size_t>(which)];
  if (stmt == nullptr) {
    COMMERCE_ASSIGN_OR_RETURN(stmt, prepare(ControlSql(which)));
  }
  int rc;
  while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
  }
  sqlite3_reset(stmt);
  if (rc != SQLITE_DONE) return error(rc, ControlSql(which));
  return Status::OK();
}

Result<std::string> SqliteConnection::query_text(const std::string& sql) {
  COMMERCE_ASSIGN_OR_RETURN(sqlite3_stmt * stmt, prepare(sql));
  std::string text;
  int rc = sqlite3_step(stmt);
  if (rc == SQLITE_ROW) {
    const unsigned char* column = sqlite3_column_text(stmt, 0);
    if (column != nullptr) text = reinterpret_cast<const char*>(column);
    rc = SQLITE_DONE;  // the rest of the rows are not wanted
  }
  Status s = rc == SQLITE_DONE ? Status::OK() : error(rc, sql);
  sqlite3_finalize(stmt);
  if (!s.ok()) return s;
  return text;
}

Result<sqlite3_stmt*> SqliteConnection::prepare(const std::string& sql) {
  sqlite3_stmt* stmt = nullptr;
  int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()),
                              SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
  if (rc == SQLITE_OK) return stmt;
  sqlite3_finalize(stmt);
  std::string_view message = sqlite3_errmsg(db_);
  if ((rc & 0xff) == SQLITE_ERROR && message.starts_with("no such table"))
    return Status::NotFound(message);
  return error(rc, "prepare " + sql);
}

Result<sqlite3_stmt*> SqliteConnection::acquire(Table table, TableStmt which) {
  if (table.id >= free_.size()) {
    if (!names_->name(table.id))
      return Status::InvalidArgument("unknown table id " + std::to_string(table.id) +
                                     ": use a Table from this store's table()");
    free_.resize(table.id + 1);
  }
  auto& list = free_[table.id][static_cast<size_t>(which)];
  if (!list.empty()) {
    sqlite3_stmt* stmt = list.back();
    list.pop_back();
    return stmt;
  }
  // Known to exist: ids only ever grow.
  return prepare(TableSql(which, QuotedTableName(*names_->name(table.id))));
}

void SqliteConnection::release(Table table, TableStmt which, sqlite3_stmt* stmt) {
  sqlite3_reset(stmt);
  sqlite3_clear_bindings(stmt);
  free_[table.id][static_cast<size_t>(which)].push_back(stmt);
}

Result<std::unique_ptr<SqliteConnection>> ReadPool::take() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (closed_) return Status::FailedPrecondition("storage is closed: reopen it to read");
    if (!idle_.empty()) {
      auto conn = std::move(idle_.back());
      idle_.pop_back();
      return conn;
    }
  }
  // Opening touches the disk: not under the lock.
  return SqliteConnection::Open(settings_, names_);
}

void ReadPool::give_back(std::unique_ptr<SqliteConnection> conn) {
  if (!sqlite3_get_autocommit(conn->db())) return;  // stuck in a transaction: close it
  std::lock_guard<std::mutex> lock(mu_);
  if (closed_ || idle_.size() >= kMaxIdle) return;  // closes after the lock is released
  idle_.push_back(std::move(conn));
}

void ReadPool::close() {
  std::vector<std::unique_ptr<SqliteConnection>> idle;
  {
    std::lock_guard<std::mutex> lock(mu_);
    closed_ = true;
    idle.swap(idle_);
  }
}

}  // namespace commerce::sqlite
