// commerce-crash-harness: the mixed-load crash test (docs/testing.md, "The crash harness").
//
// Round after round, a forked child runs the shop's mixed load (workload.h) from several
// threads and journals every operation before and after (journal.h); the harness SIGKILLs it
// at a random moment: a quarter of the rounds during open (which, after a crash, is
// recovery), the rest while it writes. Every few rounds and after the last, the harness
// reopens the store and checks it against the ledger of acknowledged operations (ledger.h)
// and the store's own invariants: Engine::verify() on the reopened engine, then `commerce
// verify` on the closed store's files, and what only the workload knows (store_invariants.h). It ends with a report and exits 0 only when nothing
// acknowledged was lost and no invariant was broken.
//
//   build/bin/commerce-crash-harness --driver lmdb --rounds 100
//   build/bin/commerce-crash-harness --driver lmdb --map-size 1048576 --checkpoints off
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <random>
#include <string>

#include "crash/mixed_load/journal.h"
#include "crash/mixed_load/ledger.h"
#include "crash/mixed_load/store_invariants.h"
#include "crash/mixed_load/workload.h"

using namespace commerce;
using namespace commerce::crash;
using Clock = std::chrono::steady_clock;

namespace {

struct RoundResult {
  bool opened = false;       // the child finished opening before the kill
  uint64_t acked = 0;
  int64_t kill_ms = 0;       // after the fork, or after open when opened
  int64_t open_ms = -1;
};

int64_t Ms(Clock::duration d) { return std::chrono::duration_cast<std::chrono::milliseconds>(d).count(); }

// One round: fork, load, kill, collect the journal.
RoundResult RunRound(const HarnessOptions& h, const ChildPlan& plan, Ledger& ledger, std::mt19937_64& rng,
                     int64_t open_estimate_ms, Findings* f) {
  RoundResult result;
  int fds[2];
  if (::pipe(fds) != 0) {
    f->violations.push_back("pipe failed");
    return result;
  }
  std::fflush(nullptr);
  const Clock::time_point forked = Clock::now();
  pid_t pid = ::fork();
  if (pid < 0) {
    f->violations.push_back("fork failed");
    return result;
  }
  if (pid == 0) {
    ::close(fds[0]);
    RunChild(h, plan, fds[1]);
  }
  ::close(fds[1]);

  const bool aim_at_open = static_cast<int>(rng() % 100) < h.open_kill_percent;
  Clock::time_point kill_at =
      aim_at_open ? forked + std::chrono::milliseconds(rng() % static_cast<uint64_t>(open_estimate_ms + 1))
                  : forked + std::chrono::seconds(120);  // moved once the child says it opened
  const int64_t after_open_ms = static_cast<int64_t>(rng() % static_cast<uint64_t>(h.max_load_ms + 1));
  bool killed = false;
  std::string error;
  JournalReader reader;
  for (;;) {
    const int64_t left = Ms(kill_at - Clock::now());
    if (left <= 0 && !killed) {
      ::kill(pid, SIGKILL);
      killed = true;
      result.kill_ms = result.opened ? Ms(Clock::now() - forked) - result.open_ms : Ms(Clock::now() - forked);
      if (!result.opened && !aim_at_open) f->violations.push_back("the child did not open the store within 120 s");
    }
    struct pollfd pfd = {fds[0], POLLIN, 0};
    int ready = ::poll(&pfd, 1, killed ? 1000 : static_cast<int>(std::max<int64_t>(left, 1)));
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) continue;
    char buf[65536];
    ssize_t got = ::read(fds[0], buf, sizeof buf);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) break;  // every writer is gone: the child is dead
    reader.Feed(std::string_view(buf, static_cast<size_t>(got)));
    JournalEntry e;
    while (reader.Next(&e)) {
      if (e.kind == 'O') {
        result.opened = true;
        result.open_ms = std::atoll(e.fields[0].c_str());
        if (!killed) kill_at = Clock::now() + std::chrono::milliseconds(after_open_ms);
      } else if (e.kind == 'E') {
        error = e.fields[0];
      } else {
        if (e.kind == 'A') ++result.acked;
        ledger.Apply(e, f);
      }
    }
  }
  ::close(fds[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  if (!error.empty()) f->violations.push_back("the child stopped: " + error);
  else if (!(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL))
    f->violations.push_back("the child ended by itself (wait status " + std::to_string(status) + ")");
  return result;
}

int Fail(const std::string& what) {
  std::fprintf(stderr, "commerce-crash-harness: %s\n", what.c_str());
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  HarnessOptions h;
  CLI::App app{"The mixed-load crash harness: SIGKILL a loaded store round after round, then check that "
               "nothing acknowledged was lost (docs/testing.md)"};
  app.add_option("--driver", h.driver, "lmdb or sqlite")->check(CLI::IsMember({"lmdb", "sqlite"}));
  app.add_option("--rounds", h.rounds, "rounds (kills)")->check(CLI::Range(1, 1000000));
  app.add_option("--threads", h.threads, "threads of the child's load")->check(CLI::Range(1, 64));
  app.add_option("--seed", h.seed, "seed of every random choice");
  app.add_option("--map-size", h.lmdb_map_size, "LMDB: the starting map size in bytes (>= 1 MiB; small forces growth)")
      ->check(CLI::Range(size_t{1} << 20, size_t{1} << 40));
  app.add_option("--checkpoints", h.checkpoints, "LMDB: default, off (the log grows, recovery replays it all) or frequent")
      ->check(CLI::IsMember({"default", "off", "frequent"}));
  app.add_option("--sqlite-synchronous", h.sqlite_synchronous, "SQLite: FULL or NORMAL")
      ->check(CLI::IsMember({"FULL", "NORMAL"}));
  app.add_option("--verify-every", h.verify_every, "reopen and check after every Nth round (and the last)")
      ->check(CLI::Range(1, 1000000));
  app.add_option("--max-load-ms", h.max_load_ms, "the kill lands up to this long after open")->check(CLI::Range(1, 600000));
  app.add_option("--open-kills", h.open_kill_percent, "percent of rounds whose kill is aimed at open (recovery)")
      ->check(CLI::Range(0, 100));
  app.add_option("--dir", h.dir, "the store's directory (must not exist); default: a new temporary directory");
  app.add_flag("--keep", h.keep, "keep the store afterwards (it is always kept when a check fails)");
  app.add_flag("-v,--verbose", h.verbose, "a line per round");
  CLI11_PARSE(app, argc, argv);
  if (h.driver != "lmdb" && (h.lmdb_map_size || h.checkpoints != "default"))
    return Fail("--map-size and --checkpoints are LMDB options");
  if (h.driver != "sqlite" && !h.sqlite_synchronous.empty()) return Fail("--sqlite-synchronous is a SQLite option");

  std::string made_dir;  // the temporary directory this run made, removed at the end
  if (h.dir.empty()) {
    const char* tmp = std::getenv("TMPDIR");
    std::string tmpl = std::string(tmp && *tmp ? tmp : "/tmp") + "/commerce-crash-XXXXXX";
    if (!::mkdtemp(tmpl.data())) return Fail("cannot make a temporary directory under " + tmpl);
    made_dir = tmpl;
    h.dir = tmpl + "/store";
  } else if (std::filesystem::exists(h.dir)) {
    return Fail(h.dir + " exists: give a new directory, so that a run never writes into a store of value");
  }

  {
    auto engine = Engine::open(MakeEngineOptions(h));
    if (!engine.ok()) return Fail("opening a new store in " + h.dir + ": " + engine.status().ToString());
    Status s = SetUpShop(**engine);
    if (s.ok()) s = (*engine)->close();
    if (!s.ok()) return Fail("setting up the shop: " + s.ToString());
  }

  std::printf("crash harness: %s, %d rounds, %d threads, seed %llu%s%s, store %s\n", h.driver.c_str(), h.rounds,
              h.threads, static_cast<unsigned long long>(h.seed),
              h.lmdb_map_size ? (", map size " + std::to_string(h.lmdb_map_size)).c_str() : "",
              h.checkpoints != "default" ? (", checkpoints " + h.checkpoints).c_str() : "", h.dir.c_str());
  std::fflush(stdout);

  const Clock::time_point started = Clock::now();
  Ledger ledger(h.threads);
  std::mt19937_64 rng(h.seed);
  Findings findings;
  int64_t open_estimate_ms = 100;
  uint64_t checked = 0, killed_in_open = 0, killed_in_recovery = 0, verifications = 0;
  bool after_crash = false;  // the store was last left by a kill, not by a clean close
  int round = 0;
  for (; round < h.rounds; ++round) {
    RoundResult r = RunRound(h, ledger.Plan(round), ledger, rng, open_estimate_ms, &findings);
    ledger.EndRound();
    if (r.open_ms >= 0) open_estimate_ms = (3 * open_estimate_ms + std::max<int64_t>(r.open_ms, 1)) / 4 + 1;
    if (!r.opened) {
      ++killed_in_open;
      killed_in_recovery += after_crash;
    }
    after_crash = true;
    uint64_t round_checked = 0;
    const bool verify = (round + 1) % h.verify_every == 0 || round + 1 == h.rounds || !findings.violations.empty();
    if (verify) {
      auto engine = Engine::open(MakeEngineOptions(h));
      if (!engine.ok()) {
        findings.violations.push_back("reopening after round " + std::to_string(round) + ": " +
                                      engine.status().ToString());
      } else {
        round_checked = ledger.Check(**engine, &findings);
        CheckStoreInvariants(**engine, &findings.violations);
        Status s = (*engine)->close();
        if (!s.ok()) findings.violations.push_back("closing after the check: " + s.ToString());
        else VerifyClosedStore(h.dir, &findings.violations);
      }
      checked += round_checked;
      ++verifications;
      after_crash = false;
    }
    if (h.verbose || !findings.lost.empty() || !findings.violations.empty())
      std::printf("round %d: %s %lld ms after %s, %llu acknowledged%s\n", round,
                  r.opened ? "killed" : "killed in open", static_cast<long long>(r.kill_ms),
                  r.opened ? "open" : "the fork", static_cast<unsigned long long>(r.acked),
                  verify ? (", checked " + std::to_string(round_checked)).c_str() : "");
    else if ((round + 1) % 10 == 0 || round + 1 == h.rounds)
      std::printf("round %d/%d: %llu acknowledged operations so far\n", round + 1, h.rounds,
                  static_cast<unsigned long long>(ledger.acked()));
    std::fflush(stdout);
    if (!findings.lost.empty() || !findings.violations.empty()) {
      ++round;
      break;
    }
  }

  for (const auto& l : findings.lost) std::printf("LOST: %s\n", l.c_str());
  for (const auto& v : findings.violations) std::printf("VIOLATION: %s\n", v.c_str());
  const bool ok = findings.lost.empty() && findings.violations.empty();
  std::printf(
      "crash harness %s: %s, %d rounds (%llu killed in open, %llu of them in recovery), %llu checks; "
      "%llu operations acknowledged, %llu checked, %llu in flight at a kill; lost %zu, violations %zu; %.0f s\n",
      ok ? "passed" : "FAILED", h.driver.c_str(), round, static_cast<unsigned long long>(killed_in_open),
      static_cast<unsigned long long>(killed_in_recovery), static_cast<unsigned long long>(verifications),
      static_cast<unsigned long long>(ledger.acked()), static_cast<unsigned long long>(checked),
      static_cast<unsigned long long>(ledger.unknown()), findings.lost.size(), findings.violations.size(),
      std::chrono::duration<double>(Clock::now() - started).count());
  if (!ok || h.keep) {
    std::printf("the store is kept in %s\n", h.dir.c_str());
  } else {
    std::error_code ec;
    std::filesystem::remove_all(made_dir.empty() ? h.dir : made_dir, ec);
  }
  return ok ? 0 : 1;
}
