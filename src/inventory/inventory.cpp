// The public inventory API (inventory.h): input checks before any write, then one mutation
// per call built from warehouse_store.h and stock_store.h.
#include "commerce/inventory.h"

#include "common/ids.h"
#include "engine/engine_core.h"
#include "inventory/stock_split.h"
#include "inventory/stock_store.h"
#include "inventory/warehouse_store.h"

namespace commerce {

namespace {

Status CheckSkuAndWarehouse(std::string_view sku, std::string_view warehouse_id) {
  COMMERCE_RETURN_IF_ERROR(CheckIdentifier("sku", sku, 64));
  return CheckIdentifier("warehouse_id", warehouse_id, 64);
}

// The checks every stock change shares: ids, quantity and ref shapes.
Status CheckStockOp(std::string_view sku, std::string_view warehouse_id, int64_t qty,
                    std::string_view ref) {
  COMMERCE_RETURN_IF_ERROR(CheckSkuAndWarehouse(sku, warehouse_id));
  COMMERCE_RETURN_IF_ERROR(CheckQuantity("qty", qty));
  return CheckIdentifier("ref", ref, kMaxStockRefBytes);
}

using StockOp = Result<StockLevel> (*)(WriteTxn&, const Tables&, std::string_view,
                                       std::string_view, int64_t, std::string_view, int64_t);

// One stock change as its own mutation. Receiving and reserving need an active warehouse:
// an inactive one keeps its stock but takes no new stock or holds. Releasing and shipping do
// not, so holds made before a warehouse closed can still be let go or sent out.
Result<StockLevel> RunStockOp(EngineCore* core, StockOp op, bool require_active,
                              std::string_view sku, std::string_view warehouse_id, int64_t qty,
                              std::string_view ref) {
  const Tables& t = core->tables;
  const int64_t now = EngineCore::NowMs();
  StockLevel out;
  COMMERCE_RETURN_IF_ERROR(core->Write([&](WriteTxn& txn) -> Status {
    COMMERCE_RETURN_IF_ERROR(CheckStockTarget(txn, t, sku, warehouse_id, require_active));
    COMMERCE_ASSIGN_OR_RETURN(out, op(txn, t, sku, warehouse_id, qty, ref, now));
    return Status::OK();
  }));
  return out;
}

}  // namespace

Result<Warehouse> Inventory::upsert_warehouse(const Warehouse& w) {
  COMMERCE_RETURN_IF_ERROR(ValidateWarehouse(w));
  const Tables& t = core_->tables;
  const int64_t now = EngineCore::NowMs();
  COMMERCE_RETURN_IF_ERROR(
      core_->Write([&](WriteTxn& txn) { return UpsertWarehouseInTxn(txn, t, w, now); }));
  return w;
}

Result<Warehouse> Inventory::get_warehouse(std::string_view id) {
  COMMERCE_RETURN_IF_ERROR(CheckIdentifier("id", id, 64));
  COMMERCE_ASSIGN_OR_RETURN(auto txn, core_->storage->read());
  return GetWarehouse(*txn, core_->tables, id);
}

Result<std::vector<Warehouse>> Inventory::list_warehouses() {
  COMMERCE_ASSIGN_OR_RETURN(auto txn, core_->storage->read());
  return ListWarehouses(*txn, core_->tables);
}

Result<StockLevel> Inventory::receive(std::string_view sku, std::string_view warehouse_id,
                                      int64_t qty) {
  COMMERCE_RETURN_IF_ERROR(CheckSkuAndWarehouse(sku, warehouse_id));
  COMMERCE_RETURN_IF_ERROR(CheckQuantity("qty", qty));
  return RunStockOp(core_, &ReceiveInTxn, /*require_active=*/true, sku, warehouse_id, qty, "");
}

Result<StockLevel> Inventory::adjust(std::string_view sku, std::string_view warehouse_id,
                                     int64_t delta, std::string_view reason) {
  COMMERCE_RETURN_IF_ERROR(CheckSkuAndWarehouse(sku, warehouse_id));
  if (delta == 0 || delta > kMaxQuantity || delta < -kMaxQuantity)
    return Status::InvalidArgument("delta: " + std::to_string(delta) +
                                   "; expected a non-zero change of at most " +
                                   std::to_string(kMaxQuantity) + " either way");
  COMMERCE_RETURN_IF_ERROR(CheckIdentifier("reason", reason, kMaxAdjustReasonBytes));
  const Tables& t = core_->tables;
  const int64_t now = EngineCore::NowMs();
  StockLevel out;
  // Adjusting an inactive warehouse is allowed: counting or writing off what it still holds
  // is how one is closed down.
  COMMERCE_RETURN_IF_ERROR(core_->Write([&](WriteTxn& txn) -> Status {
    COMMERCE_RETURN_IF_ERROR(CheckStockTarget(txn, t, sku, warehouse_id, false));
    COMMERCE_ASSIGN_OR_RETURN(out, AdjustInTxn(txn, t, sku, warehouse_id, delta, reason, now));
    return Status::OK();
  }));
  return out;
}

Result<StockLevel> Inventory::reserve(std::string_view sku, std::string_view warehouse_id,
                                      int64_t qty, std::string_view ref) {
  COMMERCE_RETURN_IF_ERROR(CheckStockOp(sku, warehouse_id, qty, ref));
  return RunStockOp(core_, &ReserveInTxn, true, sku, warehouse_id, qty, ref);
}

Result<StockLevel> Inventory::release(std::string_view sku, std::string_view warehouse_id,
                                      int64_t qty, std::string_view ref) {
  COMMERCE_RETURN_IF_ERROR(CheckStockOp(sku, warehouse_id, qty, ref));
  return RunStockOp(core_, &ReleaseInTxn, false, sku, warehouse_id, qty, ref);
}

Result<StockLevel> Inventory::ship(std::string_view sku, std::string_view warehouse_id,
                                   int64_t qty, std::string_view ref) {
  COMMERCE_RETURN_IF_ERROR(CheckStockOp(sku, warehouse_id, qty, ref));
  return RunStockOp(core_, &ShipInTxn, false, sku, warehouse_id, qty, ref);
}

Result<StockLevel> Inventory::split_stock(std::string_view sku, std::string_view warehouse_id,
                                          int32_t slots) {
  COMMERCE_RETURN_IF_ERROR(CheckSkuAndWarehouse(sku, warehouse_id));
  if (slots < 2 || slots > kMaxStockSlots)
    return Status::InvalidArgument("slots: " + std::to_string(slots) + "; expected 2.." +
                                   std::to_string(kMaxStockSlots));
  const Tables& t = core_->tables;
  const int64_t now = EngineCore::NowMs();
  StockLevel out;
  // An inactive warehouse may be split too: it is how a sale is prepared before it opens.
  COMMERCE_RETURN_IF_ERROR(core_->Write([&](WriteTxn& txn) -> Status {
    COMMERCE_RETURN_IF_ERROR(CheckStockTarget(txn, t, sku, warehouse_id, false));
    COMMERCE_ASSIGN_OR_RETURN(out, SplitStockInTxn(txn, t, sku, warehouse_id, slots, now));
    return Status::OK();
  }));
  return out;
}

Result<StockLevel> Inventory::merge_stock(std::string_view sku, std::string_view warehouse_id) {
  COMMERCE_RETURN_IF_ERROR(CheckSkuAndWarehouse(sku, warehouse_id));
  const Tables& t = core_->tables;
  const int64_t now = EngineCore::NowMs();
  StockLevel out;
  COMMERCE_RETURN_IF_ERROR(core_->Write([&](WriteTxn& txn) -> Status {
    COMMERCE_RETURN_IF_ERROR(CheckStockTarget(txn, t, sku, warehouse_id, false));
    COMMERCE_ASSIGN_OR_RETURN(out, MergeStockInTxn(txn, t, sku, warehouse_id, now));
    return Status::OK();
  }));
  return out;
}

Result<SkuStock> Inventory::get(std::string_view sku) {
  COMMERCE_RETURN_IF_ERROR(CheckIdentifier("sku", sku, 64));
  COMMERCE_ASSIGN_OR_RETURN(auto txn, core_->storage->read());
  const Tables& t = core_->tables;
  SkuStock out;
  out.sku = std::string(sku);
  COMMERCE_ASSIGN_OR_RETURN(out.levels, ReadSkuLevels(*txn, t, sku));
  // Stock rows outlive a SKU removed from its product; show them rather than hide units
  // still on shelves. Only a SKU with neither a product nor stock is unknown.
  if (out.levels.empty()) COMMERCE_RETURN_IF_ERROR(SkuOwner(*txn, t, sku).status());
  for (const auto& level : out.levels) {
    out.on_hand += level.on_hand;
    out.reserved += level.reserved;
    auto w = GetWarehouse(*txn, t, level.warehouse_id);
    // A stock row is only written for an existing warehouse, and warehouses are never
    // deleted: a missing one is damage.
    if (w.status().IsNotFound())
      return Status::Corruption("stock of sku '" + out.sku + "' names unknown warehouse '" +
                                level.warehouse_id + "'");
    COMMERCE_RETURN_IF_ERROR(w.status());
    if (w->active) out.available += level.available();
  }
  return out;
}

Result<StockLevel> Inventory::get(std::string_view sku, std::string_view warehouse_id) {
  COMMERCE_RETURN_IF_ERROR(CheckSkuAndWarehouse(sku, warehouse_id));
  COMMERCE_ASSIGN_OR_RETURN(auto txn, core_->storage->read());
  const Tables& t = core_->tables;
  COMMERCE_RETURN_IF_ERROR(CheckStockTarget(*txn, t, sku, warehouse_id, false));
  return ReadStockLevel(*txn, t, sku, warehouse_id);
}

}  // namespace commerce
