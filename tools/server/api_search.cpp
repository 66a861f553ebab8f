// Routes of search, the event log, webhooks, and the operator's endpoints (/healthz,
// /readyz, /metrics).
#include <algorithm>
#include <charconv>
#include <cstdio>
#include <sstream>

#include "commerce/webhooks.h"
#include "key_channel.h"
#include "routes.h"

namespace commerce::server {

namespace {

inline constexpr int64_t kMaxWaitMs = 30000;

std::vector<std::string> SplitComma(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream in(s);
  std::string part;
  while (std::getline(in, part, ','))
    if (!part.empty()) out.push_back(part);
  return out;
}

// price_buckets=1000,5000,10000: the bounds as integers (SearchRequest checks their order).
Status PriceBuckets(const std::string& v, std::vector<int64_t>* out) {
  for (const auto& part : SplitComma(v)) {
    int64_t n = 0;
    auto [p, ec] = std::from_chars(part.data(), part.data() + part.size(), n);
    if (ec != std::errc() || p != part.data() + part.size())
      return Status::InvalidArgument("price_buckets: expected integers separated by commas, got \"" +
                                     part.substr(0, 64) + "\"");
    out->push_back(n);
  }
  return Status::OK();
}

// GET /v1/search?q=...: every field of SearchRequest as a query parameter.
Status SearchFromQuery(const Request& r, SearchRequest* q) {
  COMMERCE_RETURN_IF_ERROR(OnlyParams(
      r, {"q", "brand*", "category*", "price_min", "price_max", "in_stock", "attr.", "facets*",
          "facet_size", "disjunctive_facets*", "price_buckets", "sort", "offset", "limit", "prefix", "typo_tolerance", "relax",
          "minimum_should_match", "category_intent", "min_index_seq", "wait_timeout_ms", "use_cache", "allow_partial",
          "explain", "now_ms", "channel", "currency", "customer_group"}));
  for (const auto& [k, v] : r.query) {
    if (k == "q") q->text = v;
    else if (k == "brand") q->brands.push_back(v);
    else if (k == "category") q->categories.push_back(v);
    else if (k == "facets") for (auto& f : SplitComma(v)) q->facets.push_back(f);
    else if (k == "disjunctive_facets") for (auto& f : SplitComma(v)) q->disjunctive_facets.push_back(f);
    else if (k == "price_buckets") COMMERCE_RETURN_IF_ERROR(PriceBuckets(v, &q->price_buckets));
    else if (k == "sort") q->sort = v;
    else if (k == "channel") q->channel = v;
    else if (k == "currency") q->currency = v;
    else if (k == "customer_group") q->customer_group = v;
    else if (k.rfind("attr.", 0) == 0) q->attributes[k.substr(5)] = v;
  }
  // An empty caller key is a client's mistake, not "none" (leaving it out is).
  for (const char* name : {"channel", "currency", "customer_group"})
    if (const auto* v = r.param(name); v && v->empty())
      return Status::InvalidArgument(std::string(name) + ": empty (leave it out for none)");
  std::optional<int64_t> n;
  std::optional<bool> b;
  COMMERCE_RETURN_IF_ERROR(QueryInt(r, "price_min", INT64_MIN, INT64_MAX, &n));
  q->price_min = n;
  n.reset();
  COMMERCE_RETURN_IF_ERROR(QueryInt(r, "price_max", INT64_MIN, INT64_MAX, &n));
  q->price_max = n;
  n.reset();
  COMMERCE_RETURN_IF_ERROR(QueryInt(r, "facet_size", 0, 1000, &n));
  if (n) q->facet_size = static_cast<size_t>(*n);
  n.reset();
  COMMERCE_RETURN_IF_ERROR(QueryInt(r, "offset", 0, 1'000'000, &n));
  if (n) q->offset = static_cast<size_t>(*n);
  n.reset();
  COMMERCE_RETURN_IF_ERROR(QueryInt(r, "limit", 0, 1000, &n));
  if (n) q->limit = static_cast<size_t>(*n);
  n.reset();
  COMMERCE_RETURN_IF_ERROR(QueryInt(r, "minimum_should_match", INT32_MIN, INT32_MAX, &n));
  if (n) q->minimum_should_match = static_cast<int>(*n);
  n.reset();
  COMMERCE_RETURN_IF_ERROR(QueryInt(r, "min_index_seq", 0, INT64_MAX, &n));
  if (n) q->min_index_seq = static_cast<uint64_t>(*n);
  n.reset();
  COMMERCE_RETURN_IF_ERROR(QueryInt(r, "wait_timeout_ms", 0, kMaxWaitMs, &n));
  if (n) q->wait_timeout = std::chrono::milliseconds(*n);
  n.reset();
  COMMERCE_RETURN_IF_ERROR(QueryInt(r, "now_ms", INT64_MIN, INT64_MAX, &n));
  if (n) q->now_ms = *n;
  COMMERCE_RETURN_IF_ERROR(QueryBool(r, "in_stock", &b));
  if (b) q->in_stock = *b;
  b.reset();
  COMMERCE_RETURN_IF_ERROR(QueryBool(r, "prefix", &b));
  if (b) q->prefix = *b;
  b.reset();
  COMMERCE_RETURN_IF_ERROR(QueryBool(r, "typo_tolerance", &b));
  if (b) q->typo_tolerance = *b;
  b.reset();
  COMMERCE_RETURN_IF_ERROR(QueryBool(r, "relax", &b));
  if (b) q->relax = *b;
  b.reset();
  COMMERCE_RETURN_IF_ERROR(QueryBool(r, "category_intent", &b));
  if (b) q->category_intent = *b;
  b.reset();
  COMMERCE_RETURN_IF_ERROR(QueryBool(r, "use_cache", &b));
  if (b) q->use_cache = *b;
  b.reset();
  COMMERCE_RETURN_IF_ERROR(QueryBool(r, "allow_partial", &b));
  if (b) q->allow_partial = *b;
  b.reset();
  COMMERCE_RETURN_IF_ERROR(QueryBool(r, "explain", &b));
  if (b) q->explain = *b;
  return Status::OK();
}

// POST /v1/search: the same fields as a JSON object (names as in SearchRequest).
Status SearchFromBody(const rapidjson::Value& v, SearchRequest* q) {
  JsonObject o(v, "body");
  COMMERCE_RETURN_IF_ERROR(o.str("text", &q->text));
  COMMERCE_RETURN_IF_ERROR(o.str_list("brands", &q->brands));
  COMMERCE_RETURN_IF_ERROR(o.str_list("categories", &q->categories));
  COMMERCE_RETURN_IF_ERROR(o.opt_i64("price_min", &q->price_min));
  COMMERCE_RETURN_IF_ERROR(o.opt_i64("price_max", &q->price_max));
  COMMERCE_RETURN_IF_ERROR(o.boolean("in_stock", &q->in_stock));
  COMMERCE_RETURN_IF_ERROR(o.str_map("attributes", &q->attributes));
  COMMERCE_RETURN_IF_ERROR(o.str_list("facets", &q->facets));
  COMMERCE_RETURN_IF_ERROR(o.str_list("disjunctive_facets", &q->disjunctive_facets));
  COMMERCE_RETURN_IF_ERROR(o.i64_list("price_buckets", &q->price_buckets));
  uint64_t facet_size = q->facet_size, offset = q->offset, limit = q->limit, wait = 5000;
  COMMERCE_RETURN_IF_ERROR(o.u64("facet_size", &facet_size));
  COMMERCE_RETURN_IF_ERROR(o.str("sort", &q->sort));
  COMMERCE_RETURN_IF_ERROR(o.u64("offset", &offset));
  COMMERCE_RETURN_IF_ERROR(o.u64("limit", &limit));
  COMMERCE_RETURN_IF_ERROR(o.boolean("prefix", &q->prefix));
  COMMERCE_RETURN_IF_ERROR(o.boolean("typo_tolerance", &q->typo_tolerance));
  COMMERCE_RETURN_IF_ERROR(o.boolean("relax", &q->relax));
  COMMERCE_RETURN_IF_ERROR(o.boolean("category_intent", &q->category_intent));
  int64_t msm = q->minimum_should_match;
  COMMERCE_RETURN_IF_ERROR(o.i64("minimum_should_match", &msm));
  COMMERCE_RETURN_IF_ERROR(o.u64("min_index_seq", &q->min_index_seq));
  COMMERCE_RETURN_IF_ERROR(o.u64("wait_timeout_ms", &wait));
  COMMERCE_RETURN_IF_ERROR(o.boolean("use_cache", &q->use_cache));
  COMMERCE_RETURN_IF_ERROR(o.boolean("allow_partial", &q->allow_partial));
  COMMERCE_RETURN_IF_ERROR(o.boolean("explain", &q->explain));
  COMMERCE_RETURN_IF_ERROR(o.i64("now_ms", &q->now_ms));
  COMMERCE_RETURN_IF_ERROR(o.str("channel", &q->channel));
  COMMERCE_RETURN_IF_ERROR(o.str("currency", &q->currency));
  COMMERCE_RETURN_IF_ERROR(o.str("customer_group", &q->customer_group));
  COMMERCE_RETURN_IF_ERROR(o.Finish());
  if (wait > static_cast<uint64_t>(kMaxWaitMs))
    return Status::InvalidArgument("body.wait_timeout_ms: at most 30000");
  if (offset > 1'000'000 || limit > 1000 || facet_size > 1000)
    return Status::InvalidArgument("body: offset, limit or facet_size out of range");
  // SearchRequest checks the range (1..100); this only keeps the value an int.
  if (msm < INT32_MIN || msm > INT32_MAX)
    return Status::InvalidArgument("body.minimum_should_match: " + std::to_string(msm) +
                                   " is outside 1..100 (a percentage of the query's words)");
  q->minimum_should_match = static_cast<int>(msm);
  q->facet_size = facet_size;
  q->offset = offset;
  q->limit = limit;
  q->wait_timeout = std::chrono::milliseconds(wait);
  return Status::OK();
}

// A search with min_index_seq waits for the index on the loop (Response::wait), not on a
// pool thread; it runs once the index has published the sequence, or at the timeout, when
// the engine's own answer (DeadlineExceeded naming the sequence reached) is the response.
// Over remote shards nothing local announces their progress: the query waits on its pool
// thread (SearchRequest::wait_timeout), polling the shards.
//
// The caller (docs/search.md, "Per caller"): as GET /v1/prices/{sku}, a public key searches as
// a guest, now, without a channel -- a customer group's or a channel's prices are the shop's to
// show, and a sale not yet started is not announced; its backend (store scope) asks for the
// others.
Response RunSearch(ServerState& st, const Request& r, SearchRequest q) {
  // A key limited to a channel searches in it: what it shows, at its prices (key_channel.h);
  // another channel named is 403.
  if (auto refused = HoldToKeyChannel(r, "channel", &q.channel)) return *refused;
  if (r.scope == Scope::kPublic) {
    const char* refused = !q.customer_group.empty()                ? "customer_group"
                          : !q.channel.empty() && q.channel != r.key_channel ? "channel"
                          : q.now_ms != 0 && !q.currency.empty()   ? "now_ms"
                                                                   : nullptr;
    if (refused)
      return ErrorResponse(403, "PERMISSION_DENIED",
                           std::string(refused) + ": a public key searches at a guest's prices now, "
                           "without a channel (the store's backend asks for the others)");
  }
  if (q.min_index_seq > 0 && st.options.search_shards.empty()) {
    if (r.waited == WaitOutcome::kNotWaited && q.wait_timeout.count() > 0 &&
        !st.engine->search().wait_for(q.min_index_seq, std::chrono::milliseconds(0)).ok()) {
      Response wait;
      wait.wait = Response::Wait{WaitClock::kSearchIndex, q.min_index_seq, q.wait_timeout.count()};
      return wait;
    }
    q.wait_timeout = std::chrono::milliseconds(0);  // waited already, or told not to
  }
  auto res = st.engine->search().query(q);
  if (!res.ok()) return StatusResponse(res.status());
  return JsonResponse(BuildJson([&](JsonWriter& w) { WriteSearchResult(w, *res); }));
}

Response SearchGet(ServerState& st, const Request& r, const Params&) {
  SearchRequest q;
  Status s = SearchFromQuery(r, &q);
  return s.ok() ? RunSearch(st, r, std::move(q)) : StatusResponse(s);
}

Response SearchPost(ServerState& st, const Request& r, const Params&) {
  rapidjson::Document doc;
  Response err;
  if (!ReadBody(r, &doc, &err)) return err;
  SearchRequest q;
  Status s = SearchFromBody(doc, &q);
  return s.ok() ? RunSearch(st, r, std::move(q)) : StatusResponse(s);
}

Response SearchStatsRoute(ServerState& st, const Request&, const Params&) {
  auto s = st.engine->search().stats();
  if (!s.ok()) return StatusResponse(s.status());
  return JsonResponse(BuildJson([&](JsonWriter& w) {
    w.StartObject();
    w.Key("documents"); w.Uint64(s->documents);
    w.Key("indexed_seq"); w.Uint64(s->indexed_seq);
    w.Key("log_seq"); w.Uint64(s->log_seq);
    w.Key("lag_events"); w.Uint64(s->lag_events);
    w.Key("lag_ms"); w.Double(s->lag_ms);
    w.Key("shards"); w.Uint(s->shards);
    w.Key("index_bytes"); w.Uint64(s->index_bytes);
    w.Key("cache_hits"); w.Uint64(s->cache_hits);
    w.Key("cache_misses"); w.Uint64(s->cache_misses);
    w.Key("cache_coalesced"); w.Uint64(s->cache_coalesced);
    w.Key("cache_stale_served"); w.Uint64(s->cache_stale_served);
    w.Key("cache_entries"); w.Uint64(s->cache_entries);
    w.Key("queries"); w.Uint64(s->queries);
    w.Key("last_error"); Str(w, s->last_error);
    w.Key("rebuilds_after_trim"); w.Uint64(s->rebuilds_after_trim);
    w.EndObject();
  }));
}

// GET /v1/events?from=N&limit=M&wait_ms=W: a long-poll tail of the event log. With nothing
// at or past `from`, waits up to wait_ms for the next event, parked on the loop without a
// thread (at most --max-waits requests wait at once, counted with every other kind of wait;
// past that, 429). `next` is the `from` of the following call. Without `from`: from the
// oldest event kept (`first_seq`); below it, 410 GONE (those events were trimmed).
Response EventsRoute(ServerState& st, const Request& r, const Params&) {
  std::optional<int64_t> from, limit, wait;
  Status s = OnlyParams(r, {"from", "limit", "wait_ms"});
  if (s.ok()) s = QueryInt(r, "from", 1, INT64_MAX, &from);
  if (s.ok()) s = QueryInt(r, "limit", 1, 10000, &limit);
  if (s.ok()) s = QueryInt(r, "wait_ms", 0, kMaxWaitMs, &wait);
  if (!s.ok()) return StatusResponse(s);
  auto first = st.engine->events().first_seq();
  if (!first.ok()) return StatusResponse(first.status());
  uint64_t start = from ? static_cast<uint64_t>(*from) : *first;
  size_t n = static_cast<size_t>(limit.value_or(100));
  auto events = st.engine->events().tail(start, n);
  if (!events.ok()) return StatusResponse(events.status());
  if (events->empty() && wait.value_or(0) > 0 && !st.draining.load() &&
      r.waited == WaitOutcome::kNotWaited) {
    Response w;
    w.wait = Response::Wait{WaitClock::kEventLog, start, *wait};
    return w;
  }
  auto last = st.engine->events().last_seq();
  if (!last.ok()) return StatusResponse(last.status());
  uint64_t next = events->empty() ? start : events->back().seq + 1;
  return JsonResponse(BuildJson([&](JsonWriter& w) {
    w.StartObject();
    w.Key("events");
    w.StartArray();
    for (const auto& e : *events) WriteEvent(w, e);
    w.EndArray();
    w.Key("next"); w.Uint64(next);
    w.Key("last_seq"); w.Uint64(*last);
    w.Key("first_seq"); w.Uint64(*first);
    w.EndObject();
  }));
}

// POST /v1/events/trim {"max_age_ms": A, "max_count": N}: Events::trim -- removes the events
// every durable consumer has passed that are older than A ms or beyond the newest N, and
// answers what it did. A ms of 0 or absent, N of 0 or absent: that limit is off; both off is
// 400.
Response EventsTrimRoute(ServerState& st, const Request& r, const Params&) {
  rapidjson::Document doc;
  Response err;
  if (!ReadBody(r, &doc, &err)) return err;
  JsonObject o(doc, "body");
  int64_t max_age_ms = 0;
  EventRetention policy;
  Status s = o.i64("max_age_ms", &max_age_ms);
  if (s.ok()) s = o.u64("max_count", &policy.max_count);
  if (s.ok()) s = o.Finish();
  if (s.ok() && max_age_ms < 0) s = Status::InvalidArgument("body.max_age_ms must not be negative");
  if (!s.ok()) return StatusResponse(s);
  policy.max_age = std::chrono::milliseconds(max_age_ms);
  auto report = st.engine->events().trim(policy);
  if (!report.ok()) return StatusResponse(report.status());
  return JsonResponse(BuildJson([&](JsonWriter& w) {
    w.StartObject();
    w.Key("removed"); w.Uint64(report->removed);
    w.Key("first_seq"); w.Uint64(report->first_seq);
    w.Key("last_seq"); w.Uint64(report->last_seq);
    w.Key("held_by"); Str(w, report->held_by);
    w.EndObject();
  }));
}

// GET /v1/events/stream[?from=N]: the event log as Server-Sent Events (event_stream.cpp
// writes it; docs/server.md, "A live event stream"). Here only what is checked before the
// stream starts, so that every refusal is a JSON response like any other: the parameters,
// Last-Event-ID, and a first read of the log at the start (a start below the retention
// horizon, a store that cannot be read). The stream starts after the event a reconnecting
// client names in Last-Event-ID (which wins over `from`: a browser's reconnection resends the
// original URL), else at `from`, else at the next event to be written (live only).
Response EventStreamRoute(ServerState& st, const Request& r, const Params&) {
  std::optional<int64_t> from;
  Status s = OnlyParams(r, {"from"});
  if (s.ok()) s = QueryInt(r, "from", 1, INT64_MAX, &from);
  if (!s.ok()) return StatusResponse(s);
  std::optional<uint64_t> after;  // Last-Event-ID
  if (const auto* id = r.header("last-event-id")) {
    const std::string& v = *id;
    const bool digits = !v.empty() && v.size() <= 19 &&
                        std::all_of(v.begin(), v.end(), [](char ch) { return ch >= '0' && ch <= '9'; });
    if (!digits)
      return StatusResponse(Status::InvalidArgument(
          "Last-Event-ID: expected the id (an event's seq, 0 or more) of the last event received, got \"" +
          (IsUtf8(v) ? v.substr(0, 64) : std::string("(not UTF-8)")) + "\""));
    after = std::stoull(v);
  }
  if (st.draining.load())
    return StatusResponse(Status::Unavailable("the server is draining; connect to another instance"));
  auto last = st.engine->events().last_seq();
  if (!last.ok()) return StatusResponse(last.status());
  const uint64_t start = after ? *after + 1 : from ? static_cast<uint64_t>(*from) : *last + 1;
  if (start > *last + 1)
    return StatusResponse(Status::InvalidArgument(
        std::string(after ? "Last-Event-ID " + std::to_string(*after) : "from " + std::to_string(start)) +
        " is past the end of the event log (last_seq " + std::to_string(*last) +
        "): a position from another store?"));
  // A read at the start answers what the stream could only say as its first and last block
  // (a start below the retention horizon, a store that cannot be read).
  auto first = st.engine->events().tail(start, 1);
  if (!first.ok()) return StatusResponse(first.status());
  Response resp;
  if (r.method == "HEAD") {  // the head a GET would have, without a stream
    resp.content_type = "text/event-stream; charset=utf-8";
    return resp;
  }
  resp.event_stream = Response::EventStream{start};
  return resp;
}

// --- webhooks (the subscriptions live in the engine: webhooks.h) ---

#if COMMERCE_SERVER_WEBHOOKS
void WriteSubscription(JsonWriter& w, const WebhookSubscription& s) {
  w.StartObject();
  w.Key("id"); Str(w, s.id);
  w.Key("url"); Str(w, s.url);
  w.Key("event_types");
  w.StartArray();
  for (const auto& t : s.event_types) Str(w, t);
  w.EndArray();
  w.Key("active"); w.Bool(s.active);
  w.Key("created_at_ms"); w.Int64(s.created_at_ms);
  w.EndObject();
}

Response Subscribe(ServerState& st, const Request& r, const Params&) {
  rapidjson::Document doc;
  Response err;
  if (!ReadBody(r, &doc, &err)) return err;
  JsonObject o(doc, "body");
  WebhookSubscription sub;
  Status s = o.str("id", &sub.id);
  if (s.ok()) s = o.str("url", &sub.url, true);
  if (s.ok()) s = o.str_list("event_types", &sub.event_types);
  if (s.ok()) s = o.str("secret", &sub.secret, true);
  if (s.ok()) s = o.boolean("active", &sub.active);
  if (s.ok()) s = o.Finish();
  if (!s.ok()) return StatusResponse(s);
  auto out = st.engine->webhooks().subscribe(sub);
  if (!out.ok()) return StatusResponse(out.status());
  return JsonResponse(BuildJson([&](JsonWriter& w) { WriteSubscription(w, *out); }), 201);
}

Response ListSubscriptions(ServerState& st, const Request&, const Params&) {
  auto list = st.engine->webhooks().list();
  if (!list.ok()) return StatusResponse(list.status());
  return JsonResponse(BuildJson([&](JsonWriter& w) {
    w.StartObject();
    w.Key("items");
    w.StartArray();
    for (const auto& s : *list) WriteSubscription(w, s);
    w.EndArray();
    w.EndObject();
  }));
}

Response GetSubscription(ServerState& st, const Request&, const Params& p) {
  auto s = st.engine->webhooks().get(p[0]);
  if (!s.ok()) return StatusResponse(s.status());
  return JsonResponse(BuildJson([&](JsonWriter& w) { WriteSubscription(w, *s); }));
}

// PATCH /v1/webhooks/{id}: the members given (url, event_types, secret, active) replace the
// subscription's; its queue, cursor and failures are kept (Webhooks::update).
Response UpdateSubscription(ServerState& st, const Request& r, const Params& p) {
  rapidjson::Document doc;
  Response err;
  if (!ReadBody(r, &doc, &err)) return err;
  JsonObject o(doc, "body");
  WebhookSubscriptionUpdate u;
  std::string id;
  Status s = o.str("id", &id);
  // The id names the subscription in the path and cannot change; a client echoing what GET
  // answered may send it back, and its created_at_ms, unchanged.
  if (s.ok() && o.has("id") && id != p[0])
    s = Status::InvalidArgument("body.id: '" + id + "' is not the path's '" + p[0] + "' (an id cannot change)");
  o.ignore("created_at_ms");
  if (s.ok() && o.has("url")) s = o.str("url", &u.url.emplace());
  if (s.ok() && o.has("event_types")) s = o.str_list("event_types", &u.event_types.emplace());
  if (s.ok() && o.has("secret")) s = o.str("secret", &u.secret.emplace());
  if (s.ok() && o.has("active")) s = o.boolean("active", &u.active.emplace());
  if (s.ok()) s = o.Finish();
  if (!s.ok()) return StatusResponse(s);
  auto out = st.engine->webhooks().update(p[0], u);
  if (!out.ok()) return StatusResponse(out.status());
  return JsonResponse(BuildJson([&](JsonWriter& w) { WriteSubscription(w, *out); }));
}

Response Unsubscribe(ServerState& st, const Request&, const Params& p) {
  Status s = st.engine->webhooks().unsubscribe(p[0]);
  return s.ok() ? JsonResponse("{\"deleted\":true}") : StatusResponse(s);
}

Response Failures(ServerState& st, const Request& r, const Params&) {
  std::optional<int64_t> limit;
  Status s = OnlyParams(r, {"subscription_id", "limit"});
  if (s.ok()) s = QueryInt(r, "limit", 1, 1000, &limit);
  if (!s.ok()) return StatusResponse(s);
  const auto* sub = r.param("subscription_id");
  auto list = st.engine->webhooks().failures(sub ? *sub : "", static_cast<size_t>(limit.value_or(100)));
  if (!list.ok()) return StatusResponse(list.status());
  return JsonResponse(BuildJson([&](JsonWriter& w) {
    w.StartObject();
    w.Key("items");
    w.StartArray();
    for (const auto& d : *list) {
      w.StartObject();
      w.Key("subscription_id"); Str(w, d.subscription_id);
      w.Key("event_seq"); w.Uint64(d.event_seq);
      w.Key("event_type"); Str(w, d.event_type);
      w.Key("attempts"); w.Uint(d.attempts);
      w.Key("last_http_status"); w.Int(d.last_http_status);
      w.Key("last_error"); Str(w, d.last_error);
      w.Key("next_attempt_ms"); w.Int64(d.next_attempt_ms);
      w.Key("given_up"); w.Bool(d.given_up);
      w.EndObject();
    }
    w.EndArray();
    w.EndObject();
  }));
}
#else
Response NoWebhooks(ServerState&, const Request&, const Params&) {
  return StatusResponse(Status::NotSupported(
      "webhooks: this build's engine has no Engine::webhooks() yet"));
}
#endif

// --- operators ---

Response Healthz(ServerState&, const Request&, const Params&) {
  return JsonResponse("{\"status\":\"ok\"}");
}

// The key the request carries: its name in the keys file and its scope, never its secret. Any
// key may ask, so that a client (the browser console) learns what its key may do from one
// answer instead of from refusals: a refused fetch is an error in a browser's console even
// when the page explains it.
Response KeyRoute(ServerState&, const Request& r, const Params&) {
  return JsonResponse(BuildJson([&](JsonWriter& w) {
    w.StartObject();
    w.Key("name"); Str(w, r.key_name);
    w.Key("scope"); w.String(ScopeName(r.scope));
    // Only for a key limited to a channel, so other keys' answers stay as they were.
    if (!r.key_channel.empty()) {
      w.Key("channel"); Str(w, r.key_channel);
    }
    w.EndObject();
  }));
}

// Ready: this instance can serve, which it decides alone: not draining, its own store has
// not stopped writing, and its own search index answers a query. A shared store is not asked:
// on one that every instance shares (PostgreSQL) an outage of the store would make every
// instance unready at once, and the load balancer would then answer nothing at all — not even
// the searches each instance serves from its own index — while the instances themselves answer
// writes UNAVAILABLE within the store's connect timeout (docs/scaling.md, "The fleet on one
// machine"). A local store's sticky failed state (docs/storage.md, "When the disk fails") is
// this instance's alone and lasts until a restart: every write fails there, so traffic belongs
// elsewhere (the postgres driver never enters it). Anyone may ask, so the answer is only ready
// or not, with the kind of cause: the store's error text (it names files), the indexer's
// error and lag are for keys (every write's answer, GET /v1/search/stats, /metrics).
Response Readyz(ServerState& st, const Request&, const Params&) {
  if (st.draining.load())
    return StatusResponse(Status::Unavailable("not ready: the server is shutting down"));
  if (!st.engine->storage().stats().write_error.empty())
    return StatusResponse(Status::Unavailable(
        "not ready: the store refuses writes since a write to its files failed (a full disk or "
        "an I/O error; writes answer the cause): fix the disk, then restart the server"));
  // Over remote shards the probe is not made: it would wait on the network from the loop,
  // and a shard down must not take the instance out of the balancer (carts and orders do
  // not need it; searches answer 503 or partial by themselves).
  if (!st.options.search_shards.empty()) return JsonResponse("{\"status\":\"ready\"}");
  SearchRequest probe;
  probe.limit = 1;
  probe.use_cache = false;
  auto s = st.engine->search().query(probe);
  if (!s.ok())
    return StatusResponse(Status::Unavailable("not ready: the search index cannot be read (see the server's log)"));
  return JsonResponse("{\"status\":\"ready\"}");
}

// Every remote endpoint of this process (resilience.h: Redis, NATS, search shards), labelled
// by its name: breaker state (0 closed, 1 open, 2 half-open), calls, failures, retries,
// refusals, and latency (a summary: P50/P99 over the last 1024 attempts, count and sum).
std::string RemoteEndpointMetrics() {
  std::vector<EndpointStats> all = AllEndpointStats();
  if (all.empty()) return "";
  std::string out;
  auto family = [&](const char* name, const char* type, const char* help, auto value) {
    out += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " " + type + "\n";
    for (const EndpointStats& e : all) {
      std::string label = e.name;
      for (char& ch : label) if (ch == '"' || ch == '\\' || ch == '\n') ch = '_';
      char buf[64];
      std::snprintf(buf, sizeof buf, " %.17g\n", static_cast<double>(value(e)));
      out += std::string(name) + "{endpoint=\"" + label + "\"}" + buf;
    }
  };
  family("commerce_remote_breaker_state", "gauge", "0 closed, 1 open, 2 half-open.",
         [](const EndpointStats& e) { return static_cast<int>(e.state); });
  family("commerce_remote_breaker_opened_total", "counter", "Times the breaker opened.",
         [](const EndpointStats& e) { return e.opened; });
  family("commerce_remote_calls_total", "counter", "Calls made.",
         [](const EndpointStats& e) { return e.calls; });
  family("commerce_remote_failures_total", "counter", "Attempts that failed.",
         [](const EndpointStats& e) { return e.failures; });
  family("commerce_remote_retries_total", "counter", "Attempts after the first.",
         [](const EndpointStats& e) { return e.retries; });
  family("commerce_remote_retries_denied_total", "counter", "Retries the budget refused.",
         [](const EndpointStats& e) { return e.retries_denied; });
  family("commerce_remote_rejected_total", "counter", "Calls refused by the open breaker.",
         [](const EndpointStats& e) { return e.rejected; });
  family("commerce_remote_latency_p50_seconds", "gauge", "Median attempt latency (last 1024).",
         [](const EndpointStats& e) { return e.latency_p50_ms / 1000.0; });
  family("commerce_remote_latency_p99_seconds", "gauge", "P99 attempt latency (last 1024).",
         [](const EndpointStats& e) { return e.latency_p99_ms / 1000.0; });
  family("commerce_remote_latency_seconds_count", "counter", "Attempts timed.",
         [](const EndpointStats& e) { return e.latency_count; });
  family("commerce_remote_latency_seconds_sum", "counter", "Their total time.",
         [](const EndpointStats& e) { return e.latency_sum_ms / 1000.0; });
  return out;
}

Response MetricsRoute(ServerState& st, const Request&, const Params&) {
  std::string out = st.metrics->Render();
  char buf[512];
  auto metric = [&](const char* name, const char* type, const char* help, double v) {
    std::snprintf(buf, sizeof buf, "# HELP %s %s\n# TYPE %s %s\n%s %.17g\n", name, help, name, type,
                  name, v);
    out += buf;
  };
  StorageStats ss = st.engine->storage().stats();
  metric("commerce_storage_groups_total", "counter", "Group commits.", double(ss.groups));
  metric("commerce_storage_mutations_total", "counter", "Mutations run.", double(ss.mutations));
  metric("commerce_storage_failed_mutations_total", "counter", "Mutations rolled back.",
         double(ss.failed_mutations));
  metric("commerce_storage_group_size_avg", "gauge", "Mutations per group commit since start.",
         ss.groups ? double(ss.mutations) / double(ss.groups) : 0.0);
  metric("commerce_storage_group_size_max", "gauge", "Largest group commit since start.",
         double(ss.max_group_size));
  metric("commerce_storage_durable_syncs_total", "counter", "fsyncs that made a group durable.",
         double(ss.durable_syncs));
  metric("commerce_storage_log_bytes_total", "counter", "Bytes appended to the driver's log.",
         double(ss.log_bytes));
  metric("commerce_storage_checkpoints_total", "counter", "Checkpoints.", double(ss.checkpoints));
  metric("commerce_storage_write_failed", "gauge",
         "1 once a failed write stopped the store (writes refused until restart), else 0.",
         ss.write_error.empty() ? 0.0 : 1.0);
  auto first = st.engine->events().first_seq();
  if (first.ok())
    metric("commerce_events_first_seq", "gauge",
           "The event log's horizon: the oldest event kept (1 until trimmed).", double(*first));
  auto se = st.engine->search().stats();
  if (se.ok()) {
    uint64_t lookups = se->cache_hits + se->cache_misses;
    metric("commerce_search_documents", "gauge", "Searchable products.", double(se->documents));
    metric("commerce_search_index_lag_events", "gauge", "Events in the log not yet indexed.",
           double(se->lag_events));
    metric("commerce_search_index_lag_seconds", "gauge", "Age of the oldest event not yet indexed.",
           se->lag_ms / 1000.0);
    metric("commerce_search_cache_hits_total", "counter", "Result cache hits.", double(se->cache_hits));
    metric("commerce_search_cache_misses_total", "counter", "Result cache misses.",
           double(se->cache_misses));
    metric("commerce_search_cache_hit_ratio", "gauge", "Hits / (hits + misses) since start.",
           lookups ? double(se->cache_hits) / double(lookups) : 0.0);
    metric("commerce_search_queries_total", "counter", "Queries run against the index.",
           double(se->queries));
  }
  auto last = st.engine->events().last_seq();
  if (last.ok()) metric("commerce_events_last_seq", "gauge", "Newest event sequence.", double(*last));
  metric("commerce_http_pool_queued", "gauge", "Engine calls queued or running in the pool.",
         double(st.metrics->pool_queued.load()));
  metric("commerce_http_shed_total", "counter", "Requests shed with 503 past --max-queued.",
         double(st.metrics->shed.load()));
  if (st.shared_cache) {
    SharedCacheStats cs = st.shared_cache->stats();
    metric("commerce_shared_cache_hits_total", "counter", "Product reads answered from Redis.",
           double(cs.hits));
    metric("commerce_shared_cache_misses_total", "counter", "Product reads Redis did not hold.",
           double(cs.misses));
    metric("commerce_shared_cache_fills_total", "counter", "Entries written to Redis.", double(cs.fills));
    metric("commerce_shared_cache_coalesced_total", "counter", "Misses that waited for another's fill.",
           double(cs.coalesced));
    metric("commerce_shared_cache_invalidations_total", "counter", "Tombstones written.",
           double(cs.invalidations));
    metric("commerce_shared_cache_bypassed_total", "counter",
           "Product reads sent to the store because Redis failed.", double(cs.bypassed));
    metric("commerce_shared_cache_search_hits_total", "counter",
           "Search result pages answered from Redis.", double(cs.search_hits));
    metric("commerce_shared_cache_search_misses_total", "counter",
           "Searches Redis held no page for at the index's sequence (the index answered).",
           double(cs.search_misses));
    metric("commerce_shared_cache_search_stores_total", "counter",
           "Search result pages written to Redis.", double(cs.search_stores));
    metric("commerce_shared_cache_search_too_large_total", "counter",
           "Search result pages not written: over the size bound.", double(cs.search_too_large));
    metric("commerce_shared_cache_search_errors_total", "counter",
           "Redis calls of searches that failed (the index answered).", double(cs.search_errors));
  }
  if (st.event_publisher) {
    EventPublisherStats ps = st.event_publisher->stats();
    metric("commerce_nats_published_total", "counter", "Events JetStream stored (this instance).",
           double(ps.published));
    metric("commerce_nats_duplicates_total", "counter",
           "Publishes JetStream dropped as duplicates of a stored event id.", double(ps.duplicates));
    metric("commerce_nats_failures_total", "counter", "Failed publishes and connects.",
           double(ps.failures));
    metric("commerce_nats_cursor", "gauge", "The last event published (the store's cursor).",
           double(ps.cursor));
    metric("commerce_nats_lag_events", "gauge", "Events of the log not yet published.",
           double(ps.last_seq > ps.cursor ? ps.last_seq - ps.cursor : 0));
    metric("commerce_nats_publishing", "gauge", "1 when this instance is the store's publisher.",
           ps.holding ? 1.0 : 0.0);
    metric("commerce_nats_connected", "gauge", "1 when connected to NATS.", ps.connected ? 1.0 : 0.0);
  }
  out += RemoteEndpointMetrics();
  Response r = JsonResponse(std::move(out));
  r.content_type = "text/plain; version=0.0.4";
  return r;
}

// GET /v1/search/suggest?q=...: search-as-you-type completions (commerce/suggest.h).
Response SuggestGet(ServerState& st, const Request& r, const Params&) {
  SuggestRequest q;
  Status s = OnlyParams(r, {"q", "limit", "typo_tolerance", "popular_queries"});
  for (const auto& [k, v] : r.query)
    if (k == "q") q.text = v;
  std::optional<int64_t> n;
  std::optional<bool> b;
  if (s.ok()) s = QueryInt(r, "limit", 0, 1000, &n);
  if (n) q.limit = static_cast<size_t>(*n);
  if (s.ok()) s = QueryBool(r, "typo_tolerance", &b);
  if (b) q.typo_tolerance = *b;
  b.reset();
  if (s.ok()) s = QueryBool(r, "popular_queries", &b);
  if (b) q.popular_queries = *b;
  if (!s.ok()) return StatusResponse(s);
  auto res = st.engine->search().suggest(q);
  if (!res.ok()) return StatusResponse(res.status());
  return JsonResponse(BuildJson([&](JsonWriter& w) {
    w.StartObject();
    w.Key("suggestions");
    w.StartArray();
    for (const auto& x : res->suggestions) {
      w.StartObject();
      w.Key("text"); Str(w, x.text);
      w.Key("source"); Str(w, x.source);
      w.Key("count"); w.Uint64(x.count);
      w.Key("corrected"); w.Bool(x.corrected);
      w.EndObject();
    }
    w.EndArray();
    w.Key("index_seq"); w.Uint64(res->index_seq);
    w.EndObject();
  }));
}

// POST /v1/search/uses {"search_id", "product_id", "kind"}: a result of a search was used.
Response SearchUsePost(ServerState& st, const Request& r, const Params&) {
  rapidjson::Document doc;
  Response err;
  if (!ReadBody(r, &doc, &err)) return err;
  SearchUse use;
  JsonObject o(doc, "body");
  Status s = o.str("search_id", &use.search_id, true);
  if (s.ok()) s = o.str("product_id", &use.product_id, true);
  if (s.ok()) s = o.str("kind", &use.kind, true);
  if (s.ok()) s = o.Finish();
  if (s.ok()) s = st.engine->search().record_use(use);
  if (!s.ok()) return StatusResponse(s);
  return JsonResponse(BuildJson([&](JsonWriter& w) {
    w.StartObject();
    w.Key("recorded"); w.Bool(true);
    w.EndObject();
  }));
}

void WriteQueryStats(JsonWriter& w, const char* name, const std::vector<QueryStats>& list) {
  w.Key(name);
  w.StartArray();
  for (const auto& q : list) {
    w.StartObject();
    w.Key("query"); Str(w, q.query);
    w.Key("searches"); w.Uint64(q.searches);
    w.Key("zero_results"); w.Uint64(q.zero_results);
    w.Key("used"); w.Uint64(q.used);
    w.Key("clicks"); w.Uint64(q.clicks);
    w.Key("add_to_carts"); w.Uint64(q.add_to_carts);
    w.Key("orders"); w.Uint64(q.orders);
    w.EndObject();
  }
  w.EndArray();
}

// GET /v1/search/analytics?since_ms=&until_ms=&limit=: top, zero-result and unused queries.
Response SearchAnalyticsGet(ServerState& st, const Request& r, const Params&) {
  AnalyticsRequest q;
  Status s = OnlyParams(r, {"since_ms", "until_ms", "limit"});
  std::optional<int64_t> n;
  if (s.ok()) s = QueryInt(r, "since_ms", INT64_MIN, INT64_MAX, &n);
  if (n) q.since_ms = *n;
  n.reset();
  if (s.ok()) s = QueryInt(r, "until_ms", INT64_MIN, INT64_MAX, &n);
  if (n) q.until_ms = *n;
  n.reset();
  if (s.ok()) s = QueryInt(r, "limit", 0, 1'000'000, &n);
  if (n) q.limit = static_cast<size_t>(*n);
  if (!s.ok()) return StatusResponse(s);
  auto a = st.engine->search().analytics(q);
  if (!a.ok()) return StatusResponse(a.status());
  return JsonResponse(BuildJson([&](JsonWriter& w) {
    w.StartObject();
    w.Key("since_ms"); w.Int64(a->since_ms);
    w.Key("until_ms"); w.Int64(a->until_ms);
    WriteQueryStats(w, "top_queries", a->top_queries);
    WriteQueryStats(w, "zero_result_queries", a->zero_result_queries);
    WriteQueryStats(w, "unused_queries", a->unused_queries);
    w.Key("searches"); w.Uint64(a->searches);
    w.Key("sampled_out"); w.Uint64(a->sampled_out);
    w.Key("evicted"); w.Uint64(a->evicted);
    w.Key("sample_rate"); w.Double(a->sample_rate);
    w.Key("tracked"); w.Uint64(a->tracked);
    w.EndObject();
  }));
}

}  // namespace

void AddSearchRoutes(std::vector<Route>* r) {
  r->push_back({"GET", "/v1/search", Scope::kPublic, Exec::kPool, Body::kNone, SearchGet});
  r->push_back({"GET", "/v1/search/suggest", Scope::kPublic, Exec::kPool, Body::kNone, SuggestGet});
  r->push_back({"POST", "/v1/search/uses", Scope::kPublic, Exec::kPool, Body::kJson, SearchUsePost});
  r->push_back({"GET", "/v1/search/analytics", Scope::kAdmin, Exec::kPool, Body::kNone, SearchAnalyticsGet});
  r->push_back({"POST", "/v1/search", Scope::kPublic, Exec::kPool, Body::kJson, SearchPost});
  r->push_back({"GET", "/v1/search/stats", Scope::kAdmin, Exec::kLoop, Body::kNone, SearchStatsRoute});
  r->push_back({"GET", "/v1/events", Scope::kAdmin, Exec::kPool, Body::kNone, EventsRoute});
  r->push_back({"GET", "/v1/events/stream", Scope::kAdmin, Exec::kPool, Body::kNone, EventStreamRoute});
  r->push_back({"POST", "/v1/events/trim", Scope::kAdmin, Exec::kPool, Body::kJson, EventsTrimRoute});
#if COMMERCE_SERVER_WEBHOOKS
  r->push_back({"POST", "/v1/webhooks", Scope::kAdmin, Exec::kPool, Body::kJson, Subscribe});
  r->push_back({"GET", "/v1/webhooks", Scope::kAdmin, Exec::kPool, Body::kNone, ListSubscriptions});
  r->push_back({"GET", "/v1/webhooks/failures", Scope::kAdmin, Exec::kPool, Body::kNone, Failures});
  r->push_back({"GET", "/v1/webhooks/{id}", Scope::kAdmin, Exec::kPool, Body::kNone, GetSubscription});
  r->push_back({"PATCH", "/v1/webhooks/{id}", Scope::kAdmin, Exec::kPool, Body::kJson, UpdateSubscription});
  r->push_back({"DELETE", "/v1/webhooks/{id}", Scope::kAdmin, Exec::kPool, Body::kNone, Unsubscribe});
#else
  r->push_back({"POST", "/v1/webhooks", Scope::kAdmin, Exec::kLoop, Body::kJson, NoWebhooks});
  r->push_back({"GET", "/v1/webhooks", Scope::kAdmin, Exec::kLoop, Body::kNone, NoWebhooks});
  r->push_back({"GET", "/v1/webhooks/failures", Scope::kAdmin, Exec::kLoop, Body::kNone, NoWebhooks});
  r->push_back({"GET", "/v1/webhooks/{id}", Scope::kAdmin, Exec::kLoop, Body::kNone, NoWebhooks});
  r->push_back({"PATCH", "/v1/webhooks/{id}", Scope::kAdmin, Exec::kLoop, Body::kJson, NoWebhooks});
  r->push_back({"DELETE", "/v1/webhooks/{id}", Scope::kAdmin, Exec::kLoop, Body::kNone, NoWebhooks});
#endif
  r->push_back({"GET", "/healthz", Scope::kNone, Exec::kLoop, Body::kNone, Healthz});
  r->push_back({"GET", "/v1/key", Scope::kPublic, Exec::kLoop, Body::kNone, KeyRoute});
  r->push_back({"GET", "/readyz", Scope::kNone, Exec::kLoop, Body::kNone, Readyz});
  r->push_back({"GET", "/metrics", Scope::kAdmin, Exec::kLoop, Body::kNone, MetricsRoute});
}

}  // namespace commerce::server
