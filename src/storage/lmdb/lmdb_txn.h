// The LMDB driver's transactions and cursors: storage.h's views over MDB txns.
//
// LmdbView holds the reads both kinds share; LmdbReadTxn is a pooled read-only txn (it goes
// back to LmdbReaders when destroyed); LmdbWriteTxn is one mutation's nested txn inside the
// group's write txn, and records each put/del it makes as a redo operation for the log.
//
// Thread safety: none; a transaction and its cursors belong to one thread (storage.h).
#pragma once

#include <lmdb.h>

#include <memory>
#include <shared_mutex>
#include <string>
#include <string_view>

#include "commerce/storage.h"
#include "storage/lmdb/lmdb_guard.h"
#include "storage/lmdb/lmdb_tables.h"
#include "storage/log_sequences.h"

namespace commerce::lmdb {

class LmdbReaders;

// Point reads and cursors over one MDB txn.
class LmdbView {
 public:
  // Unguarded: a write txn's dirty pages are not in the map (lmdb_guard.h).
  explicit LmdbView(const LmdbTables* tables) : tables_(tables) {}
  // Guarded: a read txn of `env`, whose pages are checked before LMDB walks them and whose
  // keys and values are checked before the caller reads them (lmdb_guard.h).
  LmdbView(const LmdbTables* tables, MDB_env* env, LmdbGuard::Map map)
      : tables_(tables), env_(env), map_(map), guarded_(true) {}
  Status get(MDB_txn* txn, Table t, std::string_view key, std::string_view* value) const;
  std::unique_ptr<Cursor> cursor(MDB_txn* txn, Table t, CursorOptions o) const;

 private:
  const LmdbTables* tables_;
  MDB_env* env_ = nullptr;
  LmdbGuard::Map map_;
  bool guarded_ = false;
};

class LmdbReadTxn final : public ReadTxn {
 public:
  // `resize_lock` keeps the map from being resized for the txn's life; `map` is where the
  // map is meanwhile (the guard's, lmdb_guard.h).
  LmdbReadTxn(LmdbReaders* readers, const LmdbTables* tables, MDB_env* env, LmdbGuard::Map map,
              MDB_txn* txn, std::shared_lock<std::shared_mutex> resize_lock)
      : readers_(readers), view_(tables, env, map), txn_(txn), resize_lock_(std::move(resize_lock)) {}
  ~LmdbReadTxn() override;
  Status get(Table t, std::string_view key, std::string_view* value) override {
    return view_.get(txn_, t, key, value);
  }
  std::unique_ptr<Cursor> cursor(Table t, CursorOptions o) override {
    return view_.cursor(txn_, t, o);
  }
  using ReadView::get;

 private:
  LmdbReaders* readers_;
  LmdbView view_;
  MDB_txn* txn_;
  std::shared_lock<std::shared_mutex> resize_lock_;
};

// One mutation's transaction. REQUIRES: `txn` is a nested write txn on the writer thread.
class LmdbWriteTxn final : public WriteTxn {
 public:
  // Appends a redo operation to *redo for every put/del that succeeds. Log appends take
  // their sequence from *seqs, the writer's count (the caller rolls it back when the
  // mutation or the group does not commit).
  LmdbWriteTxn(const LmdbTables* tables, MDB_txn* txn, std::string* redo, LogSequences* seqs)
      : tables_(tables), view_(tables), txn_(txn), redo_(redo), seqs_(seqs) {}

  Status get(Table t, std::string_view key, std::string_view* value) override {
    return view_.get(txn_, t, key, value);
  }
  std::unique_ptr<Cursor> cursor(Table t, CursorOptions o) override {
    return view_.cursor(txn_, t, o);
  }
  using ReadView::get;
  Status put(Table t, std::string_view key, std::string_view value, PutMode mode) override;
  Status del(Table t, std::string_view key) override;
  Result<uint64_t> append(Table log, std::string_view value) override;

  // A put or del failed with MDB_MAP_FULL: the group must be rolled back and run again in a
  // larger map, whatever the mutation made of the error.
  bool map_full() const { return map_full_; }

  // A put or del reached LMDB and did something, or failed in a way that may leave the txn
  // unusable: only aborting the txn takes it back. False when every one was refused before
  // LMDB changed anything (MDB_KEYEXIST, a del of a missing key, a bad key or table): a
  // mutation that fails then has left no trace in the txn.
  bool changed() const { return changed_; }

 private:
  const LmdbTables* tables_;
  LmdbView view_;
  MDB_txn* txn_;
  std::string* redo_;
  LogSequences* seqs_;
  bool map_full_ = false;
  bool changed_ = false;
};

}  // namespace commerce::lmdb
