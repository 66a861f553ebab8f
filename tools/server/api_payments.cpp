// Routes of payments (docs/payments.md). Scopes (docs/security.md): an order's payment and its
// refunds are admin (they move money); a provider's webhook needs no key -- a provider has
// none -- and is authenticated by its HMAC signature (X-Commerce-Signature, checked by the
// engine against --payment-webhook-secret in constant time, with a timestamp window).
#include "routes.h"

namespace commerce::server {

namespace {

void WritePayment(JsonWriter& w, const Payment& p) {
  w.StartObject();
  w.Key("id"); Str(w, p.id);
  w.Key("order_id"); Str(w, p.order_id);
  w.Key("provider"); Str(w, p.provider);
  w.Key("status"); Str(w, PaymentStatusName(p.status));
  w.Key("amount"); WriteMoney(w, p.amount);
  w.Key("authorized_minor"); w.Int64(p.authorized_minor);
  w.Key("captured_minor"); w.Int64(p.captured_minor);
  w.Key("refunded_minor"); w.Int64(p.refunded_minor);
  w.Key("refund_pending_minor"); w.Int64(p.refund_pending_minor);
  w.Key("reference"); Str(w, p.reference);
  w.Key("reason"); Str(w, p.reason);
  w.Key("last_error"); Str(w, p.last_error);
  w.Key("pending_operations"); w.Uint(p.pending_operations);
  w.Key("refunds");
  w.StartArray();
  for (const auto& r : p.refunds) {
    w.StartObject();
    w.Key("id"); Str(w, r.id);
    w.Key("amount_minor"); w.Int64(r.amount_minor);
    w.Key("status"); Str(w, RefundStatusName(r.status));
    w.Key("reason"); Str(w, r.reason);
    w.EndObject();
  }
  w.EndArray();
  w.Key("created_at_ms"); w.Int64(p.created_at_ms);
  w.Key("updated_at_ms"); w.Int64(p.updated_at_ms);
  w.Key("version"); w.Uint64(p.version);
  w.EndObject();
}

Response PaymentResponse(const Result<Payment>& p, int http = 200) {
  if (!p.ok()) return StatusResponse(p.status());
  return VersionedResponse(BuildJson([&](JsonWriter& w) { WritePayment(w, *p); }), p->version, http);
}

// GET /v1/orders/{id}/payment
Response GetPayment(ServerState& st, const Request& r, const Params& p) {
  if (Status s = OnlyParams(r, {}); !s.ok()) return StatusResponse(s);
  return PaymentResponse(st.engine->payments().get(p[0]));
}

// POST /v1/orders/{id}/refunds {"refund_id": "...", "amount_minor": 500}
Response RefundPayment(ServerState& st, const Request& r, const Params& p) {
  rapidjson::Document doc;
  Response err;
  if (!ReadBody(r, &doc, &err)) return err;
  JsonObject o(doc, "body");
  std::string refund_id;
  int64_t amount = 0;
  Status s = o.str("refund_id", &refund_id, true);
  if (s.ok()) s = o.i64("amount_minor", &amount, true);
  if (s.ok()) s = o.Finish();
  if (!s.ok()) return StatusResponse(s);
  return PaymentResponse(st.engine->payments().refund(p[0], refund_id, amount), 202);
}

// POST /v1/payments/webhooks/{provider}: the raw body, as signed.
Response PaymentWebhook(ServerState& st, const Request& r, const Params& p) {
  const auto* signature = r.header("x-commerce-signature");
  if (!signature)
    return StatusResponse(Status::InvalidArgument("X-Commerce-Signature: header required"));
  bool duplicate = false;
  Status s = st.engine->payments().handle_webhook(p[0], *signature, r.body, &duplicate);
  if (!s.ok()) return StatusResponse(s);
  return JsonResponse(BuildJson([&](JsonWriter& w) {
    w.StartObject();
    w.Key("duplicate"); w.Bool(duplicate);
    w.EndObject();
  }));
}

}  // namespace

void AddPaymentRoutes(std::vector<Route>* r) {
  r->push_back({"GET", "/v1/orders/{id}/payment", Scope::kAdmin, Exec::kPool, Body::kNone, GetPayment});
  r->push_back({"POST", "/v1/orders/{id}/refunds", Scope::kAdmin, Exec::kPool, Body::kJson, RefundPayment});
  r->push_back({"POST", "/v1/payments/webhooks/{provider}", Scope::kNone, Exec::kPool, Body::kJson, PaymentWebhook});
}

}  // namespace commerce::server
