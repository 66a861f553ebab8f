#include "peer_sqlite.h"

#include <sqlite3.h>

#include "sqlite_util.h"

namespace commerce::bench {

namespace {


constexpr char kPutSql[] = "INSERT OR REPLACE INTO bench (k, v) VALUES (?1, ?2)";

}  // namespace

std::unique_ptr<SqlitePeer> SqlitePeer::Open(const std::string& dir, std::string* error) {
  std::unique_ptr<SqlitePeer> peer(new SqlitePeer);
  peer->file_ = dir + "/bench.sqlite";
  sqlite3* db = SqliteConnect(peer->file_, error);
  if (!db) return nullptr;
  bool ok = SqliteExec(db, "CREATE TABLE IF NOT EXISTS bench (k BLOB PRIMARY KEY, v BLOB NOT NULL) WITHOUT ROWID",
                 error);
  sqlite3_close(db);
  if (!ok) return nullptr;
  return peer;
}

bool SqlitePeer::Load(uint64_t n, const Generator& gen, Progress* progress, std::string* error,
                      uint64_t batch) {
  sqlite3* db = SqliteConnect(file_, error);
  if (!db) return false;
  sqlite3_stmt* put = nullptr;
  bool ok = SqlitePrepare(db, kPutSql, &put, error);
  std::string key, value;
  for (uint64_t i = 0; ok && i < n;) {
    ok = SqliteExec(db, "BEGIN IMMEDIATE", error);
    const uint64_t end = std::min(n, i + batch);
    for (; ok && i < end; ++i) {
      gen(i, &key, &value);
      sqlite3_bind_blob(put, 1, key.data(), static_cast<int>(key.size()), SQLITE_STATIC);
      sqlite3_bind_blob(put, 2, value.data(), static_cast<int>(value.size()), SQLITE_STATIC);
      std::string msg;
      if (SqliteStepDone(put, &msg) != SQLITE_OK) {
        *error = "sqlite: insert: " + msg;
        ok = false;
      }
    }
    if (ok) ok = SqliteExec(db, "COMMIT", error);
    if (ok && progress) progress->Update(i);
  }
  // Fold the load's WAL into the database file, as a long-running store would have done.
  if (ok) ok = SqliteExec(db, "PRAGMA wal_checkpoint(TRUNCATE)", error);
  sqlite3_finalize(put);
  sqlite3_close(db);
  return ok;
}

std::unique_ptr<SqlitePeer::Writer> SqlitePeer::NewWriter(std::string* error) {
  std::unique_ptr<Writer> w(new Writer);
  w->db_ = SqliteConnect(file_, error);
  if (!w->db_) return nullptr;
  if (!SqlitePrepare(w->db_, "BEGIN IMMEDIATE", &w->begin_, error) ||
      !SqlitePrepare(w->db_, kPutSql, &w->put_, error) || !SqlitePrepare(w->db_, "COMMIT", &w->commit_, error) ||
      !SqlitePrepare(w->db_, "ROLLBACK", &w->rollback_, error))
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
  if (SqliteStepDone(begin_, &msg) != SQLITE_OK) {
    *error = "sqlite: BEGIN IMMEDIATE: " + msg;
    return false;
  }
  sqlite3_bind_blob(put_, 1, key.data(), static_cast<int>(key.size()), SQLITE_STATIC);
  sqlite3_bind_blob(put_, 2, value.data(), static_cast<int>(value.size()), SQLITE_STATIC);
  if (SqliteStepDone(put_, &msg) != SQLITE_OK) {
    *error = "sqlite: INSERT OR REPLACE: " + msg;
    SqliteStepDone(rollback_);
    return false;
  }
  if (SqliteStepDone(commit_, &msg) != SQLITE_OK) {
    *error = "sqlite: COMMIT: " + msg;
    if (!sqlite3_get_autocommit(db_)) SqliteStepDone(rollback_);
    return false;
  }
  return true;
}

}  // namespace commerce::bench
