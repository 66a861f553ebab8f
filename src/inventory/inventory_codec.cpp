#include "inventory/inventory_codec.h"

#include "common/codec.h"

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
  return Encode(StockRecord{s.on_hand, s.reserved, s.updated_at_ms});
}

Status DecodeStockLevel(std::string_view key, std::string_view bytes, StockLevel* s) {
  StockRecord r;
  COMMERCE_RETURN_IF_ERROR(Decode(bytes, &r, "stock", key));
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

}  // namespace commerce
