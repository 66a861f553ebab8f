#include "events/stock_event.h"

namespace commerce {

bool IsStockEventType(std::string_view type) {
  return type == "StockReceived" || type == "StockAdjusted" || type == "StockReserved" ||
         type == "StockReleased" || type == "StockShipped";
}

std::optional<StockEvent> ParseStockEvent(std::string_view type, const rapidjson::Document& d) {
  if (!d.IsObject()) return std::nullopt;
  auto str = [&](const char* k) -> std::optional<std::string> {
    auto it = d.FindMember(k);
    if (it == d.MemberEnd() || !it->value.IsString()) return std::nullopt;
    return std::string(it->value.GetString(), it->value.GetStringLength());
  };
  auto num = [&](const char* k) -> std::optional<int64_t> {
    auto it = d.FindMember(k);
    if (it == d.MemberEnd() || !it->value.IsInt64()) return std::nullopt;
    return it->value.GetInt64();
  };
  StockEvent e;
  auto sku = str("sku"), wh = str("warehouse_id");
  auto q = num(type == "StockAdjusted" ? "delta" : "quantity");
  auto on_hand = num("on_hand"), reserved = num("reserved");
  if (!sku || !wh || !q || !on_hand || !reserved) return std::nullopt;
  e.sku = std::move(*sku);
  e.warehouse_id = std::move(*wh);
  e.ref = str("ref").value_or("");
  e.quantity = *q;
  e.on_hand = *on_hand;
  e.reserved = *reserved;
  e.slot = num("slot").value_or(-1);
  return e;
}

std::optional<StockEvent> ParseStockEvent(std::string_view type, std::string_view data) {
  rapidjson::Document d;
  d.Parse(data.data(), data.size());
  if (d.HasParseError()) return std::nullopt;
  return ParseStockEvent(type, d);
}

StockDelta StockEventDelta(std::string_view type, int64_t quantity) {
  if (type == "StockReceived" || type == "StockAdjusted") return {quantity, 0};
  if (type == "StockReserved") return {0, quantity};
  if (type == "StockReleased") return {0, -quantity};
  if (type == "StockShipped") return {-quantity, -quantity};
  return {};
}

bool KeepsStockAvailable(std::string_view type, const StockEvent& e) {
  const StockDelta d = StockEventDelta(type, e.quantity);
  // Counts are within 0..kMaxStockLevel (2^62) and so are quantities: no overflow.
  const int64_t after = e.on_hand - e.reserved;
  const int64_t before = (e.on_hand - d.on_hand) - (e.reserved - d.reserved);
  return before > 0 && after > 0;
}

}  // namespace commerce
