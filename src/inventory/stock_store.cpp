#include "inventory/stock_store.h"

#include "common/key.h"
#include "events/event_json.h"
#include "events/event_log.h"
#include "inventory/inventory_codec.h"
#include "inventory/warehouse_store.h"

namespace commerce {

std::string StockKey(std::string_view sku, std::string_view warehouse_id) {
  return KeyBuilder().str(sku).str(warehouse_id).key();
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

// Writes the row and appends `type` with the fields every stock event has (sku, warehouse,
// the counts after the change) and `extra`.
Result<StockLevel> Commit(WriteTxn& txn, const Tables& t, StockLevel level, const char* type,
                          const EventExtra& extra, int64_t now_ms) {
  level.updated_at_ms = now_ms;
  COMMERCE_RETURN_IF_ERROR(
      txn.put(t.stock, StockKey(level.sku, level.warehouse_id), EncodeStockLevel(level)));
  EventJson data;
  data.str("sku", level.sku).str("warehouse_id", level.warehouse_id).i64(extra.number_name, extra.number);
  if (!extra.text.empty() || std::string_view(extra.text_name) == "reason") data.str(extra.text_name, extra.text);
  data.i64("on_hand", level.on_hand).i64("reserved", level.reserved);
  COMMERCE_RETURN_IF_ERROR(
      AppendEvent(txn, t.events, type, level.sku, data.done(), now_ms).status());
  return level;
}

}  // namespace

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
  StockLevel level;
  level.sku = std::string(sku);
  level.warehouse_id = std::string(warehouse_id);
  std::string_view bytes;
  const std::string key = StockKey(sku, warehouse_id);
  Status s = view.get(t.stock, key, &bytes);
  if (s.IsNotFound()) return level;
  COMMERCE_RETURN_IF_ERROR(s);
  COMMERCE_RETURN_IF_ERROR(DecodeStockLevel(key, bytes, &level));
  return level;
}

SkuStockRange::SkuStockRange(std::string_view sku)
    : begin(KeyBuilder().str(sku).key()), end(PrefixEnd(begin)) {}

Result<std::vector<StockLevel>> ReadSkuLevels(ReadView& view, const Tables& t,
                                              std::string_view sku) {
  // One range read (not a cursor), so that a PrefetchView can answer it from what it read.
  const SkuStockRange range(sku);
  COMMERCE_ASSIGN_OR_RETURN(ReadResults read, view.read_many({}, {range.read(t)}));
  std::vector<StockLevel> out;
  for (const KeyValue& kv : read.ranges[0]) {
    auto warehouse_id = KeyReader(std::string_view(kv.key).substr(range.begin.size())).str();
    if (!warehouse_id) return Status::Corruption("stock key of sku '" + std::string(sku) + "' does not decode");
    StockLevel level;
    level.sku = std::string(sku);
    level.warehouse_id = std::move(*warehouse_id);
    COMMERCE_RETURN_IF_ERROR(DecodeStockLevel(kv.key, kv.value, &level));
    out.push_back(std::move(level));
  }
  return out;
}

Result<StockLevel> ReceiveInTxn(WriteTxn& txn, const Tables& t, std::string_view sku,
                                std::string_view warehouse_id, int64_t qty, std::string_view ref,
                                int64_t now_ms) {
  COMMERCE_ASSIGN_OR_RETURN(StockLevel level, ReadStockLevel(txn, t, sku, warehouse_id));
  if (qty > kMaxStockLevel - level.on_hand)
    return Status::FailedPrecondition(Where(level) + ": on_hand " + std::to_string(level.on_hand) +
                                      " + " + std::to_string(qty) + " would pass the limit " +
                                      std::to_string(kMaxStockLevel));
  level.on_hand += qty;
  return Commit(txn, t, std::move(level), "StockReceived", QuantityAndRef(qty, ref), now_ms);
}

Result<StockLevel> AdjustInTxn(WriteTxn& txn, const Tables& t, std::string_view sku,
                               std::string_view warehouse_id, int64_t delta,
                               std::string_view reason, int64_t now_ms) {
  COMMERCE_ASSIGN_OR_RETURN(StockLevel level, ReadStockLevel(txn, t, sku, warehouse_id));
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
  level.on_hand = next;
  return Commit(txn, t, std::move(level), "StockAdjusted", EventExtra{"delta", delta, "reason", reason},
                now_ms);
}

Result<StockLevel> ReserveInTxn(WriteTxn& txn, const Tables& t, std::string_view sku,
                                std::string_view warehouse_id, int64_t qty, std::string_view ref,
                                int64_t now_ms) {
  COMMERCE_ASSIGN_OR_RETURN(StockLevel level, ReadStockLevel(txn, t, sku, warehouse_id));
  if (level.available() < qty)
    return Status::OutOfStock("sku '" + level.sku + "': " + std::to_string(level.available()) +
                              " available in warehouse '" + level.warehouse_id + "', " +
                              std::to_string(qty) + " requested");
  level.reserved += qty;
  return Commit(txn, t, std::move(level), "StockReserved", QuantityAndRef(qty, ref), now_ms);
}

Result<StockLevel> ReleaseInTxn(WriteTxn& txn, const Tables& t, std::string_view sku,
                                std::string_view warehouse_id, int64_t qty, std::string_view ref,
                                int64_t now_ms) {
  COMMERCE_ASSIGN_OR_RETURN(StockLevel level, ReadStockLevel(txn, t, sku, warehouse_id));
  if (level.reserved < qty)
    return Status::FailedPrecondition(Where(level) + ": " + std::to_string(level.reserved) +
                                      " reserved, cannot release " + std::to_string(qty));
  level.reserved -= qty;
  return Commit(txn, t, std::move(level), "StockReleased", QuantityAndRef(qty, ref), now_ms);
}

Result<StockLevel> ShipInTxn(WriteTxn& txn, const Tables& t, std::string_view sku,
                             std::string_view warehouse_id, int64_t qty, std::string_view ref,
                             int64_t now_ms) {
  COMMERCE_ASSIGN_OR_RETURN(StockLevel level, ReadStockLevel(txn, t, sku, warehouse_id));
  if (level.reserved < qty)
    return Status::FailedPrecondition(Where(level) + ": " + std::to_string(level.reserved) +
                                      " reserved, cannot ship " + std::to_string(qty));
  level.reserved -= qty;
  level.on_hand -= qty;  // on_hand >= reserved >= qty before: stays >= 0
  return Commit(txn, t, std::move(level), "StockShipped", QuantityAndRef(qty, ref), now_ms);
}

}  // namespace commerce
