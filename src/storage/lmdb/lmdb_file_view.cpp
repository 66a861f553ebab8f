#include "storage/lmdb/lmdb_file_view.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "storage/error_cursor.h"

namespace commerce {

namespace pages = lmdb_pages;

namespace {

// Index of the first key >= `key` in a leaf (n when none).
size_t LowerBound(std::string_view leaf, std::string_view key) {
  size_t lo = 0, hi = pages::NumKeys(leaf);
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (pages::CompareKeys(pages::TreeKind::kTable, pages::NodeKey(leaf, mid), key) < 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

}  // namespace

// A cursor as LMDB's: a stack of (page, index) from the root to a leaf, every page checked
// as it is entered.
class LmdbFileCursor final : public Cursor {
 public:
  LmdbFileCursor(const LmdbFileView* v, Table t, bool reverse)
      : v_(v), db_(v->dbs_[t.id]), name_(v->names_[t.id]), reverse_(reverse) {}

  bool valid() const override { return valid_; }
  void seek(std::string_view target) override {
    Reset();
    if (target.empty()) {
      // Every key is >= "" and none is <= "".
      if (!reverse_) seek_to_first();
      return;
    }
    if (db_.root == pages::kNoPage || !DescendTo(target)) return;
    Level& leaf = stack_.back();
    const size_t n = pages::NumKeys(leaf.page);
    if (!reverse_) {
      leaf.index = LowerBound(leaf.page, target);
      if (leaf.index < n) return Load();
      leaf.index = n == 0 ? 0 : n - 1;  // past this leaf's keys: the next leaf's first
      return Step(true);
    }
    // The last key <= target: one before the first key > target.
    size_t i = LowerBound(leaf.page, target);
    if (i < n && pages::CompareKeys(pages::TreeKind::kTable, pages::NodeKey(leaf.page, i), target) == 0)
      ++i;
    if (i > 0) {
      leaf.index = i - 1;
      return Load();
    }
    leaf.index = 0;
    Step(false);
  }
  void seek_to_first() override {
    Reset();
    if (db_.root == pages::kNoPage) return;
    if (!DescendEdge(db_.root, 1, /*leftmost=*/!reverse_)) return;
    if (pages::NumKeys(stack_.back().page) == 0) return;
    Load();
  }
  void next() override {
    if (valid_) Step(!reverse_);
  }
  std::string_view key() const override { return key_; }
  std::string_view value() const override { return value_; }
  Status status() const override { return status_; }

 private:
  struct Level {
    std::string_view page;
    size_t index;
  };

  void Reset() {
    stack_.clear();
    valid_ = false;
  }
  bool Fail(const std::string& what) {
    status_ = Status::Corruption("data.mdb, table '" + name_ + "': " + what +
                                 " (restore the store from a backup)");
    valid_ = false;
    stack_.clear();
    return false;
  }
  // Checks page `pgno` at `level` (the root is 1) and pushes it.
  bool Enter(uint64_t pgno, size_t level) {
    std::string bad = pages::CheckPage(v_->src_, pgno, pages::TreeKind::kTable);
    if (!bad.empty()) return Fail(bad);
    std::string_view p = v_->src_.page(pgno);
    if (pages::IsLeaf(p) != (level == db_.depth))
      return Fail("page " + std::to_string(pgno) + " is at the wrong level of the tree");
    stack_.push_back({p, 0});
    return true;
  }
  bool DescendTo(std::string_view key) {
    if (!Enter(db_.root, 1)) return false;
    while (!pages::IsLeaf(stack_.back().page)) {
      Level& l = stack_.back();
      l.index = pages::ChildFor(l.page, pages::TreeKind::kTable, key);
      if (!Enter(pages::ChildPage(l.page, l.index), stack_.size() + 1)) return false;
    }
    return true;
  }
  bool DescendEdge(uint64_t pgno, size_t level, bool leftmost) {
    if (!Enter(pgno, level)) return false;
    for (;;) {
      Level& l = stack_.back();
      const size_t n = pages::NumKeys(l.page);
      l.index = leftmost || n == 0 ? 0 : n - 1;
      if (pages::IsLeaf(l.page)) return true;
      if (!Enter(pages::ChildPage(l.page, l.index), stack_.size() + 1)) return false;
    }
  }
  // One entry forward or back, across leaves.
  void Step(bool forward) {
    Level& leaf = stack_.back();
    const size_t n = pages::NumKeys(leaf.page);
    if (forward ? leaf.index + 1 < n : leaf.index > 0) {
      leaf.index += forward ? 1 : -1;
      return Load();
    }
    // Up to the nearest level with a sibling on that side, then down its edge.
    size_t level = stack_.size() - 1;
    while (level > 0) {
      const Level& l = stack_[level - 1];
      if (forward ? l.index + 1 < pages::NumKeys(l.page) : l.index > 0) break;
      --level;
    }
    if (level == 0) {
      valid_ = false;
      return;
    }
    stack_.resize(level);
    Level& parent = stack_.back();
    parent.index += forward ? 1 : -1;
    if (!DescendEdge(pages::ChildPage(parent.page, parent.index), level + 1, forward)) return;
    if (pages::NumKeys(stack_.back().page) == 0) return Step(forward);
    Load();
  }
  void Load() {
    const Level& leaf = stack_.back();
    std::string why;
    auto v = pages::NodeValue(v_->src_, leaf.page, leaf.index, &why);
    if (!v) {
      Fail(why);
      return;
    }
    key_ = pages::NodeKey(leaf.page, leaf.index);
    value_ = *v;
    valid_ = true;
  }

  const LmdbFileView* v_;
  const pages::LmdbDb db_;
  const std::string name_;
  const bool reverse_;
  std::vector<Level> stack_;
  bool valid_ = false;
  Status status_;
  std::string_view key_, value_;
};

Result<std::unique_ptr<LmdbFileView>> LmdbFileView::Open(const std::string& path,
                                                         const pages::LmdbFileInfo& info) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Status::Unavailable("cannot open " + path + ": " + std::strerror(errno));
  const uint64_t npages = info.meta.last_pg + 1;
  const size_t len = npages * info.meta.psize;
  void* map = ::mmap(nullptr, len, PROT_READ, MAP_SHARED, fd, 0);
  const int err = errno;
  ::close(fd);
  if (map == MAP_FAILED) return Status::Unavailable("cannot map " + path + ": " + std::strerror(err));
  std::unique_ptr<LmdbFileView> v(new LmdbFileView());
  v->map_ = map;
  v->map_len_ = len;
  v->src_ = {static_cast<const char*>(map), info.meta.psize, npages};
  for (const auto& [name, db] : info.tables) {
    v->names_.push_back(name);
    v->dbs_.push_back(db);
  }
  return v;
}

LmdbFileView::~LmdbFileView() {
  if (map_) ::munmap(map_, map_len_);
}

Table LmdbFileView::table(const std::string& name) {
  for (size_t i = 0; i < names_.size(); ++i)
    if (names_[i] == name) return Table{static_cast<uint32_t>(i)};
  names_.push_back(name);
  dbs_.push_back({});  // no root: empty
  return Table{static_cast<uint32_t>(names_.size() - 1)};
}

Status LmdbFileView::get(Table t, std::string_view key, std::string_view* value) {
  if (t.id >= dbs_.size()) return Status::InvalidArgument("unknown table id " + std::to_string(t.id));
  LmdbFileCursor c(this, t, /*reverse=*/false);
  c.seek(key);
  COMMERCE_RETURN_IF_ERROR(c.status());
  if (!c.valid() || c.key() != key) return Status::NotFound("key not found");
  *value = c.value();
  return Status::OK();
}

std::unique_ptr<Cursor> LmdbFileView::cursor(Table t, CursorOptions options) {
  if (t.id >= dbs_.size()) {
    return std::make_unique<ErrorCursor>(Status::InvalidArgument("unknown table"));
  }
  return std::make_unique<LmdbFileCursor>(this, t, options.reverse);
}

}  // namespace commerce
