// The LMDB driver. Map of this file:
//   1. helpers: error mapping, key checks, redo-record encoding
//   2. LmdbCursor, LmdbReadTxn, LmdbWriteTxn: the storage.h views over MDB txns and cursors
//   3. LmdbStorage: open + replay, the group commit, checkpoints, map growth, close
//
// The write path (DESIGN.md): the writer thread runs a group in one LMDB write txn, each
// mutation in a nested txn; every put/del a mutation makes is also encoded as a redo record.
// The group's records are appended to the log (wal.h) and fdatasync'ed once; only then is
// the LMDB txn committed, without a sync, so no reader ever sees a durable-write-to-be that a
// crash could take back. The applied LSN is stored in the same LMDB txn, so replay after a
// crash applies exactly the records LMDB lacks. A checkpointer thread syncs LMDB now and
// then and removes the log segments it covers.
#include "storage/lmdb/lmdb_storage.h"

#include <lmdb.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <fstream>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "storage/dir_lock.h"
#include "storage/group_writer.h"
#include "storage/lmdb/lmdb_test_hooks.h"
#include "storage/lmdb/wal.h"

namespace commerce {

// ---------------------------------------------------------------------------------------
// 1. helpers

namespace {

std::atomic<LmdbCrashHook> g_crash_hook{nullptr};

void CrashPoint(const char* point) {
  if (auto hook = g_crash_hook.load(std::memory_order_relaxed)) hook(point);
}

constexpr size_t kMaxTables = 256;
constexpr const char* kMetaTable = "__meta";
constexpr std::string_view kAppliedLsnKey = "applied_lsn";

Status LmdbError(int rc, const std::string& what) {
  std::string msg = what + ": " + mdb_strerror(rc);
  switch (rc) {
    case MDB_NOTFOUND: return Status::NotFound(msg);
    case MDB_KEYEXIST: return Status::AlreadyExists(msg);
    case MDB_CORRUPTED:
    case MDB_PAGE_NOTFOUND:
    case MDB_INVALID:
    case MDB_VERSION_MISMATCH: return Status::Corruption(msg);
    case MDB_MAP_FULL: return Status::ResourceExhausted(msg);
    case MDB_READERS_FULL: return Status::ResourceExhausted(msg + " (raise lmdb_max_readers)");
    case MDB_BAD_VALSIZE: return Status::InvalidArgument(msg);
    case EACCES:
    case EROFS:
    case EAGAIN:
    case EIO:
    case ENOSPC: return Status::Unavailable(msg);
    default: return Status::Internal(msg);
  }
}

Status CheckKey(std::string_view key) {
  if (key.empty()) return Status::InvalidArgument("empty key");
  if (key.size() > kMaxKeySize)
    return Status::InvalidArgument("key of " + std::to_string(key.size()) + " bytes exceeds " +
                                   std::to_string(kMaxKeySize));
  return Status::OK();
}

MDB_val Val(std::string_view s) { return MDB_val{s.size(), const_cast<char*>(s.data())}; }
std::string_view View(const MDB_val& v) { return {static_cast<const char*>(v.mv_data), v.mv_size}; }

// Redo records: op, table name, key, value — each length-prefixed with a varint.
enum : char { kOpPut = 'P', kOpDel = 'D' };

void PutVarint(std::string* out, uint64_t v) {
  while (v >= 0x80) {
    out->push_back(static_cast<char>(v | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<char>(v));
}

bool GetVarint(std::string_view* in, uint64_t* v) {
  *v = 0;
  for (int shift = 0; shift < 64 && !in->empty(); shift += 7) {
    auto b = static_cast<unsigned char>(in->front());
    in->remove_prefix(1);
    *v |= static_cast<uint64_t>(b & 0x7f) << shift;
    if (!(b & 0x80)) return true;
  }
  return false;
}

bool GetBytes(std::string_view* in, std::string_view* out) {
  uint64_t n;
  if (!GetVarint(in, &n) || n > in->size()) return false;
  *out = in->substr(0, n);
  in->remove_prefix(n);
  return true;
}

void PutBytes(std::string* out, std::string_view s) {
  PutVarint(out, s.size());
  out->append(s);
}

uint64_t DecodeU64(std::string_view v) {
  uint64_t x = 0;
  if (v.size() == 8) std::memcpy(&x, v.data(), 8);
  return x;
}

}  // namespace

void SetLmdbCrashHook(LmdbCrashHook hook) { g_crash_hook.store(hook); }

// ---------------------------------------------------------------------------------------
// 2. cursors and transactions

namespace {

class LmdbCursor final : public Cursor {
 public:
  LmdbCursor(MDB_cursor* c, bool reverse) : c_(c), reverse_(reverse) {}
  ~LmdbCursor() override {
    if (c_) mdb_cursor_close(c_);
  }
  explicit LmdbCursor(Status error) : status_(std::move(error)) {}

  bool valid() const override { return valid_; }
  void seek(std::string_view target) override {
    if (!c_) return;
    if (target.empty()) {
      // Every key is >= "" and none is <= "".
      if (reverse_) valid_ = false; else seek_to_first();
      return;
    }
    if (target.size() > kMaxKeySize) target = target.substr(0, kMaxKeySize + 1);
    std::string bounded;
    if (target.size() > kMaxKeySize) {
      // Longer than any stored key: position by its first kMaxKeySize bytes, then skip the
      // one key that may equal that prefix (it sorts before the target).
      bounded.assign(target.substr(0, kMaxKeySize));
      key_ = Val(bounded);
      move(MDB_SET_RANGE);
      if (valid_ && View(key_) == bounded) {
        if (!reverse_) move(MDB_NEXT);
        return;
      }
    } else {
      key_ = Val(target);
      move(MDB_SET_RANGE);
    }
    if (!reverse_) return;
    if (!valid_) {
      if (status_.ok()) move(MDB_LAST);
    } else if (View(key_) > (bounded.empty() ? target : std::string_view(bounded))) {
      move(MDB_PREV);
    }
  }
  void seek_to_first() override { move(reverse_ ? MDB_LAST : MDB_FIRST); }
  void next() override { move(reverse_ ? MDB_PREV : MDB_NEXT); }
  std::string_view key() const override { return View(key_); }
  std::string_view value() const override { return View(val_); }
  Status status() const override { return status_; }

 private:
  void move(MDB_cursor_op op) {
    if (!c_) return;
    int rc = mdb_cursor_get(c_, &key_, &val_, op);
    valid_ = rc == 0;
    if (rc != 0 && rc != MDB_NOTFOUND) status_ = LmdbError(rc, "cursor");
  }

  MDB_cursor* c_ = nullptr;
  bool reverse_ = false;
  bool valid_ = false;
  MDB_val key_{0, nullptr}, val_{0, nullptr};
  Status status_;
};

}  // namespace

class LmdbStorage;

namespace {

// Reads shared by both transaction kinds.
class LmdbView {
 public:
  LmdbView(const std::array<MDB_dbi, kMaxTables>* dbis, const std::atomic<uint32_t>* ntables)
      : dbis_(dbis), ntables_(ntables) {}

  Status dbi(Table t, MDB_dbi* out) const {
    if (t.id >= ntables_->load(std::memory_order_acquire))
      return Status::InvalidArgument("unknown table id " + std::to_string(t.id));
    *out = (*dbis_)[t.id];
    return Status::OK();
  }

  Status get(MDB_txn* txn, Table t, std::string_view key, std::string_view* value) {
    MDB_dbi d;
    COMMERCE_RETURN_IF_ERROR(dbi(t, &d));
    COMMERCE_RETURN_IF_ERROR(CheckKey(key));
    MDB_val k = Val(key), v;
    int rc = mdb_get(txn, d, &k, &v);
    // EINVAL: the table was created after this snapshot began, so it is empty here.
    if (rc == MDB_NOTFOUND || rc == EINVAL) return Status::NotFound("key not found");
    if (rc != 0) return LmdbError(rc, "get");
    *value = View(v);
    return Status::OK();
  }

  std::unique_ptr<Cursor> cursor(MDB_txn* txn, Table t, CursorOptions o) {
    MDB_dbi d;
    Status s = dbi(t, &d);
    if (!s.ok()) return std::make_unique<LmdbCursor>(s);
    MDB_cursor* c;
    int rc = mdb_cursor_open(txn, d, &c);
    if (rc == EINVAL) return std::make_unique<LmdbCursor>(Status::OK());  // table newer than snapshot: empty
    if (rc != 0) return std::make_unique<LmdbCursor>(LmdbError(rc, "cursor open"));
    return std::make_unique<LmdbCursor>(c, o.reverse);
  }

 private:
  const std::array<MDB_dbi, kMaxTables>* dbis_;
  const std::atomic<uint32_t>* ntables_;
};

}  // namespace

// ---------------------------------------------------------------------------------------
// 3. the storage

class LmdbStorage final : public Storage, public GroupBackend {
 public:
  explicit LmdbStorage(const StorageOptions& o) : options_(o), view_(&dbis_, &ntables_) {}
  ~LmdbStorage() override {
    (void)close();
    // A ReadTxn that outlives its Storage breaks the contract (storage.h); close anyway.
    std::lock_guard<std::mutex> l(pool_mu_);
    if (env_close_pending_) FinalizeEnvClose();
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
  StorageStats stats() const override;
  Status close() override;

  // GroupBackend
  Status commit_group(std::span<PendingWrite* const> group, bool durable) override;
  void on_idle() override;

  // Read-txn pool, used by LmdbReadTxn.
  Result<MDB_txn*> acquire_read_txn();
  void release_read_txn(MDB_txn* txn);
  std::shared_mutex& resize_mu() { return resize_mu_; }
  LmdbView& view() { return view_; }
  const std::string& table_name(uint32_t id) const { return names_[id]; }

 private:
  static Status Closed() { return Status::FailedPrecondition("storage is closed: reopen it"); }
  Status OpenDbi(MDB_txn* txn, const std::string& name, uint32_t* id);  // writer thread only
  void FinalizeEnvClose();  // REQUIRES: pool_mu_ held, no live read txn
  Status Replay();
  Status ApplyRecord(MDB_txn* txn, std::string_view payload);
  Status RunGroupOnce(std::span<PendingWrite* const> group, bool durable, bool* map_full);
  Status GrowMap();
  Status RotateForCheckpoint();   // writer thread
  void CheckpointLoop();
  Status CompleteCheckpoint(std::vector<std::string> retired);
  uint64_t WriterWrittenBytes() const;
  void ForgetTablesFrom(uint32_t n);

  StorageOptions options_;
  std::unique_ptr<DirLock> lock_;
  MDB_env* env_ = nullptr;
  size_t map_size_ = 0;

  std::array<MDB_dbi, kMaxTables> dbis_{};
  std::array<std::string, kMaxTables> names_;
  std::atomic<uint32_t> ntables_{0};
  std::mutex tables_mu_;  // guards name lookups; creation happens on the writer thread
  std::unordered_map<std::string, uint32_t> table_ids_;  // GUARDED_BY(tables_mu_)
  uint32_t meta_ = 0;
  LmdbView view_;

  std::unique_ptr<Wal> wal_;
  uint64_t next_lsn_ = 1;  // writer thread only
  std::atomic<uint64_t> log_bytes_total_{0};
  std::atomic<uint64_t> durable_syncs_{0};
  std::atomic<uint64_t> map_resizes_{0};
  std::atomic<uint64_t> checkpoints_{0};
  std::atomic<pid_t> writer_tid_{0};
  std::chrono::steady_clock::time_point last_checkpoint_ = std::chrono::steady_clock::now();

  // Readers hold it shared for their life; growing the map needs it exclusive, because
  // mdb_env_set_mapsize requires that no transaction be active in the process.
  std::shared_mutex resize_mu_;
  std::mutex pool_mu_;
  std::vector<MDB_txn*> read_pool_;  // GUARDED_BY(pool_mu_): reset read txns, ready to renew
  // Read txns handed out and not yet released. A ReadTxn may outlive close(): the
  // environment is then closed when the last one is released (LMDB must not close an
  // environment under a live txn).
  size_t live_readers_ = 0;          // GUARDED_BY(pool_mu_)
  bool env_close_pending_ = false;   // GUARDED_BY(pool_mu_)

  // Checkpointer: the writer rotates the log and hands the retired segments over.
  std::mutex ckpt_mu_;
  std::condition_variable ckpt_cv_;
  std::vector<std::string> ckpt_pending_;  // GUARDED_BY(ckpt_mu_)
  bool ckpt_busy_ = false;                 // GUARDED_BY(ckpt_mu_)
  bool ckpt_stop_ = false;                 // GUARDED_BY(ckpt_mu_)
  std::mutex ckpt_run_mu_;                 // serialises CompleteCheckpoint
  std::thread ckpt_thread_;

  std::unique_ptr<GroupWriter> writer_;
  std::atomic<bool> closed_{false};
  std::mutex close_mu_;
};

namespace {

class LmdbReadTxn final : public ReadTxn {
 public:
  LmdbReadTxn(LmdbStorage* s, MDB_txn* txn, std::shared_lock<std::shared_mutex> lock)
      : s_(s), txn_(txn), lock_(std::move(lock)) {}
  ~LmdbReadTxn() override { s_->release_read_txn(txn_); }
  Status get(Table t, std::string_view key, std::string_view* value) override {
    return s_->view().get(txn_, t, key, value);
  }
  std::unique_ptr<Cursor> cursor(Table t, CursorOptions o) override {
    return s_->view().cursor(txn_, t, o);
  }
  using ReadView::get;

 private:
  LmdbStorage* s_;
  MDB_txn* txn_;
  std::shared_lock<std::shared_mutex> lock_;
};

class LmdbWriteTxn final : public WriteTxn {
 public:
  LmdbWriteTxn(LmdbStorage* s, MDB_txn* txn, std::string* redo) : s_(s), txn_(txn), redo_(redo) {}

  Status get(Table t, std::string_view key, std::string_view* value) override {
    return s_->view().get(txn_, t, key, value);
  }
  std::unique_ptr<Cursor> cursor(Table t, CursorOptions o) override {
    return s_->view().cursor(txn_, t, o);
  }
  using ReadView::get;

  Status put(Table t, std::string_view key, std::string_view value, PutMode mode) override {
    MDB_dbi d;
    COMMERCE_RETURN_IF_ERROR(s_->view().dbi(t, &d));
    COMMERCE_RETURN_IF_ERROR(CheckKey(key));
    MDB_val k = Val(key), v = Val(value);
    int rc = mdb_put(txn_, d, &k, &v, mode == PutMode::kNoOverwrite ? MDB_NOOVERWRITE : 0);
    if (rc == MDB_KEYEXIST) return Status::AlreadyExists("key already exists");
    if (rc == MDB_MAP_FULL) map_full_ = true;
    if (rc != 0) return LmdbError(rc, "put");
    redo_->push_back(kOpPut);
    PutBytes(redo_, s_->table_name(t.id));
    PutBytes(redo_, key);
    PutBytes(redo_, value);
    return Status::OK();
  }

  Status del(Table t, std::string_view key) override {
    MDB_dbi d;
    COMMERCE_RETURN_IF_ERROR(s_->view().dbi(t, &d));
    COMMERCE_RETURN_IF_ERROR(CheckKey(key));
    MDB_val k = Val(key);
    int rc = mdb_del(txn_, d, &k, nullptr);
    if (rc == MDB_NOTFOUND) return Status::OK();
    if (rc == MDB_MAP_FULL) map_full_ = true;
    if (rc != 0) return LmdbError(rc, "del");
    redo_->push_back(kOpDel);
    PutBytes(redo_, s_->table_name(t.id));
    PutBytes(redo_, key);
    return Status::OK();
  }

  bool map_full() const { return map_full_; }

 private:
  LmdbStorage* s_;
  MDB_txn* txn_;
  std::string* redo_;
  bool map_full_ = false;
};

}  // namespace

Status LmdbStorage::Open() {
  if (options_.lmdb_map_size < (size_t{1} << 20) || options_.lmdb_max_map_size < options_.lmdb_map_size)
    return Status::InvalidArgument("lmdb_map_size must be >= 1 MiB and <= lmdb_max_map_size");
  if (options_.lmdb_max_readers == 0)
    return Status::InvalidArgument("lmdb_max_readers must be > 0");
  COMMERCE_ASSIGN_OR_RETURN(lock_, DirLock::Acquire(options_.path));

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

  // The meta table, then every table the store already has, so that their ids exist before
  // replay and before any caller asks.
  MDB_txn* txn;
  rc = mdb_txn_begin(env_, nullptr, 0, &txn);
  if (rc != 0) return LmdbError(rc, "begin");
  Status s = OpenDbi(txn, kMetaTable, &meta_);
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
      if (name != kMetaTable && IsValidTableName(name, true) && s.ok()) s = OpenDbi(txn, name, &id);
    }
  }
  if (s.ok()) {
    rc = mdb_txn_commit(txn);
    if (rc != 0) s = LmdbError(rc, "commit");
  } else {
    mdb_txn_abort(txn);
  }
  COMMERCE_RETURN_IF_ERROR(s);

  COMMERCE_ASSIGN_OR_RETURN(wal_, Wal::Open(options_.path + "/wal"));
  COMMERCE_RETURN_IF_ERROR(Replay());

  ckpt_thread_ = std::thread([this] { CheckpointLoop(); });
  writer_ = std::make_unique<GroupWriter>(this, options_.max_group_size, options_.max_group_wait_us);
  return Status::OK();
}

Status LmdbStorage::OpenDbi(MDB_txn* txn, const std::string& name, uint32_t* id) {
  {
    std::lock_guard<std::mutex> lock(tables_mu_);
    auto it = table_ids_.find(name);
    if (it != table_ids_.end()) {
      *id = it->second;
      return Status::OK();
    }
  }
  uint32_t n = ntables_.load();
  if (n >= kMaxTables) return Status::ResourceExhausted("too many tables (256)");
  MDB_dbi d;
  int rc = mdb_dbi_open(txn, name.c_str(), MDB_CREATE, &d);
  if (rc != 0) return LmdbError(rc, "cannot open table " + name);
  dbis_[n] = d;
  names_[n] = name;
  {
    std::lock_guard<std::mutex> lock(tables_mu_);
    table_ids_[name] = n;
  }
  ntables_.store(n + 1, std::memory_order_release);
  *id = n;
  return Status::OK();
}

Result<Table> LmdbStorage::table(std::string_view name) {
  if (!IsValidTableName(name))
    return Status::InvalidArgument("invalid table name '" + std::string(name) +
                                   "': use 1..64 of [a-z0-9_], not starting with __");
  if (closed_.load()) return Closed();
  {
    std::lock_guard<std::mutex> lock(tables_mu_);
    auto it = table_ids_.find(std::string(name));
    if (it != table_ids_.end()) return Table{it->second};
  }
  uint32_t id = 0;
  std::string n(name);
  // A new named DB needs a write txn: make it on the writer thread, where no other one is open.
  Status s = writer_->run([&]() -> Status {
    MDB_txn* txn;
    int rc = mdb_txn_begin(env_, nullptr, 0, &txn);
    if (rc != 0) return LmdbError(rc, "begin");
    Status st = OpenDbi(txn, n, &id);
    if (!st.ok()) {
      mdb_txn_abort(txn);
      return st;
    }
    rc = mdb_txn_commit(txn);
    return rc == 0 ? Status::OK() : LmdbError(rc, "commit");
  });
  if (!s.ok()) return s;
  return Table{id};
}

Result<MDB_txn*> LmdbStorage::acquire_read_txn() {
  MDB_txn* txn = nullptr;
  {
    std::lock_guard<std::mutex> lock(pool_mu_);
    if (closed_.load()) return Closed();
    ++live_readers_;
    if (!read_pool_.empty()) {
      txn = read_pool_.back();
      read_pool_.pop_back();
    }
  }
  int rc;
  if (txn) {
    rc = mdb_txn_renew(txn);
    if (rc != 0) {
      mdb_txn_abort(txn);
      txn = nullptr;
    }
  }
  if (!txn) {
    rc = mdb_txn_begin(env_, nullptr, MDB_RDONLY, &txn);
    if (rc != 0) {
      std::lock_guard<std::mutex> lock(pool_mu_);
      --live_readers_;
      return LmdbError(rc, "cannot begin read transaction");
    }
  }
  return txn;
}

void LmdbStorage::release_read_txn(MDB_txn* txn) {
  std::lock_guard<std::mutex> lock(pool_mu_);
  --live_readers_;
  if (closed_.load()) {
    mdb_txn_abort(txn);
    if (live_readers_ == 0 && env_close_pending_) FinalizeEnvClose();
    return;
  }
  mdb_txn_reset(txn);
  read_pool_.push_back(txn);
}

void LmdbStorage::FinalizeEnvClose() {
  for (auto* t : read_pool_) mdb_txn_abort(t);
  read_pool_.clear();
  if (env_) mdb_env_close(env_);
  env_ = nullptr;
  env_close_pending_ = false;
  lock_.reset();  // another open of this store may proceed from here
}

Result<std::unique_ptr<ReadTxn>> LmdbStorage::read() {
  if (closed_.load()) return Closed();
  std::shared_lock<std::shared_mutex> lock(resize_mu_);
  COMMERCE_ASSIGN_OR_RETURN(MDB_txn * txn, acquire_read_txn());
  return std::unique_ptr<ReadTxn>(new LmdbReadTxn(this, txn, std::move(lock)));
}

Status LmdbStorage::ApplyRecord(MDB_txn* txn, std::string_view in) {
  while (!in.empty()) {
    char op = in.front();
    in.remove_prefix(1);
    std::string_view name, key, value;
    if (!GetBytes(&in, &name) || !GetBytes(&in, &key) || (op == kOpPut && !GetBytes(&in, &value)) ||
        (op != kOpPut && op != kOpDel))
      return Status::Corruption("log record in " + wal_->dir() + " does not decode");
    uint32_t id;
    COMMERCE_RETURN_IF_ERROR(OpenDbi(txn, std::string(name), &id));
    MDB_val k = Val(key), v = Val(value);
    int rc = op == kOpPut ? mdb_put(txn, dbis_[id], &k, &v, 0) : mdb_del(txn, dbis_[id], &k, nullptr);
    if (rc != 0 && rc != MDB_NOTFOUND) return LmdbError(rc, "replay");
  }
  return Status::OK();
}

Status LmdbStorage::Replay() {
  uint64_t applied = 0;
  {
    MDB_txn* txn;
    int rc = mdb_txn_begin(env_, nullptr, MDB_RDONLY, &txn);
    if (rc != 0) return LmdbError(rc, "begin");
    MDB_val k = Val(kAppliedLsnKey), v;
    rc = mdb_get(txn, dbis_[meta_], &k, &v);
    if (rc == 0) applied = DecodeU64(View(v));
    mdb_txn_abort(txn);
  }
  // Replayed records are applied in large LMDB txns: the log may hold many groups.
  MDB_txn* txn = nullptr;
  size_t in_txn = 0;
  uint64_t last_applied = applied;
  auto commit = [&]() -> Status {
    if (!txn) return Status::OK();
    MDB_val k = Val(kAppliedLsnKey);
    MDB_val v{8, &last_applied};
    int rc = mdb_put(txn, dbis_[meta_], &k, &v, 0);
    if (rc == 0) rc = mdb_txn_commit(txn); else mdb_txn_abort(txn);
    txn = nullptr;
    in_txn = 0;
    return rc == 0 ? Status::OK() : LmdbError(rc, "replay commit");
  };
  uint64_t last = 0;
  const uint32_t tables_before = ntables_.load();
  Status s = wal_->Replay(applied, [&](uint64_t lsn, std::string_view payload) -> Status {
    if (!txn) {
      int rc = mdb_txn_begin(env_, nullptr, 0, &txn);
      if (rc != 0) return LmdbError(rc, "replay begin");
    }
    COMMERCE_RETURN_IF_ERROR(ApplyRecord(txn, payload));
    last_applied = lsn;
    if (++in_txn >= 1024) COMMERCE_RETURN_IF_ERROR(commit());
    return Status::OK();
  }, &last);
  if (!s.ok() && txn) {
    mdb_txn_abort(txn);
    txn = nullptr;
    // Tables opened in the aborted txn are closed with it.
    ForgetTablesFrom(tables_before);
  }
  if (s.IsResourceExhausted() && s.message().find("MDB_MAP_FULL") != std::string::npos) {
    // Grow and replay again from what LMDB has now: nothing is applied twice because the
    // applied LSN is committed with each replay txn.
    COMMERCE_RETURN_IF_ERROR(GrowMap());
    return Replay();
  }
  COMMERCE_RETURN_IF_ERROR(s);
  COMMERCE_RETURN_IF_ERROR(commit());
  int rc = mdb_env_sync(env_, 1);
  if (rc != 0) return LmdbError(rc, "sync after replay");
  next_lsn_ = std::max(applied, last) + 1;
  return wal_->Reset(next_lsn_);
}

Status LmdbStorage::GrowMap() {
  if (map_size_ >= options_.lmdb_max_map_size)
    return Status::ResourceExhausted("store " + options_.path + " reached lmdb_max_map_size (" +
                                     std::to_string(options_.lmdb_max_map_size) + " bytes)");
  size_t next = std::min(map_size_ * 2, options_.lmdb_max_map_size);
  std::unique_lock<std::shared_mutex> lock(resize_mu_);
  {
    // Pooled read txns hold reader slots but no snapshot; they must not be live across the
    // remap, so drop them.
    std::lock_guard<std::mutex> pool(pool_mu_);
    for (auto* t : read_pool_) mdb_txn_abort(t);
    read_pool_.clear();
  }
  int rc = mdb_env_set_mapsize(env_, next);
  if (rc != 0) return LmdbError(rc, "cannot grow the map to " + std::to_string(next) + " bytes");
  map_size_ = next;
  map_resizes_.fetch_add(1);
  return Status::OK();
}

Status LmdbStorage::RunGroupOnce(std::span<PendingWrite* const> group, bool durable,
                                 bool* map_full) {
  *map_full = false;
  MDB_txn* txn;
  int rc = mdb_txn_begin(env_, nullptr, 0, &txn);
  if (rc != 0) return LmdbError(rc, "cannot begin write transaction");
  std::string record;
  std::string redo;
  for (auto* w : group) {
    MDB_txn* child;
    rc = mdb_txn_begin(env_, txn, 0, &child);
    if (rc != 0) {
      mdb_txn_abort(txn);
      return LmdbError(rc, "cannot begin nested transaction");
    }
    redo.clear();
    LmdbWriteTxn wt(this, child, &redo);
    Status s;
    try {
      s = w->mutation(wt);
    } catch (const std::exception& e) {
      s = Status::Internal(std::string("mutation threw: ") + e.what());
    } catch (...) {
      s = Status::Internal("mutation threw a non-standard exception");
    }
    if (wt.map_full()) {
      mdb_txn_abort(child);
      mdb_txn_abort(txn);
      *map_full = true;
      return Status::OK();
    }
    if (s.ok()) {
      rc = mdb_txn_commit(child);
      if (rc == MDB_MAP_FULL) {
        mdb_txn_abort(txn);
        *map_full = true;
        return Status::OK();
      }
      if (rc != 0) s = LmdbError(rc, "nested commit");
      else record += redo;
    } else {
      mdb_txn_abort(child);
    }
    w->result = std::move(s);
  }
  if (record.empty()) {
    // Nothing changed (every mutation failed or only read): no log record, no commit.
    mdb_txn_abort(txn);
    return Status::OK();
  }
  const uint64_t lsn = next_lsn_;
  MDB_val k = Val(kAppliedLsnKey);
  MDB_val v{8, const_cast<uint64_t*>(&lsn)};
  rc = mdb_put(txn, dbis_[meta_], &k, &v, 0);
  if (rc == MDB_MAP_FULL) {
    mdb_txn_abort(txn);
    *map_full = true;
    return Status::OK();
  }
  if (rc != 0) {
    mdb_txn_abort(txn);
    return LmdbError(rc, "cannot record applied lsn");
  }
  const uint64_t before = wal_->segment_bytes();
  if (options_.lmdb_sync_each_commit) {
    // LMDB's own synced commit makes the group durable; no log record.
    rc = mdb_txn_commit(txn);
    if (rc != 0) {
      *map_full = rc == MDB_MAP_FULL;
      return *map_full ? Status::OK() : LmdbError(rc, "commit");
    }
    durable_syncs_.fetch_add(1, std::memory_order_relaxed);
    next_lsn_ = lsn + 1;
    return Status::OK();
  }
  Status s = wal_->Append(lsn, record);
  if (s.ok() && durable) {
    s = wal_->Sync();
    durable_syncs_.fetch_add(1, std::memory_order_relaxed);
  }
  if (!s.ok()) {
    mdb_txn_abort(txn);
    return s;
  }
  CrashPoint("wal-synced");
  rc = mdb_txn_commit(txn);
  if (rc != 0) {
    // The record is in the log but LMDB refused it: cut it back out of the log, so that
    // replay never applies a group whose callers were told it failed. (A full map at commit
    // is the expected cause; the group is then retried after the map grows.)
    Status cut = wal_->Truncate(before);
    if (!cut.ok()) return cut;
    *map_full = rc == MDB_MAP_FULL;
    return *map_full ? Status::OK() : LmdbError(rc, "commit");
  }
  next_lsn_ = lsn + 1;
  log_bytes_total_.fetch_add(record.size() + 16, std::memory_order_relaxed);
  return Status::OK();
}

}  // namespace commerce

namespace commerce {

void LmdbStorage::ForgetTablesFrom(uint32_t n) {
  std::lock_guard<std::mutex> lock(tables_mu_);
  for (uint32_t i = n; i < ntables_.load(); ++i) table_ids_.erase(names_[i]);
  ntables_.store(n, std::memory_order_release);
}

Status LmdbStorage::commit_group(std::span<PendingWrite* const> group, bool durable) {
  if (writer_tid_.load(std::memory_order_relaxed) == 0)
    writer_tid_.store(static_cast<pid_t>(::syscall(SYS_gettid)));
  for (;;) {
    bool map_full = false;
    COMMERCE_RETURN_IF_ERROR(RunGroupOnce(group, durable, &map_full));
    if (!map_full) return Status::OK();
    // The whole group was rolled back; every mutation runs again in the larger map.
    for (auto* w : group) w->result = Status::OK();
    COMMERCE_RETURN_IF_ERROR(GrowMap());
  }
}

void LmdbStorage::on_idle() {
  if (wal_->segment_bytes() == 0) return;
  auto now = std::chrono::steady_clock::now();
  bool due = wal_->segment_bytes() >= options_.lmdb_checkpoint_bytes ||
             now - last_checkpoint_ >= std::chrono::milliseconds(options_.lmdb_checkpoint_interval_ms);
  if (!due) return;
  {
    std::lock_guard<std::mutex> lock(ckpt_mu_);
    if (ckpt_busy_) return;  // the previous checkpoint is still syncing
  }
  (void)RotateForCheckpoint();
  last_checkpoint_ = now;
}

Status LmdbStorage::RotateForCheckpoint() {
  std::vector<std::string> retired;
  COMMERCE_RETURN_IF_ERROR(wal_->Rotate(next_lsn_, &retired));
  std::lock_guard<std::mutex> lock(ckpt_mu_);
  ckpt_pending_.insert(ckpt_pending_.end(), retired.begin(), retired.end());
  ckpt_busy_ = true;
  ckpt_cv_.notify_one();
  return Status::OK();
}

void LmdbStorage::CheckpointLoop() {
  std::unique_lock<std::mutex> lock(ckpt_mu_);
  for (;;) {
    ckpt_cv_.wait(lock, [this] { return ckpt_stop_ || !ckpt_pending_.empty(); });
    if (ckpt_pending_.empty() && ckpt_stop_) return;
    auto retired = std::move(ckpt_pending_);
    ckpt_pending_.clear();
    lock.unlock();
    (void)CompleteCheckpoint(std::move(retired));
    lock.lock();
    ckpt_busy_ = !ckpt_pending_.empty();
  }
}

Status LmdbStorage::CompleteCheckpoint(std::vector<std::string> retired) {
  std::lock_guard<std::mutex> lock(ckpt_run_mu_);
  CrashPoint("checkpoint-rotated");
  // Every record in the retired segments was committed to LMDB before the rotation, so once
  // this sync returns they are all in the LMDB file on disk.
  int rc = mdb_env_sync(env_, 1);
  if (rc != 0) return LmdbError(rc, "checkpoint sync");
  CrashPoint("checkpoint-synced");
  COMMERCE_RETURN_IF_ERROR(Wal::Remove(retired, wal_->dir()));
  checkpoints_.fetch_add(1);
  return Status::OK();
}

Status LmdbStorage::sync() {
  if (closed_.load()) return Closed();
  return writer_->run([this] {
    Status s = wal_->Sync();
    if (s.ok()) durable_syncs_.fetch_add(1, std::memory_order_relaxed);
    return s;
  });
}

Status LmdbStorage::checkpoint() {
  if (closed_.load()) return Closed();
  std::vector<std::string> retired;
  COMMERCE_RETURN_IF_ERROR(writer_->run([&] { return wal_->Rotate(next_lsn_, &retired); }));
  return CompleteCheckpoint(std::move(retired));
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
  st.checkpoints = checkpoints_.load();
  st.map_resizes = map_resizes_.load();
  return st;
}

Status LmdbStorage::close() {
  std::lock_guard<std::mutex> lock(close_mu_);
  if (closed_.exchange(true)) return Status::OK();
  Status result;
  if (writer_) writer_->stop();  // commits everything queued
  if (ckpt_thread_.joinable()) {
    {
      std::lock_guard<std::mutex> l(ckpt_mu_);
      ckpt_stop_ = true;
      ckpt_cv_.notify_one();
    }
    ckpt_thread_.join();
  }
  if (env_ && wal_) {
    // A clean close leaves LMDB synced and the log empty: the next open replays nothing.
    result = wal_->Sync();
    int rc = mdb_env_sync(env_, 1);
    if (rc != 0 && result.ok()) result = LmdbError(rc, "sync at close");
    if (result.ok()) result = wal_->Reset(next_lsn_);
  }
  wal_.reset();
  std::lock_guard<std::mutex> l(pool_mu_);
  if (live_readers_ == 0) FinalizeEnvClose();
  else env_close_pending_ = true;
  return result;
}

Result<std::unique_ptr<Storage>> OpenLmdbStorage(const StorageOptions& options) {
  auto s = std::make_unique<LmdbStorage>(options);
  Status st = s->Open();
  if (!st.ok()) return st;
  return std::unique_ptr<Storage>(std::move(s));
}

}  // namespace commerce
