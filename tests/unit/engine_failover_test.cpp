// Failover under load: two engine processes (forks, three threads each) place orders, receive
// stock and edit carts on a private cluster — a primary and a synchronous streaming replica,
// one libpq multi-host URL with target_session_attrs=read-write. In the middle of the load the
// primary is SIGKILLed; for a while nothing accepts writes, then the replica is promoted. The
// engines are not restarted. Every answer is reported to the parent through a pipe, then the
// parent checks the promoted server:
//   - every acknowledged order is there, each idempotency key has one order, and the stock
//     reserved is exactly what the acknowledged orders took (no lost, no doubled, no oversold);
//   - the stock on hand moved by exactly the acknowledged receipts, each cart line by exactly
//     the acknowledged adds: an answer other than success means it did not happen;
//   - calls made while no server accepted writes failed with Unavailable, each within the
//     connect timeout (none hung), and both processes wrote again after the promotion;
//   - the event log is gapless, with one OrderPlaced per order.
//
// It starts a cluster of its own (tools/pg-cluster, ~10 s), so it is hidden from the unit run
// and registered as ctest's `postgres_failover`; by hand:
//   build/bin/commerce_unit_tests "[failover]"
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <map>
#include <mutex>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "commerce/engine.h"
#include "pg_fixture.h"
#include "pg_test_cluster.h"
#include "test_dir.h"

namespace engine_failover_test {

namespace {

using namespace commerce;
using namespace commerce::testing;
using Clock = std::chrono::steady_clock;

constexpr int kProcesses = 2;
constexpr int kThreads = 3;
constexpr int64_t kHotUnits = 150;  // of W-1: may sell out during the run, never oversold
constexpr int64_t kPlentyUnits = 1'000'000;
constexpr int kAcksBeforeKill = 60;
constexpr int kAcksAfterPromote = 30;  // per process
constexpr auto kGap = std::chrono::milliseconds(2500);  // primary dead, replica not promoted
constexpr int64_t kFailFastMs = 6000;  // the URL's connect_timeout is 5 s

EngineOptions Options(const std::string& path, const std::string& url) {
  return PgEngineOptions(path, url, "failover");
}

std::string CartId(int p) { return "cart-" + std::to_string(p); }

void Setup(const std::string& path, const std::string& url) {
  auto engine = OpenPgEngine(Options(path, url));
  SeedCatalog(*engine, kProcesses, kThreads);
  REQUIRE(engine->inventory().receive("W-1", "wh-a", kHotUnits).ok());
  REQUIRE(engine->inventory().receive("W-2", "wh-a", kPlentyUnits).ok());
  REQUIRE(engine->inventory().receive("W-3", "wh-a", 1).ok());
  for (int p = 0; p < kProcesses; ++p) {
    NewCart cart;
    cart.id = CartId(p);
    REQUIRE(engine->carts().create(cart).ok());
  }
  REQUIRE(engine->close().ok());
}

bool Exists(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0;
}

// The child: no Catch2, only the engine. Each thread loops over an order, a receipt and a
// cart add until the parent creates `stop`, one line per answer on `out`. An order that was
// not acknowledged is placed again with the same key (what a client does after Unavailable).
int RunChild(int p, const std::string& path, const std::string& url, const std::string& stop,
             FILE* out) {
  ChildReport report(out);
  auto opened = OpenChildEngine(Options(path, url), report);
  if (!opened) return 2;
  Engine& engine = *opened;
  // Unavailable is the answer while no server accepts writes; anything else but success (and
  // OutOfStock for the hot SKU) is a failure of the test.
  auto failed = [&](const Status& s, Clock::time_point start, const std::string& what) {
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count();
    if (s.IsUnavailable()) report("unavailable " + std::to_string(ms) + " " + what);
    else report("error " + what + " " + s.ToString());
  };
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      bool hot_sold_out = false;
      int order_n = 0;
      std::string key;
      for (int i = 0; !Exists(stop); ++i) {
        auto start = Clock::now();
        if (i % 3 == 0) {
          std::string sku = (order_n % 2 == 0 && !hot_sold_out) ? "W-1" : "W-2";
          if (key.empty())
            key = "p" + std::to_string(p) + "-t" + std::to_string(t) + "-" + std::to_string(order_n);
          auto r = engine.orders().place(PgOrder(key, sku));
          if (r.ok()) {
            report("order " + r->id + " " + key + " " + sku);
          } else if (r.status().IsOutOfStock() && sku == "W-1") {
            report("soldout " + key);
            hot_sold_out = true;
          } else {
            failed(r.status(), start, "order");
            continue;  // the same key again
          }
          key.clear();
          ++order_n;
        } else if (i % 3 == 1) {
          auto r = engine.inventory().receive("W-3", "wh-a", 1);
          if (r.ok()) report("receipt");
          else failed(r.status(), start, "receipt");
        } else {
          auto r = engine.carts().add(CartId(p), ThreadSku(p, t), 1);
          if (r.ok()) report("cart " + ThreadSku(p, t));
          else failed(r.status(), start, "cart");
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  Status closed = engine.close();
  if (!closed.ok()) report("error close " + closed.ToString());
  return 0;
}

// Reads the children's lines as they come, counting each child's acknowledgements.
class Collector {
 public:
  explicit Collector(std::vector<int> fds) : fds_(std::move(fds)), acks_(fds_.size()) {
    for (auto& a : acks_) a = 0;
    thread_ = std::thread([this] { Run(); });
  }
  ~Collector() { join(); }
  void join() {
    if (thread_.joinable()) thread_.join();
  }
  int acks(size_t child) const { return acks_[child].load(); }
  int total_acks() const {
    int n = 0;
    for (const auto& a : acks_) n += a.load();
    return n;
  }
  std::vector<std::string> lines() {
    std::lock_guard<std::mutex> lock(mu_);
    return lines_;
  }

 private:
  void Run() {
    std::vector<std::string> partial(fds_.size());
    size_t open = fds_.size();
    std::vector<pollfd> pfds;
    for (int fd : fds_) pfds.push_back({fd, POLLIN, 0});
    while (open > 0) {
      if (::poll(pfds.data(), pfds.size(), 1000) < 0) break;
      for (size_t i = 0; i < pfds.size(); ++i) {
        if (pfds[i].fd < 0 || !(pfds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
        char buf[4096];
        ssize_t n = ::read(pfds[i].fd, buf, sizeof buf);
        if (n <= 0) {
          ::close(pfds[i].fd);
          pfds[i].fd = -1;
          --open;
          continue;
        }
        partial[i].append(buf, static_cast<size_t>(n));
        size_t nl;
        while ((nl = partial[i].find('\n')) != std::string::npos) {
          std::string line = partial[i].substr(0, nl);
          partial[i].erase(0, nl + 1);
          if (line.rfind("order ", 0) == 0 || line == "receipt" || line.rfind("cart ", 0) == 0)
            acks_[i]++;
          std::lock_guard<std::mutex> lock(mu_);
          lines_.push_back(std::move(line));
        }
      }
    }
  }

  std::vector<int> fds_;
  std::vector<std::atomic<int>> acks_;
  std::mutex mu_;
  std::vector<std::string> lines_;
  std::thread thread_;
};

// Waits for `pred` at most `limit`; false when it did not come.
template <typename Pred>
bool WaitFor(Pred pred, std::chrono::seconds limit) {
  auto deadline = Clock::now() + limit;
  while (!pred()) {
    if (Clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return true;
}

}  // namespace

TEST_CASE("failover: the primary SIGKILLed under load from two engine processes, the "
          "synchronous replica promoted: every acknowledged write once, none oversold, "
          "Unavailable fast in the gap, no restart",
          "[.failover]") {
  PgTestCluster cluster(/*replica=*/true);
  TempDir dir;
  Setup(dir.sub("setup"), cluster.url());
  const std::string stop = dir.sub("stop");

  std::vector<pid_t> pids;
  std::vector<int> fds;
  for (const PgChild& child : ForkChildren(kProcesses, [&](int p, FILE* out) {
         return RunChild(p, dir.sub("proc" + std::to_string(p)), cluster.url(), stop, out);
       })) {
    pids.push_back(child.pid);
    fds.push_back(child.fd);
  }
  Collector collector(fds);
  // Whatever happens below, the children stop and are reaped (SIGKILL if they hang), before
  // the collector waits for their pipes to close.
  struct Reaper {
    std::vector<pid_t>& pids;
    std::string stop;
    std::vector<int> statuses;
    void finish() {
      std::ofstream(stop).put('\n');
      auto deadline = Clock::now() + std::chrono::seconds(60);
      for (pid_t& pid : pids) {
        if (pid <= 0) continue;
        int status = -1;
        while (::waitpid(pid, &status, WNOHANG) == 0) {
          if (Clock::now() > deadline) {
            ::kill(pid, SIGKILL);
            ::waitpid(pid, &status, 0);
            status = -1;
            break;
          }
          std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
        statuses.push_back(status);
        pid = -1;
      }
    }
    ~Reaper() { finish(); }
  } reaper{pids, stop, {}};

  REQUIRE(WaitFor([&] { return collector.total_acks() >= kAcksBeforeKill; }, std::chrono::seconds(60)));
  REQUIRE(cluster.kill_primary());
  std::this_thread::sleep_for(kGap);
  std::vector<int> acks_at_promote;
  for (int p = 0; p < kProcesses; ++p) acks_at_promote.push_back(collector.acks(p));
  REQUIRE(cluster.promote());
  // Both engines write again, without a restart.
  bool resumed = WaitFor(
      [&] {
        for (int p = 0; p < kProcesses; ++p)
          if (collector.acks(p) < acks_at_promote[p] + kAcksAfterPromote) return false;
        return true;
      },
      std::chrono::seconds(60));
  reaper.finish();
  collector.join();
  CHECK(resumed);
  for (int status : reaper.statuses) {
    CHECK(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);
  }

  std::map<std::string, std::string> order_by_key;  // acknowledged: key -> order id
  std::map<std::string, int64_t> units;              // sku -> acknowledged units
  int receipts = 0;
  std::map<std::string, int64_t> cart_adds;
  int unavailable = 0;
  int64_t slowest_unavailable_ms = 0;
  for (const std::string& line : collector.lines()) {
    INFO(line);
    CHECK(line.rfind("error", 0) != 0);
    std::istringstream in(line);
    std::string kind;
    in >> kind;
    if (kind == "order") {
      std::string id, key, sku;
      in >> id >> key >> sku;
      CHECK(order_by_key.emplace(key, id).second);  // a key acknowledged once
      units[sku]++;
    } else if (kind == "receipt") {
      ++receipts;
    } else if (kind == "cart") {
      std::string sku;
      in >> sku;
      cart_adds[sku]++;
    } else if (kind == "unavailable") {
      int64_t ms = 0;
      in >> ms;
      ++unavailable;
      slowest_unavailable_ms = std::max(slowest_unavailable_ms, ms);
    }
  }
  WARN("failover: " << order_by_key.size() << " orders, " << receipts << " receipts, "
                    << unavailable << " Unavailable answers (slowest " << slowest_unavailable_ms
                    << " ms)");
  CHECK(unavailable > 0);  // the gap was seen, and answered
  CHECK(slowest_unavailable_ms < kFailFastMs);

  // The promoted replica holds exactly what was acknowledged.
  auto checker = OpenPgEngine(Options(dir.sub("check"), cluster.url()));
  Engine& engine = *checker;

  size_t stored_orders = 0;
  std::set<std::string> stored_keys;
  OrderListOptions page_opts;
  page_opts.limit = 1000;
  for (;;) {
    auto page = engine.orders().list_by_customer("c1", page_opts);
    REQUIRE(page.ok());
    for (const Order& o : page->items) {
      ++stored_orders;
      CHECK(stored_keys.insert(o.idempotency_key).second);  // one order per key
      auto it = order_by_key.find(o.idempotency_key);
      INFO(o.idempotency_key);
      REQUIRE(it != order_by_key.end());  // nothing unacknowledged was committed
      CHECK(it->second == o.id);
    }
    if (page->next_cursor.empty()) break;
    page_opts.cursor = page->next_cursor;
  }
  CHECK(stored_orders == order_by_key.size());

  auto w1 = engine.inventory().get("W-1");
  REQUIRE(w1.ok());
  CHECK(w1->reserved == units["W-1"]);
  CHECK(w1->reserved <= kHotUnits);
  CHECK(w1->available == kHotUnits - units["W-1"]);
  auto w2 = engine.inventory().get("W-2");
  REQUIRE(w2.ok());
  CHECK(w2->reserved == units["W-2"]);
  auto w3 = engine.inventory().get("W-3", "wh-a");
  REQUIRE(w3.ok());
  CHECK(w3->on_hand == 1 + receipts);

  for (int p = 0; p < kProcesses; ++p) {
    auto cart = engine.carts().get(CartId(p));
    REQUIRE(cart.ok());
    for (const auto& line : cart->lines) {
      INFO(line.sku);
      CHECK(line.quantity == cart_adds[line.sku]);
    }
    size_t expected_lines = 0;
    for (int t = 0; t < kThreads; ++t) expected_lines += cart_adds.count(ThreadSku(p, t));
    CHECK(cart->lines.size() == expected_lines);
  }

  CHECK(CheckEventLog(engine, "OrderPlaced") == order_by_key.size());
  REQUIRE(engine.close().ok());
}

}  // namespace engine_failover_test
