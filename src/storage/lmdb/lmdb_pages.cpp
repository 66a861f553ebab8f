#include "storage/lmdb/lmdb_pages.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>

namespace commerce::lmdb_pages {

static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__ && sizeof(void*) == 8,
              "the layout read here is liblmdb's on 64-bit little-endian machines");

namespace {

constexpr size_t kMetaSize = 136;  // sizeof(MDB_meta) after the page header
constexpr unsigned kMaxDepth = 32;  // CURSOR_STACK: LMDB's own limit
// In-memory page flags LMDB may leave set; they say nothing about the page's shape.
constexpr uint16_t kMemoryFlags = 0x10 | 0x4000 | 0x8000;  // P_DIRTY, P_LOOSE, P_KEEP

uint16_t U16(std::string_view p, size_t off) {
  uint16_t v;
  std::memcpy(&v, p.data() + off, 2);
  return v;
}
uint32_t U32(std::string_view p, size_t off) {
  uint32_t v;
  std::memcpy(&v, p.data() + off, 4);
  return v;
}
uint64_t U64(std::string_view p, size_t off) {
  uint64_t v;
  std::memcpy(&v, p.data() + off, 8);
  return v;
}

uint64_t HeaderPgno(std::string_view p) { return U64(p, 0); }
uint16_t HeaderFlags(std::string_view p) { return static_cast<uint16_t>(U16(p, 10) & ~kMemoryFlags); }
uint16_t Lower(std::string_view p) { return U16(p, 12); }
uint16_t Upper(std::string_view p) { return U16(p, 14); }
uint16_t NodeOffset(std::string_view p, size_t i) { return U16(p, kPageHeader + 2 * i); }
uint16_t NodeFlags(std::string_view p, size_t off) { return U16(p, off + 4); }
uint16_t NodeKeySize(std::string_view p, size_t off) { return U16(p, off + 6); }
uint32_t NodeDataSize(std::string_view p, size_t off) {
  return static_cast<uint32_t>(U16(p, off)) | (static_cast<uint32_t>(U16(p, off + 2)) << 16);
}
uint64_t NodeChild(std::string_view p, size_t off) {
  return static_cast<uint64_t>(U16(p, off)) | (static_cast<uint64_t>(U16(p, off + 2)) << 16) |
         (static_cast<uint64_t>(U16(p, off + 4)) << 32);
}
uint64_t OverflowPagesFor(uint64_t size, uint32_t psize) {  // OVPAGES
  return (kPageHeader - 1 + size) / psize + 1;
}

std::string Hex(uint64_t v) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(v));
  return buf;
}
std::string Page(uint64_t pgno) { return "page " + std::to_string(pgno); }

std::string CheckPageImpl(const PageSource& src, uint64_t pgno, TreeKind kind, bool full) {
  if (pgno < 2) return Page(pgno) + " is a meta page, not part of a tree";
  std::string_view p = src.page(pgno);
  if (p.empty())
    return Page(pgno) + " is past the file's last page " + std::to_string(src.npages - 1);
  const uint64_t named = HeaderPgno(p);
  if (named != pgno)
    return Page(pgno) + ": its header names page " + std::to_string(named) +
           (named == 0 && HeaderFlags(p) == 0 ? " (the page is zeroed)" : " (the page is damaged)");
  const uint16_t flags = HeaderFlags(p);
  if (flags != kBranch && flags != kLeaf)
    return Page(pgno) + ": flags " + Hex(flags) + " make it neither a branch nor a leaf page";
  const uint16_t lower = Lower(p), upper = Upper(p);
  if (lower < kPageHeader || (lower - kPageHeader) % 2 != 0 || upper > src.psize || lower > upper)
    return Page(pgno) + ": free-space bounds " + std::to_string(lower) + ".." +
           std::to_string(upper) + " do not fit a " + std::to_string(src.psize) + "-byte page";
  const size_t n = NumKeys(p);
  const bool branch = flags == kBranch;
  // mdb_page_search_root asserts NUMKEYS > 1 on branch pages except the free tree's.
  if (branch && n < (kind == TreeKind::kFree ? 1u : 2u))
    return Page(pgno) + ": a branch page with " + std::to_string(n) + " children";
  std::string_view prev;
  for (size_t i = 0; i < n; ++i) {
    const size_t off = NodeOffset(p, i);
    // Named only when something is wrong: this loop runs for every node of every page a
    // guarded seek enters, and building the name each time was the guard's largest cost
    // (docs/profiles/orders-place-64.txt: malloc and to_string under CheckPageImpl).
    auto node = [&] { return Page(pgno) + " node " + std::to_string(i); };
    if (off < upper || off % 2 != 0 || off + kNodeHeader > src.psize)
      return node() + ": offset " + std::to_string(off) + " is outside the page's node area";
    const size_t ksize = NodeKeySize(p, off);
    if (off + kNodeHeader + ksize > src.psize)
      return node() + ": a " + std::to_string(ksize) + "-byte key overruns the page";
    std::string_view key = p.substr(off + kNodeHeader, ksize);
    if (branch) {
      const uint64_t child = NodeChild(p, off);
      if (full && (child < 2 || child >= src.npages))
        return node() + ": child page " + std::to_string(child) + " is outside 2.." +
               std::to_string(src.npages - 1);
    } else {
      const uint16_t nflags = NodeFlags(p, off);
      const uint32_t dsize = NodeDataSize(p, off);
      // A DUPDATA node makes LMDB use a sub-cursor that non-DUPSORT trees do not have.
      const uint16_t allowed = kind == TreeKind::kMain ? (kSubData | kBigData) : kBigData;
      if ((nflags & ~allowed) != 0)
        return node() + ": node flags " + Hex(nflags) + " are not used in this tree";
      if (nflags & kSubData) {
        if ((nflags & kBigData) || dsize != kDbRecordSize)
          return node() + ": a table record of " + std::to_string(dsize) + " bytes";
      }
      if (nflags & kBigData) {
        if (off + kNodeHeader + ksize + 8 > src.psize)
          return node() + ": its overflow page number overruns the page";
        if (full) {
          const uint64_t first = U64(p, off + kNodeHeader + ksize);
          const uint64_t need = OverflowPagesFor(dsize, src.psize);
          if (first < 2 || first >= src.npages || need > src.npages - first)
            return node() + ": a " + std::to_string(dsize) + "-byte value on pages " +
                   std::to_string(first) + ".. past the file's end";
          std::string_view ov = src.page(first);
          if (HeaderPgno(ov) != first || !(HeaderFlags(ov) & kOverflow) || U32(ov, 12) < need ||
              U32(ov, 12) > src.npages - first)
            return node() + ": overflow " + Page(first) + " is damaged (header names page " +
                   std::to_string(HeaderPgno(ov)) + ", flags " + Hex(HeaderFlags(ov)) + ", " +
                   std::to_string(U32(ov, 12)) + " pages)";
        }
      } else if (off + kNodeHeader + ksize + dsize > src.psize) {
        return node() + ": a " + std::to_string(dsize) + "-byte value overruns the page";
      }
      if (kind == TreeKind::kFree && ksize != 8)
        return node() + ": a free-page list keyed by " + std::to_string(ksize) + " bytes";
    }
    if (full && (branch ? i >= 2 : i >= 1) && CompareKeys(kind, prev, key) >= 0)
      return node() + ": keys out of order";
    prev = key;
  }
  return "";
}

// The problems of one free-page list (the free tree's values: a count, then that many page
// numbers).
std::string CheckFreeList(const PageSource& src, std::string_view v) {
  if (v.size() < 8 || v.size() % 8 != 0) return "a free-page list of " + std::to_string(v.size()) + " bytes";
  // LMDB reserves a list's record before filling it and may leave room unused (mdb.c,
  // mdb_freelist_save): the count may be below the room, never above it.
  const uint64_t count = U64(v, 0);
  if (count > v.size() / 8 - 1)
    return "a free-page list says " + std::to_string(count) + " pages but has room for " +
           std::to_string(v.size() / 8 - 1);
  for (uint64_t i = 1; i <= count; ++i) {
    uint64_t pg = U64(v, 8 * i);
    if (pg < 2 || pg >= src.npages)
      return "free page " + std::to_string(pg) + " is outside 2.." + std::to_string(src.npages - 1);
  }
  return "";
}

struct MetaPage {
  bool ok = false;
  std::string why;
  LmdbMeta meta;
};

MetaPage ReadMeta(int fd, uint64_t offset, int index) {
  MetaPage out;
  char buf[kPageHeader + kMetaSize];
  ssize_t n = ::pread(fd, buf, sizeof buf, static_cast<off_t>(offset));
  if (n != static_cast<ssize_t>(sizeof buf)) {
    out.why = "meta page " + std::to_string(index) + " is missing (the file ends at " +
              std::to_string(offset + std::max<ssize_t>(n, 0)) + " bytes)";
    return out;
  }
  std::string_view p(buf, sizeof buf);
  const std::string name = "meta page " + std::to_string(index);
  if (HeaderPgno(p) != static_cast<uint64_t>(index) || !(U16(p, 10) & kMeta)) {
    out.why = name + " is not a meta page (header names page " + std::to_string(HeaderPgno(p)) +
              ", flags " + Hex(U16(p, 10)) + ")";
    return out;
  }
  std::string_view m = p.substr(kPageHeader);
  if (U32(m, 0) != kMagic) {
    out.why = name + " has magic " + Hex(U32(m, 0)) + ", not LMDB's " + Hex(kMagic);
    return out;
  }
  if (U32(m, 4) != kDataVersion) {
    out.why = name + " has format version " + std::to_string(U32(m, 4)) + ", not " +
              std::to_string(kDataVersion);
    return out;
  }
  out.meta.mapsize = U64(m, 16);
  out.meta.free_db = *LmdbDb::Parse(m.substr(24, kDbRecordSize));
  out.meta.main_db = *LmdbDb::Parse(m.substr(24 + kDbRecordSize, kDbRecordSize));
  out.meta.psize = out.meta.free_db.pad;
  out.meta.last_pg = U64(m, 120);
  out.meta.txnid = U64(m, 128);
  const uint32_t ps = out.meta.psize;
  if (ps < 512 || ps > 65536 || (ps & (ps - 1)) != 0) {
    out.why = name + " has page size " + std::to_string(ps);
    return out;
  }
  out.ok = true;
  return out;
}

std::string CheckDbRecord(const LmdbDb& db, uint64_t npages, const std::string& name) {
  if (db.root == kNoPage) {
    if (db.depth != 0 || db.entries != 0)
      return name + " has no root page but depth " + std::to_string(db.depth) + " and " +
             std::to_string(db.entries) + " entries";
    return "";
  }
  if (db.root < 2 || db.root >= npages)
    return name + "'s root page " + std::to_string(db.root) + " is outside 2.." +
           std::to_string(npages - 1);
  if (db.depth == 0 || db.depth > kMaxDepth)
    return name + " has depth " + std::to_string(db.depth);
  return "";
}

class FileMap {
 public:
  ~FileMap() {
    if (base_) ::munmap(base_, len_);
  }
  bool Map(int fd, size_t len) {
    void* p = ::mmap(nullptr, len, PROT_READ, MAP_SHARED, fd, 0);
    if (p == MAP_FAILED) return false;
    base_ = p;
    len_ = len;
    return true;
  }
  const char* base() const { return static_cast<const char*>(base_); }

 private:
  void* base_ = nullptr;
  size_t len_ = 0;
};

}  // namespace

std::optional<LmdbDb> LmdbDb::Parse(std::string_view b) {
  if (b.size() != kDbRecordSize) return std::nullopt;
  LmdbDb db;
  db.pad = U32(b, 0);
  db.flags = U16(b, 4);
  db.depth = U16(b, 6);
  db.branch_pages = U64(b, 8);
  db.leaf_pages = U64(b, 16);
  db.overflow_pages = U64(b, 24);
  db.entries = U64(b, 32);
  db.root = U64(b, 40);
  return db;
}

size_t NumKeys(std::string_view page) { return (Lower(page) - kPageHeader) >> 1; }

uint64_t ChildPage(std::string_view page, size_t index) { return NodeChild(page, NodeOffset(page, index)); }

// mdb_cmp_memn for the main tree and tables (memcmp, then the shorter first), mdb_cmp_long
// for the free tree's MDB_INTEGERKEY keys.
int CompareKeys(TreeKind kind, std::string_view a, std::string_view b) {
  if (kind == TreeKind::kFree && a.size() == 8 && b.size() == 8) {
    uint64_t x = U64(a, 0), y = U64(b, 0);
    return x < y ? -1 : x > y;
  }
  int c = std::memcmp(a.data(), b.data(), std::min(a.size(), b.size()));
  if (c != 0) return c;
  return a.size() < b.size() ? -1 : a.size() > b.size();
}

size_t ChildFor(std::string_view p, TreeKind kind, std::string_view key) {
  size_t lo = 1, hi = NumKeys(p);  // the first node in [1, n) whose key is > key
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (CompareKeys(kind, NodeKey(p, mid), key) <= 0) lo = mid + 1;
    else hi = mid;
  }
  return lo - 1;
}
bool IsLeaf(std::string_view page) { return HeaderFlags(page) == kLeaf; }

std::string_view NodeKey(std::string_view page, size_t index) {
  const size_t off = NodeOffset(page, index);
  return page.substr(off + kNodeHeader, NodeKeySize(page, off));
}

std::optional<std::string_view> NodeValue(const PageSource& src, std::string_view page,
                                          size_t index, std::string* why) {
  const size_t off = NodeOffset(page, index);
  const size_t ksize = NodeKeySize(page, off);
  const uint32_t dsize = NodeDataSize(page, off);
  if (!(NodeFlags(page, off) & kBigData)) return page.substr(off + kNodeHeader + ksize, dsize);
  const uint64_t first = U64(page, off + kNodeHeader + ksize);
  const uint64_t need = OverflowPagesFor(dsize, src.psize);
  if (first < 2 || first >= src.npages || need > src.npages - first) {
    *why = "a " + std::to_string(dsize) + "-byte value on pages " + std::to_string(first) +
           ".. past the file's end";
    return std::nullopt;
  }
  std::string_view ov = src.page(first);
  if (HeaderPgno(ov) != first || !(HeaderFlags(ov) & kOverflow) || U32(ov, 12) < need) {
    *why = "overflow " + Page(first) + " is damaged";
    return std::nullopt;
  }
  return std::string_view(ov.data() + kPageHeader, dsize);
}

std::string CheckPage(const PageSource& src, uint64_t pgno, TreeKind kind) {
  return CheckPageImpl(src, pgno, kind, /*full=*/true);
}

std::string CheckPathTo(const PageSource& src, const LmdbDb& db, TreeKind kind, Target target,
                        std::string_view key, int neighbour) {
  if (db.root == kNoPage) return "";
  if (db.depth == 0 || db.depth > kMaxDepth)
    return "the tree's record gives depth " + std::to_string(db.depth);
  struct Level {
    std::string_view page;
    size_t index;
  };
  Level path[kMaxDepth];
  // A light check of each page entered: what LMDB reads on its way down (bounds, node
  // offsets and flags), not the order of keys. Leaves must be where the tree's depth says.
  auto enter = [&](uint64_t pg, unsigned level, std::string_view* out) -> std::string {
    std::string bad = CheckPageImpl(src, pg, kind, /*full=*/false);
    if (!bad.empty()) return bad;
    *out = src.page(pg);
    const bool leaf = IsLeaf(*out);
    if (leaf != (level == db.depth))
      return Page(pg) + " is a " + (leaf ? "leaf" : "branch") + " page at level " +
             std::to_string(level) + " of a tree " + std::to_string(db.depth) + " deep";
    return "";
  };
  uint64_t pg = db.root;
  for (unsigned level = 1;; ++level) {
    std::string_view p;
    std::string bad = enter(pg, level, &p);
    if (!bad.empty()) return bad;
    if (level == db.depth) break;
    const size_t n = NumKeys(p);
    size_t i = target == Target::kFirst ? 0 : target == Target::kLast ? n - 1 : ChildFor(p, kind, key);
    path[level - 1] = {p, i};
    pg = NodeChild(p, NodeOffset(p, i));
  }
  if (neighbour == 0) return "";
  // The deepest level with a sibling on that side, then down its nearest edge.
  unsigned level = db.depth - 1;
  while (level > 0) {
    const Level& l = path[level - 1];
    if (neighbour > 0 ? l.index + 1 < NumKeys(l.page) : l.index > 0) break;
    --level;
  }
  if (level == 0) return "";  // the leaf is the tree's last (first): nothing beyond
  const Level& l = path[level - 1];
  pg = NodeChild(l.page, NodeOffset(l.page, neighbour > 0 ? l.index + 1 : l.index - 1));
  for (unsigned d = level + 1;; ++d) {
    std::string_view p;
    std::string bad = enter(pg, d, &p);
    if (!bad.empty()) return bad;
    if (d == db.depth) return "";
    pg = NodeChild(p, NodeOffset(p, neighbour > 0 ? 0 : NumKeys(p) - 1));
  }
}

void WalkTree(const PageSource& src, const LmdbDb& db, TreeKind kind, std::vector<bool>* seen,
              const std::function<bool(std::string_view, std::string_view)>& visit,
              std::vector<TreeProblem>* problems, TreeCounts* counts, size_t max_problems) {
  *counts = {};
  auto problem = [&](uint64_t pgno, std::string what) {
    if (problems->size() < max_problems) problems->push_back({pgno, std::move(what)});
  };
  if (db.root == kNoPage) return;
  if (db.depth == 0 || db.depth > kMaxDepth) {
    problem(0, "the tree's record gives depth " + std::to_string(db.depth));
    return;
  }
  // Depth-first, left to right, with each subtree's key bounds: [lo, hi) from the parent's
  // separators (has_lo/has_hi false at the tree's edges).
  struct Frame {
    uint64_t pgno;
    unsigned level;  // the root is 1
    std::string lo, hi;
    bool has_lo, has_hi;
  };
  std::vector<Frame> stack{{db.root, 1, "", "", false, false}};
  uint16_t leaf_depth = 0;
  bool stopped = false;
  while (!stack.empty() && !stopped && problems->size() < max_problems) {
    Frame f = std::move(stack.back());
    stack.pop_back();
    if (f.pgno < seen->size()) {
      if ((*seen)[f.pgno]) {
        problem(f.pgno, Page(f.pgno) + " is reached twice (from two parents or two trees)");
        continue;
      }
      (*seen)[f.pgno] = true;
    }
    std::string bad = CheckPageImpl(src, f.pgno, kind, /*full=*/true);
    if (!bad.empty()) {
      problem(f.pgno, bad);
      continue;
    }
    std::string_view p = src.page(f.pgno);
    const size_t n = NumKeys(p);
    if (IsLeaf(p) != (f.level == db.depth)) {
      problem(f.pgno, Page(f.pgno) + " is a " + (IsLeaf(p) ? "leaf" : "branch") +
                          " page at level " + std::to_string(f.level) + " of a tree " +
                          std::to_string(db.depth) + " deep");
      continue;
    }
    auto in_bounds = [&](std::string_view k) {
      return (!f.has_lo || CompareKeys(kind, k, f.lo) >= 0) &&
             (!f.has_hi || CompareKeys(kind, k, f.hi) < 0);
    };
    if (!IsLeaf(p)) {
      ++counts->branch_pages;
      // Children pushed right to left, so they are visited left to right.
      for (size_t i = n; i-- > 0;) {
        Frame c{NodeChild(p, NodeOffset(p, i)), f.level + 1, f.lo, f.hi, f.has_lo, f.has_hi};
        if (i > 0) {
          std::string_view sep = NodeKey(p, i);
          if (!in_bounds(sep)) problem(f.pgno, Page(f.pgno) + " node " + std::to_string(i) +
                                                   ": a separator outside the parent's range");
          c.lo.assign(sep);
          c.has_lo = true;
        }
        if (i + 1 < n) {
          c.hi.assign(NodeKey(p, i + 1));
          c.has_hi = true;
        }
        stack.push_back(std::move(c));
      }
      continue;
    }
    ++counts->leaf_pages;
    leaf_depth = static_cast<uint16_t>(f.level);
    for (size_t i = 0; i < n && !stopped; ++i) {
      std::string_view key = NodeKey(p, i);
      if (!in_bounds(key)) {
        problem(f.pgno, Page(f.pgno) + " node " + std::to_string(i) +
                            ": a key outside the range its parent gives this page");
        continue;
      }
      std::string why;
      auto value = NodeValue(src, p, i, &why);
      if (!value) {
        problem(f.pgno, Page(f.pgno) + " node " + std::to_string(i) + ": " + why);
        continue;
      }
      const size_t off = NodeOffset(p, i);
      if (NodeFlags(p, off) & kBigData) {
        const uint64_t first = U64(p, off + kNodeHeader + key.size());
        const uint64_t pages = U32(src.page(first), 12);
        counts->overflow_pages += pages;
        for (uint64_t k = first; k < first + pages && k < seen->size(); ++k) {
          if ((*seen)[k]) problem(k, "overflow " + Page(k) + " is also used elsewhere");
          (*seen)[k] = true;
        }
      }
      if (kind == TreeKind::kFree) {
        std::string bad_list = CheckFreeList(src, *value);
        if (!bad_list.empty()) {
          problem(f.pgno, Page(f.pgno) + " node " + std::to_string(i) + ": " + bad_list);
          continue;  // visitors may trust the lists they are given
        }
      }
      ++counts->entries;
      if (visit && !visit(key, *value)) stopped = true;
    }
  }
  counts->depth = leaf_depth;
  if (stopped || problems->size() >= max_problems) return;
  auto mismatch = [&](const char* what, uint64_t stored, uint64_t found) {
    if (stored != found)
      problem(0, std::string("the tree's record says ") + std::to_string(stored) + " " + what +
                     ", the walk found " + std::to_string(found));
  };
  mismatch("entries", db.entries, counts->entries);
  mismatch("branch pages", db.branch_pages, counts->branch_pages);
  mismatch("leaf pages", db.leaf_pages, counts->leaf_pages);
  mismatch("overflow pages", db.overflow_pages, counts->overflow_pages);
}

Result<LmdbFileInfo> CheckLmdbFile(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    int e = errno;
    if (e == ENOENT) return Status::NotFound(path + " does not exist");
    return Status::Unavailable("cannot open " + path + ": " + std::strerror(e));
  }
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  struct stat st;
  if (::fstat(fd, &st) != 0) return Status::Unavailable("cannot stat " + path + ": " + std::strerror(errno));
  LmdbFileInfo info;
  info.file_size = static_cast<uint64_t>(st.st_size);
  auto corrupt = [&](const std::string& what) {
    return Status::Corruption("LMDB file " + path + " is damaged: " + what +
                              " (commerce verify --data DIR lists every damaged page; restore the store "
                              "from a backup)");
  };

  // LMDB makes a new environment in an empty file (mdb_env_read_header finds nothing to
  // read): that is a new store, not a damaged one. Whether a store that had data lost its
  // file is for the caller to tell (the driver asks its log).
  if (info.file_size == 0) return Status::NotFound(path + " is empty");
  MetaPage m0 = ReadMeta(fd, 0, 0);
  if (!m0.ok) return corrupt(m0.why);
  MetaPage m1 = ReadMeta(fd, m0.meta.psize, 1);
  if (!m1.ok) return corrupt(m1.why);
  if (m0.meta.psize != m1.meta.psize)
    return corrupt("the meta pages disagree on the page size (" + std::to_string(m0.meta.psize) +
                   " and " + std::to_string(m1.meta.psize) + ")");
  // Transaction N writes meta page N % 2; a fresh file has txnid 0 on both.
  for (const MetaPage* m : {&m0, &m1}) {
    const int index = m == &m0 ? 0 : 1;
    if (m->meta.txnid != 0 && m->meta.txnid % 2 != static_cast<uint64_t>(index))
      return corrupt("meta page " + std::to_string(index) + " holds transaction " +
                     std::to_string(m->meta.txnid) + ", which LMDB writes to the other page");
  }
  if (m0.meta.txnid == m1.meta.txnid && m0.meta.txnid != 0)
    return corrupt("both meta pages hold transaction " + std::to_string(m0.meta.txnid));
  info.meta_page = m1.meta.txnid > m0.meta.txnid ? 1 : 0;
  info.meta = info.meta_page == 1 ? m1.meta : m0.meta;
  const LmdbMeta& meta = info.meta;
  const uint64_t npages = meta.last_pg + 1;
  if (meta.last_pg < 1 || meta.last_pg > info.file_size)  // a page is at least 512 bytes
    return corrupt("the meta page's last page " + std::to_string(meta.last_pg) + " is impossible");
  if (info.file_size < npages * meta.psize)
    return corrupt("the file is " + std::to_string(info.file_size) + " bytes but its meta page " +
                   "uses " + std::to_string(npages) + " pages of " + std::to_string(meta.psize) +
                   " bytes (" + std::to_string(npages * meta.psize) + " bytes): it was truncated");
  for (const auto& [db, name] : {std::pair{&meta.free_db, "the free-page tree"},
                                 std::pair{&meta.main_db, "the main tree"}}) {
    std::string bad = CheckDbRecord(*db, npages, name);
    if (!bad.empty()) return corrupt(bad);
  }

  FileMap map;
  if (!map.Map(fd, npages * meta.psize))
    return Status::Unavailable("cannot map " + path + ": " + std::strerror(errno));
  PageSource src{map.base(), meta.psize, npages};
  std::vector<bool> seen(npages, false);
  std::vector<TreeProblem> problems;
  TreeCounts counts;
  WalkTree(src, meta.free_db, TreeKind::kFree, &seen, nullptr, &problems, &counts, 1);
  if (!problems.empty()) return corrupt("the free-page tree: " + problems[0].what);
  std::vector<std::pair<std::string, LmdbDb>> tables;
  std::string bad_table;
  WalkTree(
      src, meta.main_db, TreeKind::kMain, &seen,
      [&](std::string_view key, std::string_view value) {
        auto db = LmdbDb::Parse(value);
        if (!db) {
          bad_table = "main tree entry '" + std::string(key) + "' is not a table";
          return false;
        }
        tables.emplace_back(std::string(key), *db);
        return true;
      },
      &problems, &counts, 1);
  if (!problems.empty()) return corrupt("the main tree: " + problems[0].what);
  if (!bad_table.empty()) return corrupt(bad_table);
  for (const auto& [name, db] : tables) {
    std::string bad = CheckDbRecord(db, npages, "table '" + name + "'");
    if (bad.empty() && db.flags != 0)
      bad = "table '" + name + "' has LMDB flags " + Hex(db.flags) + ", which commerce never sets";
    if (bad.empty() && db.root != kNoPage) {
      bad = CheckPage(src, db.root, TreeKind::kTable);
      if (!bad.empty()) bad = "table '" + name + "': root " + bad;
    }
    if (!bad.empty()) return corrupt(bad);
  }
  info.tables = std::move(tables);
  return info;
}

}  // namespace commerce::lmdb_pages
