// What every suite of commerce-bench shares:
//   - BenchOptions (the command line) and the suite registry: a suite is one .cpp file that
//     registers itself with COMMERCE_BENCH_SUITE, so adding one touches no other file;
//   - RunTimed: N threads running one operation in a loop, a warm-up excluded from the
//     figures, then S seconds measured, every op timed (latency.h);
//   - the workload helpers that keep the engine and its peers on the same inputs: keys, the
//     per-thread random streams (same seeds for every system), values;
//   - progress lines on stderr and the scratch directories under --dir.
//
// Thread safety: RunTimed's worker factory and the ops it makes run on the worker threads;
// everything else here runs on the main thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "commerce/engine.h"
#include "latency.h"
#include "report.h"

namespace commerce::bench {

struct BenchOptions {
  bool json = false;
  bool quick = false;          // shrink every case so that a whole suite takes < 1 minute
  std::string dir;             // scratch root (a fresh /tmp dir when empty)
  // search suite: keep the loaded stores in `dir` and reopen them on the next run of the same
  // size instead of loading again (requires `dir`).
  bool keep = false;
  uint64_t records = 0;        // 0: the case's default
  double seconds = 0;          // measured seconds per point; 0: the case's default
  std::vector<int> threads;    // empty: the case's default thread counts
  int rounds = 0;              // slices each point is measured in; 0: 5, or 1 with --quick
  uint64_t skus = 0;           // orders suite: SKUs in the shop; 0: --records or the default
  int warehouses = 0;          // orders suite: warehouses; 0: the default (200)
  int pg_writers = 0;          // orders suite, postgres: StorageTuning::postgres_writers; 0: default
  // orders suite: the engine's drivers (lmdb, sqlite beside the SQLite peer; postgres beside
  // the libpq-sql peer). storage suite: the engine's drivers in durable-write (lmdb, sqlite).
  // Empty: lmdb and sqlite.
  std::vector<std::string> drivers;
  std::string data;            // search-quality: the Best Buy sample (empty: <repo>/../shared/data/bestbuy-algolia)
  // search-quality: a file to write each query's answers and NDCG@10 to, per system (empty:
  // none). For analysis outside the repository: it is derived from the licensed sample.
  std::string per_query;
  std::vector<std::string> cases;  // empty: every case of the suite
  // http suite: NAME=http://127.0.0.1:PORT of running servers (a fleet's load balancer, one
  // instance direct) measured side by side instead of a server of the suite's own; the API
  // key comes from COMMERCE_BENCH_KEY (never the command line: ps shows it).
  std::vector<std::string> targets;

  bool WantCase(std::string_view name) const;
};

// A suite: runs its cases and hands each case's rows to the reporter. Returns 0, or 1 when a
// case could not run (the reason printed on stderr).
using SuiteFn = int (*)(const BenchOptions&, Reporter&);

struct SuiteInfo {
  const char* name;
  const char* help;
  SuiteFn run;
};

std::vector<SuiteInfo>& Suites();

struct SuiteRegistrar {
  SuiteRegistrar(const char* name, const char* help, SuiteFn run) { Suites().push_back({name, help, run}); }
};

#define COMMERCE_BENCH_SUITE(ident, name, help, fn) \
  static ::commerce::bench::SuiteRegistrar commerce_bench_suite_##ident(name, help, fn)

// ---------------------------------------------------------------------------------------
// Timed runs

// One thread's operation: returns true on success, or false with *error set. The closure
// owns the thread's state (connections, read txns, random streams) and is destroyed on the
// thread that made it.
using Op = std::function<bool(std::string* error)>;
// Called once on each worker thread before the run starts; `thread` is 0..threads-1.
using WorkerFactory = std::function<Op(int thread)>;

struct TimedRunOptions {
  int threads = 1;
  double warmup_s = 1;
  double seconds = 5;
  size_t reserve_samples_per_thread = 1 << 16;
  // Called on the main thread just before / just after the measured window (e.g. to take
  // the engine's stats deltas).
  std::function<void()> on_measure_start;
  std::function<void()> on_measure_end;
  // A worker still inside an op this long after the window closed is reported as a hang and
  // the process exits (status 3): a stuck driver must not stall a CI job forever.
  double hang_timeout_s = 120;
};

struct TimedRunResult {
  uint64_t ops = 0;     // successful ops that completed inside the window
  uint64_t errors = 0;  // failed ops that completed inside the window
  std::string first_error;
  double seconds = 0;   // the window's length as measured
  double ops_per_s = 0;
  LatencySummary latency;
  std::vector<uint64_t> samples_ns;  // every op's latency, unsorted until summarized
};

// Adds `slice` (another run of the same point) to `total`: ops, errors and seconds summed,
// samples pooled, ops_per_s and percentiles recomputed over the whole.
void Accumulate(TimedRunResult* total, TimedRunResult slice);

// Every worker loops over its op from the start of the warm-up until the window closes;
// an op counts (and its latency is kept) when it completes inside the window.
//
// A point may be measured in slices (--rounds): the systems of a case take turns slice by
// slice, and each system's slices are pooled with Accumulate. On a shared machine whose
// disk or CPUs change speed from minute to minute, this gives every system the same mix
// of conditions, so that a ratio compares systems rather than moments.
TimedRunResult RunTimed(const TimedRunOptions& options, const WorkerFactory& factory);

// ---------------------------------------------------------------------------------------
// Workload

// xoshiro256**: fast, good enough for key choice, and the same stream on every platform.
class Rng {
 public:
  explicit Rng(uint64_t seed);
  uint64_t next();
  // Uniform in [0, n) (Lemire's multiply-shift; the bias is < n / 2^64).
  uint64_t uniform(uint64_t n) { return static_cast<uint64_t>((static_cast<__uint128_t>(next()) * n) >> 64); }

 private:
  uint64_t s_[4];
};

// The seed of thread `thread` in case `case_name`: the same for the engine and every peer,
// so that they all draw the very same key sequence.
uint64_t SeedFor(std::string_view case_name, int thread);

// The key of record i of a key-value case: "bench:" + 10 decimal digits (16 bytes).
std::string RecordKey(uint64_t i);
void RecordKey(uint64_t i, std::string* out);
// `n` pseudo-random bytes (incompressible, as real values mostly are to a B-tree).
void FillValue(Rng& rng, size_t n, std::string* out);

// ---------------------------------------------------------------------------------------
// Progress and scratch space

// "loading 1000000 records into commerce/lmdb... 35%" on stderr, at most every ~5% or 2 s,
// then the rate when done.
class Progress {
 public:
  Progress(std::string what, uint64_t total);
  void Update(uint64_t done);
  // Prints the total time and rate; returns the rate in items/s.
  double Done(uint64_t done);

 private:
  std::string what_;
  uint64_t total_;
  int64_t start_ns_;
  int64_t last_print_ns_;
  int last_percent_ = -1;
  bool tty_;
};

void Log(const std::string& line);  // one line on stderr

// The scratch root: --dir, or a fresh /tmp/commerce-bench-XXXXXX removed by the destructor.
class WorkDir {
 public:
  explicit WorkDir(const std::string& dir);
  ~WorkDir();
  const std::string& path() const { return path_; }
  // A fresh, empty sub-directory for one system of one case.
  std::string Fresh(const std::string& name);
  // Removes a sub-directory made by Fresh (its data is no longer needed) and flushes the
  // page cache to disk, so that one system's leftover writeback does not land in the next
  // system's measurement.
  void Discard(const std::string& sub);

 private:
  std::string path_;
  bool owned_ = false;
};

// Flushes every dirty page of the machine to disk (sync(2)).
void QuiesceDisk();

// Waits (up to `timeout`) until the engine's search indexer has applied every event logged so
// far. A load leaves the indexer a whole catalog's events to work through in the background;
// measured before it has caught up, the engine's windows share the cores with that indexing,
// which no peer does (profiles showed Indexer::IndexProducts in 40-60% of the orders-place
// slice's samples and beside every catalog-get window). Logs how long the wait took.
Status WaitForIndexer(Engine& engine, const std::string& label, std::chrono::seconds timeout);

// The disk's durable-write latency right now, in ms: the median of 16 rounds of a 4 KiB
// pwrite at a random offset of a 1 MiB file in `dir` plus fdatasync (the file is removed
// after). Durable-write figures are bounded by it, and on a shared disk it drifts, so each
// point reports the value measured just before it.
double ProbeFsyncMs(const std::string& dir);

std::string FormatSeconds(double s);  // "5 s", "0.25 s"

// a / b, or 0 when b is 0: per-op and per-group figures of windows that did nothing.
double Div(double a, double b);
double Median(std::vector<double> v);
// "5 s" for a single round, "round 2/5, 1 s" for a slice of several: progress lines.
std::string SliceLabel(int rounds, int round, double seconds, double slice_seconds);
std::string FormatMs(double ms);      // "4.02 ms"

// The row fields every system of a case shares.
Row MakeRow(const std::string& suite, const std::string& case_name, const std::string& system,
            const std::string& driver, int threads, const TimedRunResult& r);

}  // namespace commerce::bench
