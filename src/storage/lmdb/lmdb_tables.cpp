#include "storage/lmdb/lmdb_tables.h"

#include <cstring>

#include "storage/lmdb/lmdb_status.h"

namespace commerce::lmdb {

Status LmdbTables::open(MDB_txn* txn, const std::string& name, uint32_t* id) {
  if (auto known = find(name)) {
    *id = *known;
    return Status::OK();
  }
  uint32_t n = count();
  if (n >= kMaxTables) return Status::ResourceExhausted("too many tables (256)");
  MDB_dbi d;
  int rc = mdb_dbi_open(txn, name.c_str(), MDB_CREATE, &d);
  if (rc != 0) return LmdbError(rc, "cannot open table " + name);
  dbis_[n] = d;
  names_[n] = name;
  {
    std::lock_guard<std::mutex> lock(mu_);
    ids_[name] = n;
  }
  count_.store(n + 1, std::memory_order_release);
  *id = n;
  return Status::OK();
}

std::optional<uint32_t> LmdbTables::find(const std::string& name) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = ids_.find(name);
  if (it == ids_.end()) return std::nullopt;
  return it->second;
}

void LmdbTables::forget_from(uint32_t n) {
  std::lock_guard<std::mutex> lock(mu_);
  for (uint32_t i = n; i < count(); ++i) ids_.erase(names_[i]);
  count_.store(n, std::memory_order_release);
}

Result<uint64_t> ReadAppliedLsn(MDB_txn* txn, MDB_dbi meta) {
  MDB_val k = Val(kAppliedLsnKey), v;
  int rc = mdb_get(txn, meta, &k, &v);
  if (rc == MDB_NOTFOUND) return uint64_t{0};
  if (rc != 0) return LmdbError(rc, "cannot read the applied log position");
  uint64_t x = 0;
  if (v.mv_size == 8) std::memcpy(&x, v.mv_data, 8);
  return x;
}

int PutAppliedLsn(MDB_txn* txn, MDB_dbi meta, uint64_t lsn) {
  MDB_val k = Val(kAppliedLsnKey);
  MDB_val v{8, &lsn};
  return mdb_put(txn, meta, &k, &v, 0);
}

}  // namespace commerce::lmdb
