// A ReadView that answers from reads gathered ahead of time.
//
// A request that reads a family of records one key at a time pays a round trip per key on a
// remote store (about 20 per order before this view). PrefetchView lets it say first what it
// is about to read: prefetch() reads those keys and ranges with one ReadView::read_many on
// the view it wraps (one round trip) and keeps them; get() and read_many() then answer what
// was kept from memory and pass the rest on. The code that reads stays as it was, with
// get() and ReadSkuLevels-style range reads; only the prefetch calls are added, one per
// step of what the reads depend on (keys first, then what their values name).
//
// Disabled (a local store, where a get is a memory-map lookup and copies would only cost),
// prefetch() reads nothing and every call passes through.
//
// What was read is never refreshed: REQUIRES that the wrapped view is not written while this
// is in use (a snapshot, or a write transaction whose mutation only reads meanwhile).
// Values are kept as stored; the callers' decoders check each record's checksum as usual.
//
// Thread safety: none; as the view it wraps, it belongs to one thread.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "commerce/storage.h"

namespace commerce {

class PrefetchView final : public ReadView {
 public:
  PrefetchView(ReadView& base, bool enabled) : base_(base), enabled_(enabled) {}

  // Reads, in one read_many, those of `keys` and `ranges` not read before, and keeps them.
  // Errors: read_many's (InvalidArgument for a bad key or too many reads; nothing is kept).
  Status prefetch(const std::vector<KeyRead>& keys, const std::vector<RangeRead>& ranges = {});

  using ReadView::get;
  // A kept value (NotFound when it was absent) or the wrapped view's get.
  Status get(Table table, std::string_view key, std::string_view* value) override;
  std::unique_ptr<Cursor> cursor(Table table, CursorOptions options) override {
    return base_.cursor(table, options);
  }
  // The kept reads from memory, the others with one read_many on the wrapped view (kept too,
  // when enabled).
  Result<ReadResults> read_many(const std::vector<KeyRead>& keys,
                                const std::vector<RangeRead>& ranges = {}) override;

  bool enabled() const { return enabled_; }
  // How many read_many calls reached the wrapped view (for tests).
  size_t batches() const { return batches_; }

 private:
  static std::string KeyOf(Table table, std::string_view key);
  static std::string RangeOf(const RangeRead& r);

  ReadView& base_;
  const bool enabled_;
  std::map<std::string, std::optional<std::string>> values_;  // by KeyOf
  std::map<std::string, std::vector<KeyValue>> ranges_;       // by RangeOf
  size_t batches_ = 0;
};

}  // namespace commerce
