// The LMDB driver: Storage on one LMDB environment, made durable by the driver's own log.
//
// Parts: opening (options, directory lock, the environment, its tables, recovery), the
// Storage calls (tables, reads, writes, sync, checkpoint, stats, close), and the group
// commit the shared GroupWriter drives on its thread (commit_group, map growth, the
// checkpoint trigger). The pieces it is made of, one file each:
//   wal.h           the write-ahead log's segments and records
//   redo_record.h   a group's puts and deletes as a log record's payload
//   recovery.h      replaying the log into LMDB at open
//   checkpointer.h  syncing LMDB and trimming the log, off the writer thread
//   lmdb_backup.h   backups: a compacted copy of one snapshot
//   lmdb_tables.h   Table ids <-> LMDB named databases; the __meta table
//   lmdb_txn.h      storage.h's transactions and cursors over MDB txns
//   lmdb_readers.h  the pool of read txns, the resize lock, the deferred environment close
//   lmdb_status.h   LMDB return codes -> Status
//
// The write path (DESIGN.md): the writer thread runs a group in one LMDB write txn, each
// mutation straight in it, or in a nested txn where one fails after writing (commit_group);
// every put/del a mutation makes is also encoded as a redo record.
// The group's records are appended to the log and fdatasync'ed once; only then is the LMDB
// txn committed, without a sync, so no reader ever sees a durable-write-to-be that a crash
// could take back. The applied LSN is stored in the same LMDB txn, so replay after a crash
// applies exactly the records LMDB lacks. The checkpointer syncs LMDB now and then and
// removes the log segments it covers.
//
// When the disk fails (LevelDB's background error): the first failed append, sync or LMDB
// commit of a group, failed rotation of the log or failed checkpoint sync puts the store into
// a failed state (GroupWriter::fail): every later write answers Unavailable naming the cause
// until the store is reopened; reads go on. The failed group's record is cut back out of the
// log where the disk allows it. close() then leaves the log as it is, and reopening recovers
// from it exactly as after a crash: every acknowledged group, and not the failed one.
#include "storage/lmdb/lmdb_storage.h"

#include <lmdb.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <fstream>
#include <mutex>
#include <span>
#include <string>
#include <vector>

#include "storage/backup_dir.h"
#include "storage/dir_lock.h"
#include "storage/group_writer.h"
#include "storage/lmdb/checkpointer.h"
#include "storage/lmdb/lmdb_backup.h"
#include "storage/lmdb/lmdb_io.h"
#include "storage/lmdb/lmdb_guard.h"
#include "storage/lmdb/lmdb_readers.h"
#include "storage/lmdb/lmdb_status.h"
#include "storage/lmdb/lmdb_tables.h"
#include "storage/lmdb/lmdb_test_hooks.h"
#include "storage/lmdb/lmdb_txn.h"
#include "storage/lmdb/recovery.h"
#include "storage/lmdb/wal.h"
#include "storage/log_sequences.h"

namespace commerce {
namespace lmdb {
namespace {


// Whether a write txn can go on: LMDB marks one that met an error it cannot undo (a page it
// could not read, a txn grown too large) and then refuses every call on it with MDB_BAD_TXN,
// mdb_stat's first check. `dbi`: any table the txn knows.
bool TxnUsable(MDB_txn* txn, MDB_dbi dbi) {
  MDB_stat st;
  return mdb_stat(txn, dbi, &st) != MDB_BAD_TXN;
}

Status ValidateOptions(const StorageOptions& o) {
  if (o.lmdb_map_size < (size_t{1} << 20) || o.lmdb_max_map_size < o.lmdb_map_size)
    return Status::InvalidArgument("lmdb_map_size must be >= 1 MiB and <= lmdb_max_map_size");
  if (o.lmdb_max_readers == 0) return Status::InvalidArgument("lmdb_max_readers must be > 0");
  return Status::OK();
}

class LmdbStorage final : public Storage, private GroupBackend {
 public:
  explicit LmdbStorage(const StorageOptions& o) : options_(o) {}
  ~LmdbStorage() override {
    (void)close();
    if (readers_) readers_->release_now();
  }

  Status Open();

  std::string_view driver() const override { return "lmdb"; }
  uint32_t capabilities() const override {
    return kNestedTxn | kSnapshots | kGroupCommit | kWriteAheadLog;
  }
  Result<Table> table(std::string_view name) override;
  Result<std::unique_ptr<ReadTxn>> read() override;
  Status write(Mutation m, WriteOptions o) override {
    if (closed_.load()) return Closed();
    return writer_->write(std::move(m), o);
  }
  void write_async(Mutation m, WriteOptions o, std::function<void(Status)> done) override {
    if (closed_.load()) {
      if (done) done(Closed());
      return;
    }
    writer_->write_async(std::move(m), o, std::move(done));
  }
  Status sync() override;
  Status checkpoint() override;
  Status backup(const std::string& dir, const BackupOptions& options) override;
  StorageStats stats() const override;
  Status close() override;

 private:
  Status OpenEnv();
  Status OpenTables();
  void ReleaseEnv();

  // Writer thread only (or Open/close while that thread is not running).
  Status commit_group(size_t lane, std::span<PendingWrite* const> group, bool durable) override;
  void on_idle() override;
  // How a run of a group ended when it returns OK: committed (or nothing to commit), rolled
  // back for a larger map, or rolled back to run again with each mutation in a nested txn.
  enum class GroupRun { kDone, kMapFull, kNest };
  Status RunGroupOnce(std::span<PendingWrite* const> group, bool durable, bool nested, GroupRun* run,
                      bool* failed_after_writing);
  Status GrowMap();
  void UpdateGuardMap();  // after the map is set up or moved, with no read txn live
  // Puts the store into the failed state with `cause` and returns the Status every write now
  // gets. `cut` is the outcome of cutting the failed group's record back out of the log.
  Status Fail(const Status& cause, const Status& cut = Status::OK());
  uint64_t WriterWrittenBytes() const;

  StorageOptions options_;
  std::unique_ptr<DirLock> lock_;
  MDB_env* env_ = nullptr;
  size_t map_size_ = 0;
  LmdbTables tables_;
  uint32_t meta_ = 0;  // the id of __meta in tables_
  std::unique_ptr<LmdbReaders> readers_;

  std::unique_ptr<Wal> wal_;
  uint64_t next_lsn_ = 1;  // writer thread only
  // Writer thread only: the last group had a mutation that failed after writing, so the next
  // one runs each mutation in a nested txn from the start (commit_group).
  bool nest_next_group_ = false;
  LogSequences seqs_;      // writer thread only: the next sequence of each log table
  std::atomic<uint64_t> log_bytes_total_{0};
  std::atomic<uint64_t> durable_syncs_{0};
  std::atomic<uint64_t> map_resizes_{0};
  std::atomic<pid_t> writer_tid_{0};
  std::chrono::steady_clock::time_point last_checkpoint_ = std::chrono::steady_clock::now();

  std::unique_ptr<Checkpointer> checkpointer_;
  std::unique_ptr<GroupWriter> writer_;
  std::atomic<bool> closed_{false};
  std::mutex close_mu_;
};

// ---------------------------------------------------------------------------------------
// Opening

Status LmdbStorage::Open() {
  COMMERCE_RETURN_IF_ERROR(ValidateOptions(options_));
  COMMERCE_ASSIGN_OR_RETURN(lock_, DirLock::Acquire(options_.path));
  // What LMDB would fault or abort on later, found now (lmdb_guard.h).
  COMMERCE_RETURN_IF_ERROR(CheckLmdbStoreBeforeOpen(options_.path));
  COMMERCE_RETURN_IF_ERROR(OpenEnv());
  readers_ = std::make_unique<LmdbReaders>(env_, &tables_);
  UpdateGuardMap();
  COMMERCE_RETURN_IF_ERROR(OpenTables());

  COMMERCE_ASSIGN_OR_RETURN(wal_, Wal::Open(options_.path + "/wal"));
  COMMERCE_ASSIGN_OR_RETURN(next_lsn_, Recover(env_, &tables_, tables_.dbi(meta_), wal_.get(),
                                               [this] { return GrowMap(); }));

  checkpointer_ = std::make_unique<Checkpointer>(env_, wal_->dir(), [this](Status s) { (void)Fail(s); });
  GroupBackend* backend = this;
  writer_ = std::make_unique<GroupWriter>(backend, options_.max_group_size, options_.max_group_wait_us);
  lock_->MarkOpened();  // recovered: a backup from another process may copy LMDB now
  return Status::OK();
}

Status LmdbStorage::OpenEnv() {
  int rc = mdb_env_create(&env_);
  if (rc != 0) return LmdbError(rc, "mdb_env_create");
  // A store grown past the configured size keeps its size: take the larger.
  map_size_ = options_.lmdb_map_size;
  {
    std::ifstream probe(options_.path + "/data.mdb", std::ios::binary | std::ios::ate);
    if (probe) map_size_ = std::max<size_t>(map_size_, static_cast<size_t>(probe.tellg()));
  }
  mdb_env_set_mapsize(env_, map_size_);
  mdb_env_set_maxdbs(env_, kMaxTables);
  mdb_env_set_maxreaders(env_, options_.lmdb_max_readers);
  // NOSYNC: the log makes commits durable; LMDB is synced at checkpoints.
  // NOTLS: read txns are pooled and may move between threads between uses.
  // NORDAHEAD: point reads on a store larger than memory should not read ahead.
  unsigned flags = MDB_NOTLS | MDB_NORDAHEAD;
  if (!options_.lmdb_sync_each_commit) flags |= MDB_NOSYNC;
  rc = mdb_env_open(env_, options_.path.c_str(), flags, 0644);
  if (rc != 0) {
    Status s = LmdbError(rc, "cannot open LMDB store " + options_.path + "/data.mdb");
    mdb_env_close(env_);
    env_ = nullptr;
    return s;
  }
  return Status::OK();
}

// The meta table, then every table the store already has, so that their ids exist before
// replay and before any caller asks.
Status LmdbStorage::OpenTables() {
  MDB_txn* txn;
  int rc = mdb_txn_begin(env_, nullptr, 0, &txn);
  if (rc != 0) return LmdbError(rc, "begin");
  Status s = tables_.open(txn, kMetaTable, &meta_);
  if (s.ok()) {
    MDB_dbi main_db;
    rc = mdb_dbi_open(txn, nullptr, 0, &main_db);
    MDB_cursor* c = nullptr;
    if (rc == 0) rc = mdb_cursor_open(txn, main_db, &c);
    std::vector<std::string> existing;
    MDB_val k, v;
    for (int r = rc == 0 ? mdb_cursor_get(c, &k, &v, MDB_FIRST) : rc; r == 0;
         r = mdb_cursor_get(c, &k, &v, MDB_NEXT))
      existing.emplace_back(View(k));
    if (c) mdb_cursor_close(c);
    for (const auto& name : existing) {
      uint32_t id;
      if (name != kMetaTable && IsValidTableName(name, true) && s.ok()) s = tables_.open(txn, name, &id);
    }
  }
  if (s.ok()) {
    rc = CommitWriteTxn(txn);
    if (rc != 0) s = LmdbError(rc, "commit");
  } else {
    mdb_txn_abort(txn);
  }
  return s;
}

// ---------------------------------------------------------------------------------------
// Storage calls

Result<Table> LmdbStorage::table(std::string_view name) {
  if (!IsValidTableName(name))
    return Status::InvalidArgument("invalid table name '" + std::string(name) +
                                   "': use 1..64 of [a-z0-9_], not starting with __");
  if (closed_.load()) return Closed();
  std::string n(name);
  if (auto id = tables_.find(n)) return Table{*id};
  uint32_t id = 0;
  // A new named DB needs a write txn: make it on the writer thread, where no other one is open.
  Status s = writer_->run([&]() -> Status {
    MDB_txn* txn;
    int rc = mdb_txn_begin(env_, nullptr, 0, &txn);
    if (rc != 0) return LmdbError(rc, "begin");
    const uint32_t before = tables_.count();
    Status st = tables_.open(txn, n, &id);
    if (!st.ok()) {
      mdb_txn_abort(txn);
      return st;
    }
    rc = CommitWriteTxn(txn);
    if (rc == 0) return Status::OK();
    tables_.forget_from(before);  // closed with the txn
    Status failed = LmdbError(rc, "cannot create table " + n);
    return rc == MDB_MAP_FULL ? failed : Fail(failed);
  });
  if (!s.ok()) return s;
  return Table{id};
}

Result<std::unique_ptr<ReadTxn>> LmdbStorage::read() {
  if (closed_.load()) return Closed();
  return readers_->begin();
}

Status LmdbStorage::sync() {
  if (closed_.load()) return Closed();
  return writer_->run([this] {
    Status s = wal_->Sync();
    if (!s.ok()) return Fail(s);
    durable_syncs_.fetch_add(1, std::memory_order_relaxed);
    return s;
  });
}

Status LmdbStorage::checkpoint() {
  if (closed_.load()) return Closed();
  std::vector<std::string> retired;
  COMMERCE_RETURN_IF_ERROR(writer_->run([&] {
    Status s = wal_->Rotate(next_lsn_, &retired);
    return s.ok() ? s : Fail(s);
  }));
  // A failed sync puts the store into the failed state through the checkpointer's callback.
  Status s = checkpointer_->complete(std::move(retired));
  Status failed = writer_->failure();
  return failed.ok() ? s : failed;
}

Status LmdbStorage::backup(const std::string& dir, const BackupOptions& options) {
  if (closed_.load()) return Closed();
  return WriteBackup(options_.path, dir, [&](const std::string& staging) -> Status {
    // A read txn of our own for the copy's length: it keeps the map from being resized
    // under LMDB's copy (a write that needs a larger map waits), and the environment open.
    COMMERCE_ASSIGN_OR_RETURN(auto pin, readers_->begin());
    return CopyEnv(env_, staging + "/data.mdb", options);
  });
}

uint64_t LmdbStorage::WriterWrittenBytes() const {
  // The writer thread's write(2)/pwrite(2) bytes: LMDB's page writes plus the log appends.
  pid_t tid = writer_tid_.load();
  if (tid == 0) return 0;
  std::ifstream io("/proc/self/task/" + std::to_string(tid) + "/io");
  std::string key;
  uint64_t value = 0;
  while (io >> key >> value)
    if (key == "wchar:") return value;
  return 0;
}

StorageStats LmdbStorage::stats() const {
  StorageStats st;
  if (writer_) {
    auto g = writer_->stats();
    st.groups = g.groups;
    st.mutations = g.mutations;
    st.failed_mutations = g.failed_mutations;
    st.max_group_size = g.max_group_size;
  }
  st.durable_syncs = durable_syncs_.load();
  st.log_bytes = log_bytes_total_.load();
  uint64_t written = WriterWrittenBytes();
  st.pages_written = written > st.log_bytes ? (written - st.log_bytes) / 4096 : 0;
  st.checkpoints = checkpointer_ ? checkpointer_->count() : 0;
  st.map_resizes = map_resizes_.load();
  if (writer_) st.write_error = writer_->failure().message();
  return st;
}

Status LmdbStorage::close() {
  std::lock_guard<std::mutex> lock(close_mu_);
  if (closed_.exchange(true)) return Status::OK();
  Status result;
  if (writer_) writer_->stop();  // commits everything queued
  if (checkpointer_) checkpointer_->stop();
  if (writer_ && !writer_->failure().ok()) {
    // Failed: no sync, no reset. The log holds every acknowledged group; the next open
    // recovers from it as after a crash.
    result = writer_->failure();
  } else if (env_ && wal_) {
    // A clean close leaves LMDB synced and the log empty: the next open replays nothing.
    result = wal_->Sync();
    int rc = SyncEnv(env_);
    if (rc != 0 && result.ok()) result = LmdbError(rc, "sync at close");
    if (result.ok()) result = wal_->Reset(next_lsn_);
  }
  wal_.reset();
  if (readers_) readers_->close([this] { ReleaseEnv(); });
  else ReleaseEnv();
  return result;
}

void LmdbStorage::ReleaseEnv() {
  if (env_) mdb_env_close(env_);
  env_ = nullptr;
  lock_.reset();  // another open of this store may proceed from here
}

// ---------------------------------------------------------------------------------------
// The group commit (writer thread)

Status LmdbStorage::commit_group(size_t /*lane: one only*/, std::span<PendingWrite* const> group, bool durable) {
  if (writer_tid_.load(std::memory_order_relaxed) == 0)
    writer_tid_.store(static_cast<pid_t>(::syscall(SYS_gettid)));
  // Each mutation of a group runs straight in the group's txn, and only where one fails after
  // writing (which only a nested txn could take back alone) does the group run again with each
  // mutation in a nested txn. LMDB mallocs 3 MB for every nested txn (its dirty list and
  // free-page list) and merges the child's pages into the parent at its commit: glibc reuses
  // the memory, but ASan maps, fills and unmaps it each time (a bulk import of 2,500 products
  // spent 90% of its time there), and most mutations -- every one that checks before it
  // writes -- never need the child. A group after one that had to nest starts nested: where
  // mutations keep failing after writing (orders that sell out a line after reserving
  // another), no group runs twice.
  bool nested = group.size() > 1 && nest_next_group_;
  for (;;) {
    GroupRun run = GroupRun::kDone;
    bool failed_after_writing = false;
    COMMERCE_RETURN_IF_ERROR(RunGroupOnce(group, durable, nested, &run, &failed_after_writing));
    if (run == GroupRun::kDone) {
      if (group.size() > 1) nest_next_group_ = failed_after_writing;
      return Status::OK();
    }
    // The whole group was rolled back; every mutation runs again, in the larger map or each
    // in a nested txn.
    for (auto* w : group) w->result = Status::OK();
    if (run == GroupRun::kMapFull) {
      COMMERCE_RETURN_IF_ERROR(GrowMap());
    } else {
      nested = true;
    }
  }
}

// `nested`: each mutation in a nested txn of the group's, so that one that fails rolls back
// alone. Otherwise straight in the group's txn: a mutation that fails having changed nothing
// (and left the txn usable) fails alone all the same; one that fails after writing rolls the
// whole group back, to run again nested (kNest) -- unless it is alone in the group, where
// aborting the group's txn is what aborting its child would have done.
Status LmdbStorage::RunGroupOnce(std::span<PendingWrite* const> group, bool durable, bool nested,
                                 GroupRun* run, bool* failed_after_writing) {
  *run = GroupRun::kDone;
  // Log sequences handed out by this group are taken back unless it commits (an abort, a
  // full map, a failed log write): the next group counts on from the last committed entry.
  struct SeqGuard {
    LogSequences* seqs;
    LogSequences::Mark mark;
    bool committed = false;
    ~SeqGuard() {
      if (!committed) seqs->rollback(mark);
    }
  } seq_guard{&seqs_, seqs_.mark()};
  MDB_txn* txn;
  int rc = mdb_txn_begin(env_, nullptr, 0, &txn);
  if (rc != 0) return LmdbError(rc, "cannot begin write transaction");
  std::string record;
  std::string redo;
  const bool alone = group.size() == 1;
  for (auto* w : group) {
    const LogSequences::Mark mutation_seqs = seqs_.mark();
    MDB_txn* child = txn;
    if (nested) {
      rc = mdb_txn_begin(env_, txn, 0, &child);
      if (rc != 0) {
        mdb_txn_abort(txn);
        return LmdbError(rc, "cannot begin nested transaction");
      }
    }
    redo.clear();
    LmdbWriteTxn wt(&tables_, child, &redo, &seqs_);
    Status s;
    try {
      s = w->mutation(wt);
    } catch (const std::exception& e) {
      s = Status::Internal(std::string("mutation threw: ") + e.what());
    } catch (...) {
      s = Status::Internal("mutation threw a non-standard exception");
    }
    if (wt.map_full()) {
      if (nested) mdb_txn_abort(child);
      mdb_txn_abort(txn);
      *run = GroupRun::kMapFull;
      return Status::OK();
    }
    // Straight, a mutation that left the group's txn unusable (it went on past an LMDB error
    // that a nested txn's commit would have refused) fails, as if nested.
    const bool spoilt = !nested && !TxnUsable(txn, tables_.dbi(meta_));
    if (spoilt && s.ok()) s = LmdbError(MDB_BAD_TXN, "nested commit");
    if (!s.ok() && (wt.changed() || spoilt)) {
      *failed_after_writing = true;
      if (!nested && !alone) {
        // What it did is in the group's txn: only running the group again, nested, takes it
        // back alone (the sequences the group took go back with the guard).
        mdb_txn_abort(txn);
        *run = GroupRun::kNest;
        return Status::OK();
      }
    }
    if (s.ok()) {
      rc = nested ? mdb_txn_commit(child) : 0;
      if (rc == MDB_MAP_FULL) {
        mdb_txn_abort(txn);
        *run = GroupRun::kMapFull;
        return Status::OK();
      }
      if (rc != 0) s = LmdbError(rc, "nested commit");
      else record += redo;
    } else if (nested) {
      mdb_txn_abort(child);
    }
    if (!s.ok()) seqs_.rollback(mutation_seqs);  // its log entries went with it
    w->result = std::move(s);
  }
  if (record.empty()) {
    // Nothing changed (every mutation failed or only read): no log record, no commit.
    mdb_txn_abort(txn);
    return Status::OK();
  }
  const uint64_t lsn = next_lsn_;
  rc = PutAppliedLsn(txn, tables_.dbi(meta_), lsn);
  if (rc == MDB_MAP_FULL) {
    mdb_txn_abort(txn);
    *run = GroupRun::kMapFull;
    return Status::OK();
  }
  if (rc != 0) {
    mdb_txn_abort(txn);
    return LmdbError(rc, "cannot record applied lsn");
  }
  const uint64_t before = wal_->segment_bytes();
  if (options_.lmdb_sync_each_commit) {
    // LMDB's own synced commit makes the group durable; no log record.
    rc = CommitWriteTxn(txn);
    if (rc != 0) {
      if (rc != MDB_MAP_FULL) return Fail(LmdbError(rc, "commit"));
      *run = GroupRun::kMapFull;
      return Status::OK();
    }
    durable_syncs_.fetch_add(1, std::memory_order_relaxed);
    next_lsn_ = lsn + 1;
    seq_guard.committed = true;
    return Status::OK();
  }
  Status s = wal_->Append(lsn, record);
  if (!s.ok()) {
    mdb_txn_abort(txn);
    // Append cut its partial record back where it could. Only I/O failures stop the store.
    return s.IsUnavailable() ? Fail(s) : s;
  }
  if (durable) {
    s = wal_->Sync();
    if (!s.ok()) {
      mdb_txn_abort(txn);
      // The whole record may be in the log file: cut it back out, so that reopening does not
      // replay a group whose callers are told it failed.
      return Fail(s, wal_->Truncate(before));
    }
    durable_syncs_.fetch_add(1, std::memory_order_relaxed);
  }
  CrashPoint("wal-synced");
  rc = CommitWriteTxn(txn);
  if (rc != 0) {
    // The record is in the log but LMDB refused it: cut it back out of the log, so that
    // replay never applies a group whose callers were told it failed. (A full map at commit
    // is the expected cause; the group is then retried after the map grows.)
    Status cut = wal_->Truncate(before);
    if (rc == MDB_MAP_FULL && cut.ok()) {
      *run = GroupRun::kMapFull;
      return Status::OK();
    }
    return Fail(LmdbError(rc, "commit"), cut);
  }
  next_lsn_ = lsn + 1;
  seq_guard.committed = true;
  log_bytes_total_.fetch_add(record.size() + 16, std::memory_order_relaxed);
  return Status::OK();
}

Status LmdbStorage::GrowMap() {
  if (map_size_ >= options_.lmdb_max_map_size)
    return Status::ResourceExhausted("store " + options_.path + " reached lmdb_max_map_size (" +
                                     std::to_string(options_.lmdb_max_map_size) + " bytes)");
  size_t next = std::min(map_size_ * 2, options_.lmdb_max_map_size);
  auto no_readers = readers_->exclude();
  int rc = mdb_env_set_mapsize(env_, next);
  if (rc != 0) return LmdbError(rc, "cannot grow the map to " + std::to_string(next) + " bytes");
  map_size_ = next;
  map_resizes_.fetch_add(1);
  UpdateGuardMap();
  return Status::OK();
}

void LmdbStorage::UpdateGuardMap() {
  MDB_envinfo info;
  MDB_stat st;
  if (mdb_env_info(env_, &info) != 0 || mdb_env_stat(env_, &st) != 0) return;
  readers_->set_guard_map(
      LmdbGuard::FindMap(options_.path + "/data.mdb", st.ms_psize, info.me_mapsize));
}

void LmdbStorage::on_idle() {
  if (wal_->segment_bytes() == 0 || !writer_->failure().ok()) return;
  auto now = std::chrono::steady_clock::now();
  bool due = wal_->segment_bytes() >= options_.lmdb_checkpoint_bytes ||
             now - last_checkpoint_ >= std::chrono::milliseconds(options_.lmdb_checkpoint_interval_ms);
  if (!due || checkpointer_->busy()) return;  // busy: the previous checkpoint is still syncing
  std::vector<std::string> retired;
  Status s = wal_->Rotate(next_lsn_, &retired);
  if (s.ok()) checkpointer_->hand_over(std::move(retired));
  else (void)Fail(s);
  last_checkpoint_ = now;
}

Status LmdbStorage::Fail(const Status& cause, const Status& cut) {
  std::string msg = "store " + options_.path + " stopped writing after an I/O error (" +
                    cause.message() + "); the writes acknowledged before it are safe: close "
                    "the store and open it again to go on";
  if (!cut.ok())
    msg += " (the failed write's log record could not be cut back: " + cut.message() +
           "; it may be present after reopening)";
  if (writer_) {
    writer_->fail(Status::Unavailable(msg));
    return writer_->failure();  // the first failure's Status, if another came first
  }
  return Status::Unavailable(msg);
}

}  // namespace
}  // namespace lmdb

Result<std::unique_ptr<Storage>> OpenLmdbStorage(const StorageOptions& options) {
  auto s = std::make_unique<lmdb::LmdbStorage>(options);
  COMMERCE_RETURN_IF_ERROR(s->Open());
  return std::unique_ptr<Storage>(std::move(s));
}

}  // namespace commerce
