// Stock rows, format 2: a counters record (storage.h, EncodeCounters: on_hand, reserved,
// updated_at_ms) that the writer itself changes with ChangeSet::add, so that a reservation is
// a condition on the current counts (available >= q) rather than on the counts a snapshot read.
// Format 1 (stores written before) was a cereal record; DecodeStockLevel (inventory_codec.h)
// reads both and EncodeStockLevel writes format 2, and opening a store rewrites format 1 rows
// (engine/store_format.h), since the writer's add refuses a row that is not a counters record.
//
// Thread safety: pure functions.
#pragma once

#include <cstdint>
#include <string_view>

#include "commerce/storage.h"

namespace commerce {

enum StockCounter : uint8_t { kOnHand = 0, kReserved = 1, kUpdatedAt = 2 };
inline constexpr uint8_t kStockCounters = 3;

// True for a format 1 row (anything that is not a counters record).
bool IsStockFormat1(std::string_view bytes);

// The change ChangeSet::add makes to a stock row: on_hand += d_on_hand, reserved += d_reserved,
// updated_at = now_ms, with the stock invariant as bounds (0 <= reserved <= on_hand <=
// max_on_hand, which is kMaxStockLevel, stock_store.h), checked on the counts current when the
// writer applies it.
CounterChange StockChange(int64_t d_on_hand, int64_t d_reserved, int64_t now_ms, int64_t max_on_hand);

}  // namespace commerce
