#include "inventory/stock_store.h"

#include <algorithm>

#include "common/key.h"
#include "events/event_json.h"
#include "events/event_log.h"
#include "inventory/inventory_codec.h"
#include "inventory/warehouse_store.h"

namespace commerce {

std::string StockKey(std::string_view sku, std::string_view warehouse_id) {
  return KeyBuilder().str(sku).str(warehouse_id).key();
}

std::string StockSlotKey(std::string_view sku, std::string_view warehouse_id, int64_t slot) {
  return KeyBuilder().str(sku).str(warehouse_id).u64(static_cast<uint64_t>(slot)).key();
}

namespace {

std::string Where(const StockLevel& l) {
  return "sku '" + l.sku + "' in warehouse '" + l.warehouse_id + "'";
}

// What a stock event says besides the fields every stock event has: the quantity and the
// holder (receive, reserve, release, ship) or the delta and the reason (adjust).
struct EventExtra {
  const char* number_name;  // "quantity" or "delta"
  int64_t number;
  const char* text_name;    // "ref" (omitted when empty) or "reason" (always present)
  std::string_view text;
};

EventExtra QuantityAndRef(int64_t qty, std::string_view ref) { return {"quantity", qty, "ref", ref}; }

// Writes the row (a slot's when slot >= 0) and appends `type` with the fields every stock
// event has (sku, warehouse, the slot if any, the row's counts after the change) and `extra`.
Result<StockLevel> Commit(WriteTxn& txn, const Tables& t, StockLevel level, const char* type,
                          const EventExtra& extra, int64_t now_ms, int64_t slot = -1) {
  level.updated_at_ms = now_ms;
  const std::string key = slot < 0 ? StockKey(level.sku, level.warehouse_id)
                                   : StockSlotKey(level.sku, level.warehouse_id, slot);
  COMMERCE_RETURN_IF_ERROR(txn.put(t.stock, key, EncodeStockLevel(level)));
  EventJson data;
  data.str("sku", level.sku).str("warehouse_id", level.warehouse_id).i64(extra.number_name, extra.number);
  if (!extra.text.empty() || std::string_view(extra.text_name) == "reason") data.str(extra.text_name, extra.text);
  if (slot >= 0) data.i64("slot", slot);
  data.i64("on_hand", level.on_hand).i64("reserved", level.reserved);
  COMMERCE_RETURN_IF_ERROR(
      AppendEvent(txn, t.events, type, level.sku, data.done(), now_ms).status());
  return level;
}

// Changes the slots of a split stock by takes[i] units each (on_hand += takes[i] * on_hand_per,
// reserved += takes[i] * reserved_per), one event per slot changed (its number is the take
// times number_per), and returns the sum after.
Result<StockLevel> CommitSlots(WriteTxn& txn, const Tables& t, std::vector<StockRow> rows,
                               const std::vector<int64_t>& takes, int64_t on_hand_per,
                               int64_t reserved_per, const char* type, EventExtra extra,
                               int64_t number_per, int64_t now_ms) {
  for (size_t i = 0; i < rows.size(); ++i) {
    if (takes[i] == 0) continue;
    StockLevel& level = rows[i].level;
    level.on_hand += takes[i] * on_hand_per;
    level.reserved += takes[i] * reserved_per;
    extra.number = takes[i] * number_per;
    COMMERCE_ASSIGN_OR_RETURN(level, Commit(txn, t, level, type, extra, now_ms, rows[i].slot));
  }
  return SumStockRows(rows[0].level.sku, rows[0].level.warehouse_id, rows);
}

bool IsSplit(std::span<const StockRow> rows) { return !rows.empty() && rows[0].slot >= 0; }

// Per slot: what is available (on_hand - reserved), or what is reserved.
std::vector<int64_t> AvailableRoom(const std::vector<StockRow>& rows) {
  std::vector<int64_t> room;
  for (const auto& r : rows) room.push_back(r.level.available());
  return room;
}
std::vector<int64_t> ReservedRoom(const std::vector<StockRow>& rows) {
  std::vector<int64_t> room;
  for (const auto& r : rows) room.push_back(r.level.reserved);
  return room;
}

// The slot that takes new units: the one with the fewest available, so a restock refills the
// slot the sale emptied first.
std::vector<int64_t> ToEmptiestSlot(const std::vector<StockRow>& rows, int64_t qty) {
  size_t best = 0;
  for (size_t i = 1; i < rows.size(); ++i)
    if (rows[i].level.available() < rows[best].level.available()) best = i;
  std::vector<int64_t> takes(rows.size(), 0);
  takes[best] = qty;
  return takes;
}

// Decodes the part of a stock key after the SKU: the warehouse id and, for a slot, its number.
Status DecodeStockKeyRest(std::string_view key, std::string_view rest, std::string* warehouse_id,
                          int64_t* slot) {
  KeyReader r(rest);
  auto wh = r.str();
  if (!wh) return Status::Corruption("stock key " + DescribeKey(key) + " does not decode");
  *warehouse_id = std::move(*wh);
  *slot = -1;
  if (r.done()) return Status::OK();
  auto n = r.u64();
  if (!n || !r.done() || *n >= static_cast<uint64_t>(kMaxStockSlots))
    return Status::Corruption("stock key " + DescribeKey(key) + " does not decode (a slot past " +
                              std::to_string(kMaxStockSlots - 1) + "?)");
  *slot = static_cast<int64_t>(*n);
  return Status::OK();
}

// Corruption unless `rows` of one (SKU, warehouse) are one plain row or slots 0..N-1.
Status CheckSlotRun(std::span<const StockRow> rows, size_t begin, size_t end) {
  if (end - begin <= 1 && (begin == end || rows[begin].slot < 0)) return Status::OK();
  for (size_t i = begin; i < end; ++i)
    if (rows[i].slot != static_cast<int64_t>(i - begin))
      return Status::Corruption(
          "stock of sku '" + rows[begin].level.sku + "' in warehouse '" +
          rows[begin].level.warehouse_id + "': " +
          (rows[begin].slot < 0 ? std::string("a plain row beside slot rows")
                                : "slot rows are not 0.." + std::to_string(end - begin - 1)));
  if (end - begin < 2) return Status::Corruption("stock of sku '" + rows[begin].level.sku +
                                                 "' in warehouse '" + rows[begin].level.warehouse_id +
                                                 "': one slot row alone");
  return Status::OK();
}

}  // namespace

StockLevel SumStockRows(std::string_view sku, std::string_view warehouse_id,
                        std::span<const StockRow> rows) {
  StockLevel sum;
  sum.sku = std::string(sku);
  sum.warehouse_id = std::string(warehouse_id);
  for (const auto& r : rows) {
    sum.on_hand += r.level.on_hand;  // each <= 2^62 and at most 64 slots: see split_stock
    sum.reserved += r.level.reserved;
    sum.updated_at_ms = std::max(sum.updated_at_ms, r.level.updated_at_ms);
  }
  sum.slots = IsSplit(rows) ? static_cast<int32_t>(rows.size()) : 0;
  return sum;
}

std::vector<int64_t> Spread(const std::vector<int64_t>& room, int64_t qty, size_t start) {
  std::vector<int64_t> takes(room.size(), 0);
  for (size_t k = 0; k < room.size() && qty > 0; ++k) {
    const size_t i = (start + k) % room.size();
    takes[i] = std::min(std::max<int64_t>(room[i], 0), qty);
    qty -= takes[i];
  }
  return takes;
}

size_t StartSlot(std::string_view holder, size_t slots) {
  uint64_t h = 1469598103934665603ull;  // FNV-1a: the same slot in every process
  for (unsigned char c : holder) h = (h ^ c) * 1099511628211ull;
  return slots == 0 ? 0 : static_cast<size_t>(h % slots);
}

Result<std::vector<StockRow>> ReadStockRows(ReadView& view, const Tables& t, std::string_view sku,
                                            std::string_view warehouse_id) {
  std::vector<StockRow> rows;
  const std::string key = StockKey(sku, warehouse_id);
  std::string_view bytes;
  Status s = view.get(t.stock, key, &bytes);
  if (s.ok()) {
    StockRow& row = rows.emplace_back();
    row.level.sku = std::string(sku);
    row.level.warehouse_id = std::string(warehouse_id);
    COMMERCE_RETURN_IF_ERROR(DecodeStockLevel(key, bytes, &row.level));
    return rows;
  }
  if (!s.IsNotFound()) return s;
  // No plain row: none at all, or a split stock's slots.
  COMMERCE_ASSIGN_OR_RETURN(ReadResults read, view.read_many({}, {{t.stock, key, PrefixEnd(key)}}));
  for (const KeyValue& kv : read.ranges[0]) {
    StockRow row;
    std::string wh;
    COMMERCE_RETURN_IF_ERROR(
        DecodeStockKeyRest(kv.key, std::string_view(kv.key).substr(KeyBuilder().str(sku).key().size()), &wh, &row.slot));
    row.level.sku = std::string(sku);
    row.level.warehouse_id = std::move(wh);
    COMMERCE_RETURN_IF_ERROR(DecodeStockLevel(kv.key, kv.value, &row.level));
    rows.push_back(std::move(row));
  }
  COMMERCE_RETURN_IF_ERROR(CheckSlotRun(rows, 0, rows.size()));
  return rows;
}

Status CheckQuantity(std::string_view what, int64_t qty) {
  if (qty < 1 || qty > kMaxQuantity)
    return Status::InvalidArgument(std::string(what) + ": " + std::to_string(qty) +
                                   "; expected 1.." + std::to_string(kMaxQuantity));
  return Status::OK();
}

Result<std::string> SkuOwner(ReadView& view, const Tables& t, std::string_view sku) {
  std::string_view owner;
  Status s = view.get(t.skus, KeyBuilder().str(sku).key(), &owner);
  if (s.IsNotFound()) return Status::NotFound("sku: no product has sku '" + std::string(sku) + "'");
  COMMERCE_RETURN_IF_ERROR(s);
  return std::string(owner);
}

Status CheckStockTarget(ReadView& view, const Tables& t, std::string_view sku,
                        std::string_view warehouse_id, bool require_active) {
  COMMERCE_RETURN_IF_ERROR(SkuOwner(view, t, sku).status());
  auto w = GetWarehouse(view, t, warehouse_id);
  if (w.status().IsNotFound())
    return Status::NotFound("warehouse_id: no warehouse with id '" + std::string(warehouse_id) + "'");
  COMMERCE_RETURN_IF_ERROR(w.status());
  if (require_active && !w->active)
    return Status::FailedPrecondition("warehouse_id: warehouse '" + std::string(warehouse_id) +
                                      "' is inactive");
  return Status::OK();
}

Result<StockLevel> ReadStockLevel(ReadView& view, const Tables& t, std::string_view sku,
                                  std::string_view warehouse_id) {
  COMMERCE_ASSIGN_OR_RETURN(auto rows, ReadStockRows(view, t, sku, warehouse_id));
  return SumStockRows(sku, warehouse_id, rows);
}

SkuStockRange::SkuStockRange(std::string_view sku)
    : begin(KeyBuilder().str(sku).key()), end(PrefixEnd(begin)) {}

Result<std::vector<StockRow>> ReadSkuRows(ReadView& view, const Tables& t, std::string_view sku) {
  // One range read (not a cursor), so that a PrefetchView can answer it from what it read.
  const SkuStockRange range(sku);
  COMMERCE_ASSIGN_OR_RETURN(ReadResults read, view.read_many({}, {range.read(t)}));
  std::vector<StockRow> out;
  for (const KeyValue& kv : read.ranges[0]) {
    StockRow row;
    row.level.sku = std::string(sku);
    COMMERCE_RETURN_IF_ERROR(DecodeStockKeyRest(kv.key, std::string_view(kv.key).substr(range.begin.size()),
                                                &row.level.warehouse_id, &row.slot));
    COMMERCE_RETURN_IF_ERROR(DecodeStockLevel(kv.key, kv.value, &row.level));
    out.push_back(std::move(row));
  }
  return out;
}

Result<std::vector<StockLevel>> ReadSkuLevels(ReadView& view, const Tables& t,
                                              std::string_view sku) {
  COMMERCE_ASSIGN_OR_RETURN(auto rows, ReadSkuRows(view, t, sku));
  return SkuLevelsOfRows(sku, rows);
}

Result<std::vector<StockLevel>> SkuLevelsOfRows(std::string_view sku,
                                                std::span<const StockRow> rows) {
  std::vector<StockLevel> out;
  // A warehouse's rows are adjacent (its plain row, or its slots in order): sum each run.
  for (size_t begin = 0, end = 0; begin < rows.size(); begin = end) {
    for (end = begin + 1; end < rows.size() && rows[end].level.warehouse_id == rows[begin].level.warehouse_id;)
      ++end;
    COMMERCE_RETURN_IF_ERROR(CheckSlotRun(rows, begin, end));
    out.push_back(SumStockRows(sku, rows[begin].level.warehouse_id,
                               rows.subspan(begin, end - begin)));
  }
  return out;
}

Result<StockLevel> ReceiveInTxn(WriteTxn& txn, const Tables& t, std::string_view sku,
                                std::string_view warehouse_id, int64_t qty, std::string_view ref,
                                int64_t now_ms) {
  COMMERCE_ASSIGN_OR_RETURN(auto rows, ReadStockRows(txn, t, sku, warehouse_id));
  StockLevel level = SumStockRows(sku, warehouse_id, rows);
  if (qty > kMaxStockLevel - level.on_hand)
    return Status::FailedPrecondition(Where(level) + ": on_hand " + std::to_string(level.on_hand) +
                                      " + " + std::to_string(qty) + " would pass the limit " +
                                      std::to_string(kMaxStockLevel));
  if (IsSplit(rows)) {
    auto takes = ToEmptiestSlot(rows, qty);
    return CommitSlots(txn, t, std::move(rows), takes, 1, 0, "StockReceived",
                       QuantityAndRef(qty, ref), 1, now_ms);
  }
  level.on_hand += qty;
  return Commit(txn, t, std::move(level), "StockReceived", QuantityAndRef(qty, ref), now_ms);
}

Result<StockLevel> AdjustInTxn(WriteTxn& txn, const Tables& t, std::string_view sku,
                               std::string_view warehouse_id, int64_t delta,
                               std::string_view reason, int64_t now_ms) {
  COMMERCE_ASSIGN_OR_RETURN(auto rows, ReadStockRows(txn, t, sku, warehouse_id));
  StockLevel level = SumStockRows(sku, warehouse_id, rows);
  // |delta| <= kMaxQuantity and on_hand <= kMaxStockLevel: the sum cannot overflow.
  const int64_t next = level.on_hand + delta;
  if (next < 0 || next < level.reserved)
    return Status::FailedPrecondition(
        Where(level) + ": on_hand " + std::to_string(level.on_hand) + " adjusted by " +
        std::to_string(delta) + " would be " + std::to_string(next) +
        (next < 0 ? ", below zero" : ", below the " + std::to_string(level.reserved) + " reserved"));
  if (next > kMaxStockLevel)
    return Status::FailedPrecondition(Where(level) + ": on_hand would pass the limit " +
                                      std::to_string(kMaxStockLevel));
  const EventExtra extra{"delta", delta, "reason", reason};
  if (IsSplit(rows)) {
    // A count up goes to one slot; a write-off takes what the slots have available, from
    // slot 0 on (the total was checked above).
    if (delta > 0) {
      auto takes = ToEmptiestSlot(rows, delta);
      return CommitSlots(txn, t, std::move(rows), takes, 1, 0, "StockAdjusted", extra, 1, now_ms);
    }
    auto takes = Spread(AvailableRoom(rows), -delta, 0);
    return CommitSlots(txn, t, std::move(rows), takes, -1, 0, "StockAdjusted", extra, -1, now_ms);
  }
  level.on_hand = next;
  return Commit(txn, t, std::move(level), "StockAdjusted", extra, now_ms);
}

Result<StockLevel> ReserveInTxn(WriteTxn& txn, const Tables& t, std::string_view sku,
                                std::string_view warehouse_id, int64_t qty, std::string_view ref,
                                int64_t now_ms) {
  COMMERCE_ASSIGN_OR_RETURN(auto rows, ReadStockRows(txn, t, sku, warehouse_id));
  StockLevel level = SumStockRows(sku, warehouse_id, rows);
  if (level.available() < qty)
    return Status::OutOfStock("sku '" + level.sku + "': " + std::to_string(level.available()) +
                              " available in warehouse '" + level.warehouse_id + "', " +
                              std::to_string(qty) + " requested");
  if (IsSplit(rows)) {
    auto takes = Spread(AvailableRoom(rows), qty, StartSlot(ref, rows.size()));
    return CommitSlots(txn, t, std::move(rows), takes, 0, 1, "StockReserved",
                       QuantityAndRef(qty, ref), 1, now_ms);
  }
  level.reserved += qty;
  return Commit(txn, t, std::move(level), "StockReserved", QuantityAndRef(qty, ref), now_ms);
}

Result<StockLevel> ReleaseInTxn(WriteTxn& txn, const Tables& t, std::string_view sku,
                                std::string_view warehouse_id, int64_t qty, std::string_view ref,
                                int64_t now_ms) {
  COMMERCE_ASSIGN_OR_RETURN(auto rows, ReadStockRows(txn, t, sku, warehouse_id));
  StockLevel level = SumStockRows(sku, warehouse_id, rows);
  if (level.reserved < qty)
    return Status::FailedPrecondition(Where(level) + ": " + std::to_string(level.reserved) +
                                      " reserved, cannot release " + std::to_string(qty));
  if (IsSplit(rows)) {
    // Which slot held the units does not matter: only their sum is the holder's.
    auto takes = Spread(ReservedRoom(rows), qty, StartSlot(ref, rows.size()));
    return CommitSlots(txn, t, std::move(rows), takes, 0, -1, "StockReleased",
                       QuantityAndRef(qty, ref), 1, now_ms);
  }
  level.reserved -= qty;
  return Commit(txn, t, std::move(level), "StockReleased", QuantityAndRef(qty, ref), now_ms);
}

Result<StockLevel> ShipInTxn(WriteTxn& txn, const Tables& t, std::string_view sku,
                             std::string_view warehouse_id, int64_t qty, std::string_view ref,
                             int64_t now_ms) {
  COMMERCE_ASSIGN_OR_RETURN(auto rows, ReadStockRows(txn, t, sku, warehouse_id));
  StockLevel level = SumStockRows(sku, warehouse_id, rows);
  if (level.reserved < qty)
    return Status::FailedPrecondition(Where(level) + ": " + std::to_string(level.reserved) +
                                      " reserved, cannot ship " + std::to_string(qty));
  if (IsSplit(rows)) {
    auto takes = Spread(ReservedRoom(rows), qty, StartSlot(ref, rows.size()));
    return CommitSlots(txn, t, std::move(rows), takes, -1, -1, "StockShipped",
                       QuantityAndRef(qty, ref), 1, now_ms);
  }
  level.reserved -= qty;
  level.on_hand -= qty;  // on_hand >= reserved >= qty before: stays >= 0
  return Commit(txn, t, std::move(level), "StockShipped", QuantityAndRef(qty, ref), now_ms);
}

}  // namespace commerce
