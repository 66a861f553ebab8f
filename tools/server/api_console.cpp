// GET /console/ and its files: the browser console (docs/console.md), served from the bytes
// embedded in the binary (console_files.h). Serving needs no key: the files hold no data; every
// data call the console makes carries the user's key itself, in the Authorization header.
//
// A request names a file, never a path: the name is looked up in the embedded table, so `..`,
// encoded slashes or any other spelling can reach nothing but those files; the rest is the
// same JSON 404 as every other unknown path.
#include <cstring>
#include <string_view>

#include "console_files.h"
#include "routes.h"

namespace commerce::server {

namespace {

// No inline script or style, nothing from elsewhere: the console's code is its own files, and
// it talks only to this server. frame-ancestors: no other site may frame it (clickjacking).
constexpr const char* kContentSecurityPolicy =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; manifest-src 'self'; base-uri 'self'; "
    "form-action 'none'; frame-ancestors 'none'";

const char* ContentTypeOf(std::string_view name) {
  auto ends = [&](std::string_view ext) {
    return name.size() >= ext.size() && name.substr(name.size() - ext.size()) == ext;
  };
  if (ends(".html")) return "text/html; charset=utf-8";
  if (ends(".js")) return "text/javascript; charset=utf-8";
  if (ends(".css")) return "text/css; charset=utf-8";
  if (ends(".svg")) return "image/svg+xml";
  if (ends(".png")) return "image/png";
  if (ends(".json")) return "application/json";
  return "application/octet-stream";
}

const EmbeddedFile* Find(std::string_view name) {
  for (size_t i = 0; i < kConsoleFiles_count; ++i)
    if (name == kConsoleFiles[i].name) return &kConsoleFiles[i];
  return nullptr;
}

// An ETag in If-None-Match: the list form (`"a", "b"`), weak forms and `*` all count.
bool Matches(const std::string& if_none_match, std::string_view etag) {
  if (if_none_match.find('*') != std::string::npos) return true;
  std::string_view rest(if_none_match);
  while (!rest.empty()) {
    size_t comma = rest.find(',');
    std::string_view one = rest.substr(0, comma);
    while (!one.empty() && (one.front() == ' ' || one.front() == '\t')) one.remove_prefix(1);
    while (!one.empty() && (one.back() == ' ' || one.back() == '\t')) one.remove_suffix(1);
    if (one.substr(0, 2) == "W/") one.remove_prefix(2);
    if (one == etag) return true;
    if (comma == std::string_view::npos) break;
    rest.remove_prefix(comma + 1);
  }
  return false;
}

Response Serve(const Request& r, std::string_view name) {
  const EmbeddedFile* f = Find(name);
  if (!f) {
    std::string shown;
    for (unsigned char ch : name.substr(0, 64)) shown += (ch >= 0x20 && ch < 0x7f) ? static_cast<char>(ch) : '?';
    if (name.size() > 64) shown += "...";
    return StatusResponse(Status::NotFound("no console file \"" + shown + "\" (docs/console.md)"));
  }
  Response resp;
  resp.content_type = ContentTypeOf(f->name);
  resp.headers.emplace_back("Content-Security-Policy", kContentSecurityPolicy);
  resp.headers.emplace_back("X-Content-Type-Options", "nosniff");
  resp.headers.emplace_back("Referrer-Policy", "no-referrer");
  // Revalidated on every load (a 304 when unchanged): the files change with the server, and a
  // console of one version must not call a server of another from a stale cache.
  resp.headers.emplace_back("Cache-Control", "no-cache");
  resp.headers.emplace_back("ETag", f->etag);
  if (const std::string* inm = r.header("if-none-match"); inm && Matches(*inm, f->etag)) {
    resp.status = 304;
    return resp;
  }
  resp.body.assign(reinterpret_cast<const char*>(f->data), f->size);
  return resp;
}

// /console and /console/ (the route table drops empty segments, so both land here): the
// page. index.html has <base href="/console/">, so its relative URLs resolve under /console/
// from either address, without a redirect.
Response ConsoleIndex(ServerState&, const Request& r, const Params&) { return Serve(r, "index.html"); }

Response ConsoleFile(ServerState&, const Request& r, const Params& p) { return Serve(r, p[0]); }

}  // namespace

void AddConsoleRoutes(std::vector<Route>* r) {
  r->push_back({"GET", "/console", Scope::kNone, Exec::kLoop, Body::kNone, ConsoleIndex});
  r->push_back({"GET", "/console/{file}", Scope::kNone, Exec::kLoop, Body::kNone, ConsoleFile});
}

}  // namespace commerce::server
