// Tests of src/events/stock_event.cpp: a stock event's fields read back, what each type did
// to the row's counts, and which changes kept its availability above zero on both sides.
#include <catch2/catch.hpp>

#include "events/stock_event.h"

namespace events_stock_event_test {

namespace {

using namespace commerce;

StockEvent Counts(int64_t quantity, int64_t on_hand, int64_t reserved) {
  StockEvent e;
  e.quantity = quantity;
  e.on_hand = on_hand;
  e.reserved = reserved;
  return e;
}

}  // namespace

TEST_CASE("stock events: fields read back, or nothing when a count is missing", "[events]") {
  auto e = ParseStockEvent("StockReserved",
                           R"({"sku":"A-1","warehouse_id":"w1","quantity":3,"ref":"ord-1","on_hand":9,"reserved":5})");
  REQUIRE(e);
  CHECK(e->sku == "A-1");
  CHECK(e->warehouse_id == "w1");
  CHECK(e->ref == "ord-1");
  CHECK(e->quantity == 3);
  CHECK(e->on_hand == 9);
  CHECK(e->reserved == 5);
  auto adjusted = ParseStockEvent("StockAdjusted",
                                  R"({"sku":"A-1","warehouse_id":"w1","delta":-2,"reason":"count","on_hand":7,"reserved":0})");
  REQUIRE(adjusted);
  CHECK(adjusted->quantity == -2);
  CHECK(adjusted->ref.empty());
  // Written before the counts were carried, or not an object, or not JSON.
  CHECK_FALSE(ParseStockEvent("StockReserved", R"({"sku":"A-1","warehouse_id":"w1","quantity":3})"));
  CHECK_FALSE(ParseStockEvent("StockAdjusted", R"({"sku":"A-1","warehouse_id":"w1","quantity":3,"on_hand":1,"reserved":0})"));
  CHECK_FALSE(ParseStockEvent("StockReserved", "[1,2]"));
  CHECK_FALSE(ParseStockEvent("StockReserved", "{"));
  CHECK(IsStockEventType("StockShipped"));
  CHECK_FALSE(IsStockEventType("OrderPlaced"));
}

TEST_CASE("stock events: what each type did, and whether availability stayed above zero",
          "[events]") {
  CHECK(StockEventDelta("StockReceived", 4).on_hand == 4);
  CHECK(StockEventDelta("StockAdjusted", -4).on_hand == -4);
  CHECK(StockEventDelta("StockReserved", 4).reserved == 4);
  CHECK(StockEventDelta("StockReleased", 4).reserved == -4);
  CHECK(StockEventDelta("StockShipped", 4).on_hand == -4);
  CHECK(StockEventDelta("StockShipped", 4).reserved == -4);

  // Reserved 2 of 10 leaving 10/5 (5 available, 7 before): kept.
  CHECK(KeepsStockAvailable("StockReserved", Counts(2, 10, 5)));
  // The last unit: 1 before, 0 after.
  CHECK_FALSE(KeepsStockAvailable("StockReserved", Counts(1, 10, 10)));
  // Received into an empty row: 0 before.
  CHECK_FALSE(KeepsStockAvailable("StockReceived", Counts(3, 3, 0)));
  CHECK(KeepsStockAvailable("StockReceived", Counts(3, 4, 0)));
  // Released from a row with none available: 0 before.
  CHECK_FALSE(KeepsStockAvailable("StockReleased", Counts(1, 5, 4)));
  CHECK(KeepsStockAvailable("StockReleased", Counts(1, 5, 3)));
  CHECK_FALSE(KeepsStockAvailable("StockAdjusted", Counts(-2, 0, 0)));
  CHECK(KeepsStockAvailable("StockAdjusted", Counts(-2, 1, 0)));
  // A shipment takes from on hand and reserved alike: availability as it was.
  CHECK(KeepsStockAvailable("StockShipped", Counts(2, 6, 1)));
  CHECK_FALSE(KeepsStockAvailable("StockShipped", Counts(2, 6, 6)));
}

}  // namespace events_stock_event_test
