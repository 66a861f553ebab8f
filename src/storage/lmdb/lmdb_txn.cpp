#include "storage/lmdb/lmdb_txn.h"

#include <cerrno>
#include <optional>

#include "storage/lmdb/lmdb_readers.h"
#include "storage/lmdb/lmdb_status.h"
#include "storage/lmdb/redo_record.h"

namespace commerce::lmdb {

namespace {

class LmdbCursor final : public Cursor {
 public:
  // `guard`: set for read transactions (lmdb_guard.h): every move is checked before LMDB
  // walks the pages it enters.
  LmdbCursor(MDB_cursor* c, bool reverse, std::optional<LmdbGuard> guard)
      : c_(c), reverse_(reverse), guard_(std::move(guard)) {}
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
    if (guard_) {
      Status s;
      switch (op) {
        case MDB_SET_RANGE:  // may go on to the next leaf
          s = guard_->BeforeSeek(lmdb_pages::Target::kKey, View(key_), +1);
          break;
        case MDB_FIRST: s = guard_->BeforeSeek(lmdb_pages::Target::kFirst, {}, 0); break;
        case MDB_LAST: s = guard_->BeforeSeek(lmdb_pages::Target::kLast, {}, 0); break;
        case MDB_NEXT:
        case MDB_PREV:
          if (valid_) s = guard_->BeforeStep(key_, op == MDB_NEXT);
          break;
        default: break;
      }
      if (!s.ok()) return Fail(std::move(s));
    }
    int rc = mdb_cursor_get(c_, &key_, &val_, op);
    valid_ = rc == 0;
    if (rc != 0 && rc != MDB_NOTFOUND) status_ = LmdbError(rc, "cursor");
    if (valid_ && guard_) {
      Status s = guard_->CheckEntry(key_, val_);
      if (!s.ok()) Fail(std::move(s));
    }
  }
  // A damaged page ahead: the cursor stops, and LMDB is not asked to walk it.
  void Fail(Status s) {
    status_ = std::move(s);
    valid_ = false;
    mdb_cursor_close(c_);
    c_ = nullptr;
  }

  MDB_cursor* c_ = nullptr;
  bool reverse_ = false;
  std::optional<LmdbGuard> guard_;
  bool valid_ = false;
  MDB_val key_{0, nullptr}, val_{0, nullptr};
  Status status_;
};

}  // namespace

Status LmdbView::get(MDB_txn* txn, Table t, std::string_view key, std::string_view* value) const {
  MDB_dbi d = 0;  // set by dbi(); g++ 12 cannot see that through the status macro
  COMMERCE_RETURN_IF_ERROR(tables_->dbi(t, &d));
  COMMERCE_RETURN_IF_ERROR(CheckKey(key));
  MDB_val k = Val(key), v;
  int rc = mdb_get(txn, d, &k, &v);
  // EINVAL: the table was created after this snapshot began, so it is empty here.
  if (rc == MDB_NOTFOUND || rc == EINVAL) return Status::NotFound("key not found");
  if (rc != 0) return LmdbError(rc, "get");
  // mdb_get leaves k as given: only the value's place is known here.
  if (guarded_) COMMERCE_RETURN_IF_ERROR(LmdbGuard(env_, txn, tables_->name(t.id), map_).CheckValue(v));
  *value = View(v);
  return Status::OK();
}

std::unique_ptr<Cursor> LmdbView::cursor(MDB_txn* txn, Table t, CursorOptions o) const {
  MDB_dbi d = 0;  // set by dbi(); g++ 12 cannot see that through the status macro
  Status s = tables_->dbi(t, &d);
  if (!s.ok()) return std::make_unique<LmdbCursor>(s);
  MDB_cursor* c;
  int rc = mdb_cursor_open(txn, d, &c);
  if (rc == EINVAL) return std::make_unique<LmdbCursor>(Status::OK());  // table newer than snapshot: empty
  if (rc != 0) return std::make_unique<LmdbCursor>(LmdbError(rc, "cursor open"));
  std::optional<LmdbGuard> guard;
  if (guarded_) guard.emplace(env_, txn, tables_->name(t.id), map_);
  return std::make_unique<LmdbCursor>(c, o.reverse, std::move(guard));
}

LmdbReadTxn::~LmdbReadTxn() { readers_->release(txn_); }

Status LmdbWriteTxn::put(Table t, std::string_view key, std::string_view value, PutMode mode) {
  MDB_dbi d = 0;  // set by dbi(); g++ 12 cannot see that through the status macro
  COMMERCE_RETURN_IF_ERROR(tables_->dbi(t, &d));
  COMMERCE_RETURN_IF_ERROR(CheckKey(key));
  MDB_val k = Val(key), v = Val(value);
  int rc = mdb_put(txn_, d, &k, &v, mode == PutMode::kNoOverwrite ? MDB_NOOVERWRITE : 0);
  if (rc == MDB_KEYEXIST) return Status::AlreadyExists("key already exists");
  changed_ = true;
  if (rc == MDB_MAP_FULL) map_full_ = true;
  if (rc != 0) return LmdbError(rc, "put");
  AppendRedoPut(redo_, tables_->name(t.id), key, value);
  return Status::OK();
}

Status LmdbWriteTxn::del(Table t, std::string_view key) {
  MDB_dbi d = 0;  // set by dbi(); g++ 12 cannot see that through the status macro
  COMMERCE_RETURN_IF_ERROR(tables_->dbi(t, &d));
  COMMERCE_RETURN_IF_ERROR(CheckKey(key));
  MDB_val k = Val(key);
  int rc = mdb_del(txn_, d, &k, nullptr);
  if (rc == MDB_NOTFOUND) return Status::OK();
  changed_ = true;
  if (rc == MDB_MAP_FULL) map_full_ = true;
  if (rc != 0) return LmdbError(rc, "del");
  AppendRedoDel(redo_, tables_->name(t.id), key);
  return Status::OK();
}

Result<uint64_t> LmdbWriteTxn::append(Table log, std::string_view value) {
  // A counter instead of a seek to the log's last key per entry; a failed put hands the
  // sequence back, so an error the mutation ignores cannot leave a gap.
  const LogSequences::Mark before = seqs_->mark();
  COMMERCE_ASSIGN_OR_RETURN(uint64_t seq, seqs_->next(*this, log));
  Status s = put(log, LogKey(seq), value, PutMode::kNoOverwrite);
  if (!s.ok()) {
    seqs_->rollback(before);
    return s;
  }
  return seq;
}

}  // namespace commerce::lmdb
