// The storage seam: the one interface between commerce's engines and the engines of storage.
//
// A Storage is an ordered key-value store with named tables, read snapshots and batched,
// durable writes — the shape of LMDB and LevelDB, which SQLite (k BLOB PRIMARY KEY, v BLOB
// WITHOUT ROWID tables) and PostgreSQL (bytea tables) implement just as naturally. Keys and
// values are opaque byte strings to a driver; keys compare as unsigned bytes (memcmp, then
// length), and are 1..kMaxKeySize bytes (LMDB's limit, kept by every driver so that data
// moves between drivers). The engines encode keys with an order-preserving tuple encoding so that the same
// range scans work on every driver.
//
// Writes: write(mutation) hands a function over a write transaction to the driver's single
// writer. The writer gathers the mutations queued by concurrent callers into one group, runs
// each inside a nested transaction (LMDB) or savepoint (SQL) so that one that fails rolls back
// alone, and makes the whole group durable with one commit (one fsync). A caller is answered
// only after the group holding its mutation is durable (unless it asked for sync = false).
// apply(changes) writes a ChangeSet instead (see "Checked changes" below): the work that
// only reads is done on the caller's thread, and no caller code runs on the writer.
//
// Reads: read() returns a snapshot. It sees every write acknowledged before read() was
// called and none committed after; it never waits for the writer.
//
// Nothing in this interface assumes a memory map or a local file: a remote driver implements
// it too (a round trip per call, a retried transaction per group; read_many gathers many reads
// into one).
//
// Thread safety: a Storage is safe to use from any number of threads without external
// locking. A ReadTxn, a WriteTxn and their Cursors belong to the one thread that uses them
// (as LMDB says of mdb_txn_begin): do not share them, and do not keep them across calls.
// Mutations run on the writer thread.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "commerce/export.h"
#include "commerce/status.h"

namespace commerce {

// The longest key any driver accepts; an empty or longer key is InvalidArgument.
inline constexpr size_t kMaxKeySize = 480;

// A handle to a named table, from Storage::table(). Cheap to copy; valid for the life of
// the Storage that gave it.
struct Table {
  uint32_t id = 0;
  friend bool operator==(Table a, Table b) { return a.id == b.id; }
};

// A position in one table, LevelDB's iterator contract (in a WriteTxn, seek again after a
// put or del: a cursor's position is not defined across writes):
//   - after seek*/next the cursor is either valid() on an entry or past the end;
//   - key()/value() REQUIRE valid(); the views they return stay valid only until the
//     cursor moves or its transaction ends;
//   - an I/O or decoding error makes the cursor invalid and is reported by status():
//     check it after a loop ends.
// A forward cursor visits keys in ascending order, a reverse cursor in descending order.
class COMMERCE_EXPORT Cursor {
 public:
  virtual ~Cursor();
  virtual bool valid() const = 0;
  // Forward: the first key >= target. Reverse: the last key <= target.
  virtual void seek(std::string_view target) = 0;
  // Forward: the smallest key. Reverse: the largest key.
  virtual void seek_to_first() = 0;
  // REQUIRES: valid(). One step in the cursor's direction.
  virtual void next() = 0;
  virtual std::string_view key() const = 0;
  virtual std::string_view value() const = 0;
  virtual Status status() const = 0;
};

struct CursorOptions {
  bool reverse = false;
};

struct KeyValue {
  std::string key;
  std::string value;
};

// One point read of a batch (ReadView::read_many).
struct KeyRead {
  Table table;
  std::string_view key;  // 1..kMaxKeySize bytes
};

// One range read of a batch: the entries of `table` in [begin, end) in ascending order, at
// most `limit` of them (0: no limit). An empty `end` means "to the end of the table"; the
// bounds may be any length, as seek targets may. A prefix read is [prefix, PrefixEnd(prefix)).
struct RangeRead {
  Table table;
  std::string_view begin;
  std::string_view end;
  size_t limit = 0;
};

// What read_many found, in the order asked.
struct ReadResults {
  std::vector<std::optional<std::string>> values;  // one per KeyRead; nullopt: absent
  std::vector<std::vector<KeyValue>> ranges;       // one per RangeRead
};

// The most reads (keys and ranges together) one read_many takes.
inline constexpr size_t kMaxBatchReads = 4096;

// What both kinds of transaction can do: point reads and ordered scans.
class COMMERCE_EXPORT ReadView {
 public:
  virtual ~ReadView();

  // On success *value views the stored bytes; the view stays valid until the next call on
  // this transaction or its end, whichever is first. NotFound when the key is absent.
  virtual Status get(Table table, std::string_view key, std::string_view* value) = 0;

  // A new cursor over one table, not yet positioned (call seek or seek_to_first).
  virtual std::unique_ptr<Cursor> cursor(Table table, CursorOptions options = {}) = 0;

  // Convenience over get(): an owned copy of the value.
  Result<std::string> get(Table table, std::string_view key);

  // Convenience over a cursor: the entries in [begin, end) in ascending order, or, when
  // reverse, the entries in [begin, end) in descending order; at most `limit` of them
  // (0 means no limit). An empty `end` means "to the end of the table".
  Result<std::vector<KeyValue>> scan(Table table, std::string_view begin, std::string_view end,
                                     size_t limit, bool reverse = false);

  // Many reads at once, over any tables, all from this transaction's view: point reads
  // (`keys`) and ascending range reads (`ranges`). This is how one request reads the family
  // of records it needs: a remote driver sends them all in one round trip, where get() and a
  // cursor cost one each; a local driver reads them in this transaction (the default body,
  // over get() and cursors). The values are owned copies; the driver does not look inside
  // them, so the caller's decoder checks each record's checksum as after a get().
  // Errors (nothing is read): InvalidArgument for a key that is empty or longer than
  // kMaxKeySize, or more than kMaxBatchReads reads in all. Otherwise what get() or a cursor
  // would return (Unavailable, Corruption, FailedPrecondition once the transaction ended).
  virtual Result<ReadResults> read_many(const std::vector<KeyRead>& keys,
                                        const std::vector<RangeRead>& ranges = {});

  // Convenience over read_many: point reads only, one value (or nullopt) per key.
  Result<std::vector<std::optional<std::string>>> get_many(const std::vector<KeyRead>& keys);
};

// OK when read_many may take `keys` and `ranges`; the InvalidArgument it returns otherwise.
// For drivers that implement read_many themselves, so that all refuse the same batches.
COMMERCE_EXPORT Status CheckReadBatch(const std::vector<KeyRead>& keys,
                                      const std::vector<RangeRead>& ranges);

// A consistent snapshot. REQUIRES: used by one thread; destroyed before its Storage.
class COMMERCE_EXPORT ReadTxn : public ReadView {};

enum class PutMode {
  kOverwrite,    // insert or replace
  kNoOverwrite,  // insert only; AlreadyExists when the key is present (LMDB's MDB_NOOVERWRITE)
};

// The transaction a mutation runs in. Reads see the mutation's own writes and those of the
// mutations before it in its group.
class COMMERCE_EXPORT WriteTxn : public ReadView {
 public:
  virtual Status put(Table table, std::string_view key, std::string_view value,
                     PutMode mode = PutMode::kOverwrite) = 0;
  // Removes the key; OK whether or not it was present.
  virtual Status del(Table table, std::string_view key) = 0;

  // Appends `value` to a log table (keys are 8-byte big-endian sequence numbers, 1, 2, ...)
  // under the next sequence, and returns it. Gapless: a mutation that fails takes its entries
  // with it. The default finds the table's last key; a driver may keep the count instead.
  virtual Result<uint64_t> append(Table log, std::string_view value);
};

// A change to apply atomically. Return OK to commit it with its group; return any error to
// roll back everything it did (the rest of the group is unaffected) and hand that error to
// the caller of write().
//
// A mutation may run more than once (after the driver grows its map, or retries a
// serialization failure), so it must have no effect outside the transaction: compute
// results into variables the caller reads after write() returns.
using Mutation = std::function<Status(WriteTxn&)>;

struct WriteOptions {
  // true: write() returns once the change is durable (survives kill -9 of the process;
  // see docs/storage.md for power loss). false: it returns once the change is committed and
  // visible to readers, and becomes durable with a later synced write or sync() — like the
  // write(2) system call compared with fsync(2). Bulk imports use false and sync() once.
  bool sync = true;
};

// Capability bits, as SQLite's IOCAP flags: tests and engines ask before relying on one.
enum Capability : uint32_t {
  kNestedTxn = 1u << 0,    // failing mutations roll back alone inside a group
  kSnapshots = 1u << 1,    // read() is a snapshot that ignores later commits
  kRemote = 1u << 2,       // each call may cross a network
  kGroupCommit = 1u << 3,  // one durable commit serves many concurrent writes
  kWriteAheadLog = 1u << 4 // durability comes from the driver's own log (LMDB)
};

// Counters since open, for operators and benchmarks.
struct StorageStats {
  uint64_t groups = 0;            // durable or not
  uint64_t mutations = 0;         // run to completion, committed or rolled back
  uint64_t failed_mutations = 0;  // returned an error and were rolled back
  uint64_t max_group_size = 0;
  uint64_t durable_syncs = 0;     // fsync/fdatasync calls that made a group durable
  uint64_t log_bytes = 0;         // bytes appended to the driver's own log, if it has one
  uint64_t pages_written = 0;     // database pages written by commits, where the driver knows
  uint64_t checkpoints = 0;
  uint64_t map_resizes = 0;
  // Empty while the store accepts writes. After an I/O error stopped it (docs/storage.md,
  // "When the disk fails"): the error every write now gets, until the store is reopened.
  std::string write_error;
};

struct BackupOptions {
  // Called from the copying thread now and then with the bytes written to the copy and the
  // bytes expected (an estimate, 0 when unknown); must be quick.
  std::function<void(uint64_t done, uint64_t total)> progress;
};

// How a driver trades latency, memory and durability. EngineOptions::storage is one (the engine
// gives the directory and the driver itself); StorageOptions adds those two for OpenStorage.
struct StorageTuning {
  // Group commit. The writer takes everything queued when it becomes free, up to
  // max_group_size mutations. Larger groups share one fsync among more callers at the cost
  // of latency for the first of them.
  size_t max_group_size = 512;
  // When fewer than max_group_size are queued, wait at most this long for more before
  // committing. 0 (default) commits at once: under load, groups form by themselves while
  // the previous fsync runs. Raise it only for many slow writers on a fast disk.
  int max_group_wait_us = 0;

  // LMDB: starting map size; it doubles by itself when full, up to lmdb_max_map_size.
  size_t lmdb_map_size = size_t{1} << 30;
  size_t lmdb_max_map_size = size_t{1} << 40;
  // LMDB: checkpoint (sync the LMDB file, trim the log) when the log reaches this size or
  // this much time has passed since the last one. A larger log means fewer LMDB syncs —
  // pages updated many times are written once — and a longer replay after a crash.
  size_t lmdb_checkpoint_bytes = size_t{64} << 20;
  int lmdb_checkpoint_interval_ms = 30'000;
  // LMDB: make every group durable with LMDB's own synced commit instead of the driver's
  // log. About 4x slower for random keys (docs/storage.md), but an operating-system crash or
  // power loss between checkpoints cannot leave the LMDB file torn. Off by default: the log
  // is safe against the process being killed at any moment.
  bool lmdb_sync_each_commit = false;
  // LMDB: most concurrent read transactions (one slot each).
  unsigned lmdb_max_readers = 1024;

  // SQLite: PRAGMA synchronous for durable groups: "FULL" (default) or "NORMAL"
  // (in WAL mode NORMAL may lose the last commits on power loss, never on kill -9).
  std::string sqlite_synchronous = "FULL";
  // SQLite: page cache per connection, in KiB.
  int sqlite_cache_kib = 64 * 1024;

  // PostgreSQL: a libpq connection string, URL or key=value, e.g.
  // "postgresql://shop:secret@db1:5432,db2:5432/shop?target_session_attrs=read-write".
  // Empty: the COMMERCE_PG_URL environment variable. Several hosts give failover (libpq
  // tries them in order and, by default, only accepts the primary); TLS settings (sslmode,
  // sslrootcert, sslcert, sslkey) and libpq's PG* environment variables pass through. The
  // password never appears in a message or a log line.
  std::string postgres_url;
  // PostgreSQL: the schema holding this store's tables (1..63 of [a-z0-9_], not "pg_...");
  // several stores can share a database under different schemas.
  std::string postgres_schema = "commerce";
  // PostgreSQL: most read connections at once; each live ReadTxn holds one.
  size_t postgres_pool_size = 16;
  // PostgreSQL: seconds to wait for a server to accept a connection, when the URL does not
  // say (connect_timeout). Short, so that writes fail fast with Unavailable while a primary
  // is down instead of hanging.
  int postgres_connect_timeout_s = 2;
  // PostgreSQL: attempts of a group that meets serialization failures (SQLSTATE 40001,
  // 40P01) or a connection lost before COMMIT, before its callers get Unavailable.
  int postgres_max_attempts = 10;
  // PostgreSQL: how long a group whose COMMIT got no answer may stay unresolved (the
  // server unreachable) before its callers get Unavailable saying the outcome is unknown.
  // Until then the writer keeps looking the group up; it never runs it twice.
  int postgres_in_doubt_timeout_ms = 120'000;
  // PostgreSQL: groups made only of change sets (apply) run side by side, across processes:
  // each takes a lock per key its sets touch, in one sorted order, and the event sequence at
  // its end (docs/scaling.md, "The write model and why"). Groups holding a callback mutation
  // (write) still run alone. false: every group takes the store's exclusive write lock, one
  // group at a time -- portable SQL for PostgreSQL-wire engines without advisory locks (which
  // also fall back by themselves, probed on open).
  bool postgres_key_locks = true;
  // PostgreSQL: groups one process has in flight at once (1..64), each on a writer connection
  // of its own: a free writer takes the next group while the others' round trips and commits
  // run (docs/scaling.md, "More than one group in flight per process"). Only groups of change
  // sets run side by side (postgres_key_locks), so without them this is 1. Writers are used
  // lowest first, so at light load one takes every group. 1 (default): one group at a time per
  // process, as the local drivers always have; more measured no faster on a CPU-bound machine
  // (the docs' figures) and may pay where round trips, not CPU, are what a group waits for.
  size_t postgres_writers = 1;
};

// What OpenStorage needs: where the store is, which driver, and the tuning.
struct StorageOptions : StorageTuning {
  // "lmdb" (default, local), "sqlite" (local), "postgres" (remote: docs/scaling.md).
  std::string driver = "lmdb";
  // Directory holding the store; created if absent. With "postgres" the data lives in the
  // database and this directory is the process's own: its lock, the search index, and a
  // note of which database store it belongs to. Each engine process sharing one database
  // has a directory of its own.
  std::string path;
  // false: open only a store that exists (its directory holds one a driver made: the DRIVER
  // marker or the driver's files) and NotFound otherwise, creating nothing — what a program
  // that only reads wants, so that a mistyped path is an error rather than an empty store.
  // With "postgres" the directory must have been opened with the database before.
  bool create_if_missing = true;
};

// ---------------------------------------------------------------------------------------
// Checked changes: how the engines write (docs/storage.md, "Checked changes").
//
// An engine prepares a write on the caller's thread, against a snapshot: it reads, validates,
// prices, allocates and builds its records and events there. What it hands the writer is a
// ChangeSet, a small program of changes, each either plain (put, del) or checked against the
// value current when the writer applies it:
//   expect / expect_absent  the record read in the snapshot is still what it was (a price, a
//                           status, a cart); use only where a change must abort the write;
//   insert                  insert-if-absent (idempotency keys, new ids);
//   add                     a counters record changed by deltas, within bounds checked on the
//                           current value (stock: available >= q, then reserve) -- never on the
//                           value read, so a popular SKU does not turn into a storm of aborts;
//   append                  a log entry under the next sequence number, allocated by the
//                           writer as the group commits (the event log).
// The writer applies a change set all or nothing: if a check fails, nothing of it is written
// and the caller learns which check failed (ApplyResult), so that it can prepare again against
// a newer snapshot or answer with an error. No caller code runs on the writer, so a driver may
// apply a whole group of change sets as one batch (a remote driver: one round trip). A driver
// without a native path inherits Storage::apply, which runs the set as a mutation.
// ---------------------------------------------------------------------------------------

// A counters record: 1..kMaxCounters signed 64-bit integers that the driver itself reads and
// changes (ChangeSet::add). Every driver stores it as EncodeCounters writes it, so that
// engines read such a record with DecodeCounters.
inline constexpr size_t kMaxCounters = 4;

struct Counters {
  uint8_t size = 0;  // 1..kMaxCounters in a stored record
  std::array<int64_t, kMaxCounters> v{};
  friend bool operator==(const Counters&, const Counters&) = default;
};

// The stored form of a counters record: one byte kCountersMagic, the count, the counters as
// 8-byte big-endian two's complement, then a CRC-32 (zlib's) of what precedes it, little-endian.
inline constexpr uint8_t kCountersMagic = 0xC7;
COMMERCE_EXPORT std::string EncodeCounters(const Counters& c);
// Corruption when `bytes` is not a counters record or fails its checksum.
COMMERCE_EXPORT Result<Counters> DecodeCounters(std::string_view bytes);

// min <= v[a] - (minus >= 0 ? v[minus] : 0) <= max, on the counters after a change.
struct CounterBound {
  uint8_t a = 0;
  int8_t minus = -1;
  int64_t min = INT64_MIN;
  int64_t max = INT64_MAX;
};

// What ChangeSet::add does to one counters record. A missing record counts as `size` zeros.
// Counter i is increased by delta[i], or, when bit i of set_mask is set, set to delta[i] (a
// timestamp). Then every bound must hold (an overflow fails the check too).
struct CounterChange {
  uint8_t size = 0;
  std::array<int64_t, kMaxCounters> delta{};
  uint8_t set_mask = 0;
  uint8_t bound_count = 0;
  std::array<CounterBound, kMaxCounters> bounds{};
};

// Why a check failed.
enum class CheckFailure : uint8_t {
  kNone = 0,
  kChanged,  // expect: the key holds another value
  kAbsent,   // expect: the key is absent
  kPresent,  // insert or expect_absent: the key is present
  kBounds,   // add: a bound does not hold after the change
};

// Built by one thread, then moved into Storage::apply.
class COMMERCE_EXPORT ChangeSet {
 public:
  enum class OpKind : uint8_t { kExpect, kExpectAbsent, kPut, kInsert, kDel, kAdd, kAppend };
  struct Op {
    OpKind kind = OpKind::kPut;
    Table table;
    uint32_t key_at = 0, key_size = 0;      // into the set's bytes
    uint32_t value_at = 0, value_size = 0;  // into the set's bytes
    // kAppend: the index (among this set's add ops) whose counters after the change are
    // appended to the value, 8 bytes big-endian each; -1 for none.
    int32_t counters_of = -1;
    // A sequence slot (kPut, kDel): the sequence of this set's append number `seq_of` is
    // written as 8 bytes big-endian (bitwise inverted when seq_invert) at seq_offset of the key,
    // or of the value when seq_in_value. -1: no slot.
    int32_t seq_of = -1;
    uint32_t seq_offset = 0;
    bool seq_invert = false;
    bool seq_in_value = false;
    CounterChange change;  // kAdd
  };

  // Checks.
  ChangeSet& expect(Table table, std::string_view key, std::string_view value);
  ChangeSet& expect_absent(Table table, std::string_view key);
  // Changes.
  ChangeSet& put(Table table, std::string_view key, std::string_view value);
  ChangeSet& insert(Table table, std::string_view key, std::string_view value);  // checked
  ChangeSet& del(Table table, std::string_view key);
  ChangeSet& add(Table table, std::string_view key, const CounterChange& change);  // checked
  // `log` holds 8-byte big-endian sequence keys, as WriteTxn::append writes them.
  ChangeSet& append(Table log, std::string_view value, int32_t counters_of = -1);
  // Gives the last op (a put or a del) a sequence slot: see Op::seq_of.
  ChangeSet& with_seq(int32_t append_index, size_t offset, bool invert = false,
                      bool in_value = false);

  bool empty() const { return ops_.empty(); }
  size_t size() const { return ops_.size(); }
  size_t appends() const { return appends_; }
  size_t adds() const { return adds_; }
  // OK, or InvalidArgument describing the first malformed op (an empty or too long key, a
  // slot outside its key, a reference to an append or add that does not precede it...): such
  // a set is refused before it reaches the writer.
  const Status& status() const { return status_; }

  // For drivers.
  const std::vector<Op>& ops() const { return ops_; }
  std::string_view key(const Op& op) const { return {bytes_.data() + op.key_at, op.key_size}; }
  std::string_view value(const Op& op) const { return {bytes_.data() + op.value_at, op.value_size}; }

 private:
  Op& push(OpKind kind, Table table, std::string_view key, std::string_view value);
  void fail(std::string message);

  std::string bytes_;  // every key and value, back to back
  std::vector<Op> ops_;
  size_t appends_ = 0, adds_ = 0;
  Status status_;
};

// What applying a change set did.
struct ApplyResult {
  // OK when applied. Conflict when a check failed: nothing of the set was written, and
  // failed_op, failure and current say which check and why. Otherwise the error that stopped
  // the set or its whole group (InvalidArgument for a malformed set, Unavailable, Corruption
  // -- a damaged counters record --, ResourceExhausted, FailedPrecondition when the storage
  // is closed, ...).
  Status status;
  int32_t failed_op = -1;                      // index into ops()
  CheckFailure failure = CheckFailure::kNone;
  Counters current;                            // kBounds: the record's counters when checked
  // One per append, in order. PostgreSQL, a group of change sets whose COMMIT got no answer
  // and was found committed: 0 each (the sequences were allocated by the server).
  std::vector<uint64_t> seqs;
  std::vector<Counters> counters;              // one per add, after the change, in order

  bool check_failed() const { return failure != CheckFailure::kNone; }
};

class COMMERCE_EXPORT Storage {
 public:
  virtual ~Storage();

  // "lmdb", "sqlite", ...
  virtual std::string_view driver() const = 0;
  // A bitwise OR of Capability values.
  virtual uint32_t capabilities() const = 0;

  // The table called `name`, created if absent. Names are 1..64 of [a-z0-9_], and names
  // starting with "__" are the driver's own; a store holds at most 250 tables. A snapshot
  // that began before a table was created sees it empty. Safe from any thread, not from inside a
  // mutation.
  virtual Result<Table> table(std::string_view name) = 0;

  // A snapshot for reading.
  virtual Result<std::unique_ptr<ReadTxn>> read() = 0;

  // Runs `mutation` in the next group and returns its Status once the group has committed
  // (and, with options.sync, is durable). Must not be called from inside a mutation.
  virtual Status write(Mutation mutation, WriteOptions options = {}) = 0;

  // As write(), without blocking: `done` is called with the Status, on the writer thread,
  // once the group has committed (and, with options.sync, is durable). `done` must be quick
  // and must not call write().
  virtual void write_async(Mutation mutation, WriteOptions options,
                           std::function<void(Status)> done) = 0;

  // Makes every write committed so far durable.
  virtual Status sync() = 0;

  // Optional: bound recovery time now (LMDB: sync the database file and trim the log).
  virtual Status checkpoint() { return Status::NotSupported("checkpoint"); }

  // Optional: a consistent copy of the store, taken while writes go on, into the directory
  // `dir` (absent, or empty; its parent must exist; not inside the store). The copy holds
  // every write acknowledged before backup() was called and is a prefix of the store's
  // history (each group whole or absent); it needs no log, and opening it is the restore.
  // Nothing is left at `dir` on failure. Errors: AlreadyExists (dir is not empty),
  // InvalidArgument (dir is inside the store), Unavailable (cannot write there).
  // docs/storage.md, "Backup and restore".
  virtual Status backup(const std::string& dir, const BackupOptions& options = {}) {
    (void)dir;
    (void)options;
    return Status::NotSupported(std::string(driver()) + " driver: backup (use the database's own tools)");
  }

  virtual StorageStats stats() const = 0;

  // Finishes queued writes, makes them durable and releases the store. Later calls fail with
  // FailedPrecondition, except close() itself, which returns OK again. A ReadTxn still open
  // keeps reading its snapshot until it is destroyed; the store's files are released then.
  // Called by the destructor when not called before.
  virtual Status close() = 0;

  // Applies `changes` in the next group, all or nothing, and returns what it did once the
  // group has committed (and, with options.sync, is durable): see ApplyResult. A malformed
  // set (changes.status() not OK) is refused without reaching the writer. The default runs
  // the set as a mutation through write(); a driver may apply a group's sets natively (no
  // nested transactions; a remote driver: one round trip). Not from inside a mutation.
  virtual ApplyResult apply(ChangeSet changes, WriteOptions options = {});

  // As apply(), without blocking: `done` is called once, on the writer thread (or on this
  // thread for a malformed set), with the same result. `done` must be quick and must not
  // write.
  virtual void apply_async(ChangeSet changes, WriteOptions options,
                           std::function<void(ApplyResult)> done);
};

// Opens (creating if needed) the store described by `options`. Errors:
//   InvalidArgument  unknown driver, empty path, bad option values;
//   Unavailable      the directory is not writable or another process has the store open;
//   Corruption       the store or its log fails its checks (the message names the file).
COMMERCE_EXPORT Result<std::unique_ptr<Storage>> OpenStorage(const StorageOptions& options);

// Backs up the store described by `options` into `dir` (as Storage::backup) whether or not
// a process has it open: when none has, it is opened (recovering it) and closed again; when
// another process has it open (a running server), it is copied read-only beside that
// process, which goes on writing. Also NotFound when there is no store of that driver at
// options.path. The driver must be "lmdb" or "sqlite".
COMMERCE_EXPORT Status BackupStore(const StorageOptions& options, const std::string& dir,
                                   const BackupOptions& backup = {});

// True when `name` is an acceptable table name (see Storage::table).
COMMERCE_EXPORT bool IsValidTableName(std::string_view name, bool allow_internal = false);

}  // namespace commerce
