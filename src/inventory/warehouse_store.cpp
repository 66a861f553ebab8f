#include "inventory/warehouse_store.h"

#include "common/ids.h"
#include "common/key.h"
#include "common/record.h"
#include "events/event_json.h"
#include "events/event_log.h"
#include "inventory/inventory_codec.h"

namespace commerce {

Status ValidateWarehouse(const Warehouse& w) {
  COMMERCE_RETURN_IF_ERROR(CheckIdentifier("id", w.id, 64));
  COMMERCE_RETURN_IF_ERROR(CheckIdentifier("name", w.name, 200));
  COMMERCE_RETURN_IF_ERROR(CheckIdentifier("region", w.region, 64));
  return Status::OK();
}

Result<Warehouse> GetWarehouse(ReadView& view, const Tables& t, std::string_view id) {
  return GetRecord<Warehouse>(view, t.warehouses, KeyBuilder().str(id).key(), id, "warehouse",
                              DecodeWarehouse);
}

Result<std::vector<Warehouse>> ListWarehouses(ReadView& view, const Tables& t) {
  std::vector<Warehouse> out;
  auto c = view.cursor(t.warehouses);
  for (c->seek_to_first(); c->valid(); c->next()) {
    Warehouse w;
    COMMERCE_RETURN_IF_ERROR(DecodeWarehouse(c->key(), c->value(), &w));
    out.push_back(std::move(w));
  }
  COMMERCE_RETURN_IF_ERROR(c->status());
  return out;
}

Status UpsertWarehouseInTxn(WriteTxn& txn, const Tables& t, const Warehouse& w, int64_t now_ms) {
  bool created = false;
  auto old = GetWarehouse(txn, t, w.id);
  if (old.ok()) {
    if (*old == w) return Status::OK();  // nothing changes: no write, no event
  } else if (old.status().IsNotFound()) {
    created = true;
  } else {
    return old.status();
  }
  COMMERCE_RETURN_IF_ERROR(txn.put(t.warehouses, KeyBuilder().str(w.id).key(), EncodeWarehouse(w)));
  std::string data = EventJson()
                         .str("warehouse_id", w.id)
                         .str("name", w.name)
                         .str("region", w.region)
                         .i64("priority", w.priority)
                         .boolean("active", w.active)
                         .boolean("created", created)
                         .done();
  return AppendEvent(txn, t.events, "WarehouseUpserted", w.id, std::move(data), now_ms).status();
}

}  // namespace commerce
