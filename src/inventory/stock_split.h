// Splitting one (SKU, warehouse) stock into slot rows for a flash sale, and merging it back
// (Inventory::split_stock, merge_stock; docs/orders.md, "Hot SKUs"). Each is one write: the
// rows it replaces and the rows it writes change together, with their event.
//
// Split: the plain row becomes slots 0..N-1 (stock_store.h), the available units and the
// reserved units each dealt out evenly (the first slots get one more of any remainder), so
// every slot starts with its share of the sale. StockSplit carries the totals and each slot's
// counts ("slot_counts"), so that commerce verify can replay the slots' events from it.
// Merge: the slots' sums become the plain row again; StockMerged carries them.
//
// Thread safety: run inside one transaction, on that transaction's thread.
#pragma once

#include <cstdint>
#include <string_view>

#include "commerce/inventory.h"
#include "engine/engine_core.h"

namespace commerce {

// FailedPrecondition when the stock is split already. REQUIRES: 2 <= slots <= kMaxStockSlots
// and the SKU and the warehouse exist (CheckStockTarget).
Result<StockLevel> SplitStockInTxn(WriteTxn& txn, const Tables& t, std::string_view sku,
                                   std::string_view warehouse_id, int32_t slots, int64_t now_ms);

// FailedPrecondition when the stock is not split.
Result<StockLevel> MergeStockInTxn(WriteTxn& txn, const Tables& t, std::string_view sku,
                                   std::string_view warehouse_id, int64_t now_ms);

}  // namespace commerce
