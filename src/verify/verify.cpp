// commerce verify (verify.h): VerifyStore on a closed store, Engine::verify on an open one.
//
// VerifyStore, per driver:
//   LMDB    the store's lock; CheckLmdbFile (meta pages, length, main and free trees, roots);
//           every table's tree walked page by page (WalkTree); then the record checks through
//           LmdbFileView — liblmdb is never called, so no damage can abort the check; then
//           the log (wal/) as replay reads it, without cutting a torn tail.
//   SQLite  the store opened as the engine opens it (which takes the lock); SQLite's
//           integrity_check on its own read-only connection; then the record checks.
// Then the search index: Xapian's check of every shard of the current generation.
#include "commerce/verify.h"

#include <sqlite3.h>
#include <unistd.h>
#include <xapian.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <sstream>

#include "commerce/engine.h"
#include "engine/engine_core.h"
#include "search/index_layout.h"
#include "storage/dir_lock.h"
#include "storage/lmdb/lmdb_file_view.h"
#include "storage/lmdb/lmdb_pages.h"
#include "storage/lmdb/lmdb_tables.h"
#include "storage/lmdb/redo_record.h"
#include "storage/lmdb/wal.h"
#include "storage/postgres/pg_storage.h"
#include "search/analytics_store.h"
#include "verify/check_context.h"

namespace fs = std::filesystem;

namespace commerce {

namespace {

// The engine's tables as handles of `view`.
Tables FileViewTables(LmdbFileView& view) {
  Tables t;
  for (const auto& [member, name] : kTableNames) t.*member = view.table(name);
  return t;
}

// The log: every record's CRC, its LSN in sequence from the one data.mdb holds, and its redo
// operations decoding — what replay checks when the store opens (wal.h) — with nothing cut or
// written. Groups data.mdb does not hold yet are a note, not a problem: after a crash they
// are what the engine applies when it opens the store.
void VerifyLog(const std::string& dir, LmdbFileView* view, verify::CheckContext& c) {
  const std::string wal_dir = dir + "/wal";
  std::error_code ec;
  if (!fs::is_directory(wal_dir, ec)) {
    c.Note("no log (" + wal_dir + "): nothing written since the last checkpoint");
    return;
  }
  c.Progress("log", "", 0);
  uint64_t applied = 0;
  std::string_view v;
  Status s = view->get(view->table(lmdb::kMetaTable), lmdb::kAppliedLsnKey, &v);
  if (s.ok() && v.size() == 8) {
    std::memcpy(&applied, v.data(), 8);
  } else if (s.ok() || !s.IsNotFound()) {
    c.Problem("log", "data.mdb table '__meta'",
              "the applied log position cannot be read (" + (s.ok() ? std::to_string(v.size()) + " bytes" : s.ToString()) +
                  "): the log was checked from its start");
  }
  auto wal = Wal::Open(wal_dir);
  if (!wal.ok()) return c.Problem("log", wal_dir, wal.status().ToString());
  uint64_t last = 0, pending = 0, first_pending = 0;
  std::string torn;
  s = (*wal)->Check(applied, [&](uint64_t lsn, std::string_view payload) {
    if (first_pending == 0) first_pending = lsn;
    ++pending;
    if (pending % 1024 == 0) c.Progress("log", "", pending);
    return lmdb::ForEachRedoOp(payload, wal_dir + " lsn " + std::to_string(lsn),
                               [](const lmdb::RedoOp&) { return Status::OK(); });
  }, &last, &torn);
  if (!s.ok()) c.Problem("log", wal_dir, s.message());
  if (pending > 0)
    c.Note("the log holds " + std::to_string(pending) + " groups (lsn " + std::to_string(first_pending) +
           ".." + std::to_string(last) + ") that data.mdb does not hold yet: the engine applies them "
           "when it opens the store; the record and invariant checks read data.mdb without them");
  if (!torn.empty())
    c.Note("a torn tail, " + torn + ": a write cut short by a crash, never acknowledged; the engine "
           "cuts it off when it opens the store");
}

void VerifyLmdb(const std::string& dir, const VerifyOptions& o, VerifyReport* report) {
  const std::string file = dir + "/data.mdb";
  auto info = lmdb_pages::CheckLmdbFile(file);
  if (!info.ok()) {
    report->problem_counts["file"]++;
    report->problems.push_back({"file", file, info.status().message()});
    report->notes.push_back("data.mdb cannot be read past its damaged meta pages or main tree: "
                            "no table was checked");
    return;
  }
  auto view = LmdbFileView::Open(file, *info);
  if (!view.ok()) {
    report->problems.push_back({"file", file, view.status().message()});
    report->problem_counts["file"]++;
    return;
  }
  Tables tables = FileViewTables(**view);
  verify::CheckContext c(view->get(), tables, report, o);
  c.AddTable(search::AnalyticsStore::kTableName, (*view)->table(search::AnalyticsStore::kTableName));

  // Every tree, page by page: what LMDB would abort on is found here first. The free-page
  // lists are collected on the way: a page both in a tree and on a list would be handed out
  // by LMDB for new data while still in use.
  const lmdb_pages::PageSource& src = (*view)->pages();
  std::vector<bool> seen(src.npages, false), listed_free(src.npages, false);
  {
    std::vector<lmdb_pages::TreeProblem> problems;
    lmdb_pages::TreeCounts counts;
    lmdb_pages::WalkTree(src, info->meta.free_db, lmdb_pages::TreeKind::kFree, &seen,
                         [&](std::string_view, std::string_view list) {
                           uint64_t n, pg;
                           std::memcpy(&n, list.data(), 8);  // WalkTree checked the list's shape
                           for (uint64_t i = 1; i <= n; ++i) {
                             std::memcpy(&pg, list.data() + 8 * i, 8);
                             if (listed_free[pg])
                               c.Problem("pages", "data.mdb page " + std::to_string(pg), "listed free twice");
                             listed_free[pg] = true;
                           }
                           return true;
                         },
                         &problems, &counts, o.max_problems_per_check);
    lmdb_pages::WalkTree(src, info->meta.main_db, lmdb_pages::TreeKind::kMain, &seen, nullptr,
                         &problems, &counts, o.max_problems_per_check);
    for (auto& p : problems) c.Problem("pages", "data.mdb page " + std::to_string(p.pgno), std::move(p.what));
  }
  for (const auto& [name, db] : info->tables) {
    c.Progress("pages", name, 0);
    std::vector<lmdb_pages::TreeProblem> problems;
    lmdb_pages::TreeCounts counts;
    lmdb_pages::WalkTree((*view)->pages(), db, lmdb_pages::TreeKind::kTable, &seen, nullptr,
                         &problems, &counts, o.max_problems_per_check);
    for (auto& p : problems)
      c.Problem("pages", "data.mdb table '" + name + "'" + (p.pgno ? " page " + std::to_string(p.pgno) : ""),
                std::move(p.what));
  }
  for (uint64_t pg = 2; pg < src.npages; ++pg)
    if (seen[pg] && listed_free[pg])
      c.Problem("pages", "data.mdb page " + std::to_string(pg),
                "in use by a tree and on the free-page list: LMDB would overwrite it");
  verify::RunRecordChecks(c);
  VerifyLog(dir, view->get(), c);
}

void VerifySqlite(const std::string& dir, const VerifyOptions& o, VerifyReport* report,
                  Status* open_error) {
  StorageOptions so;
  so.path = dir;
  so.driver = "sqlite";
  auto storage = OpenStorage(so);
  if (!storage.ok()) {
    if (storage.status().IsCorruption()) {
      report->problems.push_back({"file", dir + "/commerce.sqlite", storage.status().message()});
      report->problem_counts["file"]++;
    } else {
      *open_error = storage.status();
    }
    return;
  }
  report->notes.push_back("SQLite stores are opened as the engine opens them: SQLite may "
                          "checkpoint its WAL; no record is written");
  const std::string file = dir + "/commerce.sqlite";
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(file.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
    sqlite3_stmt* st = nullptr;
    if (sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &st, nullptr) == SQLITE_OK) {
      int rc;
      while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char* line = reinterpret_cast<const char*>(sqlite3_column_text(st, 0));
        if (line && std::string_view(line) != "ok") {
          report->problems.push_back({"file", file, line});
          report->problem_counts["file"]++;
        }
      }
      if (rc != SQLITE_DONE) {
        report->problems.push_back({"file", file, std::string("integrity_check stopped: ") + sqlite3_errmsg(db)});
        report->problem_counts["file"]++;
      }
    }
    sqlite3_finalize(st);
  }
  sqlite3_close(db);

  Tables tables;
  for (const auto& [member, name] : kTableNames) {
    auto t = (*storage)->table(name);
    if (!t.ok()) {
      *open_error = t.status();
      return;
    }
    tables.*member = *t;
  }
  auto txn = (*storage)->read();
  if (!txn.ok()) {
    *open_error = txn.status();
    return;
  }
  verify::CheckContext c(txn->get(), tables, report, o);
  if (auto t = (*storage)->table(search::AnalyticsStore::kTableName); t.ok())
    c.AddTable(search::AnalyticsStore::kTableName, *t);
  verify::RunRecordChecks(c);
  txn->reset();
  (void)(*storage)->close();
}

void VerifySearch(const std::string& dir, const VerifyOptions& o, VerifyReport* report) {
  const std::string root = dir + "/search";
  if (!fs::exists(root)) {
    report->notes.push_back("no search index (" + root + ")");
    return;
  }
  if (o.progress) o.progress({"search", "", 0});
  search::IndexLayout layout(root);
  auto add = [&](const std::string& where, const std::string& what) {
    uint64_t& n = report->problem_counts["search"];
    if (n++ < o.max_problems_per_check) report->problems.push_back({"search", where, what});
  };
  auto gen = layout.Current();
  if (!gen.ok()) return add(root + "/CURRENT", gen.status().message());
  if (gen->empty()) return report->notes.push_back("the search index has no generation yet");
  auto shards = layout.ShardCount(*gen);
  if (!shards.ok()) return add(layout.GenerationPath(*gen), shards.status().message());
  for (uint32_t i = 0; i < *shards; ++i) {
    const std::string path = layout.ShardPath(*gen, i);
    try {
      std::ostringstream out;
      const size_t errors = Xapian::Database::check(path, Xapian::DBCHECK_SHORT_TREE, &out);
      if (errors > 0) add(path, std::to_string(errors) + " errors in Xapian's check: " + out.str().substr(0, 500));
      Xapian::Database db(path);
      const std::string seq = db.get_metadata("last_seq");
      if (!seq.empty() && std::stoull(seq) > report->events)
        report->notes.push_back(path + " holds events up to " + seq + ", past the log's " +
                                std::to_string(report->events) +
                                ": the engine will rebuild the index from the log when it opens");
    } catch (const Xapian::Error& e) {
      add(path, e.get_type() + std::string(": ") + e.get_msg());
    } catch (const std::exception& e) {
      add(path, e.what());
    }
  }
}

}  // namespace

Result<VerifyReport> VerifyStore(const VerifyOptions& o) {
  const auto started = std::chrono::steady_clock::now();
  if (o.path.empty()) return Status::InvalidArgument("path: is empty; give the store's directory");
  if (!o.driver.empty() && o.driver != "lmdb" && o.driver != "sqlite")
    return Status::InvalidArgument("driver: '" + o.driver + "' is not lmdb or sqlite");
  std::error_code ec;
  if (!fs::exists(o.path, ec)) return Status::NotFound("no store at " + o.path + ": it does not exist");
  if (!fs::is_directory(o.path, ec))
    return Status::InvalidArgument(o.path + " is not a directory: give the store's directory");
  const bool has_lmdb = fs::exists(o.path + "/data.mdb", ec);
  const bool has_sqlite = fs::exists(o.path + "/commerce.sqlite", ec);
  std::string driver = o.driver;
  if (driver.empty()) {
    if (has_lmdb && has_sqlite)
      return Status::InvalidArgument(o.path + " holds both data.mdb and commerce.sqlite: say which "
                                     "driver to check (--driver lmdb|sqlite)");
    driver = has_lmdb ? "lmdb" : has_sqlite ? "sqlite" : "";
  }
  if (driver.empty() || (driver == "lmdb" && !has_lmdb) || (driver == "sqlite" && !has_sqlite))
    return Status::NotFound(o.path + " is not a commerce store: it holds " +
                            (driver.empty() ? std::string("neither data.mdb (LMDB) nor commerce.sqlite (SQLite)")
                                            : "no " + std::string(driver == "lmdb" ? "data.mdb" : "commerce.sqlite")));

  VerifyReport report;
  report.path = o.path;
  report.driver = driver;
  if (driver == "lmdb") {
    std::unique_ptr<DirLock> lock;
    if (::access(o.path.c_str(), W_OK) == 0) {
      auto l = DirLock::Acquire(o.path);
      if (!l.ok()) return l.status();
      lock = std::move(l).value();
    } else {
      report.notes.push_back(o.path + " is read-only: checked without taking the store's lock");
    }
    VerifyLmdb(o.path, o, &report);
  } else {
    Status open_error;
    VerifySqlite(o.path, o, &report, &open_error);
    if (!open_error.ok()) return open_error;
  }
  if (o.search) VerifySearch(o.path, o, &report);
  report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return report;
}

Result<VerifyReport> Engine::verify(const VerifyOptions& options) {
  const auto started = std::chrono::steady_clock::now();
  COMMERCE_ASSIGN_OR_RETURN(auto txn, core_->storage->read());
  VerifyReport report;
  report.path = options.path;
  report.driver = std::string(core_->storage->driver());
  verify::CheckContext c(txn.get(), core_->tables, &report, options);
  if (auto t = core_->storage->table(search::AnalyticsStore::kTableName); t.ok())
    c.AddTable(search::AnalyticsStore::kTableName, *t);
  verify::RunRecordChecks(c);
  if (report.driver == "postgres") {
    // Read after the records' snapshot: a counter only grows and a log's newest entry is never
    // trimmed, so a later look cannot invent a problem the records' moment did not have.
    c.Progress("log counters", "", 0);
    COMMERCE_RETURN_IF_ERROR(CheckLogCounters(*core_->storage, [&](std::string where, std::string what) {
      c.Problem("log counters", std::move(where), std::move(what));
    }));
  }
  report.notes.push_back("an open engine's snapshot: records and invariants only (files, pages, "
                         "the log and the search index are checked by commerce verify on a "
                         "closed store)");
  report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return report;
}

}  // namespace commerce
