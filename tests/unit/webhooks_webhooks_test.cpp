// Tests of webhooks (src/webhooks/): subscriptions and their bad inputs on every local driver,
// the signature against RFC 4231's HMAC-SHA256 vectors, and delivery to a real HTTP receiver
// on 127.0.0.1 (plain sockets, below) that fails on purpose: retries with backoff, failures
// visible meanwhile, per-subject order, giving up, event type filters, resumption after a
// restart, and the delivery thread stopping promptly on close.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <rapidjson/document.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

#include "commerce/customer.h"
#include "commerce/engine.h"
#include "commerce/webhooks.h"
#include "engine/engine_core.h"
#include "http_receiver.h"
#include "test_dir.h"
#include "test_engine.h"

namespace webhooks_webhooks_test {

namespace {

using commerce::Code;
using commerce::Customer;
using commerce::Status;
using commerce::Engine;
using commerce::WebhookDelivery;
using commerce::WebhookSubscription;
using commerce::testing::Receiver;
using commerce::testing::Request;
using commerce::testing::TempDir;
using namespace std::chrono_literals;

// --- helpers ----------------------------------------------------------------------------------

const char* const kSecret = "whsec_0123456789abcdef";

commerce::EngineOptions TestOptions(const std::string& path, const std::string& driver) {
  commerce::EngineOptions o;
  o.path = path;
  o.driver = driver;
  o.run_background = false;
  o.webhooks.deliver = false;
  o.webhooks.backoff_initial = 20ms;
  o.webhooks.backoff_max = 80ms;
  o.webhooks.max_attempts = 5;
  o.webhooks.request_timeout = 5000ms;
  o.webhooks.allowed_networks = {"127.0.0.0/8"};  // the receivers below; the SSRF tests clear it
  return o;
}

std::unique_ptr<Engine> Open(const commerce::EngineOptions& o) {
  auto engine = Engine::open(o);
  INFO(engine.status().ToString());
  REQUIRE(engine.ok());
  return std::move(engine).value();
}

WebhookSubscription Sub(const std::string& url, std::vector<std::string> types = {}, std::string id = "") {
  WebhookSubscription s;
  s.id = std::move(id);
  s.url = url;
  s.event_types = std::move(types);
  s.secret = kSecret;
  return s;
}

std::string NewCustomer(Engine& e, const std::string& email) {
  Customer c;
  c.email = email;
  c.name = "Ada";
  auto made = e.customers().create(c);
  INFO(made.status().ToString());
  REQUIRE(made.ok());
  return made->id;
}

void RenameCustomer(Engine& e, const std::string& id, const std::string& name) {
  auto c = e.customers().get(id);
  REQUIRE(c.ok());
  c->name = name;
  REQUIRE(e.customers().update(*c).ok());
}

// Runs delivery rounds until `done` holds or 5 s pass.
bool DeliverUntil(Engine& e, const std::function<bool()>& done) {
  auto deadline = std::chrono::steady_clock::now() + 5s;
  while (std::chrono::steady_clock::now() < deadline) {
    Status s = e.run_background_once();
    INFO(s.ToString());
    REQUIRE(s.ok());
    if (done()) return true;
    std::this_thread::sleep_for(5ms);
  }
  return done();
}

std::vector<WebhookDelivery> Failures(Engine& e, const std::string& id = "") {
  auto f = e.webhooks().failures(id);
  INFO(f.status().ToString());
  REQUIRE(f.ok());
  return *f;
}

rapidjson::Document Json(const std::string& body) {
  rapidjson::Document d;
  d.Parse(body.c_str());
  REQUIRE_FALSE(d.HasParseError());
  REQUIRE(d.IsObject());
  return d;
}

// Safe on the receiver's thread too (no Catch2 assertions): "" and 0 when the body is not
// what it should be, which the test thread's checks then catch.
std::string SubjectOf(const Request& r) {
  rapidjson::Document d;
  d.Parse(r.body.c_str());
  if (d.HasParseError() || !d.IsObject() || !d.HasMember("subject") || !d["subject"].IsString()) return "";
  return d["subject"].GetString();
}
uint64_t IdOf(const Request& r) {
  rapidjson::Document d;
  d.Parse(r.body.c_str());
  if (d.HasParseError() || !d.IsObject() || !d.HasMember("id") || !d["id"].IsUint64()) return 0;
  return d["id"].GetUint64();
}

size_t DeliveredCount(const Receiver& rx) {
  size_t n = 0;
  for (const auto& r : rx.requests()) n += r.answered / 100 == 2;
  return n;
}

}  // namespace

// --- subscriptions ----------------------------------------------------------------------------

TEST_CASE("webhooks: subscribe, get, list and unsubscribe", "[webhooks]") {
  auto driver = GENERATE(as<std::string>{}, "lmdb", "sqlite");
  CAPTURE(driver);
  TempDir dir;
  auto engine = Open(TestOptions(dir.path(), driver));
  auto& wh = engine->webhooks();
  const uint64_t seq = *engine->events().last_seq();

  auto made = wh.subscribe(Sub("https://erp.example.com/hooks"));
  INFO(made.status().ToString());
  REQUIRE(made.ok());
  CHECK(made->id.rfind("wh-", 0) == 0);
  CHECK(made->created_at_ms > 0);
  CHECK(made->active);
  CHECK(made->secret == kSecret);

  auto erp = wh.subscribe(Sub("http://localhost:8080/x?y=1", {"OrderPlaced", "OrderStatusChanged"}, "erp"));
  REQUIRE(erp.ok());
  CHECK(erp->id == "erp");

  auto got = wh.get("erp");
  REQUIRE(got.ok());
  CHECK(*got == *erp);  // secret included

  auto all = wh.list();
  REQUIRE(all.ok());
  REQUIRE(all->size() == 2);
  for (const auto& s : *all) CHECK(s.secret.empty());
  CHECK((*all)[0].id < (*all)[1].id);
  CHECK(((*all)[0].id == "erp" ? (*all)[0] : (*all)[1]).event_types ==
        std::vector<std::string>{"OrderPlaced", "OrderStatusChanged"});

  REQUIRE(wh.unsubscribe("erp").ok());
  CHECK(wh.get("erp").status().code() == Code::kNotFound);
  CHECK(wh.unsubscribe("erp").code() == Code::kNotFound);
  CHECK(wh.failures("erp").status().code() == Code::kNotFound);
  all = wh.list();
  REQUIRE(all.ok());
  CHECK(all->size() == 1);
  // Subscriptions are configuration, not changes of the shop: no events.
  CHECK(*engine->events().last_seq() == seq);
}

TEST_CASE("webhooks: bad input is rejected, naming its field, with nothing written", "[webhooks]") {
  auto driver = GENERATE(as<std::string>{}, "lmdb", "sqlite");
  CAPTURE(driver);
  TempDir dir;
  auto engine = Open(TestOptions(dir.path(), driver));
  auto& wh = engine->webhooks();
  REQUIRE(wh.subscribe(Sub("https://a.example/h", {}, "taken")).ok());

  struct Case {
    const char* what;
    WebhookSubscription s;
    Code code;
    const char* in_message;
  };
  auto with = [](std::function<void(WebhookSubscription&)> f) {
    WebhookSubscription s = Sub("https://b.example/h");
    f(s);
    return s;
  };
  std::vector<Case> cases = {
      {"ftp scheme", with([](auto& s) { s.url = "ftp://b.example/h"; }), Code::kInvalidArgument, "url"},
      {"no scheme", with([](auto& s) { s.url = "b.example/h"; }), Code::kInvalidArgument, "url"},
      {"empty url", with([](auto& s) { s.url = ""; }), Code::kInvalidArgument, "url"},
      {"no host", with([](auto& s) { s.url = "http://"; }), Code::kInvalidArgument, "url"},
      {"space", with([](auto& s) { s.url = "http://b.example/a b"; }), Code::kInvalidArgument, "url"},
      {"too long", with([](auto& s) { s.url = "https://b.example/" + std::string(2000, 'a'); }),
       Code::kInvalidArgument, "url"},
      {"unknown type", with([](auto& s) { s.event_types = {"OrderPlaced", "OrderShipped"}; }),
       Code::kInvalidArgument, "event_types[1]: unknown event type 'OrderShipped'; known: ProductUpserted"},
      {"type twice", with([](auto& s) { s.event_types = {"OrderPlaced", "OrderPlaced"}; }),
       Code::kInvalidArgument, "event_types[1]"},
      {"short secret", with([](auto& s) { s.secret = std::string(15, 's'); }), Code::kInvalidArgument, "secret"},
      {"long secret", with([](auto& s) { s.secret = std::string(257, 's'); }), Code::kInvalidArgument, "secret"},
      {"bad id", with([](auto& s) { s.id = "bad\nid"; }), Code::kInvalidArgument, "id"},
      {"duplicate id", with([](auto& s) { s.id = "taken"; }), Code::kAlreadyExists, "taken"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.what);
    auto r = wh.subscribe(c.s);
    CHECK(r.status().code() == c.code);
    CHECK(r.status().message().find(c.in_message) != std::string::npos);
  }
  // Limits are inclusive.
  CHECK(wh.subscribe(with([](auto& s) { s.secret = std::string(16, 's'); })).ok());
  CHECK(wh.subscribe(with([](auto& s) { s.secret = std::string(256, 's'); })).ok());
  CHECK(wh.subscribe(with([](auto& s) {
          s.url = "https://b.example/" + std::string(2000 - std::string("https://b.example/").size(), 'a');
        })).ok());

  auto all = wh.list();
  REQUIRE(all.ok());
  CHECK(all->size() == 4);
  auto got = wh.get("taken");
  REQUIRE(got.ok());
  CHECK(got->url == "https://a.example/h");
  CHECK(wh.get("").status().code() == Code::kInvalidArgument);
  CHECK(wh.failures("", 0).status().code() == Code::kInvalidArgument);
  CHECK(wh.failures("", 10001).status().code() == Code::kInvalidArgument);
  CHECK(wh.failures("nobody").status().code() == Code::kNotFound);

  commerce::EngineOptions bad = TestOptions(dir.sub("other"), driver);
  bad.webhooks.max_attempts = 0;
  CHECK(Engine::open(bad).status().code() == Code::kInvalidArgument);
}

TEST_CASE("webhooks: the signature is HMAC-SHA256 of \"<t>.<body>\" in hex", "[webhooks]") {
  // Expected values from Python's hmac module over RFC 4231's keys and messages, the
  // timestamp and a dot in front:
  //   hmac.new(key, b"1718000000." + msg, hashlib.sha256).hexdigest()
  CHECK(commerce::WebhookSignature("Jefe", 1718000000, "what do ya want for nothing?") ==
        "t=1718000000,v1=ccbff7129f12a811ee3df077779bb3bde86be86c363048970c877f5021b4d695");
  CHECK(commerce::WebhookSignature(std::string(20, '\x0b'), 0, "Hi There") ==
        "t=0,v1=1213f1e2774e705a48de67768bc45d543b56dd26189ab8c568f880c092effdc4");
  // A key longer than the block size is hashed first.
  CHECK(commerce::WebhookSignature(std::string(131, '\xaa'), 1718000000,
                                   "Test Using Larger Than Block-Size Key - Hash Key First") ==
        "t=1718000000,v1=5f11981863f3aa8d62705c4f6a000487e3a66037ce29b634bee2463ccf0dd214");
}

TEST_CASE("webhooks: a receiver's check refuses a changed body, a wrong secret and a replay", "[webhooks]") {
  using commerce::VerifyWebhookSignature;
  const int64_t now = 1718000000;
  const std::string body = R"({"id":7,"type":"OrderPlaced"})";
  const std::string header = commerce::WebhookSignature(kSecret, now, body);
  CHECK(VerifyWebhookSignature(kSecret, header, body, 300, now).ok());
  CHECK(VerifyWebhookSignature(kSecret, header, body, 300, now + 300).ok());  // the window is inclusive
  CHECK(VerifyWebhookSignature(kSecret, header, body, 300, now - 300).ok());  // a clock a little behind
  // Several v1 entries (a signer rotating its secret): any one matching will do.
  CHECK(VerifyWebhookSignature(kSecret, header + ",v1=" + std::string(64, '0'), body, 300, now).ok());
  CHECK(VerifyWebhookSignature(kSecret, "t=" + std::to_string(now) + ",v1=" + std::string(64, '0') + "," +
                                            header.substr(header.find("v1=")),
                               body, 300, now).ok());

  struct Case {
    const char* what;
    std::string secret, header, body;
    int64_t now;
    const char* in_message;
  };
  const std::string v1 = header.substr(header.find("v1="));
  const std::vector<Case> cases = {
      {"changed body", kSecret, header, body + " ", now, "no v1 signature matches"},
      {"wrong secret", "whsec_another-secret", header, body, now, "no v1 signature matches"},
      {"replayed late", kSecret, header, body, now + 301, "past the 300 s tolerance"},
      {"from the future", kSecret, header, body, now - 301, "past the 300 s tolerance"},
      // The timestamp is signed: moving it forward breaks the signature.
      {"moved timestamp", kSecret, "t=" + std::to_string(now + 1000) + "," + v1, body, now + 1000,
       "no v1 signature matches"},
      {"empty", kSecret, "", body, now, "expected t=<unix seconds>,v1=<hex>"},
      {"old sha256= form", kSecret, "sha256=" + std::string(64, 'a'), body, now, "expected t="},
      {"no v1", kSecret, "t=" + std::to_string(now), body, now, "expected t="},
      {"no t", kSecret, v1, body, now, "expected t="},
      {"negative t", kSecret, "t=-5," + v1, body, now, "t= must be Unix seconds"},
      {"t not a number", kSecret, "t=12x," + v1, body, now, "t= must be Unix seconds"},
      {"short v1", kSecret, "t=" + std::to_string(now) + ",v1=abc", body, now, "no v1 signature matches"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.what);
    Status s = VerifyWebhookSignature(c.secret, c.header, c.body, 300, c.now);
    CHECK(s.code() == Code::kInvalidArgument);
    CHECK(s.message().find(c.in_message) != std::string::npos);
  }
  CHECK(VerifyWebhookSignature(kSecret, header, body, -1, now).code() == Code::kInvalidArgument);
  // now_s = 0 reads the system clock: a fresh signature passes, an hour-old one does not.
  const int64_t wall = commerce::EngineCore::NowMs() / 1000;
  CHECK(VerifyWebhookSignature(kSecret, commerce::WebhookSignature(kSecret, wall, body), body).ok());
  CHECK_FALSE(VerifyWebhookSignature(kSecret, commerce::WebhookSignature(kSecret, wall - 3600, body), body).ok());
}

// --- delivery -------------------------------------------------------------------------------

TEST_CASE("webhooks: a failing receiver is retried with backoff until it answers 2xx", "[webhooks]") {
  auto driver = GENERATE(as<std::string>{}, "lmdb", "sqlite");
  CAPTURE(driver);
  TempDir dir;
  std::atomic<int> calls{0};
  Receiver rx([&](const Request&) { return ++calls <= 2 ? 503 : 200; });
  const int64_t started_s = commerce::EngineCore::NowMs() / 1000;
  auto options = TestOptions(dir.path(), driver);
  // Long enough that the "not due yet" round below runs before the retry is due even on a
  // loaded machine; the check is skipped, not failed, when the clock says it was due.
  options.webhooks.backoff_initial = 300ms;
  options.webhooks.backoff_max = 600ms;
  auto engine = Open(options);
  auto sub = engine->webhooks().subscribe(Sub(rx.url()));
  REQUIRE(sub.ok());
  const std::string ada = NewCustomer(*engine, "ada@example.com");
  const uint64_t seq = *engine->events().last_seq();

  REQUIRE(engine->run_background_once().ok());
  REQUIRE(rx.count() == 1);
  auto failures = Failures(*engine);
  REQUIRE(failures.size() == 1);
  CHECK(failures[0].subscription_id == sub->id);
  CHECK(failures[0].event_seq == seq);
  CHECK(failures[0].event_type == "CustomerCreated");
  CHECK(failures[0].attempts == 1);
  CHECK(failures[0].last_http_status == 503);
  CHECK(failures[0].last_error.find("503") != std::string::npos);
  CHECK(failures[0].last_error.find("try again later") == std::string::npos);  // no body
  CHECK_FALSE(failures[0].given_up);
  CHECK(failures[0].next_attempt_ms > 0);

  // Not due yet: a round that ends before the retry is due sends nothing.
  REQUIRE(engine->run_background_once().ok());
  if (commerce::EngineCore::NowMs() < failures[0].next_attempt_ms) CHECK(rx.count() == 1);

  REQUIRE(DeliverUntil(*engine, [&] { return rx.count() >= 2; }));
  failures = Failures(*engine, sub->id);
  REQUIRE(failures.size() == 1);
  CHECK(failures[0].attempts == 2);

  REQUIRE(DeliverUntil(*engine, [&] { return DeliveredCount(rx) == 1; }));
  CHECK(Failures(*engine).empty());
  for (int i = 0; i < 5; ++i) REQUIRE(engine->run_background_once().ok());
  auto requests = rx.requests();
  REQUIRE(requests.size() == 3);  // delivered once, never again

  // Each attempt is the same signed POST.
  for (const auto& r : requests) {
    CHECK(r.path == "/hooks");
    CHECK(r.body == requests[0].body);
    CHECK(r.headers.at("content-type") == "application/json");
    CHECK(r.headers.at("x-commerce-event-id") == std::to_string(seq));
    CHECK(r.headers.at("x-commerce-event-type") == "CustomerCreated");
    const std::string& sig = r.headers.at("x-commerce-signature");
    CHECK(commerce::VerifyWebhookSignature(kSecret, sig, r.body).ok());
    const int64_t t = std::stoll(sig.substr(2, sig.find(',') - 2));
    CHECK(sig == commerce::WebhookSignature(kSecret, t, r.body));
    CHECK(t >= started_s);  // signed when sent, not when queued before
    CHECK(t <= commerce::EngineCore::NowMs() / 1000);
  }
  auto body = Json(requests[0].body);
  CHECK(body["id"].GetUint64() == seq);
  CHECK(std::string(body["type"].GetString()) == "CustomerCreated");
  CHECK(std::string(body["subject"].GetString()) == ada);
  CHECK(body["time_ms"].GetInt64() > 0);
  REQUIRE(body["data"].IsObject());
  CHECK(std::string(body["data"]["customer_id"].GetString()) == ada);
}

TEST_CASE("webhooks: a redirect is a failed delivery, never followed", "[webhooks][ssrf]") {
  // A redirect would let a receiver point the delivery anywhere after the target check, and
  // carry the signed body there: a 3xx is a failure like a 5xx, and the Location is not
  // visited (issue 15, defect 4).
  TempDir dir;
  Receiver elsewhere([](const Request&) { return 200; });
  Receiver rx([](const Request&) { return 307; });  // 307 keeps the method: a POST again
  rx.set_location(elsewhere.url("/stolen"));
  auto engine = Open(TestOptions(dir.path(), "lmdb"));
  auto sub = engine->webhooks().subscribe(Sub(rx.url()));
  REQUIRE(sub.ok());
  NewCustomer(*engine, "ada@example.com");
  // Retried, as any failure; a sender that followed would be done after the first attempt.
  DeliverUntil(*engine, [&] { return rx.count() >= 2 || elsewhere.count() > 0; });
  CHECK(elsewhere.count() == 0);
  REQUIRE(rx.count() >= 2);
  auto failures = Failures(*engine, sub->id);
  REQUIRE(failures.size() == 1);
  CHECK(failures[0].last_http_status == 307);
  CHECK(failures[0].attempts >= 2);
  CHECK(failures[0].last_error.find("stolen") == std::string::npos);
}

TEST_CASE("webhooks: a subject's events wait behind its failing one, other subjects go on", "[webhooks]") {
  auto driver = GENERATE(as<std::string>{}, "lmdb", "sqlite");
  CAPTURE(driver);
  TempDir dir;
  std::atomic<uint64_t> blocked_seq{0};
  std::atomic<int> blocked_fails{0};
  Receiver rx([&](const Request& r) {
    if (IdOf(r) == blocked_seq.load() && blocked_fails.fetch_add(1) < 3) return 500;
    return 204;
  });
  auto engine = Open(TestOptions(dir.path(), driver));
  REQUIRE(engine->webhooks().subscribe(Sub(rx.url())).ok());
  const std::string a = NewCustomer(*engine, "a@example.com");
  blocked_seq = *engine->events().last_seq();
  const std::string b = NewCustomer(*engine, "b@example.com");
  RenameCustomer(*engine, a, "A2");
  RenameCustomer(*engine, b, "B2");
  RenameCustomer(*engine, a, "A3");

  REQUIRE(engine->run_background_once().ok());
  auto failures = Failures(*engine);
  REQUIRE(failures.size() == 1);
  CHECK(failures[0].event_seq == blocked_seq.load());

  REQUIRE(DeliverUntil(*engine, [&] { return DeliveredCount(rx) == 5; }));
  CHECK(Failures(*engine).empty());
  auto requests = rx.requests();
  CHECK(requests.size() == 5 + 3);
  // Per subject: ids ascending, and nothing after a request that was not answered 2xx until
  // that one is delivered.
  std::map<std::string, std::vector<std::pair<uint64_t, int>>> by_subject;
  size_t b_done = 0, a_first_ok = 0;
  for (size_t i = 0; i < requests.size(); ++i) {
    by_subject[SubjectOf(requests[i])].push_back({IdOf(requests[i]), requests[i].answered});
    if (SubjectOf(requests[i]) == b) b_done = i;
    if (IdOf(requests[i]) == blocked_seq.load() && requests[i].answered == 204) a_first_ok = i;
  }
  for (const auto& [subject, seen] : by_subject) {
    CAPTURE(subject);
    for (size_t i = 1; i < seen.size(); ++i) {
      if (seen[i - 1].second / 100 == 2)
        CHECK(seen[i].first > seen[i - 1].first);
      else
        CHECK(seen[i].first == seen[i - 1].first);  // a retry of the same event
    }
  }
  CHECK(by_subject[a].size() == 3 + 3);
  CHECK(by_subject[b].size() == 2);
  CHECK(b_done < a_first_ok);  // b did not wait for a
}

TEST_CASE("webhooks: a delivery is given up after max_attempts and kept for inspection", "[webhooks]") {
  TempDir dir;
  Receiver rx([](const Request&) { return 500; });
  // A port with nobody listening: connection refused.
  int closed_port;
  {
    Receiver gone([](const Request&) { return 200; });
    closed_port = std::stoi(gone.url().substr(std::string("http://127.0.0.1:").size()));
  }
  auto options = TestOptions(dir.path(), "lmdb");
  options.webhooks.max_attempts = 3;
  options.webhooks.max_failures_kept = 2;
  auto engine = Open(options);
  auto failing = engine->webhooks().subscribe(Sub(rx.url(), {}, "failing"));
  auto refused = engine->webhooks().subscribe(
      Sub("http://127.0.0.1:" + std::to_string(closed_port) + "/", {}, "refused"));
  REQUIRE(failing.ok());
  REQUIRE(refused.ok());
  const std::string ada = NewCustomer(*engine, "ada@example.com");
  const uint64_t first = *engine->events().last_seq();

  auto given_up = [&] {
    auto f = Failures(*engine);
    return f.size() == 2 && f[0].given_up && f[1].given_up;
  };
  REQUIRE(DeliverUntil(*engine, given_up));
  CHECK(rx.count() == 3);
  for (int i = 0; i < 5; ++i) REQUIRE(engine->run_background_once().ok());
  CHECK(rx.count() == 3);  // no attempt after the last

  auto f = Failures(*engine, "failing");
  REQUIRE(f.size() == 1);
  CHECK(f[0].event_seq == first);
  CHECK(f[0].attempts == 3);
  CHECK(f[0].last_http_status == 500);
  CHECK(f[0].next_attempt_ms == 0);
  f = Failures(*engine, "refused");
  REQUIRE(f.size() == 1);
  CHECK(f[0].last_http_status == 0);
  CHECK_FALSE(f[0].last_error.empty());

  // A given-up event does not block its subject: the next one is attempted.
  RenameCustomer(*engine, ada, "Ada 2");
  REQUIRE(DeliverUntil(*engine, [&] { return rx.count() == 4; }));
  // Only the newest max_failures_kept given-up deliveries are kept.
  RenameCustomer(*engine, ada, "Ada 3");
  auto newest_two_kept = [&](const std::string& id) {
    auto all = Failures(*engine, id);
    return all.size() == 2 && all[0].given_up && all[1].given_up && all[0].event_seq == first + 1 &&
           all[1].event_seq == first + 2;
  };
  REQUIRE(DeliverUntil(*engine, [&] { return newest_two_kept("failing") && newest_two_kept("refused"); }));
  f = Failures(*engine);  // both subscriptions, oldest first
  REQUIRE(f.size() == 4);
  CHECK(f[0].event_seq == first + 1);
  CHECK(f[1].event_seq == first + 1);
  CHECK(f[2].event_seq == first + 2);
  CHECK(f[0].subscription_id == "failing");
  CHECK(f[1].subscription_id == "refused");
  CHECK(Failures(*engine, "").size() == 4);
  auto limited = engine->webhooks().failures("", 3);
  REQUIRE(limited.ok());
  CHECK(limited->size() == 3);
}

TEST_CASE("webhooks: event types filter, an inactive subscription receives nothing", "[webhooks]") {
  auto driver = GENERATE(as<std::string>{}, "lmdb", "sqlite");
  CAPTURE(driver);
  TempDir dir;
  Receiver rx([](const Request&) { return 200; });
  auto engine = Open(TestOptions(dir.path(), driver));
  auto& wh = engine->webhooks();
  NewCustomer(*engine, "before@example.com");  // before any subscription: never delivered
  REQUIRE(wh.subscribe(Sub(rx.url("/updates"), {"CustomerUpdated"})).ok());
  REQUIRE(wh.subscribe(Sub(rx.url("/all"))).ok());
  WebhookSubscription off = Sub(rx.url("/off"));
  off.active = false;
  REQUIRE(wh.subscribe(off).ok());

  const std::string ada = NewCustomer(*engine, "ada@example.com");
  RenameCustomer(*engine, ada, "Ada King");
  REQUIRE(DeliverUntil(*engine, [&] { return rx.count() >= 3; }));
  for (int i = 0; i < 3; ++i) REQUIRE(engine->run_background_once().ok());

  std::map<std::string, std::vector<std::string>> types;
  for (const auto& r : rx.requests()) types[r.path].push_back(r.headers.at("x-commerce-event-type"));
  CHECK(types["/updates"] == std::vector<std::string>{"CustomerUpdated"});
  CHECK(types["/all"] == std::vector<std::string>{"CustomerCreated", "CustomerUpdated"});
  CHECK(types.count("/off") == 0);
  CHECK(rx.count() == 3);
}

TEST_CASE("webhooks: a restart resumes pending deliveries and repeats no delivered one", "[webhooks]") {
  auto driver = GENERATE(as<std::string>{}, "lmdb", "sqlite");
  CAPTURE(driver);
  TempDir dir;
  std::atomic<bool> healthy{false};
  std::string a;
  std::mutex a_mu;
  Receiver rx([&](const Request& r) {
    std::lock_guard<std::mutex> lock(a_mu);
    return SubjectOf(r) == a && !healthy.load() ? 503 : 200;
  });
  const auto options = TestOptions(dir.path(), driver);
  std::string b, d;
  {
    auto engine = Open(options);
    REQUIRE(engine->webhooks().subscribe(Sub(rx.url(), {}, "erp")).ok());
    {
      std::lock_guard<std::mutex> lock(a_mu);
      a = NewCustomer(*engine, "a@example.com");
    }
    b = NewCustomer(*engine, "b@example.com");
    REQUIRE(engine->run_background_once().ok());
    CHECK(DeliveredCount(rx) == 1);  // b
    REQUIRE(Failures(*engine).size() == 1);
    d = NewCustomer(*engine, "d@example.com");  // committed, never taken by a round
    REQUIRE(engine->close().ok());
  }
  const size_t before = rx.count();
  healthy = true;
  auto engine = Open(options);
  auto f = Failures(*engine);
  REQUIRE(f.size() == 1);  // the failure survived the restart
  CHECK(f[0].attempts == 1);
  REQUIRE(DeliverUntil(*engine, [&] { return DeliveredCount(rx) == 3; }));
  const std::string c = NewCustomer(*engine, "c@example.com");
  REQUIRE(DeliverUntil(*engine, [&] { return DeliveredCount(rx) == 4; }));
  for (int i = 0; i < 3; ++i) REQUIRE(engine->run_background_once().ok());

  std::map<std::string, int> delivered;
  auto requests = rx.requests();
  for (const auto& r : requests)
    if (r.answered == 200) ++delivered[SubjectOf(r)];
  CHECK(delivered == std::map<std::string, int>{{a, 1}, {b, 1}, {c, 1}, {d, 1}});
  CHECK(requests.size() == before + 3);
  CHECK(Failures(*engine).empty());
}

TEST_CASE("webhooks: the delivery thread delivers by itself and close() stops it promptly", "[webhooks]") {
  TempDir dir;
  Receiver rx([](const Request&) { return 200; });
  Receiver hang([](const Request&) { return -1; });  // never answers
  commerce::EngineOptions options;
  options.path = dir.path();
  options.webhooks.request_timeout = 30s;
  options.webhooks.allowed_networks = {"127.0.0.1"};
  auto engine = Open(options);
  REQUIRE(engine->webhooks().subscribe(Sub(rx.url())).ok());
  REQUIRE(engine->webhooks().subscribe(Sub(hang.url())).ok());
  NewCustomer(*engine, "ada@example.com");
  CHECK(rx.WaitFor(1, 10s));
  CHECK(hang.WaitFor(1, 10s));
  CHECK(engine->run_background_once().ok());  // a no-op beside the thread

  const auto start = std::chrono::steady_clock::now();
  REQUIRE(engine->close().ok());
  CHECK(std::chrono::steady_clock::now() - start < 2s);
  CHECK(rx.count() == 1);
}

// --- updating a subscription (issue 16) ---------------------------------------------------------

TEST_CASE("webhooks: update changes url, types, secret and active, keeping the queue", "[webhooks]") {
  auto driver = GENERATE(as<std::string>{}, "lmdb", "sqlite");
  CAPTURE(driver);
  TempDir dir;
  Receiver down([](const Request&) { return 503; });
  Receiver up([](const Request&) { return 200; });
  auto engine = Open(TestOptions(dir.path(), driver));
  auto& wh = engine->webhooks();
  auto sub = wh.subscribe(Sub(down.url("/old"), {"CustomerCreated"}, "erp"));
  REQUIRE(sub.ok());
  const uint64_t events_before = *engine->events().last_seq();

  // A delivery queued and failing at the old url.
  const std::string ada = NewCustomer(*engine, "ada@example.com");
  const uint64_t ada_seq = *engine->events().last_seq();
  REQUIRE(engine->run_background_once().ok());
  REQUIRE(down.count() == 1);
  REQUIRE(Failures(*engine, "erp").size() == 1);

  // The receiver moved, the secret is rotated, and updates are wanted too.
  const std::string rotated = "whsec_rotated_fedcba9876543210";
  commerce::WebhookSubscriptionUpdate u;
  u.url = up.url("/new");
  u.secret = rotated;
  u.event_types = std::vector<std::string>{"CustomerCreated", "CustomerUpdated"};
  auto changed = wh.update("erp", u);
  INFO(changed.status().ToString());
  REQUIRE(changed.ok());
  CHECK(changed->id == "erp");
  CHECK(changed->url == up.url("/new"));
  CHECK(changed->secret.empty());  // never handed back but by get()
  CHECK(changed->created_at_ms == sub->created_at_ms);
  CHECK(changed->active);
  auto got = wh.get("erp");
  REQUIRE(got.ok());
  CHECK(got->secret == rotated);
  CHECK(got->event_types == std::vector<std::string>{"CustomerCreated", "CustomerUpdated"});
  CHECK(*engine->events().last_seq() == ada_seq);  // configuration: no event

  // The queued delivery is not lost: it goes to the new url, signed with the new secret, and
  // a CustomerUpdated (a type added by the update) follows it.
  RenameCustomer(*engine, ada, "Ada King");
  REQUIRE(DeliverUntil(*engine, [&] { return DeliveredCount(up) == 2; }));
  CHECK(down.count() == 1);
  auto got_up = up.requests();
  REQUIRE(got_up.size() == 2);
  CHECK(got_up[0].path == "/new");
  CHECK(got_up[0].headers.at("x-commerce-event-id") == std::to_string(ada_seq));
  CHECK(got_up[1].headers.at("x-commerce-event-type") == "CustomerUpdated");
  for (const auto& r : got_up) {
    CHECK(commerce::VerifyWebhookSignature(rotated, r.headers.at("x-commerce-signature"), r.body).ok());
    CHECK_FALSE(commerce::VerifyWebhookSignature(kSecret, r.headers.at("x-commerce-signature"), r.body).ok());
  }
  CHECK(Failures(*engine, "erp").empty());

  // Disabled: nothing is sent or queued; the events of that time are skipped. What was queued
  // before waits and is sent once enabled again.
  commerce::WebhookSubscriptionUpdate off;
  off.url = down.url("/old");  // failing again, so that one delivery stays queued
  REQUIRE(wh.update("erp", off).ok());
  NewCustomer(*engine, "queued@example.com");
  const uint64_t queued_seq = *engine->events().last_seq();
  REQUIRE(engine->run_background_once().ok());
  REQUIRE(down.count() == 2);
  commerce::WebhookSubscriptionUpdate disable;
  disable.active = false;
  disable.url = up.url("/new");
  auto disabled = wh.update("erp", disable);
  REQUIRE(disabled.ok());
  CHECK_FALSE(disabled->active);
  NewCustomer(*engine, "skipped@example.com");
  for (int i = 0; i < 5; ++i) REQUIRE(engine->run_background_once().ok());
  std::this_thread::sleep_for(100ms);  // past the backoff of the queued delivery
  for (int i = 0; i < 3; ++i) REQUIRE(engine->run_background_once().ok());
  CHECK(up.count() == 2);
  CHECK(down.count() == 2);
  commerce::WebhookSubscriptionUpdate enable;
  enable.active = true;
  REQUIRE(wh.update("erp", enable).ok());
  NewCustomer(*engine, "later@example.com");
  const uint64_t later_seq = *engine->events().last_seq();
  REQUIRE(DeliverUntil(*engine, [&] { return DeliveredCount(up) == 4; }));
  for (int i = 0; i < 3; ++i) REQUIRE(engine->run_background_once().ok());
  std::vector<std::string> ids;
  for (const auto& r : up.requests()) ids.push_back(r.headers.at("x-commerce-event-id"));
  REQUIRE(ids.size() == 4);
  CHECK(ids[0] == std::to_string(ada_seq));
  CHECK(ids[1] == std::to_string(ada_seq + 1));
  // Two subjects, so either may arrive first; the skipped customer's event never does.
  CHECK(std::set<std::string>{ids[2], ids[3]} ==
        std::set<std::string>{std::to_string(queued_seq), std::to_string(later_seq)});
  CHECK(events_before < ada_seq);
}

TEST_CASE("webhooks: a bad update is refused, naming its field, with nothing written", "[webhooks][ssrf]") {
  auto driver = GENERATE(as<std::string>{}, "lmdb", "sqlite");
  CAPTURE(driver);
  TempDir dir;
  auto engine = Open(TestOptions(dir.path(), driver));
  auto& wh = engine->webhooks();
  REQUIRE(wh.subscribe(Sub("https://a.example/h", {"OrderPlaced"}, "erp")).ok());
  const auto before = wh.get("erp");
  REQUIRE(before.ok());

  struct Case {
    const char* what;
    std::string id;
    commerce::WebhookSubscriptionUpdate u;
    Code code;
    const char* in_message;
  };
  auto with = [](std::function<void(commerce::WebhookSubscriptionUpdate&)> f) {
    commerce::WebhookSubscriptionUpdate u;
    f(u);
    return u;
  };
  std::vector<Case> cases = {
      {"nothing to change", "erp", {}, Code::kInvalidArgument, "nothing to change"},
      {"ftp scheme", "erp", with([](auto& u) { u.url = "ftp://b.example/h"; }), Code::kInvalidArgument, "url"},
      {"empty url", "erp", with([](auto& u) { u.url = ""; }), Code::kInvalidArgument, "url"},
      // The address rules of subscribe(): the cloud metadata service, a private network.
      {"metadata", "erp", with([](auto& u) { u.url = "http://169.254.169.254/latest/meta-data/"; }),
       Code::kInvalidArgument, "url"},
      {"private", "erp", with([](auto& u) { u.url = "http://10.1.2.3/h"; }), Code::kInvalidArgument, "url"},
      {"unknown type", "erp", with([](auto& u) { u.event_types = std::vector<std::string>{"OrderShipped"}; }),
       Code::kInvalidArgument, "event_types[0]: unknown event type 'OrderShipped'"},
      {"short secret", "erp", with([](auto& u) { u.secret = std::string(15, 's'); }), Code::kInvalidArgument,
       "secret"},
      // A good field does not carry a bad one through.
      {"good and bad", "erp", with([](auto& u) {
         u.active = false;
         u.url = "http://[::1]:9/h";
       }),
       Code::kInvalidArgument, "url"},
      {"no such subscription", "nobody", with([](auto& u) { u.active = false; }), Code::kNotFound, "nobody"},
      {"bad id", "bad\nid", with([](auto& u) { u.active = false; }), Code::kInvalidArgument, "id"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.what);
    auto r = wh.update(c.id, c.u);
    CHECK(r.status().code() == c.code);
    CHECK(r.status().message().find(c.in_message) != std::string::npos);
  }
  auto after = wh.get("erp");
  REQUIRE(after.ok());
  CHECK(*after == *before);
  CHECK(wh.get("nobody").status().code() == Code::kNotFound);
}

}  // namespace webhooks_webhooks_test
