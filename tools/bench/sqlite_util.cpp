#include "sqlite_util.h"

namespace commerce::bench {

bool SqliteFail(sqlite3* db, const std::string& what, std::string* error) {
  *error = "sqlite: " + what + ": " + (db ? sqlite3_errmsg(db) : "out of memory");
  return false;
}

bool SqliteExec(sqlite3* db, const char* sql, std::string* error) {
  char* msg = nullptr;
  int rc = sqlite3_exec(db, sql, nullptr, nullptr, &msg);
  if (rc != SQLITE_OK) {
    *error = std::string("sqlite: ") + sql + ": " + (msg ? msg : sqlite3_errstr(rc));
    sqlite3_free(msg);
    return false;
  }
  return true;
}

sqlite3* SqliteConnect(const std::string& file, std::string* error) {
  sqlite3* db = nullptr;
  int rc = sqlite3_open_v2(file.c_str(), &db,
                           SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    SqliteFail(db, "open " + file, error);
    sqlite3_close(db);
    return nullptr;
  }
  sqlite3_busy_timeout(db, kSqliteBusyTimeoutMs);
  if (!SqliteExec(db, "PRAGMA journal_mode=WAL", error) ||
      !SqliteExec(db, "PRAGMA synchronous=FULL", error) ||
      !SqliteExec(db, "PRAGMA cache_size=-65536", error)) {
    sqlite3_close(db);
    return nullptr;
  }
  return db;
}

bool SqlitePrepare(sqlite3* db, const char* sql, sqlite3_stmt** stmt, std::string* error) {
  if (sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, stmt, nullptr) != SQLITE_OK)
    return SqliteFail(db, std::string("prepare ") + sql, error);
  return true;
}

int SqliteStepDone(sqlite3_stmt* stmt, std::string* msg) {
  int rc = sqlite3_step(stmt);
  if (rc != SQLITE_DONE && msg)
    *msg = std::string(sqlite3_errstr(rc)) + " (" + sqlite3_errmsg(sqlite3_db_handle(stmt)) + ")";
  sqlite3_reset(stmt);
  return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

}  // namespace commerce::bench
