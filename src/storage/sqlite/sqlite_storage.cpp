// The SQLite driver: Storage on one database file in WAL mode.
//
// Parts: opening (options, directory lock, the writer connection's pragmas and checks), the
// Storage calls (tables, reads, writes, sync, close), and the group commit the shared
// GroupWriter drives on its thread (commit_group and the durability bookkeeping).
//
// Connections: one writer connection, used only on the writer thread (and by open/close
// while that thread is not running), and a pool of read-only connections for ReadTxns.
//
// Durability: durable groups commit at the configured PRAGMA synchronous (FULL: SQLite
// fsyncs the WAL at every commit). Groups with sync = false commit at synchronous=OFF, and
// sync() makes them durable later; see make_durable() for why that is enough, and
// maybe_checkpoint() for the one rule it relies on: a checkpoint never runs unsynced.
//
// When the disk fails: as the LMDB driver, the first group whose commit (or the sync that
// makes it durable) fails on an I/O error or a full disk puts the store into the failed
// state (GroupWriter::fail): every later write answers that error until the store is
// reopened. SQLite rolls the failed transaction back itself; its frames, if any reached the
// WAL, are not in the WAL index, and truncate_wal() removes them from the file so that a
// crash before the store is reopened does not bring them back.
#include "storage/sqlite/sqlite_storage.h"

#include <sqlite3.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>

#include "storage/backup_dir.h"
#include "storage/dir_lock.h"
#include "storage/file_io.h"
#include "storage/group_writer.h"
#include "storage/sqlite/sqlite_backup.h"
#include "storage/sqlite/sqlite_connection.h"
#include "storage/sqlite/sqlite_txn.h"

namespace commerce {
namespace sqlite {
namespace {

// WAL pages after which the writer checkpoints. SQLite's own default is 1,000 (4 MB); at
// ~15 pages an order that is a checkpoint every ~70 orders on the writer thread, so the
// driver lets the WAL reach ~40 MB (journal_size_limit below trims it back afterwards).
constexpr int kCheckpointPages = 10'000;

// Bytes the WAL file is truncated to when it restarts (journal_size_limit).
constexpr int64_t kWalSizeLimit = int64_t{64} << 20;

constexpr char kFileName[] = "commerce.sqlite";

// The driver's own table: sync() rewrites one row in it to force a synced commit.
constexpr char kMetaTableSql[] =
    "CREATE TABLE IF NOT EXISTS \"__meta\" (k BLOB PRIMARY KEY, v BLOB NOT NULL) WITHOUT ROWID";
constexpr char kSyncRowSql[] =
    "INSERT INTO \"__meta\" (k, v) VALUES ('sync', 1) ON CONFLICT (k) DO UPDATE SET v = v + 1";

Status Closed() { return Status::FailedPrecondition("storage is closed: reopen it"); }

std::string Upper(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::toupper(c); });
  return s;
}

Status ValidateOptions(const StorageOptions& options, std::string* synchronous) {
  if (options.path.empty())
    return Status::InvalidArgument("storage path is empty: give the directory to keep the store in");
  *synchronous = Upper(options.sqlite_synchronous);
  if (*synchronous != "FULL" && *synchronous != "NORMAL")
    return Status::InvalidArgument("sqlite_synchronous is '" + options.sqlite_synchronous +
                                   "': expected FULL or NORMAL");
  if (options.sqlite_cache_kib < 0)
    return Status::InvalidArgument("sqlite_cache_kib must not be negative");
  return Status::OK();
}

// WAL mode, the durable synchronous level, and a check that the file is sound before
// anything is written to it.
Status ConfigureWriter(SqliteConnection& conn, const std::string& synchronous) {
  COMMERCE_ASSIGN_OR_RETURN(std::string mode, conn.query_text("PRAGMA journal_mode=WAL"));
  if (mode != "wal")
    return Status::Unavailable(conn.file() + " cannot use WAL mode (journal_mode is '" + mode +
                               "'): keep the store on a local file system");
  COMMERCE_RETURN_IF_ERROR(conn.exec("PRAGMA synchronous=" + synchronous));
  // After a burst (or a long-lived snapshot) the log file stays at its largest size unless
  // told otherwise: cut it back when it restarts.
  COMMERCE_RETURN_IF_ERROR(conn.exec("PRAGMA journal_size_limit=" + std::to_string(kWalSizeLimit)));
  // quick_check reads every page: open costs time linear in the store's size, the price
  // of reporting Corruption here rather than at some later read.
  COMMERCE_ASSIGN_OR_RETURN(std::string check, conn.query_text("PRAGMA quick_check"));
  if (check != "ok")
    return Status::Corruption(conn.file() + " fails PRAGMA quick_check (" + check +
                              "): restore the store from a backup");
  return conn.exec(kMetaTableSql);
}

class SqliteStorage final : public Storage, private GroupBackend {
 public:
  static Result<std::unique_ptr<Storage>> Open(const StorageOptions& options);
  ~SqliteStorage() override { (void)close(); }

  std::string_view driver() const override { return "sqlite"; }
  uint32_t capabilities() const override { return kNestedTxn | kSnapshots | kGroupCommit; }
  Result<Table> table(std::string_view name) override;
  Result<std::unique_ptr<ReadTxn>> read() override;
  Status write(Mutation mutation, WriteOptions options) override {
    return writer_->write(std::move(mutation), options);
  }
  void write_async(Mutation mutation, WriteOptions options,
                   std::function<void(Status)> done) override {
    writer_->write_async(std::move(mutation), options, std::move(done));
  }
  Status sync() override {
    return writer_->run([this] {
      Status s = make_durable();
      return s.ok() ? s : fail(s);
    });
  }
  Status backup(const std::string& dir, const BackupOptions& options) override {
    if (closed_) return Closed();
    return WriteBackup(std::filesystem::path(writer_conn_->file()).parent_path().string(), dir,
                       [&](const std::string& staging) {
                         return CopyDatabase(writer_conn_->file(), staging + "/" + kFileName, options);
                       });
  }
  Status checkpoint() override {
    return writer_->run([this] { return checkpoint_now(); });
  }
  StorageStats stats() const override;
  Status close() override;

 private:
  SqliteStorage(std::unique_ptr<DirLock> lock, std::string synchronous,
                std::shared_ptr<TableNames> names, std::unique_ptr<SqliteConnection> writer_conn,
                std::shared_ptr<ReadPool> pool, const StorageOptions& options);

  // Writer thread only (or close(), once that thread has ended).
  Status commit_group(size_t lane, std::span<PendingWrite* const> group, bool durable) override;
  Status run_mutation(PendingWrite& write);
  Status create_table(const std::string& sql);
  Status set_synchronous(const std::string& level);
  Status make_durable();
  // Puts the store into the failed state with `cause`; returns the Status writes now get.
  Status fail(const Status& cause);
  Status truncate_wal();
  void maybe_checkpoint();
  Status checkpoint_now();
  static int OnWalCommit(void* self, sqlite3* db, const char* schema, int wal_pages);

  std::unique_ptr<DirLock> lock_;
  const std::string synchronous_;  // "FULL" or "NORMAL": the level of durable commits
  const std::shared_ptr<TableNames> names_;
  std::unique_ptr<SqliteConnection> writer_conn_;
  const std::shared_ptr<ReadPool> pool_;

  // Writer-thread state.
  std::string current_synchronous_;  // what the writer connection is set to now
  bool unsynced_ = false;            // a commit at synchronous=OFF since the last synced one
  bool wal_written_ = false;         // the last COMMIT appended frames (set by OnWalCommit)
  int wal_pages_ = 0;                // frames in the WAL after the last commit

  std::atomic<uint64_t> durable_syncs_{0};
  std::atomic<uint64_t> checkpoints_{0};
  std::atomic<bool> closed_{false};
  // Last: its thread calls back into this object, so it must stop before the rest goes.
  std::unique_ptr<GroupWriter> writer_;
};

Result<std::unique_ptr<Storage>> SqliteStorage::Open(const StorageOptions& options) {
  std::string synchronous;
  COMMERCE_RETURN_IF_ERROR(ValidateOptions(options, &synchronous));
  COMMERCE_ASSIGN_OR_RETURN(std::unique_ptr<DirLock> lock, DirLock::Acquire(options.path));
  std::string file = options.path + "/" + kFileName;
  auto names = std::make_shared<TableNames>();

  ConnectionSettings settings{.file = file, .read_only = false, .cache_kib = options.sqlite_cache_kib};
  COMMERCE_ASSIGN_OR_RETURN(std::unique_ptr<SqliteConnection> writer_conn,
                            SqliteConnection::Open(settings, names));
  COMMERCE_RETURN_IF_ERROR(ConfigureWriter(*writer_conn, synchronous));
  // SQLite syncs the directory for the WAL it creates, not for the database file itself.
  COMMERCE_RETURN_IF_ERROR(file_io::SyncDirectory(options.path));

  settings.read_only = true;
  auto pool = std::make_shared<ReadPool>(settings, names);
  return std::unique_ptr<Storage>(new SqliteStorage(std::move(lock), synchronous, std::move(names),
                                                    std::move(writer_conn), std::move(pool),
                                                    options));
}

SqliteStorage::SqliteStorage(std::unique_ptr<DirLock> lock, std::string synchronous,
                             std::shared_ptr<TableNames> names,
                             std::unique_ptr<SqliteConnection> writer_conn,
                             std::shared_ptr<ReadPool> pool, const StorageOptions& options)
    : lock_(std::move(lock)),
      synchronous_(std::move(synchronous)),
      names_(std::move(names)),
      writer_conn_(std::move(writer_conn)),
      pool_(std::move(pool)),
      current_synchronous_(synchronous_) {
  // Replaces SQLite's auto-checkpoint, which would run inside a synchronous=OFF commit
  // without syncing the database file: we checkpoint ourselves, always synced.
  sqlite3_wal_hook(writer_conn_->db(), &SqliteStorage::OnWalCommit, this);
  GroupBackend* backend = this;
  writer_ = std::make_unique<GroupWriter>(backend, options.max_group_size, options.max_group_wait_us);
  lock_->MarkOpened();
}

Result<Table> SqliteStorage::table(std::string_view name) {
  if (!IsValidTableName(name))
    return Status::InvalidArgument("table name '" + std::string(name) +
                                   "' must be 1..64 of [a-z0-9_] and not start with \"__\"");
  if (closed_) return Closed();
  if (auto id = names_->find(name)) return Table{*id};
  std::string sql = "CREATE TABLE IF NOT EXISTS " + QuotedTableName(name) +
                    " (k BLOB PRIMARY KEY, v BLOB NOT NULL) WITHOUT ROWID";
  // On the writer thread: the writer connection is the only one that writes.
  COMMERCE_RETURN_IF_ERROR(writer_->run([this, &sql] { return create_table(sql); }));
  return Table{names_->add(name)};
}

Result<std::unique_ptr<ReadTxn>> SqliteStorage::read() { return BeginRead(pool_); }

StorageStats SqliteStorage::stats() const {
  GroupWriterStats g = writer_->stats();
  StorageStats s;
  s.groups = g.groups;
  s.mutations = g.mutations;
  s.failed_mutations = g.failed_mutations;
  s.max_group_size = g.max_group_size;
  s.durable_syncs = durable_syncs_.load();
  s.checkpoints = checkpoints_.load();
  s.write_error = writer_->failure().message();
  return s;
}

Status SqliteStorage::close() {
  if (closed_.exchange(true)) return Status::OK();  // as the LMDB driver: close is idempotent
  writer_->stop();  // answers every queued write first
  // The writer thread has ended: the writer connection is this thread's now. After a failure
  // nothing more is written; the checkpoint at close still runs synced.
  Status s = writer_->failure();
  if (s.ok()) s = make_durable();
  else (void)set_synchronous(synchronous_);
  pool_->close();
  // The last connection to close checkpoints the WAL into the database file (synced: the
  // level is back to synchronous_ after make_durable) and removes it. A ReadTxn still open
  // keeps its own connection until it ends.
  writer_conn_.reset();
  lock_.reset();
  return s;
}

Status SqliteStorage::commit_group(size_t /*lane: one only*/, std::span<PendingWrite* const> group, bool durable) {
  // In NORMAL mode no commit syncs anyway; only FULL has something to skip.
  bool skip_sync = !durable && synchronous_ == "FULL";
  COMMERCE_RETURN_IF_ERROR(set_synchronous(skip_sync ? "OFF" : synchronous_));
  COMMERCE_RETURN_IF_ERROR(writer_conn_->run(ControlStmt::kBeginImmediate));
  for (PendingWrite* w : group) {
    w->result = run_mutation(*w);
    // Some errors (I/O, disk full) make SQLite roll back the whole transaction.
    if (sqlite3_get_autocommit(writer_conn_->db())) {
      Status cause = w->result.ok() ? Status::Unavailable("transaction ended unexpectedly")
                                    : w->result;
      return fail(cause.WithContext("group of " + std::to_string(group.size()) + " writes rolled back"));
    }
  }
  wal_written_ = false;
  Status s = writer_conn_->run(ControlStmt::kCommit);
  if (!s.ok()) {
    (void)writer_conn_->run(ControlStmt::kRollback);
    return fail(s.WithContext("commit of a group of " + std::to_string(group.size()) + " writes"));
  }
  if (skip_sync) {
    unsynced_ |= wal_written_;
  } else if (durable) {
    // A commit that changed nothing wrote no frame and synced nothing, yet its callers may
    // have read unsynced writes: sync those before answering.
    if (wal_written_ && synchronous_ == "FULL") {
      durable_syncs_++;
      unsynced_ = false;
    }
    Status synced = make_durable();
    if (!synced.ok()) return fail(synced);
  }
  maybe_checkpoint();
  return Status::OK();
}

Status SqliteStorage::fail(const Status& cause) {
  if (!writer_->failure().ok()) return writer_->failure();
  std::string msg = "store " + writer_conn_->file() + " stopped writing after an error (" +
                    cause.message() + "); the writes acknowledged before it are safe: close the "
                    "store and open it again to go on";
  Status cut = truncate_wal();
  if (!cut.ok())
    msg += " (the failed write's frames could not be removed from the WAL: " + cut.message() +
           "; it may be present after reopening)";
  writer_->fail(Status::Unavailable(msg));
  return writer_->failure();
}

// A COMMIT whose fsync failed has written its frames, commit frame included: they are not in
// the WAL index, so no reader sees them now, but the recovery of the WAL after a crash would
// find them whole and bring back a group whose callers were told it failed. A TRUNCATE
// checkpoint copies what the index holds into the database file, syncs it, and empties the
// WAL, taking those frames with it. At the durable level only: at synchronous=OFF it would
// not sync the database file before emptying the WAL.
Status SqliteStorage::truncate_wal() {
  COMMERCE_RETURN_IF_ERROR(set_synchronous(synchronous_));
  int rc = sqlite3_wal_checkpoint_v2(writer_conn_->db(), nullptr, SQLITE_CHECKPOINT_TRUNCATE,
                                     nullptr, nullptr);
  if (rc != SQLITE_OK) return writer_conn_->error(rc, "checkpoint after the failure");
  wal_pages_ = 0;
  return Status::OK();
}

Status SqliteStorage::run_mutation(PendingWrite& write) {
  COMMERCE_RETURN_IF_ERROR(writer_conn_->run(ControlStmt::kSavepoint));
  Status result;
  {
    SqliteWriteTxn txn(writer_conn_.get());  // ends (detaching cursors) before the savepoint
    try {
      result = write.mutation(txn);
    } catch (const std::exception& e) {
      result = Status::Internal(std::string("mutation threw: ") + e.what());
    } catch (...) {
      result = Status::Internal("mutation threw an exception that is not a std::exception");
    }
  }
  if (result.ok()) {
    result = writer_conn_->run(ControlStmt::kRelease);
    if (result.ok()) return result;
  }
  // Undo this mutation alone; the group's transaction stays open for the others.
  (void)writer_conn_->run(ControlStmt::kRollbackTo);
  (void)writer_conn_->run(ControlStmt::kRelease);
  return result;
}

Status SqliteStorage::create_table(const std::string& sql) {
  // Durable like any other synced write: a Table handed out must survive a crash.
  COMMERCE_RETURN_IF_ERROR(set_synchronous(synchronous_));
  return writer_conn_->exec(sql);
}

Status SqliteStorage::set_synchronous(const std::string& level) {
  // Only between transactions: SQLite refuses to change the level inside one.
  if (current_synchronous_ == level) return Status::OK();
  COMMERCE_RETURN_IF_ERROR(writer_conn_->exec("PRAGMA synchronous=" + level));
  current_synchronous_ = level;
  return Status::OK();
}

// Makes every commit so far durable with one commit at the durable level: a tiny row in
// __meta. In WAL mode with synchronous=FULL that commit fsyncs the WAL file, and with it
// every frame appended before it, those of the synchronous=OFF groups included. Syncing the
// WAL is enough because no unsynced frame has ever been copied into the database file
// without the database file being synced afterwards: checkpoints only run at the durable
// level (maybe_checkpoint, checkpoint_now, and the close of the last connection), and a
// synced checkpoint fsyncs the WAL before copying and the database file after.
Status SqliteStorage::make_durable() {
  if (!unsynced_) return set_synchronous(synchronous_);
  COMMERCE_RETURN_IF_ERROR(set_synchronous(synchronous_));
  COMMERCE_RETURN_IF_ERROR(writer_conn_->exec(kSyncRowSql));
  durable_syncs_++;
  unsynced_ = false;
  return Status::OK();
}

void SqliteStorage::maybe_checkpoint() {
  if (wal_pages_ < kCheckpointPages) return;
  // A failed passive checkpoint is retried after the next commit; the WAL only grows.
  (void)checkpoint_now();
}

Status SqliteStorage::checkpoint_now() {
  COMMERCE_RETURN_IF_ERROR(set_synchronous(synchronous_));
  // PASSIVE: copies what no reader still needs and never waits for readers; while an old
  // snapshot is open it may copy only part of the log, and the next commit tries again.
  int log_frames = 0, copied_frames = 0;
  int rc = sqlite3_wal_checkpoint_v2(writer_conn_->db(), nullptr, SQLITE_CHECKPOINT_PASSIVE,
                                     &log_frames, &copied_frames);
  if (rc != SQLITE_OK) return writer_conn_->error(rc, "checkpoint");
  // Counted when the whole log is in the database file: the next commit restarts the log.
  if (copied_frames == log_frames) {
    checkpoints_++;
    wal_pages_ = 0;
  }
  return Status::OK();
}

int SqliteStorage::OnWalCommit(void* self, sqlite3*, const char*, int wal_pages) {
  auto* storage = static_cast<SqliteStorage*>(self);
  storage->wal_written_ = true;
  storage->wal_pages_ = wal_pages;
  return SQLITE_OK;
}

}  // namespace
}  // namespace sqlite

Result<std::unique_ptr<Storage>> OpenSqliteStorage(const StorageOptions& options) {
  return sqlite::SqliteStorage::Open(options);
}

}  // namespace commerce
