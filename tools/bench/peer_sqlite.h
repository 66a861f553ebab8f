// Peer baseline "sqlite": what a competent user writes by hand against SQLite for durable
// single-record writes, with nothing of commerce in between.
//
//   - one database file in WAL mode, PRAGMA synchronous=FULL (the WAL is fsynced at every
//     commit: durable across power loss, as the engine's durable writes are);
//   - the table has the engine's SQLite driver's shape: (k BLOB PRIMARY KEY, v BLOB)
//     WITHOUT ROWID;
//   - a connection per thread (SQLITE_OPEN_NOMUTEX: each is used by one thread), with
//     busy_timeout so that writers queue on SQLite's write lock instead of failing, and
//     prepared statements reused for every write: BEGIN IMMEDIATE; INSERT OR REPLACE; COMMIT;
//   - the same page cache per connection as the engine's SQLite driver (64 MiB) and
//     otherwise SQLite's defaults (auto-checkpoint every 1000 WAL pages).
//
// Thread safety: a Writer belongs to the thread that created it.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "harness.h"

struct sqlite3;
struct sqlite3_stmt;

namespace commerce::bench {

class SqlitePeer {
 public:
  // Creates the database file in `dir` and its table.
  static std::unique_ptr<SqlitePeer> Open(const std::string& dir, std::string* error);

  using Generator = std::function<void(uint64_t i, std::string* key, std::string* value)>;
  // Loads records 0..n-1, `batch` rows a transaction.
  bool Load(uint64_t n, const Generator& gen, Progress* progress, std::string* error,
            uint64_t batch = 50'000);

  class Writer {
   public:
    ~Writer();
    // BEGIN IMMEDIATE; INSERT OR REPLACE; COMMIT — durable when it returns true.
    bool Put(std::string_view key, std::string_view value, std::string* error);

   private:
    friend class SqlitePeer;
    Writer() = default;
    sqlite3* db_ = nullptr;
    sqlite3_stmt* begin_ = nullptr;
    sqlite3_stmt* put_ = nullptr;
    sqlite3_stmt* commit_ = nullptr;
    sqlite3_stmt* rollback_ = nullptr;
  };
  // A connection for the calling thread.
  std::unique_ptr<Writer> NewWriter(std::string* error);

 private:
  SqlitePeer() = default;
  std::string file_;
};

}  // namespace commerce::bench
