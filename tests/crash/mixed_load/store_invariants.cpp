#include "crash/mixed_load/store_invariants.h"

#include <rapidjson/document.h>

#include <map>
#include <utility>

#include "crash/mixed_load/workload.h"

namespace commerce::crash {

void CheckStoreInvariants(Engine& e, std::vector<std::string>* v) {
  using Place = std::pair<std::string, std::string>;  // sku, warehouse
  std::map<Place, int64_t> received, reserved, shipped;
  uint64_t expected_seq = 1, placed_events = 0, moved_events = 0;
  for (;;) {
    auto batch = e.events().tail(expected_seq, 5000);
    if (!batch.ok()) {
      v->push_back("events: " + batch.status().ToString());
      return;
    }
    if (batch->empty()) break;
    for (const auto& ev : *batch) {
      if (ev.seq != expected_seq) {
        v->push_back("event log: sequence " + std::to_string(ev.seq) + " follows " + std::to_string(expected_seq - 1));
        expected_seq = ev.seq;
      }
      ++expected_seq;
      placed_events += ev.type == "OrderPlaced";
      moved_events += ev.type == "OrderStatusChanged";
      if (ev.type == "StockReceived") {
        rapidjson::Document d;
        d.Parse(ev.data.c_str());
        if (!d.HasParseError() && d.IsObject() && d.HasMember("sku") && d.HasMember("warehouse_id") &&
            d.HasMember("quantity"))
          received[{d["sku"].GetString(), d["warehouse_id"].GetString()}] += d["quantity"].GetInt64();
        else
          v->push_back("event " + std::to_string(ev.seq) + ": StockReceived data unreadable");
      }
    }
  }
  auto last = e.events().last_seq();
  if (!last.ok() || *last != expected_seq - 1)
    v->push_back("event log: tail ends at " + std::to_string(expected_seq - 1) + ", last_seq says " +
                 (last.ok() ? std::to_string(*last) : last.status().ToString()));

  uint64_t orders = 0, moves = 0;
  for (int s = 0; s <= static_cast<int>(OrderStatus::kRefunded); ++s) {
    OrderListOptions o;
    o.limit = 1000;
    for (;;) {
      auto page = e.orders().list_by_status(static_cast<OrderStatus>(s), o);
      if (!page.ok()) {
        v->push_back("orders: " + page.status().ToString());
        return;
      }
      for (const auto& order : page->items) {
        ++orders;
        moves += order.history.size() - 1;
        if (static_cast<int>(order.status) != s)
          v->push_back("order " + order.id + " is " + OrderStatusName(order.status) + " but listed as " +
                       OrderStatusName(static_cast<OrderStatus>(s)));
        const bool holds = order.status == OrderStatus::kPlaced || order.status == OrderStatus::kPaid ||
                           order.status == OrderStatus::kFulfilling;
        const bool left = order.status == OrderStatus::kShipped || order.status == OrderStatus::kDelivered ||
                          order.status == OrderStatus::kReturned || order.status == OrderStatus::kRefunded;
        for (const auto& shipment : order.shipments)
          for (const auto& item : shipment.items) {
            if (holds) reserved[{item.sku, shipment.warehouse_id}] += item.quantity;
            if (left) shipped[{item.sku, shipment.warehouse_id}] += item.quantity;
          }
      }
      if (page->next_cursor.empty()) break;
      o.cursor = page->next_cursor;
    }
  }
  if (placed_events != orders)
    v->push_back(std::to_string(orders) + " orders, " + std::to_string(placed_events) + " OrderPlaced events");
  if (moved_events != moves)
    v->push_back(std::to_string(moves) + " moves in order histories, " + std::to_string(moved_events) +
                 " OrderStatusChanged events");

  for (int i = 0; i < kProducts; ++i)
    for (int variant = 0; variant < 2; ++variant) {
      const std::string sku = Sku(i, variant);
      for (const char* wh : kWarehouses) {
        auto level = e.inventory().get(sku, wh);
        int64_t on_hand = 0, held = 0;
        if (level.ok()) {
          on_hand = level->on_hand;
          held = level->reserved;
        } else if (!level.status().IsNotFound()) {
          v->push_back("stock of " + sku + " in " + wh + ": " + level.status().ToString());
          continue;
        }
        const Place at{sku, wh};
        const int64_t want_held = reserved.count(at) ? reserved.at(at) : 0;
        const int64_t want_on_hand = (received.count(at) ? received.at(at) : 0) - (shipped.count(at) ? shipped.at(at) : 0);
        if (held != want_held || on_hand != want_on_hand || held < 0 || held > on_hand)
          v->push_back("stock of " + sku + " in " + wh + ": on hand " + std::to_string(on_hand) + " reserved " +
                       std::to_string(held) + "; receipts and orders say on hand " + std::to_string(want_on_hand) +
                       " reserved " + std::to_string(want_held));
      }
    }
}

}  // namespace commerce::crash
