// What the LMDB driver checks before liblmdb reads pages of a read snapshot.
//
// LMDB aborts the process when a cursor steps onto a damaged page (mdb_cassert "IS_LEAF" in
// mdb_cursor_next, "NUMKEYS > 1" in mdb_page_search_root) and reads wherever a damaged node
// points. A guard checks, with lmdb_pages.h, the pages LMDB is about to enter — the path of a
// seek, the leaf a step moves onto — and the bounds of every key and value LMDB returns; what
// is damaged becomes Corruption naming the table and the page, and LMDB is not called.
//
// Cost: a seek checks the pages of its path (the tree's depth, a light check each: header,
// bounds, node offsets); a step checks only when it leaves a leaf (about one step in fifty);
// every key and value costs two comparisons. Write transactions are not guarded: their dirty
// pages are not in the map. What stays unguarded is in docs/guarantees.md.
//
// Thread safety: a guard belongs to one cursor or one read, like the txn it checks.
#pragma once

#include <lmdb.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "commerce/status.h"
#include "storage/lmdb/lmdb_pages.h"

namespace commerce {

// The checks on a store's files before LMDB opens it (lmdb_pages.h's CheckLmdbFile: meta
// pages, length, main and free trees, table roots), plus one the log can answer: a store
// whose data.mdb is missing or empty while its log starts past LSN 1 has lost its data file —
// Corruption, never opened as a new, empty store. `dir` is the store's directory.
Status CheckLmdbStoreBeforeOpen(const std::string& dir);

class LmdbGuard {
 public:
  // The environment's map as the driver last set it up (its address moves when the map grows,
  // which no read transaction outlives). A guard with no map checks nothing.
  struct Map {
    const char* base = nullptr;
    uint32_t psize = 0;
    size_t bytes = 0;
  };
  // Where LMDB mapped `file`: liblmdb does not say (mdb_env_info's me_mapaddr is the fixed
  // address of MDB_FIXEDMAP, 0 otherwise), so the process's own map table (/proc/self/maps)
  // is asked for the mapping of the file's inode at offset 0. An empty map when not found.
  static Map FindMap(const std::string& file, uint32_t psize, size_t bytes);
  // `txn` is a read transaction of `env`; `table` a table's name in it.
  LmdbGuard(MDB_env* env, MDB_txn* txn, std::string_view table, Map map)
      : env_(env), txn_(txn), table_(table), map_(map) {}

  // Before MDB_SET_RANGE to `key` (kKey), MDB_FIRST (kFirst) or MDB_LAST (kLast); `neighbour`
  // is the direction LMDB may go on to the next leaf (SET_RANGE past a leaf's last key: +1).
  Status BeforeSeek(lmdb_pages::Target target, std::string_view key, int neighbour);
  // Before MDB_NEXT (forward) or MDB_PREV from the entry whose key LMDB returned as `key`:
  // checks the next leaf when the entry is the last (first) of its leaf.
  Status BeforeStep(const MDB_val& key, bool forward);
  // A key and value LMDB returned: inside their page, or (a value) on overflow pages that are
  // in the file and say so.
  Status CheckEntry(const MDB_val& key, const MDB_val& value) {
    COMMERCE_RETURN_IF_ERROR(CheckKey(key));
    return CheckValue(value);
  }
  Status CheckKey(const MDB_val& key);
  Status CheckValue(const MDB_val& value);

 private:
  Status Load();  // the last page in the file and the table's root, once
  Status Damaged(const std::string& what) const;
  std::optional<uint64_t> Offset(const MDB_val& v) const;  // into the map, if inside it

  MDB_env* env_;
  MDB_txn* txn_;
  std::string_view table_;  // REQUIRES: outlives the guard (the driver's table names do)
  Map map_;
  bool loaded_ = false;
  lmdb_pages::PageSource src_;
  lmdb_pages::LmdbDb db_;
};

}  // namespace commerce
