// Tests for include/commerce/resilience.h (src/remote/endpoint.cpp): the breaker opens after
// its threshold, refuses without calling, lets one probe through after open_for and closes on
// its success or opens again on its failure; the retry budget caps retries under a sustained
// outage; the deadline bounds a call whatever its attempts do; caller errors are answers, not
// failures; stats and the process-wide list.
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include "commerce/resilience.h"

namespace remote_endpoint_test {

using commerce::BreakerState;
using commerce::Deadline;
using commerce::Endpoint;
using commerce::EndpointOptions;
using commerce::Status;
using namespace std::chrono_literals;

namespace {

EndpointOptions NoRetry() {
  EndpointOptions o;
  o.retry.max_attempts = 1;
  o.breaker.failure_threshold = 3;
  o.breaker.open_for = 300ms;  // long beside a loaded machine's pauses between two statements
  return o;
}

}  // namespace

TEST_CASE("breaker opens after consecutive failures and refuses without calling",
          "[remote][breaker]") {
  Endpoint e("test breaker", NoRetry());
  int calls = 0;
  auto failing = [&](const Deadline&) { ++calls; return Status::Unavailable("down"); };
  for (int i = 0; i < 3; ++i) CHECK(e.call(failing).IsUnavailable());
  CHECK(calls == 3);
  CHECK(e.state() == BreakerState::kOpen);
  auto start = std::chrono::steady_clock::now();
  Status s = e.call(failing);
  CHECK(s.IsUnavailable());
  CHECK(s.message().find("circuit open") != std::string::npos);
  CHECK(calls == 3);  // not called
  CHECK(std::chrono::steady_clock::now() - start < 100ms);  // no deadline waited out
  auto st = e.stats();
  CHECK(st.opened == 1);
  CHECK(st.rejected == 1);
  CHECK(st.failures == 3);
}

TEST_CASE("a success resets the count of consecutive failures", "[remote][breaker]") {
  Endpoint e("test reset", NoRetry());
  auto fail = [](const Deadline&) { return Status::Unavailable("down"); };
  auto ok = [](const Deadline&) { return Status::OK(); };
  for (int round = 0; round < 5; ++round) {
    (void)e.call(fail);
    (void)e.call(fail);
    CHECK(e.call(ok).ok());
  }
  CHECK(e.state() == BreakerState::kClosed);
  CHECK(e.stats().opened == 0);
}

TEST_CASE("half-open lets one probe through, success closes, failure reopens",
          "[remote][breaker]") {
  Endpoint e("test half-open", NoRetry());
  auto fail = [](const Deadline&) { return Status::Unavailable("down"); };
  for (int i = 0; i < 3; ++i) (void)e.call(fail);
  REQUIRE(e.state() == BreakerState::kOpen);
  std::this_thread::sleep_for(350ms);
  CHECK(e.state() == BreakerState::kHalfOpen);

  SECTION("a failed probe opens it again for another open_for") {
    int calls = 0;
    CHECK(e.call([&](const Deadline&) { ++calls; return Status::Unavailable("still down"); })
              .IsUnavailable());
    CHECK(calls == 1);
    CHECK(e.state() == BreakerState::kOpen);
    CHECK(e.call([&](const Deadline&) { ++calls; return Status::OK(); }).IsUnavailable());
    CHECK(calls == 1);
    CHECK(e.stats().opened == 2);
  }
  SECTION("while the probe is out, other calls are refused; its success closes") {
    std::atomic<bool> probing{false}, release{false};
    Status probed;  // checked after the join: Catch2's assertions are not thread-safe
    std::thread probe([&] {
      probed = e.call([&](const Deadline&) {
        probing = true;
        while (!release) std::this_thread::sleep_for(1ms);
        return Status::OK();
      });
    });
    while (!probing) std::this_thread::sleep_for(1ms);
    int calls = 0;
    CHECK(e.call([&](const Deadline&) { ++calls; return Status::OK(); }).IsUnavailable());
    CHECK(calls == 0);
    release = true;
    probe.join();
    CHECK(probed.ok());
    CHECK(e.state() == BreakerState::kClosed);
    CHECK(e.call([&](const Deadline&) { ++calls; return Status::OK(); }).ok());
    CHECK(calls == 1);
  }
}

TEST_CASE("caller errors are answers: they neither open the breaker nor retry",
          "[remote][breaker]") {
  EndpointOptions o = NoRetry();
  o.retry.max_attempts = 3;
  Endpoint e("test answers", o);
  int calls = 0;
  for (int i = 0; i < 10; ++i)
    CHECK(e.call([&](const Deadline&) { ++calls; return Status::NotFound("no key"); })
              .IsNotFound());
  CHECK(calls == 10);
  CHECK(e.state() == BreakerState::kClosed);
  CHECK(e.stats().failures == 0);
}

TEST_CASE("a blip is retried and the call succeeds", "[remote][retry]") {
  EndpointOptions o;
  o.retry.max_attempts = 3;
  o.retry.backoff = 1ms;
  Endpoint e("test blip", o);
  int calls = 0;
  Status s = e.call([&](const Deadline&) {
    return ++calls < 3 ? Status::Unavailable("blip") : Status::OK();
  });
  CHECK(s.ok());
  CHECK(calls == 3);
  CHECK(e.stats().retries == 2);
}

TEST_CASE("the retry budget caps retries during a sustained outage", "[remote][retry]") {
  EndpointOptions o;
  o.retry.max_attempts = 3;
  o.retry.backoff = 0ms;
  o.retry.max_backoff = 0ms;
  o.retry.budget_ratio = 0.1;
  o.retry.budget_floor_per_s = 5;
  o.breaker.failure_threshold = 0;  // keep calling: this test is about the budget alone
  Endpoint e("test budget", o);
  int attempts = 0;
  const int calls = 1000;
  for (int i = 0; i < calls; ++i)
    (void)e.call([&](const Deadline&) { ++attempts; return Status::Unavailable("down"); });
  auto st = e.stats();
  // Unbounded, 1000 calls of 3 attempts would be 3000; the budget allows ~10% plus the floor
  // (the loop takes well under the seconds it would need to earn a second floor's worth).
  CHECK(attempts <= calls + calls / 10 + 2 * o.retry.budget_floor_per_s + 1);
  CHECK(attempts > calls);  // but some retries were made
  CHECK(st.retries == static_cast<uint64_t>(attempts - calls));
  CHECK(st.retries_denied > 0);
}

TEST_CASE("the deadline bounds a call whatever its attempts do", "[remote][deadline]") {
  EndpointOptions o;
  o.deadline = 50ms;
  o.retry.max_attempts = 100;
  o.retry.backoff = 5ms;
  o.retry.budget_floor_per_s = 1000;
  o.breaker.failure_threshold = 0;
  Endpoint e("test deadline", o);
  int calls = 0;
  auto start = std::chrono::steady_clock::now();
  Status s = e.call([&](const Deadline& d) {
    ++calls;
    // A well-behaved attempt waits no longer than what remains.
    std::this_thread::sleep_for(std::min<std::chrono::milliseconds>(d.remaining(), 20ms));
    return Status::Unavailable("slow and failing");
  });
  auto took = std::chrono::steady_clock::now() - start;
  CHECK(s.IsDeadlineExceeded());
  CHECK(s.message().find("test deadline") != std::string::npos);
  CHECK(took >= 50ms);
  CHECK(took < 1000ms);  // 100 attempts of 20 ms would take 2 s
  CHECK(calls >= 1);
  CHECK(calls < 10);
  CHECK(e.stats().deadline_exceeded == 1);
}

TEST_CASE("admit and record drive the same breaker", "[remote][breaker]") {
  Endpoint e("test admit", NoRetry());
  for (int i = 0; i < 3; ++i) {
    REQUIRE(e.admit());
    e.record(Status::DeadlineExceeded("slow"), 10ms);
  }
  CHECK_FALSE(e.admit());
  CHECK(e.state() == BreakerState::kOpen);
  std::this_thread::sleep_for(350ms);
  CHECK(e.admit());        // the probe
  CHECK_FALSE(e.admit());  // one at a time
  e.record(Status::OK(), 1ms);
  CHECK(e.state() == BreakerState::kClosed);
  auto st = e.stats();
  CHECK(st.deadline_exceeded == 3);
  CHECK(st.latency_count == 4);
  CHECK(st.latency_p99_ms >= 9.0);
}

TEST_CASE("AllEndpointStats lists the live endpoints", "[remote]") {
  auto count = [](const std::string& name) {
    int n = 0;
    for (const auto& s : commerce::AllEndpointStats()) n += s.name == name;
    return n;
  };
  {
    Endpoint e("test registry", {});
    CHECK(count("test registry") == 1);
  }
  CHECK(count("test registry") == 0);
  CHECK(std::string(commerce::ToString(BreakerState::kHalfOpen)) == "half_open");
}

}  // namespace remote_endpoint_test
