// Routes of channels (docs/channels.md, "Over HTTP"). Scopes (docs/security.md): admin, as
// price lists are: a channel decides what a storefront sells, and from where.
#include <algorithm>

#include "commerce/channels.h"
#include "routes.h"

namespace commerce::server {

namespace {

constexpr int64_t kDefaultChannelPage = 20;
// A channel carries up to 2 x kMaxChannelProducts product ids: a page of 100 is the bound.
constexpr int64_t kMaxChannelPage = 100;

void Strings(JsonWriter& w, const char* name, const std::vector<std::string>& v) {
  w.Key(name);
  w.StartArray();
  for (const auto& s : v) Str(w, s);
  w.EndArray();
}

void WriteChannel(JsonWriter& w, const Channel& c) {
  w.StartObject();
  w.Key("id"); Str(w, c.id);
  w.Key("name"); Str(w, c.name);
  w.Key("default_currency"); Str(w, c.default_currency);
  Strings(w, "currencies", c.currencies);
  Strings(w, "warehouse_ids", c.warehouse_ids);
  Strings(w, "category_ids", c.category_ids);
  Strings(w, "product_ids", c.product_ids);
  Strings(w, "excluded_product_ids", c.excluded_product_ids);
  w.Key("created_at_ms"); w.Int64(c.created_at_ms);
  w.Key("updated_at_ms"); w.Int64(c.updated_at_ms);
  w.Key("version"); w.Uint64(c.version);
  w.EndObject();
}

Status ReadChannel(const rapidjson::Value& v, Channel* c) {
  JsonObject o(v, "body");
  Status s = o.str("id", &c->id);
  if (s.ok()) s = o.str("name", &c->name, true);
  if (s.ok()) s = o.str("default_currency", &c->default_currency, true);
  if (s.ok()) s = o.str_list("currencies", &c->currencies);
  if (s.ok()) s = o.str_list("warehouse_ids", &c->warehouse_ids);
  if (s.ok()) s = o.str_list("category_ids", &c->category_ids);
  if (s.ok()) s = o.str_list("product_ids", &c->product_ids);
  if (s.ok()) s = o.str_list("excluded_product_ids", &c->excluded_product_ids);
  for (const char* echoed : {"created_at_ms", "updated_at_ms", "version"}) o.ignore(echoed);
  if (s.ok()) s = o.Finish();
  return s;
}

// The request's body as a channel: false with *err (400/415) for a bad one.
bool ReadChannelBody(const Request& r, Channel* c, Response* err) {
  rapidjson::Document doc;
  if (!ReadBody(r, &doc, err)) return false;
  Status s = ReadChannel(doc, c);
  if (!s.ok()) *err = StatusResponse(s);
  return s.ok();
}

Response ChannelResponse(const Channel& c, int http = 200) {
  return VersionedResponse(BuildJson([&](JsonWriter& w) { WriteChannel(w, c); }), c.version, http);
}

Response CreateChannel(ServerState& st, const Request& r, const Params&) {
  Channel c;
  Response err;
  if (!ReadChannelBody(r, &c, &err)) return err;
  auto out = st.engine->channels().create(c);
  return out.ok() ? ChannelResponse(*out, 201) : StatusResponse(out.status());
}

// GET /v1/channels?cursor=&limit=: by id, a page at a time; the cursor is the page's last id.
Response ListChannels(ServerState& st, const Request& r, const Params&) {
  std::optional<int64_t> limit;
  Status s = OnlyParams(r, {"cursor", "limit"});
  if (s.ok()) s = QueryInt(r, "limit", 1, kMaxChannelPage, &limit);
  const auto* cursor = r.param("cursor");
  if (s.ok() && cursor && cursor->empty())
    s = Status::InvalidArgument("cursor: empty (leave it out for the first page)");
  if (!s.ok()) return StatusResponse(s);
  // Channels::list reads every channel (at most kMaxChannels); the page is cut here.
  auto all = st.engine->channels().list();
  if (!all.ok()) return StatusResponse(all.status());
  auto it = all->begin();
  if (cursor)
    it = std::upper_bound(all->begin(), all->end(), *cursor,
                          [](const std::string& c, const Channel& ch) { return c < ch.id; });
  const auto n = std::min<ptrdiff_t>(all->end() - it, limit.value_or(kDefaultChannelPage));
  const auto end = it + n;
  return JsonResponse(BuildJson([&](JsonWriter& w) {
    w.StartObject();
    w.Key("items");
    w.StartArray();
    for (auto i = it; i != end; ++i) WriteChannel(w, *i);
    w.EndArray();
    w.Key("next_cursor"); Str(w, end == all->end() ? std::string() : (end - 1)->id);
    w.EndObject();
  }));
}

Response GetChannel(ServerState& st, const Request& r, const Params& p) {
  if (Status s = OnlyParams(r, {}); !s.ok()) return StatusResponse(s);
  auto out = st.engine->channels().get(p[0]);
  return out.ok() ? ChannelResponse(*out) : StatusResponse(out.status());
}

Response UpdateChannel(ServerState& st, const Request& r, const Params& p) {
  Channel c;
  Response err;
  if (!ReadChannelBody(r, &c, &err)) return err;
  if (!c.id.empty() && c.id != p[0])
    return StatusResponse(Status::InvalidArgument("body.id: differs from the id in the path"));
  c.id = p[0];
  std::optional<uint64_t> version;
  if (!IfMatch(r, &version, &err)) return err;
  auto out = st.engine->channels().update(c, version);
  return out.ok() ? ChannelResponse(*out) : StatusResponse(out.status());
}

Response DeleteChannel(ServerState& st, const Request& r, const Params& p) {
  if (Status s = OnlyParams(r, {}); !s.ok()) return StatusResponse(s);
  std::optional<uint64_t> version;
  Response err;
  if (!IfMatch(r, &version, &err)) return err;
  Status s = st.engine->channels().remove(p[0], version);
  if (!s.ok()) return StatusResponse(s);
  return JsonResponse("{\"deleted\":true}");
}

// GET /v1/channels/{id}/products/{product_id}: whether the product is visible there.
Response ChannelShows(ServerState& st, const Request& r, const Params& p) {
  if (Status s = OnlyParams(r, {}); !s.ok()) return StatusResponse(s);
  auto out = st.engine->channels().visible(p[0], p[1]);
  if (!out.ok()) return StatusResponse(out.status());
  return JsonResponse(BuildJson([&](JsonWriter& w) {
    w.StartObject();
    w.Key("channel_id"); Str(w, p[0]);
    w.Key("product_id"); Str(w, p[1]);
    w.Key("visible"); w.Bool(*out);
    w.EndObject();
  }));
}

}  // namespace

void AddChannelRoutes(std::vector<Route>* r) {
  r->push_back({"POST", "/v1/channels", Scope::kAdmin, Exec::kPool, Body::kJson, CreateChannel});
  r->push_back({"GET", "/v1/channels", Scope::kAdmin, Exec::kPool, Body::kNone, ListChannels});
  r->push_back({"GET", "/v1/channels/{id}", Scope::kAdmin, Exec::kPool, Body::kNone, GetChannel});
  r->push_back({"PUT", "/v1/channels/{id}", Scope::kAdmin, Exec::kPool, Body::kJson, UpdateChannel});
  r->push_back({"DELETE", "/v1/channels/{id}", Scope::kAdmin, Exec::kPool, Body::kNone, DeleteChannel});
  r->push_back({"GET", "/v1/channels/{id}/products/{product_id}", Scope::kAdmin, Exec::kPool,
                Body::kNone, ChannelShows});
}

}  // namespace commerce::server
