#include "routes.h"

#include <cctype>
#include <charconv>

namespace commerce::server {

namespace {

std::vector<std::string_view> Split(std::string_view path) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < path.size()) {
    if (path[i] == '/') { ++i; continue; }
    size_t j = path.find('/', i);
    if (j == std::string_view::npos) j = path.size();
    out.push_back(path.substr(i, j - i));
    i = j;
  }
  return out;
}

struct Compiled {
  std::vector<std::vector<std::string_view>> segments;
};

const Compiled& Compile() {
  static const Compiled c = [] {
    Compiled c;
    for (const auto& r : Routes()) c.segments.push_back(Split(r.pattern));
    return c;
  }();
  return c;
}

}  // namespace

const std::vector<Route>& Routes() {
  static const std::vector<Route> routes = [] {
    std::vector<Route> r;
    AddCatalogRoutes(&r);
    AddInventoryRoutes(&r);
    AddOrderRoutes(&r);
    AddSearchRoutes(&r);
    AddMerchandisingRoutes(&r);
    AddImportJobRoutes(&r);
    AddPromotionRoutes(&r);
    AddPaymentRoutes(&r);
    AddReturnRoutes(&r);
    AddPriceListRoutes(&r);
    AddChannelRoutes(&r);
    AddConsoleRoutes(&r);
    return r;
  }();
  return routes;
}

std::vector<std::string> ParamNames(const Route& route) {
  std::vector<std::string> out;
  for (std::string_view seg : Split(route.pattern))
    if (seg.size() >= 2 && seg.front() == '{' && seg.back() == '}')
      out.emplace_back(seg.substr(1, seg.size() - 2));
  return out;
}

std::vector<std::string> RouteLabels() {
  std::vector<std::string> out;
  for (const auto& r : Routes()) out.push_back(std::string(r.method) + " " + r.pattern);
  out.push_back("unmatched");
  return out;
}

RouteMatch MatchRoute(std::string_view method, std::string_view path) {
  RouteMatch m;
  auto parts = Split(path);
  if (path.empty() || path[0] != '/') return m;
  const auto& routes = Routes();
  const auto& compiled = Compile();
  std::string_view want = method == "HEAD" ? std::string_view("GET") : method;
  for (size_t i = 0; i < routes.size(); ++i) {
    const auto& segs = compiled.segments[i];
    if (segs.size() != parts.size()) continue;
    bool ok = true;
    for (size_t s = 0; s < segs.size() && ok; ++s)
      ok = (!segs[s].empty() && segs[s][0] == '{') || segs[s] == parts[s];
    if (!ok) continue;
    if (want != routes[i].method) {
      if (m.allow.find(routes[i].method) == std::string::npos) {
        if (!m.allow.empty()) m.allow += ", ";
        m.allow += routes[i].method;
      }
      continue;
    }
    m.index = static_cast<int>(i);
    for (size_t s = 0; s < segs.size(); ++s)
      if (segs[s][0] == '{') m.params.push_back(PercentDecode(parts[s], false));
    m.allow.clear();
    return m;
  }
  return m;
}

namespace {

std::string_view TrimOws(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool EqualsNoCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i])))
      return false;
  return true;
}

// Content-Type as a media type (RFC 9110 §8.3.1): type/subtype, then `; name=value`
// parameters. JSON: application/json, with no charset or charset=utf-8 (quoted or not).
Status CheckJsonMediaType(std::string_view ct) {
  auto refuse = [&] {
    std::string shown;
    for (unsigned char ch : ct.substr(0, 80)) shown += (ch >= 0x20 && ch < 0x7f) ? static_cast<char>(ch) : '?';
    return Status::InvalidArgument("Content-Type must be application/json, not \"" + shown + "\"");
  };
  const size_t semi = ct.find(';');
  if (!EqualsNoCase(TrimOws(ct.substr(0, semi)), "application/json")) return refuse();
  std::string_view rest = semi == std::string_view::npos ? std::string_view() : ct.substr(semi + 1);
  while (!TrimOws(rest).empty()) {
    const size_t next = rest.find(';');
    std::string_view param = TrimOws(rest.substr(0, next));
    rest = next == std::string_view::npos ? std::string_view() : rest.substr(next + 1);
    if (param.empty()) continue;
    const size_t eq = param.find('=');
    if (eq == std::string_view::npos) return refuse();
    std::string_view name = TrimOws(param.substr(0, eq)), value = TrimOws(param.substr(eq + 1));
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"') value = value.substr(1, value.size() - 2);
    if (EqualsNoCase(name, "charset") && !EqualsNoCase(value, "utf-8")) return refuse();
  }
  return Status::OK();
}

}  // namespace

bool ReadBody(const Request& r, rapidjson::Document* doc, Response* err) {
  if (const auto* ct = r.header("content-type")) {
    Status s = CheckJsonMediaType(*ct);
    if (!s.ok()) {
      *err = ErrorResponse(415, "UNSUPPORTED_MEDIA_TYPE", s.message());
      return false;
    }
  }
  Status s = ParseJsonBody(r.body, doc);
  if (!s.ok()) {
    *err = StatusResponse(s);
    return false;
  }
  return true;
}

bool IfMatch(const Request& r, std::optional<uint64_t>* version, Response* err) {
  const auto* h = r.header("if-match");
  if (!h) return true;
  std::string_view v(*h);
  if (v.substr(0, 2) == "W/") v.remove_prefix(2);
  if (v.size() >= 2 && v.front() == '"' && v.back() == '"') v = v.substr(1, v.size() - 2);
  uint64_t n = 0;
  auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
  if (ec != std::errc() || p != v.data() + v.size() || v.empty()) {
    *err = StatusResponse(Status::InvalidArgument(
        "If-Match: expected a record version such as \"3\" (the ETag of a GET)"));
    return false;
  }
  *version = n;
  return true;
}

Status QueryInt(const Request& r, std::string_view name, int64_t min, int64_t max,
                std::optional<int64_t>* out) {
  const auto* v = r.param(name);
  if (!v) return Status::OK();
  int64_t n = 0;
  auto [p, ec] = std::from_chars(v->data(), v->data() + v->size(), n);
  if (ec != std::errc() || p != v->data() + v->size() || v->empty())
    return Status::InvalidArgument(std::string(name) + ": expected an integer, got \"" + *v + "\"");
  if (n < min || n > max)
    return Status::InvalidArgument(std::string(name) + ": must be in " + std::to_string(min) +
                                   ".." + std::to_string(max));
  *out = n;
  return Status::OK();
}

Status QueryBool(const Request& r, std::string_view name, std::optional<bool>* out) {
  const auto* v = r.param(name);
  if (!v) return Status::OK();
  if (*v == "true" || *v == "1" || v->empty()) *out = true;
  else if (*v == "false" || *v == "0") *out = false;
  else return Status::InvalidArgument(std::string(name) + ": expected true or false");
  return Status::OK();
}

Status OnlyParams(const Request& r, std::initializer_list<std::string_view> known) {
  for (size_t i = 0; i < r.query.size(); ++i) {
    const std::string& k = r.query[i].first;
    bool ok = false, list = false;
    for (auto n : known) {
      if (n.back() == '*' && k == n.substr(0, n.size() - 1)) ok = list = true;
      ok = ok || k == n || (n.back() == '.' && k.rfind(n, 0) == 0);
    }
    if (!ok) return Status::InvalidArgument("query parameter " + k + ": unknown");
    if (list) continue;
    for (size_t j = 0; j < i; ++j)
      if (r.query[j].first == k)
        return Status::InvalidArgument("query parameter " + k + ": given more than once; it takes one value");
  }
  return Status::OK();
}

Response VersionedResponse(std::string body, uint64_t version, int http) {
  Response r = JsonResponse(std::move(body), http);
  r.headers.emplace_back("ETag", "\"" + std::to_string(version) + "\"");
  return r;
}

}  // namespace commerce::server
