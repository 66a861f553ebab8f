#include "storage/postgres/pg_apply.h"

#include <cstring>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "storage/change_apply.h"
#include "storage/error_cursor.h"
#include "storage/log_sequences.h"

namespace commerce::postgres {

namespace {

using OpKind = ChangeSet::OpKind;
using RecordKey = std::pair<uint32_t, std::string>;  // (table id, key)

// One write the run sends in its second round trip.
struct PlannedWrite {
  TableStmt stmt;  // kPut, kInsert or kDel
  Table table;
  std::string key, value;
};

// The records of a run as ApplyChangeSet sees them: what step 1 read, overlaid with the run's
// writes so far. Reads of a record step 1 did not fetch (none, with the ops ApplyChangeSet
// reads) go to the server, a round trip each.
class PlannedTxn final : public WriteTxn {
 public:
  PlannedTxn(PgConnection& conn, const SchemaNames& names) : conn_(conn), names_(names) {}

  using ReadView::get;
  Status get(Table table, std::string_view key, std::string_view* value) override {
    auto it = known_.find(RecordKey(table.id, std::string(key)));
    if (it == known_.end()) {
      std::optional<std::string> read;
      COMMERCE_RETURN_IF_ERROR(Fetch(table, key, &read));
      it = known_.emplace(RecordKey(table.id, std::string(key)), std::move(read)).first;
    }
    if (!it->second) return Status::NotFound("key not found");
    *value = *it->second;
    return Status::OK();
  }
  // A PlannedTxn gives no cursor: ApplyChangeSet needs none (appends are counted).
  std::unique_ptr<Cursor> cursor(Table, CursorOptions) override {
    return std::make_unique<ErrorCursor>(
        Status::Internal("the postgres driver's native apply reads records by key only"));
  }
  Status put(Table table, std::string_view key, std::string_view value, PutMode mode) override {
    Remember(table, key, std::string(value));
    writes_.push_back({mode == PutMode::kNoOverwrite ? TableStmt::kInsert : TableStmt::kPut, table,
                       std::string(key), std::string(value)});
    return Status::OK();
  }
  Status del(Table table, std::string_view key) override {
    Remember(table, key, std::nullopt);
    writes_.push_back({TableStmt::kDel, table, std::string(key), {}});
    return Status::OK();
  }
  Result<uint64_t> append(Table log, std::string_view value) override {
    auto it = last_seq_.find(log.id);
    if (it == last_seq_.end()) {
      uint64_t last = 0;
      COMMERCE_RETURN_IF_ERROR(FetchLast(log, &last));
      it = last_seq_.emplace(log.id, last).first;
    }
    const uint64_t seq = ++it->second;
    COMMERCE_RETURN_IF_ERROR(put(log, LogKey(seq), value, PutMode::kNoOverwrite));
    return seq;
  }

  // Step 1's answers.
  void Known(Table table, std::string key, std::optional<std::string> value) {
    known_.emplace(RecordKey(table.id, std::move(key)), std::move(value));
  }
  void KnownLast(Table log, uint64_t last) { last_seq_.emplace(log.id, last); }

  // What a set that failed must take back: its writes and log sequences (ApplyChangeSet
  // writes nothing before its checks pass, but a phase-2 error may leave part of a set).
  struct Mark {
    size_t writes, undo;
    std::map<uint32_t, uint64_t> last_seq;
  };
  Mark mark() const { return {writes_.size(), undo_.size(), last_seq_}; }
  void rollback(const Mark& m) {
    while (undo_.size() > m.undo) {
      Undo& u = undo_.back();
      if (u.was_known) known_[u.key] = std::move(u.value);
      else known_.erase(u.key);
      undo_.pop_back();
    }
    writes_.resize(m.writes);
    last_seq_ = m.last_seq;
  }

  const std::vector<PlannedWrite>& writes() const { return writes_; }
  Failure failure() const { return failure_; }

 private:
  // A record's new value, and how to take it back.
  void Remember(Table table, std::string_view key, std::optional<std::string> value) {
    RecordKey k(table.id, std::string(key));
    auto it = known_.find(k);
    undo_.push_back({k, it != known_.end(), it != known_.end() ? it->second : std::nullopt});
    known_[std::move(k)] = std::move(value);
  }

  Status Run(Table table, TableStmt which, const std::vector<Param>& params, PgResult* out) {
    const std::string *name = nullptr, *sql = nullptr;
    COMMERCE_RETURN_IF_ERROR(names_.statement(table, which, &name, &sql));
    Status s;
    Failure f = Failure::kNone;
    *out = conn_.run(*name, *sql, params, &s, &f);
    if (f != Failure::kNone && f != Failure::kStatement) failure_ = f;
    return s;
  }
  Status Fetch(Table table, std::string_view key, std::optional<std::string>* value) {
    PgResult r;
    COMMERCE_RETURN_IF_ERROR(Run(table, TableStmt::kGet, {Param{key}}, &r));
    if (PQntuples(r.get()) > 0)
      *value = std::string(PQgetvalue(r.get(), 0, 0), static_cast<size_t>(PQgetlength(r.get(), 0, 0)));
    return Status::OK();
  }
  Status FetchLast(Table log, uint64_t* last) {
    const std::string one = Int8Bytes(1);
    PgResult r;
    COMMERCE_RETURN_IF_ERROR(Run(log, TableStmt::kLast, {Param{one, 20}}, &r));
    return LastFromResult(r.get(), last);
  }

 public:
  static Status LastFromResult(const PGresult* r, uint64_t* last) {
    *last = 0;
    if (PQntuples(r) == 0) return Status::OK();
    if (PQgetlength(r, 0, 0) != 8) return Status::Corruption("log table key is not an 8-byte sequence number");
    const char* k = PQgetvalue(r, 0, 0);
    for (int i = 0; i < 8; ++i) *last = (*last << 8) | static_cast<unsigned char>(k[i]);
    return Status::OK();
  }

 private:
  PgConnection& conn_;
  const SchemaNames& names_;
  std::map<RecordKey, std::optional<std::string>> known_;
  std::map<uint32_t, uint64_t> last_seq_;  // log table id -> last sequence, counting this run's
  std::vector<PlannedWrite> writes_;
  struct Undo {
    RecordKey key;
    bool was_known;
    std::optional<std::string> value;
  };
  std::vector<Undo> undo_;
  Failure failure_ = Failure::kNone;
};

// The savepoint protocol of the group commit (pg_storage.cpp): after the run, its writes are
// kept (released) and a savepoint is open for what follows, as after a mutation.
const std::string kReleaseName = "__release", kReleaseSql = "RELEASE SAVEPOINT m";
const std::string kSavepointName = "__savepoint", kSavepointSql = "SAVEPOINT m";

}  // namespace

Status ChangeSetMutation::operator()(WriteTxn& txn) const {
  state->result = ApplyResult{};
  COMMERCE_RETURN_IF_ERROR(ApplyChangeSet(txn, state->changes, &state->result));
  return state->result.status;
}

Status ApplyRun(PgConnection& conn, const SchemaNames& names, std::span<ChangeSetState* const> sets,
                Failure* failure) {
  *failure = Failure::kNone;
  PlannedTxn txn(conn, names);

  // 1. Every record a check reads, and the last key of every log appended to.
  struct Read {
    Table table;
    std::string key;  // empty: the log's last key
  };
  std::vector<Read> reads;
  {
    std::map<RecordKey, bool> seen;
    for (ChangeSetState* set : sets) {
      const ChangeSet& c = set->changes;
      for (const ChangeSet::Op& op : c.ops()) {
        bool checked = op.kind == OpKind::kExpect || op.kind == OpKind::kExpectAbsent ||
                       op.kind == OpKind::kInsert || op.kind == OpKind::kAdd;
        if (op.kind == OpKind::kAppend) {
          if (seen.emplace(RecordKey(op.table.id, std::string()), true).second) reads.push_back({op.table, {}});
        } else if (checked && !(op.seq_of >= 0 && !op.seq_in_value)) {
          std::string key(c.key(op));
          if (seen.emplace(RecordKey(op.table.id, key), true).second) reads.push_back({op.table, std::move(key)});
        }
      }
    }
  }
  const std::string one = Int8Bytes(1);
  std::vector<PgConnection::Piped> piped;
  piped.reserve(reads.size());
  for (const Read& r : reads) {
    const std::string *name = nullptr, *sql = nullptr;
    COMMERCE_RETURN_IF_ERROR(names.statement(r.table, r.key.empty() ? TableStmt::kLast : TableStmt::kGet, &name, &sql));
    if (r.key.empty()) piped.push_back({name, sql, {Param{one, 20}}});
    else piped.push_back({name, sql, {Param{r.key}}});
  }
  std::vector<PgResult> results;
  COMMERCE_RETURN_IF_ERROR(conn.pipeline(piped, &results, failure));
  for (size_t i = 0; i < reads.size(); ++i) {
    const PGresult* r = results[i].get();
    if (reads[i].key.empty()) {
      uint64_t last = 0;
      Status s = PlannedTxn::LastFromResult(r, &last);
      if (!s.ok()) {
        *failure = Failure::kStatement;
        return s;
      }
      txn.KnownLast(reads[i].table, last);
    } else if (PQntuples(r) > 0) {
      txn.Known(reads[i].table, reads[i].key,
                std::string(PQgetvalue(r, 0, 0), static_cast<size_t>(PQgetlength(r, 0, 0))));
    } else {
      txn.Known(reads[i].table, reads[i].key, std::nullopt);
    }
  }

  // 2. The sets in order, then their writes.
  for (ChangeSetState* set : sets) {
    const PlannedTxn::Mark mark = txn.mark();
    set->result = ApplyResult{};
    Status s = ApplyChangeSet(txn, set->changes, &set->result);
    if (txn.failure() != Failure::kNone) {
      *failure = txn.failure();
      return s.ok() ? set->result.status : s;
    }
    if (!s.ok()) set->result.status = s;  // a phase-2 error: the set fails alone
    if (!set->result.status.ok()) txn.rollback(mark);
  }
  piped.clear();
  for (const PlannedWrite& w : txn.writes()) {
    const std::string *name = nullptr, *sql = nullptr;
    COMMERCE_RETURN_IF_ERROR(names.statement(w.table, w.stmt, &name, &sql));
    if (w.stmt == TableStmt::kDel) piped.push_back({name, sql, {Param{w.key}}});
    else piped.push_back({name, sql, {Param{w.key}, Param{w.value}}});
  }
  piped.push_back({&kReleaseName, &kReleaseSql, {}});
  piped.push_back({&kSavepointName, &kSavepointSql, {}});
  COMMERCE_RETURN_IF_ERROR(conn.pipeline(piped, &results, failure));
  // An insert the checks found absent is absent: the store's write lock keeps other writers
  // out. One that met a key after all means a writer without the lock; the group fails.
  for (size_t i = 0; i < txn.writes().size(); ++i)
    if (txn.writes()[i].stmt == TableStmt::kInsert && std::strcmp(PQcmdTuples(results[i].get()), "0") == 0) {
      // A writer without the lock (an older build, or an engine without LOCK TABLE): the
      // group runs again and reads anew.
      *failure = Failure::kRetry;
      return Status::Unavailable("a checked insert met a key another writer added meanwhile");
    }
  return Status::OK();
}

}  // namespace commerce::postgres
