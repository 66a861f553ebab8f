// Routes of price lists and of the price that applies (docs/prices.md, "Over HTTP"). Scopes
// (docs/security.md): the lists are admin (they set what the shop charges); the price of a SKU
// is public, as the catalog's base price is, where a public key asks for a guest's price
// only: a customer group's or a channel's prices are the shop's to show (a wholesale price
// list is often confidential), and the time is now (a sale not yet started is not announced).
#include <algorithm>

#include "key_channel.h"
#include "routes.h"

namespace commerce::server {

namespace {

// A page of price lists holds up to this many by default, and never more than
// kMaxPriceListPage (price_lists.h): a list carries up to kMaxPriceListEntries entries, so a
// page of 1,000 (the other listings' bound) could be 10 million entries in one answer.
constexpr int64_t kDefaultPriceListPage = 20;

void WritePriceList(JsonWriter& w, const PriceList& l) {
  w.StartObject();
  w.Key("id"); Str(w, l.id);
  w.Key("name"); Str(w, l.name);
  w.Key("currency"); Str(w, l.currency);
  w.Key("customer_group"); Str(w, l.customer_group);
  w.Key("channel"); Str(w, l.channel);
  w.Key("starts_at_ms"); w.Int64(l.starts_at_ms);
  w.Key("ends_at_ms"); w.Int64(l.ends_at_ms);
  w.Key("priority"); w.Int(l.priority);
  w.Key("tax_inclusive"); w.Bool(l.tax_inclusive);
  w.Key("entries");
  w.StartArray();
  for (const auto& e : l.entries) {
    w.StartObject();
    w.Key("sku"); Str(w, e.sku);
    w.Key("price_minor"); w.Int64(e.price_minor);
    w.Key("min_quantity"); w.Int64(e.min_quantity);
    w.EndObject();
  }
  w.EndArray();
  w.Key("created_at_ms"); w.Int64(l.created_at_ms);
  w.Key("updated_at_ms"); w.Int64(l.updated_at_ms);
  w.Key("version"); w.Uint64(l.version);
  w.EndObject();
}

Status ReadPriceList(const rapidjson::Value& v, PriceList* l) {
  JsonObject o(v, "body");
  const rapidjson::Value* entries = nullptr;
  Status s = o.str("id", &l->id);
  if (s.ok()) s = o.str("name", &l->name, true);
  if (s.ok()) s = o.str("currency", &l->currency, true);
  if (s.ok()) s = o.str("customer_group", &l->customer_group);
  if (s.ok()) s = o.str("channel", &l->channel);
  if (s.ok()) s = o.i64("starts_at_ms", &l->starts_at_ms);
  if (s.ok()) s = o.i64("ends_at_ms", &l->ends_at_ms);
  if (s.ok()) s = o.i32("priority", &l->priority);
  if (s.ok()) s = o.boolean("tax_inclusive", &l->tax_inclusive);
  if (s.ok()) s = o.array("entries", &entries);
  for (rapidjson::SizeType i = 0; s.ok() && entries && i < entries->Size(); ++i) {
    std::string path = "body.entries[" + std::to_string(i) + "]";
    if (!(*entries)[i].IsObject()) return Status::InvalidArgument(path + ": expected an object");
    JsonObject eo((*entries)[i], path);
    PriceEntry e;
    s = eo.str("sku", &e.sku, true);
    if (s.ok()) s = eo.i64("price_minor", &e.price_minor, true);
    if (s.ok()) s = eo.i64("min_quantity", &e.min_quantity);
    if (s.ok()) s = eo.Finish();
    l->entries.push_back(std::move(e));
  }
  for (const char* echoed : {"created_at_ms", "updated_at_ms", "version"}) o.ignore(echoed);
  if (s.ok()) s = o.Finish();
  return s;
}

// The request's body as a list: false with *err (400/415) for a bad one.
bool ReadPriceListBody(const Request& r, PriceList* l, Response* err) {
  rapidjson::Document doc;
  if (!ReadBody(r, &doc, err)) return false;
  Status s = ReadPriceList(doc, l);
  if (!s.ok()) *err = StatusResponse(s);
  return s.ok();
}

Response PriceListResponse(const PriceList& l, int http = 200) {
  return VersionedResponse(BuildJson([&](JsonWriter& w) { WritePriceList(w, l); }), l.version, http);
}

Response CreatePriceList(ServerState& st, const Request& r, const Params&) {
  PriceList l;
  Response err;
  if (!ReadPriceListBody(r, &l, &err)) return err;
  auto out = st.engine->price_lists().create(l);
  return out.ok() ? PriceListResponse(*out, 201) : StatusResponse(out.status());
}

// GET /v1/price-lists?cursor=&limit=: the lists by id, a page at a time, read from the store a
// page at a time (PriceLists::list). The cursor is the last id of the page before (opaque to
// clients), so a list created or removed while a client pages neither repeats nor hides another.
Response ListPriceLists(ServerState& st, const Request& r, const Params&) {
  std::optional<int64_t> limit;
  Status s = OnlyParams(r, {"cursor", "limit"});
  if (s.ok()) s = QueryInt(r, "limit", 1, static_cast<int64_t>(kMaxPriceListPage), &limit);
  const auto* cursor = r.param("cursor");
  if (s.ok() && cursor && cursor->empty())
    s = Status::InvalidArgument("cursor: empty (leave it out for the first page)");
  if (!s.ok()) return StatusResponse(s);
  PriceListPageOptions o;
  if (cursor) o.cursor = *cursor;
  o.limit = static_cast<size_t>(limit.value_or(kDefaultPriceListPage));
  auto page = st.engine->price_lists().list(o);
  if (!page.ok()) return StatusResponse(page.status());
  return JsonResponse(BuildJson([&](JsonWriter& w) {
    w.StartObject();
    w.Key("items");
    w.StartArray();
    for (const auto& l : page->items) WritePriceList(w, l);
    w.EndArray();
    w.Key("next_cursor"); Str(w, page->next_cursor);
    w.EndObject();
  }));
}

Response GetPriceList(ServerState& st, const Request& r, const Params& p) {
  if (Status s = OnlyParams(r, {}); !s.ok()) return StatusResponse(s);
  auto out = st.engine->price_lists().get(p[0]);
  return out.ok() ? PriceListResponse(*out) : StatusResponse(out.status());
}

Response UpdatePriceList(ServerState& st, const Request& r, const Params& p) {
  PriceList l;
  Response err;
  if (!ReadPriceListBody(r, &l, &err)) return err;
  if (!l.id.empty() && l.id != p[0])
    return StatusResponse(Status::InvalidArgument("body.id: differs from the id in the path"));
  l.id = p[0];
  std::optional<uint64_t> version;
  if (!IfMatch(r, &version, &err)) return err;
  auto out = st.engine->price_lists().update(l, version);
  return out.ok() ? PriceListResponse(*out) : StatusResponse(out.status());
}

Response DeletePriceList(ServerState& st, const Request& r, const Params& p) {
  if (Status s = OnlyParams(r, {}); !s.ok()) return StatusResponse(s);
  std::optional<uint64_t> version;
  Response err;
  if (!IfMatch(r, &version, &err)) return err;
  Status s = st.engine->price_lists().remove(p[0], version);
  if (!s.ok()) return StatusResponse(s);
  return JsonResponse("{\"deleted\":true}");
}

// GET /v1/prices/{sku}?currency=&customer_group=&channel=&quantity=&at_ms=: the price that
// applies to that caller, and why (PriceLists::price).
Response GetPrice(ServerState& st, const Request& r, const Params& p) {
  Status s = OnlyParams(r, {"currency", "customer_group", "channel", "quantity", "at_ms"});
  PriceContext ctx;
  std::optional<int64_t> quantity, at;
  if (s.ok()) s = QueryInt(r, "quantity", 1, kMaxQuantity, &quantity);
  if (s.ok()) s = QueryInt(r, "at_ms", 1, INT64_MAX, &at);
  if (!s.ok()) return StatusResponse(s);
  const auto* currency = r.param("currency");
  if (!currency || currency->empty())
    return StatusResponse(Status::InvalidArgument(
        "currency: required (ISO 4217, such as EUR): a price is in one currency, never converted"));
  ctx.currency = *currency;
  // An empty one is a client's mistake, not "none" (leaving it out is).
  for (const char* name : {"customer_group", "channel"})
    if (const auto* v = r.param(name); v && v->empty())
      return StatusResponse(Status::InvalidArgument(std::string(name) + ": empty (leave it out for none)"));
  if (const auto* g = r.param("customer_group")) ctx.customer_group = *g;
  if (const auto* c = r.param("channel")) ctx.channel = *c;
  ctx.quantity = quantity.value_or(1);
  ctx.now_ms = at.value_or(0);
  // A channel key's prices are its channel's: asked without one, or with its own (key_channel.h).
  if (auto denied = HoldToKeyChannel(r, "channel", &ctx.channel)) return *denied;
  if (r.scope == Scope::kPublic || !r.key_channel.empty()) {
    if (r.scope == Scope::kPublic)
      for (const char* name : {"customer_group", "channel", "at_ms"})
        if (r.param(name) && !(std::string_view(name) == "channel" && !r.key_channel.empty()))
          return ErrorResponse(403, "PERMISSION_DENIED",
                               std::string(name) + ": a public key asks for a guest's price now, "
                               "in no channel or its own (the store's backend asks for the others)");
    // As GET /v1/skus/{sku}: a draft or archived product is not a public key's to see, nor a
    // product its channel hides a channel key's.
    const std::string none = "no product has sku '" + p[0] + "'";
    auto product = ShownToKey(*st.engine, r, st.engine->catalog().get_by_sku(p[0]), none);
    if (!product.ok()) return StatusResponse(product.status());
    if (r.scope == Scope::kPublic && product->status != ProductStatus::kActive)
      return StatusResponse(Status::NotFound(none));
  }
  auto out = st.engine->price_lists().price(p[0], ctx);
  if (!out.ok()) return StatusResponse(out.status());
  return JsonResponse(BuildJson([&](JsonWriter& w) {
    w.StartObject();
    w.Key("sku"); Str(w, out->sku);
    w.Key("price"); WriteMoney(w, out->price);
    w.Key("source"); w.String(out->price_list_id.empty() ? "base_price" : "price_list");
    w.Key("price_list_id"); Str(w, out->price_list_id);
    w.Key("price_list_version"); w.Uint64(out->price_list_version);
    w.Key("min_quantity"); w.Int64(out->min_quantity);
    w.Key("tax_inclusive"); w.Bool(out->tax_inclusive);
    w.EndObject();
  }));
}

}  // namespace

void AddPriceListRoutes(std::vector<Route>* r) {
  r->push_back({"POST", "/v1/price-lists", Scope::kAdmin, Exec::kPool, Body::kJson, CreatePriceList});
  r->push_back({"GET", "/v1/price-lists", Scope::kAdmin, Exec::kPool, Body::kNone, ListPriceLists});
  r->push_back({"GET", "/v1/price-lists/{id}", Scope::kAdmin, Exec::kPool, Body::kNone, GetPriceList});
  r->push_back({"PUT", "/v1/price-lists/{id}", Scope::kAdmin, Exec::kPool, Body::kJson, UpdatePriceList});
  r->push_back({"DELETE", "/v1/price-lists/{id}", Scope::kAdmin, Exec::kPool, Body::kNone, DeletePriceList});
  r->push_back({"GET", "/v1/prices/{sku}", Scope::kPublic, Exec::kPool, Body::kNone, GetPrice});
}

}  // namespace commerce::server
