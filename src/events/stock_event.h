// The stock events -- StockReceived, StockAdjusted, StockReserved, StockReleased, StockShipped
// (docs/events.md) -- read back: their fields, and what each change did to the row's on_hand
// and reserved. Every stock event carries the row's counts after the change (a mutation writes
// them; a change set's writer appends them, counted_event.h), so the counts before it follow.
// Read by commerce verify (which replays them) and the search indexer (which leaves a product
// alone when an event kept its availability above zero on both sides).
//
// Thread safety: pure functions.
#pragma once

#include <rapidjson/document.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace commerce {

struct StockEvent {
  std::string sku, warehouse_id, ref;
  int64_t quantity = 0;  // the "delta" member, for StockAdjusted
  int64_t on_hand = 0, reserved = 0;  // after the change
  int64_t slot = -1;  // the slot of a split stock the change was made to (its counts), or -1
};

// True for the five stock event types.
bool IsStockEventType(std::string_view type);

// The fields of a stock event of `type` whose data is `d` (or the JSON text `data`); nullopt
// when one is missing or not of its type (an event written before the counts were carried).
std::optional<StockEvent> ParseStockEvent(std::string_view type, const rapidjson::Document& d);
std::optional<StockEvent> ParseStockEvent(std::string_view type, std::string_view data);

// What a stock event of `type` and `quantity` did to (on_hand, reserved) (stock_store.cpp).
struct StockDelta {
  int64_t on_hand = 0, reserved = 0;
};
StockDelta StockEventDelta(std::string_view type, int64_t quantity);

// True when the row's available units (on_hand - reserved) were above zero both before and after
// the change `e` (of `type`) records: such a change cannot move its product in or out of stock.
bool KeepsStockAvailable(std::string_view type, const StockEvent& e);

}  // namespace commerce
