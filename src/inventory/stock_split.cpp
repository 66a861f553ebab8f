#include "inventory/stock_split.h"

#include "events/event_json.h"
#include "events/event_log.h"
#include "inventory/inventory_codec.h"
#include "inventory/stock_store.h"

namespace commerce {

namespace {

std::string Where(std::string_view sku, std::string_view warehouse_id) {
  return "sku '" + std::string(sku) + "' in warehouse '" + std::string(warehouse_id) + "'";
}

}  // namespace

Result<StockLevel> SplitStockInTxn(WriteTxn& txn, const Tables& t, std::string_view sku,
                                   std::string_view warehouse_id, int32_t slots, int64_t now_ms) {
  COMMERCE_ASSIGN_OR_RETURN(auto rows, ReadStockRows(txn, t, sku, warehouse_id));
  StockLevel total = SumStockRows(sku, warehouse_id, rows);
  if (total.slots > 0)
    return Status::FailedPrecondition(Where(sku, warehouse_id) + ": already split into " +
                                      std::to_string(total.slots) + " slots; merge it first");
  if (!rows.empty()) COMMERCE_RETURN_IF_ERROR(txn.del(t.stock, StockKey(sku, warehouse_id)));
  const int64_t available = total.available(), n = slots;
  EventJson data;
  data.str("sku", sku).str("warehouse_id", warehouse_id).i64("slots", slots);
  data.i64("on_hand", total.on_hand).i64("reserved", total.reserved).begin_array("slot_counts");
  for (int64_t i = 0; i < n; ++i) {
    StockLevel slot;
    slot.sku = total.sku;
    slot.warehouse_id = total.warehouse_id;
    slot.reserved = total.reserved / n + (i < total.reserved % n ? 1 : 0);
    slot.on_hand = slot.reserved + available / n + (i < available % n ? 1 : 0);
    slot.updated_at_ms = now_ms;
    COMMERCE_RETURN_IF_ERROR(
        txn.put(t.stock, StockSlotKey(sku, warehouse_id, i), EncodeStockLevel(slot)));
    data.begin_object().i64("slot", i).i64("on_hand", slot.on_hand).i64("reserved", slot.reserved).end_object();
  }
  data.end_array();
  COMMERCE_RETURN_IF_ERROR(AppendEvent(txn, t.events, "StockSplit", sku, data.done(), now_ms).status());
  total.slots = slots;
  total.updated_at_ms = now_ms;
  return total;
}

Result<StockLevel> MergeStockInTxn(WriteTxn& txn, const Tables& t, std::string_view sku,
                                   std::string_view warehouse_id, int64_t now_ms) {
  COMMERCE_ASSIGN_OR_RETURN(auto rows, ReadStockRows(txn, t, sku, warehouse_id));
  StockLevel total = SumStockRows(sku, warehouse_id, rows);
  if (total.slots == 0)
    return Status::FailedPrecondition(Where(sku, warehouse_id) + ": the stock is not split");
  for (const auto& row : rows)
    COMMERCE_RETURN_IF_ERROR(txn.del(t.stock, StockSlotKey(sku, warehouse_id, row.slot)));
  // Slots hold at most kMaxStockLevel together: each change to one checks the sum (receive,
  // adjust), and a reservation does not raise on_hand.
  const int32_t slots = total.slots;
  total.slots = 0;
  total.updated_at_ms = now_ms;
  COMMERCE_RETURN_IF_ERROR(
      txn.put(t.stock, StockKey(sku, warehouse_id), EncodeStockLevel(total)));
  EventJson data;
  data.str("sku", sku).str("warehouse_id", warehouse_id).i64("slots", slots);
  data.i64("on_hand", total.on_hand).i64("reserved", total.reserved);
  COMMERCE_RETURN_IF_ERROR(AppendEvent(txn, t.events, "StockMerged", sku, data.done(), now_ms).status());
  return total;
}

}  // namespace commerce
