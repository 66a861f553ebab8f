// Peer baseline "raw-lmdb": what a competent user writes by hand against plain LMDB, with
// nothing of commerce in between. It is the bar the engine's LMDB driver is measured against.
//
//   - durable writes: an env opened with default flags (no MDB_NOSYNC / MDB_NOMETASYNC /
//     MDB_WRITEMAP: every commit is durable, two fsyncs), one write txn per put:
//     mdb_txn_begin / mdb_put / mdb_txn_commit. LMDB serialises writers itself (its write
//     mutex), so many threads simply queue on it.
//   - point reads: one read-only txn per thread, kept between gets with mdb_txn_reset and
//     mdb_txn_renew (the idiom lmdb.h recommends for frequent readers: it keeps the reader
//     slot and skips mdb_txn_begin's allocation), mdb_get, and a copy of the value into the
//     caller's buffer before the reset, since a value is only valid inside its txn.
//
// Thread safety: Put() from any thread. A Reader belongs to the thread that created it (the
// env is opened without MDB_NOTLS, so a read txn is bound to its thread).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "harness.h"

struct MDB_env;
struct MDB_txn;

namespace commerce::bench {

class RawLmdb {
 public:
  // Opens (creating) an env in `dir` with a map of `map_size` bytes (sparse on disk).
  static std::unique_ptr<RawLmdb> Open(const std::string& dir, size_t map_size, std::string* error);
  ~RawLmdb();

  // Loads records 0..n-1 from gen(i, &key, &value) with plain mdb_put (no MDB_APPEND, as the
  // engine's driver does, so the B-tree has the same shape), `batch` puts a txn, then syncs.
  using Generator = std::function<void(uint64_t i, std::string* key, std::string* value)>;
  bool Load(uint64_t n, const Generator& gen, Progress* progress, std::string* error,
            uint64_t batch = 50'000);

  // Reads every record once (a cursor from first to last, a byte of each value), so that
  // the env's pages are in this process's map before a read case measures it; returns the
  // records seen, 0 with *error on failure.
  uint64_t Warm(std::string* error);

  // One durable write txn holding one put.
  bool Put(std::string_view key, std::string_view value, std::string* error);

  class Reader {
   public:
    ~Reader();
    // Renew, get, copy the value into *value, reset. NotFound is an error here: the
    // benchmark only asks for keys it loaded.
    bool Get(std::string_view key, std::string* value, std::string* error);

   private:
    friend class RawLmdb;
    Reader(RawLmdb* db, MDB_txn* txn) : db_(db), txn_(txn) {}
    RawLmdb* db_;
    MDB_txn* txn_;
  };
  // A reader for the calling thread.
  std::unique_ptr<Reader> NewReader(std::string* error);

 private:
  RawLmdb() = default;
  MDB_env* env_ = nullptr;
  unsigned dbi_ = 0;
};

}  // namespace commerce::bench
