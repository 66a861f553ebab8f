// A read-only view of an LMDB store's data.mdb that reads pages itself (lmdb_pages.h) rather
// than through liblmdb, for commerce verify: every page is checked (CheckPage) before it is
// used, so a damaged file gives Corruption from get() or a cursor's status() — never an
// abort, never a read outside the file. It reads the snapshot of the file's current meta
// page, as LMDB would on open; the log's records not yet in data.mdb are not in it.
//
// REQUIRES: no process writes the file while the view lives (commerce verify holds the
// store's lock). Thread safety: one thread at a time, like every ReadTxn.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "commerce/storage.h"
#include "storage/lmdb/lmdb_pages.h"

namespace commerce {

class LmdbFileView final : public ReadTxn {
 public:
  // Maps `path` read-only. `info` comes from CheckLmdbFile (which checked the meta pages and
  // the length the mapping relies on).
  static Result<std::unique_ptr<LmdbFileView>> Open(const std::string& path,
                                                    const lmdb_pages::LmdbFileInfo& info);
  ~LmdbFileView() override;

  // The handle of a table: the tables of `info` first, in its order; an unknown name gets a
  // handle of its own that reads as an empty table.
  Table table(const std::string& name);
  const std::string& table_name(Table t) const { return names_[t.id]; }
  const lmdb_pages::PageSource& pages() const { return src_; }

  Status get(Table t, std::string_view key, std::string_view* value) override;
  std::unique_ptr<Cursor> cursor(Table t, CursorOptions options) override;
  using ReadView::get;

 private:
  LmdbFileView() = default;
  friend class LmdbFileCursor;

  void* map_ = nullptr;
  size_t map_len_ = 0;
  lmdb_pages::PageSource src_;
  std::vector<std::string> names_;
  std::vector<lmdb_pages::LmdbDb> dbs_;
};

}  // namespace commerce
