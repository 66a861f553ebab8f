// What the SQLite peers share: a connection configured as a competent user would (WAL,
// synchronous=FULL, a long busy timeout) and small statement helpers. Errors come back as a
// message in *error and false/nullptr, the bench's convention.
#pragma once

#include <sqlite3.h>

#include <string>

namespace commerce::bench {

// How long a writer waits for SQLite's write lock before giving up with SQLITE_BUSY. Long:
// with 64 writers a thread may queue behind many commits, and a busy error would measure
// nothing useful.
inline constexpr int kSqliteBusyTimeoutMs = 60'000;

bool SqliteFail(sqlite3* db, const std::string& what, std::string* error);
bool SqliteExec(sqlite3* db, const char* sql, std::string* error);
// A connection with the per-connection settings every peer gets.
sqlite3* SqliteConnect(const std::string& file, std::string* error);
bool SqlitePrepare(sqlite3* db, const char* sql, sqlite3_stmt** stmt, std::string* error);
// Steps a statement that returns no rows and resets it; on failure *msg gets SQLite's
// message, taken before the reset.
int SqliteStepDone(sqlite3_stmt* stmt, std::string* msg = nullptr);

}  // namespace commerce::bench
