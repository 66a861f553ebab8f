// The route table of the reference server and what its handlers share.
//
// A route is a method, a pattern of path segments ("/v1/carts/{id}/lines/{sku}"), the scope a
// key needs, where it runs and its handler. Handlers turn a Request into a Response by calling
// the engine; they never touch the connection. Exec::kLoop handlers only read (LMDB snapshot
// reads never wait for a writer) and run on the connection's loop; Exec::kPool handlers may
// wait for a group commit, a search or the event log and run on libuv's thread pool.
//
// The routes live with their nouns: api_catalog.cpp (products, categories, import),
// api_inventory.cpp (warehouses, stock), api_orders.cpp (customers, carts, orders),
// api_search.cpp (search, events, webhooks, health, metrics).
//
// Thread safety: the table is built once and read-only after; ServerState is shared by every
// loop and pool thread (the engine is thread-safe; the rest is atomics or locked).
#pragma once

#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "commerce/commerce.h"
#include "gateway.h"
#include "http_message.h"
#include "json_util.h"
#include "metrics.h"
#include "server.h"

namespace commerce::server {

enum class Exec : uint8_t { kLoop, kPool };

struct ServerState {
  Engine* engine = nullptr;
  ServerOptions options;
  Gateway gateway;
  AccessLog access_log;
  std::unique_ptr<Metrics> metrics;
  std::atomic<bool> draining{false};
  std::atomic<int> long_polls{0};
};

using Params = std::vector<std::string>;  // the {captures} of the pattern, decoded, in order
using Handler = Response (*)(ServerState&, const Request&, const Params&);

struct Route {
  const char* method;
  const char* pattern;
  Scope scope;  // kNone: no key needed
  Exec exec;
  Handler handler;
};

void AddCatalogRoutes(std::vector<Route>* routes);
void AddInventoryRoutes(std::vector<Route>* routes);
void AddOrderRoutes(std::vector<Route>* routes);
void AddSearchRoutes(std::vector<Route>* routes);

const std::vector<Route>& Routes();
// Labels for metrics: "GET /v1/products/{id}" for each route, then "unmatched".
std::vector<std::string> RouteLabels();

struct RouteMatch {
  int index = -1;     // into Routes(); -1: none
  Params params;
  std::string allow;  // when the path matched but not the method: the methods that would
};
RouteMatch MatchRoute(std::string_view method, std::string_view path);

// --- helpers for handlers ---------------------------------------------------------------

// The JSON body of a request. 415 for a Content-Type other than application/json, 400 for
// anything ParseJsonBody refuses; *err is set and false returned.
bool ReadBody(const Request& r, rapidjson::Document* doc, Response* err);
// If-Match: "7", W/"7" or 7 -> 7. Absent: nullopt. Malformed: *err (400).
bool IfMatch(const Request& r, std::optional<uint64_t>* version, Response* err);
// Query parameters: InvalidArgument naming the parameter.
Status QueryInt(const Request& r, std::string_view name, int64_t min, int64_t max,
                std::optional<int64_t>* out);
Status QueryBool(const Request& r, std::string_view name, std::optional<bool>* out);
// InvalidArgument for a query parameter not in `known` (a typo is caught, not ignored).
Status OnlyParams(const Request& r, std::initializer_list<std::string_view> known);

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
