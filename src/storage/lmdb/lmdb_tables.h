// The LMDB driver's tables: Table ids handed to callers mapped to LMDB named databases (DBIs),
// and the driver's own table __meta, which holds the applied log position.
//
// Thread safety: dbi() and name() may be called from any thread for an id that has been
// handed out (ids only grow, and an entry is written before the count that publishes it);
// find() locks. open() and forget_from() run on the one thread that writes to LMDB (the
// writer, or open/recovery before it starts), inside a write txn, as LMDB requires of
// mdb_dbi_open.
#pragma once

#include <lmdb.h>

#include <array>
#include <atomic>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "commerce/storage.h"

namespace commerce::lmdb {

// An LMDB environment holds at most this many named databases (mdb_env_set_maxdbs).
constexpr size_t kMaxTables = 256;
constexpr const char* kMetaTable = "__meta";
// In __meta: the LSN of the last log record whose changes LMDB holds (8 bytes, host order).
constexpr std::string_view kAppliedLsnKey = "applied_lsn";

class LmdbTables {
 public:
  // The id of table `name`, opening (creating) its DBI in `txn` if it is new here.
  Status open(MDB_txn* txn, const std::string& name, uint32_t* id);
  std::optional<uint32_t> find(const std::string& name) const;
  // Forgets ids >= n: their DBIs were opened in a txn that was aborted, which closes them.
  void forget_from(uint32_t n);
  uint32_t count() const { return count_.load(std::memory_order_acquire); }

  // InvalidArgument for an id this store never handed out.
  Status dbi(Table t, MDB_dbi* out) const {
    if (t.id >= count())
      return Status::InvalidArgument("unknown table id " + std::to_string(t.id));
    *out = dbis_[t.id];
    return Status::OK();
  }
  MDB_dbi dbi(uint32_t id) const { return dbis_[id]; }
  const std::string& name(uint32_t id) const { return names_[id]; }

 private:
  std::array<MDB_dbi, kMaxTables> dbis_{};
  std::array<std::string, kMaxTables> names_;
  std::atomic<uint32_t> count_{0};
  mutable std::mutex mu_;
  std::unordered_map<std::string, uint32_t> ids_;  // GUARDED_BY(mu_)
};

// The applied LSN as `txn` sees it (0 when none was ever recorded).
Result<uint64_t> ReadAppliedLsn(MDB_txn* txn, MDB_dbi meta);
// Records `lsn` as applied, in `txn`; the raw LMDB return code.
int PutAppliedLsn(MDB_txn* txn, MDB_dbi meta, uint64_t lsn);

}  // namespace commerce::lmdb
