// Acknowledged writes survive kill -9.
//
// A forked child opens an engine and upserts products from several threads; after each
// upsert returns OK it writes the product's number to a pipe. The parent kills the child with
// SIGKILL — at a random moment, or at one of the LMDB log's critical points through the
// test-only crash hook — then reopens the store and checks:
//   - it opens cleanly (replay succeeds);
//   - every acknowledged product is there, with the content that was written;
//   - the catalog's counters and the event log agree with the products present, i.e. a
//     product, its indexes, counters and event were committed all together or not at all.
// The store is kept across rounds, so recovery runs on top of earlier recoveries.
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <catch2/catch.hpp>
#include <cstdlib>
#include <cstring>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "commerce/engine.h"
#include "storage/lmdb/lmdb_test_hooks.h"
#include "unit/test_dir.h"

using namespace commerce;

namespace {

constexpr int kWriterThreads = 4;

EngineOptions Options(const std::string& dir, const std::string& driver) {
  EngineOptions o;
  o.path = dir;
  o.driver = driver;
  // Checkpoints every few hundred KiB and every 20 ms, so kills land in and around them.
  o.storage.lmdb_checkpoint_bytes = 256 << 10;
  o.storage.lmdb_checkpoint_interval_ms = 20;
  return o;
}

Product MakeProduct(uint64_t n) {
  Product p;
  p.id = "p-" + std::to_string(n);
  p.title = "Crash test product " + std::to_string(n);
  p.description = std::string(200 + n % 300, 'd');
  p.brand = "Brand " + std::to_string(n % 17);
  Variant v;
  v.sku = "SKU-" + std::to_string(n);
  v.price = Money{static_cast<int64_t>(100 + n), "USD"};
  p.variants.push_back(v);
  return p;
}

const char* g_crash_point = nullptr;
std::atomic<int> g_crash_countdown{0};

void CrashHook(const char* point) {
  if (g_crash_point && std::strcmp(point, g_crash_point) == 0 &&
      g_crash_countdown.fetch_sub(1) == 1)
    ::kill(::getpid(), SIGKILL);
}

// The child: never returns.
[[noreturn]] void RunChild(const std::string& dir, const std::string& driver, uint64_t first,
                           int pipe_fd, const char* crash_point, int countdown) {
  if (crash_point) {
    g_crash_point = crash_point;
    g_crash_countdown = countdown;
    SetLmdbCrashHook(&CrashHook);
  }
  auto engine = Engine::open(Options(dir, driver));
  if (!engine.ok()) _exit(3);
  std::atomic<uint64_t> next{first};
  std::vector<std::thread> threads;
  for (int t = 0; t < kWriterThreads; ++t) {
    threads.emplace_back([&] {
      for (;;) {
        uint64_t n = next.fetch_add(1);
        auto r = (*engine)->catalog().upsert(MakeProduct(n));
        if (!r.ok()) _exit(4);
        // One write(2) of 8 bytes to a pipe is atomic: records never interleave.
        if (::write(pipe_fd, &n, sizeof n) != sizeof n) _exit(5);
      }
    });
  }
  for (auto& t : threads) t.join();
  _exit(0);
}

struct RoundResult {
  std::set<uint64_t> acked;
};

RoundResult RunRound(const std::string& dir, const std::string& driver, uint64_t first,
                     std::mt19937_64& rng, const char* crash_point) {
  int fds[2];
  REQUIRE(::pipe(fds) == 0);
  // Groups are many, checkpoints few (at most one per writer idle tick, 250 ms).
  const bool at_checkpoint = crash_point && std::strncmp(crash_point, "checkpoint", 10) == 0;
  int countdown = static_cast<int>(rng() % (at_checkpoint ? 4 : 40)) + 1;
  pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    ::close(fds[0]);
    RunChild(dir, driver, first, fds[1], crash_point, countdown);
  }
  ::close(fds[1]);
  // Kill at a random moment (5..250 ms of writing), or — when a crash point is armed — let
  // the hook kill the child, with a deadline in case the point is never reached. The child
  // is not reaped before the kill, so its pid cannot have been reused.
  const int ms = crash_point ? 20'000 : 5 + static_cast<int>(rng() % 245);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
  bool killed = false;
  RoundResult r;
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                    deadline - std::chrono::steady_clock::now()).count();
    if (left <= 0 && !killed) {
      ::kill(pid, SIGKILL);
      killed = true;
    }
    struct pollfd pfd = {fds[0], POLLIN, 0};
    int ready = ::poll(&pfd, 1, killed ? 1000 : static_cast<int>(std::max<long>(left, 1)));
    if (ready <= 0) continue;
    uint64_t n;
    ssize_t got = ::read(fds[0], &n, sizeof n);
    if (got == 0) break;  // the child is gone
    if (got == sizeof n) r.acked.insert(n);
  }
  ::close(fds[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  INFO("child exit status " << status);
  REQUIRE(WIFSIGNALED(status));
  // With a crash point armed, the hook must have fired: the deadline is only a guard.
  if (crash_point) CHECK_FALSE(killed);
  REQUIRE(WTERMSIG(status) == SIGKILL);
  return r;
}

void VerifyStore(const std::string& dir, const std::string& driver,
                 const std::set<uint64_t>& all_acked) {
  auto engine = Engine::open(Options(dir, driver));
  REQUIRE(engine.ok());
  auto& catalog = (*engine)->catalog();
  for (uint64_t n : all_acked) {
    auto p = catalog.get(MakeProduct(n).id);
    INFO("acknowledged product " << n);
    REQUIRE(p.ok());
    CHECK(p->title == MakeProduct(n).title);
    CHECK(p->variants.at(0).price.minor == MakeProduct(n).variants[0].price.minor);
    auto by_sku = catalog.get_by_sku("SKU-" + std::to_string(n));
    REQUIRE(by_sku.ok());
  }
  // All or nothing: counters, product rows and events agree.
  uint64_t listed = 0;
  ListOptions lo;
  lo.limit = 1000;
  for (;;) {
    auto page = catalog.list(lo);
    REQUIRE(page.ok());
    listed += page->items.size();
    if (page->next_cursor.empty()) break;
    lo.cursor = page->next_cursor;
  }
  auto stats = catalog.stats();
  REQUIRE(stats.ok());
  CHECK(stats->products == listed);
  CHECK(stats->skus == listed);
  auto last = (*engine)->events().last_seq();
  REQUIRE(last.ok());
  CHECK(*last == listed);  // one ProductUpserted per product, each written once
  REQUIRE((*engine)->close().ok());
}

void CrashLoop(const std::string& driver, const char* crash_point, int rounds) {
  commerce::testing::TempDir dir;
  std::mt19937_64 rng(crash_point ? 7 : 42);
  std::set<uint64_t> all_acked;
  uint64_t first = 0;
  for (int round = 0; round < rounds; ++round) {
    auto r = RunRound(dir.path(), driver, first, rng, crash_point);
    all_acked.insert(r.acked.begin(), r.acked.end());
    // Numbers taken by threads but never acknowledged may or may not exist; start the next
    // round past every number any thread could have taken.
    first = (r.acked.empty() ? first : *r.acked.rbegin()) + 1000;
    VerifyStore(dir.path(), driver, all_acked);
  }
  INFO("acknowledged writes over all rounds: " << all_acked.size());
  CHECK(all_acked.size() > 0);
}

}  // namespace

TEST_CASE("acknowledged writes survive SIGKILL at random moments", "[crash]") {
  auto driver = GENERATE(as<std::string>{}, "lmdb", "sqlite");
  SECTION(driver) { CrashLoop(driver, nullptr, 20); }
}

TEST_CASE("LMDB: SIGKILL after the log's fdatasync, before the LMDB commit", "[crash][lmdb]") {
  CrashLoop("lmdb", "wal-synced", 8);
}

TEST_CASE("LMDB: SIGKILL after a log rotation, before the checkpoint's LMDB sync", "[crash][lmdb]") {
  CrashLoop("lmdb", "checkpoint-rotated", 6);
}

TEST_CASE("LMDB: SIGKILL after the checkpoint's LMDB sync, before the log is trimmed", "[crash][lmdb]") {
  CrashLoop("lmdb", "checkpoint-synced", 6);
}
