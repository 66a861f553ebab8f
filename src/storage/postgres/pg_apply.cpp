#include "storage/postgres/pg_apply.h"

#include <algorithm>
#include <cstring>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "storage/change_apply.h"
#include "storage/error_cursor.h"
#include "storage/log_sequences.h"
#include "storage/postgres/pg_key_locks.h"

namespace commerce::postgres {

namespace {

using OpKind = ChangeSet::OpKind;
using RecordKey = std::pair<uint32_t, std::string>;  // (table id, key)

// A write's sequence slot when the run's sequences are taken at its end (beside others): the
// bytes hold a number relative to the run (1, 2, ... per log) until SQL fills in the real one.
struct SeqSlot {
  Table log;
  uint64_t rel = 0;     // the run's count of the log at this entry
  uint32_t offset = 0;  // in the key, or in the value with kSlotInValue
  int32_t flags = 0;    // kSlotInvert | kSlotInValue, as kPutSlotted takes them
};
constexpr int32_t kSlotInvert = 1, kSlotInValue = 2;

// One write the run sends in its second round trip.
struct PlannedWrite {
  TableStmt stmt;  // kPut, kInsert or kDel
  Table table;
  std::string key, value;
  std::optional<SeqSlot> slot;
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
  PlannedWrite& write_at(size_t i) { return writes_[i]; }
  // The log's last sequence handed out, counting this run's.
  uint64_t last(Table log) const {
    auto it = last_seq_.find(log.id);
    return it == last_seq_.end() ? 0 : it->second;
  }
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

// Beside others: gives the writes a set that passed just made (from writes index `first` on,
// one per op that writes, in op order, as ApplyChangeSet makes them) their sequence slots.
void MarkSlots(const ChangeSet& changes, const ApplyResult& result, size_t first, PlannedTxn* txn) {
  std::vector<Table> append_logs;  // the log of each append, in order
  for (const ChangeSet::Op& op : changes.ops())
    if (op.kind == OpKind::kAppend) append_logs.push_back(op.table);
  size_t w = first, next_append = 0;
  for (const ChangeSet::Op& op : changes.ops()) {
    if (op.kind == OpKind::kExpect || op.kind == OpKind::kExpectAbsent) continue;
    PlannedWrite& write = txn->write_at(w++);
    if (op.kind == OpKind::kAppend) {
      write.slot = SeqSlot{op.table, result.seqs[next_append++], 0, 0};
    } else if (op.seq_of >= 0) {
      const auto i = static_cast<size_t>(op.seq_of);
      write.slot = SeqSlot{append_logs[i], result.seqs[i], op.seq_offset,
                           (op.seq_invert ? kSlotInvert : 0) | (op.seq_in_value ? kSlotInValue : 0)};
    }
  }
}

// Beside others: the sets' sequences, counted from 1 in the run, moved past each log's base.
void AddSequenceBases(std::span<ChangeSetState* const> sets, const std::map<uint32_t, uint64_t>& base) {
  for (ChangeSetState* set : sets) {
    if (!set->result.status.ok()) continue;
    size_t next_append = 0;
    for (const ChangeSet::Op& op : set->changes.ops())
      if (op.kind == OpKind::kAppend) set->result.seqs[next_append++] += base.at(op.table.id);
  }
}

// Beside others, when the server's sequences are not known (storage.h, ApplyResult::seqs): 0.
void ForgetSequences(std::span<ChangeSetState* const> sets) {
  for (ChangeSetState* set : sets) std::fill(set->result.seqs.begin(), set->result.seqs.end(), 0);
}

}  // namespace

Status ChangeSetMutation::operator()(WriteTxn& txn) const {
  state->result = ApplyResult{};
  COMMERCE_RETURN_IF_ERROR(ApplyChangeSet(txn, state->changes, &state->result));
  return state->result.status;
}

Status ApplyRun(PgConnection& conn, const SchemaNames& names, std::span<ChangeSetState* const> sets,
                const RunFrame& frame, Failure* failure, int* round_trip) {
  *failure = Failure::kNone;
  *round_trip = 0;
  PlannedTxn txn(conn, names);

  // 1. Every record a check reads, by table, and the last key of every log appended to
  // (beside others: the locks of every record the sets touch, and no log's key).
  std::map<uint32_t, std::vector<std::string>> keys;  // table id -> keys, each once
  std::vector<Table> key_tables, logs;
  std::vector<KeyLock> locks;
  {
    std::map<RecordKey, bool> seen;
    for (ChangeSetState* set : sets) {
      const ChangeSet& c = set->changes;
      for (const ChangeSet::Op& op : c.ops()) {
        bool checked = op.kind == OpKind::kExpect || op.kind == OpKind::kExpectAbsent ||
                       op.kind == OpKind::kInsert || op.kind == OpKind::kAdd;
        const bool key_slot = op.seq_of >= 0 && !op.seq_in_value;  // its key exists at commit
        if (frame.beside_others && op.kind != OpKind::kAppend && !key_slot)
          locks.push_back({KeyLockId(names.schema(), names.name(op.table), c.key(op)),
                           op.kind == OpKind::kExpect || op.kind == OpKind::kExpectAbsent});
        if (op.kind == OpKind::kAppend) {
          if (seen.emplace(RecordKey(op.table.id, std::string()), true).second) logs.push_back(op.table);
        } else if (checked && !key_slot) {
          std::string key(c.key(op));
          if (!seen.emplace(RecordKey(op.table.id, key), true).second) continue;
          auto& list = keys[op.table.id];
          if (list.empty()) key_tables.push_back(op.table);
          list.push_back(std::move(key));
        }
      }
    }
  }
  StatementBatch reads;
  for (const PgConnection::Piped& p : frame.before) reads.add(p.name, p.sql, p.params);
  static const std::string kLocksName = "__key_locks", kLocksSql = KeyLocksSql();
  SortLocks(&locks);
  if (!locks.empty()) {
    std::vector<int64_t> ids;
    std::vector<int32_t> shared;
    for (const KeyLock& l : locks) {
      ids.push_back(l.id);
      shared.push_back(l.shared ? 1 : 0);
    }
    reads.add(&kLocksName, &kLocksSql, {reads.int8s(ids), reads.int4s(shared)});
  }
  const std::string one = Int8Bytes(1);
  for (Table t : key_tables) {
    const std::string *name = nullptr, *sql = nullptr;
    COMMERCE_RETURN_IF_ERROR(names.statement(t, TableStmt::kGetMany, &name, &sql));
    std::vector<std::string_view> list(keys[t.id].begin(), keys[t.id].end());
    reads.add(name, sql, {reads.array(list)});
  }
  for (Table log : logs) {
    if (frame.beside_others) break;  // taken at the end (step 2)
    const std::string *name = nullptr, *sql = nullptr;
    COMMERCE_RETURN_IF_ERROR(names.statement(log, TableStmt::kLast, &name, &sql));
    reads.add(name, sql, {Param{one, 20}});
  }
  std::vector<PgResult> results;
  Status sent = conn.pipeline(reads.piped(), &results, failure);
  if (!sent.ok()) {
    *round_trip = 1;
    return sent;
  }
  size_t at = frame.before.size() + (locks.empty() ? 0 : 1);
  for (Table t : key_tables) {
    const PGresult* r = results[at++].get();
    std::map<std::string_view, std::string_view> found;
    for (int row = 0; row < PQntuples(r); ++row)
      found.emplace(std::string_view(PQgetvalue(r, row, 0), static_cast<size_t>(PQgetlength(r, row, 0))),
                    std::string_view(PQgetvalue(r, row, 1), static_cast<size_t>(PQgetlength(r, row, 1))));
    for (const std::string& key : keys[t.id]) {
      auto it = found.find(key);
      if (it == found.end()) txn.Known(t, key, std::nullopt);
      else txn.Known(t, key, std::string(it->second));
    }
  }
  for (Table log : logs) {
    uint64_t last = 0;  // beside others: the run counts from 0, the real base comes in step 2
    if (frame.beside_others) {
      txn.KnownLast(log, 0);
      continue;
    }
    Status s = PlannedTxn::LastFromResult(results[at++].get(), &last);
    if (!s.ok()) {
      *failure = Failure::kStatement;
      *round_trip = 1;
      return s;
    }
    txn.KnownLast(log, last);
  }

  // 2. The sets in order, then their writes: each record's last state, by table and kind.
  for (ChangeSetState* set : sets) {
    const PlannedTxn::Mark mark = txn.mark();
    set->result = ApplyResult{};
    Status s = ApplyChangeSet(txn, set->changes, &set->result);
    if (txn.failure() != Failure::kNone) {
      *failure = txn.failure();
      *round_trip = 1;  // a read of the planning's own (before step 2 was sent)
      return s.ok() ? set->result.status : s;
    }
    if (!s.ok()) set->result.status = s;  // a phase-2 error: the set fails alone
    if (!set->result.status.ok()) txn.rollback(mark);
    else if (frame.beside_others) MarkSlots(set->changes, set->result, mark.writes, &txn);
  }
  // A record written several times keeps its last write. Only a record whose one write is
  // an insert is inserted strictly (its absence was checked); one deleted and inserted again
  // in the run may be present in the table, so its insert is an upsert.
  struct Final {
    const PlannedWrite* last;
    int writes = 0;
  };
  std::map<RecordKey, Final> finals;
  std::vector<Table> write_tables;
  for (const PlannedWrite& w : txn.writes()) {
    auto [it, added] = finals.try_emplace(RecordKey(w.table.id, w.key), Final{&w, 0});
    it->second.last = &w;
    it->second.writes++;
    if (added && std::none_of(write_tables.begin(), write_tables.end(), [&](Table t) { return t.id == w.table.id; }))
      write_tables.push_back(w.table);
  }
  // Each kind of write as arrays; a write with a sequence slot also carries where it goes.
  struct Kind {
    std::vector<std::string_view> keys, values, logs;
    std::vector<int64_t> back;  // the log's last taken number less this entry's
    std::vector<int32_t> offsets, flags;
    void add(const PlannedWrite& w, bool with_value, const std::map<uint32_t, std::string>& log_names,
             const PlannedTxn& txn) {
      keys.push_back(w.key);
      if (with_value) values.push_back(w.value);
      if (!w.slot) return;
      logs.push_back(log_names.at(w.slot->log.id));
      back.push_back(static_cast<int64_t>(txn.last(w.slot->log) - w.slot->rel));
      offsets.push_back(static_cast<int32_t>(w.slot->offset));
      flags.push_back(w.slot->flags);
    }
  };
  struct Lists {
    Kind put, insert, del, put_slotted, insert_slotted, del_slotted;
  };
  // Beside others: the logs this run appends to, by name -- the order every group takes
  // their counter rows in, so that two groups never wait for each other in a circle.
  std::map<uint32_t, std::string> log_names;
  std::map<std::string, Table> seq_logs;
  if (frame.beside_others)
    for (Table log : logs)
      if (txn.last(log) > 0) seq_logs.emplace(log_names.emplace(log.id, names.name(log)).first->second, log);
  std::map<uint32_t, Lists> by_table;
  for (const auto& [key, f] : finals) {
    Lists& l = by_table[key.first];
    const PlannedWrite& w = *f.last;
    const bool slot = w.slot.has_value();
    if (w.stmt == TableStmt::kDel) {
      (slot ? l.del_slotted : l.del).add(w, false, log_names, txn);
    } else if (w.stmt == TableStmt::kInsert && f.writes == 1) {
      (slot ? l.insert_slotted : l.insert).add(w, true, log_names, txn);
    } else {
      (slot ? l.put_slotted : l.put).add(w, true, log_names, txn);
    }
  }
  StatementBatch writes;
  auto add = [&](Table t, TableStmt which, const Kind& k, bool with_value) -> Status {
    if (k.keys.empty()) return Status::OK();
    const std::string *name = nullptr, *sql = nullptr;
    COMMERCE_RETURN_IF_ERROR(names.statement(t, which, &name, &sql));
    std::vector<Param> params{writes.array(k.keys)};
    if (with_value) params.push_back(writes.array(k.values));
    if (!k.logs.empty()) {
      params.push_back(writes.texts(k.logs));
      params.push_back(writes.int8s(k.back));
      params.push_back(writes.int4s(k.offsets));
      params.push_back(writes.int4s(k.flags));
    }
    writes.add(name, sql, std::move(params));
    return Status::OK();
  };
  for (Table t : write_tables) {
    const Lists& l = by_table[t.id];
    COMMERCE_RETURN_IF_ERROR(add(t, TableStmt::kDelMany, l.del, false));
    COMMERCE_RETURN_IF_ERROR(add(t, TableStmt::kInsertMany, l.insert, true));
    COMMERCE_RETURN_IF_ERROR(add(t, TableStmt::kPutMany, l.put, true));
  }
  // Beside others, as late as possible: the sequences (their counter rows stay locked to the
  // end of COMMIT), then the writes that hold them.
  const size_t first_take = writes.piped().size();
  for (const auto& [name_of_log, log] : seq_logs) {
    const std::string *name = nullptr, *sql = nullptr;
    COMMERCE_RETURN_IF_ERROR(names.statement(log, TableStmt::kSeqTake, &name, &sql));
    writes.add(name, sql, {writes.keep(Int8Bytes(static_cast<int64_t>(txn.last(log))), 20)});
  }
  for (Table t : write_tables) {
    const Lists& l = by_table[t.id];
    COMMERCE_RETURN_IF_ERROR(add(t, TableStmt::kDelSlotted, l.del_slotted, false));
    COMMERCE_RETURN_IF_ERROR(add(t, TableStmt::kInsertSlotted, l.insert_slotted, true));
    COMMERCE_RETURN_IF_ERROR(add(t, TableStmt::kPutSlotted, l.put_slotted, true));
  }
  for (const PgConnection::Piped& p : frame.after) writes.add(p.name, p.sql, p.params);
  Status s = conn.pipeline(writes.piped(), &results, failure);
  if (s.ok()) {
    // The sequences the server gave: each log's taken numbers end at the row's new value.
    // (The group may have committed by now: nothing here may fail it.)
    std::map<uint32_t, uint64_t> base;  // log id -> the number before the run's first
    size_t at_take = first_take;
    bool known = true;
    for (const auto& [name_of_log, log] : seq_logs) {
      const PGresult* r = results[at_take++].get();
      known = known && PQntuples(r) == 1 && PQgetlength(r, 0, 0) == 8;
      if (known) base[log.id] = static_cast<uint64_t>(Int8FromBytes(PQgetvalue(r, 0, 0))) - txn.last(log);
    }
    if (frame.beside_others && known) AddSequenceBases(sets, base);
    else if (frame.beside_others) ForgetSequences(sets);
    return s;
  }
  *round_trip = 2;
  // Beside others, a group whose answer was lost may have committed: its sequences are the
  // server's, unknown here (storage.h, ApplyResult::seqs).
  if (frame.beside_others) ForgetSequences(sets);
  // An insert the checks found absent is absent: the store's write lock keeps other writers
  // out. One that met a key after all means a writer without the lock (an older build, or an
  // engine without LOCK TABLE): the group runs again and reads anew.
  if (s.IsAlreadyExists() && *failure == Failure::kStatement) {
    *failure = Failure::kRetry;
    return Status::Unavailable("a checked insert met a key another writer added meanwhile");
  }
  return s;
}

}  // namespace commerce::postgres
