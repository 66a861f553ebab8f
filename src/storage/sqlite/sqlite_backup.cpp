#include "storage/sqlite/sqlite_backup.h"

#include <sqlite3.h>

#include <filesystem>

namespace commerce::sqlite {

namespace {

// Pages copied per step, between progress reports.
constexpr int kPagesPerStep = 1024;

Status Error(int rc, sqlite3* db, const std::string& what) {
  std::string msg = what + ": " + (db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
  switch (rc & 0xff) {
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return Status::Corruption(msg);
    case SQLITE_NOMEM:
      return Status::ResourceExhausted(msg);
    default:
      return Status::Unavailable(msg);
  }
}

struct Db {
  sqlite3* db = nullptr;
  ~Db() { sqlite3_close_v2(db); }
};

}  // namespace

Status CopyDatabase(const std::string& file, const std::string& dest, const BackupOptions& o) {
  std::error_code ec;
  if (std::filesystem::exists(dest, ec))
    return Status::AlreadyExists("backup file " + dest + " exists already");
  Db src, dst;
  int rc = sqlite3_open_v2(file.c_str(), &src.db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) return Error(rc, src.db, "cannot open " + file + " to back it up");
  sqlite3_busy_timeout(src.db, 5000);
  // One snapshot for every step.
  rc = sqlite3_exec(src.db, "BEGIN; SELECT count(*) FROM sqlite_schema", nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) return Error(rc, src.db, "cannot read " + file + " to back it up");
  rc = sqlite3_open_v2(dest.c_str(), &dst.db,
                       SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) return Error(rc, dst.db, "cannot create the backup file " + dest);
  sqlite3_backup* b = sqlite3_backup_init(dst.db, "main", src.db, "main");
  if (!b) return Error(sqlite3_errcode(dst.db), dst.db, "cannot start the backup into " + dest);
  const int page_size = [&] {
    sqlite3_stmt* st = nullptr;
    int size = 4096;
    if (sqlite3_prepare_v2(src.db, "PRAGMA page_size", -1, &st, nullptr) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW)
      size = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    return size;
  }();
  do {
    rc = sqlite3_backup_step(b, kPagesPerStep);
    if (o.progress) {
      uint64_t total = static_cast<uint64_t>(sqlite3_backup_pagecount(b)) * page_size;
      uint64_t left = static_cast<uint64_t>(sqlite3_backup_remaining(b)) * page_size;
      o.progress(total - left, total);
    }
  } while (rc == SQLITE_OK);
  int finished = sqlite3_backup_finish(b);
  if (rc != SQLITE_DONE) return Error(rc, dst.db, "cannot back up " + file + " into " + dest);
  if (finished != SQLITE_OK) return Error(finished, dst.db, "cannot finish the backup into " + dest);
  (void)sqlite3_exec(src.db, "COMMIT", nullptr, nullptr, nullptr);
  return Status::OK();
}

}  // namespace commerce::sqlite
