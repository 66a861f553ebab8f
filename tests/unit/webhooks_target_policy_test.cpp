// Tests of the webhook target policy (src/webhooks/target_policy.h, issue 15 defect 4, SSRF):
// which addresses are refused and why, the operator's allow-list and its bad entries, the
// refusal at subscribe for an address in the URL, and the refusal at connection time — after
// DNS resolution, on the address itself — for a name and for a subscription stored while the
// network was allowed, with a real receiver on 127.0.0.1 that must receive nothing.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <chrono>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

#include "commerce/customer.h"
#include "commerce/engine.h"
#include "commerce/webhooks.h"
#include "http_receiver.h"
#include "test_dir.h"
#include "webhooks/http_poster.h"
#include "webhooks/target_policy.h"

namespace webhooks_target_policy_test {

namespace {

using commerce::Code;
using commerce::Engine;
using commerce::HttpPost;
using commerce::HttpPoster;
using commerce::TargetPolicy;
using commerce::WebhookSubscription;
using commerce::testing::Receiver;
using commerce::testing::Request;
using commerce::testing::TempDir;
using namespace std::chrono_literals;

TargetPolicy Policy(const std::vector<std::string>& allowed = {}) {
  auto p = TargetPolicy::Make(allowed);
  INFO(p.status().ToString());
  REQUIRE(p.ok());
  return *p;
}

// The refusal of an address in text, through the sockaddr path the poster uses.
std::string RefusalOfSockaddr(const TargetPolicy& p, const std::string& text) {
  sockaddr_storage ss{};
  if (text.find(':') == std::string::npos) {
    auto* in = reinterpret_cast<sockaddr_in*>(&ss);
    in->sin_family = AF_INET;
    REQUIRE(inet_pton(AF_INET, text.c_str(), &in->sin_addr) == 1);
  } else {
    auto* in6 = reinterpret_cast<sockaddr_in6*>(&ss);
    in6->sin6_family = AF_INET6;
    REQUIRE(inet_pton(AF_INET6, text.c_str(), &in6->sin6_addr) == 1);
  }
  return p.Refusal(reinterpret_cast<const sockaddr*>(&ss));
}

commerce::EngineOptions Options(const std::string& path, std::vector<std::string> allowed) {
  commerce::EngineOptions o;
  o.path = path;
  o.run_background = false;
  o.webhooks.deliver = false;
  o.webhooks.max_attempts = 3;
  o.webhooks.backoff_initial = 20ms;
  o.webhooks.backoff_max = 40ms;
  o.webhooks.request_timeout = 3000ms;
  o.webhooks.allowed_networks = std::move(allowed);
  return o;
}

std::unique_ptr<Engine> Open(const commerce::EngineOptions& o) {
  auto engine = Engine::open(o);
  INFO(engine.status().ToString());
  REQUIRE(engine.ok());
  return std::move(engine).value();
}

WebhookSubscription Sub(const std::string& url, const std::string& id = "") {
  WebhookSubscription s;
  s.id = id;
  s.url = url;
  s.secret = "whsec_0123456789abcdef";
  return s;
}

void NewCustomer(Engine& e) {
  static int n = 0;
  commerce::Customer c;
  c.email = "ada" + std::to_string(++n) + "@example.com";
  c.name = "Ada";
  REQUIRE(e.customers().create(c).ok());
}

}  // namespace

TEST_CASE("webhook targets: addresses that are not public unicast are refused, naming the range",
          "[webhooks][ssrf]") {
  const TargetPolicy p = Policy();
  const std::vector<std::pair<const char*, const char*>> refused = {
      {"127.0.0.1", "loopback"},
      {"127.255.0.9", "loopback"},
      {"0.0.0.0", "this network"},
      {"10.1.2.3", "private"},
      {"172.16.0.1", "private"},
      {"172.31.255.255", "private"},
      {"192.168.1.1", "private"},
      {"169.254.169.254", "link-local"},  // the cloud metadata service
      {"100.64.0.1", "carrier-grade NAT"},
      {"192.0.0.8", "IETF"},
      {"192.0.2.1", "documentation"},
      {"198.18.0.1", "benchmarking"},
      {"224.0.0.1", "multicast"},
      {"255.255.255.255", "reserved"},
      {"::", "unspecified"},
      {"::1", "loopback"},
      {"fe80::1", "link-local"},
      {"fc00::1", "unique-local"},
      {"fd00:ec2::254", "unique-local"},  // the cloud metadata service over IPv6
      {"fec0::1", "site-local"},
      {"ff02::1", "multicast"},
      {"2001:db8::1", "documentation"},
      {"::ffff:127.0.0.1", "loopback"},      // IPv4-mapped
      {"::ffff:169.254.169.254", "link-local"},
      {"::10.0.0.1", "private"},             // IPv4-compatible
      {"64:ff9b::a9fe:a9fe", "link-local"},  // NAT64 of 169.254.169.254
      {"2002:7f00:1::", "loopback"},         // 6to4 of 127.0.0.1
  };
  for (const auto& [addr, why] : refused) {
    CAPTURE(addr);
    const std::string r = RefusalOfSockaddr(p, addr);
    CHECK(r.find(why) != std::string::npos);
    CHECK(r.find("--webhook-allow-network") != std::string::npos);  // says what to do
    CHECK(p.RefusalOfLiteral(addr) == r);
  }
  CHECK(p.RefusalOfLiteral("[::1]").find("loopback") != std::string::npos);
  CHECK(p.RefusalOfLiteral("fe80::1%eth0").find("link-local") != std::string::npos);
  for (const char* addr : {"93.184.216.34", "8.8.8.8", "172.32.0.1", "100.128.0.1", "169.253.0.1",
                           "2001:4860:4860::8888", "2606:4700::1111", "::ffff:8.8.8.8"}) {
    CAPTURE(addr);
    CHECK(RefusalOfSockaddr(p, addr).empty());
  }
  CHECK(p.RefusalOfLiteral("hooks.example.com").empty());  // a name: judged when resolved
  sockaddr unix_addr{};
  unix_addr.sa_family = AF_UNIX;
  CHECK_FALSE(p.Refusal(&unix_addr).empty());
}

TEST_CASE("webhook targets: the operator's allow-list opens exactly its networks", "[webhooks][ssrf]") {
  const TargetPolicy p = Policy({"127.0.0.1", "10.20.0.0/16", "fd00::/8"});
  CHECK(RefusalOfSockaddr(p, "127.0.0.1").empty());
  CHECK(RefusalOfSockaddr(p, "::ffff:127.0.0.1").empty());
  CHECK_FALSE(RefusalOfSockaddr(p, "127.0.0.2").empty());
  CHECK(RefusalOfSockaddr(p, "10.20.255.1").empty());
  CHECK_FALSE(RefusalOfSockaddr(p, "10.21.0.1").empty());
  CHECK(RefusalOfSockaddr(p, "fd00:ec2::254").empty());
  CHECK_FALSE(RefusalOfSockaddr(p, "fc00::1").empty());
  CHECK_FALSE(RefusalOfSockaddr(p, "169.254.169.254").empty());
  CHECK(RefusalOfSockaddr(Policy({"0.0.0.0/0", "::/0"}), "169.254.169.254").empty());

  struct Bad {
    std::vector<std::string> allowed;
    const char* in_message;
  };
  for (const auto& [allowed, msg] : std::vector<Bad>{
           {{"10.0.0.0/8", "localhost"}, "allowed_networks[1]: \"localhost\" is not an IPv4 or IPv6 network"},
           {{"10.0.0.0/33"}, "prefix length must be 0..32"},
           {{"fd00::/129"}, "prefix length must be 0..128"},
           {{"10.0.0.0/"}, "prefix length"},
           {{"10.0.0.0/-1"}, "prefix length"},
           {{"10.1.2.3/8"}, "did you mean 10.0.0.0/8?"},
           {{"fd00::1/8"}, "did you mean fd00::/8?"},
           {{""}, "allowed_networks[0]"},
       }) {
    CAPTURE(msg);
    auto made = TargetPolicy::Make(allowed);
    CHECK(made.status().code() == Code::kInvalidArgument);
    CHECK(made.status().message().find(msg) != std::string::npos);
  }
  // Engine::open checks it with the other options, writing nothing.
  TempDir dir;
  auto engine = Engine::open(Options(dir.sub("bad"), {"10.1.2.3/8"}));
  CHECK(engine.status().code() == Code::kInvalidArgument);
  CHECK(engine.status().message().find("webhooks.allowed_networks[0]") != std::string::npos);
}

TEST_CASE("webhook targets: subscribe refuses a URL whose host is a refused address or localhost",
          "[webhooks][ssrf]") {
  TempDir dir;
  auto engine = Open(Options(dir.path(), {}));
  auto& wh = engine->webhooks();
  for (const char* url : {"http://127.0.0.1:8080/h", "http://localhost/h", "http://LOCALHOST./h",
                          "http://api.localhost/h", "http://[::1]:9/h", "http://169.254.169.254/latest/meta-data/",
                          "https://10.0.0.5/h", "http://[::ffff:192.168.0.1]/h", "http://[fd00:ec2::254]/h",
                          "http://0.0.0.0:80/", "http://2130706433/h", "http://0x7f.1/h"}) {
    CAPTURE(url);
    auto r = wh.subscribe(Sub(url));
    CHECK(r.status().code() == Code::kInvalidArgument);
    CHECK(r.status().message().rfind("url: ", 0) == 0);
  }
  CHECK(wh.list()->empty());
  CHECK(wh.subscribe(Sub("https://93.184.216.34/h")).ok());
  CHECK(wh.subscribe(Sub("https://hooks.example.com/h")).ok());  // names are checked when resolved

  TempDir allowed_dir;
  auto allowed = Open(Options(allowed_dir.path(), {"127.0.0.0/8", "::1/128"}));
  CHECK(allowed->webhooks().subscribe(Sub("http://127.0.0.1:8080/h")).ok());
  CHECK(allowed->webhooks().subscribe(Sub("http://localhost:8080/h")).ok());
  CHECK(allowed->webhooks().subscribe(Sub("http://[::1]:8080/h")).ok());
  CHECK(allowed->webhooks().subscribe(Sub("http://169.254.169.254/h")).status().code() == Code::kInvalidArgument);
}

TEST_CASE("webhook targets: the address connected to is checked after resolution: a name that resolves to "
          "loopback is refused, and nothing reaches the receiver",
          "[webhooks][ssrf]") {
  Receiver rx([](const Request&) { return 200; });
  const std::string port = rx.url("").substr(std::string("http://127.0.0.1:").size());
  auto post_to = [&](const std::string& url, TargetPolicy policy) {
    HttpPoster poster(3000ms, std::move(policy));
    poster.Start(HttpPost{1, url, {"Content-Type: application/json"}, "{}"});
    std::vector<commerce::HttpOutcome> out;
    for (int i = 0; i < 100 && out.empty(); ++i) out = poster.Poll(50ms);
    REQUIRE(out.size() == 1);
    return out[0];
  };
  // "localhost" is a name here: the poster has no subscribe-time check, only the socket's.
  auto refused = post_to("http://localhost:" + port + "/hooks", Policy());
  CHECK(refused.http_status == 0);
  CHECK(refused.error.rfind("refused to connect: ", 0) == 0);
  CHECK(refused.error.find("is loopback") != std::string::npos);
  CHECK(rx.count() == 0);

  auto delivered = post_to("http://localhost:" + port + "/hooks", Policy({"127.0.0.0/8", "::1/128"}));
  CHECK(delivered.http_status == 200);
  CHECK(rx.WaitFor(1, 2s));
}

TEST_CASE("webhook targets: a subscription stored while its network was allowed is refused at delivery once "
          "it is not, and the failure carries the reason, never the receiver's answer",
          "[webhooks][ssrf]") {
  TempDir dir;
  Receiver rx([](const Request&) { return 500; });  // "try again later" in its body
  {
    auto engine = Open(Options(dir.path(), {"127.0.0.0/8"}));
    REQUIRE(engine->webhooks().subscribe(Sub(rx.url(), "internal")).ok());
    NewCustomer(*engine);
    REQUIRE(engine->run_background_once().ok());
    REQUIRE(rx.count() == 1);  // allowed: it was reached
    auto f = engine->webhooks().failures("internal");
    REQUIRE(f.ok());
    REQUIRE(f->size() == 1);
    CHECK((*f)[0].last_http_status == 500);
    CHECK((*f)[0].last_error == "HTTP 500");  // without the receiver's body
    REQUIRE(engine->close().ok());
  }
  auto engine = Open(Options(dir.path(), {}));
  NewCustomer(*engine);
  for (int i = 0; i < 20; ++i) {
    REQUIRE(engine->run_background_once().ok());
    auto f = engine->webhooks().failures("internal");
    REQUIRE(f.ok());
    if (!f->empty() && (*f)[0].attempts >= 2) break;
    std::this_thread::sleep_for(30ms);
  }
  CHECK(rx.count() == 1);  // nothing more reached it
  auto f = engine->webhooks().failures("internal");
  REQUIRE(f.ok());
  REQUIRE_FALSE(f->empty());
  CHECK((*f)[0].attempts >= 2);
  CHECK((*f)[0].last_http_status == 0);
  CHECK((*f)[0].last_error.find("refused to connect: 127.0.0.1 is loopback") != std::string::npos);
}

}  // namespace webhooks_target_policy_test
