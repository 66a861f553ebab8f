#include "inventory/inventory_codec.h"

#include "common/codec.h"
#include "inventory/stock_counters.h"

namespace commerce {

template <class Archive>
void serialize(Archive& ar, Warehouse& w, std::uint32_t /*version*/) {
  ar(w.id, w.name, w.region, w.priority, w.active);
}

namespace {
// The value of a stock row: the key already names the SKU and the warehouse.
struct StockRecord {
  int64_t on_hand = 0;
  int64_t reserved = 0;
  int64_t updated_at_ms = 0;
  template <class Archive>
  void serialize(Archive& ar, std::uint32_t /*version*/) {
    ar(on_hand, reserved, updated_at_ms);
  }
};
}  // namespace

}  // namespace commerce

CEREAL_CLASS_VERSION(commerce::Warehouse, 1);
CEREAL_CLASS_VERSION(commerce::StockRecord, 1);

namespace commerce {

std::string EncodeWarehouse(const Warehouse& w) { return Encode(w); }

Status DecodeWarehouse(std::string_view key, std::string_view bytes, Warehouse* w) {
  return Decode(bytes, w, "warehouses", key);
}

std::string EncodeStockLevel(const StockLevel& s) {
  Counters c;
  c.size = kStockCounters;
  c.v[kOnHand] = s.on_hand;
  c.v[kReserved] = s.reserved;
  c.v[kUpdatedAt] = s.updated_at_ms;
  return EncodeCounters(c);
}

bool IsStockFormat1(std::string_view bytes) {
  return bytes.empty() || static_cast<unsigned char>(bytes[0]) != kCountersMagic;
}

Status DecodeStockLevel(std::string_view key, std::string_view bytes, StockLevel* s) {
  StockRecord r;
  if (IsStockFormat1(bytes)) {
    COMMERCE_RETURN_IF_ERROR(Decode(bytes, &r, "stock", key));
  } else {
    auto c = DecodeCounters(bytes);
    if (!c.ok()) return RecordCorruption("stock", key, c.status().message());
    if (c->size != kStockCounters)
      return RecordCorruption("stock", key, "a counters record of " + std::to_string(c->size) +
                                                " counters, not " + std::to_string(kStockCounters));
    r = StockRecord{c->v[kOnHand], c->v[kReserved], c->v[kUpdatedAt]};
  }
  // Counts are kept 0 <= reserved <= on_hand by every writer; anything else is damage, and
  // arithmetic on it could overflow, so it stops here.
  if (r.on_hand < 0 || r.reserved < 0 || r.reserved > r.on_hand)
    return RecordCorruption("stock", key, "on_hand " + std::to_string(r.on_hand) + " and reserved " +
                                              std::to_string(r.reserved));
  s->on_hand = r.on_hand;
  s->reserved = r.reserved;
  s->updated_at_ms = r.updated_at_ms;
  return Status::OK();
}

CounterChange StockChange(int64_t d_on_hand, int64_t d_reserved, int64_t now_ms, int64_t max_on_hand) {
  CounterChange c;
  c.size = kStockCounters;
  c.delta[kOnHand] = d_on_hand;
  c.delta[kReserved] = d_reserved;
  c.delta[kUpdatedAt] = now_ms;
  c.set_mask = 1u << kUpdatedAt;
  // The stock invariant, checked by the writer on the counts current when it applies:
  // available = on_hand - reserved >= 0, reserved >= 0, on_hand <= the limit.
  c.bound_count = 3;
  c.bounds[0] = CounterBound{kOnHand, static_cast<int8_t>(kReserved), 0, INT64_MAX};
  c.bounds[1] = CounterBound{kReserved, -1, 0, INT64_MAX};
  c.bounds[2] = CounterBound{kOnHand, -1, INT64_MIN, max_on_hand};
  return c;
}

}  // namespace commerce
