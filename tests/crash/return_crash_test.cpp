// Exchange orders survive kill -9 between their two commits (issue 20, returns).
//
// An approval with exchange lines places the exchange order (a commit) and then approves the
// return (a commit); a cancel cancels the return (a commit) and then the exchange order (a
// commit). A forked child approves and cancels one return and is killed (SIGKILL, through the
// fault injector's kKill) at its Nth file call under the store, for N = 1, 2, ... until a child
// gets through both calls alive: every point of both calls is killed at once. After each kill
// the parent reopens the store and does what a client that was not answered does, retrying the
// call it was making (approve while the return is requested, then cancel), and checks:
//   - the return is cancelled, and at most one exchange order was placed for it (under the
//     return's key), cancelled: none left holding stock, also when the kill came between an
//     approval's two commits, where the return does not name the order yet;
//   - reserved stock is what the open orders hold (none here), and verify finds nothing.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <string>
#include <thread>

#include "commerce/engine.h"
#include "storage/fault_injection.h"
#include "unit/test_dir.h"
#include "unit/test_engine.h"

using namespace commerce;

namespace {

EngineOptions Options(const std::string& path) {
  EngineOptions o = commerce::testing::QuietEngineOptions(path);
  o.driver = "lmdb";
  return o;
}

std::unique_ptr<Engine> Open(const std::string& path) {
  auto e = Engine::open(Options(path));
  INFO(e.status().ToString());
  REQUIRE(e.ok());
  return std::move(*e);
}

void Setup(const std::string& path) {
  auto e = Open(path);
  for (const char* id : {"tee", "mug"})
    REQUIRE(e->catalog().upsert(commerce::testing::PlainProduct(id, id)).ok());
  REQUIRE(e->inventory().upsert_warehouse({"wh", "Main", "east", 1, true}).ok());
  for (const char* sku : {"SKU-tee", "SKU-mug"}) REQUIRE(e->inventory().receive(sku, "wh", 1000).ok());
  Customer c;
  c.id = "ada";
  c.email = "ada@example.com";
  REQUIRE(e->customers().create(c).ok());
  REQUIRE(e->close().ok());
}

// A delivered order of one tee and a requested return of it for a mug: the return's id.
std::string RequestedReturn(const std::string& path, int n) {
  auto e = Open(path);
  PlaceOrder p;
  p.idempotency_key = "k" + std::to_string(n);
  p.customer_id = "ada";
  p.lines = {{"SKU-tee", 1}};
  p.shipping_address = Address{"Ada", "1 Main St", "", "Town", "", "east", "US"};
  auto o = e->orders().place(p);
  REQUIRE(o.ok());
  for (auto to : {OrderStatus::kPaid, OrderStatus::kFulfilling, OrderStatus::kShipped, OrderStatus::kDelivered})
    REQUIRE(e->orders().transition(o->id, to).ok());
  auto r = e->returns().request({o->id, {{"SKU-tee", 1, "too small"}}, {{"SKU-mug", 1}}, "", ""});
  REQUIRE(r.ok());
  REQUIRE(e->close().ok());
  return r->id;
}

// Runs approve then cancel of `return_id` in a child killed at its `nth` file call under the
// store. True when the child got through both alive (no such call).
bool KilledChild(const std::string& path, const std::string& return_id, uint64_t nth) {
  pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    auto e = Engine::open(Options(path));
    if (!e.ok()) _exit(3);
    fault::Arm(fault::Plan{.under = path, .ops = fault::kAllOps, .nth = nth, .kind = fault::Kind::kKill});
    if (!(*e)->returns().approve(return_id).ok()) _exit(4);
    if (!(*e)->returns().cancel(return_id).ok()) _exit(5);
    fault::Disarm();
    _exit((*e)->close().ok() ? 0 : 6);
  }
  int status = 0;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (::waitpid(pid, &status, WNOHANG) != pid) {
    if (std::chrono::steady_clock::now() > deadline) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      FAIL("the child did not end within 30 s");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  INFO("child status " << status);
  if (WIFEXITED(status)) {
    REQUIRE(WEXITSTATUS(status) == 0);
    return true;
  }
  REQUIRE(WTERMSIG(status) == SIGKILL);
  return false;
}

}  // namespace

TEST_CASE("returns: killed at every file call of an approval and a cancel with an exchange then retried leaves no exchange order open",
          "[crash][returns]") {
  commerce::testing::TempDir dir;
  const std::string path = dir.path() + "/shop";
  Setup(path);
  int orphans_seen = 0;  // kills that left an exchange order the return did not name
  bool completed = false;
  for (uint64_t nth = 1; nth <= 400 && !completed; ++nth) {
    CAPTURE(nth);
    const std::string id = RequestedReturn(path, static_cast<int>(nth));
    completed = KilledChild(path, id, nth);
    auto e = Open(path);
    Return r = *e->returns().get(id);
    // The exchange orders placed for it: under its key, whether or not it names one.
    std::vector<Order> exchanges;
    auto mine = e->orders().list_by_customer("ada");
    REQUIRE(mine.ok());
    for (const auto& o : mine->items)
      if (o.idempotency_key == "return:" + id + ":exchange") exchanges.push_back(o);
    REQUIRE(exchanges.size() <= 1);
    if (r.status == ReturnStatus::kRequested && !exchanges.empty()) ++orphans_seen;
    // The client's retries: the call it was making, then the rest.
    if (r.status == ReturnStatus::kRequested) {
      auto a = e->returns().approve(id);
      INFO(a.status().ToString());
      REQUIRE(a.ok());
    }
    auto c = e->returns().cancel(id);
    INFO(c.status().ToString());
    REQUIRE(c.ok());
    CHECK(c->status == ReturnStatus::kCancelled);
    mine = e->orders().list_by_customer("ada");
    REQUIRE(mine.ok());
    int placed = 0;
    for (const auto& o : mine->items)
      if (o.idempotency_key == "return:" + id + ":exchange") {
        ++placed;
        CHECK(o.status == OrderStatus::kCancelled);
        CHECK(o.id == c->exchange_order_id);
      }
    CHECK(placed == 1);
    CHECK(e->inventory().get("SKU-mug", "wh")->reserved == 0);
    auto report = e->verify();
    REQUIRE(report.ok());
    std::string problems;
    for (const auto& p : report->problems) problems += p.check + " " + p.where + ": " + p.what + "\n";
    INFO(problems);
    CHECK(report->problems.empty());
    REQUIRE(e->close().ok());
  }
  CHECK(completed);
  // The walk went through the point between the approval's commits at least once.
  CHECK(orphans_seen > 0);
}
