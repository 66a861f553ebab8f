#include "metrics.h"

#include <cstdio>

namespace commerce::server {

Metrics::Metrics(int shards, std::vector<std::string> routes) : names_(std::move(routes)) {
  for (int i = 0; i < shards; ++i) {
    auto s = std::make_unique<Shard>();
    s->routes.resize(names_.size());
    shards_.push_back(std::move(s));
  }
}

void Metrics::Record(int shard, int route, int status, double seconds) {
  auto& s = *shards_[static_cast<size_t>(shard) % shards_.size()];
  std::lock_guard<std::mutex> lock(s.mu);
  auto& r = s.routes[static_cast<size_t>(route)];
  ++r.by_status[status];
  size_t b = 0;
  while (b < kLatencyBuckets.size() && seconds > kLatencyBuckets[b]) ++b;
  ++r.buckets[b];
  r.sum += seconds;
  ++r.count;
}

namespace {
std::string Escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '\\' || c == '"') out += '\\';
    out += c;
  }
  return out;
}
}  // namespace

std::string Metrics::Render() const {
  std::vector<RouteStats> total(names_.size());
  for (const auto& s : shards_) {
    std::lock_guard<std::mutex> lock(s->mu);
    for (size_t i = 0; i < names_.size(); ++i) {
      const auto& r = s->routes[i];
      for (const auto& [st, n] : r.by_status) total[i].by_status[st] += n;
      for (size_t b = 0; b < r.buckets.size(); ++b) total[i].buckets[b] += r.buckets[b];
      total[i].sum += r.sum;
      total[i].count += r.count;
    }
  }
  std::string out;
  char buf[512];
  out += "# HELP commerce_http_requests_total HTTP requests answered, by route and status.\n";
  out += "# TYPE commerce_http_requests_total counter\n";
  for (size_t i = 0; i < names_.size(); ++i)
    for (const auto& [st, n] : total[i].by_status) {
      std::snprintf(buf, sizeof buf, "commerce_http_requests_total{route=\"%s\",status=\"%d\"} %llu\n",
                    Escape(names_[i]).c_str(), st, static_cast<unsigned long long>(n));
      out += buf;
    }
  out += "# HELP commerce_http_request_duration_seconds Time from a request's first byte to its response.\n";
  out += "# TYPE commerce_http_request_duration_seconds histogram\n";
  for (size_t i = 0; i < names_.size(); ++i) {
    if (total[i].count == 0) continue;
    std::string route = Escape(names_[i]);
    uint64_t cum = 0;
    for (size_t b = 0; b < kLatencyBuckets.size(); ++b) {
      cum += total[i].buckets[b];
      std::snprintf(buf, sizeof buf,
                    "commerce_http_request_duration_seconds_bucket{route=\"%s\",le=\"%g\"} %llu\n",
                    route.c_str(), kLatencyBuckets[b], static_cast<unsigned long long>(cum));
      out += buf;
    }
    std::snprintf(buf, sizeof buf,
                  "commerce_http_request_duration_seconds_bucket{route=\"%s\",le=\"+Inf\"} %llu\n"
                  "commerce_http_request_duration_seconds_sum{route=\"%s\"} %.6f\n"
                  "commerce_http_request_duration_seconds_count{route=\"%s\"} %llu\n",
                  route.c_str(), static_cast<unsigned long long>(total[i].count), route.c_str(),
                  total[i].sum, route.c_str(), static_cast<unsigned long long>(total[i].count));
    out += buf;
  }
  auto gauge = [&](const char* name, const char* type, const char* help, double v) {
    std::snprintf(buf, sizeof buf, "# HELP %s %s\n# TYPE %s %s\n%s %.17g\n", name, help, name, type,
                  name, v);
    out += buf;
  };
  gauge("commerce_http_connections", "gauge", "Open client connections.",
        static_cast<double>(connections.load()));
  gauge("commerce_http_connections_total", "counter", "Connections accepted.",
        static_cast<double>(connections_total.load()));
  gauge("commerce_http_connections_rejected_total", "counter",
        "Connections closed at once: max_connections reached.",
        static_cast<double>(connections_rejected.load()));
  gauge("commerce_http_requests_in_flight", "gauge", "Requests being handled.",
        static_cast<double>(in_flight.load()));
  gauge("commerce_http_rate_limited_total", "counter", "Requests refused with 429 by a key's bucket.",
        static_cast<double>(rate_limited.load()));
  gauge("commerce_http_timeouts_total", "counter",
        "Connections closed for a request that did not arrive in time (408).",
        static_cast<double>(timeouts.load()));
  gauge("commerce_http_bad_requests_total", "counter",
        "Requests refused before routing: malformed HTTP, too large.",
        static_cast<double>(bad_requests.load()));
  gauge("commerce_http_event_streams", "gauge", "Open event streams (GET /v1/events/stream).",
        static_cast<double>(event_streams.load()));
  gauge("commerce_http_event_streams_dropped_total", "counter",
        "Event streams closed because their client stopped reading (--stream-stall-ms).",
        static_cast<double>(event_streams_dropped.load()));
  return out;
}

}  // namespace commerce::server
