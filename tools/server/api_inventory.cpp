// Routes of inventory: warehouses and stock (admin writes, store reads).
#include "routes.h"

namespace commerce::server {

namespace {

Response WarehouseResponse(const Warehouse& wh) {
  return JsonResponse(BuildJson([&](JsonWriter& w) { WriteWarehouse(w, wh); }));
}

Response LevelResponse(const StockLevel& l) {
  return JsonResponse(BuildJson([&](JsonWriter& w) { WriteStockLevel(w, l); }));
}

Response ListWarehouses(ServerState& st, const Request&, const Params&) {
  auto list = st.engine->inventory().list_warehouses();
  if (!list.ok()) return StatusResponse(list.status());
  return JsonResponse(BuildJson([&](JsonWriter& w) {
    w.StartObject();
    w.Key("items");
    w.StartArray();
    for (const auto& wh : *list) WriteWarehouse(w, wh);
    w.EndArray();
    w.EndObject();
  }));
}

Response GetWarehouse(ServerState& st, const Request&, const Params& p) {
  auto wh = st.engine->inventory().get_warehouse(p[0]);
  return wh.ok() ? WarehouseResponse(*wh) : StatusResponse(wh.status());
}

Response PutWarehouse(ServerState& st, const Request& r, const Params& p) {
  rapidjson::Document doc;
  Response err;
  if (!ReadBody(r, &doc, &err)) return err;
  JsonObject o(doc, "body");
  Warehouse wh;
  wh.id = p[0];
  int64_t priority = 0;
  std::string id;
  Status s = o.str("id", &id);
  if (s.ok() && !id.empty() && id != wh.id)
    s = Status::InvalidArgument("body.id: differs from the id in the path");
  if (s.ok()) s = o.str("name", &wh.name, true);
  if (s.ok()) s = o.str("region", &wh.region, true);
  if (s.ok()) s = o.i64("priority", &priority);
  if (s.ok() && (priority < INT32_MIN || priority > INT32_MAX))
    s = Status::InvalidArgument("body.priority: out of range");
  if (s.ok()) s = o.boolean("active", &wh.active);
  if (s.ok()) s = o.Finish();
  if (!s.ok()) return StatusResponse(s);
  wh.priority = static_cast<int32_t>(priority);
  auto out = st.engine->inventory().upsert_warehouse(wh);
  return out.ok() ? WarehouseResponse(*out) : StatusResponse(out.status());
}

Response GetStock(ServerState& st, const Request&, const Params& p) {
  auto s = st.engine->inventory().get(p[0]);
  if (!s.ok()) return StatusResponse(s.status());
  return JsonResponse(BuildJson([&](JsonWriter& w) { WriteSkuStock(w, *s); }));
}

Response GetStockAt(ServerState& st, const Request&, const Params& p) {
  auto s = st.engine->inventory().get(p[0], p[1]);
  return s.ok() ? LevelResponse(*s) : StatusResponse(s.status());
}

// POST /v1/stock/{sku}/{op}: receive {warehouse_id, quantity}; adjust {warehouse_id, delta,
// reason}; reserve, release, ship {warehouse_id, quantity, ref}; split {warehouse_id, slots};
// merge {warehouse_id}.
Response StockOp(ServerState& st, const Request& r, const Params& p) {
  const std::string& op = p[1];
  if (op != "receive" && op != "adjust" && op != "reserve" && op != "release" && op != "ship" &&
      op != "split" && op != "merge")
    return StatusResponse(Status::NotFound("no stock operation \"" + op +
                                           "\" (receive, adjust, reserve, release, ship, split, merge)"));
  rapidjson::Document doc;
  Response err;
  if (!ReadBody(r, &doc, &err)) return err;
  JsonObject o(doc, "body");
  std::string warehouse, reason, ref;
  int64_t qty = 0;
  Status s = o.str("warehouse_id", &warehouse, true);
  if (s.ok() && op == "split") s = o.i64("slots", &qty, true);
  else if (s.ok() && op != "merge") s = o.i64(op == "adjust" ? "delta" : "quantity", &qty, true);
  if (s.ok() && op == "split" && (qty < 2 || qty > kMaxStockSlots))
    s = Status::InvalidArgument("body.slots: " + std::to_string(qty) + "; expected 2.." +
                                std::to_string(kMaxStockSlots));
  if (s.ok() && op == "adjust") s = o.str("reason", &reason, true);
  if (s.ok() && (op == "reserve" || op == "release" || op == "ship")) s = o.str("ref", &ref, true);
  if (s.ok()) s = o.Finish();
  if (!s.ok()) return StatusResponse(s);
  auto& inv = st.engine->inventory();
  Result<StockLevel> out = Status::Internal("unreached");
  if (op == "receive") out = inv.receive(p[0], warehouse, qty);
  else if (op == "adjust") out = inv.adjust(p[0], warehouse, qty, reason);
  else if (op == "reserve") out = inv.reserve(p[0], warehouse, qty, ref);
  else if (op == "release") out = inv.release(p[0], warehouse, qty, ref);
  else if (op == "ship") out = inv.ship(p[0], warehouse, qty, ref);
  else if (op == "split") out = inv.split_stock(p[0], warehouse, static_cast<int32_t>(qty));
  else out = inv.merge_stock(p[0], warehouse);
  return out.ok() ? LevelResponse(*out) : StatusResponse(out.status());
}

}  // namespace

void AddInventoryRoutes(std::vector<Route>* r) {
  r->push_back({"GET", "/v1/warehouses", Scope::kStore, Exec::kPool, Body::kNone, ListWarehouses});
  r->push_back({"GET", "/v1/warehouses/{id}", Scope::kStore, Exec::kLoop, Body::kNone, GetWarehouse});
  r->push_back({"PUT", "/v1/warehouses/{id}", Scope::kAdmin, Exec::kPool, Body::kJson, PutWarehouse});
  r->push_back({"GET", "/v1/stock/{sku}", Scope::kStore, Exec::kLoop, Body::kNone, GetStock});
  r->push_back({"GET", "/v1/stock/{sku}/warehouses/{id}", Scope::kStore, Exec::kLoop, Body::kNone, GetStockAt});
  r->push_back({"POST", "/v1/stock/{sku}/{op}", Scope::kAdmin, Exec::kPool, Body::kJson, StockOp});
}

}  // namespace commerce::server
