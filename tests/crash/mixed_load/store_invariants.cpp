#include "crash/mixed_load/store_invariants.h"

#include <rapidjson/document.h>

#include <map>
#include <utility>

#include "commerce/verify.h"
#include "crash/mixed_load/workload.h"

namespace commerce::crash {

namespace {

void AddProblems(const std::string& which, const Result<VerifyReport>& report, std::vector<std::string>* v) {
  if (!report.ok()) {
    v->push_back(which + " could not check the store: " + report.status().ToString());
    return;
  }
  for (const auto& p : report->problems) v->push_back(which + ": [" + p.check + "] " + p.where + ": " + p.what);
  if (report->problem_total() > report->problems.size())
    v->push_back(which + ": " + std::to_string(report->problem_total() - report->problems.size()) +
                 " problems more");
}

}  // namespace

void VerifyClosedStore(const std::string& path, std::vector<std::string>* v) {
  VerifyOptions o;
  o.path = path;
  AddProblems("commerce verify", VerifyStore(o), v);
}

void CheckStoreInvariants(Engine& e, std::vector<std::string>* v) {
  AddProblems("Engine::verify", e.verify(), v);

  using Place = std::pair<std::string, std::string>;  // sku, warehouse
  std::map<Place, int64_t> received, shipped;
  uint64_t next = 1, placed_events = 0, moved_events = 0;
  for (;;) {
    auto batch = e.events().tail(next, 5000);
    if (!batch.ok()) {
      v->push_back("events: " + batch.status().ToString());
      return;
    }
    if (batch->empty()) break;
    for (const auto& ev : *batch) {
      next = ev.seq + 1;
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
        const bool left = order.status == OrderStatus::kShipped || order.status == OrderStatus::kDelivered ||
                          order.status == OrderStatus::kReturned || order.status == OrderStatus::kRefunded;
        if (left)
          for (const auto& shipment : order.shipments)
            for (const auto& item : shipment.items) shipped[{item.sku, shipment.warehouse_id}] += item.quantity;
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
        int64_t on_hand = 0;
        if (level.ok()) {
          on_hand = level->on_hand;
        } else if (!level.status().IsNotFound()) {
          v->push_back("stock of " + sku + " in " + wh + ": " + level.status().ToString());
          continue;
        }
        const Place at{sku, wh};
        const int64_t want = (received.count(at) ? received.at(at) : 0) - (shipped.count(at) ? shipped.at(at) : 0);
        if (on_hand != want)
          v->push_back("stock of " + sku + " in " + wh + ": on hand " + std::to_string(on_hand) +
                       "; receipts and shipped orders say " + std::to_string(want));
      }
    }
}

}  // namespace commerce::crash
