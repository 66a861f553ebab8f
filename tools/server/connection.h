// The state of one event loop and of its connections, shared by the two halves of the HTTP
// side: http_parse.cpp (bytes -> requests, with every decision that can be made on the
// request head) and http_server.cpp (requests -> routes -> responses, in order).
//
// A request's life: its head is parsed and checked — framing, limits, the route, the key,
// its scope and its rate limit — before any of its body is read, so a refused request costs
// no body (defect 1 of issue 15). Requests wait in Conn::queue in arrival order; the head
// of the queue runs (on the loop, or on the pool), may park on the Waiter, and its response
// is written before the next one starts, so pipelined responses keep their order. A route
// with a streamed body (POST /v1/products/import) is dispatched as soon as its head is
// accepted: its body flows through a BodyPipe to the pool in bounded slices while it
// arrives.
//
// Thread safety: everything here belongs to the loop's thread. Pool work gets its own copies
// (the Request, the body slices) and comes back through uv_queue_work's after-callback.
#pragma once

#include <http_parser.h>
#include <uv.h>

#include <cstdint>
#include <deque>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "routes.h"
#include "waiter.h"

namespace commerce::server {

inline constexpr size_t kMaxQueued = 64;        // pipelined requests parsed ahead of answering
inline constexpr size_t kMaxHeaderLines = 100;  // header fields a request may have (431 past)
// A streamed body is read ahead of the pool at most this far; reading resumes below the low
// mark. Bounds the memory of an import however fast its client sends.
inline constexpr size_t kPipeHighWater = 4u << 20;
inline constexpr size_t kPipeLowWater = 1u << 20;

struct Conn;

// A GET /v1/events/stream running on its connection (event_stream.cpp): the connection's
// last request, answered by a Server-Sent Events stream instead of one response. It holds
// one of --max-waits' slots from its head to its end.
struct EventStreamState {
  uint64_t next = 1;             // the sequence of the next event to send
  bool chunked = true;           // HTTP/1.1: chunked; HTTP/1.0: the body ends with the connection
  int64_t end_ms = 0;            // loop clock: the stream ends cleanly here (--stream-max-ms)
  int64_t heartbeat_ms = 0;      // loop clock: a heartbeat is due here unless something is sent
  int64_t blocked_since_ms = 0;  // the client left --stream-buffer-bytes unread since; 0: not
  bool fetching = false;         // a read of the log is on the pool
  bool ended = false;            // the last bytes are written (or the client is gone)
  Waiter::Id wait_id = 0;        // parked on the Waiter for the next event; 0 when not
  uint64_t bytes = 0;            // written, head included, for the access log
};

// The body of a streamed request, between the loop (which appends what arrives) and the
// pool (which takes what has arrived, a slice at a time).
struct BodyPipe {
  std::deque<std::string> chunks;  // arrived, not yet handed to the pool
  size_t queued = 0;               // bytes in `chunks`
  size_t in_work = 0;              // bytes handed to the pool and not yet consumed
  uint64_t total = 0;              // bytes of body so far
  bool done = false;               // the whole body arrived
  std::optional<Response> broken;  // the body cannot be read on (413, malformed chunking, EOF)
};

struct Pending {
  Request req;
  int route = -1;                  // into Routes(); -1 when none matched
  Params params;
  std::optional<Response> early;   // decided before the route could run (400, 401, 413, ...)
  std::shared_ptr<BodyPipe> pipe;  // streamed body routes
};

// Responses of async routes (routes.h, AsyncHandler), handed to the loop from any thread:
// Post() queues a step and wakes the loop, which runs the steps in order. Shared with every
// pending reply, so a reply that comes after the loop closed finds it closed and is dropped.
struct ReplyBox {
  std::mutex mu;
  bool closed = false;                         // GUARDED_BY(mu)
  std::vector<std::function<void()>> ready;    // GUARDED_BY(mu)
  uv_async_t async{};
  // False when the loop is closed (the step is dropped).
  bool Post(std::function<void()> step);
  void Close();  // on the loop's thread
};

class Loop {
 public:
  ServerState* st = nullptr;
  int index = 0;
  uv_loop_t loop{};
  uv_tcp_t server{};
  uv_async_t stop_async{};
  uv_timer_t sweep{};
  uv_timer_t drain_timer{};
  std::unique_ptr<Waiter> waiter;
  std::shared_ptr<ReplyBox> replies = std::make_shared<ReplyBox>();
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
  std::string remote;       // "ip:port", for the access log
  std::string remote_addr;  // the address alone, for per-client limits

  // The request being parsed.
  Pending cur;
  std::string field, value;
  bool in_value = false;
  bool message_begun = false;
  bool cur_queued = false;  // a streamed request goes to the queue at its head
  size_t header_bytes = 0;
  size_t body_limit = 0;
  std::optional<Response> parse_error;  // set by a callback that refused the request

  std::deque<Pending> queue;
  bool busy = false;              // the head of the queue is running (pool, wait, stream)
  bool no_more_requests = false;  // a closing response is queued, or the input is broken
  bool read_stopped = false;
  bool input_done = false;   // malformed or timed-out input: nothing more is parsed
  bool eof = false;
  bool closing = false;
  bool handle_closed = false;
  int refs = 0;              // pool work and writes in flight
  int64_t request_deadline_ms = 0;
  int64_t idle_deadline_ms = 0;

  // The running request, while busy.
  Pending running;
  Waiter::Id wait_id = 0;                 // parked on the Waiter; 0 when not
  std::shared_ptr<BodyPipe> reading_pipe; // the streamed body still arriving, if any
  std::shared_ptr<BodyConsumer> consumer; // the running streamed request's, once begun
  bool pumping = false;                   // a step of the streamed request is on the pool
  std::unique_ptr<EventStreamState> stream;  // the running request became an event stream
};

// http_parse.cpp
void InstallParserCallbacks(http_parser_settings* s);
void OnRead(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf);

// http_server.cpp
void ProcessQueue(Conn* c);
void ResumeReading(Conn* c);
void StopReading(Conn* c);
void WriteRaw(Conn* c, std::string data, bool close_after);
// A streamed body got more data, ended or broke: move it along.
void PumpBody(Conn* c);
int64_t LoopNowMs(Loop* l);
// Work for libuv's pool: `run` on a pool thread, then `after` on the loop. The connection
// stays allocated until `after` has run, even if it closed meanwhile.
void QueueWork(Conn* c, std::function<void()> run, std::function<void()> after);
void CloseConn(Conn* c);
// Records an answered request: its route's metrics and the access log line.
void RecordResponse(Conn* c, const Request& r, int route, const Response& resp, int64_t nanos,
                    size_t bytes);

// event_stream.cpp
// The running request's handler asked for an event stream from `from`: takes a --max-waits
// slot (429 past it, a JSON response like any other) and starts the stream.
void StartEventStream(Conn* c, uint64_t from);
// Bytes of the stream were taken by the socket: a stream waiting for its client goes on.
void EventStreamWritten(Conn* c);
// The connection closes under a running stream (the client left, a write failed, the stream
// was dropped): the stream lets go of its wait and its slot.
void EventStreamClosed(Conn* c);
// From the loop's sweep: drops a stream whose client left its buffer full too long.
void EventStreamSweep(Conn* c, int64_t now_ms);

}  // namespace commerce::server
