#include "storage/change_apply.h"

#include <optional>
#include <string>
#include <vector>

namespace commerce {

namespace {

using OpKind = ChangeSet::OpKind;

const char* Describe(CheckFailure f) {
  switch (f) {
    case CheckFailure::kChanged: return "the record changed since it was read";
    case CheckFailure::kAbsent: return "the record is gone";
    case CheckFailure::kPresent: return "the key is already present";
    case CheckFailure::kBounds: return "the counters would leave their bounds";
    case CheckFailure::kNone: break;
  }
  return "no failure";
}

// The set's own changes so far, by key: what phase 1 reads before the store.
class Overlay {
 public:
  // nullptr: not touched by the set; otherwise the value (nullopt: deleted).
  const std::optional<std::string>* find(Table t, std::string_view key) const {
    for (auto it = entries_.rbegin(); it != entries_.rend(); ++it)
      if (it->table == t && it->key == key) return &it->value;
    return nullptr;
  }
  void set(Table t, std::string_view key, std::optional<std::string> value) {
    entries_.push_back({t, std::string(key), std::move(value)});
  }

 private:
  struct Entry {
    Table table;
    std::string key;
    std::optional<std::string> value;
  };
  std::vector<Entry> entries_;
};

// The current value: NotFound when absent.
Status Current(WriteTxn& txn, const Overlay& overlay, Table t, std::string_view key,
               std::string_view* value) {
  if (const auto* mine = overlay.find(t, key)) {
    if (!*mine) return Status::NotFound("deleted by this change set");
    *value = **mine;
    return Status::OK();
  }
  return txn.get(t, key, value);
}

bool Add(int64_t a, int64_t b, int64_t* out) { return !__builtin_add_overflow(a, b, out); }

// The counters after `change`, or false when a bound fails or a sum overflows.
bool Change(const Counters& before, const CounterChange& change, Counters* after) {
  *after = before;
  for (size_t i = 0; i < change.size; ++i) {
    if (change.set_mask & (1u << i)) after->v[i] = change.delta[i];
    else if (!Add(before.v[i], change.delta[i], &after->v[i])) return false;
  }
  for (size_t i = 0; i < change.bound_count; ++i) {
    const CounterBound& b = change.bounds[i];
    int64_t x = after->v[b.a];
    if (b.minus >= 0 && __builtin_sub_overflow(x, after->v[static_cast<size_t>(b.minus)], &x)) return false;
    if (x < b.min || x > b.max) return false;
  }
  return true;
}

void PutBigEndian(std::string* out, size_t at, uint64_t v) {
  for (int i = 7; i >= 0; --i, v >>= 8) (*out)[at + static_cast<size_t>(i)] = static_cast<char>(v & 0xff);
}

void AppendBigEndian(std::string* out, uint64_t v) {
  const size_t at = out->size();
  out->resize(at + 8);
  PutBigEndian(out, at, v);
}

}  // namespace

Status ApplyChangeSet(WriteTxn& txn, const ChangeSet& changes, ApplyResult* out) {
  const auto& ops = changes.ops();
  out->seqs.clear();
  out->counters.clear();
  out->counters.reserve(changes.adds());
  std::vector<std::string> added;  // the encoded record of each add, for phase 2
  added.reserve(changes.adds());
  Overlay overlay;

  // Phase 1: checks and computations; nothing is written.
  auto fail = [&](size_t i, CheckFailure why) {
    out->failed_op = static_cast<int32_t>(i);
    out->failure = why;
    out->status = Status::Conflict("change " + std::to_string(i) + " of " + std::to_string(ops.size()) +
                                  ": " + Describe(why));
    return Status::OK();
  };
  for (size_t i = 0; i < ops.size(); ++i) {
    const ChangeSet::Op& op = ops[i];
    const std::string_view key = changes.key(op);
    if (op.seq_of >= 0 && !op.seq_in_value) continue;  // its key exists only in phase 2
    std::string_view cur;
    Status s;
    switch (op.kind) {
      case OpKind::kExpect:
      case OpKind::kExpectAbsent:
      case OpKind::kInsert:
      case OpKind::kAdd:
        s = Current(txn, overlay, op.table, key, &cur);
        if (!s.ok() && !s.IsNotFound()) {
          out->status = s.WithContext("change " + std::to_string(i));
          return Status::OK();
        }
        break;
      default:
        break;
    }
    const bool present = s.ok();
    switch (op.kind) {
      case OpKind::kExpect:
        if (!present) return fail(i, CheckFailure::kAbsent);
        if (cur != changes.value(op)) return fail(i, CheckFailure::kChanged);
        break;
      case OpKind::kExpectAbsent:
        if (present) return fail(i, CheckFailure::kPresent);
        break;
      case OpKind::kInsert:
        if (present) return fail(i, CheckFailure::kPresent);
        overlay.set(op.table, key, std::string(changes.value(op)));
        break;
      case OpKind::kPut:
        if (op.seq_of < 0) overlay.set(op.table, key, std::string(changes.value(op)));
        break;
      case OpKind::kDel:
        overlay.set(op.table, key, std::nullopt);
        break;
      case OpKind::kAdd: {
        Counters before;
        before.size = op.change.size;
        if (present) {
          Result<Counters> decoded = DecodeCounters(cur);
          if (!decoded.ok()) {
            out->status = decoded.status().WithContext("change " + std::to_string(i));
            return Status::OK();
          }
          if (decoded->size != op.change.size) {
            out->status = Status::Corruption("change " + std::to_string(i) + ": the record holds " +
                                             std::to_string(decoded->size) + " counters, the change " +
                                             std::to_string(op.change.size));
            return Status::OK();
          }
          before = *decoded;
        }
        Counters after;
        if (!Change(before, op.change, &after)) {
          out->current = before;
          return fail(i, CheckFailure::kBounds);
        }
        out->counters.push_back(after);
        added.push_back(EncodeCounters(after));
        overlay.set(op.table, key, added.back());
        break;
      }
      case OpKind::kAppend:
        break;
    }
  }

  // Phase 2: the writes.
  size_t next_add = 0;
  std::string slotted;
  for (const ChangeSet::Op& op : ops) {
    std::string_view key = changes.key(op);
    std::string_view value = changes.value(op);
    if (op.seq_of >= 0) {
      uint64_t seq = out->seqs[static_cast<size_t>(op.seq_of)];
      if (op.seq_invert) seq = ~seq;
      slotted.assign(op.seq_in_value ? value : key);
      PutBigEndian(&slotted, op.seq_offset, seq);
      (op.seq_in_value ? value : key) = slotted;
    }
    switch (op.kind) {
      case OpKind::kExpect:
      case OpKind::kExpectAbsent:
        break;
      case OpKind::kPut:
        COMMERCE_RETURN_IF_ERROR(txn.put(op.table, key, value));
        break;
      case OpKind::kInsert:
        COMMERCE_RETURN_IF_ERROR(txn.put(op.table, key, value, PutMode::kNoOverwrite));
        break;
      case OpKind::kDel:
        COMMERCE_RETURN_IF_ERROR(txn.del(op.table, key));
        break;
      case OpKind::kAdd:
        COMMERCE_RETURN_IF_ERROR(txn.put(op.table, key, added[next_add++]));
        break;
      case OpKind::kAppend: {
        Result<uint64_t> seq = Status::Internal("unset");
        if (op.counters_of < 0) {
          seq = txn.append(op.table, value);
        } else {
          std::string filled(value);
          const Counters& c = out->counters[static_cast<size_t>(op.counters_of)];
          for (size_t k = 0; k < c.size; ++k) AppendBigEndian(&filled, static_cast<uint64_t>(c.v[k]));
          seq = txn.append(op.table, filled);
        }
        COMMERCE_RETURN_IF_ERROR(seq.status());
        out->seqs.push_back(*seq);
        break;
      }
    }
  }
  out->status = Status::OK();
  return Status::OK();
}

}  // namespace commerce
