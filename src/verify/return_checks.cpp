// commerce verify: returns (src/returns/return_store.h).
//
//   - every return decodes, is stored under its id, belongs to an order that exists and is
//     in that order's index (order_returns), and every index entry and idempotency key
//     points to a return of that order;
//   - per order, the units held by its returns (all but rejected and cancelled) are at most
//     what the order holds of each SKU.
#include <map>

#include "common/key.h"
#include "order/order_codec.h"
#include "order/order_store.h"
#include "returns/return_store.h"
#include "verify/check_context.h"

namespace commerce::verify {

namespace {
constexpr const char* kReturns = "returns";
}  // namespace

void CheckReturns(CheckContext& c) {
  // Per order id: the returns' units per SKU.
  std::map<std::string, std::vector<Return>> by_order;
  c.Scan("returns", kReturns, [&](std::string_view key, std::string_view value) {
    Return r;
    if (!DecodeRecord(c, kReturns, key, value, [&] { return DecodeReturn(key, value, &r); })) return true;
    const std::string where = Where(kReturns, key);
    if (key != ReturnKey(r.id)) c.Problem("returns", where, "holds return '" + r.id + "'");
    if (!c.Has("returns", "orders", OrderKey(r.order_id)))
      c.Problem("returns", where, "its order '" + r.order_id + "' does not exist");
    if (!c.Has("returns", "order_returns", OrderReturnKey(r.order_id, r.id)))
      c.Problem("returns", where, "is not in order_returns under its order '" + r.order_id + "'");
    by_order[r.order_id].push_back(std::move(r));
    return true;
  }, /*count=*/true);

  c.Scan("returns", "order_returns", [&](std::string_view key, std::string_view) {
    KeyReader kr(key);
    auto order_id = kr.str();
    auto return_id = kr.str();
    if (!order_id || !return_id || !kr.done()) {
      c.Problem("returns", Where("order_returns", key), "its key is not (order id, return id)");
      return true;
    }
    if (!c.Has("returns", kReturns, ReturnKey(*return_id)))
      c.Problem("returns", Where("order_returns", key), "its return '" + *return_id + "' does not exist");
    return true;
  }, /*count=*/true);

  c.Scan("returns", "return_keys", [&](std::string_view key, std::string_view value) {
    KeyReader kr(key);
    auto order_id = kr.str();
    if (!order_id || !c.Has("returns", "order_returns", OrderReturnKey(*order_id, value)))
      c.Problem("returns", Where("return_keys", key),
                "names return '" + std::string(value) + "', which is not a return of its order");
    return true;
  }, /*count=*/true);

  for (const auto& [order_id, returns] : by_order) {
    auto bytes = c.Get("returns", "orders", OrderKey(order_id));
    if (!bytes) continue;  // said above
    StoredOrder stored;
    if (!DecodeOrder(OrderKey(order_id), *bytes, &stored).ok()) continue;  // the orders check says so
    for (const auto& [sku, units] : ReturnedUnits(returns)) {
      int64_t ordered = 0;
      for (const auto& l : stored.order.lines)
        if (l.sku == sku) ordered += l.quantity;
      if (units > ordered)
        c.Problem("returns", Where("orders", OrderKey(order_id)),
                  "its returns hold " + std::to_string(units) + " of '" + sku + "'; it has " +
                      std::to_string(ordered));
    }
  }
}

}  // namespace commerce::verify
