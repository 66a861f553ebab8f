// LMDB's data file read without trusting it.
//
// LMDB trusts its file. A zeroed or scrambled B-tree page makes it abort (mdb_cassert: "IS_LEAF",
// "NUMKEYS > 1") or read outside the page, and a file shorter than its meta page says makes it
// fault (SIGBUS) — killing the process that embeds the engine, not only failing a call.
// Debian's liblmdb cannot be made to return an error instead. So the driver and the offline
// checker (commerce verify) look before LMDB leaps: this file reads the on-disk format of
// liblmdb 0.9 (mdb.c: MDB_page, MDB_meta, MDB_db, MDB_node; format version 1, 64-bit,
// little-endian) and checks every page number, offset and size before using it.
//
// Map of this file:
//   1. the format's constants and records (LmdbDb = MDB_db, LmdbMeta = MDB_meta)
//   2. CheckLmdbFile: the cheap checks at open (both meta pages, the file's length, the
//      main and free trees, the root page of every table)
//   3. PageSource + CheckPage: one page, checked alone
//   4. CheckPathTo: the pages a cursor is about to enter (the driver's guard, before a seek or
//      a step onto another leaf)
//   5. WalkTree: a whole tree, every page and every entry (commerce verify)
//
// Thread safety: pure functions over memory the caller keeps mapped and unchanged (a read
// transaction's snapshot, or a file no one writes).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "commerce/status.h"

namespace commerce::lmdb_pages {

// ---- 1. the format ---------------------------------------------------------------------

inline constexpr uint32_t kMagic = 0xBEEFC0DE;   // MDB_MAGIC
inline constexpr uint32_t kDataVersion = 1;      // MDB_DATA_VERSION (not MDB_DEVEL)
inline constexpr size_t kPageHeader = 16;        // PAGEHDRSZ
inline constexpr size_t kNodeHeader = 8;         // NODESIZE
inline constexpr uint64_t kNoPage = ~uint64_t{0};  // P_INVALID: the root of an empty tree
inline constexpr size_t kDbRecordSize = 48;      // sizeof(MDB_db)
// Page flags (MDB_page.mp_flags).
inline constexpr uint16_t kBranch = 0x01, kLeaf = 0x02, kOverflow = 0x04, kMeta = 0x08,
                          kLeaf2 = 0x20, kSubPage = 0x40;
// Node flags (MDB_node.mn_flags, leaf nodes).
inline constexpr uint16_t kBigData = 0x01, kSubData = 0x02, kDupData = 0x04;
// The two trees every environment has.
inline constexpr int kFreeDbi = 0, kMainDbi = 1;

// MDB_db: one tree's root and counts.
struct LmdbDb {
  uint32_t pad = 0;  // in meta page's free DB: the page size
  uint16_t flags = 0;
  uint16_t depth = 0;
  uint64_t branch_pages = 0, leaf_pages = 0, overflow_pages = 0, entries = 0;
  uint64_t root = kNoPage;
  // nullopt unless `bytes` is exactly kDbRecordSize long.
  static std::optional<LmdbDb> Parse(std::string_view bytes);
};

// MDB_meta: the start of one snapshot.
struct LmdbMeta {
  uint64_t txnid = 0;
  uint64_t last_pg = 0;  // the last page in use; the file holds pages 0..last_pg
  uint64_t mapsize = 0;
  uint32_t psize = 0;
  LmdbDb free_db, main_db;
};

// ---- 2. open checks ----------------------------------------------------------------------

struct LmdbFileInfo {
  LmdbMeta meta;         // the meta page LMDB will use (the higher txnid)
  int meta_page = 0;     // 0 or 1
  uint64_t file_size = 0;
  // Every table (named database) in the main tree, by name, as of `meta`.
  std::vector<std::pair<std::string, LmdbDb>> tables;
};

// The checks that are cheap enough for every open, done with pread before LMDB maps the file:
//   - both meta pages: page number, P_META, magic, version 1, one page size (a power of two,
//     512..65536) in both, txnids each on its own page's parity (LMDB writes txn N's meta
//     to page N % 2) and not equal unless both 0;
//   - the file holds every page the current meta names: (last_pg + 1) * psize bytes (a
//     shorter file makes LMDB fault with SIGBUS on the missing pages);
//   - the main tree and the free-page tree, walked whole (both are small: one entry per
//     table, one per recent transaction), every page checked (CheckPage) and every free-page
//     list in range;
//   - the root page of every table, checked alone.
// Corruption names `path` and what is wrong; NotFound when the file does not exist.
// `tables_out` etc. come back on success.
Result<LmdbFileInfo> CheckLmdbFile(const std::string& path);

// ---- 3. one page -----------------------------------------------------------------------------

// Pages 0..npages-1 of a file, in memory (LMDB's map, or a read-only mmap of the file).
// REQUIRES: the memory holds npages * psize bytes.
struct PageSource {
  const char* base = nullptr;
  uint32_t psize = 0;
  uint64_t npages = 0;
  // The page, or an empty view when pgno is out of range.
  std::string_view page(uint64_t pgno) const {
    if (pgno >= npages) return {};
    return {base + pgno * psize, psize};
  }
};

// What kind of tree a page belongs to: its keys compare differently (the free tree's are
// native u64s, MDB_INTEGERKEY) and its leaves hold different values.
enum class TreeKind { kFree, kMain, kTable };

// What is wrong with page `pgno` as a node of a tree of `kind` ("" when nothing is), checked
// alone: its header names it; it is a branch or a leaf page, nothing else; its bounds and
// every node lie inside it, 2-byte aligned, above the pointer array; a branch has at least
// two children, each a page number in [2, npages); keys ascend (a branch's first key is
// ignored, as LMDB does); a leaf's values lie inside the page or name overflow pages in
// range; a leaf of the main tree holds table records (F_SUBDATA, 48 bytes), a table's leaf
// never does (commerce opens no DUPSORT tables).
std::string CheckPage(const PageSource& src, uint64_t pgno, TreeKind kind);

// A value's bytes as a leaf node holds them: inline, or on overflow pages (whose header is
// checked: P_OVERFLOW, its page number, enough pages). Empty optional and *why set when the
// node is damaged. REQUIRES: the page passed CheckPage.
std::optional<std::string_view> NodeValue(const PageSource& src, std::string_view page,
                                          size_t index, std::string* why);
std::string_view NodeKey(std::string_view page, size_t index);
size_t NumKeys(std::string_view page);
bool IsLeaf(std::string_view page);
// A branch node's child page number. REQUIRES: a branch page that passed CheckPage.
uint64_t ChildPage(std::string_view page, size_t index);
// The child LMDB follows for `key` in a branch page (mdb_page_search_root's rule: the last
// node whose key is <= key, node 0 counting as smaller than every key).
size_t ChildFor(std::string_view page, TreeKind kind, std::string_view key);
// LMDB's key order in a tree of `kind` (<0, 0, >0).
int CompareKeys(TreeKind kind, std::string_view a, std::string_view b);

// ---- 4. the path a cursor takes ---------------------------------------------------------------

enum class Target { kKey, kFirst, kLast };

// Checks every page from the root of `db` down to the leaf that holds `key` (kKey; for
// kFirst/kLast the leftmost/rightmost leaf), and, when `neighbour` is +1 or -1, every page
// down to the next/previous leaf too — the pages LMDB enters for MDB_SET_RANGE, MDB_FIRST,
// MDB_LAST and for MDB_NEXT/MDB_PREV off the end of a leaf. Each page gets the checks of what
// LMDB reads there (header, bounds, node offsets and flags), and leaves must be exactly
// db.depth levels down. "" when all are sound, else what is wrong with which page. Descends
// by LMDB's own rule, so it visits the pages LMDB would.
std::string CheckPathTo(const PageSource& src, const LmdbDb& db, TreeKind kind, Target target,
                        std::string_view key, int neighbour);

// ---- 5. whole trees ---------------------------------------------------------------------------

struct TreeProblem {
  uint64_t pgno = 0;  // 0 when the problem is the tree's record, not a page
  std::string what;
};

struct TreeCounts {
  uint64_t branch_pages = 0, leaf_pages = 0, overflow_pages = 0, entries = 0;
  uint16_t depth = 0;
};

// Walks the tree `db` of `kind`: every page (CheckPage), keys ascending across pages and
// inside their parent's bounds, every leaf at the same depth, no page reached twice (`seen`,
// indexed by page number, shared across trees so that a page in two trees is caught too),
// counts equal to the record's; in the free tree, every list well formed with its pages in
// range. Calls `visit` for each sound entry in key order (a damaged subtree or entry is
// skipped, reported, and the walk goes on); `visit` returning false stops the walk. Appends
// problems, at most `max_problems` in all.
void WalkTree(const PageSource& src, const LmdbDb& db, TreeKind kind, std::vector<bool>* seen,
              const std::function<bool(std::string_view key, std::string_view value)>& visit,
              std::vector<TreeProblem>* problems, TreeCounts* counts, size_t max_problems = 100);

}  // namespace commerce::lmdb_pages
