// Resilience of every call the engine makes to another process (the Redis cache, the NATS
// broker, search shard servers): a deadline per call, retries with jittered backoff inside a
// retry budget, a circuit breaker per endpoint with half-open probing, and latency figures
// per endpoint for /metrics (docs/scaling.md, "When a part fails").
//
//   commerce::Endpoint redis("redis 127.0.0.1:6379", {.deadline = std::chrono::milliseconds(50)});
//   Status s = redis.call([&](const commerce::Deadline& d) { return Get(key, d.remaining()); });
//   // s: the attempt's own status, or Unavailable at once while the breaker is open, or
//   // DeadlineExceeded once the deadline passed.
//
// Why each part:
// - a deadline bounds what one caller waits, whatever the remote does;
// - retries recover from a blip, but unbounded retries multiply the load on a sick server
//   (every caller retrying triples its traffic just when it is slowest): the budget lets
//   retries add at most `budget_ratio` of the first tries (plus a small floor), so a dead
//   server sees about the traffic it saw before, not three times it;
// - the breaker stops calling an endpoint that keeps failing, so callers fail in
//   microseconds instead of waiting out a deadline each, and the endpoint gets room to come
//   back; after `open_for` one probe call at a time is let through (half-open): a success
//   closes the breaker, a failure opens it again.
//
// What counts as a failure of the endpoint: Unavailable, DeadlineExceeded, ResourceExhausted,
// Internal and Corruption. Other codes (NotFound, InvalidArgument, ...) are answers: the
// endpoint worked. Only Unavailable and DeadlineExceeded are retried.
//
// Thread safety: an Endpoint is safe to use from any number of threads. Every Endpoint alive
// in the process is listed by AllEndpointStats() (the server's /metrics).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "commerce/export.h"
#include "commerce/status.h"

namespace commerce {

struct RetryOptions {
  // Tries per call, the first included: 1 means no retry.
  int max_attempts = 2;
  // Backoff before retry n (1, 2, ...) is uniform in [0, min(max_backoff, backoff * 2^(n-1))]
  // ("full jitter"), cut to what remains of the deadline: callers that failed together do
  // not come back together.
  std::chrono::milliseconds backoff{5};
  std::chrono::milliseconds max_backoff{100};
  // Retries may add at most this fraction of the first tries (a token per first try times
  // the ratio, one token per retry, at most 100 tokens saved up)...
  double budget_ratio = 0.1;
  // ...plus this many retries a second whatever the ratio, so that a quiet endpoint still
  // retries its rare blip.
  int budget_floor_per_s = 10;
};

struct BreakerOptions {
  // Consecutive failures that open the breaker. 0: never opens.
  int failure_threshold = 5;
  // How long an open breaker refuses calls before letting one probe through.
  std::chrono::milliseconds open_for{1000};
};

struct EndpointOptions {
  // The deadline of one call, retries and backoffs included.
  std::chrono::milliseconds deadline{250};
  RetryOptions retry;
  BreakerOptions breaker;
};

enum class BreakerState { kClosed, kOpen, kHalfOpen };
// "closed", "open", "half_open".
COMMERCE_EXPORT const char* ToString(BreakerState state);

// A point in time a call must end by.
class Deadline {
 public:
  using Clock = std::chrono::steady_clock;
  explicit Deadline(Clock::time_point at) : at_(at) {}
  static Deadline After(std::chrono::milliseconds d) { return Deadline(Clock::now() + d); }
  Clock::time_point at() const { return at_; }
  bool expired() const { return Clock::now() >= at_; }
  // What is left, never negative.
  std::chrono::milliseconds remaining() const {
    auto left = std::chrono::ceil<std::chrono::milliseconds>(at_ - Clock::now());
    return left.count() > 0 ? left : std::chrono::milliseconds(0);
  }

 private:
  Clock::time_point at_;
};

struct EndpointStats {
  std::string name;
  BreakerState state = BreakerState::kClosed;
  uint64_t calls = 0;            // calls made with call() or admitted by admit()
  uint64_t failures = 0;         // attempts that failed (see above)
  uint64_t retries = 0;          // attempts after the first
  uint64_t retries_denied = 0;   // retries the budget refused
  uint64_t rejected = 0;         // calls refused at once by the open breaker
  uint64_t deadline_exceeded = 0;  // calls that ended past their deadline
  uint64_t opened = 0;           // times the breaker opened
  // Latency of attempts (successful or not), over the last 1024: for the P50/P99; and the
  // count and sum over every attempt, for a Prometheus summary.
  double latency_p50_ms = 0, latency_p99_ms = 0;
  uint64_t latency_count = 0;
  double latency_sum_ms = 0;
};

class COMMERCE_EXPORT Endpoint {
 public:
  // `name` labels the endpoint in errors and /metrics ("redis 127.0.0.1:6379").
  explicit Endpoint(std::string name, EndpointOptions options = {});
  ~Endpoint();
  Endpoint(const Endpoint&) = delete;
  Endpoint& operator=(const Endpoint&) = delete;

  // Runs `attempt` until it returns something other than a retryable failure, within the
  // deadline, the attempts and the budget. `attempt` gets the call's Deadline and must not
  // block past it. Returns the last attempt's status; Unavailable("<name>: circuit open ...")
  // without calling while the breaker is open (or a probe is already out); DeadlineExceeded
  // when the deadline passed, whatever the attempt returned.
  Status call(const std::function<Status(const Deadline&)>& attempt);

  // For callers that run their own remote call (Xapian's remote backend keeps its own
  // connection and timeouts): admit() says whether a call may go out now (false while the
  // breaker refuses; counted as rejected), and record() reports how the admitted call went.
  // Every admit() that returned true must be followed by one record().
  bool admit();
  void record(const Status& outcome, std::chrono::steady_clock::duration latency);

  BreakerState state() const;
  EndpointStats stats() const;
  const std::string& name() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// The stats of every Endpoint alive in this process, in creation order.
COMMERCE_EXPORT std::vector<EndpointStats> AllEndpointStats();

// True for the codes an endpoint is blamed for (see above).
COMMERCE_EXPORT bool IsEndpointFailure(const Status& s);

}  // namespace commerce
