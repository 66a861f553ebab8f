#include "engine/store_format.h"

#include <vector>

#include "common/key.h"
#include "engine/engine_core.h"
#include "inventory/inventory_codec.h"
#include "inventory/stock_counters.h"

namespace commerce {

std::string FormatKey(const char* what) { return KeyBuilder().str("format").str(what).key(); }
std::string UpgradeKey(const char* what) { return KeyBuilder().str("upgrade").str(what).key(); }

namespace {

std::string U64(uint64_t v) { return KeyBuilder().u64(v).key(); }

Result<uint64_t> ReadFormat(ReadView& view, const Tables& t, const char* what) {
  std::string_view v;
  Status s = view.get(t.meta, FormatKey(what), &v);
  if (s.IsNotFound()) return uint64_t{1};
  COMMERCE_RETURN_IF_ERROR(s);
  KeyReader r(v);
  auto n = r.u64();
  if (!n || !r.done())
    return Status::Corruption("meta: the " + std::string(what) + " format does not decode (" +
                              std::to_string(v.size()) + " bytes)");
  return *n;
}

// One batch: the format 1 rows after `after` (up to kUpgradeBatch rows scanned), rewritten,
// and the place reached. Returns the last key scanned, or "" when the table is done.
Result<std::string> UpgradeStockBatch(EngineCore& core, const std::string& after,
                                      uint64_t* rewritten) {
  const Tables& t = core.tables;
  std::string last;
  std::vector<KeyValue> rows;  // format 1 rows, as read
  bool done = false;
  {
    COMMERCE_ASSIGN_OR_RETURN(auto snapshot, core.storage->read());
    auto c = snapshot->cursor(t.stock);
    size_t scanned = 0;
    for (after.empty() ? c->seek_to_first() : c->seek(after); c->valid(); c->next()) {
      if (c->key() == after) continue;
      if (scanned++ == kUpgradeBatch) break;
      last.assign(c->key());
      if (IsStockFormat1(c->value())) rows.push_back({last, std::string(c->value())});
    }
    COMMERCE_RETURN_IF_ERROR(c->status());
    done = !c->valid();
  }
  uint64_t n = 0;
  COMMERCE_RETURN_IF_ERROR(core.storage->write([&](WriteTxn& txn) -> Status {
    n = 0;
    for (const KeyValue& row : rows) {
      // Read again inside the write: a row changed since the scan is already format 2.
      std::string_view current;
      Status s = txn.get(t.stock, row.key, &current);
      if (s.IsNotFound()) continue;
      COMMERCE_RETURN_IF_ERROR(s);
      if (!IsStockFormat1(current)) continue;
      StockLevel level;
      COMMERCE_RETURN_IF_ERROR(DecodeStockLevel(row.key, current, &level));
      COMMERCE_RETURN_IF_ERROR(txn.put(t.stock, row.key, EncodeStockLevel(level)));
      ++n;
    }
    if (done) {
      COMMERCE_RETURN_IF_ERROR(txn.del(t.meta, UpgradeKey("stock")));
      return txn.put(t.meta, FormatKey("stock"), U64(kStockFormat));
    }
    return txn.put(t.meta, UpgradeKey("stock"), last);
  }));
  *rewritten += n;
  return done ? std::string() : last;
}

}  // namespace

Status UpgradeStore(EngineCore& core, UpgradeStats* stats) {
  UpgradeStats local;
  UpgradeStats& st = stats ? *stats : local;
  const Tables& t = core.tables;
  std::string after;
  {
    COMMERCE_ASSIGN_OR_RETURN(auto snapshot, core.storage->read());
    COMMERCE_ASSIGN_OR_RETURN(uint64_t format, ReadFormat(*snapshot, t, "stock"));
    if (format == kStockFormat) return Status::OK();
    if (format > kStockFormat)
      return Status::FailedPrecondition(
          "the store's stock is in format " + std::to_string(format) + ", written by a newer "
          "version of commerce; this version reads format " + std::to_string(kStockFormat) +
          " and older");
    std::string_view resume;
    Status s = snapshot->get(t.meta, UpgradeKey("stock"), &resume);
    if (s.ok()) after.assign(resume);
    else if (!s.IsNotFound()) return s;
  }
  for (;;) {
    COMMERCE_ASSIGN_OR_RETURN(after, UpgradeStockBatch(core, after, &st.rows_rewritten));
    ++st.batches;
    if (after.empty()) return Status::OK();
  }
}

}  // namespace commerce
