#include "peer_sqlite.h"

#include <sqlite3.h>

namespace commerce::bench {

namespace {

// How long a writer waits for SQLite's write lock before giving up with SQLITE_BUSY. Long:
// with 64 writers a thread may queue behind many commits, and a busy error would measure
// nothing useful.
constexpr int kBusyTimeoutMs = 60'000;

bool Fail(sqlite3* db, const std::string& what, std::string* error) {
  *error = "sqlite: " + what + ": " + (db ? sqlite3_errmsg(db) : "out of memory");
  return false;
}

bool Exec(sqlite3* db, const char* sql, std::string* error) {
  char* msg = nullptr;
  int rc = sqlite3_exec(db, sql, nullptr, nullptr, &msg);
  if (rc != SQLITE_OK) {
    *error = std::string("sqlite: ") + sql + ": " + (msg ? msg : sqlite3_errstr(rc));
    sqlite3_free(msg);
    return false;
  }
  return true;
}

// A connection with the per-connection settings every user of this file gets.
sqlite3* Connect(const std::string& file, std::string* error) {
  sqlite3* db = nullptr;
  int rc = sqlite3_open_v2(file.c_str(), &db,
                           SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    Fail(db, "open " + file, error);
    sqlite3_close(db);
    return nullptr;
  }
  sqlite3_busy_timeout(db, kBusyTimeoutMs);
  if (!Exec(db, "PRAGMA journal_mode=WAL", error) || !Exec(db, "PRAGMA synchronous=FULL", error) ||
      !Exec(db, "PRAGMA cache_size=-65536", error)) {
    sqlite3_close(db);
    return nullptr;
  }
  return db;
}

bool Prepare(sqlite3* db, const char* sql, sqlite3_stmt** stmt, std::string* error) {
  if (sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, stmt, nullptr) != SQLITE_OK)
    return Fail(db, std::string("prepare ") + sql, error);
  return true;
}

// Steps a statement that returns no rows and resets it; on failure *msg gets SQLite's
// message, taken before the reset.
int StepDone(sqlite3_stmt* stmt, std::string* msg = nullptr) {
  int rc = sqlite3_step(stmt);
  if (rc != SQLITE_DONE && msg)
    *msg = std::string(sqlite3_errstr(rc)) + " (" + sqlite3_errmsg(sqlite3_db_handle(stmt)) + ")";
  sqlite3_reset(stmt);
  return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

constexpr char kPutSql[] = "INSERT OR REPLACE INTO bench (k, v) VALUES (?1, ?2)";

}  // namespace

std::unique_ptr<SqlitePeer> SqlitePeer::Open(const std::string& dir, std::string* error) {
  std::unique_ptr<SqlitePeer> peer(new SqlitePeer);
  peer->file_ = dir + "/bench.sqlite";
  sqlite3* db = Connect(peer->file_, error);
  if (!db) return nullptr;
  bool ok = Exec(db, "CREATE TABLE IF NOT EXISTS bench (k BLOB PRIMARY KEY, v BLOB NOT NULL) WITHOUT ROWID",
                 error);
  sqlite3_close(db);
  if (!ok) return nullptr;
  return peer;
}

bool SqlitePeer::Load(uint64_t n, const Generator& gen, Progress* progress, std::string* error,
                      uint64_t batch) {
  sqlite3* db = Connect(file_, error);
  if (!db) return false;
  sqlite3_stmt* put = nullptr;
  bool ok = Prepare(db, kPutSql, &put, error);
  std::string key, value;
  for (uint64_t i = 0; ok && i < n;) {
    ok = Exec(db, "BEGIN IMMEDIATE", error);
    const uint64_t end = std::min(n, i + batch);
    for (; ok && i < end; ++i) {
      gen(i, &key, &value);
      sqlite3_bind_blob(put, 1, key.data(), static_cast<int>(key.size()), SQLITE_STATIC);
      sqlite3_bind_blob(put, 2, value.data(), static_cast<int>(value.size()), SQLITE_STATIC);
      std::string msg;
      if (StepDone(put, &msg) != SQLITE_OK) {
        *error = "sqlite: insert: " + msg;
        ok = false;
      }
    }
    if (ok) ok = Exec(db, "COMMIT", error);
    if (ok && progress) progress->Update(i);
  }
  // Fold the load's WAL into the database file, as a long-running store would have done.
  if (ok) ok = Exec(db, "PRAGMA wal_checkpoint(TRUNCATE)", error);
  sqlite3_finalize(put);
  sqlite3_close(db);
  return ok;
}

std::unique_ptr<SqlitePeer::Writer> SqlitePeer::NewWriter(std::string* error) {
  std::unique_ptr<Writer> w(new Writer);
  w->db_ = Connect(file_, error);
  if (!w->db_) return nullptr;
  if (!Prepare(w->db_, "BEGIN IMMEDIATE", &w->begin_, error) ||
      !Prepare(w->db_, kPutSql, &w->put_, error) || !Prepare(w->db_, "COMMIT", &w->commit_, error) ||
      !Prepare(w->db_, "ROLLBACK", &w->rollback_, error))
    return nullptr;
  return w;
}

SqlitePeer::Writer::~Writer() {
  sqlite3_finalize(begin_);
  sqlite3_finalize(put_);
  sqlite3_finalize(commit_);
  sqlite3_finalize(rollback_);
  sqlite3_close(db_);
}

bool SqlitePeer::Writer::Put(std::string_view key, std::string_view value, std::string* error) {
  std::string msg;
  if (StepDone(begin_, &msg) != SQLITE_OK) {
    *error = "sqlite: BEGIN IMMEDIATE: " + msg;
    return false;
  }
  sqlite3_bind_blob(put_, 1, key.data(), static_cast<int>(key.size()), SQLITE_STATIC);
  sqlite3_bind_blob(put_, 2, value.data(), static_cast<int>(value.size()), SQLITE_STATIC);
  if (StepDone(put_, &msg) != SQLITE_OK) {
    *error = "sqlite: INSERT OR REPLACE: " + msg;
    StepDone(rollback_);
    return false;
  }
  if (StepDone(commit_, &msg) != SQLITE_OK) {
    *error = "sqlite: COMMIT: " + msg;
    if (!sqlite3_get_autocommit(db_)) StepDone(rollback_);
    return false;
  }
  return true;
}

}  // namespace commerce::bench
