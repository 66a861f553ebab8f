// commerce verify: warehouses and stock.
//
//   - every warehouse decodes and is stored under its own id;
//   - every stock row decodes (0 <= reserved <= on_hand, checked by its decoder), is a
//     counters record once the store is marked stock format 2 (engine/store_format.h), is keyed
//     (SKU, warehouse) of a SKU some product has and a warehouse that exists, and equals what
//     its last stock event says it became; a split stock (inventory/stock_split.h) is slots
//     0..N-1 and no plain row, each slot checked against its own events, the sums below;
//   - reservations: a row's reserved units are those of the orders that are placed, paid or
//     fulfilling (their shipments from this warehouse) plus the holds made through the
//     inventory API under other refs (from the event log) — never fewer than the orders'
//     alone. (A hold whose ref is an order id counts as that order's.) Every row an order
//     reserves from exists.
#include <map>
#include <optional>
#include <set>

#include "common/key.h"
#include "engine/store_format.h"
#include "inventory/inventory_codec.h"
#include "inventory/stock_counters.h"
#include "inventory/stock_store.h"
#include "verify/check_context.h"

namespace commerce::verify {

namespace {
constexpr const char* kStock = "stock";
constexpr const char* kWarehouses = "warehouses";
}  // namespace

void CheckInventory(CheckContext& c) {
  Facts& f = c.facts;
  c.Scan("inventory", kWarehouses, [&](std::string_view key, std::string_view value) {
    Warehouse w;
    if (!DecodeRecord(c, kWarehouses, key, value, [&] { return DecodeWarehouse(key, value, &w); }))
      return true;
    if (key != KeyBuilder().str(w.id).key())
      c.Problem("inventory", Where(kWarehouses, key), "holds warehouse '" + w.id + "'");
    return true;
  }, /*count=*/true);

  // The stock format the meta table marks (engine/store_format.h; CheckMeta checks the mark).
  uint64_t stock_format = 1;
  if (auto mark = c.Get("stock", "meta", FormatKey("stock"))) {
    KeyReader r(*mark);
    stock_format = r.u64().value_or(1);
  }
  // Per (sku, warehouse): what its rows hold together (a split stock's slots summed), and
  // which slots it has (-1: the plain row).
  struct Stock {
    int64_t reserved = 0;
    std::set<int64_t> slots;
  };
  std::map<std::pair<std::string, std::string>, Stock> rows;
  c.Scan("stock", kStock, [&](std::string_view key, std::string_view value) {
    const std::string where = Where(kStock, key);
    KeyReader kr(key);
    auto sku = kr.str();
    auto wh = kr.str();
    std::optional<uint64_t> slot_number;
    if (sku && wh && !kr.done()) slot_number = kr.u64();
    if (!sku || !wh || !kr.done() ||
        (slot_number && *slot_number >= static_cast<uint64_t>(kMaxStockSlots))) {
      c.Problem("stock", where, "the key does not decode");
      return true;
    }
    const int64_t slot = slot_number ? static_cast<int64_t>(*slot_number) : -1;
    StockLevel level;
    level.sku = *sku;
    level.warehouse_id = *wh;
    if (!DecodeRecord(c, kStock, key, value, [&] { return DecodeStockLevel(key, value, &level); }))
      return true;
    if (stock_format >= 2 && IsStockFormat1(value))
      c.Problem("stock", where, "a format 1 row in a store whose stock was upgraded to format " +
                                    std::to_string(stock_format) + ": orders cannot reserve from it");
    const std::pair<std::string, std::string> id{*sku, *wh};
    Stock& stock = rows[id];
    stock.reserved += level.reserved;
    stock.slots.insert(slot);
    if (!c.Has("stock", "skus", KeyBuilder().str(*sku).key()))
      c.Problem("stock", where, "no product has SKU '" + *sku + "'");
    if (!c.Has("stock", kWarehouses, KeyBuilder().str(*wh).key()))
      c.Problem("stock", where, "warehouse '" + *wh + "' does not exist");

    // What the row's last event left: the plain row's, or the slot's.
    auto ev = f.stock_events.find(id);
    const Facts::StockFromEvents::Slot* last = nullptr;
    Facts::StockFromEvents::Slot plain;
    if (ev != f.stock_events.end()) {
      if (slot >= 0 && !ev->second.split)
        c.Problem("stock", where, "a slot row, but its stock's last event (" +
                                      std::to_string(ev->second.last_seq) + ") left it not split");
      else if (slot < 0 && ev->second.split)
        c.Problem("stock", where, "a plain row, but its stock's last event (" +
                                      std::to_string(ev->second.last_seq) + ") split it");
      if (slot < 0) {
        plain = {ev->second.on_hand, ev->second.reserved, ev->second.last_seq};
        last = &plain;
      } else if (auto it = ev->second.slots.find(slot); it != ev->second.slots.end()) {
        last = &it->second;
      }
    }
    if (last) {
      if (last->on_hand != level.on_hand || last->reserved != level.reserved)
        c.Problem("stock", where,
                  "on_hand " + std::to_string(level.on_hand) + ", reserved " +
                      std::to_string(level.reserved) + ", but its last event (" +
                      std::to_string(last->last_seq) + ") left " +
                      std::to_string(last->on_hand) + ", " + std::to_string(last->reserved));
    } else if (f.log_from_start) {
      c.Problem("stock", where, "no stock event ever made this row");
    }
    return true;
  }, /*count=*/true);

  for (const auto& [id, stock] : rows) {
    const std::string where = Where(kStock, StockKey(id.first, id.second));
    // One plain row, or slots 0..N-1 (N >= 2) without it.
    const bool plain = stock.slots.count(-1) != 0;
    const int64_t n = static_cast<int64_t>(stock.slots.size());
    if (plain && n > 1)
      c.Problem("stock", where, "a plain row beside " + std::to_string(n - 1) + " slot rows");
    else if (!plain && (n < 2 || *stock.slots.rbegin() != n - 1))
      c.Problem("stock", where, "slot rows that are not 0..N-1 with N >= 2 (" + std::to_string(n) +
                                    " rows, the last slot " + std::to_string(*stock.slots.rbegin()) + ")");
    auto held = f.reserved_by_orders.find(id);
    const int64_t by_orders = held == f.reserved_by_orders.end() ? 0 : held->second;
    if (stock.reserved < by_orders) {
      c.Problem("stock", where, "reserved " + std::to_string(stock.reserved) +
                                    " is less than the live orders hold here, " + std::to_string(by_orders));
    } else if (f.log_from_start) {
      auto ev = f.stock_events.find(id);
      const int64_t by_refs = ev == f.stock_events.end() ? 0 : ev->second.held_by_refs;
      if (stock.reserved != by_orders + by_refs)
        c.Problem("stock", where, "reserved " + std::to_string(stock.reserved) + " is not what live orders (" +
                                      std::to_string(by_orders) + ") and other holds (" +
                                      std::to_string(by_refs) + ") hold");
    }
  }

  for (const auto& [id, qty] : f.reserved_by_orders)
    if (!rows.count(id))
      c.Problem("stock", Where(kStock, StockKey(id.first, id.second)),
                "live orders hold " + std::to_string(qty) + " here, but there is no stock row");
  for (const auto& [id, st] : f.stock_events)
    if (!rows.count(id))
      c.Problem("stock", Where(kStock, StockKey(id.first, id.second)),
                "event " + std::to_string(st.last_seq) + " changed this row, but there is none");
}

}  // namespace commerce::verify
