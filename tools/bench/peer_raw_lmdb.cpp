#include "peer_raw_lmdb.h"

#include <lmdb.h>

namespace commerce::bench {

namespace {

MDB_val Val(std::string_view s) { return MDB_val{s.size(), const_cast<char*>(s.data())}; }

bool Fail(int rc, const char* what, std::string* error) {
  *error = std::string("raw-lmdb: ") + what + ": " + mdb_strerror(rc);
  return false;
}

}  // namespace

std::unique_ptr<RawLmdb> RawLmdb::Open(const std::string& dir, size_t map_size, std::string* error) {
  std::unique_ptr<RawLmdb> db(new RawLmdb);
  int rc = mdb_env_create(&db->env_);
  if (rc != 0) return Fail(rc, "mdb_env_create", error), nullptr;
  rc = mdb_env_set_mapsize(db->env_, map_size);
  if (rc != 0) return Fail(rc, "mdb_env_set_mapsize", error), nullptr;
  // Room for one reader per benchmark thread and then some.
  rc = mdb_env_set_maxreaders(db->env_, 1024);
  if (rc != 0) return Fail(rc, "mdb_env_set_maxreaders", error), nullptr;
  // Default flags: durable commits (fsync of the data and of the meta page at every commit).
  rc = mdb_env_open(db->env_, dir.c_str(), 0, 0644);
  if (rc != 0) return Fail(rc, "mdb_env_open", error), nullptr;
  MDB_txn* txn;
  rc = mdb_txn_begin(db->env_, nullptr, 0, &txn);
  if (rc != 0) return Fail(rc, "mdb_txn_begin", error), nullptr;
  MDB_dbi dbi;
  rc = mdb_dbi_open(txn, nullptr, 0, &dbi);
  if (rc != 0) {
    mdb_txn_abort(txn);
    return Fail(rc, "mdb_dbi_open", error), nullptr;
  }
  rc = mdb_txn_commit(txn);
  if (rc != 0) return Fail(rc, "mdb_txn_commit", error), nullptr;
  db->dbi_ = dbi;
  return db;
}

RawLmdb::~RawLmdb() {
  if (env_) mdb_env_close(env_);
}

bool RawLmdb::Load(uint64_t n, const Generator& gen, Progress* progress, std::string* error,
                   uint64_t batch) {
  std::string key, value;
  uint64_t i = 0;
  while (i < n) {
    MDB_txn* txn;
    int rc = mdb_txn_begin(env_, nullptr, 0, &txn);
    if (rc != 0) return Fail(rc, "mdb_txn_begin", error);
    const uint64_t end = std::min(n, i + batch);
    for (; i < end; ++i) {
      gen(i, &key, &value);
      MDB_val k = Val(key), v = Val(value);
      rc = mdb_put(txn, dbi_, &k, &v, 0);
      if (rc != 0) {
        mdb_txn_abort(txn);
        return Fail(rc, "mdb_put", error);
      }
    }
    rc = mdb_txn_commit(txn);
    if (rc != 0) return Fail(rc, "mdb_txn_commit", error);
    if (progress) progress->Update(i);
  }
  int rc = mdb_env_sync(env_, 1);
  if (rc != 0) return Fail(rc, "mdb_env_sync", error);
  return true;
}

bool RawLmdb::Put(std::string_view key, std::string_view value, std::string* error) {
  MDB_txn* txn;
  int rc = mdb_txn_begin(env_, nullptr, 0, &txn);
  if (rc != 0) return Fail(rc, "mdb_txn_begin", error);
  MDB_val k = Val(key), v = Val(value);
  rc = mdb_put(txn, dbi_, &k, &v, 0);
  if (rc != 0) {
    mdb_txn_abort(txn);
    return Fail(rc, "mdb_put", error);
  }
  rc = mdb_txn_commit(txn);
  if (rc != 0) return Fail(rc, "mdb_txn_commit", error);
  return true;
}

std::unique_ptr<RawLmdb::Reader> RawLmdb::NewReader(std::string* error) {
  MDB_txn* txn;
  int rc = mdb_txn_begin(env_, nullptr, MDB_RDONLY, &txn);
  if (rc != 0) return Fail(rc, "mdb_txn_begin(RDONLY)", error), nullptr;
  mdb_txn_reset(txn);  // parked until the first Get renews it
  return std::unique_ptr<Reader>(new Reader(this, txn));
}

RawLmdb::Reader::~Reader() { mdb_txn_abort(txn_); }

bool RawLmdb::Reader::Get(std::string_view key, std::string* value, std::string* error) {
  int rc = mdb_txn_renew(txn_);
  if (rc != 0) return Fail(rc, "mdb_txn_renew", error);
  MDB_val k = Val(key), v;
  rc = mdb_get(txn_, db_->dbi_, &k, &v);
  if (rc == 0) value->assign(static_cast<const char*>(v.mv_data), v.mv_size);
  mdb_txn_reset(txn_);
  if (rc != 0) return Fail(rc, "mdb_get", error);
  return true;
}

uint64_t RawLmdb::Warm(std::string* error) {
  MDB_txn* txn = nullptr;
  int rc = mdb_txn_begin(env_, nullptr, MDB_RDONLY, &txn);
  if (rc != 0) return Fail(rc, "mdb_txn_begin", error), 0;
  MDB_cursor* c = nullptr;
  rc = mdb_cursor_open(txn, dbi_, &c);
  if (rc != 0) {
    mdb_txn_abort(txn);
    return Fail(rc, "mdb_cursor_open", error), 0;
  }
  uint64_t n = 0;
  volatile unsigned char sink = 0;
  MDB_val k, v;
  for (rc = mdb_cursor_get(c, &k, &v, MDB_FIRST); rc == 0; rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
    if (v.mv_size) sink = sink + static_cast<const unsigned char*>(v.mv_data)[v.mv_size - 1];
    ++n;
  }
  mdb_cursor_close(c);
  mdb_txn_abort(txn);
  if (rc != MDB_NOTFOUND) return Fail(rc, "mdb_cursor_get", error), 0;
  return n;
}

}  // namespace commerce::bench
