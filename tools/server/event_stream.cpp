// GET /v1/events/stream: the event log as Server-Sent Events, on the connection's loop.
//
// The route's handler (api_search.cpp) checks the request and says where the stream starts;
// from there the connection carries one long response, in HTTP/1.1 chunks (HTTP/1.0: ended
// by closing), of blocks
//
//   id: 42
//   event: OrderPlaced
//   data: {"seq":42,"type":"OrderPlaced","subject":"o-1","time_ms":...,"data":{...}}
//
// and of comment lines (": heartbeat") when nothing was sent for --stream-heartbeat-ms.
//
// The life of a stream, all on the loop thread but the reads of the log:
//   - it holds one --max-waits slot from its head to its end (429 JSON when none is free);
//   - it reads the log on the pool (a read may be a network round trip on PostgreSQL), a
//     batch at a time, and writes each batch to the socket;
//   - caught up, it parks on the loop's Waiter (waiter.h) for the next sequence, with a
//     deadline at the next heartbeat: no thread is held while it waits;
//   - while its client leaves --stream-buffer-bytes unread, it reads no more of the log; a
//     client that leaves them unread for --stream-stall-ms is dropped (the connection
//     closed), so a client that does not read costs a bounded amount of memory;
//   - it ends cleanly (the last chunk, then the connection closes) after --stream-max-ms,
//     when the server drains, or with an `event: error` block when the log cannot be read
//     from where it stands (a read below the retention horizon, a failed store); the client
//     resumes with Last-Event-ID either way.
#include <sys/ioctl.h>
#include <uv.h>

#include <algorithm>
#include <memory>
#include <string>

#include "connection.h"
#include "json_util.h"

namespace commerce::server {

namespace {

// Events read from the log per pool round trip: enough to catch up quickly; one batch (about
// 64 KiB) is also the most a stream writes past its --stream-buffer-bytes.
constexpr size_t kBatch = 256;

// Bytes written to the stream that its client has not taken: libuv's queue for the socket,
// plus what the kernel holds unacknowledged (TIOCOUTQ, Linux's SIOCOUTQ). The kernel's part
// matters: it grows its send buffer to megabytes for a client that stopped reading, so
// libuv's queue alone would stay empty while the client takes nothing.
size_t Unread(Conn* c) {
  size_t n = uv_stream_get_write_queue_size(reinterpret_cast<uv_stream_t*>(&c->tcp));
#ifdef TIOCOUTQ
  uv_os_fd_t fd;
  int queued = 0;
  if (uv_fileno(reinterpret_cast<uv_handle_t*>(&c->tcp), &fd) == 0 && ioctl(fd, TIOCOUTQ, &queued) == 0 &&
      queued > 0)
    n += static_cast<size_t>(queued);
#endif
  return n;
}

// One SSE block per event. The JSON is one line (the writer escapes newlines in strings), so
// one data: line carries it.
std::string FormatEvents(const std::vector<Event>& events) {
  std::string out;
  for (const auto& e : events) {
    out += "id: ";
    out += std::to_string(e.seq);
    out += "\nevent: ";
    out += e.type;
    out += "\ndata: ";
    out += BuildJson([&](JsonWriter& w) { WriteEvent(w, e); });
    out += "\n\n";
  }
  return out;
}

void Send(Conn* c, std::string payload, bool last = false) {
  if (c->closing) return;
  EventStreamState& s = *c->stream;
  std::string out;
  if (s.chunked) {
    if (!payload.empty()) {
      char size[24];
      std::snprintf(size, sizeof size, "%zx\r\n", payload.size());
      out = size;
      out += payload;
      out += "\r\n";
    }
    if (last) out += "0\r\n\r\n";
  } else {
    out = std::move(payload);
    // HTTP/1.0: the close ends the body. It comes after a last write, never by itself: a
    // close cancels the writes libuv still queues.
    if (last && out.empty()) out = ": end\n\n";
  }
  if (out.empty()) return;
  s.bytes += out.size();
  s.heartbeat_ms = LoopNowMs(c->loop) + std::max(100, c->loop->st->options.stream_heartbeat_ms);
  WriteRaw(c, std::move(out), last);
}

// The stream is over for the server: the access log, the metrics and the wait slot.
void Release(Conn* c) {
  EventStreamState& s = *c->stream;
  if (s.ended) return;
  s.ended = true;
  ServerState* st = c->loop->st;
  st->EndWait();
  st->metrics->event_streams.fetch_sub(1);
  Response logged;
  logged.status = 200;
  logged.content_type = "text/event-stream";
  RecordResponse(c, c->running.req, c->running.route, logged, NowNs() - c->running.req.start_ns,
                 s.bytes);
}

// Ends the stream cleanly: `error` (an engine error) as a last `event: error` block, then the
// end of the body, then the connection closes.
void End(Conn* c, const Status& error = Status::OK()) {
  if (c->stream->ended) return;
  std::string last;
  if (!error.ok()) {
    last = "event: error\ndata: ";
    last += BuildJson([&](JsonWriter& w) {
      w.StartObject();
      w.Key("error");
      w.StartObject();
      w.Key("code"); Str(w, CodeName(error.code()));
      w.Key("message"); Str(w, error.message());
      w.Key("request_id"); Str(w, c->running.req.request_id);
      w.EndObject();
      w.EndObject();
    });
    last += "\n\n";
  }
  Send(c, std::move(last), /*last=*/true);
  Release(c);
}

void Step(Conn* c);

// Caught up: wait on the loop for the next event, or for the next heartbeat or the end.
void Park(Conn* c) {
  EventStreamState& s = *c->stream;
  const int64_t now = LoopNowMs(c->loop);
  const int64_t until = std::min(s.heartbeat_ms, s.end_ms);
  ++c->refs;
  s.wait_id = c->loop->waiter->Wait(WaitClock::kEventLog, s.next, std::max<int64_t>(1, until - now),
                                    [c](WaitOutcome outcome) {
                                      c->stream->wait_id = 0;
                                      --c->refs;
                                      if (c->closing) {
                                        if (c->handle_closed && c->refs == 0) delete c;
                                        return;
                                      }
                                      if (outcome == WaitOutcome::kStopped) End(c);
                                      else Step(c);
                                    });
}

void Step(Conn* c) {
  if (c->closing || !c->stream || c->stream->ended || c->stream->fetching || c->stream->wait_id)
    return;
  EventStreamState& s = *c->stream;
  ServerState* st = c->loop->st;
  const int64_t now = LoopNowMs(c->loop);
  if (c->loop->stopping || st->draining.load() || now >= s.end_ms) {
    End(c);
    return;
  }
  if (Unread(c) >= st->options.stream_buffer_bytes) {
    // EventStreamWritten() or the sweep step again once the client has taken some; the
    // sweep drops it if it leaves the buffer full for --stream-stall-ms.
    if (!s.blocked_since_ms) s.blocked_since_ms = now;
    return;
  }
  s.blocked_since_ms = 0;
  if (now >= s.heartbeat_ms) Send(c, ": heartbeat\n\n");
  s.fetching = true;
  struct Batch {
    Result<std::vector<Event>> events{Status::Internal("not read")};
    std::string text;
  };
  auto batch = std::make_shared<Batch>();
  Engine* engine = st->engine;
  const uint64_t from = s.next;
  QueueWork(
      c,
      [engine, from, batch] {
        batch->events = engine->events().tail(from, kBatch);
        if (batch->events.ok()) batch->text = FormatEvents(*batch->events);
      },
      [c, batch] {
        if (c->closing) return;
        EventStreamState& s = *c->stream;
        s.fetching = false;
        if (s.ended) return;
        if (!batch->events.ok()) {
          End(c, batch->events.status());
          return;
        }
        const auto& events = *batch->events;
        if (!events.empty()) {
          s.next = events.back().seq + 1;
          Send(c, std::move(batch->text));
        }
        // A short batch reached the end of the log: wait for the next event (the Waiter
        // runs at once if one came meanwhile). A full one: read on.
        if (events.size() < kBatch) Park(c);
        else Step(c);
      });
}

}  // namespace

void StartEventStream(Conn* c, uint64_t from) {
  Loop* l = c->loop;
  ServerState* st = l->st;
  const Request& r = c->running.req;
  st->metrics->event_streams.fetch_add(1);
  c->stream = std::make_unique<EventStreamState>();
  EventStreamState& s = *c->stream;
  s.next = from;
  s.chunked = c->parser.http_minor >= 1;
  const int64_t now = LoopNowMs(l);
  s.end_ms = now + std::max(1000, st->options.stream_max_ms);
  // Whatever the client pipelines behind a stream is not read: the stream is its last answer.
  c->no_more_requests = true;
  std::string head =
      "HTTP/1.1 200 OK\r\n"
      "Content-Type: text/event-stream; charset=utf-8\r\n"
      // Proxies must pass each block on as it comes: no caching, no transformation, and
      // nginx's X-Accel-Buffering turns its response buffering off for this response.
      "Cache-Control: no-cache, no-store, no-transform\r\n"
      "X-Accel-Buffering: no\r\n"
      "X-Request-Id: " + r.request_id + "\r\n" +
      (s.chunked ? "Transfer-Encoding: chunked\r\n" : "") + "Connection: close\r\n\r\n";
  s.bytes = head.size();
  WriteRaw(c, std::move(head), false);
  // The first block tells the client the stream is live and how soon to come back after a
  // drop (the SSE `retry` field, in milliseconds).
  Send(c, ": events from seq " + std::to_string(from) + "\nretry: 1000\n\n");
  Step(c);
}

void EventStreamWritten(Conn* c) {
  if (c->stream && c->stream->blocked_since_ms &&
      Unread(c) < c->loop->st->options.stream_buffer_bytes)
    Step(c);
}

void EventStreamClosed(Conn* c) {
  EventStreamState& s = *c->stream;
  if (s.wait_id) {
    c->loop->waiter->Cancel(s.wait_id);
    s.wait_id = 0;
    --c->refs;
  }
  Release(c);
}

void EventStreamSweep(Conn* c, int64_t now_ms) {
  const EventStreamState& s = *c->stream;
  if (s.ended || !s.blocked_since_ms) return;
  // What the kernel sends on its own makes no write callback: a blocked stream looks again
  // here, every sweep (250 ms).
  if (Unread(c) < c->loop->st->options.stream_buffer_bytes) {
    Step(c);
    return;
  }
  if (now_ms - s.blocked_since_ms < c->loop->st->options.stream_stall_ms) return;
  c->loop->st->metrics->event_streams_dropped.fetch_add(1);
  CloseConn(c);
}

}  // namespace commerce::server
