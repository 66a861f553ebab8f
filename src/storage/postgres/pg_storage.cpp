// The PostgreSQL driver: Storage on a schema of a PostgreSQL database.
//
// Parts: opening (options, the local directory and its binding to the store, the schema),
// the Storage calls (tables, reads, writes, sync, close), the group commit the shared
// GroupWriter drives on its thread, and the resolution of groups whose COMMIT went
// unanswered ("in doubt").
//
// Connections: a writer connection per lane of the group writer (postgres_writers, one when
// groups cannot run side by side), each used only on its lane's thread (lane 0's also by open,
// close and control tasks, which run while no group does), and a PgPool of connections for
// ReadTxns. Several lanes let one process have several groups of change sets in flight: each
// is a transaction of its own under its records' locks, so they overlap as the groups of
// different processes do, and the event log's counter row keeps their sequences in commit order
// (pg_apply.h). A group in doubt is parked in a list every lane resolves (in_doubt_mu_).
//
// Isolation: a group made only of change sets runs beside other such groups, of every process
// (postgres_key_locks, probed on open): one READ COMMITTED transaction sharing the store's
// write lock (ROW EXCLUSIVE mode) and locking each record it touches before reading it, its
// event sequences taken at its end from a counter row per log (pg_apply.h, RunFrame). Any
// other group runs alone: one SERIALIZABLE transaction whose first statement takes the store's
// write lock (LOCK TABLE __write_lock IN EXCLUSIVE MODE), which waits for the change-set
// groups running and holds off new ones. LOCK TABLE takes no snapshot, so the
// group's snapshot is taken after the lock is granted and sees every group committed before
// it, by any process: the groups of all processes run one after another. Without the lock
// they conflicted (every group appends to the one event log, reading its last key) and
// PostgreSQL aborted one of two with 40001, several percent of them past the retry budget
// with three writing processes; queued, they wait instead. SERIALIZABLE stays as the guard
// for writers that do not take the lock (a process of an older build during an upgrade):
// a conflict is still aborted and retried, at most postgres_max_attempts times. Reads are
// REPEATABLE READ, READ ONLY snapshots and never wait for the lock.
//
// The lock is held for the whole group, so a writer whose connection silently vanished
// (a partition, not a closed socket) would hold up every process's writes until its server
// noticed; the writer's session sets idle_in_transaction_session_timeout so that the server
// ends such a transaction after kWriterIdleTimeout.
//
// Wake-ups: every group's COMMIT is followed by a notification on the store's channel (in a
// transaction of its own, sent without waiting), so that engines in other processes listening
// there (ListenForCommits, pg_listener.h) look at the event log at once instead of at their
// next poll.
//
// Exactly once: every group inserts its random id into __groups in its own transaction. When
// the connection drops after COMMIT was sent, the writer reconnects and inserts the same id
// with ON CONFLICT DO NOTHING: a conflict means the group committed (its callers get their
// results); a successful insert means it did not, and the row now stops the lost transaction
// from ever committing (it would hit the unique key), so the group can run again. The
// insert waits while the lost transaction still holds the id's row lock, so the answer is
// never "not yet". While the server cannot be reached the group stays in doubt: its callers
// wait (up to postgres_in_doubt_timeout_ms), other groups fail fast with Unavailable.
#include "storage/postgres/pg_storage.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <deque>
#include <filesystem>
#include <fstream>
#include <random>
#include <span>
#include <sstream>
#include <string>
#include <thread>

#include "common/ids.h"
#include "storage/dir_lock.h"
#include "storage/file_io.h"
#include "storage/group_writer.h"
#include "storage/postgres/pg_apply.h"
#include "storage/postgres/pg_connection.h"
#include "storage/postgres/pg_listener.h"
#include "storage/postgres/pg_log_counters.h"
#include "storage/postgres/pg_schema.h"
#include "storage/postgres/pg_txn.h"

namespace commerce {
namespace postgres {
namespace {

constexpr char kBindingFile[] = "POSTGRES";
// How often an in-doubt group is looked up again while the server is unreachable.
constexpr auto kInDoubtRetry = std::chrono::milliseconds(200);
// Rows of __groups older than this are deleted: a group's outcome is in doubt for seconds,
// never for a day.
constexpr char kTrimGroupsSql[] = "DELETE FROM %s WHERE at < now() - interval '1 day'";
constexpr auto kTrimEvery = std::chrono::minutes(10);
// A group's transaction is idle only between its own round trips (milliseconds); one idle
// this long belongs to a writer that is gone, and holds the store's write lock.
constexpr char kWriterSessionSql[] = "SET idle_in_transaction_session_timeout = '15s'";

Status Closed() { return Status::FailedPrecondition("storage is closed: reopen it"); }

Status ValidateOptions(const StorageOptions& o) {
  if (o.path.empty())
    return Status::InvalidArgument("storage path is empty: give the directory to keep the store in");
  if (!IsValidSchemaName(o.postgres_schema))
    return Status::InvalidArgument("postgres_schema '" + o.postgres_schema +
                                   "' must be 1..63 of [a-z0-9_] and not start with \"pg_\"");
  if (o.postgres_pool_size < 1 || o.postgres_pool_size > 1000)
    return Status::InvalidArgument("postgres_pool_size must be 1..1000");
  if (o.postgres_connect_timeout_s < 1 || o.postgres_connect_timeout_s > 600)
    return Status::InvalidArgument("postgres_connect_timeout_s must be 1..600");
  if (o.postgres_max_attempts < 1 || o.postgres_max_attempts > 1000)
    return Status::InvalidArgument("postgres_max_attempts must be 1..1000");
  if (o.postgres_in_doubt_timeout_ms < 0)
    return Status::InvalidArgument("postgres_in_doubt_timeout_ms must not be negative");
  if (o.postgres_writers < 1 || o.postgres_writers > 64)
    return Status::InvalidArgument("postgres_writers must be 1..64");
  return Status::OK();
}

std::string ConnInfoText(const StorageOptions& o) {
  if (!o.postgres_url.empty()) return o.postgres_url;
  const char* env = std::getenv("COMMERCE_PG_URL");
  return env ? env : "";
}

Result<std::unique_ptr<PgConnection>> ConnectWriter(const ConnSettings& settings) {
  COMMERCE_ASSIGN_OR_RETURN(std::unique_ptr<PgConnection> conn, PgConnection::Connect(settings));
  // Refused (an engine without the setting): the writer goes on without it.
  Failure f = Failure::kNone;
  Status s = conn->exec(kWriterSessionSql, &f);
  if (!s.ok() && f != Failure::kStatement) return s;
  return conn;
}

// The local directory names the store it belongs to, so that a directory (with its search
// index) is never used with another database's store, whose event log it does not match.
Status CheckBinding(const std::string& dir, const std::string& schema, const std::string& store_id) {
  std::string path = dir + "/" + kBindingFile;
  std::ifstream in(path);
  if (!in) {
    std::string tmp = path + ".tmp";
    {
      std::ofstream out(tmp, std::ios::trunc);
      out << "store_id " << store_id << "\nschema " << schema << "\n";
      out.close();
      if (!out) return Status::Unavailable("cannot write " + tmp);
    }
    std::error_code ec;
    std::filesystem::rename(tmp, path, ec);
    if (ec) return Status::Unavailable("cannot rename " + tmp + ": " + ec.message());
    return file_io::SyncDirectory(dir);
  }
  std::string line1, line2;
  std::getline(in, line1);
  std::getline(in, line2);
  auto value = [](const std::string& line, std::string_view key) -> std::optional<std::string> {
    if (!line.starts_with(std::string(key) + " ")) return std::nullopt;
    std::string v = line.substr(key.size() + 1);
    if (v.empty() || v.size() > 100) return std::nullopt;
    for (char c : v)
      if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-'))
        return std::nullopt;
    return v;
  };
  auto id = value(line1, "store_id");
  auto sch = value(line2, "schema");
  if (!id || !sch)
    return Status::Corruption(path + " is damaged: it should name the PostgreSQL store this "
                              "directory belongs to; remove the directory to start it afresh");
  if (*id != store_id || *sch != schema)
    return Status::FailedPrecondition(
        "directory " + dir + " belongs to PostgreSQL store " + *id + " (schema " + *sch +
        "), but the database holds store " + store_id + " (schema " + schema +
        "): its search index would not match; give this process a directory of its own");
  return Status::OK();
}

// A group's mutations while its outcome is unknown: their callers are answered once it is
// looked up.
struct InDoubtGroup {
  std::string id;
  std::chrono::steady_clock::time_point since;
  struct Write {
    Mutation mutation;
    bool sync = true;
    std::function<void(Status)> done;
    Status result;
  };
  std::vector<Write> writes;
};

class PgStorage final : public Storage, private GroupBackend {
 public:
  static Result<std::unique_ptr<Storage>> Open(const StorageOptions& options);
  ~PgStorage() override { (void)close(); }

  std::string_view driver() const override { return "postgres"; }
  uint32_t capabilities() const override { return kNestedTxn | kSnapshots | kRemote | kGroupCommit; }
  Result<Table> table(std::string_view name) override;
  Result<std::unique_ptr<ReadTxn>> read() override;
  Status write(Mutation mutation, WriteOptions options) override {
    return writer_->write(std::move(mutation), options);
  }
  void write_async(Mutation mutation, WriteOptions options,
                   std::function<void(Status)> done) override {
    writer_->write_async(std::move(mutation), options, std::move(done));
  }
  // Checked changes travel through the group writer as ChangeSetMutations, which the group
  // commit applies natively (pg_apply.h); the results are the default path's.
  ApplyResult apply(ChangeSet changes, WriteOptions options) override {
    ApplyResult out;
    if (!changes.status().ok()) {
      out.status = changes.status();
      return out;
    }
    auto state = std::make_shared<ChangeSetState>(ChangeSetState{std::move(changes), {}});
    Status s = writer_->write(ChangeSetMutation{state}, options);
    out = std::move(state->result);
    if (s.ok()) out.status = Status::OK();
    else if (out.status.ok()) out.status = s;  // the group failed (or the store is closed)
    return out;
  }
  void apply_async(ChangeSet changes, WriteOptions options, std::function<void(ApplyResult)> done) override {
    if (!changes.status().ok()) {
      ApplyResult out;
      out.status = changes.status();
      if (done) done(std::move(out));
      return;
    }
    auto state = std::make_shared<ChangeSetState>(ChangeSetState{std::move(changes), {}});
    writer_->write_async(ChangeSetMutation{state}, options, [state, done = std::move(done)](Status s) {
      ApplyResult out = std::move(state->result);
      if (s.ok()) out.status = Status::OK();
      else if (out.status.ok()) out.status = s;
      if (done) done(std::move(out));
    });
  }
  Status sync() override {
    if (closed_) return Closed();
    return writer_->run([this] { return make_durable(); });
  }
  StorageStats stats() const override;
  Status close() override;
  Status listen_for_commits(std::function<void()> on_commit);
  Result<std::vector<LogCounterProblem>> check_log_counters();

 private:
  PgStorage(const StorageOptions& options, std::unique_ptr<DirLock> lock, ConnSettings settings,
            std::shared_ptr<SchemaNames> names, std::unique_ptr<PgConnection> writer_conn,
            std::shared_ptr<PgPool> pool);

  // A writer connection and what goes with it. Lane i's belongs to the group writer's thread i
  // (commit_group(i, ...)); lane 0's also to control tasks and on_idle (which run on a writer
  // thread, tasks while no group runs) and to open/close while no writer thread runs.
  struct Lane {
    std::unique_ptr<PgConnection> conn;  // null after a loss, until reconnected
    std::mt19937_64 rng{std::random_device{}()};
  };

  // Writer threads (or close(), once they have ended), each on its own lane.
  Status commit_group(size_t lane, std::span<PendingWrite* const> group, bool durable) override;
  void on_idle() override;
  // Groups of change sets run beside other lanes' (under their records' locks); one holding a
  // callback mutation runs alone, in its place in the queue's order, as with one writer (a
  // catalog import's writes of one product, in file order, keep it).
  bool may_run_beside_others(std::span<PendingWrite* const> group) const override {
    return std::all_of(group.begin(), group.end(), [](PendingWrite* w) {
      return w->mutation.target<ChangeSetMutation>() != nullptr;
    });
  }
  enum class Outcome { kCommitted, kRolledBack, kRetry, kLost, kUnknown };
  Outcome attempt_group(Lane& lane, std::span<PendingWrite* const> group, bool durable,
                        const std::string& group_id, Status* error);
  Failure run_mutation(Lane& lane, PendingWrite& write);
  Status ensure_connection(Lane& lane);
  // Looks the group up once: committed (true), not committed (false), or unreachable.
  Result<bool> look_up(Lane& lane, const std::string& group_id);
  // Answers the groups in doubt whose outcome can be looked up now. Without wait_for_server it
  // gives up at once when another lane is resolving them or the server cannot be reached.
  void resolve_in_doubt(Lane& lane, bool wait_for_server);
  void park(std::span<PendingWrite* const> group, const std::string& group_id);
  Status make_durable();
  Status create_table(std::string_view name);
  std::string new_group_id();

  const StorageOptions options_;
  std::unique_ptr<DirLock> lock_;
  const ConnSettings settings_;
  const std::shared_ptr<SchemaNames> names_;
  // A group's first statements, sent in its first round trip (ahead of a run's reads when
  // change sets open the group): BEGIN, SET LOCAL synchronous_commit = off for a group nobody
  // waits to be durable, the store's write lock, the group's id ($1), SAVEPOINT m.
  std::vector<PgConnection::Piped> begin_durable_, begin_lazy_;
  // The same for a group made only of change sets when such groups run beside one another
  // (beside_): READ COMMITTED, and the store's write lock in ROW EXCLUSIVE mode, which such
  // groups share and a callback group's EXCLUSIVE mode excludes.
  std::vector<PgConnection::Piped> begin_beside_durable_, begin_beside_lazy_;
  bool beside_ = false;
  // A group's last statements: RELEASE SAVEPOINT m, COMMIT -- as one simple query after a mutation (commit_sql_), or behind
  // the writes of a run of change sets that ends the group (commit_). next_ keeps the group
  // open after a run (RELEASE SAVEPOINT m; SAVEPOINT m).
  std::string commit_sql_;
  std::vector<PgConnection::Piped> commit_, next_;
  std::string notify_sql_;  // sent after each commit; empty when the server has no NOTIFY
  void notify_commit(Lane& lane) {
    if (!notify_sql_.empty()) lane.conn->send_and_forget(notify_sql_);
  }
  struct Sql {
    std::string name, sql;
  };
  std::deque<Sql> statements_;  // what the Piped above point into
  const Sql& statement(std::string name, std::string sql) {
    return statements_.emplace_back(Sql{std::move(name), std::move(sql)});
  }
  std::unique_ptr<PgListener> listener_;  // when the engine listens for other commits
  // postgres_writers lanes (1 when groups cannot run side by side: !beside_), connected on
  // open; a lane that lost its connection reconnects at its next group.
  std::vector<Lane> lanes_;
  const std::shared_ptr<PgPool> pool_;

  // Writer-thread state.
  std::mutex in_doubt_mu_;
  std::vector<InDoubtGroup> in_doubt_;  // GUARDED_BY(in_doubt_mu_)
  // A group committed with synchronous_commit = off since the last sync.
  std::atomic<bool> unsynced_{false};
  std::chrono::steady_clock::time_point last_trim_{};  // lane 0's (on_idle)

  std::atomic<uint64_t> durable_syncs_{0};
  std::atomic<bool> closed_{false};
  // Last: its thread calls back into this object, so it must stop before the rest goes.
  std::unique_ptr<GroupWriter> writer_;
};

Result<std::unique_ptr<Storage>> PgStorage::Open(const StorageOptions& options) {
  COMMERCE_RETURN_IF_ERROR(ValidateOptions(options));
  std::string conninfo = ConnInfoText(options);
  if (conninfo.empty())
    return Status::InvalidArgument(
        "the postgres driver needs a connection string: set postgres_url (--pg-url) or the "
        "COMMERCE_PG_URL environment variable, e.g. postgresql://user:password@host:5432/db");
  COMMERCE_ASSIGN_OR_RETURN(ConnSettings settings,
                            ConnSettings::Parse(conninfo, options.postgres_connect_timeout_s));
  COMMERCE_ASSIGN_OR_RETURN(std::unique_ptr<DirLock> lock, DirLock::Acquire(options.path));
  COMMERCE_ASSIGN_OR_RETURN(std::unique_ptr<PgConnection> conn, ConnectWriter(settings));
  std::string store_id;
  COMMERCE_RETURN_IF_ERROR(ApplySchema(*conn, options.postgres_schema, &store_id));
  COMMERCE_RETURN_IF_ERROR(CheckBinding(options.path, options.postgres_schema, store_id));
  auto names = std::make_shared<SchemaNames>(options.postgres_schema);
  // Reads may go to any host that accepts them only when the caller asked for replica reads;
  // by default they go where writes go, so a read sees every acknowledged write.
  auto pool = std::make_shared<PgPool>(settings, options.postgres_pool_size, std::chrono::seconds(10));
  return std::unique_ptr<Storage>(new PgStorage(options, std::move(lock), std::move(settings),
                                                std::move(names), std::move(conn), std::move(pool)));
}

PgStorage::PgStorage(const StorageOptions& options, std::unique_ptr<DirLock> lock,
                     ConnSettings settings, std::shared_ptr<SchemaNames> names,
                     std::unique_ptr<PgConnection> writer_conn, std::shared_ptr<PgPool> pool)
    : options_(options),
      lock_(std::move(lock)),
      settings_(std::move(settings)),
      names_(std::move(names)),
      lanes_(1),
      pool_(std::move(pool)) {
  Lane& lane = lanes_[0];
  lane.conn = std::move(writer_conn);
  // The store's write lock. A PostgreSQL-wire engine without LOCK TABLE (CockroachDB) refuses
  // it; its groups then run without it, kept apart by SERIALIZABLE and retried on conflict.
  // The probe takes the shared mode: the exclusive one would wait for every group of change
  // sets running in other processes (one held up by another's record lock included).
  const std::string write_lock = "LOCK TABLE " + Quoted(options.postgres_schema, "__write_lock") + " IN EXCLUSIVE MODE";
  const std::string shared_lock = "LOCK TABLE " + Quoted(options.postgres_schema, "__write_lock") + " IN ROW EXCLUSIVE MODE";
  Failure f = Failure::kNone;
  bool has_lock = lane.conn->exec("BEGIN; " + shared_lock + "; ROLLBACK", &f).ok() || f != Failure::kStatement;
  if (!has_lock) (void)lane.conn->exec("ROLLBACK");
  auto piped = [](const Sql& st) { return PgConnection::Piped{&st.name, &st.sql, {}}; };
  // Groups of change sets beside one another need the exclusive lock to exclude them (so
  // that callback groups still run alone), advisory locks and the SQL that fills in their
  // sequences (pg_schema.h, kSeqTake): without any of them, every group takes the exclusive lock.
  beside_ = options.postgres_key_locks && has_lock &&
            (lane.conn->exec("BEGIN; " + shared_lock + "; SELECT pg_advisory_xact_lock(0), "
                                "int8send(~1::int8), overlay('\\x00'::bytea placing '\\x01' from 1 for 1); ROLLBACK", &f).ok() ||
             f != Failure::kStatement);
  if (!beside_) (void)lane.conn->exec("ROLLBACK");
  const Sql& begin = statement("__begin", "BEGIN ISOLATION LEVEL SERIALIZABLE");
  const Sql& begin_beside = statement("__begin_rc", "BEGIN ISOLATION LEVEL READ COMMITTED");
  const Sql& lazy = statement("__lazy", "SET LOCAL synchronous_commit = off");
  const Sql& write_lock_stmt = statement("__lock", write_lock);
  const Sql& shared_lock_stmt = statement("__lock_shared", shared_lock);
  // The group's id goes in after the lock, so its snapshot is taken then.
  const Sql& id = statement("__group_id", "INSERT INTO " + Quoted(options.postgres_schema, "__groups") + " (id) VALUES ($1)");
  const Sql& savepoint = statement("__savepoint", "SAVEPOINT m");
  const Sql& release = statement("__release", "RELEASE SAVEPOINT m");
  for (bool beside : {false, true}) {
    for (bool durable : {true, false}) {
      auto& list = beside ? (durable ? begin_beside_durable_ : begin_beside_lazy_)
                          : (durable ? begin_durable_ : begin_lazy_);
      list.push_back(piped(beside ? begin_beside : begin));
      if (!durable) list.push_back(piped(lazy));
      if (has_lock) list.push_back(piped(beside ? shared_lock_stmt : write_lock_stmt));
      list.push_back(piped(id));  // its parameter is set per group (attempt_group)
      list.push_back(piped(savepoint));
    }
  }
  next_ = {piped(release), piped(savepoint)};
  // Once a group has committed, a notification on the store's channel wakes other processes'
  // listeners, which then look at the log at once instead of at their next poll. It is sent
  // without waiting for its answer (the next statement on the connection reads and drops it),
  // in a transaction of its own: a transaction that notifies holds a database-wide lock
  // through its commit -- PostgreSQL keeps the notification queue in commit order that way --
  // so a NOTIFY inside the group made the groups of all processes flush their commits one at
  // a time. Its own transaction commits without waiting for the WAL flush (it has nothing to
  // keep), so it holds that lock for no flush. A PostgreSQL-wire engine without NOTIFY
  // (CockroachDB) refuses the statement; its groups then commit without it.
  const std::string channel = NotifyChannel(options.postgres_schema);  // "name", [a-z0-9_]
  const std::string notify = "SELECT pg_notify('" + channel.substr(1, channel.size() - 2) +
                             "', ''), set_config('synchronous_commit', 'off', true)";
  if (lane.conn->exec(notify, &f).ok() || f != Failure::kStatement) notify_sql_ = notify;
  commit_sql_ = "RELEASE SAVEPOINT m; COMMIT";
  commit_ = {piped(release), piped(statement("__commit", "COMMIT"))};
  // More than one group in flight only where groups can run side by side: otherwise each
  // takes the store's exclusive lock, and a second lane would only wait for it.
  if (beside_) lanes_.resize(options.postgres_writers);
  // The other lanes connect now, so that their first groups do not pay for it (a lane that
  // cannot connect tries again at its first group).
  for (size_t i = 1; i < lanes_.size(); ++i) (void)ensure_connection(lanes_[i]);
  GroupBackend* backend = this;
  writer_ = std::make_unique<GroupWriter>(backend, options.max_group_size, options.max_group_wait_us,
                                          /*idle_tick_ms=*/250, lanes_.size());
}

Result<Table> PgStorage::table(std::string_view name) {
  if (!IsValidTableName(name))
    return Status::InvalidArgument("table name '" + std::string(name) +
                                   "' must be 1..64 of [a-z0-9_] and not start with \"__\"");
  if (closed_) return Closed();
  if (auto id = names_->find(name)) return Table{*id};
  COMMERCE_RETURN_IF_ERROR(writer_->run([this, name] { return create_table(name); }));
  return Table{names_->add(name)};
}

Status PgStorage::create_table(std::string_view name) {
  Lane& lane = lanes_[0];  // a control task: no group runs
  COMMERCE_RETURN_IF_ERROR(ensure_connection(lane));
  // Another process may create the same table at the same moment; PostgreSQL can then
  // report a unique violation in its catalog even with IF NOT EXISTS. The second try finds
  // the table.
  Status s;
  for (int attempt = 0; attempt < 3; ++attempt) {
    Failure f = Failure::kNone;
    s = lane.conn->exec(CreateTableSql(options_.postgres_schema, name), &f);
    if (s.ok()) return s;
    if (f == Failure::kConnection) lane.conn.reset();
    if (f == Failure::kConnection || !s.IsAlreadyExists()) break;
  }
  return s.WithContext("creating table " + std::string(name));
}

Result<std::unique_ptr<ReadTxn>> PgStorage::read() {
  if (closed_) return Closed();
  return BeginRead(pool_, names_);
}

StorageStats PgStorage::stats() const {
  GroupWriterStats g = writer_->stats();
  StorageStats s;
  s.groups = g.groups;
  s.mutations = g.mutations;
  s.failed_mutations = g.failed_mutations;
  s.max_group_size = g.max_group_size;
  s.durable_syncs = durable_syncs_.load();
  return s;
}

Status PgStorage::listen_for_commits(std::function<void()> on_commit) {
  if (closed_) return Closed();
  if (listener_) return Status::FailedPrecondition("already listening for commits");
  auto listener = std::make_unique<PgListener>(settings_, options_.postgres_schema, std::move(on_commit));
  COMMERCE_RETURN_IF_ERROR(listener->Start());
  listener_ = std::move(listener);
  return Status::OK();
}

Result<std::vector<LogCounterProblem>> PgStorage::check_log_counters() {
  if (closed_) return Closed();
  COMMERCE_ASSIGN_OR_RETURN(std::unique_ptr<PgConnection> conn, pool_->take());
  auto problems = CheckLogCounters(*conn, options_.postgres_schema);
  pool_->give_back(std::move(conn));
  return problems;
}

Status PgStorage::close() {
  if (closed_.exchange(true)) return Status::OK();
  if (listener_) listener_->Stop();  // no call to on_commit after close()
  writer_->stop();  // answers every queued write first
  // The writer threads have ended: their state is this thread's now.
  Status s = make_durable();
  resolve_in_doubt(lanes_[0], /*wait_for_server=*/true);
  pool_->close();
  for (Lane& lane : lanes_) lane.conn.reset();
  lock_.reset();
  return s;
}

// 32 hex digits.
std::string PgStorage::new_group_id() { return RandomId("") + RandomId(""); }

Status PgStorage::ensure_connection(Lane& lane) {
  if (lane.conn && lane.conn->ok()) return Status::OK();
  lane.conn.reset();
  COMMERCE_ASSIGN_OR_RETURN(lane.conn, ConnectWriter(settings_));
  return Status::OK();
}

Failure PgStorage::run_mutation(Lane& lane, PendingWrite& write) {
  Status result;
  Failure failure;
  {
    PgWriteTxn txn(lane.conn.get(), names_.get());
    try {
      result = write.mutation(txn);
    } catch (const std::exception& e) {
      result = Status::Internal(std::string("mutation threw: ") + e.what());
    } catch (...) {
      result = Status::Internal("mutation threw an exception that is not a std::exception");
    }
    failure = txn.failure();
  }
  write.result = result;
  if (failure != Failure::kNone) return failure;
  // One round trip ends this mutation and opens the next one's savepoint.
  Status s = lane.conn->exec(result.ok() ? "RELEASE SAVEPOINT m; SAVEPOINT m"
                                            : "ROLLBACK TO SAVEPOINT m; RELEASE SAVEPOINT m; SAVEPOINT m",
                                &failure);
  if (s.ok()) return Failure::kNone;
  if (failure != Failure::kStatement) {
    write.result = s;
    return failure;
  }
  // The mutation met a statement error it ignored (the savepoint's subtransaction is
  // aborted, so RELEASE failed): it fails alone, like one that returned the error.
  Status release_error = s;
  s = lane.conn->exec("ROLLBACK TO SAVEPOINT m; RELEASE SAVEPOINT m; SAVEPOINT m", &failure);
  write.result = result.ok() ? release_error.WithContext("a statement of this write failed") : result;
  if (!s.ok()) {
    write.result = s;
    return failure == Failure::kNone ? Failure::kStatement : failure;
  }
  return Failure::kNone;
}

PgStorage::Outcome PgStorage::attempt_group(Lane& lane, std::span<PendingWrite* const> group, bool durable,
                                            const std::string& group_id, Status* error) {
  Failure f = Failure::kNone;
  // Groups nobody waits to be durable for commit without waiting for the WAL flush (nor for
  // synchronous replicas); sync() makes them durable later.
  // The first round trip: the transaction, its durability, the store's write lock (taken
  // before any statement that takes the snapshot) and the group's id (as bytea its bytes are
  // the id's, as look_up sends them) -- with the reads of a run of change sets that opens
  // the group behind them.
  // A group made only of change sets runs beside other such groups (pg_apply.h, RunFrame).
  const bool beside = beside_ && may_run_beside_others(group);
  std::vector<PgConnection::Piped> begin = beside ? (durable ? begin_beside_durable_ : begin_beside_lazy_)
                                                  : (durable ? begin_durable_ : begin_lazy_);
  for (PgConnection::Piped& p : begin)
    if (*p.name == "__group_id") p.params = {Param{group_id}};
  auto failed = [&](Failure failure) {
    if (failure == Failure::kConnection) return Outcome::kLost;
    (void)lane.conn->exec("ROLLBACK");
    return failure == Failure::kRetry ? Outcome::kRetry : Outcome::kRolledBack;
  };
  bool begun = false;
  std::vector<PgResult> ignored;
  std::vector<ChangeSetState*> run;
  for (size_t i = 0; i < group.size();) {
    // A run of consecutive change sets: applied natively, two round trips (pg_apply.h).
    run.clear();
    size_t end = i;
    for (; end < group.size(); ++end) {
      const auto* set = group[end]->mutation.target<ChangeSetMutation>();
      if (set == nullptr) break;
      run.push_back(set->state.get());
    }
    if (!run.empty()) {
      // A run that ends the group carries its COMMIT in its second round trip.
      const bool last = end == group.size();
      RunFrame frame;
      frame.beside_others = beside;
      if (!begun) frame.before = begin;
      frame.after = last ? commit_ : next_;
      begun = true;
      int round_trip = 0;
      *error = ApplyRun(*lane.conn, *names_, run, frame, &f, &round_trip);
      // Each set's outcome as planned (a failed check included), before the answer to the
      // writes is known: a group in doubt that turns out committed answers with these.
      if (round_trip != 1)
        for (size_t k = i; k < end; ++k) group[k]->result = run[k - i]->result.status;
      if (!error->ok()) {
        // The connection went while COMMIT may have been sent: the outcome is unknown.
        if (last && round_trip == 2 && f == Failure::kConnection) return Outcome::kUnknown;
        return failed(f == Failure::kNone ? Failure::kStatement : f);
      }
      if (last) {
        notify_commit(lane);
        return Outcome::kCommitted;
      }
      i = end;
      continue;
    }
    if (!begun) {
      begun = true;
      *error = lane.conn->pipeline(begin, &ignored, &f);
      if (!error->ok()) return failed(f);
    }
    PendingWrite* w = group[i++];
    f = run_mutation(lane, *w);
    if (f == Failure::kNone) continue;
    *error = w->result;
    // A statement error that broke the savepoint protocol leaves the transaction unusable:
    // the group as a whole fails.
    return failed(f);
  }
  if (!begun) {  // an empty group (never queued by GroupWriter): commits its id alone
    *error = lane.conn->pipeline(begin, &ignored, &f);
    if (!error->ok()) return failed(f);
  }
  *error = lane.conn->exec(commit_sql_, &f);
  if (error->ok()) {
    notify_commit(lane);
    return Outcome::kCommitted;
  }
  if (f == Failure::kConnection) return Outcome::kUnknown;
  // COMMIT itself failed (a serialization failure found at commit): rolled back.
  (void)lane.conn->exec("ROLLBACK");
  return f == Failure::kRetry ? Outcome::kRetry : Outcome::kRolledBack;
}

Status PgStorage::commit_group(size_t lane_index, std::span<PendingWrite* const> group, bool durable) {
  Lane& lane = lanes_[lane_index];
  resolve_in_doubt(lane, /*wait_for_server=*/false);
  Status error;
  for (int attempt = 1; attempt <= options_.postgres_max_attempts; ++attempt) {
    Status connected = ensure_connection(lane);
    if (!connected.ok()) return connected.WithContext("group of " + std::to_string(group.size()) + " writes");
    std::string group_id = new_group_id();
    Outcome outcome = attempt_group(lane, group, durable, group_id, &error);
    switch (outcome) {
      case Outcome::kCommitted:
        if (!durable) unsynced_ = true;
        return Status::OK();
      case Outcome::kRolledBack:
        return error.WithContext("group of " + std::to_string(group.size()) + " writes rolled back");
      case Outcome::kRetry: {
        // Back off a little, more each time, with jitter: the conflicting group (another
        // process's) needs a moment to commit.
        int ceiling_ms = std::min(50, 1 << std::min(attempt, 6));
        std::this_thread::sleep_for(std::chrono::microseconds(lane.rng() % (ceiling_ms * 1000 + 1)));
        continue;
      }
      case Outcome::kLost:
        // COMMIT was never sent: the transaction cannot have committed. Run it again on a
        // new connection (which may be a promoted replica).
        lane.conn.reset();
        continue;
      case Outcome::kUnknown: {
        lane.conn.reset();
        auto committed = look_up(lane, group_id);
        if (!committed.ok()) {
          // The server is unreachable: the group waits in doubt, its callers with it.
          park(group, group_id);
          return Status::OK();
        }
        if (*committed) {
          if (!durable) unsynced_ = true;
          return Status::OK();
        }
        continue;  // tombstoned: it can never commit now, so it may run again
      }
    }
  }
  return Status::Unavailable("PostgreSQL: group of " + std::to_string(group.size()) +
                             " writes failed " + std::to_string(options_.postgres_max_attempts) +
                             " attempts (serialization failures or lost connections); last: " +
                             error.ToString());
}

Result<bool> PgStorage::look_up(Lane& lane, const std::string& group_id) {
  Status connected = ensure_connection(lane);
  if (!connected.ok()) return connected;
  Status s;
  Failure f = Failure::kNone;
  PgResult r = lane.conn->run(
      "__group_resolve",
      "INSERT INTO " + Quoted(options_.postgres_schema, "__groups") +
          " (id) VALUES ($1) ON CONFLICT (id) DO NOTHING",
      {Param{group_id}}, &s, &f);
  if (!s.ok()) {
    if (f == Failure::kConnection) lane.conn.reset();
    return s;
  }
  return std::string_view(PQcmdTuples(r.get())) == "0";
}

void PgStorage::park(std::span<PendingWrite* const> group, const std::string& group_id) {
  InDoubtGroup g{group_id, std::chrono::steady_clock::now(), {}};
  for (PendingWrite* w : group) {
    g.writes.push_back({std::move(w->mutation), w->sync, std::move(w->done), std::move(w->result)});
    w->done = nullptr;  // answered later, by resolve_in_doubt
  }
  std::lock_guard<std::mutex> lock(in_doubt_mu_);
  in_doubt_.push_back(std::move(g));
}

void PgStorage::resolve_in_doubt(Lane& lane, bool wait_for_server) {
  std::unique_lock<std::mutex> lock(in_doubt_mu_, std::defer_lock);
  if (wait_for_server) lock.lock();
  else if (!lock.try_lock()) return;  // another lane is at it
  while (!in_doubt_.empty()) {
    InDoubtGroup& g = in_doubt_.front();
    auto committed = look_up(lane, g.id);
    if (!committed.ok()) {
      auto waited = std::chrono::steady_clock::now() - g.since;
      if (waited < std::chrono::milliseconds(options_.postgres_in_doubt_timeout_ms)) {
        if (!wait_for_server) return;
        std::this_thread::sleep_for(kInDoubtRetry);
        continue;
      }
      Status unknown = Status::Unavailable(
          "PostgreSQL: the outcome of this write is unknown: its COMMIT got no answer and the "
          "server stayed unreachable for " + std::to_string(options_.postgres_in_doubt_timeout_ms) +
          " ms (" + committed.status().message() + "); look the change up before repeating it");
      for (auto& w : g.writes)
        if (w.done) w.done(unknown);
    } else if (*committed) {
      for (auto& w : g.writes)
        if (w.done) w.done(std::move(w.result));
    } else {
      // Never committed, and now never will: queue its mutations again as new writes.
      for (auto& w : g.writes)
        writer_->write_async(std::move(w.mutation), WriteOptions{.sync = w.sync}, std::move(w.done));
    }
    in_doubt_.erase(in_doubt_.begin());
  }
}

void PgStorage::on_idle() {
  Lane& lane = lanes_[0];  // on lane 0's thread
  resolve_in_doubt(lane, /*wait_for_server=*/false);
  auto now = std::chrono::steady_clock::now();
  if (now - last_trim_ < kTrimEvery || !lane.conn || !lane.conn->ok()) return;
  last_trim_ = now;
  std::string sql = kTrimGroupsSql;
  sql.replace(sql.find("%s"), 2, Quoted(options_.postgres_schema, "__groups"));
  (void)lane.conn->exec(sql);
}

// Commits with synchronous_commit = off are made durable by any later synchronous commit
// that writes WAL: PostgreSQL flushes its WAL in order, up to that commit's record.
Status PgStorage::make_durable() {
  if (!unsynced_) return Status::OK();
  Lane& lane = lanes_[0];  // a control task, or close(): no group runs
  COMMERCE_RETURN_IF_ERROR(ensure_connection(lane));
  Status s;
  Failure f = Failure::kNone;
  (void)lane.conn->run("__sync",
                          "INSERT INTO " + Quoted(options_.postgres_schema, "__groups") + " (id) VALUES ($1)",
                          {Param{new_group_id()}}, &s, &f);
  if (!s.ok()) {
    if (f == Failure::kConnection) lane.conn.reset();
    return s.WithContext("sync");
  }
  durable_syncs_++;
  unsynced_ = false;
  return Status::OK();
}

}  // namespace
}  // namespace postgres

Result<std::unique_ptr<Storage>> OpenPostgresStorage(const StorageOptions& options) {
  return postgres::PgStorage::Open(options);
}

Status ListenForCommits(Storage& storage, std::function<void()> on_commit) {
  auto* pg = dynamic_cast<postgres::PgStorage*>(&storage);
  if (pg == nullptr)
    return Status::NotSupported("commit wake-ups need the postgres driver, not " +
                                std::string(storage.driver()));
  return pg->listen_for_commits(std::move(on_commit));
}

Status CheckLogCounters(Storage& storage, const std::function<void(std::string where, std::string what)>& problem) {
  auto* pg = dynamic_cast<postgres::PgStorage*>(&storage);
  if (pg == nullptr)
    return Status::NotSupported("log counters are the postgres driver's, not " + std::string(storage.driver()) + "'s");
  COMMERCE_ASSIGN_OR_RETURN(auto problems, pg->check_log_counters());
  for (auto& p : problems) problem(std::move(p.where), std::move(p.what));
  return Status::OK();
}

}  // namespace commerce
