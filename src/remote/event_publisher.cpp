// The event publisher (include/commerce/event_publisher.h): a thread that reads the event log
// after its cursor and publishes each event to NATS JetStream, in order, one acknowledged
// publish at a time.
//
// A round, while this process may publish (it holds the lease, or the store is its alone):
//   1. connected? else connect (creating the stream if absent) under the endpoint;
//   2. after connecting, and after taking the lease over from another process: resync — read
//      the Nats-Msg-Id of the stream's last message; events up to it are in the stream
//      already, so the next to publish is max(cursor, that id) + 1 (a publisher that died
//      between a publish and its cursor write does not publish that event again, whatever
//      the de-duplication window);
//   3. tail up to `batch` events and publish them in order, each with Nats-Msg-Id = its seq,
//      checking the lease before each one (a process paused past its lease stops within one
//      publish); a failure ends the round;
//   4. move the cursor to the last acknowledged event, in a write that checks the lease.
// Between rounds the thread sleeps until the log grows (an Events listener) or 200 ms pass
// (the poll that notices other processes' commits and the lease's pace); after a failure it
// waits for the breaker's open_for.
#include "commerce/event_publisher.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "commerce/engine.h"
#include "commerce/events.h"
#include "common/key.h"
#include "engine/lease.h"
#include "events/event_log.h"
#include "events/event_message.h"
#include "remote/nats_client.h"

namespace commerce {

namespace {
constexpr auto kIdlePoll = std::chrono::milliseconds(200);
}

class NatsPublisher {
 public:
  NatsPublisher(Engine& engine, const EventPublisherOptions& o, Table meta)
      : options_(o),
        events_(&engine.events()),
        storage_(&engine.storage()),
        meta_(meta),
        client_(o.nats_url, o.stream, o.subject + ".>", o.duplicate_window),
        endpoint_("nats " + o.nats_url, o.endpoint) {
    if (storage_->capabilities() & kRemote)
      lease_ = std::make_unique<Lease>(storage_, meta_, o.consumer, o.lease_ttl);
  }

  ~NatsPublisher() { Stop(); }

  void Start() {
    listener_ = events_->add_listener([this] {
      std::lock_guard lock(mu_);
      woken_ = true;
      cv_.notify_all();
    });
    thread_ = std::thread([this] { Loop(); });
  }

  void Stop() {
    {
      std::lock_guard lock(mu_);
      stop_ = true;
      cv_.notify_all();
    }
    if (thread_.joinable()) thread_.join();
    if (listener_) events_->remove_listener(listener_);
    listener_ = 0;
    // Given up once the rounds are over, as the engine's consumers do, so that another process
    // publishes from its next look rather than after a whole ttl of silence. An owner that
    // closed the store first gets FailedPrecondition here, and the lease simply expires.
    if (lease_) (void)lease_->Release();
  }

  EventPublisherStats stats() const {
    std::lock_guard lock(mu_);
    return stats_;
  }

  bool WaitFor(uint64_t seq, std::chrono::milliseconds timeout) {
    std::unique_lock lock(mu_);
    return progress_.wait_for(lock, timeout, [&] { return stats_.cursor >= seq; });
  }

 private:
  void Loop() {
    for (;;) {
      {
        std::lock_guard lock(mu_);
        if (stop_) return;
        woken_ = false;
      }
      bool holding = !lease_ || lease_->Held();
      if (holding && !held_before_) synced_ = false;  // another process may have published meanwhile
      held_before_ = holding;
      {
        // Before the round: a waiter that its cursor wakes (WaitFor) reads stats that say
        // this process publishes. Set after it, a first round's wait_for could return with
        // holding still false (the event publisher test failed so once in CI).
        std::lock_guard lock(mu_);
        stats_.holding = holding;
      }
      bool more = false;
      Status s = holding ? Round(&more) : Status::OK();
      {
        std::lock_guard lock(mu_);
        stats_.connected = client_.connected();
        if (!s.ok()) stats_.last_error = s.ToString();
      }
      if (more && s.ok()) continue;
      auto pause = s.ok() ? kIdlePoll : std::max(options_.endpoint.breaker.open_for, kIdlePoll);
      if (lease_) pause = std::min(pause, lease_->look_interval());
      std::unique_lock lock(mu_);
      cv_.wait_for(lock, pause, [&] { return stop_ || (s.ok() && woken_); });
    }
  }

  Status Connect() {
    if (client_.connected()) return Status::OK();
    synced_ = false;
    Status s = endpoint_.call([&](const Deadline& d) { return client_.Connect(d); });
    std::lock_guard lock(mu_);
    if (s.ok()) ++stats_.connects;
    else ++stats_.failures;
    return s;
  }

  // Publishes what follows the cursor, at most one batch; *more when the batch was full.
  Status Round(bool* more) {
    COMMERCE_RETURN_IF_ERROR(Connect());
    COMMERCE_ASSIGN_OR_RETURN(uint64_t cursor, events_->cursor(options_.consumer));
    COMMERCE_ASSIGN_OR_RETURN(uint64_t last, events_->last_seq());
    {
      std::lock_guard lock(mu_);
      stats_.last_seq = last;
      stats_.cursor = cursor;
    }
    if (!synced_) {
      uint64_t in_stream = 0;
      Status s = endpoint_.call([&](const Deadline& d) {
        auto r = client_.LastMsgId(d);
        if (r.ok()) in_stream = *r;
        return r.status();
      });
      if (!s.ok()) {
        std::lock_guard lock(mu_);
        ++stats_.failures;
        return s;
      }
      if (in_stream > last)
        return Status::FailedPrecondition(
            "nats stream '" + options_.stream + "' holds event id " + std::to_string(in_stream) +
            " beyond this store's last event " + std::to_string(last) +
            ": is the stream another store's? (one stream per store)");
      synced_ = true;
      if (in_stream > cursor) {
        COMMERCE_RETURN_IF_ERROR(SaveCursor(in_stream));
        std::lock_guard lock(mu_);
        stats_.skipped += in_stream - cursor;
        cursor = in_stream;
      }
    }
    if (cursor >= last) return Status::OK();
    COMMERCE_ASSIGN_OR_RETURN(auto batch, events_->tail(cursor + 1, static_cast<size_t>(options_.batch)));
    uint64_t done = cursor;
    Status failed;
    for (const Event& e : batch) {
      if (lease_ && !lease_->Held()) break;  // lost it: the next holder resyncs from the stream
      bool fresh = false;
      Status s = endpoint_.call([&](const Deadline& d) {
        auto r = client_.Publish(options_.subject + "." + e.type, e.seq, e.type, EventMessage(e), d);
        if (r.ok()) fresh = *r;
        return r.status();
      });
      std::lock_guard lock(mu_);
      if (!s.ok()) {
        ++stats_.failures;
        failed = s;
        break;
      }
      ++(fresh ? stats_.published : stats_.duplicates);
      stats_.last_error.clear();
      done = e.seq;
    }
    if (done > cursor) COMMERCE_RETURN_IF_ERROR(SaveCursor(done));
    *more = failed.ok() && batch.size() == static_cast<size_t>(options_.batch);
    return failed;
  }

  // Not synced: after a crash the cursor may be behind, and the resync from the stream
  // covers that.
  Status SaveCursor(uint64_t seq) {
    Status s;
    if (lease_) {
      s = storage_->write([&](WriteTxn& txn) -> Status {
        COMMERCE_RETURN_IF_ERROR(lease_->Check(txn));
        return txn.put(meta_, ConsumerCursorKey(options_.consumer), KeyBuilder().u64(seq).key());
      }, WriteOptions{.sync = false});
    } else {
      s = events_->set_cursor(options_.consumer, seq, WriteOptions{.sync = false});
    }
    if (s.ok()) {
      std::lock_guard lock(mu_);
      stats_.cursor = seq;
      progress_.notify_all();
    }
    return s;
  }

  const EventPublisherOptions options_;
  Events* events_;
  Storage* storage_;
  const Table meta_;
  NatsClient client_;  // the publisher thread's only
  Endpoint endpoint_;
  std::unique_ptr<Lease> lease_;  // null: the store is this process's alone
  bool synced_ = false;           // the thread's: the stream's last id was read since connecting
  bool held_before_ = false;      // the thread's
  std::thread thread_;
  uint64_t listener_ = 0;

  mutable std::mutex mu_;
  std::condition_variable cv_;        // wakes the thread: stop, or news in the log
  std::condition_variable progress_;  // wakes WaitFor
  bool stop_ = false;                 // GUARDED_BY(mu_)
  bool woken_ = false;                // GUARDED_BY(mu_)
  EventPublisherStats stats_;         // GUARDED_BY(mu_)
};

Result<std::unique_ptr<EventPublisher>> EventPublisher::open(Engine& engine,
                                                             const EventPublisherOptions& options) {
  COMMERCE_RETURN_IF_ERROR(CheckNatsUrl(options.nats_url));
  COMMERCE_RETURN_IF_ERROR(CheckNatsStream(options.stream));
  COMMERCE_RETURN_IF_ERROR(CheckNatsSubject(options.subject));
  if (options.batch < 1 || options.batch > 10'000)
    return Status::InvalidArgument("event publisher: batch must be 1..10000, got " +
                                   std::to_string(options.batch));
  if (options.lease_ttl < std::chrono::milliseconds(200) || options.lease_ttl > std::chrono::hours(1))
    return Status::InvalidArgument("event publisher: lease_ttl must be 200 ms .. 1 hour");
  if (options.endpoint.deadline.count() <= 0)
    return Status::InvalidArgument("event publisher: the endpoint's deadline must be positive");
  if (options.duplicate_window.count() <= 0)
    return Status::InvalidArgument("event publisher: duplicate_window must be positive");
  // Checks the consumer name (InvalidArgument) and that the store answers.
  COMMERCE_RETURN_IF_ERROR(engine.events().cursor(options.consumer).status());
  COMMERCE_ASSIGN_OR_RETURN(Table meta, engine.storage().table("meta"));
  auto impl = std::make_unique<NatsPublisher>(engine, options, meta);
  impl->Start();
  return std::unique_ptr<EventPublisher>(new EventPublisher(std::move(impl)));
}

EventPublisher::EventPublisher(std::unique_ptr<NatsPublisher> impl) : impl_(std::move(impl)) {}

EventPublisher::~EventPublisher() { impl_->Stop(); }

EventPublisherStats EventPublisher::stats() const { return impl_->stats(); }

bool EventPublisher::wait_for(uint64_t seq, std::chrono::milliseconds timeout) {
  return impl_->WaitFor(seq, timeout);
}

}  // namespace commerce
