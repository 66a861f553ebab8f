#include "harness.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <thread>

namespace commerce::bench {

namespace fs = std::filesystem;

namespace {

int64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

void SleepFor(double seconds) {
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
}

uint64_t SplitMix(uint64_t* x) {
  uint64_t z = (*x += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

}  // namespace

bool BenchOptions::WantCase(std::string_view name) const {
  return cases.empty() || std::find(cases.begin(), cases.end(), name) != cases.end();
}

std::vector<SuiteInfo>& Suites() {
  static std::vector<SuiteInfo> suites;
  return suites;
}

// ---------------------------------------------------------------------------------------

TimedRunResult RunTimed(const TimedRunOptions& o, const WorkerFactory& factory) {
  // 0: warming up, 1: measuring, 2: stopping.
  std::atomic<int> phase{0};
  std::atomic<int> ready{0};
  std::atomic<bool> go{false};
  std::atomic<int> finished{0};
  LatencyRecorder recorder(o.threads, o.reserve_samples_per_thread);
  struct alignas(64) Counts {
    uint64_t ops = 0;
    uint64_t errors = 0;
    std::string first_error;
  };
  std::vector<Counts> counts(o.threads);

  std::vector<std::thread> workers;
  workers.reserve(o.threads);
  for (int t = 0; t < o.threads; ++t) {
    workers.emplace_back([&, t] {
      {
        Op op = factory(t);
        Samples& samples = recorder.For(t);
        Counts& c = counts[t];
        ready.fetch_add(1);
        while (!go.load(std::memory_order_acquire)) std::this_thread::yield();
        std::string error;
        for (;;) {
          if (phase.load(std::memory_order_relaxed) == 2) break;
          const auto start = std::chrono::steady_clock::now();
          const bool ok = op(&error);
          const auto end = std::chrono::steady_clock::now();
          if (!ok && c.first_error.empty()) c.first_error = error.empty() ? "unknown error" : error;
          if (phase.load(std::memory_order_relaxed) != 1) continue;
          if (ok) {
            ++c.ops;
            samples.add(static_cast<uint64_t>(
                std::chrono::duration_cast<std::chrono::nanoseconds>(end - start).count()));
          } else {
            ++c.errors;
          }
        }
      }  // the op (and its per-thread state) is destroyed here, on its own thread
      finished.fetch_add(1);
    });
  }
  while (ready.load() < o.threads) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  go.store(true, std::memory_order_release);
  SleepFor(o.warmup_s);
  if (o.on_measure_start) o.on_measure_start();
  const int64_t t0 = NowNs();
  phase.store(1);
  SleepFor(o.seconds);
  phase.store(2);
  const int64_t t1 = NowNs();
  if (o.on_measure_end) o.on_measure_end();

  const int64_t deadline = NowNs() + static_cast<int64_t>(o.hang_timeout_s * 1e9);
  while (finished.load() < o.threads) {
    if (NowNs() > deadline) {
      std::fprintf(stderr,
                   "commerce-bench: HANG: %d of %d worker threads still inside an operation %.0f s "
                   "after the measured window closed; exiting\n",
                   o.threads - finished.load(), o.threads, o.hang_timeout_s);
      std::fflush(stderr);
      std::_Exit(3);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  for (auto& w : workers) w.join();

  TimedRunResult r;
  r.seconds = static_cast<double>(t1 - t0) / 1e9;
  for (const auto& c : counts) {
    r.ops += c.ops;
    r.errors += c.errors;
    if (r.first_error.empty() && !c.first_error.empty()) r.first_error = c.first_error;
  }
  r.ops_per_s = r.seconds > 0 ? static_cast<double>(r.ops) / r.seconds : 0;
  r.samples_ns = recorder.Take();
  r.latency = Summarize(r.samples_ns);
  return r;
}

void Accumulate(TimedRunResult* total, TimedRunResult slice) {
  total->ops += slice.ops;
  total->errors += slice.errors;
  if (total->first_error.empty()) total->first_error = std::move(slice.first_error);
  total->seconds += slice.seconds;
  total->ops_per_s = total->seconds > 0 ? static_cast<double>(total->ops) / total->seconds : 0;
  if (total->samples_ns.empty()) {
    total->samples_ns = std::move(slice.samples_ns);
  } else {
    total->samples_ns.insert(total->samples_ns.end(), slice.samples_ns.begin(), slice.samples_ns.end());
  }
  total->latency = Summarize(total->samples_ns);
}

// ---------------------------------------------------------------------------------------

Rng::Rng(uint64_t seed) {
  for (auto& s : s_) s = SplitMix(&seed);
}

uint64_t Rng::next() {
  auto rotl = [](uint64_t x, int k) { return (x << k) | (x >> (64 - k)); };
  const uint64_t result = rotl(s_[1] * 5, 7) * 9;
  const uint64_t t = s_[1] << 17;
  s_[2] ^= s_[0];
  s_[3] ^= s_[1];
  s_[1] ^= s_[2];
  s_[0] ^= s_[3];
  s_[2] ^= t;
  s_[3] = rotl(s_[3], 45);
  return result;
}

uint64_t SeedFor(std::string_view case_name, int thread) {
  uint64_t h = 1469598103934665603ull;  // FNV-1a of the case name, then the thread
  for (char c : case_name) h = (h ^ static_cast<unsigned char>(c)) * 1099511628211ull;
  return h ^ (static_cast<uint64_t>(thread) * 0x9e3779b97f4a7c15ull);
}

void RecordKey(uint64_t i, std::string* out) {
  char buf[32];
  int n = std::snprintf(buf, sizeof buf, "bench:%010llu", static_cast<unsigned long long>(i));
  out->assign(buf, static_cast<size_t>(n));
}

std::string RecordKey(uint64_t i) {
  std::string k;
  RecordKey(i, &k);
  return k;
}

void FillValue(Rng& rng, size_t n, std::string* out) {
  out->resize(n);
  for (size_t i = 0; i < n; i += 8) {
    uint64_t v = rng.next();
    std::memcpy(out->data() + i, &v, std::min<size_t>(8, n - i));
  }
}

// ---------------------------------------------------------------------------------------

Progress::Progress(std::string what, uint64_t total)
    : what_(std::move(what)), total_(total), start_ns_(NowNs()), last_print_ns_(0),
      tty_(isatty(STDERR_FILENO) != 0) {
  Update(0);
}

void Progress::Update(uint64_t done) {
  const int percent = total_ ? static_cast<int>(done * 100 / total_) : 100;
  const int64_t now = NowNs();
  if (last_percent_ >= 0 && percent < last_percent_ + 5 && now - last_print_ns_ < 2'000'000'000)
    return;
  last_percent_ = percent;
  last_print_ns_ = now;
  std::fprintf(stderr, tty_ ? "\r%s... %d%%   " : "%s... %d%%\n", what_.c_str(), percent);
  std::fflush(stderr);
}

double Progress::Done(uint64_t done) {
  const double s = static_cast<double>(NowNs() - start_ns_) / 1e9;
  const double rate = s > 0 ? static_cast<double>(done) / s : 0;
  std::fprintf(stderr, tty_ ? "\r%s... done: %llu in %.1f s (%.0f/s)\n"
                            : "%s... done: %llu in %.1f s (%.0f/s)\n",
               what_.c_str(), static_cast<unsigned long long>(done), s, rate);
  std::fflush(stderr);
  return rate;
}

void Log(const std::string& line) {
  std::fprintf(stderr, "%s\n", line.c_str());
  std::fflush(stderr);
}

// ---------------------------------------------------------------------------------------

WorkDir::WorkDir(const std::string& dir) {
  if (dir.empty()) {
    std::string tmpl = (fs::temp_directory_path() / "commerce-bench-XXXXXX").string();
    if (!mkdtemp(tmpl.data())) {
      std::perror("commerce-bench: mkdtemp");
      std::exit(1);
    }
    path_ = tmpl;
    owned_ = true;
  } else {
    path_ = dir;
    fs::create_directories(path_);
  }
}

WorkDir::~WorkDir() {
  std::error_code ec;
  if (owned_) fs::remove_all(path_, ec);
}

std::string WorkDir::Fresh(const std::string& name) {
  fs::path p = fs::path(path_) / name;
  std::error_code ec;
  fs::remove_all(p, ec);
  fs::create_directories(p);
  return p.string();
}

void WorkDir::Discard(const std::string& sub) {
  std::error_code ec;
  fs::remove_all(sub, ec);
  QuiesceDisk();
}

void QuiesceDisk() { ::sync(); }

Status WaitForIndexer(Engine& engine, const std::string& label, std::chrono::seconds timeout) {
  const auto start = std::chrono::steady_clock::now();
  auto last = engine.events().last_seq();
  if (!last.ok()) return last.status();
  COMMERCE_RETURN_IF_ERROR(engine.search().wait_for(*last, timeout));
  Log(label + ": search index caught up with the load in " +
      FormatSeconds(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count()));
  return Status::OK();
}

double ProbeFsyncMs(const std::string& dir) {
  constexpr size_t kFileBytes = 1 << 20;
  constexpr size_t kBlock = 4096;
  constexpr int kRounds = 16;
  const std::string path = dir + "/fsync-probe";
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return -1;
  std::string block(kBlock, 'p');
  bool ok = true;
  for (size_t off = 0; ok && off < kFileBytes; off += kBlock)
    ok = ::pwrite(fd, block.data(), kBlock, static_cast<off_t>(off)) == static_cast<ssize_t>(kBlock);
  ok = ok && ::fsync(fd) == 0;
  std::vector<double> ms;
  Rng rng(SeedFor("fsync-probe", 0));
  for (int i = 0; ok && i < kRounds; ++i) {
    const auto off = static_cast<off_t>(rng.uniform(kFileBytes / kBlock) * kBlock);
    const int64_t start = NowNs();
    ok = ::pwrite(fd, block.data(), kBlock, off) == static_cast<ssize_t>(kBlock) && ::fdatasync(fd) == 0;
    ms.push_back(static_cast<double>(NowNs() - start) / 1e6);
  }
  ::close(fd);
  ::unlink(path.c_str());
  if (!ok || ms.empty()) return -1;
  std::sort(ms.begin(), ms.end());
  return ms[ms.size() / 2];
}

std::string FormatSeconds(double s) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g s", s);
  return buf;
}

std::string FormatMs(double ms) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f ms", ms);
  return buf;
}

Row MakeRow(const std::string& suite, const std::string& case_name, const std::string& system,
            const std::string& driver, int threads, const TimedRunResult& r) {
  Row row;
  row.suite = suite;
  row.case_name = case_name;
  row.system = system;
  row.driver = driver;
  row.threads = threads;
  row.ops_per_s = r.ops_per_s;
  row.p50_ms = r.latency.p50_ms;
  row.p99_ms = r.latency.p99_ms;
  row.add("p999_ms", r.latency.p999_ms);
  row.add("max_ms", r.latency.max_ms);
  row.add("ops", r.ops);
  row.add("seconds", r.seconds);
  if (r.errors) {
    row.add("errors", r.errors);
    row.add("first_error", r.first_error);
  }
  return row;
}

double Div(double a, double b) { return b > 0 ? a / b : 0; }

double Median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

std::string SliceLabel(int rounds, int round, double seconds, double slice_seconds) {
  if (rounds == 1) return FormatSeconds(seconds);
  return "round " + std::to_string(round + 1) + "/" + std::to_string(rounds) + ", " +
         FormatSeconds(slice_seconds);
}

}  // namespace commerce::bench
