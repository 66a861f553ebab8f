// What every driver shares: the ReadView conveniences, the default log append and the default
// apply of a ChangeSet (through write()), table-name rules and OpenStorage's choice of driver.
#include "commerce/storage.h"

#include <filesystem>
#include <fstream>

#include "storage/change_apply.h"
#include "storage/lmdb/lmdb_storage.h"
#include "storage/log_sequences.h"
#include "storage/postgres/pg_storage.h"
#include "storage/sqlite/sqlite_storage.h"

namespace commerce {

Cursor::~Cursor() = default;
ReadView::~ReadView() = default;
Storage::~Storage() = default;

Result<std::string> ReadView::get(Table table, std::string_view key) {
  std::string_view v;
  Status s = get(table, key, &v);
  if (!s.ok()) return s;
  return std::string(v);
}

Result<std::vector<KeyValue>> ReadView::scan(Table table, std::string_view begin,
                                             std::string_view end, size_t limit, bool reverse) {
  std::vector<KeyValue> out;
  auto c = cursor(table, CursorOptions{.reverse = reverse});
  if (!reverse) {
    if (begin.empty()) c->seek_to_first(); else c->seek(begin);
    for (; c->valid(); c->next()) {
      if (!end.empty() && c->key() >= end) break;
      out.push_back({std::string(c->key()), std::string(c->value())});
      if (limit && out.size() >= limit) break;
    }
  } else {
    // Descending from the last key < end.
    if (end.empty()) {
      c->seek_to_first();
    } else {
      c->seek(end);
      if (c->valid() && c->key() >= end) c->next();
    }
    for (; c->valid(); c->next()) {
      if (c->key() < begin) break;
      out.push_back({std::string(c->key()), std::string(c->value())});
      if (limit && out.size() >= limit) break;
    }
  }
  COMMERCE_RETURN_IF_ERROR(c->status());
  return out;
}

Status CheckReadBatch(const std::vector<KeyRead>& keys, const std::vector<RangeRead>& ranges) {
  if (keys.size() + ranges.size() > kMaxBatchReads)
    return Status::InvalidArgument("read_many: " + std::to_string(keys.size()) + " keys and " +
                                   std::to_string(ranges.size()) + " ranges; at most " +
                                   std::to_string(kMaxBatchReads) + " reads in all");
  for (size_t i = 0; i < keys.size(); ++i)
    if (keys[i].key.empty() || keys[i].key.size() > kMaxKeySize)
      return Status::InvalidArgument("read_many: key " + std::to_string(i) + " is " +
                                     std::to_string(keys[i].key.size()) + " bytes; keys are 1.." +
                                     std::to_string(kMaxKeySize) + " bytes");
  return Status::OK();
}

// The local drivers' read_many: one get() or one cursor per read, in this transaction (no round
// trips to save). Every key is checked before the first read, so bad input reads nothing.
Result<ReadResults> ReadView::read_many(const std::vector<KeyRead>& keys,
                                        const std::vector<RangeRead>& ranges) {
  COMMERCE_RETURN_IF_ERROR(CheckReadBatch(keys, ranges));
  ReadResults out;
  out.values.reserve(keys.size());
  for (const KeyRead& k : keys) {
    std::string_view v;
    Status s = get(k.table, k.key, &v);
    if (s.IsNotFound()) {
      out.values.emplace_back(std::nullopt);
      continue;
    }
    COMMERCE_RETURN_IF_ERROR(s);
    out.values.emplace_back(std::string(v));
  }
  out.ranges.reserve(ranges.size());
  for (const RangeRead& r : ranges) {
    COMMERCE_ASSIGN_OR_RETURN(auto entries, scan(r.table, r.begin, r.end, r.limit));
    out.ranges.push_back(std::move(entries));
  }
  return out;
}

Result<std::vector<std::optional<std::string>>> ReadView::get_many(const std::vector<KeyRead>& keys) {
  COMMERCE_ASSIGN_OR_RETURN(ReadResults r, read_many(keys));
  return std::move(r.values);
}

Result<uint64_t> WriteTxn::append(Table log, std::string_view value) {
  COMMERCE_ASSIGN_OR_RETURN(uint64_t last, LastLogSequence(*this, log));
  COMMERCE_RETURN_IF_ERROR(put(log, LogKey(last + 1), value, PutMode::kNoOverwrite));
  return last + 1;
}

ApplyResult Storage::apply(ChangeSet changes, WriteOptions options) {
  ApplyResult out;
  if (!changes.status().ok()) {
    out.status = changes.status();
    return out;
  }
  // A driver without a native path: the set runs as a mutation, whose nested transaction
  // undoes a write that fails halfway (ApplyChangeSet's phase 2).
  Status s = write([&](WriteTxn& txn) -> Status {
    out = ApplyResult{};
    COMMERCE_RETURN_IF_ERROR(ApplyChangeSet(txn, changes, &out));
    return out.status;
  }, options);
  if (s.ok()) out.status = Status::OK();
  else if (out.status.ok()) out.status = s;  // the group failed (or the store is closed)
  return out;
}

void Storage::apply_async(ChangeSet changes, WriteOptions options,
                          std::function<void(ApplyResult)> done) {
  if (!changes.status().ok()) {
    ApplyResult out;
    out.status = changes.status();
    if (done) done(std::move(out));
    return;
  }
  struct State {
    ChangeSet changes;
    ApplyResult result;
  };
  auto state = std::make_shared<State>(State{std::move(changes), {}});
  write_async(
      [state](WriteTxn& txn) -> Status {
        state->result = ApplyResult{};
        COMMERCE_RETURN_IF_ERROR(ApplyChangeSet(txn, state->changes, &state->result));
        return state->result.status;
      },
      options,
      [state, done = std::move(done)](Status s) {
        ApplyResult out = std::move(state->result);
        if (s.ok()) out.status = Status::OK();
        else if (out.status.ok()) out.status = s;
        if (done) done(std::move(out));
      });
}

bool IsValidTableName(std::string_view name, bool allow_internal) {
  if (name.empty() || name.size() > 64) return false;
  if (!allow_internal && name.starts_with("__")) return false;
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
    if (!ok) return false;
  }
  return true;
}

namespace {

// A store remembers which driver made it (the DRIVER file), so that opening it with the
// other one fails loudly instead of showing an empty store and writing a second one beside it.
std::string MarkerPath(const StorageOptions& o) { return o.path + "/DRIVER"; }

Status CheckDriverMarker(const StorageOptions& o) {
  std::error_code ec;
  if (!o.create_if_missing && !std::filesystem::is_directory(o.path, ec))
    return Status::NotFound("no store at " + o.path + ": no such directory");
  std::string made_by;
  std::ifstream in(MarkerPath(o));
  if (in) {
    std::getline(in, made_by);
    if (made_by != "lmdb" && made_by != "sqlite" && made_by != "postgres")
      return Status::Corruption("store marker " + MarkerPath(o) +
                                " is damaged: it should name the driver (lmdb, sqlite or postgres)");
  } else if (std::filesystem::exists(o.path + "/data.mdb")) {
    made_by = "lmdb";
  } else if (std::filesystem::exists(o.path + "/commerce.sqlite")) {
    made_by = "sqlite";
  } else if (std::filesystem::exists(o.path + "/POSTGRES")) {
    made_by = "postgres";
  }
  if (made_by.empty() && !o.create_if_missing)
    return Status::NotFound("no store at " + o.path +
                            ": the directory holds no store (no DRIVER, data.mdb or commerce.sqlite)");
  if (!made_by.empty() && made_by != o.driver)
    return Status::InvalidArgument("store " + o.path + " was made by the " + made_by +
                                   " driver: open it with driver \"" + made_by + "\"");
  return Status::OK();
}

Status WriteDriverMarker(const StorageOptions& o) {
  if (std::filesystem::exists(MarkerPath(o))) return Status::OK();
  std::ofstream out(MarkerPath(o), std::ios::trunc);
  out << o.driver << "\n";
  out.close();
  if (!out) return Status::Unavailable("cannot write " + MarkerPath(o));
  return Status::OK();
}

}  // namespace

Result<std::unique_ptr<Storage>> OpenStorage(const StorageOptions& options) {
  if (options.path.empty())
    return Status::InvalidArgument("storage path is empty: give the directory to keep the store in");
  if (options.max_group_size == 0 || options.max_group_size > 100'000)
    return Status::InvalidArgument("max_group_size must be 1..100000");
  if (options.max_group_wait_us < 0 || options.max_group_wait_us > 1'000'000)
    return Status::InvalidArgument("max_group_wait_us must be 0..1000000");
  if (options.driver != "lmdb" && options.driver != "sqlite" && options.driver != "postgres")
    return Status::InvalidArgument("unknown storage driver '" + options.driver +
                                   "': expected lmdb, sqlite or postgres");
  COMMERCE_RETURN_IF_ERROR(CheckDriverMarker(options));
  auto storage = options.driver == "lmdb"     ? OpenLmdbStorage(options)
                 : options.driver == "sqlite" ? OpenSqliteStorage(options)
                                              : OpenPostgresStorage(options);
  if (storage.ok()) COMMERCE_RETURN_IF_ERROR(WriteDriverMarker(options));
  return storage;
}

}  // namespace commerce
