#include "storage/lmdb/lmdb_guard.h"

#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>

namespace commerce {

namespace pages = lmdb_pages;

Status CheckLmdbStoreBeforeOpen(const std::string& dir) {
  const std::string file = dir + "/data.mdb";
  auto info = pages::CheckLmdbFile(file);
  if (info.ok() || !info.status().IsNotFound()) return info.status();
  // No data file, or an empty one (LMDB would make a new store). The log's segments are named
  // by the LSN of their first record (wal.h); a store that ever checkpointed starts past 1.
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(dir + "/wal", ec)) {
    const std::string name = e.path().filename().string();
    if (name.size() != 24 || !name.ends_with(".log")) continue;
    const uint64_t first = std::strtoull(name.c_str(), nullptr, 10);
    if (first > 1)
      return Status::Corruption("LMDB file " + file + " is missing or empty, but the store's log "
                                "starts at record " + std::to_string(first) +
                                ": the data file was lost or truncated (restore the store from a "
                                "backup; opening it would start an empty store)");
  }
  return Status::OK();
}

LmdbGuard::Map LmdbGuard::FindMap(const std::string& file, uint32_t psize, size_t bytes) {
  struct stat st;
  if (::stat(file.c_str(), &st) != 0) return {};
  std::ifstream maps("/proc/self/maps");
  std::string line;
  while (std::getline(maps, line)) {
    // start-end perms offset major:minor inode path
    unsigned long long start = 0, end = 0, offset = 0, inode = 0;
    char perms[8];
    unsigned major = 0, minor = 0;
    if (std::sscanf(line.c_str(), "%llx-%llx %7s %llx %x:%x %llu", &start, &end, perms, &offset,
                    &major, &minor, &inode) != 7)
      continue;
    if (inode == st.st_ino && major == ::major(st.st_dev) && minor == ::minor(st.st_dev) &&
        offset == 0 && end - start >= bytes)
      return {reinterpret_cast<const char*>(start), psize, bytes};
  }
  return {};
}

Status LmdbGuard::Damaged(const std::string& what) const {
  return Status::Corruption("data.mdb, table '" + std::string(table_) + "': " + what +
                            " (LMDB would abort here; commerce verify --data DIR lists every damaged page; "
                            "restore the store from a backup)");
}

Status LmdbGuard::Load() {
  if (loaded_) return Status::OK();
  if (!map_.base) return Status::Internal("the LMDB map was not found");
  MDB_envinfo info;
  if (mdb_env_info(env_, &info) != 0) return Status::Internal("cannot read the LMDB environment's state");
  // Pages up to the newest meta's last page are in the file: LMDB writes them before the meta
  // that names them, and the open checks saw the file hold every page its meta names.
  src_ = {map_.base, map_.psize, std::min<uint64_t>(info.me_last_pgno + 1, map_.bytes / map_.psize)};
  // The table's root in this snapshot: its record in the main tree.
  MDB_dbi main;
  if (mdb_dbi_open(txn_, nullptr, 0, &main) != 0) return Status::Internal("cannot open LMDB's main tree");
  const std::string name(table_);  // NUL-free, as LMDB's main tree keys tables
  MDB_val k{name.size(), const_cast<char*>(name.data())}, v;
  int rc = mdb_get(txn_, main, &k, &v);
  if (rc == MDB_NOTFOUND) {
    db_ = {};  // created after this snapshot: empty here
  } else if (rc != 0) {
    return Damaged(std::string("its record in the main tree cannot be read: ") + mdb_strerror(rc));
  } else {
    auto db = pages::LmdbDb::Parse({static_cast<const char*>(v.mv_data), v.mv_size});
    if (!db) return Damaged("its record in the main tree is " + std::to_string(v.mv_size) + " bytes");
    db_ = *db;
  }
  loaded_ = true;
  return Status::OK();
}

Status LmdbGuard::BeforeSeek(pages::Target target, std::string_view key, int neighbour) {
  if (!map_.base) return Status::OK();
  COMMERCE_RETURN_IF_ERROR(Load());
  std::string bad = pages::CheckPathTo(src_, db_, pages::TreeKind::kTable, target, key, neighbour);
  return bad.empty() ? Status::OK() : Damaged(bad);
}

Status LmdbGuard::BeforeStep(const MDB_val& key, bool forward) {
  if (!map_.base) return Status::OK();
  COMMERCE_RETURN_IF_ERROR(Load());
  const char* base = src_.base;
  const char* p = static_cast<const char*>(key.mv_data);
  const uint64_t map_bytes = src_.npages * src_.psize;
  if (p < base || static_cast<uint64_t>(p - base) >= map_bytes)
    return Damaged("a key outside the file");
  const uint64_t pgno = static_cast<uint64_t>(p - base) / src_.psize;
  std::string_view page = src_.page(pgno);
  // Which node the key belongs to: a leaf node holds its key right after its 8-byte header.
  const size_t node = static_cast<size_t>(p - page.data()) - pages::kNodeHeader;
  const size_t n = pages::NumKeys(page);
  if (n == 0) return Damaged("page " + std::to_string(pgno) + " has no entries");
  uint16_t edge;
  std::memcpy(&edge, page.data() + pages::kPageHeader + 2 * (forward ? n - 1 : 0), 2);
  if (edge != node) return Status::OK();  // the step stays on this leaf
  std::string bad = pages::CheckPathTo(src_, db_, pages::TreeKind::kTable, pages::Target::kKey,
                                       {p, key.mv_size}, forward ? 1 : -1);
  return bad.empty() ? Status::OK() : Damaged(bad);
}

std::optional<uint64_t> LmdbGuard::Offset(const MDB_val& v) const {
  const char* p = static_cast<const char*>(v.mv_data);
  if (p < map_.base || static_cast<uint64_t>(p - map_.base) >= map_.bytes) return std::nullopt;
  return static_cast<uint64_t>(p - map_.base);
}

// Inline keys and values are checked against their page alone (no lookups: this runs for
// every read); only an overflow value needs the file's last page.
Status LmdbGuard::CheckKey(const MDB_val& key) {
  if (!map_.base) return Status::OK();
  auto k = Offset(key);
  if (!k || *k % map_.psize + key.mv_size > map_.psize) return Damaged("a key runs outside its page");
  return Status::OK();
}

Status LmdbGuard::CheckValue(const MDB_val& value) {
  if (!map_.base) return Status::OK();
  auto v = Offset(value);
  if (!v) {
    if (value.mv_size == 0) return Status::OK();
    return Damaged("a value outside the file");
  }
  const uint64_t in_page = *v % map_.psize;
  if (in_page != pages::kPageHeader) {
    if (in_page + value.mv_size > map_.psize)
      return Damaged("a " + std::to_string(value.mv_size) + "-byte value runs outside its page " +
                     std::to_string(*v / map_.psize));
    return Status::OK();
  }
  // Only an overflow value starts right after a page header (a leaf's nodes sit above its
  // pointer array): its first page must say it is one, and hold the value.
  COMMERCE_RETURN_IF_ERROR(Load());
  const uint64_t first = *v / map_.psize;
  std::string_view ov = src_.page(first);
  uint64_t named = 0;
  uint16_t flags = 0;
  uint32_t count = 0;
  if (!ov.empty()) {
    std::memcpy(&named, ov.data(), 8);
    std::memcpy(&flags, ov.data() + 10, 2);
    std::memcpy(&count, ov.data() + 12, 4);
  }
  if (ov.empty() || named != first || !(flags & pages::kOverflow) || count > src_.npages - first ||
      static_cast<uint64_t>(count) * map_.psize - pages::kPageHeader < value.mv_size)
    return Damaged("overflow page " + std::to_string(first) + " is damaged");
  return Status::OK();
}

}  // namespace commerce
