#include "latency.h"

#include <algorithm>
#include <cmath>

namespace commerce::bench {

LatencyRecorder::LatencyRecorder(int threads, size_t reserve_per_thread) : per_thread_(threads) {
  for (auto& s : per_thread_) s.ns.reserve(reserve_per_thread);
}

std::vector<uint64_t> LatencyRecorder::Take() {
  std::vector<uint64_t> all;
  size_t total = 0;
  for (auto& s : per_thread_) total += s.ns.size();
  all.reserve(total);
  for (auto& s : per_thread_) {
    all.insert(all.end(), s.ns.begin(), s.ns.end());
    std::vector<uint64_t>().swap(s.ns);
  }
  return all;
}

LatencySummary Summarize(std::vector<uint64_t>& all) {
  LatencySummary out;
  out.count = all.size();
  if (all.empty()) return out;
  std::sort(all.begin(), all.end());
  auto at = [&](double q) {
    // Nearest rank: the smallest sample with at least q of all samples at or below it.
    size_t rank = static_cast<size_t>(std::ceil(q * static_cast<double>(all.size())));
    rank = std::clamp<size_t>(rank, 1, all.size());
    return static_cast<double>(all[rank - 1]) / 1e6;
  };
  out.p50_ms = at(0.50);
  out.p90_ms = at(0.90);
  out.p99_ms = at(0.99);
  out.p999_ms = at(0.999);
  out.max_ms = static_cast<double>(all.back()) / 1e6;
  long double sum = 0;
  for (uint64_t v : all) sum += v;
  out.mean_ms = static_cast<double>(sum / all.size() / 1e6);
  return out;
}

}  // namespace commerce::bench
