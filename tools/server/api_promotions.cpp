// Routes of promotions and coupons (docs/promotions.md). Scopes (docs/security.md): the rules
// and codes are admin (they give money away); a cart priced with its promotions is public, as
// the cart itself is (addressed by its unguessable id), and a public key prices it for the
// cart's own customer only.
#include <cctype>

#include "key_channel.h"
#include "routes.h"

namespace commerce::server {

namespace {

void WritePromotion(JsonWriter& w, const Promotion& p) {
  auto list = [&](const char* name, const std::vector<std::string>& v) {
    w.Key(name);
    w.StartArray();
    for (const auto& s : v) Str(w, s);
    w.EndArray();
  };
  w.StartObject();
  w.Key("id"); Str(w, p.id);
  w.Key("name"); Str(w, p.name);
  w.Key("active"); w.Bool(p.active);
  w.Key("currency"); Str(w, p.currency);
  list("skus", p.skus);
  list("categories", p.categories);
  list("customer_ids", p.customer_ids);
  list("customer_groups", p.customer_groups);
  list("channels", p.channels);
  w.Key("min_subtotal_minor"); w.Int64(p.min_subtotal_minor);
  w.Key("min_quantity"); w.Int64(p.min_quantity);
  w.Key("starts_at_ms"); w.Int64(p.starts_at_ms);
  w.Key("ends_at_ms"); w.Int64(p.ends_at_ms);
  w.Key("requires_coupon"); w.Bool(p.requires_coupon);
  w.Key("action"); w.String(PromotionActionName(p.action));
  w.Key("percent_bp"); w.Int(p.percent_bp);
  w.Key("amount_minor"); w.Int64(p.amount_minor);
  w.Key("buy_quantity"); w.Int64(p.buy_quantity);
  w.Key("get_quantity"); w.Int64(p.get_quantity);
  list("get_skus", p.get_skus);
  list("get_categories", p.get_categories);
  w.Key("max_applications"); w.Int64(p.max_applications);
  w.Key("tier_basis"); w.String(PromotionTierBasisName(p.tier_basis));
  w.Key("tiers");
  w.StartArray();
  for (const auto& tier : p.tiers) {
    w.StartObject();
    w.Key("threshold"); w.Int64(tier.threshold);
    w.Key("percent_bp"); w.Int(tier.percent_bp);
    w.Key("amount_minor"); w.Int64(tier.amount_minor);
    w.EndObject();
  }
  w.EndArray();
  w.Key("priority"); w.Int(p.priority);
  w.Key("exclusive"); w.Bool(p.exclusive);
  w.Key("created_at_ms"); w.Int64(p.created_at_ms);
  w.Key("updated_at_ms"); w.Int64(p.updated_at_ms);
  w.Key("version"); w.Uint64(p.version);
  w.EndObject();
}

void WriteCoupon(JsonWriter& w, const Coupon& c) {
  w.StartObject();
  w.Key("code"); Str(w, c.code);
  w.Key("promotion_id"); Str(w, c.promotion_id);
  w.Key("active"); w.Bool(c.active);
  w.Key("usage_limit"); w.Int64(c.usage_limit);
  w.Key("per_customer_limit"); w.Int64(c.per_customer_limit);
  w.Key("used"); w.Int64(c.used);
  w.Key("created_at_ms"); w.Int64(c.created_at_ms);
  w.Key("updated_at_ms"); w.Int64(c.updated_at_ms);
  w.Key("version"); w.Uint64(c.version);
  w.EndObject();
}

void WritePricedCart(JsonWriter& w, const PricedCart& c) {
  w.StartObject();
  w.Key("cart"); WriteCart(w, c.cart);
  w.Key("lines");
  w.StartArray();
  for (const auto& l : c.lines) {
    w.StartObject();
    w.Key("sku"); Str(w, l.line.sku);
    w.Key("quantity"); w.Int64(l.line.quantity);
    w.Key("line_total"); WriteMoney(w, l.line.line_total);
    w.Key("discount"); WriteMoney(w, l.discount);
    w.Key("discounts"); WriteLineDiscounts(w, l.discounts);
    w.Key("total"); WriteMoney(w, l.total);
    w.EndObject();
  }
  w.EndArray();
  w.Key("promotions"); WriteAppliedPromotions(w, c.promotions);
  w.Key("subtotal"); WriteMoney(w, c.subtotal);
  w.Key("discount"); WriteMoney(w, c.discount);
  w.Key("total"); WriteMoney(w, c.total);
  w.Key("free_shipping"); w.Bool(c.free_shipping);
  w.EndObject();
}

Status ReadPromotion(const rapidjson::Value& v, Promotion* p) {
  JsonObject o(v, "body");
  std::string action = PromotionActionName(p->action);
  std::string basis = PromotionTierBasisName(p->tier_basis);
  const rapidjson::Value* tiers = nullptr;
  Status s = o.str("id", &p->id);
  if (s.ok()) s = o.str("name", &p->name, true);
  if (s.ok()) s = o.boolean("active", &p->active);
  if (s.ok()) s = o.str("currency", &p->currency, true);
  if (s.ok()) s = o.str_list("skus", &p->skus);
  if (s.ok()) s = o.str_list("categories", &p->categories);
  if (s.ok()) s = o.str_list("customer_ids", &p->customer_ids);
  if (s.ok()) s = o.str_list("customer_groups", &p->customer_groups);
  if (s.ok()) s = o.str_list("channels", &p->channels);
  if (s.ok()) s = o.i64("min_subtotal_minor", &p->min_subtotal_minor);
  if (s.ok()) s = o.i64("min_quantity", &p->min_quantity);
  if (s.ok()) s = o.i64("starts_at_ms", &p->starts_at_ms);
  if (s.ok()) s = o.i64("ends_at_ms", &p->ends_at_ms);
  if (s.ok()) s = o.boolean("requires_coupon", &p->requires_coupon);
  if (s.ok()) s = o.str("action", &action, true);
  if (s.ok()) s = o.i32("percent_bp", &p->percent_bp);
  if (s.ok()) s = o.i64("amount_minor", &p->amount_minor);
  if (s.ok()) s = o.i64("buy_quantity", &p->buy_quantity);
  if (s.ok()) s = o.i64("get_quantity", &p->get_quantity);
  if (s.ok()) s = o.str_list("get_skus", &p->get_skus);
  if (s.ok()) s = o.str_list("get_categories", &p->get_categories);
  if (s.ok()) s = o.i64("max_applications", &p->max_applications);
  if (s.ok()) s = o.str("tier_basis", &basis);
  if (s.ok()) s = o.array("tiers", &tiers);
  for (rapidjson::SizeType i = 0; s.ok() && tiers && i < tiers->Size(); ++i) {
    const std::string path = "body.tiers[" + std::to_string(i) + "]";
    if (!(*tiers)[i].IsObject()) return Status::InvalidArgument(path + ": expected an object");
    JsonObject to((*tiers)[i], path);
    PromotionTier tier;
    s = to.i64("threshold", &tier.threshold, true);
    if (s.ok()) s = to.i32("percent_bp", &tier.percent_bp);
    if (s.ok()) s = to.i64("amount_minor", &tier.amount_minor);
    if (s.ok()) s = to.Finish();
    p->tiers.push_back(tier);
  }
  if (s.ok()) s = o.i32("priority", &p->priority);
  if (s.ok()) s = o.boolean("exclusive", &p->exclusive);
  for (const char* echoed : {"created_at_ms", "updated_at_ms", "version"}) o.ignore(echoed);
  if (s.ok()) s = o.Finish();
  if (!s.ok()) return s;
  auto parsed = ParsePromotionAction(action);
  if (!parsed.ok()) return parsed.status().WithContext("body");
  p->action = *parsed;
  auto parsed_basis = ParsePromotionTierBasis(basis);
  if (!parsed_basis.ok()) return parsed_basis.status().WithContext("body");
  p->tier_basis = *parsed_basis;
  return Status::OK();
}

Status ReadCoupon(const rapidjson::Value& v, Coupon* c) {
  JsonObject o(v, "body");
  Status s = o.str("code", &c->code);
  if (s.ok()) s = o.str("promotion_id", &c->promotion_id);
  if (s.ok()) s = o.boolean("active", &c->active);
  if (s.ok()) s = o.i64("usage_limit", &c->usage_limit);
  if (s.ok()) s = o.i64("per_customer_limit", &c->per_customer_limit);
  for (const char* echoed : {"used", "created_at_ms", "updated_at_ms", "version"}) o.ignore(echoed);
  if (s.ok()) s = o.Finish();
  return s;
}

Response PromotionResponse(const Promotion& p, int http = 200) {
  return VersionedResponse(BuildJson([&](JsonWriter& w) { WritePromotion(w, p); }), p.version, http);
}

Response CouponResponse(const Coupon& c, int http = 200) {
  return VersionedResponse(BuildJson([&](JsonWriter& w) { WriteCoupon(w, c); }), c.version, http);
}

Response CreatePromotion(ServerState& st, const Request& r, const Params&) {
  rapidjson::Document doc;
  Response err;
  if (!ReadBody(r, &doc, &err)) return err;
  Promotion p;
  Status s = ReadPromotion(doc, &p);
  if (!s.ok()) return StatusResponse(s);
  auto out = st.engine->promotions().create(p);
  return out.ok() ? PromotionResponse(*out, 201) : StatusResponse(out.status());
}

Response ListPromotions(ServerState& st, const Request& r, const Params&) {
  if (Status s = OnlyParams(r, {}); !s.ok()) return StatusResponse(s);
  auto all = st.engine->promotions().list();
  if (!all.ok()) return StatusResponse(all.status());
  return JsonResponse(BuildJson([&](JsonWriter& w) {
    w.StartObject();
    w.Key("items");
    w.StartArray();
    for (const auto& p : *all) WritePromotion(w, p);
    w.EndArray();
    w.EndObject();
  }));
}

Response GetPromotion(ServerState& st, const Request& r, const Params& p) {
  if (Status s = OnlyParams(r, {}); !s.ok()) return StatusResponse(s);
  auto out = st.engine->promotions().get(p[0]);
  return out.ok() ? PromotionResponse(*out) : StatusResponse(out.status());
}

Response UpdatePromotion(ServerState& st, const Request& r, const Params& p) {
  rapidjson::Document doc;
  Response err;
  if (!ReadBody(r, &doc, &err)) return err;
  Promotion promo;
  Status s = ReadPromotion(doc, &promo);
  if (!s.ok()) return StatusResponse(s);
  if (!promo.id.empty() && promo.id != p[0])
    return StatusResponse(Status::InvalidArgument("body.id: differs from the id in the path"));
  promo.id = p[0];
  std::optional<uint64_t> version;
  if (!IfMatch(r, &version, &err)) return err;
  auto out = st.engine->promotions().update(promo, version);
  return out.ok() ? PromotionResponse(*out) : StatusResponse(out.status());
}

Response CreateCoupon(ServerState& st, const Request& r, const Params&) {
  rapidjson::Document doc;
  Response err;
  if (!ReadBody(r, &doc, &err)) return err;
  Coupon c;
  Status s = ReadCoupon(doc, &c);
  if (!s.ok()) return StatusResponse(s);
  auto out = st.engine->promotions().create_coupon(c);
  return out.ok() ? CouponResponse(*out, 201) : StatusResponse(out.status());
}

Response ListCoupons(ServerState& st, const Request& r, const Params&) {
  if (Status s = OnlyParams(r, {"promotion_id"}); !s.ok()) return StatusResponse(s);
  const auto* promotion = r.param("promotion_id");
  if (promotion && promotion->empty())
    return StatusResponse(Status::InvalidArgument(
        "promotion_id: a promotion id (leave it out for every promotion's coupons)"));
  auto all = st.engine->promotions().list_coupons(promotion ? *promotion : std::string());
  if (!all.ok()) return StatusResponse(all.status());
  return JsonResponse(BuildJson([&](JsonWriter& w) {
    w.StartObject();
    w.Key("items");
    w.StartArray();
    for (const auto& c : *all) WriteCoupon(w, c);
    w.EndArray();
    w.EndObject();
  }));
}

Response GetCoupon(ServerState& st, const Request& r, const Params& p) {
  if (Status s = OnlyParams(r, {}); !s.ok()) return StatusResponse(s);
  auto out = st.engine->promotions().get_coupon(p[0]);
  return out.ok() ? CouponResponse(*out) : StatusResponse(out.status());
}

Response UpdateCoupon(ServerState& st, const Request& r, const Params& p) {
  rapidjson::Document doc;
  Response err;
  if (!ReadBody(r, &doc, &err)) return err;
  Coupon c;
  Status s = ReadCoupon(doc, &c);
  if (!s.ok()) return StatusResponse(s);
  // The code in the body may differ in letter case only (codes match ignoring case).
  std::string a = c.code, b = p[0];
  for (std::string* x : {&a, &b})
    for (char& ch : *x) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  if (!c.code.empty() && a != b)
    return StatusResponse(Status::InvalidArgument("body.code: differs from the code in the path"));
  c.code = p[0];
  std::optional<uint64_t> version;
  if (!IfMatch(r, &version, &err)) return err;
  if (c.promotion_id.empty()) {
    // Not given: the coupon's own (a coupon never changes promotion).
    auto current = st.engine->promotions().get_coupon(c.code);
    if (!current.ok()) return StatusResponse(current.status());
    c.promotion_id = current->promotion_id;
  }
  auto out = st.engine->promotions().update_coupon(c, version);
  return out.ok() ? CouponResponse(*out) : StatusResponse(out.status());
}

// GET /v1/carts/{id}/pricing?coupon_code=A&coupon_code=B[&customer_id=]
Response PriceCart(ServerState& st, const Request& r, const Params& p) {
  Status s = OnlyParams(r, {"coupon_code*", "customer_id"});
  CartPricingOptions o;
  for (const auto& [k, v] : r.query) {
    if (!s.ok()) break;
    if (k == "coupon_code") o.coupon_codes.push_back(v);
    if (k == "customer_id") {
      if (v.empty())  // a repeat is refused by OnlyParams
        s = Status::InvalidArgument("customer_id: one non-empty customer id (leave it out for "
                                    "the cart's own customer)");
      o.customer_id = v;
    }
  }
  if (!s.ok()) return StatusResponse(s);
  // A public key prices for the cart's own customer: naming another would tell a stranger
  // that customer's uses of per-customer coupons.
  if (r.scope == Scope::kPublic && !o.customer_id.empty())
    return ErrorResponse(403, "PERMISSION_DENIED",
                         "customer_id: a public key prices a cart for its own customer only");
  if (Status in_channel = CartInKeyChannel(*st.engine, r, p[0]); !in_channel.ok())
    return StatusResponse(in_channel);
  auto out = st.engine->promotions().price_cart(p[0], o);
  if (!out.ok()) return StatusResponse(out.status());
  return JsonResponse(BuildJson([&](JsonWriter& w) { WritePricedCart(w, *out); }));
}

}  // namespace

void AddPromotionRoutes(std::vector<Route>* r) {
  r->push_back({"POST", "/v1/promotions", Scope::kAdmin, Exec::kPool, Body::kJson, CreatePromotion});
  r->push_back({"GET", "/v1/promotions", Scope::kAdmin, Exec::kPool, Body::kNone, ListPromotions});
  r->push_back({"GET", "/v1/promotions/{id}", Scope::kAdmin, Exec::kLoop, Body::kNone, GetPromotion});
  r->push_back({"PUT", "/v1/promotions/{id}", Scope::kAdmin, Exec::kPool, Body::kJson, UpdatePromotion});
  r->push_back({"POST", "/v1/coupons", Scope::kAdmin, Exec::kPool, Body::kJson, CreateCoupon});
  r->push_back({"GET", "/v1/coupons", Scope::kAdmin, Exec::kPool, Body::kNone, ListCoupons});
  r->push_back({"GET", "/v1/coupons/{code}", Scope::kAdmin, Exec::kLoop, Body::kNone, GetCoupon});
  r->push_back({"PUT", "/v1/coupons/{code}", Scope::kAdmin, Exec::kPool, Body::kJson, UpdateCoupon});
  r->push_back({"GET", "/v1/carts/{id}/pricing", Scope::kPublic, Exec::kPool, Body::kNone, PriceCart});
}

}  // namespace commerce::server
