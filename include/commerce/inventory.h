// Inventory across warehouses: per (SKU, warehouse) stock on hand and reserved, with
// available = on_hand - reserved, never negative.
//
// Every change is one group-committed mutation that also appends its event (StockReceived,
// StockAdjusted, StockReserved, StockReleased, StockShipped, WarehouseUpserted) in the same
// transaction. Reservations are made by orders (order.h) inside the order's own mutation;
// reserve/release/ship here are for integrators that hold stock for other reasons (a
// point-of-sale, a marketplace feed) and for fulfilment.
//
// Thread safety: an Inventory (from Engine::inventory()) is safe from any number of threads.
// Concurrent reservations of the same stock are serialised by the writer: never oversold.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "commerce/export.h"
#include "commerce/status.h"

namespace commerce {

class EngineCore;

struct Warehouse {
  std::string id;        // 1..64 printable chars
  std::string name;      // 1..200
  std::string region;    // 1..64, e.g. "us-east": orders shipping to a region prefer its warehouses
  int32_t priority = 0;  // higher first among warehouses of equal preference
  bool active = true;    // an inactive warehouse keeps its stock but is never allocated from

  friend bool operator==(const Warehouse&, const Warehouse&) = default;
};

struct StockLevel {
  std::string sku;
  std::string warehouse_id;
  int64_t on_hand = 0;
  int64_t reserved = 0;
  int64_t available() const { return on_hand - reserved; }
  int64_t updated_at_ms = 0;
  // 0: one stock row; N: split into N slot rows for a flash sale (split_stock), the counts
  // above being their sums.
  int32_t slots = 0;

  friend bool operator==(const StockLevel&, const StockLevel&) = default;
};

// A SKU's stock in every warehouse that has a record for it, read in one snapshot.
struct SkuStock {
  std::string sku;
  std::vector<StockLevel> levels;  // by warehouse id
  int64_t on_hand = 0;
  int64_t reserved = 0;
  int64_t available = 0;  // summed over active warehouses only
};

// The largest quantity any single stock operation or order line accepts; stock levels stay
// below 2^62 so sums never overflow.
inline constexpr int64_t kMaxQuantity = 1'000'000;

// The most slots split_stock spreads one (SKU, warehouse) stock over.
inline constexpr int32_t kMaxStockSlots = 64;

class COMMERCE_EXPORT Inventory {
 public:
  // Handed out by Engine (engine.h), which owns it; not copyable.
  Inventory(const Inventory&) = delete;
  Inventory& operator=(const Inventory&) = delete;

  // Creates or updates a warehouse. InvalidArgument names the field.
  Result<Warehouse> upsert_warehouse(const Warehouse& w);
  Result<Warehouse> get_warehouse(std::string_view id);
  Result<std::vector<Warehouse>> list_warehouses();

  // on_hand += qty (qty 1..kMaxQuantity). NotFound for an unknown SKU or warehouse.
  // FailedPrecondition for an inactive warehouse (reserve too); release, ship and adjust
  // still work there, so holds made before it closed can be settled and its stock written off.
  Result<StockLevel> receive(std::string_view sku, std::string_view warehouse_id, int64_t qty);
  // on_hand += delta (either sign, |delta| <= kMaxQuantity), with a reason recorded in the
  // event (1..200 chars: "cycle count", "damaged"). FailedPrecondition when on_hand would drop
  // below reserved or below zero.
  Result<StockLevel> adjust(std::string_view sku, std::string_view warehouse_id, int64_t delta,
                            std::string_view reason);
  // reserved += qty. OutOfStock (naming the SKU, the warehouse and what is available) when
  // available < qty. `ref` (1..128 chars) names the holder, e.g. "pos-17".
  Result<StockLevel> reserve(std::string_view sku, std::string_view warehouse_id, int64_t qty,
                             std::string_view ref);
  // reserved -= qty. FailedPrecondition when fewer are reserved.
  Result<StockLevel> release(std::string_view sku, std::string_view warehouse_id, int64_t qty,
                             std::string_view ref);
  // Reserved units leave the building: reserved -= qty and on_hand -= qty.
  Result<StockLevel> ship(std::string_view sku, std::string_view warehouse_id, int64_t qty,
                          std::string_view ref);

  // Flash sales (docs/orders.md, "Hot SKUs"): spreads the (SKU, warehouse) stock over
  // `slots` rows (2..kMaxStockSlots), each holding part of on_hand and reserved, so that
  // the orders of different processes sharing the store reserve on different rows (each
  // process's orders start from a home slot of its own) instead of queueing on one. Reads,
  // orders and the calls above see and change the sums; an order never fails while the
  // slots together hold enough. One atomic write (StockSplit). NotFound for an unknown SKU or
  // warehouse; FailedPrecondition when already split.
  Result<StockLevel> split_stock(std::string_view sku, std::string_view warehouse_id,
                                 int32_t slots);
  // Folds the slots back into one row, atomically (StockMerged). FailedPrecondition when the
  // stock is not split.
  Result<StockLevel> merge_stock(std::string_view sku, std::string_view warehouse_id);

  // The SKU's stock across all warehouses, in one read.
  Result<SkuStock> get(std::string_view sku);
  // One (SKU, warehouse) record; a missing record reads as zero stock.
  Result<StockLevel> get(std::string_view sku, std::string_view warehouse_id);

 private:
  friend class Engine;
  explicit Inventory(EngineCore* core) : core_(core) {}
  EngineCore* core_;
};

}  // namespace commerce
