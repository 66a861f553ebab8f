// The reference server over real connections (issue 15): request parsing, the strict framing
// checks, routing, keys and scopes, JSON bodies and the streamed import, exactly as a client
// reaches them. One server runs in this process for the whole run (a store in a temporary
// directory, keys `admin`/`store`/`public`, one loop, tools/server); each input is the bytes one
// client sends on one connection, then closes its side. What is checked, for every input:
//   - the server answers and closes within 10 s (no hang, no crash);
//   - what comes back is a sequence of well-formed HTTP/1.1 responses, each with a status of
//     100..599, a Content-Length that frames it, and a body that is valid UTF-8 JSON (but
//     /metrics, text) — an error body with {"error": {"code", "message"}};
//   - afterwards the server still serves a fresh connection (GET /healthz is 200).
// Waits are off (--max-waits 0: a long-poll is 429 at once), so no input can park.
//
// Input: the raw bytes of the connection. Seeds (corpus/server_http) are requests of every
// route and scope, pipelined, chunked, and the hostile shapes of tests/server.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <rapidjson/document.h>
#include <rapidjson/encodings.h>

#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <thread>

#include "commerce/engine.h"
#include "fuzz_support.h"
#include "http_server.h"
#include "metrics.h"
#include "routes.h"

using namespace commerce;
using namespace commerce::server;

namespace {

constexpr const char* kAdminKey = "admin-secret-0123456789";
constexpr const char* kStoreKey = "store-secret-0123456789";
constexpr const char* kPublicKey = "public-secret-0123456789";

struct Running {
  std::string dir;
  std::unique_ptr<Engine> engine;
  std::unique_ptr<ServerState> state;
  std::unique_ptr<Listener> listener;
  std::thread thread;
  uint64_t engine_listener = 0;
  int port = 0;
};

Running* g_server = nullptr;

void StopServer() {
  Running* r = g_server;
  if (!r) return;
  g_server = nullptr;
  r->listener->Stop();
  r->thread.join();
  r->engine->events().remove_listener(r->engine_listener);
  r->listener.reset();
  (void)r->engine->close();
  std::error_code ec;
  std::filesystem::remove_all(r->dir, ec);
  delete r;
}

Running* StartServer() {
  auto* r = new Running;
  char tmpl[] = "/tmp/commerce-fuzz-http-XXXXXX";
  FUZZ_CHECK(mkdtemp(tmpl) != nullptr, "mkdtemp");
  r->dir = tmpl;
  {
    std::ofstream keys(r->dir + "/keys.txt");
    keys << "admin admin " << kAdminKey << "\nshop store " << kStoreKey << "\nweb public "
         << kPublicKey << "\n";
  }
  r->state = std::make_unique<ServerState>();
  ServerOptions& o = r->state->options;
  o.data = r->dir + "/data";
  o.keys = r->dir + "/keys.txt";
  o.access_log = "off";
  o.threads = 1;
  o.max_body_bytes = 64 * 1024;
  o.max_import_bytes = 1 << 20;
  o.request_timeout_ms = 3000;
  o.idle_timeout_ms = 3000;
  o.drain_timeout_ms = 1000;
  o.max_waits = 0;
  Status s = r->state->gateway.Load(o.keys);
  FUZZ_CHECK(s.ok(), s.ToString());
  s = r->state->access_log.Open(o.access_log);
  FUZZ_CHECK(s.ok(), s.ToString());
  r->state->metrics = std::make_unique<Metrics>(1, RouteLabels());

  EngineOptions eo;
  eo.path = o.data;
  eo.run_background = false;
  auto engine = Engine::open(eo);
  FUZZ_CHECK(engine.ok(), engine.status().ToString());
  r->engine = std::move(*engine);
  r->state->engine = r->engine.get();

  auto fd = BindListenSocket("127.0.0.1:0");
  FUZZ_CHECK(fd.ok(), fd.status().ToString());
  sockaddr_in addr{};
  socklen_t len = sizeof addr;
  FUZZ_CHECK(getsockname(*fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0, "getsockname");
  r->port = ntohs(addr.sin_port);
  auto l = Listener::Create(r->state.get(), 0, *fd);
  close(*fd);
  FUZZ_CHECK(l.ok(), l.status().ToString());
  r->listener = std::move(*l);
  Listener* listener = r->listener.get();
  r->engine_listener = r->engine->events().add_listener([listener] { listener->Wake(); });
  r->thread = std::thread([listener] { listener->Run(); });
  std::atexit(StopServer);
  return r;
}

// Sends `bytes`, closes the sending side, and reads until the server closes (or 10 s pass).
std::string Exchange(int port, std::string_view bytes) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  FUZZ_CHECK(fd >= 0, "socket");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  int connected = connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  if (connected != 0 && errno == EINTR) {
    // libFuzzer's timeout ticks with SIGALRM: an interrupted connect goes on by itself; wait
    // for it to finish and take its outcome.
    pollfd w{fd, POLLOUT, 0};
    while (poll(&w, 1, 10'000) < 0 && errno == EINTR) {
    }
    int error = 0;
    socklen_t size = sizeof error;
    getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &size);
    connected = error == 0 && (w.revents & POLLOUT) ? 0 : -1;
    errno = error;
  }
  FUZZ_CHECK(connected == 0, std::string("connect to the server: ") + std::strerror(errno));
  std::string in;
  size_t sent = 0;
  bool write_open = true;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  for (;;) {
    if (write_open && sent == bytes.size()) {
      shutdown(fd, SHUT_WR);
      write_open = false;
    }
    pollfd p{fd, static_cast<short>(POLLIN | (write_open ? POLLOUT : 0)), 0};
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    FUZZ_CHECK(left.count() > 0, "the server neither answered nor closed within 10 s; got so far:\n" + in.substr(0, 2000));
    if (poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
    if (p.revents & (POLLIN | POLLHUP | POLLERR)) {
      char buf[65536];
      ssize_t n = recv(fd, buf, sizeof buf, 0);
      if (n < 0 && errno == EINTR) continue;  // SIGALRM (above)
      if (n <= 0) break;  // closed (or reset: the server refused the rest of the input)
      in.append(buf, static_cast<size_t>(n));
    }
    if (write_open && (p.revents & POLLOUT)) {
      ssize_t n = send(fd, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) write_open = false;  // the server closed on us: read what it said
      else sent += static_cast<size_t>(n);
    }
  }
  // The server has closed: end with a reset, not a FIN, so this side keeps no TIME_WAIT. A
  // closing side keeps its port for 60 s, and a thousand connections a second would use up
  // the 28,000 ephemeral ports within half a minute (the first instrumented run stopped there:
  // "connect to the server" after 38,006 inputs).
  linger hard{1, 0};
  setsockopt(fd, SOL_SOCKET, SO_LINGER, &hard, sizeof hard);
  close(fd);
  return in;
}

bool EqualsNoCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) return false;
  return true;
}

// Checks every response in `in`; returns how many there were and the first status. When the
// input may have held a HEAD request (`head_sent`), a response whose body is absent — the
// stream ends, or the next response starts, right after its head — is one to a HEAD: its
// Content-Length is that of the body a GET would get (RFC 9110 §9.3.2), and no body follows.
size_t CheckResponses(const std::string& in, int* first_status, bool head_sent = false) {
  size_t pos = 0, count = 0;
  while (pos < in.size()) {
    const size_t head_end = in.find("\r\n\r\n", pos);
    FUZZ_CHECK(head_end != std::string::npos, "a response without the end of its head:\n" + in.substr(pos, 500));
    const std::string head = in.substr(pos, head_end - pos);
    FUZZ_CHECK(head.rfind("HTTP/1.1 ", 0) == 0 && head.size() >= 12, "not a status line:\n" + head.substr(0, 200));
    const int status = std::atoi(head.substr(9, 3).c_str());
    FUZZ_CHECK(status >= 100 && status <= 599, "status " + head.substr(9, 3));
    if (count == 0) *first_status = status;
    long long length = -1;
    std::string type;
    size_t line = head.find("\r\n");
    while (line != std::string::npos && line < head.size()) {
      const size_t next = head.find("\r\n", line + 2);
      const std::string h = head.substr(line + 2, (next == std::string::npos ? head.size() : next) - line - 2);
      const size_t colon = h.find(':');
      FUZZ_CHECK(colon != std::string::npos && colon > 0, "a header line without a name:\n" + head);
      const std::string name = h.substr(0, colon);
      std::string value = h.substr(colon + 1);
      while (!value.empty() && value.front() == ' ') value.erase(0, 1);
      FUZZ_CHECK(value.find_first_of("\r\n") == std::string::npos, "a line break inside a header:\n" + head);
      if (EqualsNoCase(name, "content-length")) {
        FUZZ_CHECK(length < 0, "two Content-Lengths:\n" + head);
        FUZZ_CHECK(!value.empty() && value.find_first_not_of("0123456789") == std::string::npos, head);
        length = std::atoll(value.c_str());
      } else if (EqualsNoCase(name, "content-type")) {
        type = value;
      } else if (EqualsNoCase(name, "transfer-encoding")) {
        FUZZ_CHECK(false, "a chunked response (every response is framed by Content-Length):\n" + head);
      }
      line = next;
    }
    FUZZ_CHECK(length >= 0, "a response without Content-Length:\n" + head);
    const size_t body_at = head_end + 4;
    if (head_sent && length > 0 && (body_at == in.size() || in.compare(body_at, 9, "HTTP/1.1 ") == 0)) {
      pos = body_at;  // the answer to a HEAD
      ++count;
      continue;
    }
    FUZZ_CHECK(in.size() - body_at >= static_cast<size_t>(length),
               "a response cut short: Content-Length " + std::to_string(length) + ", " +
                   std::to_string(in.size() - body_at) + " bytes follow");
    const std::string body = in.substr(body_at, static_cast<size_t>(length));
    if (type.rfind("application/json", 0) == 0) {
      rapidjson::Document d;
      d.Parse<rapidjson::kParseValidateEncodingFlag>(body.c_str(), body.size());
      FUZZ_CHECK(!d.HasParseError(), "a JSON response that does not parse (or is not UTF-8):\n" + head + "\n" +
                                         body.substr(0, 500));
      if (status >= 400) {
        FUZZ_CHECK(d.IsObject() && d.HasMember("error") && d["error"].IsObject() && d["error"].HasMember("code") &&
                       d["error"]["code"].IsString() && d["error"].HasMember("message") &&
                       d["error"]["message"].IsString() && d["error"]["message"].GetStringLength() > 0,
                   "an error without {error: {code, message}}:\n" + body.substr(0, 500));
      }
    } else {
      FUZZ_CHECK(type.rfind("text/plain", 0) == 0, "Content-Type '" + type + "':\n" + head);  // /metrics
    }
    pos = body_at + static_cast<size_t>(length);
    ++count;
  }
  return count;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (!g_server) g_server = StartServer();
  const std::string in = Exchange(g_server->port, std::string_view(reinterpret_cast<const char*>(data), size));
  int status = 0;
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  CheckResponses(in, &status, input.find("HEAD") != std::string_view::npos);
  // Whatever that connection did, the next one is served.
  const std::string health = Exchange(g_server->port, "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  int health_status = 0;
  FUZZ_CHECK(CheckResponses(health, &health_status) == 1 && health_status == 200,
             "the server stopped serving: /healthz answered\n" + health.substr(0, 500));
  return 0;
}
