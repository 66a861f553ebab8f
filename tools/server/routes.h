// The route table of the reference server and what its handlers share.
//
// A route is a method, a pattern of path segments ("/v1/carts/{id}/lines/{sku}"), the scope a
// key needs, where it runs (Exec), what body it takes (Body) and its handler. Handlers turn a
// Request into a Response by calling the engine; they never touch the connection. A handler
// that must wait for the event log or the search index returns a Response with `wait` set
// (http_message.h) and runs again when the wait ends; no thread is held meanwhile.
//
// The routes live with their nouns: api_catalog.cpp (products, categories, import),
// api_inventory.cpp (warehouses, stock), api_orders.cpp (customers, carts, orders),
// api_search.cpp (search, events, webhooks, health, metrics), api_returns.cpp (returns),
// api_price_lists.cpp (price lists and the price that applies), api_channels.cpp (channels),
// api_console.cpp (the browser console's static files).
//
// Thread safety: the table is built once and read-only after; ServerState is shared by every
// loop and pool thread (the engine is thread-safe; the rest is atomics or locked).
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "commerce/commerce.h"
#include "commerce/event_publisher.h"
#include "commerce/shared_cache.h"
#include "gateway.h"
#include "http_message.h"
#include "import_jobs.h"
#include "json_util.h"
#include "metrics.h"
#include "server.h"

namespace commerce::server {

// Where a route runs. kLoop: on the connection's loop — point reads only (a product, a cart,
// an order by id: one LMDB snapshot lookup, never waiting, never scanning far); kPool: on
// libuv's thread pool — writes (they wait for a group commit), searches, listings and scans
// (work that grows with a parameter), so a loop never stalls the connections it serves.
enum class Exec : uint8_t { kLoop, kPool };

// What a route takes as a body, and so its limit: kNone (a body is 413), kJson (at most
// --max-body-bytes, read whole before the handler runs), kStream (at most --max-import-bytes,
// handed to a BodyConsumer in slices as it arrives; never held whole).
enum class Body : uint8_t { kNone, kJson, kStream };

struct ServerState {
  Engine* engine = nullptr;
  // The shared cache of product reads (--redis); null without it.
  std::unique_ptr<SharedCache> shared_cache;
  // The event log's publisher to NATS (--nats); null without it.
  std::unique_ptr<EventPublisher> event_publisher;
  // Imports as jobs (POST /v1/import-jobs); made with the engine, gone before it closes.
  std::unique_ptr<ImportJobs> import_jobs;
  ServerOptions options;
  Gateway gateway;
  AuthThrottle auth_failures;
  AccessLog access_log;
  std::unique_ptr<Metrics> metrics;
  std::atomic<bool> draining{false};
  // Requests parked on a Waiter, over every loop and every kind of wait (long-polls,
  // min_index_seq, event streams): at most options.max_waits.
  std::atomic<int> waits{0};

  bool TryStartWait() {
    if (waits.fetch_add(1) < options.max_waits) return true;
    waits.fetch_sub(1);
    return false;
  }
  void EndWait() { waits.fetch_sub(1); }
};

using Params = std::vector<std::string>;  // the {captures} of the pattern, decoded, in order
using Handler = Response (*)(ServerState&, const Request&, const Params&);

// The body of a Body::kStream route, as it arrives. Every call is on the pool, one at a time
// and in order (possibly on different threads).
class BodyConsumer {
 public:
  virtual ~BodyConsumer() = default;
  // The next slice of the body. An error ends the request with that error response (and,
  // if the body had more to come, closes the connection).
  virtual Status Write(std::string_view slice) = 0;
  // The body ended: the response.
  virtual Response Finish() = 0;
  // The body will not end (the client left, the body broke a limit or its framing, the
  // server stops): give up. No response is asked for.
  virtual void Abort() = 0;
};
// Runs on the pool when a kStream request reaches the head of its connection's queue, before
// its body has arrived: the consumer, or why the request is refused.
using StreamHandler = Result<std::unique_ptr<BodyConsumer>> (*)(ServerState&, const Request&,
                                                                const Params&);

// A handler that answers later, from any thread: it starts the work and returns without
// waiting for it (POST /v1/orders hands the order to Orders::place_async, so no thread waits for
// a group commit). It runs on the pool; `reply` must be called exactly once, from any thread
// (the storage's writer included: it only queues), with a function that makes the response --
// run on the connection's loop, so that a writer thread does not build JSON. The handler must
// not touch the Request after calling `reply`.
using Reply = std::function<void(std::function<Response()> respond)>;
using AsyncHandler = void (*)(ServerState&, const Request&, const Params&, Reply reply);

struct Route {
  const char* method;
  const char* pattern;
  Scope scope;  // the least scope of a key that may call it (ScopeAllows); kNone: no key needed
  Exec exec;
  Body body;
  Handler handler;               // every route but kStream and async ones
  StreamHandler stream = nullptr;  // kStream routes
  AsyncHandler async = nullptr;    // routes that answer later (Exec::kPool)
};

// Query parameters a request may have; more are 400 before any is looked at.
inline constexpr size_t kMaxQueryParams = 100;

void AddCatalogRoutes(std::vector<Route>* routes);
void AddInventoryRoutes(std::vector<Route>* routes);
void AddOrderRoutes(std::vector<Route>* routes);
void AddSearchRoutes(std::vector<Route>* routes);
void AddMerchandisingRoutes(std::vector<Route>* routes);  // synonyms, rules
void AddImportJobRoutes(std::vector<Route>* routes);
void AddPromotionRoutes(std::vector<Route>* routes);  // api_promotions.cpp
void AddPaymentRoutes(std::vector<Route>* routes);    // api_payments.cpp: payments, refunds, provider webhooks
void AddReturnRoutes(std::vector<Route>* routes);     // api_returns.cpp: returns (RMA) and their moves
void AddPriceListRoutes(std::vector<Route>* routes);  // api_price_lists.cpp: price lists, a SKU's price
void AddChannelRoutes(std::vector<Route>* routes);    // api_channels.cpp: channels (storefronts)
void AddConsoleRoutes(std::vector<Route>* routes);    // api_console.cpp: GET /console/ (no key)

const std::vector<Route>& Routes();
// Labels for metrics: "GET /v1/products/{id}" for each route, then "unmatched".
std::vector<std::string> RouteLabels();

// The names of a route's captures, in order: "/v1/carts/{id}/lines/{sku}" -> {"id", "sku"}.
std::vector<std::string> ParamNames(const Route& route);

struct RouteMatch {
  int index = -1;     // into Routes(); -1: none
  Params params;
  std::string allow;  // when the path matched but not the method: the methods that would
};
RouteMatch MatchRoute(std::string_view method, std::string_view path);

// --- helpers for handlers ---------------------------------------------------------------

// The JSON body of a request. 415 for a Content-Type that is not the media type
// application/json (parameters allowed; a charset other than UTF-8 is 415 too), 400 for
// anything ParseJsonBody refuses; *err is set and false returned. No Content-Type is JSON.
bool ReadBody(const Request& r, rapidjson::Document* doc, Response* err);
// If-Match: "7", W/"7" or 7 -> 7. Absent: nullopt. Malformed: *err (400).
bool IfMatch(const Request& r, std::optional<uint64_t>* version, Response* err);
// Query parameters: InvalidArgument naming the parameter.
Status QueryInt(const Request& r, std::string_view name, int64_t min, int64_t max,
                std::optional<int64_t>* out);
Status QueryBool(const Request& r, std::string_view name, std::optional<bool>* out);
// InvalidArgument for a query parameter not in `known` (a typo is caught, not ignored), and
// for one given twice: `?limit=5&limit=1000` took the first, `?q=a&q=b` the last, and a
// cache or proxy in front may read the other. A name ending in '*' may repeat (a list:
// "brand*"); one ending in '.' is a prefix (each "attr.color" once).
Status OnlyParams(const Request& r, std::initializer_list<std::string_view> known);
// An import's options from its request (?format=jsonl|json|csv, ?currency=, Content-Length):
// POST /v1/products/import and POST /v1/import-jobs read them alike (api_catalog.cpp).
Status ImportOptionsOf(const Request& r, ImportOptions* o);

template <typename F>
std::string BuildJson(F&& f) {
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  f(w);
  return std::string(buf.GetString(), buf.GetSize());
}

// A 200/201 JSON response with an ETag of `version`.
Response VersionedResponse(std::string body, uint64_t version, int http = 200);

}  // namespace commerce::server
