// Tests for the event publisher to NATS JetStream (EventPublisher, event_publisher.h;
// src/remote/event_publisher.cpp, nats_client.cpp), each against a private
// `nats-server -js` on 127.0.0.1 with its store in a temporary directory (test_service.h):
// - bad options are InvalidArgument, and nothing is written;
// - every event reaches the stream once, in order, with Nats-Msg-Id = its seq, on subjects
//   "<subject>.<type>", and the body is the event as JSON;
// - the publishing process SIGKILLed twice mid-stream: each of N events is in the stream
//   exactly once — also with a de-duplication window of 100 ms (JetStream's least; a restart
//   takes longer), so that the resync from the stream's last id is what holds, not the window;
// - NATS SIGKILLed while orders are placed: every order is placed, the breaker opens, and
//   once NATS is back the publisher catches up, each event once, the breaker closed again;
// - [postgres] two engines on one store, each with a publisher: one publishes (the lease),
//   each event is in the stream once; when it closes, the other takes over, sooner than a
//   lease ttl since the one that closes gives the lease up.
#include <catch2/catch.hpp>

#include <nats/nats.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "commerce/engine.h"
#include "commerce/event_publisher.h"
#include "commerce/resilience.h"
#include "pg_fixture.h"
#include "test_dir.h"
#include "test_engine.h"
#include "test_service.h"

namespace remote_event_publisher_test {

namespace {

using namespace commerce;
using namespace std::chrono_literals;
using commerce::testing::NatsArgv;
using commerce::testing::TempDir;
using commerce::testing::TestService;

EventPublisherOptions PubOptions(const TestService& nats) {
  EventPublisherOptions o;
  o.nats_url = "nats://" + nats.address();
  o.stream = "SHOP";
  o.subject = "shop.events";
  // Quick to open and quick to probe: the tests kill NATS.
  o.endpoint.deadline = 1000ms;
  o.endpoint.breaker.open_for = 300ms;
  return o;
}

// pg_fixture.h's catalog (W-1.., customer c1, warehouse wh-a), with W-1 in stock: orders
// (commerce::testing::PgOrder) can be placed, on any driver.
void Shop(Engine& e) {
  commerce::testing::SeedCatalog(e, 0, 0);
  REQUIRE(e.inventory().receive("W-1", "wh-a", 1'000'000).ok());
}

PlaceOrder Req(const std::string& key) { return commerce::testing::PgOrder(key, "W-1"); }

// What a stream holds, read with the test's own connection (not the publisher's code).
struct StreamMsg {
  std::string subject, id, type, body;
};

class StreamReader {
 public:
  explicit StreamReader(const std::string& url) {
    REQUIRE(natsConnection_ConnectTo(&nc_, url.c_str()) == NATS_OK);
    REQUIRE(natsConnection_JetStream(&js_, nc_, nullptr) == NATS_OK);
  }
  ~StreamReader() {
    jsCtx_Destroy(js_);
    natsConnection_Destroy(nc_);
  }
  // Messages in the stream; 0 when it does not exist (yet).
  uint64_t Count(const std::string& stream) {
    jsStreamInfo* si = nullptr;
    jsErrCode jerr = static_cast<jsErrCode>(0);
    if (js_GetStreamInfo(&si, js_, stream.c_str(), nullptr, &jerr) != NATS_OK) return 0;
    uint64_t n = si->State.Msgs;
    jsStreamInfo_Destroy(si);
    return n;
  }
  std::vector<StreamMsg> All(const std::string& stream) {
    jsStreamInfo* si = nullptr;
    jsErrCode jerr = static_cast<jsErrCode>(0);
    REQUIRE(js_GetStreamInfo(&si, js_, stream.c_str(), nullptr, &jerr) == NATS_OK);
    const uint64_t first = si->State.FirstSeq, last = si->State.LastSeq, msgs = si->State.Msgs;
    jsStreamInfo_Destroy(si);
    std::vector<StreamMsg> out;
    if (msgs == 0) return out;
    for (uint64_t seq = first; seq <= last; ++seq) {
      natsMsg* m = nullptr;
      REQUIRE(js_GetMsg(&m, js_, stream.c_str(), seq, nullptr, &jerr) == NATS_OK);
      StreamMsg sm;
      sm.subject = natsMsg_GetSubject(m);
      const char* v = nullptr;
      if (natsMsgHeader_Get(m, "Nats-Msg-Id", &v) == NATS_OK) sm.id = v;
      if (natsMsgHeader_Get(m, "Commerce-Event-Type", &v) == NATS_OK) sm.type = v;
      sm.body.assign(natsMsg_GetData(m), natsMsg_GetDataLength(m));
      natsMsg_Destroy(m);
      out.push_back(std::move(sm));
    }
    return out;
  }
  // A stream made by the test, before any publisher: de-duplication window `dup`.
  void Create(const std::string& stream, const std::string& subjects, std::chrono::milliseconds dup) {
    jsStreamConfig cfg;
    jsStreamConfig_Init(&cfg);
    cfg.Name = stream.c_str();
    const char* subs[] = {subjects.c_str()};
    cfg.Subjects = subs;
    cfg.SubjectsLen = 1;
    cfg.Duplicates = static_cast<int64_t>(dup.count()) * 1'000'000;
    jsStreamInfo* si = nullptr;
    jsErrCode jerr = static_cast<jsErrCode>(0);
    natsStatus s = js_AddStream(&si, js_, &cfg, nullptr, &jerr);
    INFO(natsStatus_GetText(s) << " js error " << jerr);
    REQUIRE(s == NATS_OK);
    jsStreamInfo_Destroy(si);
  }

 private:
  natsConnection* nc_ = nullptr;
  jsCtx* js_ = nullptr;
};

// The ids of the stream's messages, in stream order, are exactly 1..n.
void RequireEachOnceInOrder(const std::vector<StreamMsg>& msgs, uint64_t n) {
  REQUIRE(msgs.size() == n);
  for (uint64_t i = 0; i < n; ++i) {
    INFO("stream message " << i + 1);
    REQUIRE(msgs[i].id == std::to_string(i + 1));
  }
}

// A store with orders to place, a private NATS, and a publisher of the store to it.
struct PublishedShop {
  TempDir dir;
  TestService nats{"nats-server", [this](int port) { return NatsArgv(port, dir.sub("nats")); }};
  std::unique_ptr<Engine> e = commerce::testing::OpenPgEngine(commerce::testing::QuietEngineOptions(dir.sub("s")));
  std::unique_ptr<EventPublisher> pub;
  PublishedShop() {
    Shop(*e);
    auto p = EventPublisher::open(*e, PubOptions(nats));
    INFO(p.status().ToString());
    REQUIRE(p.ok());
    pub = std::move(*p);
  }
  ~PublishedShop() { pub.reset(); }  // before the engine
};

EndpointStats NatsEndpoint(const std::string& address) {
  for (const auto& s : AllEndpointStats())
    if (s.name == "nats nats://" + address) return s;
  FAIL("no endpoint for nats " << address);
  return {};
}

}  // namespace

TEST_CASE("event publisher: bad options are InvalidArgument and nothing is written", "[nats]") {
  TempDir dir;
  auto e = commerce::testing::OpenPgEngine(commerce::testing::QuietEngineOptions(dir.sub("s")));
  auto last = e->events().last_seq();
  REQUIRE(last.ok());
  auto bad = [&](auto mutate) {
    EventPublisherOptions o;
    o.nats_url = "nats://127.0.0.1:4222";
    mutate(o);
    auto p = EventPublisher::open(*e, o);
    INFO(p.status().ToString());
    CHECK(p.status().IsInvalidArgument());
  };
  bad([](auto& o) { o.nats_url = ""; });
  bad([](auto& o) { o.nats_url = "http://127.0.0.1:4222"; });
  bad([](auto& o) { o.nats_url = "127.0.0.1"; });
  bad([](auto& o) { o.nats_url = "127.0.0.1:99999"; });
  bad([](auto& o) { o.nats_url = "nats://a:1,b"; });
  bad([](auto& o) { o.stream = "a.b"; });
  bad([](auto& o) { o.stream = ""; });
  bad([](auto& o) { o.subject = "shop.*"; });
  bad([](auto& o) { o.subject = "shop..events"; });
  bad([](auto& o) { o.subject = "shop events"; });
  bad([](auto& o) { o.consumer = "Nats!"; });
  bad([](auto& o) { o.batch = 0; });
  bad([](auto& o) { o.lease_ttl = 10ms; });
  bad([](auto& o) { o.endpoint.deadline = 0ms; });
  bad([](auto& o) { o.duplicate_window = 0ms; });
  CHECK(*e->events().last_seq() == *last);
  CHECK(*e->events().cursor("nats") == 0);
}

TEST_CASE("event publisher: every event reaches the stream once, in order, with its id, type and body",
          "[nats]") {
  PublishedShop shop;
  auto& [dir, nats, e, pub] = shop;
  for (int i = 0; i < 20; ++i) REQUIRE(e->orders().place(Req("k" + std::to_string(i))).ok());
  const uint64_t last = *e->events().last_seq();
  REQUIRE(pub->wait_for(last, 20s));
  auto stats = pub->stats();
  CHECK(stats.published == last);
  CHECK(stats.cursor == last);
  CHECK(*e->events().cursor("nats") == last);
  CHECK(stats.holding);

  StreamReader reader("nats://" + nats.address());
  auto msgs = reader.All("SHOP");
  RequireEachOnceInOrder(msgs, last);
  auto events = e->events().tail(1, 10000);
  REQUIRE(events.ok());
  REQUIRE(events->size() == last);
  for (size_t i = 0; i < msgs.size(); ++i) {
    const Event& ev = (*events)[i];
    INFO("event " << ev.seq);
    CHECK(msgs[i].subject == "shop.events." + ev.type);
    CHECK(msgs[i].type == ev.type);
    CHECK(msgs[i].body.find("\"id\":" + std::to_string(ev.seq) + ",") != std::string::npos);
    CHECK(msgs[i].body.find("\"subject\":\"" + ev.subject + "\"") != std::string::npos);
  }
  CHECK(reader.Count("SHOP") == last);
}

// The child of the kill test: the test binary run again with this hidden case, which
// publishes the store named in the environment until it is killed.
TEST_CASE("event publisher: child that publishes until killed", "[.nats_publisher_child]") {
  const char* store = std::getenv("COMMERCE_TEST_PUBLISHER_STORE");
  const char* url = std::getenv("COMMERCE_TEST_PUBLISHER_NATS");
  if (!store || !url) return;
  auto e = Engine::open(commerce::testing::QuietEngineOptions(store));
  if (!e.ok()) ::_exit(2);
  EventPublisherOptions o;
  o.nats_url = url;
  o.stream = "SHOP";
  o.subject = "shop.events";
  o.batch = 16;  // cursor writes often: kills land between publishes and cursor writes
  auto pub = EventPublisher::open(**e, o);
  if (!pub.ok()) ::_exit(3);
  std::this_thread::sleep_for(120s);
  ::_exit(4);
}

TEST_CASE("event publisher: SIGKILLed twice mid-stream, each of N events is in the stream exactly once",
          "[nats]") {
  const bool tiny_window = GENERATE(false, true);
  INFO((tiny_window ? "a de-duplication window of 100 ms" : "JetStream's default window"));
  TempDir dir;
  TestService nats("nats-server", [&](int port) { return NatsArgv(port, dir.sub("nats")); });
  const std::string url = "nats://" + nats.address();
  uint64_t n = 0;
  {
    auto e = commerce::testing::OpenPgEngine(commerce::testing::QuietEngineOptions(dir.sub("s")));
    Shop(*e);
    for (int i = 0; i < 1500; ++i) REQUIRE(e->inventory().receive("W-1", "wh-a", 1).ok());
    n = *e->events().last_seq();
    REQUIRE(e->close().ok());
  }
  StreamReader reader(url);
  if (tiny_window) reader.Create("SHOP", "shop.events.>", 100ms);

  auto spawn = [&] {
    std::fflush(nullptr);
    pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
      ::setenv("COMMERCE_TEST_PUBLISHER_STORE", dir.sub("s").c_str(), 1);
      ::setenv("COMMERCE_TEST_PUBLISHER_NATS", url.c_str(), 1);
      std::freopen("/dev/null", "w", stdout);
      ::execl("/proc/self/exe", "commerce_unit_tests", "[.nats_publisher_child]", nullptr);
      ::_exit(127);
    }
    return pid;
  };
  auto kill_when = [&](pid_t pid, uint64_t at_least) {
    auto until = std::chrono::steady_clock::now() + 60s;
    uint64_t count = 0;
    while ((count = reader.Count("SHOP")) < at_least && std::chrono::steady_clock::now() < until)
      std::this_thread::sleep_for(1ms);
    ::kill(pid, SIGKILL);
    int status = 0;
    ::waitpid(pid, &status, 0);
    INFO("killed at " << count << " of " << n);
    REQUIRE(WIFSIGNALED(status));  // it was publishing, not gone on its own
    REQUIRE(count >= at_least);
    REQUIRE(count < n);  // mid-stream: the kill is the test
    // A restart slower than the 100 ms window: JetStream no longer knows the last ids.
    std::this_thread::sleep_for(300ms);
  };
  kill_when(spawn(), n / 4);
  kill_when(spawn(), n / 2);
  pid_t last = spawn();
  auto until = std::chrono::steady_clock::now() + 60s;
  while (reader.Count("SHOP") < n && std::chrono::steady_clock::now() < until)
    std::this_thread::sleep_for(5ms);
  std::this_thread::sleep_for(300ms);  // anything published twice would show by now
  ::kill(last, SIGKILL);
  ::waitpid(last, nullptr, 0);
  RequireEachOnceInOrder(reader.All("SHOP"), n);
}

TEST_CASE("event publisher: NATS down, the engine keeps taking orders, and the publisher catches up after",
          "[nats]") {
  PublishedShop shop;
  auto& [dir, nats, e, pub] = shop;
  REQUIRE(pub->wait_for(*e->events().last_seq(), 20s));

  nats.Kill();
  std::chrono::steady_clock::duration slowest{};
  for (int i = 0; i < 200; ++i) {
    auto start = std::chrono::steady_clock::now();
    auto placed = e->orders().place(Req("down-" + std::to_string(i)));
    INFO(placed.status().ToString());
    REQUIRE(placed.ok());
    slowest = std::max(slowest, std::chrono::steady_clock::now() - start);
    std::this_thread::sleep_for(5ms);  // ~1 s of placing: the publisher fails and its breaker opens
  }
  // No order waited for NATS: placement never touches it (bounded loosely for a loaded machine).
  CHECK(slowest < 2s);
  const uint64_t last = *e->events().last_seq();
  auto down = pub->stats();
  CHECK(down.cursor < last);
  CHECK(down.failures > 0);
  CHECK_FALSE(down.last_error.empty());
  CHECK(NatsEndpoint(nats.address()).opened >= 1);

  nats.Restart();
  REQUIRE(pub->wait_for(last, 30s));
  StreamReader reader("nats://" + nats.address());
  RequireEachOnceInOrder(reader.All("SHOP"), last);
  auto ep = NatsEndpoint(nats.address());
  CHECK(ep.state == BreakerState::kClosed);
  auto up = pub->stats();
  CHECK(up.connected);
  CHECK(up.last_error.empty());
  CHECK(up.connects >= 2);
}

TEST_CASE("event publisher: two engines on one store publish under the lease, each event once",
          "[postgres][nats]") {
  COMMERCE_REQUIRE_PG_OR_SKIP();
  TempDir dir;
  TestService nats("nats-server", [&](int port) { return NatsArgv(port, dir.sub("nats")); });
  const std::string schema = commerce::testing::UniquePgSchema("natspub");
  auto options = [&](const std::string& path) {
    EngineOptions o = commerce::testing::PgEngineOptions(path, commerce::testing::PgTestUrl(), schema);
    o.consumer_lease_ttl = 600ms;
    return o;
  };
  auto a = commerce::testing::OpenPgEngine(options(dir.sub("a")));
  auto b = commerce::testing::OpenPgEngine(options(dir.sub("b")));
  Shop(*a);
  auto po = PubOptions(nats);
  po.lease_ttl = 600ms;
  auto pa = EventPublisher::open(*a, po);
  auto pb = EventPublisher::open(*b, po);
  REQUIRE(pa.ok());
  REQUIRE(pb.ok());
  for (int i = 0; i < 30; ++i) {
    Engine& via = i % 2 ? *a : *b;
    REQUIRE(via.orders().place(Req("k" + std::to_string(i))).ok());
  }
  uint64_t last = *a->events().last_seq();
  auto until = std::chrono::steady_clock::now() + 30s;
  while ((*pa)->stats().cursor < last && (*pb)->stats().cursor < last &&
         std::chrono::steady_clock::now() < until)
    std::this_thread::sleep_for(20ms);
  auto sa = (*pa)->stats(), sb = (*pb)->stats();
  CHECK(sa.holding != sb.holding);  // one publisher per store
  CHECK(sa.published + sb.published == last);

  // The holder goes; the other takes over within a lease ttl and publishes the rest.
  EventPublisher* survivor = sa.holding ? pb->get() : pa->get();
  const uint64_t survivor_before = survivor->stats().published, last_before = last;
  (sa.holding ? pa : pb)->reset();
  for (int i = 30; i < 40; ++i) REQUIRE(a->orders().place(Req("k" + std::to_string(i))).ok());
  last = *a->events().last_seq();
  REQUIRE(survivor->wait_for(last, 30s));
  // It published every event after the takeover. `holding` is not read at one instant: a
  // holder that has not renewed for half the ttl (600 ms here) stops acting until it renews,
  // and on a loaded CI machine a sample fell in such a gap (CI on e5a206e).
  CHECK(survivor->stats().published - survivor_before >= last - last_before);
  bool held = false;
  for (auto until = std::chrono::steady_clock::now() + 5s; !held && std::chrono::steady_clock::now() < until;
       std::this_thread::sleep_for(20ms))
    held = survivor->stats().holding;
  CHECK(held);
  StreamReader reader("nats://" + nats.address());
  RequireEachOnceInOrder(reader.All("SHOP"), last);
}

TEST_CASE("event publisher: a publisher that stops gives its lease up and another publishes within a look",
          "[postgres][nats]") {
  COMMERCE_REQUIRE_PG_OR_SKIP();
  TempDir dir;
  TestService nats("nats-server", [&](int port) { return NatsArgv(port, dir.sub("nats")); });
  const std::string schema = commerce::testing::UniquePgSchema("natsgive");
  // A ttl long enough that a take-over after silence (a whole ttl, 9 s) cannot pass for the
  // take-over of a given-up lease (the next look: a third of it, 3 s).
  constexpr auto kTtl = 9000ms;
  auto options = [&](const std::string& path) {
    EngineOptions o = commerce::testing::PgEngineOptions(path, commerce::testing::PgTestUrl(), schema);
    o.consumer_lease_ttl = kTtl;
    return o;
  };
  auto a = commerce::testing::OpenPgEngine(options(dir.sub("a")));
  auto b = commerce::testing::OpenPgEngine(options(dir.sub("b")));
  Shop(*a);
  auto po = PubOptions(nats);
  po.lease_ttl = kTtl;
  auto pa = EventPublisher::open(*a, po);
  REQUIRE(pa.ok());
  REQUIRE(a->orders().place(Req("first")).ok());
  REQUIRE((*pa)->wait_for(*a->events().last_seq(), 30s));
  REQUIRE((*pa)->stats().holding);
  auto pb = EventPublisher::open(*b, po);
  REQUIRE(pb.ok());

  const auto stopped = std::chrono::steady_clock::now();
  pa->reset();
  bool held = false;
  while (!held && std::chrono::steady_clock::now() - stopped < 2 * kTtl) {
    std::this_thread::sleep_for(20ms);
    held = (*pb)->stats().holding;
  }
  const auto took = std::chrono::steady_clock::now() - stopped;
  REQUIRE(held);
  INFO("taken over after " << std::chrono::duration_cast<std::chrono::milliseconds>(took).count() << " ms");
  CHECK(took < kTtl * 2 / 3);
  REQUIRE(b->orders().place(Req("second")).ok());
  REQUIRE((*pb)->wait_for(*b->events().last_seq(), 30s));
  StreamReader reader("nats://" + nats.address());
  RequireEachOnceInOrder(reader.All("SHOP"), *b->events().last_seq());
}

}  // namespace remote_event_publisher_test
