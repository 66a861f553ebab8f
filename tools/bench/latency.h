// Latency recording for commerce-bench: every measured operation is timed with
// std::chrono::steady_clock (~20 ns a reading on Linux, negligible beside a storage call) and
// its duration kept as a nanosecond sample in a vector owned by the thread that ran it. After
// the run the vectors are merged and the exact percentiles taken: no bucketing error, at the
// cost of 8 bytes a sample (10 M samples = 80 MB, fine for runs of seconds).
//
// Thread safety: LatencyRecorder::For(t) hands thread t its own Samples; a Samples is used by
// one thread only while the run lasts. Take() runs after every thread has stopped.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace commerce::bench {

// One thread's samples. Padded to its own cache lines so that neighbours do not share one.
struct alignas(64) Samples {
  std::vector<uint64_t> ns;
  void add(uint64_t v) { ns.push_back(v); }
};

struct LatencySummary {
  uint64_t count = 0;
  double p50_ms = 0;
  double p90_ms = 0;
  double p99_ms = 0;
  double p999_ms = 0;
  double max_ms = 0;
  double mean_ms = 0;
};

class LatencyRecorder {
 public:
  // `reserve_per_thread` samples are allocated up front so that growth seldom happens while
  // measuring.
  LatencyRecorder(int threads, size_t reserve_per_thread);
  Samples& For(int thread) { return per_thread_[thread]; }
  // Every thread's samples in one vector (the recorder is left empty), unsorted.
  std::vector<uint64_t> Take();

 private:
  std::vector<Samples> per_thread_;
};

// Exact percentiles (nearest rank) of `samples`, which it sorts. Samples of several runs may
// be concatenated first: the percentiles are then those of all of them together.
LatencySummary Summarize(std::vector<uint64_t>& samples);

}  // namespace commerce::bench
