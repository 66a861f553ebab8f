// Routes of the catalog: products, categories, bulk import (admin writes; reads for every
// key, where a public key sees only active products: a draft is unreleased and an archived
// product withdrawn, and a browser is no place for either).
#include <cstdlib>

#include "key_channel.h"
#include "routes.h"

namespace commerce::server {

namespace {

Response ProductResponse(const Product& p, int http = 200) {
  return VersionedResponse(ProductToJson(p, true), p.version, http);
}

// A product as a public key may see it: active, else the catalog's own NotFound for none.
Result<Product> Visible(const Request& r, Result<Product> p, std::string not_found) {
  if (!p.ok() || r.scope != Scope::kPublic || p->status == ProductStatus::kActive) return p;
  return Status::NotFound(std::move(not_found));
}

Response ListProducts(ServerState& st, const Request& r, const Params&) {
  Status s = OnlyParams(r, {"cursor", "limit", "category", "include_archived", "channel"});
  std::optional<int64_t> limit;
  std::optional<bool> archived;
  if (s.ok()) s = QueryInt(r, "limit", 1, 1000, &limit);
  if (s.ok()) s = QueryBool(r, "include_archived", &archived);
  if (!s.ok()) return StatusResponse(s);
  const bool public_key = r.scope == Scope::kPublic;
  if (public_key && archived.value_or(false))
    return ErrorResponse(403, "PERMISSION_DENIED",
                         "include_archived: a public key lists active products only");
  ListOptions o;
  if (const auto* c = r.param("cursor")) o.cursor = *c;
  o.limit = static_cast<size_t>(limit.value_or(50));
  o.include_archived = archived.value_or(false);
  // Narrows the listing to what a channel shows (Catalog's ListOptions::channel): open to
  // every key, since it shows nothing the whole listing does not. A channel key's listing is
  // its channel's (key_channel.h).
  if (const auto* ch = r.param("channel")) {
    if (ch->empty())
      return StatusResponse(Status::InvalidArgument("channel: empty (leave it out for every product)"));
    o.channel = *ch;
  }
  if (auto denied = HoldToKeyChannel(r, "channel", &o.channel)) return *denied;
  const auto* category = r.param("category");
  auto page = category ? st.engine->catalog().list_by_category(*category, o)
                       : st.engine->catalog().list(o);
  if (!page.ok()) return StatusResponse(page.status());
  return JsonResponse(BuildJson([&](JsonWriter& w) {
    w.StartObject();
    w.Key("items");
    w.StartArray();
    // A public key's page leaves drafts out, so it may hold fewer than `limit` items; the
    // cursor goes on from the last product read, listed or not.
    for (const auto& p : page->items)
      if (!public_key || p.status == ProductStatus::kActive) WriteProduct(w, p);
    w.EndArray();
    w.Key("next_cursor"); Str(w, page->next_cursor);
    w.EndObject();
  }));
}

Response GetProduct(ServerState& st, const Request& req, const Params& p) {
  const std::string none = "no product with id '" + p[0] + "'";
  auto r = ShownToKey(*st.engine, req,
                      Visible(req, st.shared_cache ? st.shared_cache->get_product(p[0]) : st.engine->catalog().get(p[0]),
                              none),
                      none);
  return r.ok() ? ProductResponse(*r) : StatusResponse(r.status());
}

Response GetBySku(ServerState& st, const Request& req, const Params& p) {
  const std::string none = "no product has sku '" + p[0] + "'";
  auto r = ShownToKey(*st.engine, req, Visible(req, st.engine->catalog().get_by_sku(p[0]), none), none);
  return r.ok() ? ProductResponse(*r) : StatusResponse(r.status());
}

Response PutProduct(ServerState& st, const Request& r, const Params& p) {
  rapidjson::Document doc;
  Response err;
  if (!ReadBody(r, &doc, &err)) return err;
  // The catalog's own reader (the import schema), not a second one here.
  auto read = ProductFromJson(r.body, {.id_required = false, .field_prefix = "body."});
  if (!read.ok()) return StatusResponse(read.status());
  Product product = std::move(read).value();
  if (!product.id.empty() && product.id != p[0])
    return StatusResponse(Status::InvalidArgument("body.id: \"" + product.id +
                                                  "\" differs from the id in the path"));
  product.id = p[0];
  WriteCondition cond;
  if (!IfMatch(r, &cond.if_version, &err)) return err;
  if (const auto* inm = r.header("if-none-match"); inm && *inm == "*") cond.if_version = 0;
  auto out = st.engine->catalog().upsert(product, cond);
  if (out.ok() && st.shared_cache) st.shared_cache->written(*out);  // read back at once here
  return out.ok() ? ProductResponse(*out) : StatusResponse(out.status());
}

Response ArchiveProduct(ServerState& st, const Request& r, const Params& p) {
  WriteCondition cond;
  Response err;
  if (!IfMatch(r, &cond.if_version, &err)) return err;
  auto out = st.engine->catalog().archive(p[0], cond);
  if (out.ok() && st.shared_cache) st.shared_cache->written(*out);
  return out.ok() ? ProductResponse(*out) : StatusResponse(out.status());
}

// The body (JSON Lines, a JSON array or CSV, by ?format=) streams into the catalog's
// importer as it arrives, a slice at a time (never held whole); valid records are imported
// and invalid ones reported. A body that breaks off (the client left, a limit, bad chunking)
// keeps what was imported before it, durable, as the importer does.
class ImportConsumer : public BodyConsumer {
 public:
  explicit ImportConsumer(std::unique_ptr<ImportStream> stream) : stream_(std::move(stream)) {}

  Status Write(std::string_view slice) override {
    bytes_ += slice.size();
    Status s = stream_->write(slice);
    if (s.ok()) return s;
    // Broken beyond one record: finish() makes what came before durable and says how much.
    finished_ = true;
    auto report = stream_->finish();
    return report.ok() ? s : report.status();
  }

  Response Finish() override {
    finished_ = true;
    if (bytes_ == 0) {
      stream_->cancel();
      (void)stream_->finish();
      return StatusResponse(Status::InvalidArgument("body: nothing to import"));
    }
    auto report = stream_->finish();
    if (!report.ok()) return StatusResponse(report.status());
    return JsonResponse(BuildJson([&](JsonWriter& w) { WriteImportReport(w, *report); }));
  }

  void Abort() override {
    if (finished_) return;
    finished_ = true;
    stream_->cancel();
    (void)stream_->finish();  // what was imported stays, made durable
  }

 private:
  std::unique_ptr<ImportStream> stream_;
  uint64_t bytes_ = 0;
  bool finished_ = false;
};

Result<std::unique_ptr<BodyConsumer>> ImportProducts(ServerState& st, const Request& r, const Params&) {
  ImportOptions o;
  COMMERCE_RETURN_IF_ERROR(ImportOptionsOf(r, &o));
  COMMERCE_ASSIGN_OR_RETURN(auto stream, st.engine->catalog().start_import(o));
  return std::unique_ptr<BodyConsumer>(new ImportConsumer(std::move(stream)));
}

Response ListCategories(ServerState& st, const Request& r, const Params&) {
  Status s = OnlyParams(r, {"parent"});
  if (!s.ok()) return StatusResponse(s);
  const auto* parent = r.param("parent");
  auto cats = st.engine->catalog().list_categories(parent ? *parent : "");
  if (!cats.ok()) return StatusResponse(cats.status());
  return JsonResponse(BuildJson([&](JsonWriter& w) {
    w.StartObject();
    w.Key("items");
    w.StartArray();
    for (const auto& c : *cats) WriteCategory(w, c);
    w.EndArray();
    w.EndObject();
  }));
}

Response GetCategory(ServerState& st, const Request&, const Params& p) {
  auto c = st.engine->catalog().get_category(p[0]);
  if (!c.ok()) return StatusResponse(c.status());
  return JsonResponse(BuildJson([&](JsonWriter& w) { WriteCategory(w, *c); }));
}

Response PutCategory(ServerState& st, const Request& r, const Params& p) {
  rapidjson::Document doc;
  Response err;
  if (!ReadBody(r, &doc, &err)) return err;
  JsonObject o(doc, "body");
  Category c;
  c.id = p[0];
  Status s = o.str("name", &c.name, true);
  if (s.ok()) s = o.Finish();
  if (s.ok()) s = st.engine->catalog().upsert_category(c);
  if (!s.ok()) return StatusResponse(s);
  auto out = st.engine->catalog().get_category(c.id);
  if (!out.ok()) return StatusResponse(out.status());
  return JsonResponse(BuildJson([&](JsonWriter& w) { WriteCategory(w, *out); }));
}

Response CatalogStats(ServerState& st, const Request&, const Params&) {
  auto s = st.engine->catalog().stats();
  if (!s.ok()) return StatusResponse(s.status());
  return JsonResponse(BuildJson([&](JsonWriter& w) {
    w.StartObject();
    w.Key("products"); w.Uint64(s->products);
    w.Key("skus"); w.Uint64(s->skus);
    w.Key("categories"); w.Uint64(s->categories);
    w.EndObject();
  }));
}

}  // namespace

Status ImportOptionsOf(const Request& r, ImportOptions* o) {
  COMMERCE_RETURN_IF_ERROR(OnlyParams(r, {"format", "currency"}));
  o->format = "jsonl";
  if (const auto* f = r.param("format")) o->format = *f;
  if (o->format != "jsonl" && o->format != "json" && o->format != "csv")
    return Status::InvalidArgument("format: one of jsonl, json, csv");
  if (const auto* c = r.param("currency")) o->default_currency = *c;
  if (const auto* len = r.header("content-length")) o->expected_bytes = std::strtoull(len->c_str(), nullptr, 10);
  return Status::OK();
}

void AddCatalogRoutes(std::vector<Route>* r) {
  r->push_back({"GET", "/v1/products", Scope::kPublic, Exec::kPool, Body::kNone, ListProducts});
  r->push_back({"POST", "/v1/products/import", Scope::kAdmin, Exec::kPool, Body::kStream, nullptr, ImportProducts});
  r->push_back({"GET", "/v1/products/{id}", Scope::kPublic, Exec::kLoop, Body::kNone, GetProduct});
  r->push_back({"PUT", "/v1/products/{id}", Scope::kAdmin, Exec::kPool, Body::kJson, PutProduct});
  r->push_back({"POST", "/v1/products/{id}/archive", Scope::kAdmin, Exec::kPool, Body::kNone, ArchiveProduct});
  r->push_back({"GET", "/v1/skus/{sku}", Scope::kPublic, Exec::kLoop, Body::kNone, GetBySku});
  r->push_back({"GET", "/v1/categories", Scope::kPublic, Exec::kPool, Body::kNone, ListCategories});
  r->push_back({"GET", "/v1/categories/{id}", Scope::kPublic, Exec::kLoop, Body::kNone, GetCategory});
  r->push_back({"PUT", "/v1/categories/{id}", Scope::kAdmin, Exec::kPool, Body::kJson, PutCategory});
  r->push_back({"GET", "/v1/catalog/stats", Scope::kStore, Exec::kPool, Body::kNone, CatalogStats});
}

}  // namespace commerce::server
