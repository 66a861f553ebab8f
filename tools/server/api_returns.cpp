// Routes of returns (docs/returns.md). Scopes (docs/security.md), like the orders': asking for a
// return, reading returns and cancelling one are store (the shop's backend, acting for the
// buyer); the shop's moves -- approve, reject, receive (stock goes back on hand) and refund
// (money moves) -- are admin, like an order's transitions, and so is the listing across
// orders, like GET /v1/orders. Each move is its own POST
// (/v1/returns/{id}/approve, ...), with an optional JSON body {"note"} and If-Match for the
// return's version, as the order transitions take it.
#include "commerce/return_list.h"
#include "key_channel.h"
#include "routes.h"

namespace commerce::server {

namespace {

// A key limited to a channel (key_channel.h) reaches an order's returns only when the order is
// in its channel: NotFound worded as for an order that does not exist otherwise.
Status OrderReachable(ServerState& st, const Request& r, const std::string& order_id) {
  if (r.key_channel.empty()) return Status::OK();
  auto o = st.engine->orders().get(order_id);
  if (!o.ok()) return o.status();
  return OrderInKeyChannel(r, *o);
}

// As OrderReachable, for a return by its id: NotFound worded as for a return that does not exist.
Status ReturnReachable(ServerState& st, const Request& r, const std::string& return_id) {
  if (r.key_channel.empty()) return Status::OK();
  auto ret = st.engine->returns().get(return_id);
  if (!ret.ok()) return ret.status();
  if (!OrderReachable(st, r, ret->order_id).ok())
    return Status::NotFound("no return with id '" + return_id + "'");
  return Status::OK();
}

void WriteReturn(JsonWriter& w, const Return& r) {
  w.StartObject();
  w.Key("id"); Str(w, r.id);
  w.Key("order_id"); Str(w, r.order_id);
  w.Key("customer_id"); Str(w, r.customer_id);
  w.Key("idempotency_key"); Str(w, r.idempotency_key);
  w.Key("status"); Str(w, ReturnStatusName(r.status));
  w.Key("lines");
  w.StartArray();
  for (const auto& l : r.lines) {
    w.StartObject();
    w.Key("sku"); Str(w, l.sku);
    w.Key("quantity"); w.Int64(l.quantity);
    w.Key("reason"); Str(w, l.reason);
    w.Key("refund"); WriteMoney(w, l.refund);
    w.Key("disposition"); Str(w, ReturnDispositionName(l.disposition));
    w.Key("warehouse_id"); Str(w, l.warehouse_id);
    w.EndObject();
  }
  w.EndArray();
  w.Key("exchange_lines");
  w.StartArray();
  for (const auto& l : r.exchange_lines) {
    w.StartObject();
    w.Key("sku"); Str(w, l.sku);
    w.Key("quantity"); w.Int64(l.quantity);
    w.EndObject();
  }
  w.EndArray();
  w.Key("exchange_order_id"); Str(w, r.exchange_order_id);
  w.Key("refund"); WriteMoney(w, r.refund);
  w.Key("refund_method"); Str(w, RefundMethodName(r.refund_method));
  w.Key("refund_id"); Str(w, r.refund_id);
  w.Key("history");
  w.StartArray();
  for (const auto& h : r.history) {
    w.StartObject();
    w.Key("from"); Str(w, ReturnStatusName(h.from));
    w.Key("to"); Str(w, ReturnStatusName(h.to));
    w.Key("time_ms"); w.Int64(h.time_ms);
    w.Key("note"); Str(w, h.note);
    w.EndObject();
  }
  w.EndArray();
  w.Key("created_at_ms"); w.Int64(r.created_at_ms);
  w.Key("updated_at_ms"); w.Int64(r.updated_at_ms);
  w.Key("version"); w.Uint64(r.version);
  w.EndObject();
}

Response ReturnResponse(const Result<Return>& r, int http = 200) {
  if (!r.ok()) return StatusResponse(r.status());
  return VersionedResponse(BuildJson([&](JsonWriter& w) { WriteReturn(w, *r); }), r->version, http);
}

// Each element of body.<name> as an object, in order; InvalidArgument naming the element.
template <class F>
Status EachObject(const rapidjson::Value* list, const std::string& path, F&& f) {
  for (rapidjson::SizeType i = 0; list && i < list->Size(); ++i) {
    const std::string at = path + "[" + std::to_string(i) + "]";
    if (!(*list)[i].IsObject()) return Status::InvalidArgument(at + ": expected an object");
    JsonObject o((*list)[i], at);
    COMMERCE_RETURN_IF_ERROR(f(o));
    COMMERCE_RETURN_IF_ERROR(o.Finish());
  }
  return Status::OK();
}

// POST /v1/orders/{id}/returns {"lines": [{"sku", "quantity", "reason"}], "exchange_lines":
// [{"sku", "quantity"}], "note"} with an Idempotency-Key header, as POST /v1/orders: a retry
// with the same key answers the return it made (201), a different request under it 409.
Response RequestReturnRoute(ServerState& st, const Request& r, const Params& p) {
  const auto* key = r.header("idempotency-key");
  if (!key || key->empty())
    return StatusResponse(Status::InvalidArgument(
        "Idempotency-Key: header required (a retry with the same key returns the same return)"));
  if (Status s = OnlyParams(r, {}); !s.ok()) return StatusResponse(s);
  rapidjson::Document doc;
  Response err;
  if (!ReadBody(r, &doc, &err)) return err;
  JsonObject o(doc, "body");
  RequestReturn q;
  q.order_id = p[0];
  q.idempotency_key = *key;
  const rapidjson::Value* lines = nullptr;
  const rapidjson::Value* exchange = nullptr;
  Status s = o.array("lines", &lines, true);
  if (s.ok()) s = o.array("exchange_lines", &exchange);
  if (s.ok()) s = o.str("note", &q.note);
  if (s.ok()) s = o.Finish();
  if (s.ok())
    s = EachObject(lines, "body.lines", [&](JsonObject& lo) {
      ReturnLineRequest l;
      Status ls = lo.str("sku", &l.sku, true);
      if (ls.ok()) ls = lo.i64("quantity", &l.quantity, true);
      if (ls.ok()) ls = lo.str("reason", &l.reason);
      q.lines.push_back(std::move(l));
      return ls;
    });
  if (s.ok())
    s = EachObject(exchange, "body.exchange_lines", [&](JsonObject& lo) {
      ExchangeLine l;
      Status ls = lo.str("sku", &l.sku, true);
      if (ls.ok()) ls = lo.i64("quantity", &l.quantity, true);
      q.exchange_lines.push_back(std::move(l));
      return ls;
    });
  if (!s.ok()) return StatusResponse(s);
  if (Status reach = OrderReachable(st, r, q.order_id); !reach.ok()) return StatusResponse(reach);
  bool replayed = false;
  Response resp = ReturnResponse(st.engine->returns().request(q, &replayed), 201);
  // As for orders: a retry says it wrote nothing, so a client can tell it from a new return.
  if (replayed) resp.headers.emplace_back("Idempotent-Replayed", "true");
  return resp;
}

// GET /v1/orders/{id}/returns: the order's returns, oldest first (404 for an unknown order).
Response OrderReturns(ServerState& st, const Request& r, const Params& p) {
  if (Status s = OnlyParams(r, {}); !s.ok()) return StatusResponse(s);
  if (Status s = OrderReachable(st, r, p[0]); !s.ok()) return StatusResponse(s);
  auto list = st.engine->returns().list_by_order(p[0]);
  if (!list.ok()) return StatusResponse(list.status());
  return JsonResponse(BuildJson([&](JsonWriter& w) {
    w.StartObject();
    w.Key("items");
    w.StartArray();
    for (const auto& x : *list) WriteReturn(w, x);
    w.EndArray();
    w.EndObject();
  }));
}

// GET /v1/returns?status=&customer_id=&cursor=&limit=: returns across orders (ListReturns,
// return_list.h), in return id order; status repeats (any of them).
Response ListReturnsRoute(ServerState& st, const Request& r, const Params&) {
  ReturnFilter f;
  ReturnListOptions o;
  std::optional<int64_t> limit;
  Status s = OnlyParams(r, {"status*", "customer_id", "cursor", "limit"});
  if (s.ok()) s = QueryInt(r, "limit", 1, 1000, &limit);
  if (limit) o.limit = static_cast<size_t>(*limit);
  for (const auto& [k, v] : r.query) {
    if (!s.ok()) break;
    if (k == "status") {
      auto parsed = ParseReturnStatus(v);
      if (parsed.ok()) f.statuses.push_back(*parsed);
      else s = parsed.status();
    } else if (k == "customer_id") {
      // An empty one is a client's mistake, not "any customer", as for GET /v1/orders.
      if (v.empty())
        s = Status::InvalidArgument("customer_id: one non-empty customer id (leave it out for "
                                    "every customer's returns)");
      f.customer_id = v;
    } else if (k == "cursor") {
      if (v.empty()) s = Status::InvalidArgument("cursor: empty (leave it out for the first page)");
      o.cursor = v;
    }
  }
  if (!s.ok()) return StatusResponse(s);
  auto page = ListReturns(*st.engine, f, o);
  if (!page.ok()) return StatusResponse(page.status());
  return JsonResponse(BuildJson([&](JsonWriter& w) {
    w.StartObject();
    w.Key("items");
    w.StartArray();
    for (const auto& x : page->items) WriteReturn(w, x);
    w.EndArray();
    w.Key("next_cursor"); Str(w, page->next_cursor);
    w.EndObject();
  }));
}

Response GetReturn(ServerState& st, const Request& r, const Params& p) {
  if (Status s = OnlyParams(r, {}); !s.ok()) return StatusResponse(s);
  if (Status s = ReturnReachable(st, r, p[0]); !s.ok()) return StatusResponse(s);
  return ReturnResponse(st.engine->returns().get(p[0]));
}

// The body of a move: optional (an empty body is no note), {"note"} and what `more` reads
// (given nullptr for an empty body); If-Match as the return's version. False with *err set.
template <class F>
bool ReadMove(const Request& r, ReturnMoveOptions* m, Response* err, F&& more) {
  Status s = OnlyParams(r, {});
  if (s.ok() && !IfMatch(r, &m->if_version, err)) return false;
  if (s.ok() && r.body.empty()) s = more(nullptr);
  if (s.ok() && !r.body.empty()) {
    rapidjson::Document doc;
    if (!ReadBody(r, &doc, err)) return false;
    JsonObject o(doc, "body");
    s = o.str("note", &m->note);
    if (s.ok()) s = more(&o);
    if (s.ok()) s = o.Finish();
  }
  if (!s.ok()) *err = StatusResponse(s);
  return s.ok();
}

Status NoMore(JsonObject*) { return Status::OK(); }

using Move = Result<Return> (Returns::*)(std::string_view, ReturnMoveOptions);

// approve, reject, cancel: {"note"} at most.
template <Move move>
Response SimpleMove(ServerState& st, const Request& r, const Params& p) {
  ReturnMoveOptions m;
  Response err;
  if (!ReadMove(r, &m, &err, NoMore)) return err;
  if (Status s = ReturnReachable(st, r, p[0]); !s.ok()) return StatusResponse(s);
  return ReturnResponse((st.engine->returns().*move)(p[0], m));
}

// POST /v1/returns/{id}/receive {"lines": [{"sku", "warehouse_id"} | {"sku", "write_off": true}]}
Response ReceiveReturn(ServerState& st, const Request& r, const Params& p) {
  ReturnMoveOptions m;
  std::vector<ReceiveLine> lines;
  Response err;
  auto read_lines = [&](JsonObject* o) {
    if (!o) return Status::InvalidArgument("body.lines: required (each line of the return once)");
    const rapidjson::Value* list = nullptr;
    COMMERCE_RETURN_IF_ERROR(o->array("lines", &list, true));
    return EachObject(list, "body.lines", [&](JsonObject& lo) {
      ReceiveLine l;
      Status ls = lo.str("sku", &l.sku, true);
      if (ls.ok()) ls = lo.str("warehouse_id", &l.warehouse_id);
      if (ls.ok()) ls = lo.boolean("write_off", &l.write_off);
      lines.push_back(std::move(l));
      return ls;
    });
  };
  if (!ReadMove(r, &m, &err, read_lines)) return err;
  return ReturnResponse(st.engine->returns().receive(p[0], lines, m));
}

// POST /v1/returns/{id}/refund {"amount_minor"}: without it, the return's refund due.
Response RefundReturn(ServerState& st, const Request& r, const Params& p) {
  ReturnMoveOptions m;
  std::optional<int64_t> amount;
  Response err;
  auto read_amount = [&](JsonObject* o) { return o ? o->opt_i64("amount_minor", &amount) : Status::OK(); };
  if (!ReadMove(r, &m, &err, read_amount)) return err;
  return ReturnResponse(st.engine->returns().refund(p[0], amount, m));
}

}  // namespace

void AddReturnRoutes(std::vector<Route>* r) {
  r->push_back({"POST", "/v1/orders/{id}/returns", Scope::kStore, Exec::kPool, Body::kJson, RequestReturnRoute});
  r->push_back({"GET", "/v1/orders/{id}/returns", Scope::kStore, Exec::kPool, Body::kNone, OrderReturns});
  r->push_back({"GET", "/v1/returns", Scope::kAdmin, Exec::kPool, Body::kNone, ListReturnsRoute});
  r->push_back({"GET", "/v1/returns/{id}", Scope::kStore, Exec::kLoop, Body::kNone, GetReturn});
  r->push_back({"POST", "/v1/returns/{id}/approve", Scope::kAdmin, Exec::kPool, Body::kJson,
                SimpleMove<&Returns::approve>});
  r->push_back({"POST", "/v1/returns/{id}/reject", Scope::kAdmin, Exec::kPool, Body::kJson,
                SimpleMove<&Returns::reject>});
  r->push_back({"POST", "/v1/returns/{id}/cancel", Scope::kStore, Exec::kPool, Body::kJson,
                SimpleMove<&Returns::cancel>});
  r->push_back({"POST", "/v1/returns/{id}/receive", Scope::kAdmin, Exec::kPool, Body::kJson, ReceiveReturn});
  r->push_back({"POST", "/v1/returns/{id}/refund", Scope::kAdmin, Exec::kPool, Body::kJson, RefundReturn});
}

}  // namespace commerce::server
