// Endpoint (include/commerce/resilience.h): the breaker, the retry budget and the latency
// window of one remote endpoint, and the process-wide list of endpoints for /metrics.
#include <algorithm>
#include <array>
#include <mutex>
#include <random>
#include <thread>

#include "commerce/resilience.h"

namespace commerce {

namespace {

using Clock = std::chrono::steady_clock;

// Every live Endpoint, for AllEndpointStats(). Endpoints register in their constructor and
// leave in their destructor, under the same mutex that stats() reads them under.
struct Registry {
  std::mutex mu;
  std::vector<const Endpoint*> endpoints;
};
Registry& registry() {
  static Registry* r = new Registry;  // never destroyed: endpoints may outlive static teardown
  return *r;
}

double Ms(Clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

}  // namespace

const char* ToString(BreakerState state) {
  switch (state) {
    case BreakerState::kClosed: return "closed";
    case BreakerState::kOpen: return "open";
    case BreakerState::kHalfOpen: return "half_open";
  }
  return "?";
}

bool IsEndpointFailure(const Status& s) {
  return s.IsUnavailable() || s.IsDeadlineExceeded() || s.IsResourceExhausted() ||
         s.IsInternal() || s.IsCorruption();
}

struct Endpoint::Impl {
  std::string name;
  EndpointOptions options;

  mutable std::mutex mu;
  BreakerState state = BreakerState::kClosed;  // kOpen until opened_at + open_for
  int consecutive_failures = 0;
  Clock::time_point opened_at;
  bool probe_out = false;  // half-open: the one probe is in flight

  // The retry budget: tokens earned by first tries, spent by retries; and the floor's
  // per-second allowance.
  double tokens = 0;
  Clock::time_point floor_window;
  int floor_used = 0;

  EndpointStats stats;
  std::array<float, 1024> window{};  // latencies in ms, a ring
  size_t window_used = 0, window_next = 0;

  std::mt19937_64 rng{std::random_device{}()};

  // Breaker admission, under mu. Counts a rejection.
  bool AdmitLocked(Clock::time_point now) {
    if (state == BreakerState::kOpen) {
      if (now - opened_at < options.breaker.open_for) {
        ++stats.rejected;
        return false;
      }
      state = BreakerState::kHalfOpen;
      probe_out = false;
    }
    if (state == BreakerState::kHalfOpen) {
      if (probe_out) {
        ++stats.rejected;
        return false;
      }
      probe_out = true;
    }
    return true;
  }

  void RecordLocked(const Status& outcome, Clock::duration latency, Clock::time_point now) {
    double ms = Ms(latency);
    window[window_next] = static_cast<float>(ms);
    window_next = (window_next + 1) % window.size();
    window_used = std::min(window_used + 1, window.size());
    ++stats.latency_count;
    stats.latency_sum_ms += ms;
    if (IsEndpointFailure(outcome)) {
      ++stats.failures;
      ++consecutive_failures;
      bool trip = state == BreakerState::kHalfOpen ||
                  (options.breaker.failure_threshold > 0 &&
                   consecutive_failures >= options.breaker.failure_threshold &&
                   state == BreakerState::kClosed);
      if (trip) {
        state = BreakerState::kOpen;
        opened_at = now;
        ++stats.opened;
      }
    } else {
      consecutive_failures = 0;
      if (state == BreakerState::kHalfOpen) state = BreakerState::kClosed;
    }
    probe_out = false;
  }

  // May this call retry? Spends a token, or the floor's allowance for this second.
  bool SpendRetryLocked(Clock::time_point now) {
    if (tokens >= 1) {
      tokens -= 1;
      return true;
    }
    if (now - floor_window >= std::chrono::seconds(1)) {
      floor_window = now;
      floor_used = 0;
    }
    if (floor_used < options.retry.budget_floor_per_s) {
      ++floor_used;
      return true;
    }
    ++stats.retries_denied;
    return false;
  }
};

Endpoint::Endpoint(std::string name, EndpointOptions options) : impl_(new Impl) {
  impl_->name = std::move(name);
  impl_->options = options;
  impl_->stats.name = impl_->name;
  Registry& r = registry();
  std::lock_guard lock(r.mu);
  r.endpoints.push_back(this);
}

Endpoint::~Endpoint() {
  Registry& r = registry();
  std::lock_guard lock(r.mu);
  r.endpoints.erase(std::remove(r.endpoints.begin(), r.endpoints.end(), this), r.endpoints.end());
}

const std::string& Endpoint::name() const { return impl_->name; }

bool Endpoint::admit() {
  std::lock_guard lock(impl_->mu);
  if (!impl_->AdmitLocked(Clock::now())) return false;
  ++impl_->stats.calls;
  return true;
}

void Endpoint::record(const Status& outcome, Clock::duration latency) {
  std::lock_guard lock(impl_->mu);
  if (outcome.IsDeadlineExceeded()) ++impl_->stats.deadline_exceeded;
  impl_->RecordLocked(outcome, latency, Clock::now());
}

Status Endpoint::call(const std::function<Status(const Deadline&)>& attempt) {
  Impl& m = *impl_;
  const Deadline deadline = Deadline::After(m.options.deadline);
  const int max_attempts = std::max(1, m.options.retry.max_attempts);
  Status last;
  for (int n = 1;; ++n) {
    {
      std::lock_guard lock(m.mu);
      Clock::time_point now = Clock::now();
      if (!m.AdmitLocked(now)) {
        if (n > 1) return last;  // the breaker opened under this call's own retries
        return Status::Unavailable(m.name + ": circuit open after repeated failures; retry in " +
                                   std::to_string(m.options.breaker.open_for.count()) + " ms");
      }
      if (n == 1) {
        ++m.stats.calls;
        m.tokens = std::min(100.0, m.tokens + m.options.retry.budget_ratio);
      } else {
        ++m.stats.retries;
      }
    }
    Clock::time_point start = Clock::now();
    last = attempt(deadline);
    Clock::time_point end = Clock::now();
    if (end >= deadline.at() && last.ok() == false && !last.IsDeadlineExceeded() &&
        IsEndpointFailure(last))
      last = Status::DeadlineExceeded(m.name + ": no answer within " +
                                      std::to_string(m.options.deadline.count()) + " ms (" +
                                      last.message() + ")");
    std::chrono::milliseconds pause{0};
    {
      std::lock_guard lock(m.mu);
      m.RecordLocked(last, end - start, end);
      bool retryable = last.IsUnavailable() || last.IsDeadlineExceeded();
      if (!retryable || n >= max_attempts || end >= deadline.at() ||
          m.state != BreakerState::kClosed || !m.SpendRetryLocked(end)) {
        if (last.IsDeadlineExceeded() || end >= deadline.at()) ++m.stats.deadline_exceeded;
        return last;
      }
      auto cap = std::min(m.options.retry.max_backoff,
                          m.options.retry.backoff * (int64_t{1} << std::min(n - 1, 20)));
      std::uniform_int_distribution<int64_t> jitter(0, std::max<int64_t>(0, cap.count()));
      pause = std::min(std::chrono::milliseconds(jitter(m.rng)), deadline.remaining());
    }
    if (pause.count() > 0) std::this_thread::sleep_for(pause);
    if (deadline.expired()) {
      std::lock_guard lock(m.mu);
      ++m.stats.deadline_exceeded;
      return Status::DeadlineExceeded(m.name + ": no answer within " +
                                      std::to_string(m.options.deadline.count()) + " ms (" +
                                      last.message() + ")");
    }
  }
}

BreakerState Endpoint::state() const {
  std::lock_guard lock(impl_->mu);
  // An open breaker past open_for is about to let a probe through: say so.
  if (impl_->state == BreakerState::kOpen &&
      Clock::now() - impl_->opened_at >= impl_->options.breaker.open_for)
    return BreakerState::kHalfOpen;
  return impl_->state;
}

EndpointStats Endpoint::stats() const {
  EndpointStats s;
  std::vector<float> window;
  {
    std::lock_guard lock(impl_->mu);
    s = impl_->stats;
    window.assign(impl_->window.begin(), impl_->window.begin() + impl_->window_used);
  }
  s.state = state();
  if (!window.empty()) {
    auto at = [&](double q) {
      size_t i = std::min(window.size() - 1, static_cast<size_t>(q * window.size()));
      std::nth_element(window.begin(), window.begin() + i, window.end());
      return static_cast<double>(window[i]);
    };
    s.latency_p50_ms = at(0.50);
    s.latency_p99_ms = at(0.99);
  }
  return s;
}

std::vector<EndpointStats> AllEndpointStats() {
  Registry& r = registry();
  std::lock_guard lock(r.mu);
  std::vector<EndpointStats> out;
  out.reserve(r.endpoints.size());
  for (const Endpoint* e : r.endpoints) out.push_back(e->stats());
  return out;
}

}  // namespace commerce
