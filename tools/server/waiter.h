// Waiting without a thread: the waits of one event loop, keyed by event sequence.
//
// A request that must wait — a long-poll of GET /v1/events for the next event, a search with
// min_index_seq for the index to catch up, a Server-Sent Events stream for its next event —
// parks here instead of holding one of the pool's threads. A wait names a clock and a
// sequence: kEventLog is reached when Events::last_seq() >= seq, kSearchIndex when the search
// index has published seq (Search::wait_for(seq, 0) is OK). The callback runs on the loop
// thread, once: with kReached, kTimedOut at the deadline, or kStopped when the loop stops.
//
// The engine wakes the waiters through one Events listener (events.h) that calls Wake() on
// every loop's Waiter; Wake() is a uv_async_send, so a burst of commits costs each loop one
// wake-up, after which it reads each clock once and runs every wait that is due, lowest
// sequence first. Deadlines run off one timer armed for the earliest.
//
// Post() runs a function on the loop thread from any thread: how work finished elsewhere (an
// asynchronous engine call completing on the writer's thread) gets back to its connection.
//
// How many requests may wait at once is the server's business (ServerState::TryStartWait,
// one limit for every kind of wait), not the Waiter's.
//
// Thread safety: Wait(), Cancel(), Stop() and waiting() on the loop's thread only; Wake() and
// Post() from any thread. Made and destroyed on the loop's thread, before uv_run and after it.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "http_message.h"

typedef struct uv_loop_s uv_loop_t;

namespace commerce {
class Engine;
}

namespace commerce::server {

class Waiter {
 public:
  using Callback = std::function<void(WaitOutcome)>;
  using Id = uint64_t;

  Waiter(uv_loop_t* loop, Engine* engine);
  ~Waiter();
  Waiter(const Waiter&) = delete;
  Waiter& operator=(const Waiter&) = delete;

  // Parks `cb` until `clock` reaches `seq` or `timeout_ms` passes. A wait that is due already
  // runs on the next turn of the loop, never inside Wait(). Returns an id for Cancel().
  Id Wait(WaitClock clock, uint64_t seq, int64_t timeout_ms, Callback cb);
  // Removes a wait whose callback has not run (a connection that closed); false otherwise.
  bool Cancel(Id id);
  // Runs every wait with kStopped, now; later Wait()s run with kStopped on the next turn.
  void Stop();
  size_t waiting() const { return waits_.size(); }

  // Thread-safe: the clocks may have moved; check them on the loop.
  void Wake();
  // Thread-safe: runs `fn` on the loop thread soon, in the order posted. Functions posted
  // after the loop's handles closed are dropped.
  void Post(std::function<void()> fn);

  // Closes the Waiter's handles; call before the loop's last uv_run.
  void Close();

 private:
  struct Entry {
    WaitClock clock;
    uint64_t seq;
    int64_t deadline_ms;
    Callback cb;
    std::multimap<uint64_t, Id>::iterator by_seq;
    std::multimap<int64_t, Id>::iterator by_deadline;
  };
  struct Handles;  // uv_async_t and uv_timer_t, in waiter.cpp

  void OnAsync();
  void OnTimer();
  void RunDue();       // reached waits, then expired ones
  void Fire(Id id, WaitOutcome outcome);
  void ArmTimer();
  bool Reached(WaitClock clock, uint64_t seq, uint64_t* log_seq);
  std::multimap<uint64_t, Id>& Queue(WaitClock clock) {
    return clock == WaitClock::kEventLog ? log_waits_ : index_waits_;
  }

  uv_loop_t* loop_;
  Engine* engine_;
  std::unique_ptr<Handles> handles_;
  Id next_id_ = 0;
  bool stopped_ = false;
  std::unordered_map<Id, Entry> waits_;
  std::multimap<uint64_t, Id> log_waits_, index_waits_;
  std::multimap<int64_t, Id> deadlines_;
  std::vector<Id> due_now_;  // waits found due inside Wait(), run on the next turn

  std::mutex post_mu_;
  std::vector<std::function<void()>> posted_;  // GUARDED_BY(post_mu_)
  bool closed_ = false;                        // GUARDED_BY(post_mu_)
};

}  // namespace commerce::server
