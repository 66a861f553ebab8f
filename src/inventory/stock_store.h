// Stock inside a transaction: reading levels and changing them, each change with its event.
// The public API (inventory.cpp) and orders (order placement reserves, cancel releases,
// shipping ships, a return restocks) share these functions, so every path keeps the same
// invariant and writes the same events.
//
// Table `stock`: KeyBuilder().str(sku).str(warehouse_id) -> StockLevel counts
// (inventory_codec.h). Keyed SKU first, so a SKU's stock in every warehouse is one prefix
// scan. A missing row is zero stock.
//
// A split stock (Inventory::split_stock, for a flash sale) has no such row but N slot rows,
// keyed .u64(slot) after it (slots 0..N-1), each a counters record of its own: the stock is
// their sum. Every function here reads and changes split stock as that sum: a change that one
// slot cannot hold is spread over several in the same write (Spread), and its events name the
// slot they changed ("slot"), with that slot's counts.
//
// Invariant kept by every writer: 0 <= reserved <= on_hand <= kMaxStockLevel, so available
// (on_hand - reserved) is never negative and sums over warehouses never overflow.
//
// Thread safety: these functions run inside one transaction, on that transaction's thread.
//
// The change functions check only the counts. What the public API checks besides — that the
// SKU and the warehouse exist, that the warehouse is active — is CheckStockTarget, because
// orders have checked those already (or must not: a cancelled order releases stock in a
// warehouse deactivated since).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "commerce/inventory.h"
#include "commerce/storage.h"
#include "engine/engine_core.h"

namespace commerce {

inline constexpr int64_t kMaxStockLevel = int64_t{1} << 62;
inline constexpr size_t kMaxStockRefBytes = 128;
inline constexpr size_t kMaxAdjustReasonBytes = 200;

// The key of a row of `stock`, and of one slot of a split stock.
std::string StockKey(std::string_view sku, std::string_view warehouse_id);
std::string StockSlotKey(std::string_view sku, std::string_view warehouse_id, int64_t slot);

// A stored stock row: the (SKU, warehouse) row (slot -1) or one slot of a split stock.
struct StockRow {
  StockLevel level;
  int64_t slot = -1;
};

// The rows of one (SKU, warehouse): none, its one row, or its slots in slot order. One point
// read when the stock is not split; a range read after it when there is no plain row.
// Corruption when the slots are not 0..N-1 or sit beside a plain row.
Result<std::vector<StockRow>> ReadStockRows(ReadView& view, const Tables& t, std::string_view sku,
                                            std::string_view warehouse_id);

// The sum of `rows` (one (SKU, warehouse)), with slots = how many slots (0 when not split).
StockLevel SumStockRows(std::string_view sku, std::string_view warehouse_id,
                        std::span<const StockRow> rows);

// Where `qty` units go among slots with room[i] free each: from slot `start` on, round the
// ring, as much as each holds. REQUIRES: the rooms sum to at least qty.
std::vector<int64_t> Spread(const std::vector<int64_t>& room, int64_t qty, size_t start);

// The slot a stock call's holder starts from: a stable hash of its ref, so that holds of
// different refs start on different slots. (Orders start from their process's home slot
// instead: stock_home_slot.h.)
size_t StartSlot(std::string_view holder, size_t slots);

// OK when 1 <= qty <= kMaxQuantity; InvalidArgument naming `what` otherwise.
Status CheckQuantity(std::string_view what, int64_t qty);

// The product id that owns `sku`; NotFound naming the SKU when none does.
Result<std::string> SkuOwner(ReadView& view, const Tables& t, std::string_view sku);

// For the public API: NotFound for an unknown SKU or warehouse; FailedPrecondition when
// `require_active` and the warehouse is inactive.
Status CheckStockTarget(ReadView& view, const Tables& t, std::string_view sku,
                        std::string_view warehouse_id, bool require_active);

// One row; zero counts when there is none.
Result<StockLevel> ReadStockLevel(ReadView& view, const Tables& t, std::string_view sku,
                                  std::string_view warehouse_id);
// The rows of `stock` that hold `sku`: [begin, end), for ReadView::read_many.
struct SkuStockRange {
  explicit SkuStockRange(std::string_view sku);
  RangeRead read(const Tables& t) const { return {t.stock, begin, end}; }
  std::string begin, end;
};

// Every row of `sku`, by warehouse id then slot: one range read.
Result<std::vector<StockRow>> ReadSkuRows(ReadView& view, const Tables& t, std::string_view sku);
// The stock of `sku` in each warehouse, by warehouse id (a split stock summed): one range read.
Result<std::vector<StockLevel>> ReadSkuLevels(ReadView& view, const Tables& t,
                                              std::string_view sku);
// The same from rows ReadSkuRows read, so that a caller that needs the rows too reads and
// decodes them once. Corruption when a warehouse's rows are not one plain row or slots 0..N-1.
Result<std::vector<StockLevel>> SkuLevelsOfRows(std::string_view sku,
                                                std::span<const StockRow> rows);

// on_hand += qty; StockReceived. `ref` (may be empty) names why, e.g. the order a return
// came from. FailedPrecondition past kMaxStockLevel.
Result<StockLevel> ReceiveInTxn(WriteTxn& txn, const Tables& t, std::string_view sku,
                                std::string_view warehouse_id, int64_t qty, std::string_view ref,
                                int64_t now_ms);
// on_hand += delta; StockAdjusted with the reason. FailedPrecondition when on_hand would drop
// below reserved or zero, or pass kMaxStockLevel.
Result<StockLevel> AdjustInTxn(WriteTxn& txn, const Tables& t, std::string_view sku,
                               std::string_view warehouse_id, int64_t delta,
                               std::string_view reason, int64_t now_ms);
// reserved += qty; StockReserved. OutOfStock naming the SKU, the warehouse and what is
// available when available < qty.
Result<StockLevel> ReserveInTxn(WriteTxn& txn, const Tables& t, std::string_view sku,
                                std::string_view warehouse_id, int64_t qty, std::string_view ref,
                                int64_t now_ms);
// reserved -= qty; StockReleased. FailedPrecondition when fewer are reserved.
Result<StockLevel> ReleaseInTxn(WriteTxn& txn, const Tables& t, std::string_view sku,
                                std::string_view warehouse_id, int64_t qty, std::string_view ref,
                                int64_t now_ms);
// reserved -= qty and on_hand -= qty; StockShipped. FailedPrecondition when fewer are
// reserved.
Result<StockLevel> ShipInTxn(WriteTxn& txn, const Tables& t, std::string_view sku,
                             std::string_view warehouse_id, int64_t qty, std::string_view ref,
                             int64_t now_ms);

}  // namespace commerce
