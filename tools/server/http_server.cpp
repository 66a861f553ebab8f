// One event loop of the server. The parts, in order: a connection's state; parsing with
// http_parser's callbacks; dispatch through the gateway to a route (on the loop or on the
// thread pool); writing responses in order; the sweep that enforces timeouts; accept, drain
// and stop.
#include "http_server.h"

#include <arpa/inet.h>
#include <http_parser.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>
#include <uv.h>

#include <climits>
#include <cstring>
#include <deque>
#include <list>
#include <optional>

namespace commerce::server {

namespace {

inline constexpr size_t kMaxQueued = 64;  // pipelined requests parsed ahead of answering

struct Pending {
  Request req;
  std::optional<Response> early;  // an answer decided while parsing (413, 431, 400)
};

}  // namespace

struct Conn;

class Loop {
 public:
  ServerState* st = nullptr;
  int index = 0;
  uv_loop_t loop{};
  uv_tcp_t server{};
  uv_async_t stop_async{};
  uv_timer_t sweep{};
  uv_timer_t drain_timer{};
  std::list<Conn*> conns;
  bool stopping = false;
  uint64_t request_counter = 0;
  char read_buf[64 * 1024];
  http_parser_settings settings{};
};

struct Conn {
  uv_tcp_t tcp{};
  Loop* loop = nullptr;
  std::list<Conn*>::iterator it;
  http_parser parser{};
  std::string remote;

  // The request being parsed.
  Request cur;
  std::string field, value;
  bool in_value = false;
  bool message_begun = false;
  size_t header_bytes = 0;
  size_t body_limit = 0;
  std::optional<Response> parse_error;  // set by a callback that refused the request

  std::deque<Pending> queue;
  bool busy = false;         // a route is running on the pool
  bool no_more_requests = false;  // a closing response is queued, or the input is broken
  bool read_stopped = false;
  bool input_done = false;   // malformed or timed-out input: nothing more is parsed
  bool eof = false;
  bool closing = false;
  bool handle_closed = false;
  int refs = 0;              // pool work and writes in flight
  int64_t request_deadline_ms = 0;
  int64_t idle_deadline_ms = 0;
};

namespace {

int64_t LoopNowMs(Loop* l) { return static_cast<int64_t>(uv_now(&l->loop)); }

void MaybeFree(Conn* c) {
  if (c->handle_closed && c->refs == 0) delete c;
}

void CloseConn(Conn* c) {
  if (c->closing) return;
  c->closing = true;
  c->loop->conns.erase(c->it);
  c->loop->st->metrics->connections.fetch_sub(1);
  uv_close(reinterpret_cast<uv_handle_t*>(&c->tcp), [](uv_handle_t* h) {
    auto* c = static_cast<Conn*>(h->data);
    c->handle_closed = true;
    MaybeFree(c);
  });
}

struct WriteReq {
  uv_write_t req;
  std::string data;
  Conn* conn;
  bool close_after;
};

void WriteRaw(Conn* c, std::string data, bool close_after) {
  auto* w = new WriteReq{{}, std::move(data), c, close_after};
  uv_buf_t buf = uv_buf_init(w->data.data(), static_cast<unsigned>(w->data.size()));
  ++c->refs;
  int rc = uv_write(&w->req, reinterpret_cast<uv_stream_t*>(&c->tcp), &buf, 1,
                    [](uv_write_t* req, int status) {
                      auto* w = reinterpret_cast<WriteReq*>(req);
                      Conn* c = w->conn;
                      --c->refs;
                      if (status < 0 || w->close_after) CloseConn(c);
                      delete w;
                      MaybeFree(c);
                    });
  if (rc < 0) {
    --c->refs;
    delete w;
    CloseConn(c);
  }
}

void ProcessQueue(Conn* c);
void ResumeReading(Conn* c);

std::string AccessLine(const Request& r, const Response& resp, int route, double seconds,
                       size_t bytes) {
  return BuildJson([&](JsonWriter& w) {
    w.StartObject();
    w.Key("time_ms"); w.Int64(NowMs());
    w.Key("request_id"); Str(w, r.request_id);
    w.Key("remote"); Str(w, r.remote);
    w.Key("method"); Str(w, r.method);
    w.Key("target"); Str(w, r.target.size() > 512 ? r.target.substr(0, 512) : r.target);
    w.Key("route");
    if (route >= 0) {
      const auto& rt = Routes()[static_cast<size_t>(route)];
      Str(w, std::string(rt.method) + " " + rt.pattern);
    } else {
      w.Null();
    }
    w.Key("status"); w.Int(resp.status);
    if (!resp.error_code.empty()) { w.Key("error"); Str(w, resp.error_code); }
    w.Key("key"); Str(w, r.key_name);
    w.Key("bytes"); w.Uint64(bytes);
    w.Key("ms"); w.Double(seconds * 1000.0);
    w.EndObject();
  });
}

// Writes the response of `r` (the queue's head has been popped) and records it.
void Finish(Conn* c, const Request& r, int route, Response resp) {
  Loop* l = c->loop;
  ServerState* st = l->st;
  bool keep_alive = r.keep_alive && !resp.close && !st->draining.load() && !c->no_more_requests;
  if (!keep_alive) c->no_more_requests = true;
  std::string out = SerializeResponse(resp, r.request_id, keep_alive, r.method == "HEAD");
  double seconds = static_cast<double>(NowNs() - r.start_ns) / 1e9;
  size_t bytes = out.size();
  if (!c->closing) WriteRaw(c, std::move(out), !keep_alive);
  int label = route >= 0 ? route : static_cast<int>(Routes().size());
  st->metrics->Record(l->index, label, resp.status, seconds);
  if (st->access_log.enabled()) st->access_log.Write(AccessLine(r, resp, route, seconds, bytes));
  c->idle_deadline_ms = LoopNowMs(l) + st->options.idle_timeout_ms;
}

struct Work {
  uv_work_t req;
  Conn* conn;
  Request request;
  Params params;
  int route;
  Response response;
};

Response RunHandler(ServerState* st, int route, const Request& r, const Params& p) {
  try {
    return Routes()[static_cast<size_t>(route)].handler(*st, r, p);
  } catch (const std::exception& e) {
    return StatusResponse(Status::Internal(std::string("unexpected exception: ") + e.what()));
  } catch (...) {
    return StatusResponse(Status::Internal("unexpected exception"));
  }
}

// Gateway, then the route. Returns true when the route went to the pool (the connection is
// busy until it comes back).
bool Dispatch(Conn* c, Pending p) {
  Loop* l = c->loop;
  ServerState* st = l->st;
  Request& r = p.req;
  const auto* rid = r.header("x-request-id");
  r.request_id = rid && ValidRequestId(*rid) ? *rid : NewRequestId(l->index, ++l->request_counter);
  r.remote = c->remote;
  if (p.early) {
    st->metrics->bad_requests.fetch_add(1);
    Finish(c, r, -1, std::move(*p.early));
    return false;
  }
  RouteMatch m = MatchRoute(r.method, r.path);
  if (m.index < 0) {
    Response resp;
    if (!m.allow.empty()) {
      resp = ErrorResponse(405, "METHOD_NOT_ALLOWED",
                           r.method + " is not allowed on " + r.path + " (allowed: " + m.allow + ")");
      resp.headers.emplace_back("Allow", m.allow);
    } else {
      resp = StatusResponse(Status::NotFound("no route " + r.method + " " + r.path));
    }
    Finish(c, r, -1, std::move(resp));
    return false;
  }
  const Route& route = Routes()[static_cast<size_t>(m.index)];
  if (route.scope != Scope::kNone && st->gateway.enabled()) {
    std::string_view presented = PresentedKey(r);
    std::shared_ptr<ApiKey> key = presented.empty() ? nullptr : st->gateway.Authenticate(presented);
    if (!key) {
      Response resp = ErrorResponse(401, "UNAUTHENTICATED",
                                    presented.empty()
                                        ? "an API key is required: Authorization: Bearer <key>"
                                        : "the API key is not valid");
      resp.headers.emplace_back("WWW-Authenticate", "Bearer");
      Finish(c, r, m.index, std::move(resp));
      return false;
    }
    r.key_name = key->name;
    r.scope = key->scope;
    if (route.scope == Scope::kAdmin && key->scope != Scope::kAdmin) {
      Finish(c, r, m.index,
             ErrorResponse(403, "PERMISSION_DENIED",
                           std::string("key \"") + key->name + "\" has scope " +
                               ScopeName(key->scope) + "; " + route.method + " " + route.pattern +
                               " needs admin"));
      return false;
    }
    int retry_after = 1;
    if (!st->gateway.TakeToken(key.get(), NowNs(), &retry_after)) {
      st->metrics->rate_limited.fetch_add(1);
      Response resp = StatusResponse(Status::ResourceExhausted(
          "rate limit of key \"" + key->name + "\" exceeded; retry after " +
          std::to_string(retry_after) + " s"));
      resp.headers.emplace_back("Retry-After", std::to_string(retry_after));
      Finish(c, r, m.index, std::move(resp));
      return false;
    }
  } else {
    r.scope = Scope::kAdmin;
  }
  if (route.exec == Exec::kLoop) {
    st->metrics->in_flight.fetch_add(1);
    Response resp = RunHandler(st, m.index, r, m.params);
    st->metrics->in_flight.fetch_sub(1);
    Finish(c, r, m.index, std::move(resp));
    return false;
  }
  auto* w = new Work{{}, c, std::move(r), std::move(m.params), m.index, {}};
  w->req.data = w;
  c->busy = true;
  ++c->refs;
  st->metrics->in_flight.fetch_add(1);
  uv_queue_work(
      &l->loop, &w->req,
      [](uv_work_t* req) {
        auto* w = static_cast<Work*>(req->data);
        w->response = RunHandler(w->conn->loop->st, w->route, w->request, w->params);
      },
      [](uv_work_t* req, int) {
        std::unique_ptr<Work> w(static_cast<Work*>(req->data));
        Conn* c = w->conn;
        c->loop->st->metrics->in_flight.fetch_sub(1);
        --c->refs;
        c->busy = false;
        if (!c->closing) {
          Finish(c, w->request, w->route, std::move(w->response));
          ProcessQueue(c);
        }
        MaybeFree(c);
      });
  return true;
}

void ProcessQueue(Conn* c) {
  while (!c->busy && !c->closing && !c->queue.empty()) {
    if (c->no_more_requests) {  // a closing response went out: the rest are dropped
      c->queue.clear();
      break;
    }
    Pending p = std::move(c->queue.front());
    c->queue.pop_front();
    Dispatch(c, std::move(p));
  }
  if (c->closing) return;
  if (!c->busy && c->queue.empty()) {
    if (c->eof && !c->message_begun) {
      if (c->refs == 0) CloseConn(c);
      else c->no_more_requests = true;
      return;
    }
    if (c->loop->stopping && !c->message_begun && c->refs == 0) {
      CloseConn(c);
      return;
    }
  }
  if (c->queue.size() < kMaxQueued / 2) ResumeReading(c);
}

// --- parsing ---

Conn* Of(http_parser* p) { return static_cast<Conn*>(p->data); }

int Refuse(Conn* c, Response r) {
  r.close = true;
  c->parse_error = std::move(r);
  return -1;
}

void CommitHeader(Conn* c) {
  if (!c->field.empty()) {
    for (auto& ch : c->field) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    c->cur.headers.emplace_back(std::move(c->field), std::move(c->value));
  }
  c->field.clear();
  c->value.clear();
  c->in_value = false;
}

int OnMessageBegin(http_parser* p) {
  Conn* c = Of(p);
  c->cur = Request{};
  c->cur.start_ns = NowNs();
  c->field.clear();
  c->value.clear();
  c->in_value = false;
  c->header_bytes = 0;
  c->message_begun = true;
  c->request_deadline_ms = LoopNowMs(c->loop) + c->loop->st->options.request_timeout_ms;
  return 0;
}

int CountHeader(Conn* c, size_t n) {
  c->header_bytes += n;
  if (c->header_bytes > c->loop->st->options.max_header_bytes)
    return Refuse(c, ErrorResponse(431, "HEADERS_TOO_LARGE",
                                   "request line and headers exceed " +
                                       std::to_string(c->loop->st->options.max_header_bytes) +
                                       " bytes"));
  return 0;
}

int OnUrl(http_parser* p, const char* at, size_t n) {
  Conn* c = Of(p);
  c->cur.target.append(at, n);
  return CountHeader(c, n);
}

int OnHeaderField(http_parser* p, const char* at, size_t n) {
  Conn* c = Of(p);
  if (c->in_value) CommitHeader(c);
  c->field.append(at, n);
  if (c->cur.headers.size() > 100)
    return Refuse(c, ErrorResponse(431, "HEADERS_TOO_LARGE", "more than 100 headers"));
  return CountHeader(c, n);
}

int OnHeaderValue(http_parser* p, const char* at, size_t n) {
  Conn* c = Of(p);
  c->in_value = true;
  c->value.append(at, n);
  return CountHeader(c, n);
}

void ParseTarget(Request* r) {
  std::string_view t(r->target);
  size_t q = t.find('?');
  r->path = std::string(t.substr(0, q));
  if (q == std::string_view::npos) return;
  std::string_view rest = t.substr(q + 1);
  size_t hash = rest.find('#');
  if (hash != std::string_view::npos) rest = rest.substr(0, hash);
  while (!rest.empty()) {
    size_t amp = rest.find('&');
    std::string_view kv = rest.substr(0, amp);
    if (!kv.empty()) {
      size_t eq = kv.find('=');
      r->query.emplace_back(PercentDecode(kv.substr(0, eq), true),
                            eq == std::string_view::npos ? "" : PercentDecode(kv.substr(eq + 1), true));
    }
    if (amp == std::string_view::npos) break;
    rest = rest.substr(amp + 1);
  }
}

int OnHeadersComplete(http_parser* p) {
  Conn* c = Of(p);
  CommitHeader(c);
  Request& r = c->cur;
  r.method = http_method_str(static_cast<http_method>(p->method));
  r.keep_alive = http_should_keep_alive(p) != 0;
  ParseTarget(&r);
  const auto& o = c->loop->st->options;
  c->body_limit = r.path == "/v1/products/import" ? o.max_import_bytes : o.max_body_bytes;
  if (p->http_major != 1 || p->http_minor > 1) {
    Response bad = ErrorResponse(400, "INVALID_ARGUMENT",
                                 "malformed HTTP request: only HTTP/1.0 and HTTP/1.1 are served");
    return Refuse(c, std::move(bad));
  }
  if (p->upgrade)
    return Refuse(c, StatusResponse(Status::NotSupported("protocol upgrades are not supported")));
  if (p->content_length != ULLONG_MAX && p->content_length > c->body_limit)
    return Refuse(c, ErrorResponse(413, "PAYLOAD_TOO_LARGE",
                                   "body of " + std::to_string(p->content_length) +
                                       " bytes exceeds the limit of " +
                                       std::to_string(c->body_limit)));
  if (const auto* e = r.header("expect"); e && (*e == "100-continue" || *e == "100-Continue"))
    WriteRaw(c, "HTTP/1.1 100 Continue\r\n\r\n", false);
  if (p->content_length != ULLONG_MAX && p->content_length > 0)
    r.body.reserve(static_cast<size_t>(p->content_length));
  return 0;
}

int OnBody(http_parser* p, const char* at, size_t n) {
  Conn* c = Of(p);
  if (c->cur.body.size() + n > c->body_limit)
    return Refuse(c, ErrorResponse(413, "PAYLOAD_TOO_LARGE",
                                   "body exceeds the limit of " + std::to_string(c->body_limit) +
                                       " bytes"));
  c->cur.body.append(at, n);
  return 0;
}

int OnMessageComplete(http_parser* p) {
  Conn* c = Of(p);
  c->message_begun = false;
  c->queue.push_back({std::move(c->cur), std::nullopt});
  c->cur = Request{};
  return 0;
}

void StopReading(Conn* c) {
  if (!c->read_stopped && !c->closing) {
    uv_read_stop(reinterpret_cast<uv_stream_t*>(&c->tcp));
    c->read_stopped = true;
  }
}

void OnRead(uv_stream_t* s, ssize_t nread, const uv_buf_t* buf) {
  auto* c = static_cast<Conn*>(s->data);
  if (c->closing) return;
  if (nread < 0) {
    // EOF or a reset: answer what was received completely, then close.
    c->eof = true;
    StopReading(c);
    c->message_begun = false;
    if (nread != UV_EOF) c->no_more_requests = true;
    if (c->queue.empty() && !c->busy && c->refs == 0) CloseConn(c);
    else ProcessQueue(c);
    return;
  }
  if (nread == 0) return;
  c->idle_deadline_ms = LoopNowMs(c->loop) + c->loop->st->options.idle_timeout_ms;
  if (c->no_more_requests || c->input_done) return;  // input after a closing response is ignored
  size_t parsed = http_parser_execute(&c->parser, &c->loop->settings, buf->base,
                                      static_cast<size_t>(nread));
  if (c->parser.http_errno != HPE_OK || parsed != static_cast<size_t>(nread)) {
    Pending p;
    p.req.method = c->cur.method.empty() ? "-" : c->cur.method;
    p.req.target = c->cur.target;
    p.req.start_ns = c->cur.start_ns ? c->cur.start_ns : NowNs();
    p.req.keep_alive = false;
    if (c->parse_error) {
      p.early = std::move(*c->parse_error);
    } else {
      auto err = static_cast<http_errno>(c->parser.http_errno);
      p.early = ErrorResponse(400, "INVALID_ARGUMENT",
                              std::string("malformed HTTP request: ") + http_errno_description(err));
      p.early->close = true;
    }
    c->message_begun = false;
    c->queue.push_back(std::move(p));
    StopReading(c);
    c->input_done = true;  // after the error, nothing more is read from this peer
    ProcessQueue(c);
    return;
  }
  if (c->queue.size() >= kMaxQueued) StopReading(c);
  ProcessQueue(c);
}

void ResumeReading(Conn* c) {
  if (!c->read_stopped || c->closing || c->eof || c->no_more_requests || c->input_done) return;
  c->read_stopped = false;
  uv_read_start(
      reinterpret_cast<uv_stream_t*>(&c->tcp),
      [](uv_handle_t* h, size_t, uv_buf_t* buf) {
        auto* c = static_cast<Conn*>(h->data);
        *buf = uv_buf_init(c->loop->read_buf, sizeof c->loop->read_buf);
      },
      OnRead);
}

// --- accept, timeouts, stop ---

void OnConnection(uv_stream_t* server, int status) {
  auto* l = static_cast<Loop*>(server->data);
  if (status < 0) return;
  auto* c = new Conn;
  c->loop = l;
  uv_tcp_init(&l->loop, &c->tcp);
  c->tcp.data = c;
  if (uv_accept(server, reinterpret_cast<uv_stream_t*>(&c->tcp)) != 0) {
    uv_close(reinterpret_cast<uv_handle_t*>(&c->tcp),
             [](uv_handle_t* h) { delete static_cast<Conn*>(h->data); });
    return;
  }
  l->conns.push_back(c);
  c->it = std::prev(l->conns.end());
  auto* m = l->st->metrics.get();
  m->connections_total.fetch_add(1);
  if (static_cast<size_t>(m->connections.fetch_add(1)) >= l->st->options.max_connections ||
      l->stopping) {
    m->connections_rejected.fetch_add(1);
    CloseConn(c);
    return;
  }
  uv_tcp_nodelay(&c->tcp, 1);
  sockaddr_storage addr{};
  int len = sizeof addr;
  if (uv_tcp_getpeername(&c->tcp, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    char ip[64] = {0};
    if (addr.ss_family == AF_INET) {
      auto* a = reinterpret_cast<sockaddr_in*>(&addr);
      uv_ip4_name(a, ip, sizeof ip);
      c->remote = std::string(ip) + ":" + std::to_string(ntohs(a->sin_port));
    } else if (addr.ss_family == AF_INET6) {
      auto* a = reinterpret_cast<sockaddr_in6*>(&addr);
      uv_ip6_name(a, ip, sizeof ip);
      c->remote = "[" + std::string(ip) + "]:" + std::to_string(ntohs(a->sin6_port));
    }
  }
  http_parser_init(&c->parser, HTTP_REQUEST);
  c->parser.data = c;
  c->idle_deadline_ms = LoopNowMs(l) + l->st->options.idle_timeout_ms;
  c->read_stopped = true;
  ResumeReading(c);
}

void Sweep(uv_timer_t* t) {
  auto* l = static_cast<Loop*>(t->data);
  int64_t now = LoopNowMs(l);
  std::vector<Conn*> expired;
  for (Conn* c : l->conns) {
    if (c->closing) continue;
    if (c->message_begun && now > c->request_deadline_ms) expired.push_back(c);
    else if (!c->message_begun && !c->busy && c->queue.empty() && c->refs == 0 &&
             now > c->idle_deadline_ms)
      expired.push_back(c);
  }
  for (Conn* c : expired) {
    if (c->message_begun) {
      // Slow client (slowloris): the request did not arrive in time.
      l->st->metrics->timeouts.fetch_add(1);
      c->message_begun = false;
      if (!c->busy && c->queue.empty()) {
        Pending p;
        p.req.method = c->cur.method.empty() ? "-" : c->cur.method;
        p.req.target = c->cur.target;
        p.req.start_ns = c->cur.start_ns;
        p.req.keep_alive = false;
        p.early = ErrorResponse(408, "REQUEST_TIMEOUT",
                                "the request did not arrive within " +
                                    std::to_string(l->st->options.request_timeout_ms) + " ms");
        p.early->close = true;
        StopReading(c);
        c->input_done = true;
        c->queue.push_back(std::move(p));
        ProcessQueue(c);
        continue;
      }
    }
    CloseConn(c);
  }
  if (l->index == 0) l->st->access_log.Flush();
  if (l->stopping && l->conns.empty()) {
    uv_timer_stop(&l->sweep);
    uv_timer_stop(&l->drain_timer);
    uv_close(reinterpret_cast<uv_handle_t*>(&l->sweep), nullptr);
    uv_close(reinterpret_cast<uv_handle_t*>(&l->drain_timer), nullptr);
    uv_close(reinterpret_cast<uv_handle_t*>(&l->stop_async), nullptr);
  }
}

void OnStop(uv_async_t* a) {
  auto* l = static_cast<Loop*>(a->data);
  if (l->stopping) return;
  l->stopping = true;
  uv_close(reinterpret_cast<uv_handle_t*>(&l->server), nullptr);
  std::vector<Conn*> idle;
  for (Conn* c : l->conns)
    if (!c->busy && c->queue.empty() && !c->message_begun && c->refs == 0) idle.push_back(c);
  for (Conn* c : idle) CloseConn(c);
  uv_timer_start(&l->drain_timer, [](uv_timer_t* t) {
    auto* l = static_cast<Loop*>(t->data);
    std::vector<Conn*> all(l->conns.begin(), l->conns.end());
    for (Conn* c : all) CloseConn(c);
  }, static_cast<uint64_t>(l->st->options.drain_timeout_ms), 0);
  uv_timer_set_repeat(&l->sweep, 50);
  uv_timer_again(&l->sweep);
}

Status ParseListen(const std::string& listen, sockaddr_storage* addr) {
  std::string host, port;
  if (!listen.empty() && listen[0] == '[') {
    size_t close = listen.find(']');
    if (close == std::string::npos || close + 1 >= listen.size() || listen[close + 1] != ':')
      return Status::InvalidArgument("listen: expected [ipv6]:port, got " + listen);
    host = listen.substr(1, close - 1);
    port = listen.substr(close + 2);
  } else {
    size_t colon = listen.rfind(':');
    if (colon == std::string::npos)
      return Status::InvalidArgument("listen: expected host:port, got " + listen);
    host = listen.substr(0, colon);
    port = listen.substr(colon + 1);
  }
  char* end = nullptr;
  long p = std::strtol(port.c_str(), &end, 10);
  if (port.empty() || *end != '\0' || p < 0 || p > 65535)
    return Status::InvalidArgument("listen: bad port in " + listen);
  if (host.empty() || host == "*") host = "0.0.0.0";
  if (uv_ip4_addr(host.c_str(), static_cast<int>(p), reinterpret_cast<sockaddr_in*>(addr)) != 0 &&
      uv_ip6_addr(host.c_str(), static_cast<int>(p), reinterpret_cast<sockaddr_in6*>(addr)) != 0)
    return Status::InvalidArgument("listen: not an IP address: " + host);
  return Status::OK();
}

}  // namespace

Result<bool> ListenIsLoopback(const std::string& listen) {
  sockaddr_storage addr{};
  COMMERCE_RETURN_IF_ERROR(ParseListen(listen, &addr));
  if (addr.ss_family == AF_INET) {
    auto* a = reinterpret_cast<const sockaddr_in*>(&addr);
    return (ntohl(a->sin_addr.s_addr) >> 24) == 127;  // 127.0.0.0/8
  }
  auto* a6 = reinterpret_cast<const sockaddr_in6*>(&addr);
  return IN6_IS_ADDR_LOOPBACK(&a6->sin6_addr) != 0;
}

Result<std::unique_ptr<Listener>> Listener::Bind(ServerState* state, int index,
                                                 const std::string& listen) {
  sockaddr_storage addr{};
  COMMERCE_RETURN_IF_ERROR(ParseListen(listen, &addr));
  int fd = socket(addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return Status::Unavailable(std::string("socket: ") + std::strerror(errno));
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) != 0) {
    close(fd);
    return Status::Unavailable(std::string("SO_REUSEPORT: ") + std::strerror(errno));
  }
  socklen_t len = addr.ss_family == AF_INET ? sizeof(sockaddr_in) : sizeof(sockaddr_in6);
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), len) != 0) {
    int e = errno;
    close(fd);
    return Status::Unavailable("bind " + listen + ": " + std::strerror(e));
  }
  std::unique_ptr<Listener> out(new Listener);
  out->loop_ = std::make_unique<Loop>();
  Loop* l = out->loop_.get();
  l->st = state;
  l->index = index;
  uv_loop_init(&l->loop);
  uv_tcp_init(&l->loop, &l->server);
  l->server.data = l;
  int rc = uv_tcp_open(&l->server, fd);
  if (rc == 0) rc = uv_listen(reinterpret_cast<uv_stream_t*>(&l->server), 1024, OnConnection);
  if (rc != 0) return Status::Unavailable("listen " + listen + ": " + uv_strerror(rc));
  uv_async_init(&l->loop, &l->stop_async, OnStop);
  l->stop_async.data = l;
  uv_timer_init(&l->loop, &l->sweep);
  l->sweep.data = l;
  uv_timer_init(&l->loop, &l->drain_timer);
  l->drain_timer.data = l;
  auto& s = l->settings;
  s.on_message_begin = OnMessageBegin;
  s.on_url = OnUrl;
  s.on_header_field = OnHeaderField;
  s.on_header_value = OnHeaderValue;
  s.on_headers_complete = OnHeadersComplete;
  s.on_body = OnBody;
  s.on_message_complete = OnMessageComplete;
  return out;
}

Listener::~Listener() {
  if (loop_) {
    uv_walk(&loop_->loop, [](uv_handle_t* h, void*) {
      if (!uv_is_closing(h)) uv_close(h, nullptr);
    }, nullptr);
    uv_run(&loop_->loop, UV_RUN_DEFAULT);
    uv_loop_close(&loop_->loop);
  }
}

void Listener::Run() {
  uv_timer_start(&loop_->sweep, Sweep, 250, 250);
  uv_run(&loop_->loop, UV_RUN_DEFAULT);
}

void Listener::Stop() { uv_async_send(&loop_->stop_async); }

}  // namespace commerce::server
