// Requests to responses on one event loop (connection.h has the map). The parts, in order:
// closing and writing; the access log; running a route (on the loop or the pool), parking it
// on the Waiter when it must wait, handing it to an event stream (event_stream.cpp) when it
// becomes one, and finishing it; streamed bodies; the queue; accept, timeouts, drain and
// stop; the listening socket.
#include "http_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <functional>
#include <mutex>
#include <optional>

#include "connection.h"

namespace commerce::server {

int64_t LoopNowMs(Loop* l) { return static_cast<int64_t>(uv_now(&l->loop)); }

namespace {

void MaybeFree(Conn* c) {
  if (c->handle_closed && c->refs == 0) delete c;
}

void QueueAbort(Conn* c);

}  // namespace

void CloseConn(Conn* c) {
  if (c->closing) return;
  c->closing = true;
  Loop* l = c->loop;
  l->conns.erase(c->it);
  l->st->metrics->connections.fetch_sub(1);
  if (c->wait_id) {  // a parked request whose client left: its slot is free again
    l->waiter->Cancel(c->wait_id);
    c->wait_id = 0;
    l->st->EndWait();
    --c->refs;
  }
  if (c->stream) EventStreamClosed(c);
  QueueAbort(c);
  uv_close(reinterpret_cast<uv_handle_t*>(&c->tcp), [](uv_handle_t* h) {
    auto* c = static_cast<Conn*>(h->data);
    c->handle_closed = true;
    MaybeFree(c);
  });
}

namespace {

struct WriteReq {
  uv_write_t req;
  std::string data;
  Conn* conn;
  bool close_after;
};

struct Work {
  uv_work_t req;
  Conn* conn;
  std::function<void()> run;
  std::function<void()> after;
};

// libuv's pool threads are started from a loop's thread and would carry its name: named apart
// for profiles (tools/bench/profile --suite http), once per thread.
void NamePoolThread() {
  thread_local bool named = false;
  if (named) return;
  pthread_setname_np(pthread_self(), "commerce-pool");
  named = true;
}

}  // namespace

void QueueWork(Conn* c, std::function<void()> run, std::function<void()> after) {
  auto* w = new Work{{}, c, std::move(run), std::move(after)};
  w->req.data = w;
  ++c->refs;
  uv_queue_work(
      &c->loop->loop, &w->req,
      [](uv_work_t* req) {
        NamePoolThread();
        static_cast<Work*>(req->data)->run();
      },
      [](uv_work_t* req, int) {
        std::unique_ptr<Work> w(static_cast<Work*>(req->data));
        Conn* c = w->conn;
        --c->refs;
        w->after();
        MaybeFree(c);
      });
}

namespace {

// --- the access log ---

// Query parameters whose values may be personal data or secrets: logged as "REDACTED".
bool SensitiveParam(std::string_view name) {
  if (IsKeyParam(name)) return true;  // refused anyway, and never logged
  for (std::string_view s : {"email", "password", "phone", "name"})
    if (name == s) return true;
  return false;
}

std::string LoggedTarget(const Request& r) {
  if (r.query.empty()) return r.path.empty() ? r.target : r.path;
  std::string out = r.path + "?";
  for (size_t i = 0; i < r.query.size(); ++i) {
    const auto& [k, v] = r.query[i];
    if (i) out += '&';
    out += k;
    out += '=';
    out += SensitiveParam(k) ? std::string("REDACTED") : v;
  }
  return out;
}

std::string AccessLine(const Request& r, const Response& resp, int route, int64_t micros, size_t bytes) {
  return BuildJson([&](JsonWriter& w) {
    w.StartObject();
    w.Key("time_ms"); w.Int64(NowMs());
    w.Key("request_id"); Str(w, r.request_id);
    w.Key("remote"); Str(w, r.remote);
    w.Key("method"); Str(w, r.method);
    std::string target = LoggedTarget(r);
    w.Key("target"); Str(w, target.size() > 512 ? target.substr(0, 512) : target);
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
    w.Key("us"); w.Int64(micros);
    w.EndObject();
  });
}

}  // namespace

void RecordResponse(Conn* c, const Request& r, int route, const Response& resp, int64_t nanos,
                    size_t bytes) {
  Loop* l = c->loop;
  ServerState* st = l->st;
  const int label = route >= 0 ? route : static_cast<int>(Routes().size());
  st->metrics->Record(l->index, label, resp.status, static_cast<double>(nanos) / 1e9);
  if (st->access_log.enabled()) st->access_log.Write(AccessLine(r, resp, route, nanos / 1000, bytes));
}

namespace {

// Writes the response of `r` and records it. The caller updates the connection's state.
void Finish(Conn* c, const Request& r, int route, Response resp) {
  Loop* l = c->loop;
  ServerState* st = l->st;
  bool keep_alive = r.keep_alive && !resp.close && !st->draining.load() && !c->no_more_requests;
  if (!keep_alive) c->no_more_requests = true;
  std::string out = SerializeResponse(resp, r.request_id, keep_alive, r.method == "HEAD");
  const int64_t nanos = NowNs() - r.start_ns;
  const size_t bytes = out.size();
  if (!c->closing) WriteRaw(c, std::move(out), !keep_alive);
  RecordResponse(c, r, route, resp, nanos, bytes);
  c->idle_deadline_ms = LoopNowMs(l) + st->options.idle_timeout_ms;
}

// --- running a route ---

Response RunHandler(ServerState* st, int route, const Request& r, const Params& p) {
  try {
    return Routes()[static_cast<size_t>(route)].handler(*st, r, p);
  } catch (const std::exception& e) {
    return StatusResponse(Status::Internal(std::string("unexpected exception: ") + e.what()));
  } catch (...) {
    return StatusResponse(Status::Internal("unexpected exception"));
  }
}

void RunRoute(Conn* c);

// The running request is answered; the next one may start.
void Done(Conn* c, Response resp) {
  Pending p = std::move(c->running);
  c->running = Pending{};
  c->busy = false;
  Finish(c, p.req, p.route, std::move(resp));
  ProcessQueue(c);
}

// 429: every --max-waits slot is taken (by long-polls, min_index_seq searches, streams).
Response TooManyWaits(ServerState* st) {
  st->metrics->rate_limited.fetch_add(1);
  Response resp = StatusResponse(Status::ResourceExhausted(
      std::to_string(st->options.max_waits) +
      " requests are waiting already (--max-waits: long-polls and event streams); retry after 1 s"));
  resp.headers.emplace_back("Retry-After", "1");
  return resp;
}

void Park(Conn* c, const Response::Wait& w) {
  ServerState* st = c->loop->st;
  if (c->running.req.waited != WaitOutcome::kNotWaited) {
    Done(c, StatusResponse(Status::Internal("a route asked to wait twice")));
    return;
  }
  if (!st->TryStartWait()) {
    Done(c, TooManyWaits(st));
    return;
  }
  ++c->refs;
  c->wait_id = c->loop->waiter->Wait(w.clock, w.seq, w.timeout_ms, [c](WaitOutcome outcome) {
    c->wait_id = 0;
    c->loop->st->EndWait();
    --c->refs;
    if (c->closing) {
      MaybeFree(c);
      return;
    }
    c->running.req.waited = outcome;
    RunRoute(c);
  });
}

void Handled(Conn* c, Response resp) {
  if (resp.event_stream) {
    // The stream holds its slot from here to its end; past --max-waits it is a JSON 429.
    if (!c->loop->st->TryStartWait()) {
      Done(c, TooManyWaits(c->loop->st));
      return;
    }
    StartEventStream(c, resp.event_stream->from);
    return;
  }
  if (resp.wait) {
    Park(c, *resp.wait);
    return;
  }
  Done(c, std::move(resp));
}

// An async route (routes.h): the handler runs on the pool and returns; its reply comes from
// any thread through the loop's ReplyBox. The request is answered once both happened -- the
// pool work's end (so the pool no longer reads c->running) and the reply, in either order;
// both are seen on the loop.
void RunAsyncRoute(Conn* c, const Route& route) {
  ServerState* st = c->loop->st;
  struct Rendezvous {
    bool work_done = false;
    std::optional<Response> reply;
  };
  auto meet = std::make_shared<Rendezvous>();
  auto finish = [st, c, meet] {
    st->metrics->in_flight.fetch_sub(1);
    --c->refs;  // the reply's
    if (c->closing) {
      MaybeFree(c);
      return;
    }
    Handled(c, std::move(*meet->reply));
  };
  ++c->refs;  // held until the reply is handled
  std::shared_ptr<ReplyBox> box = c->loop->replies;
  AsyncHandler handler = route.async;
  st->metrics->pool_queued.fetch_add(1);  // until the handler has run (its reply may come later)
  QueueWork(
      c,
      [st, c, box, meet, finish, handler] {
        Reply reply = [box, meet, finish](std::function<Response()> respond) {
          box->Post([meet, finish, respond = std::move(respond)] {
            meet->reply = respond();
            if (meet->work_done) finish();
          });
        };
        try {
          handler(*st, c->running.req, c->running.params, std::move(reply));
        } catch (const std::exception& e) {
          // Only before the handler replied: a handler does nothing after replying.
          box->Post([meet, finish, what = std::string(e.what())] {
            meet->reply = StatusResponse(Status::Internal("unexpected exception: " + what));
            if (meet->work_done) finish();
          });
        }
      },
      [st, meet, finish] {
        st->metrics->pool_queued.fetch_sub(1);
        meet->work_done = true;
        if (meet->reply) finish();
      });
}

void RunRoute(Conn* c) {
  ServerState* st = c->loop->st;
  const Route& route = Routes()[static_cast<size_t>(c->running.route)];
  st->metrics->in_flight.fetch_add(1);
  if (!route.async && route.exec == Exec::kLoop) {
    Response resp = RunHandler(st, c->running.route, c->running.req, c->running.params);
    st->metrics->in_flight.fetch_sub(1);
    Handled(c, std::move(resp));
    return;
  }
  // Load shedding: past --max-queued the pool's queue only adds waiting time to every request
  // behind it; answering at once lets the client (or the balancer) go elsewhere. Async routes
  // (POST /v1/orders) start on the pool too, so they are shed alike.
  const int max_queued = st->options.max_queued;
  if (max_queued > 0 && st->metrics->pool_queued.load() >= max_queued) {
    st->metrics->in_flight.fetch_sub(1);
    st->metrics->shed.fetch_add(1);
    Response resp = StatusResponse(Status::Unavailable(
        std::to_string(max_queued) + " engine calls are queued already (--max-queued); retry after 1 s"));
    resp.headers.emplace_back("Retry-After", "1");
    Handled(c, std::move(resp));
    return;
  }
  if (route.async) {
    RunAsyncRoute(c, route);
    return;
  }
  st->metrics->pool_queued.fetch_add(1);
  // The loop leaves c->running alone while the pool has it.
  auto resp = std::make_shared<Response>();
  QueueWork(
      c, [st, c, resp] { *resp = RunHandler(st, c->running.route, c->running.req, c->running.params); },
      [st, c, resp] {
        st->metrics->pool_queued.fetch_sub(1);
        st->metrics->in_flight.fetch_sub(1);
        if (c->closing) return;
        Handled(c, std::move(*resp));
      });
}

// --- streamed bodies ---

void ResumeIfDrained(Conn* c) {
  if (!c->reading_pipe) {
    ResumeReading(c);
    return;
  }
  const BodyPipe& pipe = *c->reading_pipe;
  if (pipe.queued + pipe.in_work <= kPipeLowWater) {
    // Reading was paused by the server, not by a slow client: the clock starts again.
    c->request_deadline_ms = LoopNowMs(c->loop) + c->loop->st->options.request_timeout_ms;
    ResumeReading(c);
  }
}

// A streamed request whose connection closed: its consumer is told on the pool.
void QueueAbort(Conn* c) {
  if (!c->consumer || c->pumping) return;  // a running step sees `closing` when it returns
  std::shared_ptr<BodyConsumer> consumer = std::move(c->consumer);
  c->pumping = true;
  QueueWork(c, [consumer] { consumer->Abort(); }, [c] { c->pumping = false; });
}

void StartStream(Conn* c) {
  ServerState* st = c->loop->st;
  auto made = std::make_shared<Result<std::unique_ptr<BodyConsumer>>>(Status::Internal("not run"));
  c->pumping = true;
  st->metrics->in_flight.fetch_add(1);
  QueueWork(
      c,
      [st, c, made] {
        const Route& route = Routes()[static_cast<size_t>(c->running.route)];
        *made = route.stream(*st, c->running.req, c->running.params);
      },
      [st, c, made] {
        c->pumping = false;
        if (!made->ok()) {
          st->metrics->in_flight.fetch_sub(1);
          if (c->closing) return;
          Response resp = StatusResponse(made->status());
          resp.close = !c->running.pipe->done;  // the rest of its body will not be read
          Done(c, std::move(resp));
          return;
        }
        c->consumer = std::shared_ptr<BodyConsumer>(std::move(**made));
        if (c->closing) {
          QueueAbort(c);
          st->metrics->in_flight.fetch_sub(1);
          return;
        }
        PumpBody(c);
      });
}

}  // namespace

void PumpBody(Conn* c) {
  if (!c->busy || !c->running.pipe || !c->consumer || c->pumping || c->closing) return;
  ServerState* st = c->loop->st;
  BodyPipe& pipe = *c->running.pipe;
  std::shared_ptr<BodyConsumer> consumer = c->consumer;
  if (pipe.broken) {
    c->pumping = true;
    c->consumer.reset();
    QueueWork(c, [consumer] { consumer->Abort(); }, [st, c] {
      c->pumping = false;
      st->metrics->in_flight.fetch_sub(1);
      if (c->closing) return;
      Done(c, std::move(*c->running.pipe->broken));
    });
    return;
  }
  if (!pipe.chunks.empty()) {
    auto slices = std::make_shared<std::deque<std::string>>(std::move(pipe.chunks));
    pipe.chunks.clear();
    pipe.in_work = pipe.queued;
    pipe.queued = 0;
    auto status = std::make_shared<Status>();
    c->pumping = true;
    QueueWork(
        c,
        [consumer, slices, status] {
          for (const auto& s : *slices) {
            *status = consumer->Write(s);
            if (!status->ok()) {
              consumer->Abort();
              return;
            }
          }
        },
        [st, c, status] {
          c->pumping = false;
          if (c->running.pipe) c->running.pipe->in_work = 0;
          if (c->closing) {
            QueueAbort(c);
            if (!c->consumer) st->metrics->in_flight.fetch_sub(1);
            return;
          }
          if (!status->ok()) {
            st->metrics->in_flight.fetch_sub(1);
            c->consumer.reset();
            Response resp = StatusResponse(*status);
            resp.close = !c->running.pipe->done;
            Done(c, std::move(resp));
            return;
          }
          ResumeIfDrained(c);
          PumpBody(c);
        });
    return;
  }
  if (pipe.done) {
    auto resp = std::make_shared<Response>();
    c->pumping = true;
    c->consumer.reset();
    QueueWork(c, [consumer, resp] { *resp = consumer->Finish(); }, [st, c, resp] {
      c->pumping = false;
      st->metrics->in_flight.fetch_sub(1);
      if (c->closing) return;
      Done(c, std::move(*resp));
    });
  }
}

namespace {

void Dispatch(Conn* c, Pending p) {
  Loop* l = c->loop;
  ServerState* st = l->st;
  Request& r = p.req;
  const auto* rid = r.header("x-request-id");
  r.request_id = rid && ValidRequestId(*rid) ? *rid : NewRequestId(l->index, ++l->request_counter);
  r.remote = c->remote;
  if (p.early) {
    if (p.early->status == 400 || p.early->status == 413 || p.early->status == 431)
      st->metrics->bad_requests.fetch_add(1);
    Response resp = std::move(*p.early);
    Finish(c, r, p.route, std::move(resp));
    return;
  }
  c->running = std::move(p);
  c->busy = true;
  if (Routes()[static_cast<size_t>(c->running.route)].body == Body::kStream) {
    StartStream(c);
  } else {
    RunRoute(c);
  }
}

}  // namespace

void WriteRaw(Conn* c, std::string data, bool close_after) {
  auto* w = new WriteReq{{}, std::move(data), c, close_after};
  uv_buf_t buf = uv_buf_init(w->data.data(), static_cast<unsigned>(w->data.size()));
  ++c->refs;
  int rc = uv_write(&w->req, reinterpret_cast<uv_stream_t*>(&c->tcp), &buf, 1,
                    [](uv_write_t* req, int status) {
                      auto* w = reinterpret_cast<WriteReq*>(req);
                      Conn* c = w->conn;
                      --c->refs;
                      // A client that closed its side while this response was being made
                      // sends nothing more: with nothing else in flight, the connection ends
                      // here rather than at the idle timeout.
                      const bool finished = c->eof && !c->busy && c->queue.empty() && c->refs == 0;
                      if (status < 0 || w->close_after || finished) CloseConn(c);
                      else if (c->stream) EventStreamWritten(c);
                      delete w;
                      MaybeFree(c);
                    });
  if (rc < 0) {
    --c->refs;
    delete w;
    CloseConn(c);
  }
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
  if (c->queue.size() < kMaxQueued / 2) ResumeIfDrained(c);
}

void StopReading(Conn* c) {
  if (!c->read_stopped && !c->closing) {
    uv_read_stop(reinterpret_cast<uv_stream_t*>(&c->tcp));
    c->read_stopped = true;
  }
}

void ResumeReading(Conn* c) {
  if (!c->read_stopped || c->closing || c->eof || c->no_more_requests || c->input_done) return;
  if (c->queue.size() >= kMaxQueued) return;
  c->read_stopped = false;
  uv_read_start(
      reinterpret_cast<uv_stream_t*>(&c->tcp),
      [](uv_handle_t* h, size_t, uv_buf_t* buf) {
        auto* c = static_cast<Conn*>(h->data);
        *buf = uv_buf_init(c->loop->read_buf, sizeof c->loop->read_buf);
      },
      OnRead);
}

namespace {

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
      c->remote_addr = ip;
      c->remote = c->remote_addr + ":" + std::to_string(ntohs(a->sin_port));
    } else if (addr.ss_family == AF_INET6) {
      auto* a = reinterpret_cast<sockaddr_in6*>(&addr);
      uv_ip6_name(a, ip, sizeof ip);
      c->remote_addr = ip;
      c->remote = "[" + c->remote_addr + "]:" + std::to_string(ntohs(a->sin6_port));
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
  const int64_t now = LoopNowMs(l);
  std::vector<Conn*> expired;
  std::vector<Conn*> streams;
  for (Conn* c : l->conns) {
    if (c->closing) continue;
    if (c->stream) streams.push_back(c);
    // Reading paused by the server (a full queue, a body ahead of the pool) is not the
    // client's delay.
    const bool paused_by_us = c->read_stopped && !c->eof && !c->input_done;
    if (c->message_begun && !paused_by_us && now > c->request_deadline_ms) expired.push_back(c);
    else if (!c->message_begun && !c->busy && c->queue.empty() && c->refs == 0 &&
             now > c->idle_deadline_ms)
      expired.push_back(c);
  }
  for (Conn* c : expired) {
    if (c->message_begun) {
      // Slow client (slowloris): the request did not arrive in time.
      l->st->metrics->timeouts.fetch_add(1);
      Response late = ErrorResponse(408, "REQUEST_TIMEOUT",
                                    "the request did not arrive within " +
                                        std::to_string(l->st->options.request_timeout_ms) + " ms");
      late.close = true;
      StopReading(c);
      c->input_done = true;
      c->message_begun = false;
      if (c->reading_pipe) {
        late.error_message = "the body stalled for " + std::to_string(l->st->options.request_timeout_ms) + " ms";
        c->reading_pipe->broken = std::move(late);
        c->reading_pipe.reset();
        c->cur_queued = false;
        PumpBody(c);
        continue;
      }
      if (!c->busy && c->queue.empty()) {
        Pending p = std::move(c->cur);
        c->cur = Pending{};
        if (p.req.method.empty()) p.req.method = "-";
        p.req.keep_alive = false;
        p.early = std::move(late);
        c->queue.push_back(std::move(p));
        ProcessQueue(c);
        continue;
      }
    }
    CloseConn(c);
  }
  for (Conn* c : streams)
    if (!c->closing) EventStreamSweep(c, now);
  if (l->index == 0) l->st->access_log.Flush();
  if (l->stopping && l->conns.empty()) {
    uv_timer_stop(&l->sweep);
    uv_timer_stop(&l->drain_timer);
    uv_close(reinterpret_cast<uv_handle_t*>(&l->sweep), nullptr);
    uv_close(reinterpret_cast<uv_handle_t*>(&l->drain_timer), nullptr);
    uv_close(reinterpret_cast<uv_handle_t*>(&l->stop_async), nullptr);
    l->replies->Close();
    l->waiter->Close();
  }
}

void OnStop(uv_async_t* a) {
  auto* l = static_cast<Loop*>(a->data);
  if (l->stopping) return;
  l->stopping = true;
  uv_close(reinterpret_cast<uv_handle_t*>(&l->server), nullptr);
  // Parked requests answer now with what they have.
  l->waiter->Stop();
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

Result<int> BindListenSocket(const std::string& listen) {
  sockaddr_storage addr{};
  COMMERCE_RETURN_IF_ERROR(ParseListen(listen, &addr));
  int fd = socket(addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return Status::Unavailable(std::string("socket: ") + std::strerror(errno));
  // SO_REUSEADDR only lets a restart bind past connections in TIME_WAIT; without
  // SO_REUSEPORT no other socket — another commerce-server included — can bind the port.
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  socklen_t len = addr.ss_family == AF_INET ? sizeof(sockaddr_in) : sizeof(sockaddr_in6);
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), len) != 0 || ::listen(fd, 1024) != 0) {
    int e = errno;
    close(fd);
    if (e == EADDRINUSE)
      return Status::Unavailable("address " + listen +
                                 " is in use: another process (another commerce-server?) listens on it");
    return Status::Unavailable("bind " + listen + ": " + std::strerror(e));
  }
  return fd;
}

Result<std::unique_ptr<Listener>> Listener::Create(ServerState* state, int index, int listen_fd) {
  int fd = dup(listen_fd);
  if (fd < 0) return Status::Unavailable(std::string("dup: ") + std::strerror(errno));
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
  if (rc != 0) return Status::Unavailable(std::string("listen: ") + uv_strerror(rc));
  uv_async_init(&l->loop, &l->stop_async, OnStop);
  l->stop_async.data = l;
  uv_timer_init(&l->loop, &l->sweep);
  l->sweep.data = l;
  uv_timer_init(&l->loop, &l->drain_timer);
  l->drain_timer.data = l;
  l->waiter = std::make_unique<Waiter>(&l->loop, state->engine);
  uv_async_init(&l->loop, &l->replies->async, [](uv_async_t* a) {
    auto* box = static_cast<ReplyBox*>(a->data);
    std::vector<std::function<void()>> steps;
    {
      std::lock_guard<std::mutex> lock(box->mu);
      steps.swap(box->ready);
    }
    for (auto& step : steps) step();
  });
  l->replies->async.data = l->replies.get();
  InstallParserCallbacks(&l->settings);
  return out;
}

bool ReplyBox::Post(std::function<void()> step) {
  std::lock_guard<std::mutex> lock(mu);
  if (closed) return false;
  ready.push_back(std::move(step));
  uv_async_send(&async);
  return true;
}

void ReplyBox::Close() {
  std::lock_guard<std::mutex> lock(mu);
  if (closed) return;
  closed = true;
  uv_close(reinterpret_cast<uv_handle_t*>(&async), nullptr);
}

Listener::~Listener() {
  if (loop_) {
    loop_->replies->Close();
    loop_->waiter->Close();
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

void Listener::Wake() { loop_->waiter->Wake(); }

}  // namespace commerce::server
