// Bytes to requests: Node's http_parser (Debian's libhttp-parser, which is lenient) with the
// strictness of RFC 9112 added in its callbacks, and every decision that needs only the head
// taken before any body is read — framing, target, route, key, scope, rate limits, body
// limits — so that a refused request costs the server nothing but its head.
//
// Map: header fields (names, values, counts); the head (framing, target, gateway); the body
// (buffered or piped); OnRead, which feeds the parser and turns its errors into responses.
#include <http_parser.h>

#include <cctype>
#include <climits>
#include <cstring>

#include "connection.h"
#include "json_util.h"

namespace commerce::server {

namespace {

Conn* Of(http_parser* p) { return static_cast<Conn*>(p->data); }

// Refuses the request being parsed and stops the parser: nothing more is read from this
// connection, and the response closes it.
int Refuse(Conn* c, Response r) {
  r.close = true;
  c->parse_error = std::move(r);
  return -1;
}

int Malformed(Conn* c, const std::string& why) {
  return Refuse(c, ErrorResponse(400, "INVALID_ARGUMENT", "malformed HTTP request: " + why));
}

int CountHeader(Conn* c, size_t n) {
  c->header_bytes += n;
  const size_t max = c->loop->st->options.max_header_bytes;
  if (c->header_bytes > max)
    return Refuse(c, ErrorResponse(431, "HEADERS_TOO_LARGE",
                                   "request line and headers exceed " + std::to_string(max) + " bytes"));
  return 0;
}

// RFC 9110 §5.6.2: a field name is a token.
bool IsTokenChar(unsigned char ch) {
  return std::isalnum(ch) || std::strchr("!#$%&'*+-.^_`|~", ch) != nullptr;
}

std::string Printable(std::string_view s, size_t max = 64) {
  std::string out;
  for (unsigned char ch : s.substr(0, max)) out += (ch >= 0x20 && ch < 0x7f) ? static_cast<char>(ch) : '?';
  return out;
}

// The field and value gathered so far become a header: the name checked and lower-cased,
// optional whitespace trimmed from the value, the count checked.
int CommitHeader(Conn* c) {
  if (c->field.empty() && c->value.empty()) return 0;
  if (c->field.empty()) return Malformed(c, "a header line without a name");
  for (char& ch : c->field) {
    const auto u = static_cast<unsigned char>(ch);
    // A space before the colon is how "Transfer-Encoding : chunked" smuggles a request past a
    // proxy that does not see the header (RFC 9112 §5.1: 400).
    if (!IsTokenChar(u))
      return Malformed(c, "header name \"" + Printable(c->field) + "\" contains " +
                              (u == ' ' || u == '\t' ? std::string("whitespace")
                                                     : "the byte 0x" + std::to_string(u)));
    ch = static_cast<char>(std::tolower(u));
  }
  if (c->cur.req.headers.size() >= kMaxHeaderLines)
    return Refuse(c, ErrorResponse(431, "HEADERS_TOO_LARGE",
                                   "more than " + std::to_string(kMaxHeaderLines) + " header lines"));
  std::string_view v(c->value);
  while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
  while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) v.remove_suffix(1);
  c->cur.req.headers.emplace_back(std::move(c->field), std::string(v));
  c->field.clear();
  c->value.clear();
  c->in_value = false;
  return 0;
}

int OnMessageBegin(http_parser* p) {
  Conn* c = Of(p);
  c->cur = Pending{};
  c->cur.req.start_ns = NowNs();
  c->field.clear();
  c->value.clear();
  c->in_value = false;
  c->header_bytes = 0;
  c->message_begun = true;
  c->cur_queued = false;
  c->request_deadline_ms = LoopNowMs(c->loop) + c->loop->st->options.request_timeout_ms;
  return 0;
}

int OnUrl(http_parser* p, const char* at, size_t n) {
  Conn* c = Of(p);
  c->cur.req.target.append(at, n);
  return CountHeader(c, n);
}

int OnHeaderField(http_parser* p, const char* at, size_t n) {
  Conn* c = Of(p);
  if (c->in_value) {
    if (int rc = CommitHeader(c)) return rc;
  }
  c->field.append(at, n);
  return CountHeader(c, n);
}

int OnHeaderValue(http_parser* p, const char* at, size_t n) {
  Conn* c = Of(p);
  c->in_value = true;
  c->value.append(at, n);
  return CountHeader(c, n);
}

// --- the head ---

size_t CountOf(const Request& r, std::string_view name) {
  size_t n = 0;
  for (const auto& [k, v] : r.headers) n += k == name;
  return n;
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i])))
      return false;
  return true;
}

// Framing: one way to tell where the body ends, and a Host (RFC 9112 §3.2, §6).
int CheckFraming(Conn* c, http_parser* p) {
  const Request& r = c->cur.req;
  const size_t lengths = CountOf(r, "content-length");
  const size_t codings = CountOf(r, "transfer-encoding");
  if (lengths > 1) return Malformed(c, "more than one Content-Length header");
  if (lengths && codings) return Malformed(c, "both Content-Length and Transfer-Encoding");
  if (codings > 1) return Malformed(c, "more than one Transfer-Encoding header");
  if (codings) {
    if (p->http_minor == 0) return Malformed(c, "Transfer-Encoding in an HTTP/1.0 request");
    std::string_view te = *r.header("transfer-encoding");
    if (!EqualsIgnoreCase(te, "chunked")) {
      if (te.size() >= 7 && EqualsIgnoreCase(te.substr(te.size() - 7), "chunked"))
        return Refuse(c, StatusResponse(Status::NotSupported(
                             "Transfer-Encoding \"" + Printable(te) + "\": only chunked is supported")));
      return Malformed(c, "Transfer-Encoding must end with chunked");
    }
  }
  const size_t hosts = CountOf(r, "host");
  if (hosts > 1) return Malformed(c, "more than one Host header");
  if (hosts == 0 && p->http_minor >= 1) return Malformed(c, "an HTTP/1.1 request needs a Host header");
  return 0;
}

// The path and the decoded query of the target, in origin form ("/v1/search?q=x") or
// absolute form ("http://host/v1/search?q=x", RFC 9112 §3.2.2).
Status SplitTarget(Request* r) {
  std::string_view t(r->target);
  if (t.empty()) return Status::InvalidArgument("malformed HTTP request: an empty request target");
  if (t[0] != '/') {
    if (t == "*") {
      r->path = "*";
      return Status::OK();
    }
    http_parser_url u;
    http_parser_url_init(&u);
    if (http_parser_parse_url(t.data(), t.size(), 0, &u) != 0 || !(u.field_set & (1 << UF_SCHEMA)))
      return Status::InvalidArgument("malformed HTTP request: a target must be /path or http://host/path");
    std::string_view scheme = t.substr(u.field_data[UF_SCHEMA].off, u.field_data[UF_SCHEMA].len);
    if (!EqualsIgnoreCase(scheme, "http") && !EqualsIgnoreCase(scheme, "https"))
      return Status::InvalidArgument("malformed HTTP request: the target's scheme must be http or https");
    std::string rest = u.field_set & (1 << UF_PATH)
                           ? std::string(t.substr(u.field_data[UF_PATH].off, u.field_data[UF_PATH].len))
                           : "/";
    if (u.field_set & (1 << UF_QUERY))
      rest += "?" + std::string(t.substr(u.field_data[UF_QUERY].off, u.field_data[UF_QUERY].len));
    r->target = rest;
    t = r->target;
  }
  const size_t q = t.find('?');
  r->path = std::string(t.substr(0, q));
  if (q == std::string_view::npos) return Status::OK();
  std::string_view rest = t.substr(q + 1);
  const size_t hash = rest.find('#');
  if (hash != std::string_view::npos) rest = rest.substr(0, hash);
  while (!rest.empty()) {
    const size_t amp = rest.find('&');
    std::string_view kv = rest.substr(0, amp);
    if (!kv.empty()) {
      const size_t eq = kv.find('=');
      r->query.emplace_back(PercentDecode(kv.substr(0, eq), true),
                            eq == std::string_view::npos ? "" : PercentDecode(kv.substr(eq + 1), true));
      if (r->query.size() > kMaxQueryParams)
        return Status::InvalidArgument("query: more than " + std::to_string(kMaxQueryParams) + " parameters");
    }
    if (amp == std::string_view::npos) break;
    rest = rest.substr(amp + 1);
  }
  return Status::OK();
}

// The gateway on the head: the key, the client's failed attempts, the scope, the key's rate.
// Returns the refusal, if any.
std::optional<Response> Authorize(Conn* c, const Route& route) {
  ServerState* st = c->loop->st;
  Request& r = c->cur.req;
  if (route.scope == Scope::kNone) return std::nullopt;
  for (const auto& [name, value] : r.query)
    if (IsKeyParam(name))
      return StatusResponse(Status::InvalidArgument(
          "query parameter " + Printable(name) +
          ": an API key is never taken from the URL (logs, proxies and browser history keep "
          "URLs); send it as Authorization: Bearer <key>"));
  if (!st->gateway.enabled()) {
    r.scope = Scope::kAdmin;
    return std::nullopt;
  }
  int retry_after = 1;
  if (!st->auth_failures.Allowed(c->remote_addr, NowNs(), &retry_after)) {
    st->metrics->rate_limited.fetch_add(1);
    Response resp = ErrorResponse(429, "RESOURCE_EXHAUSTED",
                                  "too many failed authentications from this address; retry after " +
                                      std::to_string(retry_after) + " s");
    resp.headers.emplace_back("Retry-After", std::to_string(retry_after));
    resp.close = true;
    return resp;
  }
  std::string_view presented = PresentedKey(r);
  std::shared_ptr<ApiKey> key = presented.empty() ? nullptr : st->gateway.Authenticate(presented);
  if (!key) {
    if (!presented.empty()) st->auth_failures.Failed(c->remote_addr, NowNs());
    Response resp = ErrorResponse(401, "UNAUTHENTICATED",
                                  presented.empty() ? "an API key is required: Authorization: Bearer <key>"
                                                    : "the API key is not valid");
    resp.headers.emplace_back("WWW-Authenticate", "Bearer");
    resp.close = true;
    return resp;
  }
  r.key_name = key->name;
  r.scope = key->scope;
  r.key_channel = key->channel;
  if (!ScopeAllows(key->scope, route.scope)) {
    Response resp = ErrorResponse(403, "PERMISSION_DENIED",
                                  "key \"" + key->name + "\" has scope " + ScopeName(key->scope) + "; " +
                                      route.method + " " + route.pattern + " needs " +
                                      ScopeName(route.scope));
    resp.close = true;
    return resp;
  }
  if (!st->gateway.TakeToken(key.get(), NowNs(), &retry_after)) {
    st->metrics->rate_limited.fetch_add(1);
    Response resp = StatusResponse(Status::ResourceExhausted(
        "rate limit of key \"" + key->name + "\" exceeded; retry after " + std::to_string(retry_after) + " s"));
    resp.headers.emplace_back("Retry-After", std::to_string(retry_after));
    return resp;
  }
  return std::nullopt;
}

// Text from the request that the routes will treat as text must be UTF-8: the path's
// captures and the query.
std::optional<Response> CheckText(const Pending& p) {
  const Route& route = Routes()[static_cast<size_t>(p.route)];
  const auto names = ParamNames(route);
  for (size_t i = 0; i < p.params.size(); ++i)
    if (!IsUtf8(p.params[i]))
      return StatusResponse(Status::InvalidArgument(
          "path: {" + (i < names.size() ? names[i] : std::string("?")) + "} is not valid UTF-8"));
  for (const auto& [k, v] : p.req.query) {
    if (!IsUtf8(k)) return StatusResponse(Status::InvalidArgument("query: a parameter name is not valid UTF-8"));
    if (!IsUtf8(v))
      return StatusResponse(Status::InvalidArgument("query parameter " + k + ": not valid UTF-8"));
  }
  return std::nullopt;
}

int OnHeadersComplete(http_parser* p) {
  Conn* c = Of(p);
  if (int rc = CommitHeader(c)) return rc;
  ServerState* st = c->loop->st;
  Pending& cur = c->cur;
  Request& r = cur.req;
  r.method = http_method_str(static_cast<http_method>(p->method));
  r.keep_alive = http_should_keep_alive(p) != 0;
  r.remote = c->remote;
  if (p->http_major != 1 || p->http_minor > 1) return Malformed(c, "only HTTP/1.0 and HTTP/1.1 are served");
  if (p->upgrade) return Refuse(c, StatusResponse(Status::NotSupported("protocol upgrades are not supported")));
  if (int rc = CheckFraming(c, p)) return rc;
  Status target = SplitTarget(&r);
  if (!target.ok()) return Refuse(c, StatusResponse(target));

  const bool has_body = (p->flags & F_CHUNKED) || (p->content_length != ULLONG_MAX && p->content_length > 0);
  RouteMatch m = MatchRoute(r.method, r.path);
  cur.route = m.index;
  cur.params = std::move(m.params);
  if (m.index < 0) {
    Response resp;
    if (!m.allow.empty()) {
      resp = ErrorResponse(405, "METHOD_NOT_ALLOWED",
                           r.method + " is not allowed on " + r.path + " (allowed: " + m.allow + ")");
      resp.headers.emplace_back("Allow", m.allow);
    } else {
      resp = StatusResponse(Status::NotFound("no route " + r.method + " " + r.path));
    }
    cur.early = std::move(resp);
  } else {
    const Route& route = Routes()[static_cast<size_t>(m.index)];
    cur.early = Authorize(c, route);
    if (!cur.early) cur.early = CheckText(cur);
    if (!cur.early) {
      c->body_limit = route.body == Body::kNone   ? 0
                      : route.body == Body::kStream ? st->options.max_import_bytes
                                                    : st->options.max_body_bytes;
      if (has_body && c->body_limit == 0) {
        cur.early = ErrorResponse(413, "PAYLOAD_TOO_LARGE",
                                  std::string(route.method) + " " + route.pattern + " takes no body");
      } else if (p->content_length != ULLONG_MAX && p->content_length > c->body_limit) {
        cur.early = ErrorResponse(413, "PAYLOAD_TOO_LARGE",
                                  "body of " + std::to_string(p->content_length) +
                                      " bytes exceeds the limit of " + std::to_string(c->body_limit) +
                                      " bytes of " + route.method + " " + route.pattern);
      }
    }
  }
  if (cur.early) {
    // A body nobody will read is not read: the response closes the connection instead.
    if (has_body || cur.early->close) return Refuse(c, std::move(*cur.early));
    return 0;
  }
  if (const auto* e = r.header("expect"); e && EqualsIgnoreCase(*e, "100-continue") && has_body)
    WriteRaw(c, "HTTP/1.1 100 Continue\r\n\r\n", false);
  const Route& route = Routes()[static_cast<size_t>(cur.route)];
  if (route.body == Body::kStream) {
    // Dispatched now; its body follows through the pipe as it arrives.
    cur.pipe = std::make_shared<BodyPipe>();
    c->reading_pipe = cur.pipe;
    if (!has_body) cur.pipe->done = true;
    c->queue.push_back(std::move(cur));
    c->cur = Pending{};
    c->cur_queued = true;
    return 0;
  }
  if (p->content_length != ULLONG_MAX && p->content_length > 0)
    r.body.reserve(static_cast<size_t>(p->content_length));
  return 0;
}

// --- the body ---

int OnBody(http_parser* p, const char* at, size_t n) {
  Conn* c = Of(p);
  if (c->cur_queued) {
    BodyPipe& pipe = *c->reading_pipe;
    if (pipe.total + n > c->body_limit)
      return Refuse(c, ErrorResponse(413, "PAYLOAD_TOO_LARGE",
                                     "body exceeds the limit of " + std::to_string(c->body_limit) + " bytes"));
    pipe.total += n;
    pipe.queued += n;
    pipe.chunks.emplace_back(at, n);
    // A body that keeps arriving is not a slow client.
    c->request_deadline_ms = LoopNowMs(c->loop) + c->loop->st->options.request_timeout_ms;
    return 0;
  }
  if (c->cur.req.body.size() + n > c->body_limit)
    return Refuse(c, ErrorResponse(413, "PAYLOAD_TOO_LARGE",
                                   "body exceeds the limit of " + std::to_string(c->body_limit) + " bytes"));
  c->cur.req.body.append(at, n);
  return 0;
}

int OnMessageComplete(http_parser* p) {
  Conn* c = Of(p);
  c->message_begun = false;
  if (c->cur_queued) {  // OnRead moves the pipe along once the parser returns
    c->reading_pipe->done = true;
    c->reading_pipe.reset();
    c->cur_queued = false;
    return 0;
  }
  c->queue.push_back(std::move(c->cur));
  c->cur = Pending{};
  return 0;
}

}  // namespace

void InstallParserCallbacks(http_parser_settings* s) {
  s->on_message_begin = OnMessageBegin;
  s->on_url = OnUrl;
  s->on_header_field = OnHeaderField;
  s->on_header_value = OnHeaderValue;
  s->on_headers_complete = OnHeadersComplete;
  s->on_body = OnBody;
  s->on_message_complete = OnMessageComplete;
}

// A streamed body that cannot go on: its request answers with `why` and the connection
// closes once it has.
void BreakPipe(Conn* c, Response why) {
  why.close = true;
  c->reading_pipe->broken = std::move(why);
  c->reading_pipe.reset();
  c->cur_queued = false;
  c->message_begun = false;
  PumpBody(c);
}

void OnRead(uv_stream_t* s, ssize_t nread, const uv_buf_t* buf) {
  auto* c = static_cast<Conn*>(s->data);
  if (c->closing) return;
  if (nread < 0) {
    // EOF or a reset: answer what was received completely, then close.
    c->eof = true;
    if (c->stream) {  // an event stream's client left: nothing more to answer
      CloseConn(c);
      return;
    }
    StopReading(c);
    if (c->reading_pipe)
      BreakPipe(c, ErrorResponse(400, "INVALID_ARGUMENT", "the client closed the connection before the body ended"));
    c->message_begun = false;
    if (nread != UV_EOF) c->no_more_requests = true;
    ProcessQueue(c);
    return;
  }
  if (nread == 0) return;
  c->idle_deadline_ms = LoopNowMs(c->loop) + c->loop->st->options.idle_timeout_ms;
  if (c->no_more_requests || c->input_done) return;  // input after a closing response is ignored
  const size_t parsed =
      http_parser_execute(&c->parser, &c->loop->settings, buf->base, static_cast<size_t>(nread));
  if (c->parser.http_errno != HPE_OK || parsed != static_cast<size_t>(nread)) {
    Response err;
    if (c->parse_error) {
      err = std::move(*c->parse_error);
      c->parse_error.reset();
    } else {
      auto e = static_cast<http_errno>(c->parser.http_errno);
      err = ErrorResponse(400, "INVALID_ARGUMENT", std::string("malformed HTTP request: ") + http_errno_description(e));
    }
    err.close = true;
    StopReading(c);
    c->input_done = true;  // after the error, nothing more is read from this peer
    if (c->reading_pipe) {
      BreakPipe(c, std::move(err));
    } else {
      Pending p = std::move(c->cur);
      if (p.req.method.empty()) p.req.method = "-";
      if (!p.req.start_ns) p.req.start_ns = NowNs();
      p.req.remote = c->remote;
      p.req.keep_alive = false;
      p.early = std::move(err);
      c->cur = Pending{};
      c->message_begun = false;
      c->queue.push_back(std::move(p));
    }
    ProcessQueue(c);
    return;
  }
  if (c->queue.size() >= kMaxQueued) StopReading(c);
  if (c->reading_pipe && c->reading_pipe->queued + c->reading_pipe->in_work > kPipeHighWater) StopReading(c);
  PumpBody(c);
  ProcessQueue(c);
}

}  // namespace commerce::server
