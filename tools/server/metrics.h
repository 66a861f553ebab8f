// Prometheus metrics of the reference server (GET /metrics, text format 0.0.4).
//
// Per route (the route's pattern, "GET /v1/products/{id}"): request counts by status and a
// latency histogram. Each loop records into its own shard, so recording never contends
// across loops; a scrape merges the shards. The engine's own figures (group sizes, index
// lag, cache hit rate) are read at scrape time by the caller and appended.
//
// Thread safety: Record(shard, ...) from shard's loop thread (or a pool thread finishing one
// of its requests); Render from any thread.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace commerce::server {

inline constexpr std::array<double, 14> kLatencyBuckets = {
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};

class Metrics {
 public:
  // `routes`: the label of each route index; the last is used for requests no route took.
  Metrics(int shards, std::vector<std::string> routes);

  void Record(int shard, int route, int status, double seconds);
  std::string Render() const;  // the HTTP part; the caller appends the engine part

  std::atomic<int64_t> connections{0};
  std::atomic<uint64_t> connections_total{0};
  std::atomic<uint64_t> connections_rejected{0};
  std::atomic<int64_t> in_flight{0};
  // Engine calls handed to the pool and not finished (load shedding's measure), and the
  // requests shed for it (--max-queued).
  std::atomic<int64_t> pool_queued{0};
  std::atomic<uint64_t> shed{0};
  std::atomic<uint64_t> rate_limited{0};
  std::atomic<uint64_t> timeouts{0};
  std::atomic<uint64_t> bad_requests{0};
  // Server-Sent Events streams of the event log (GET /v1/events/stream): open now, and those
  // dropped because their client stopped reading (--stream-stall-ms).
  std::atomic<int64_t> event_streams{0};
  std::atomic<uint64_t> event_streams_dropped{0};

 private:
  struct RouteStats {
    std::map<int, uint64_t> by_status;
    std::array<uint64_t, kLatencyBuckets.size() + 1> buckets{};
    double sum = 0;
    uint64_t count = 0;
  };
  struct Shard {
    mutable std::mutex mu;
    std::vector<RouteStats> routes;
  };
  std::vector<std::string> names_;
  std::vector<std::unique_ptr<Shard>> shards_;
};

}  // namespace commerce::server
