// Routes of customers, carts and orders. Scopes (docs/security.md): customers, a customer's
// orders and cart login are store; order transitions and listing by status are admin; carts
// (addressed by their unguessable id), placing an order and reading one are public, where a
// public key (in a browser, so in anyone's hands) makes only guest carts with ids of the
// server's choosing, and reads only the orders whose Order-Token it holds.
#include "key_channel.h"
#include "routes.h"

namespace commerce::server {

namespace {

// A channel's price lists are the shop's to choose, not a browser's: a public key uses none
// unless the shop limited it to one (`channel=` in the keys file, key_channel.h), and then
// that one only; otherwise the store's backend makes a channel's carts (docs/security.md).
constexpr const char* kPublicChannel =
    "body.channel: a public key cannot choose a channel (its prices are the shop's to choose: "
    "the store's backend creates a channel's carts, or limits a public key to a channel)";


Response CustomerResponse(const Customer& c, int http = 200) {
  return VersionedResponse(BuildJson([&](JsonWriter& w) { WriteCustomer(w, c); }), c.version, http);
}

Response CartResponse(const Cart& c, int http = 200) {
  return JsonResponse(BuildJson([&](JsonWriter& w) { WriteCart(w, c); }), http);
}

Response OrderResponse(const Order& o, int http = 200) {
  return VersionedResponse(BuildJson([&](JsonWriter& w) { WriteOrder(w, o); }), o.version, http);
}

Response OrderPage(const Page<Order>& page) {
  return JsonResponse(BuildJson([&](JsonWriter& w) {
    w.StartObject();
    w.Key("items");
    w.StartArray();
    for (const auto& o : page.items) WriteOrder(w, o);
    w.EndArray();
    w.Key("next_cursor"); Str(w, page.next_cursor);
    w.EndObject();
  }));
}

Status PageOptions(const Request& r, OrderListOptions* o) {
  std::optional<int64_t> limit;
  COMMERCE_RETURN_IF_ERROR(QueryInt(r, "limit", 1, 1000, &limit));
  if (limit) o->limit = static_cast<size_t>(*limit);
  if (const auto* c = r.param("cursor")) o->cursor = *c;
  return Status::OK();
}

// --- customers ---

Response CreateCustomer(ServerState& st, const Request& r, const Params&) {
  rapidjson::Document doc;
  Response err;
  if (!ReadBody(r, &doc, &err)) return err;
  Customer c;
  Status s = ReadCustomer(doc, &c);
  if (!s.ok()) return StatusResponse(s);
  auto out = st.engine->customers().create(c);
  return out.ok() ? CustomerResponse(*out, 201) : StatusResponse(out.status());
}

Response FindCustomer(ServerState& st, const Request& r, const Params&) {
  Status s = OnlyParams(r, {"email"});
  if (!s.ok()) return StatusResponse(s);
  const auto* email = r.param("email");
  if (!email) return StatusResponse(Status::InvalidArgument("email: required"));
  auto c = st.engine->customers().get_by_email(*email);
  return c.ok() ? CustomerResponse(*c) : StatusResponse(c.status());
}

Response GetCustomer(ServerState& st, const Request&, const Params& p) {
  auto c = st.engine->customers().get(p[0]);
  return c.ok() ? CustomerResponse(*c) : StatusResponse(c.status());
}

Response UpdateCustomer(ServerState& st, const Request& r, const Params& p) {
  rapidjson::Document doc;
  Response err;
  if (!ReadBody(r, &doc, &err)) return err;
  Customer c;
  Status s = ReadCustomer(doc, &c);
  if (!s.ok()) return StatusResponse(s);
  if (!c.id.empty() && c.id != p[0])
    return StatusResponse(Status::InvalidArgument("body.id: differs from the id in the path"));
  c.id = p[0];
  std::optional<uint64_t> version;
  if (!IfMatch(r, &version, &err)) return err;
  auto out = st.engine->customers().update(c, version);
  return out.ok() ? CustomerResponse(*out) : StatusResponse(out.status());
}

Response CustomerOrders(ServerState& st, const Request& r, const Params& p) {
  OrderListOptions o;
  Status s = OnlyParams(r, {"cursor", "limit"});
  if (s.ok()) s = PageOptions(r, &o);
  if (!s.ok()) return StatusResponse(s);
  auto page = st.engine->orders().list_by_customer(p[0], o);
  if (!page.ok()) return StatusResponse(page.status());
  // A channel key sees the customer's orders of its channel only; the cursor goes on from
  // the last order read, listed or not, so a page may hold fewer than `limit`.
  if (!r.key_channel.empty())
    std::erase_if(page->items, [&](const Order& order) { return !OrderInKeyChannel(r, order).ok(); });
  return OrderPage(*page);
}

// --- carts ---

Response CreateCart(ServerState& st, const Request& r, const Params&) {
  NewCart c;
  if (!r.body.empty()) {
    rapidjson::Document doc;
    Response err;
    if (!ReadBody(r, &doc, &err)) return err;
    JsonObject o(doc, "body");
    Status s = o.str("id", &c.id);
    if (s.ok()) s = o.str("customer_id", &c.customer_id);
    if (s.ok()) s = o.str("currency", &c.currency);
    if (s.ok()) s = o.str("channel", &c.channel);
    if (s.ok()) s = o.Finish();
    if (!s.ok()) return StatusResponse(s);
  }
  // A chosen id could be guessed, and a cart given to a customer becomes the one their next
  // login merges into (Carts::merge_guest_into_customer): a stranger who made it would read
  // the customer's cart by its id. Login, which proves who the shopper is, is the store's.
  if (r.scope == Scope::kPublic && !c.id.empty())
    return ErrorResponse(403, "PERMISSION_DENIED",
                         "body.id: a public key cannot choose a cart's id (the server makes an "
                         "unguessable one)");
  if (r.scope == Scope::kPublic && !c.customer_id.empty())
    return ErrorResponse(403, "PERMISSION_DENIED",
                         "body.customer_id: a public key makes guest carts; the store's backend "
                         "gives a cart to a customer (POST /v1/carts/{id}/login)");
  if (r.scope == Scope::kPublic && !c.channel.empty() && r.key_channel.empty())
    return ErrorResponse(403, "PERMISSION_DENIED", kPublicChannel);
  if (auto denied = HoldToKeyChannel(r, "body.channel", &c.channel)) return *denied;
  auto out = st.engine->carts().create(c);
  return out.ok() ? CartResponse(*out, 201) : StatusResponse(out.status());
}

Response GetCart(ServerState& st, const Request& r, const Params& p) {
  auto c = st.engine->carts().get(p[0]);
  if (c.ok() && !r.key_channel.empty() && c->channel != r.key_channel)
    return StatusResponse(Status::NotFound("cart_id: no cart with id '" + p[0] + "'"));
  return c.ok() ? CartResponse(*c) : StatusResponse(c.status());
}

Response DeleteCart(ServerState& st, const Request& r, const Params& p) {
  if (Status in_channel = CartInKeyChannel(*st.engine, r, p[0]); !in_channel.ok()) return StatusResponse(in_channel);
  Status s = st.engine->carts().remove_cart(p[0]);
  if (!s.ok()) return StatusResponse(s);
  return JsonResponse("{\"deleted\":true}");
}

Response AddLine(ServerState& st, const Request& r, const Params& p) {
  rapidjson::Document doc;
  Response err;
  if (!ReadBody(r, &doc, &err)) return err;
  JsonObject o(doc, "body");
  std::string sku;
  int64_t qty = 0;
  Status s = o.str("sku", &sku, true);
  if (s.ok()) s = o.i64("quantity", &qty, true);
  if (s.ok()) s = o.Finish();
  if (!s.ok()) return StatusResponse(s);
  if (Status in_channel = CartInKeyChannel(*st.engine, r, p[0]); !in_channel.ok()) return StatusResponse(in_channel);
  auto out = st.engine->carts().add(p[0], sku, qty);
  return out.ok() ? CartResponse(*out) : StatusResponse(out.status());
}

Response SetLine(ServerState& st, const Request& r, const Params& p) {
  rapidjson::Document doc;
  Response err;
  if (!ReadBody(r, &doc, &err)) return err;
  JsonObject o(doc, "body");
  int64_t qty = 0;
  Status s = o.i64("quantity", &qty, true);
  if (s.ok()) s = o.Finish();
  if (!s.ok()) return StatusResponse(s);
  if (Status in_channel = CartInKeyChannel(*st.engine, r, p[0]); !in_channel.ok()) return StatusResponse(in_channel);
  auto out = st.engine->carts().set_quantity(p[0], p[1], qty);
  return out.ok() ? CartResponse(*out) : StatusResponse(out.status());
}

Response RemoveLine(ServerState& st, const Request& r, const Params& p) {
  if (Status in_channel = CartInKeyChannel(*st.engine, r, p[0]); !in_channel.ok()) return StatusResponse(in_channel);
  auto out = st.engine->carts().remove(p[0], p[1]);
  return out.ok() ? CartResponse(*out) : StatusResponse(out.status());
}

Response ClearCart(ServerState& st, const Request& r, const Params& p) {
  if (Status in_channel = CartInKeyChannel(*st.engine, r, p[0]); !in_channel.ok()) return StatusResponse(in_channel);
  auto out = st.engine->carts().clear(p[0]);
  return out.ok() ? CartResponse(*out) : StatusResponse(out.status());
}

// Login: the guest cart's lines move into the customer's cart.
Response LoginCart(ServerState& st, const Request& r, const Params& p) {
  rapidjson::Document doc;
  Response err;
  if (!ReadBody(r, &doc, &err)) return err;
  JsonObject o(doc, "body");
  std::string customer;
  Status s = o.str("customer_id", &customer, true);
  if (s.ok()) s = o.Finish();
  if (!s.ok()) return StatusResponse(s);
  if (Status in_channel = CartInKeyChannel(*st.engine, r, p[0]); !in_channel.ok()) return StatusResponse(in_channel);
  auto out = st.engine->carts().merge_guest_into_customer(p[0], customer);
  return out.ok() ? CartResponse(*out) : StatusResponse(out.status());
}

// --- orders ---

// The order as POST /v1/orders answers it.
Response PlacedResponse(Result<Order> out, bool replayed) {
  if (!out.ok()) return StatusResponse(out.status());
  if (!replayed) return OrderResponse(*out, 201);
  // A retry answers what the first attempt answered: 201 and the order as it was placed,
  // whatever happened to it since (a transition changes only these fields, order.h).
  Order as_placed = *out;
  // placed, or payment_pending with payments (payments.h): the first history entry's.
  as_placed.status = as_placed.history.empty() ? OrderStatus::kPlaced : as_placed.history[0].to;
  if (!as_placed.history.empty()) as_placed.history.resize(1);
  as_placed.updated_at_ms = as_placed.created_at_ms;
  as_placed.version = 1;
  Response resp = OrderResponse(as_placed, 201);
  resp.headers.emplace_back("Idempotent-Replayed", "true");
  return resp;
}

void Answer(const Reply& reply, Response resp) {
  reply([resp = std::move(resp)] { return resp; });
}

// Async (routes.h): the order is prepared on this pool thread and handed to the writer; the
// reply comes from the writer's thread once it is durable, and no thread waits meanwhile.
void PlaceOrderRoute(ServerState& st, const Request& r, const Params&, Reply reply) {
  const auto* key = r.header("idempotency-key");
  if (!key || key->empty())
    return Answer(reply, StatusResponse(Status::InvalidArgument(
        "Idempotency-Key: header required (a retry with the same key returns the same order)")));
  rapidjson::Document doc;
  Response err;
  if (!ReadBody(r, &doc, &err)) return Answer(reply, std::move(err));
  JsonObject o(doc, "body");
  PlaceOrder req;
  req.idempotency_key = *key;
  const rapidjson::Value* lines = nullptr;
  const rapidjson::Value* address = nullptr;
  Status s = o.str("customer_id", &req.customer_id, true);
  if (s.ok()) s = o.str("cart_id", &req.cart_id);
  if (s.ok()) s = o.str("currency", &req.currency);
  if (s.ok()) s = o.str("channel", &req.channel);
  if (s.ok()) s = o.str_list("coupon_codes", &req.coupon_codes);
  if (s.ok()) s = o.array("lines", &lines);
  if (s.ok()) s = o.object("shipping_address", &address, true);
  if (s.ok()) s = ReadAddress(*address, "body.shipping_address", &req.shipping_address);
  for (rapidjson::SizeType i = 0; s.ok() && lines && i < lines->Size(); ++i) {
    std::string path = "body.lines[" + std::to_string(i) + "]";
    if (!(*lines)[i].IsObject()) {
      s = Status::InvalidArgument(path + ": expected an object");
      break;
    }
    JsonObject lo((*lines)[i], path);
    OrderLineRequest line;
    s = lo.str("sku", &line.sku, true);
    if (s.ok()) s = lo.i64("quantity", &line.quantity, true);
    if (s.ok()) s = lo.Finish();
    req.lines.push_back(std::move(line));
  }
  if (s.ok()) s = o.Finish();
  if (!s.ok()) return Answer(reply, StatusResponse(s));
  // A cart's order takes the cart's channel, which the backend chose; one named here by a
  // public key would be the browser's choice of prices.
  if (r.scope == Scope::kPublic && !req.channel.empty() && r.key_channel.empty())
    return Answer(reply, ErrorResponse(403, "PERMISSION_DENIED", kPublicChannel));
  if (auto denied = HoldToKeyChannel(r, "body.channel", &req.channel)) return Answer(reply, std::move(*denied));
  // A cart of another channel is none to this key (the engine would say whose it is).
  if (!r.key_channel.empty() && !req.cart_id.empty())
    if (Status in_channel = CartInKeyChannel(*st.engine, r, req.cart_id); !in_channel.ok())
      return Answer(reply, StatusResponse(in_channel));
  st.engine->orders().place_async(
      std::move(req), [reply = std::move(reply)](Result<Order> out, bool replayed) {
        auto placed = std::make_shared<Result<Order>>(std::move(out));
        reply([placed, replayed] { return PlacedResponse(std::move(*placed), replayed); });
      });
}

// A public key reads an order only with its access token (Order-Token: the placement
// answer's access_token), never in the URL, where logs and Referer headers would keep it.
Response GetOrder(ServerState& st, const Request& r, const Params& p) {
  // No parameters: an order_token in the query is refused, not quietly ignored.
  if (Status s = OnlyParams(r, {}); !s.ok()) return StatusResponse(s);
  if (r.scope != Scope::kPublic) {
    auto o = st.engine->orders().get(p[0]);
    if (o.ok())
      if (Status in_channel = OrderInKeyChannel(r, *o); !in_channel.ok()) return StatusResponse(in_channel);
    return o.ok() ? OrderResponse(*o) : StatusResponse(o.status());
  }
  const auto* token = r.header("order-token");
  if (!token || token->empty())
    return StatusResponse(Status::InvalidArgument(
        "Order-Token: header required with a public key (the access_token of the order's "
        "placement answer)"));
  auto o = st.engine->orders().get_by_token(p[0], *token);
  if (o.ok())
    if (Status in_channel = OrderInKeyChannel(r, *o); !in_channel.ok()) return StatusResponse(in_channel);
  return o.ok() ? OrderResponse(*o) : StatusResponse(o.status());
}

// GET /v1/orders: every order, or those of the given statuses (repeatable), customer and
// created_at range, oldest first (Orders::list).
Response ListOrders(ServerState& st, const Request& r, const Params&) {
  OrderListOptions o;
  OrderFilter f;
  Status s = OnlyParams(r, {"status*", "customer_id", "created_from_ms", "created_before_ms",
                            "cursor", "limit"});
  if (s.ok()) s = PageOptions(r, &o);
  for (const auto& [k, v] : r.query) {
    if (!s.ok()) break;
    if (k == "status") {
      auto parsed = ParseOrderStatus(v);
      if (parsed.ok()) f.statuses.push_back(*parsed);
      else s = parsed.status().WithContext("status");
    } else if (k == "customer_id") {
      // An empty one is a client's mistake, not "any customer" (OnlyParams refuses a repeat).
      if (v.empty())
        s = Status::InvalidArgument("customer_id: one non-empty customer id (leave it out for "
                                    "every customer's orders)");
      f.customer_id = v;
    }
  }
  if (s.ok()) s = QueryInt(r, "created_from_ms", 0, INT64_MAX, &f.created_from_ms);
  if (s.ok()) s = QueryInt(r, "created_before_ms", 0, INT64_MAX, &f.created_before_ms);
  if (!s.ok()) return StatusResponse(s);
  auto page = st.engine->orders().list(f, o);
  return page.ok() ? OrderPage(*page) : StatusResponse(page.status());
}

Response TransitionOrder(ServerState& st, const Request& r, const Params& p) {
  rapidjson::Document doc;
  Response err;
  if (!ReadBody(r, &doc, &err)) return err;
  JsonObject o(doc, "body");
  std::string to;
  TransitionOptions t;
  Status s = o.str("to", &to, true);
  if (s.ok()) s = o.str("note", &t.note);
  if (s.ok()) s = o.boolean("restock", &t.restock);
  if (s.ok()) s = o.Finish();
  if (!s.ok()) return StatusResponse(s);
  auto status = ParseOrderStatus(to);
  if (!status.ok()) return StatusResponse(status.status().WithContext("body.to"));
  if (!IfMatch(r, &t.if_version, &err)) return err;
  auto out = st.engine->orders().transition(p[0], *status, t);
  return out.ok() ? OrderResponse(*out) : StatusResponse(out.status());
}

}  // namespace

void AddOrderRoutes(std::vector<Route>* r) {
  r->push_back({"POST", "/v1/customers", Scope::kStore, Exec::kPool, Body::kJson, CreateCustomer});
  r->push_back({"GET", "/v1/customers", Scope::kStore, Exec::kLoop, Body::kNone, FindCustomer});
  r->push_back({"GET", "/v1/customers/{id}", Scope::kStore, Exec::kLoop, Body::kNone, GetCustomer});
  r->push_back({"PUT", "/v1/customers/{id}", Scope::kStore, Exec::kPool, Body::kJson, UpdateCustomer});
  r->push_back({"GET", "/v1/customers/{id}/orders", Scope::kStore, Exec::kPool, Body::kNone, CustomerOrders});
  r->push_back({"POST", "/v1/carts", Scope::kPublic, Exec::kPool, Body::kJson, CreateCart});
  r->push_back({"GET", "/v1/carts/{id}", Scope::kPublic, Exec::kLoop, Body::kNone, GetCart});
  r->push_back({"DELETE", "/v1/carts/{id}", Scope::kPublic, Exec::kPool, Body::kNone, DeleteCart});
  r->push_back({"POST", "/v1/carts/{id}/lines", Scope::kPublic, Exec::kPool, Body::kJson, AddLine});
  r->push_back({"DELETE", "/v1/carts/{id}/lines", Scope::kPublic, Exec::kPool, Body::kNone, ClearCart});
  r->push_back({"PUT", "/v1/carts/{id}/lines/{sku}", Scope::kPublic, Exec::kPool, Body::kJson, SetLine});
  r->push_back({"DELETE", "/v1/carts/{id}/lines/{sku}", Scope::kPublic, Exec::kPool, Body::kNone, RemoveLine});
  r->push_back({"POST", "/v1/carts/{id}/login", Scope::kStore, Exec::kPool, Body::kJson, LoginCart});
  r->push_back({"POST", "/v1/orders", Scope::kPublic, Exec::kPool, Body::kJson, nullptr, nullptr, PlaceOrderRoute});
  r->push_back({"GET", "/v1/orders", Scope::kAdmin, Exec::kPool, Body::kNone, ListOrders});
  r->push_back({"GET", "/v1/orders/{id}", Scope::kPublic, Exec::kLoop, Body::kNone, GetOrder});
  r->push_back({"POST", "/v1/orders/{id}/transitions", Scope::kAdmin, Exec::kPool, Body::kJson, TransitionOrder});
}

}  // namespace commerce::server
