// What the tests of engines sharing a PostgreSQL store (multiprocess, failover, lease) build
// alike: engine options, an order request, the catalog they sell from, child processes that
// report each acknowledged operation through a pipe, and the check of the one event log; and
// for the tests of the storage driver itself, its options, a statement on a connection of the
// test's own, the numbers of a record and a thread that tails a log table as it grows.
// Catch2's macros are used only by the functions the parent calls; a child (a fork) runs
// engine code alone and reports through its pipe.
#pragma once

#include <libpq-fe.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "commerce/customer.h"
#include "commerce/engine.h"
#include "commerce/storage.h"
#include "pg_test_cluster.h"
#include "storage/log_sequences.h"

namespace commerce::testing {

// Skips the test case (with the message saying how to run it) when no server is named.
#define COMMERCE_REQUIRE_PG_OR_SKIP()                          \
  do {                                                         \
    if (::commerce::testing::PgTestUrl().empty()) {            \
      WARN(::commerce::testing::kPgSkipMessage);               \
      return;                                                  \
    }                                                          \
  } while (0)

// An engine on the postgres driver with no background work and no search indexer: the tests
// drive every write themselves.
inline EngineOptions PgEngineOptions(const std::string& path, const std::string& url,
                                     const std::string& schema) {
  EngineOptions o;
  o.path = path;
  o.driver = "postgres";
  o.storage.postgres_url = url;
  o.storage.postgres_schema = schema;
  o.run_background = false;
  o.search.run_indexer = false;
  return o;
}

// Opens the engine or fails the test with the reason.
inline std::unique_ptr<Engine> OpenPgEngine(const EngineOptions& options) {
  auto e = Engine::open(options);
  INFO(e.status().ToString());
  REQUIRE(e.ok());
  return std::move(e).value();
}

// An order of `qty` of `sku` by customer c1 (SeedCatalog creates it).
inline PlaceOrder PgOrder(std::string key, std::string sku, int64_t qty = 1) {
  PlaceOrder r;
  r.idempotency_key = std::move(key);
  r.customer_id = "c1";
  r.lines = {{std::move(sku), qty}};
  r.shipping_address.name = "Ada";
  r.shipping_address.line1 = "1 Main St";
  r.shipping_address.city = "Springfield";
  r.shipping_address.region = "us-east";
  r.shipping_address.country = "US";
  return r;
}

// The SKU thread `t` of process `p` puts in carts, so that each cart line has one writer.
inline std::string ThreadSku(int p, int t) {
  return "C-" + std::to_string(p) + "-" + std::to_string(t);
}

// Products W-1, W-2, W-3 and ThreadSku(p, t) for every process and thread (price 10.00 USD),
// customer c1 and warehouse wh-a (us-east, priority 1). Stock and carts are each test's.
inline void SeedCatalog(Engine& engine, int processes, int threads) {
  std::vector<std::string> skus = {"W-1", "W-2", "W-3"};
  for (int p = 0; p < processes; ++p)
    for (int t = 0; t < threads; ++t) skus.push_back(ThreadSku(p, t));
  for (const std::string& sku : skus) {
    Product prod;
    prod.id = "prod-" + sku;
    prod.title = "Product " + sku;
    Variant v;
    v.sku = sku;
    v.price = Money{1000, "USD"};
    prod.variants.push_back(v);
    REQUIRE(engine.catalog().upsert(prod).ok());
  }
  Customer c;
  c.id = "c1";
  c.email = "c1@example.com";
  REQUIRE(engine.customers().create(c).ok());
  REQUIRE(engine.inventory().upsert_warehouse({"wh-a", "A", "us-east", 1, true}).ok());
}

// A child's report: one line per acknowledged operation (or error) on its pipe, from any of
// its threads.
class ChildReport {
 public:
  explicit ChildReport(FILE* out) : out_(out) {}
  void operator()(const std::string& line) {
    std::lock_guard<std::mutex> lock(mu_);
    std::fprintf(out_, "%s\n", line.c_str());
  }

 private:
  FILE* out_;
  std::mutex mu_;
};

// Opens the child's engine; on failure reports "error open ..." and returns null (no Catch2
// in a child).
inline std::unique_ptr<Engine> OpenChildEngine(const EngineOptions& options, ChildReport& report) {
  auto e = Engine::open(options);
  if (!e.ok()) {
    report("error open " + e.status().ToString());
    return nullptr;
  }
  return std::move(e).value();
}

// A forked child: its pid and the read end of the pipe it reports on.
struct PgChild {
  pid_t pid = -1;
  int fd = -1;
};

// Forks `n` children; child p runs body(p, out) with `out` line-buffered on its pipe and exits
// with what body returns. The parent gets each child's pid and pipe.
inline std::vector<PgChild> ForkChildren(int n, const std::function<int(int, FILE*)>& body) {
  std::vector<PgChild> children;
  for (int p = 0; p < n; ++p) {
    int fds[2];
    REQUIRE(::pipe(fds) == 0);
    pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
      ::close(fds[0]);
      FILE* out = ::fdopen(fds[1], "w");
      ::setvbuf(out, nullptr, _IOLBF, 0);
      int rc = body(p, out);
      std::fflush(out);
      ::_exit(rc);
    }
    ::close(fds[1]);
    children.push_back({pid, fds[0]});
  }
  return children;
}

// Reads a forked child's lines (newline stripped) until its pipe closes, then reaps it: it must
// have exited 0. The first line, where a child reports what went wrong, goes with a failure.
inline std::vector<std::string> ChildLines(const PgChild& child) {
  std::vector<std::string> lines;
  FILE* f = ::fdopen(child.fd, "r");
  REQUIRE(f != nullptr);
  char buf[8192];
  while (std::fgets(buf, sizeof buf, f)) {
    std::string line(buf);
    if (!line.empty() && line.back() == '\n') line.pop_back();
    lines.push_back(line);
  }
  std::fclose(f);
  int status = 0;
  REQUIRE(::waitpid(child.pid, &status, 0) == child.pid);
  INFO("child " << child.pid << ": " << (lines.empty() ? "(no output)" : lines[0]));
  REQUIRE(WIFEXITED(status));
  REQUIRE(WEXITSTATUS(status) == 0);
  return lines;
}

// Checks the store's one event log: sequences 1..last with no gap, in order. Returns how many
// events of `type` it holds.
inline size_t CheckEventLog(Engine& engine, const std::string& type) {
  auto last = engine.events().last_seq();
  REQUIRE(last.ok());
  uint64_t expect = 1;
  size_t of_type = 0;
  for (uint64_t from = 1; from <= *last;) {
    auto batch = engine.events().tail(from, 1000);
    REQUIRE(batch.ok());
    REQUIRE_FALSE(batch->empty());
    for (const Event& ev : *batch) {
      CHECK(ev.seq == expect);
      ++expect;
      if (ev.type == type) ++of_type;
    }
    from = batch->back().seq + 1;
  }
  CHECK(expect == *last + 1);
  return of_type;
}

// The postgres driver alone (no engine), on the test cluster.
inline StorageOptions PgStorageOptions(const std::string& path, const std::string& schema) {
  StorageOptions o;
  o.driver = "postgres";
  o.path = path;
  o.postgres_url = PgTestUrl();
  o.postgres_schema = schema;
  return o;
}

// Opens the storage or fails the test with the reason.
inline std::unique_ptr<Storage> OpenPgStorage(const StorageOptions& options) {
  auto s = OpenStorage(options);
  INFO(s.status().ToString());
  REQUIRE(s.ok());
  return std::move(s).value();
}

// One SQL statement on the test's own connection; the first column of the first row ("" when
// the statement returns no row).
inline std::string PgFirstValue(PGconn* conn, const std::string& sql) {
  PGresult* r = PQexec(conn, sql.c_str());
  INFO(sql << ": " << PQerrorMessage(conn));
  REQUIRE((PQresultStatus(r) == PGRES_TUPLES_OK || PQresultStatus(r) == PGRES_COMMAND_OK));
  std::string out = PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) > 0 ? PQgetvalue(r, 0, 0) : "";
  PQclear(r);
  return out;
}

// The 8-byte big-endian number at `at` of a key or a value (a log key's sequence, a stock
// record's counters); UINT64_MAX when the bytes end before it. No Catch2 macro: tailer threads
// and forked children call it.
inline uint64_t BigEndianAt(std::string_view bytes, size_t at = 0) {
  if (bytes.size() < at + 8) return UINT64_MAX;
  uint64_t v = 0;
  for (size_t i = at; i < at + 8; ++i) v = (v << 8) | static_cast<unsigned char>(bytes[i]);
  return v;
}

// A thread that reads the log table `log` of `storage` over and over while others append to
// it, each snapshot from the sequence after the last one it saw, until stopped: every
// snapshot must show the log as 1..n, so a sequence once seen is never followed by an earlier
// one appearing later -- what a tailer that resumes from its last sequence relies on to never
// skip an event. A snapshot whose first entry is not the next sequence counts as a gap; read
// errors are tried again. No Catch2 macro: it runs on its own thread.
// REQUIRES: `storage` outlives the tailer (or its Stop()).
class LogTailer {
 public:
  LogTailer(Storage& storage, Table log) : thread_([this, &storage, log] { Run(storage, log); }) {}
  ~LogTailer() { Stop(); }
  LogTailer(const LogTailer&) = delete;
  LogTailer& operator=(const LogTailer&) = delete;

  // Stops the thread and waits for it: the counts are final once it returns.
  void Stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }

  uint64_t tailed() const { return tailed_; }        // sequences seen, 1..tailed() in order
  uint64_t gaps() const { return gaps_; }            // snapshots that skipped a sequence
  uint64_t snapshots() const { return snapshots_; }  // snapshots read

 private:
  void Run(Storage& storage, Table log) {
    while (!stop_) {
      auto txn = storage.read();
      if (!txn.ok()) continue;
      auto entries = (*txn)->scan(log, LogKey(tailed_ + 1), "", 0);
      if (!entries.ok()) continue;
      snapshots_++;
      for (const KeyValue& e : *entries) {
        if (BigEndianAt(e.key) != tailed_ + 1) {
          gaps_++;
          break;
        }
        tailed_++;
      }
    }
  }

  std::atomic<bool> stop_{false};
  std::atomic<uint64_t> tailed_{0}, gaps_{0}, snapshots_{0};
  std::thread thread_;  // last: started once the counters above exist
};

}  // namespace commerce::testing
