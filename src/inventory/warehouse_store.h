// Warehouses inside a transaction: validation, reads and the upsert with its
// WarehouseUpserted event. Shared by the public API (inventory.cpp) and by order placement,
// which reads warehouses to allocate stock.
//
// Table `warehouses`: KeyBuilder().str(id) -> Warehouse (inventory_codec.h).
//
// Thread safety: these functions run inside one transaction, on that transaction's thread.
#pragma once

#include <string_view>
#include <vector>

#include "commerce/inventory.h"
#include "commerce/storage.h"
#include "engine/engine_core.h"

namespace commerce {

// OK, or InvalidArgument naming the field: id 1..64, name 1..200, region 1..64 (printable,
// no spaces at the ends).
Status ValidateWarehouse(const Warehouse& w);

// NotFound naming the id when there is no such warehouse.
Result<Warehouse> GetWarehouse(ReadView& view, const Tables& t, std::string_view id);

// Every warehouse, by id.
Result<std::vector<Warehouse>> ListWarehouses(ReadView& view, const Tables& t);

// Writes `w` (already validated) and a WarehouseUpserted event; writes nothing when the
// stored warehouse is already equal to `w`.
Status UpsertWarehouseInTxn(WriteTxn& txn, const Tables& t, const Warehouse& w, int64_t now_ms);

}  // namespace commerce
