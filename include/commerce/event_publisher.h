// The event log published to a message broker: every event of the store, in order, to a NATS
// JetStream stream, for integrators' own consumers (docs/events.md, "The event log on NATS";
// docs/scaling.md, "Events to NATS JetStream").
//
//   auto pub = commerce::EventPublisher::open(*engine, {.nats_url = "nats://10.0.0.7:4222"});
//   // events go to subjects "commerce.events.<Type>" of the stream "COMMERCE", in log order
//
// What it guarantees:
// - at least once, and once within the stream's de-duplication window: each message carries
//   `Nats-Msg-Id: <the event's seq>`, so JetStream drops a message it already stored with
//   that id, and the publisher also resumes after the last event the stream holds (it reads
//   the id of the stream's last message when it connects), so a publisher that crashed after
//   a publish but before saving its cursor does not publish that event again at all;
// - a durable cursor in the store (the event log's consumer cursor `nats_consumer`), moved
//   only after JetStream acknowledged the events before it;
// - one publisher per store: on a store that several processes share (the postgres driver)
//   each process may open one, and they publish under a lease (docs/scaling.md, "Durable
//   consumers"): one publishes, the others take over within a lease ttl when it dies;
// - NATS down, slow or refusing: the engine is not affected (the publisher is a thread of its
//   own that reads the log); every call goes through an Endpoint (resilience.h: deadline,
//   retries in a budget, breaker) and the publisher catches up from its cursor once NATS
//   answers again.
//
// Message: subject "<subject>.<event type>", headers `Nats-Msg-Id` and `Commerce-Event-Type`,
// body the event as JSON ({"id","type","subject","time_ms","data"}, the webhooks' body).
//
// Thread safety: an EventPublisher is safe to use from any number of threads. Destroy it
// before its Engine.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "commerce/export.h"
#include "commerce/resilience.h"
#include "commerce/status.h"

namespace commerce {

struct EventPublisherOptions {
  // "nats://HOST:PORT" or "HOST:PORT"; several servers of one NATS cluster separated by
  // commas.
  std::string nats_url;
  // The JetStream stream: created when absent (file storage, subjects "<subject>.>", the
  // de-duplication window below); an existing stream is used as it is, and must take the
  // subjects. One stream per store: the message ids are the store's event sequences.
  std::string stream = "COMMERCE";
  // Subjects are "<subject>.<event type>", so a consumer can filter by type
  // ("commerce.events.OrderPlaced") or take all ("commerce.events.>").
  std::string subject = "commerce.events";
  // The stream's de-duplication window, when this publisher creates it (JetStream's default
  // is 2 minutes). A longer window covers longer overlaps of two publishers; it costs the
  // server memory for the ids it remembers.
  std::chrono::milliseconds duplicate_window = std::chrono::minutes(2);
  // The event log cursor's name (1..64 of [a-z0-9_.-]) and the lease's on a shared store.
  std::string consumer = "nats";
  // On a shared store: how long a silent publisher keeps the lease (200 ms .. 1 hour).
  std::chrono::milliseconds lease_ttl = std::chrono::seconds(10);
  // Events read from the log and published per round; the cursor moves once per round.
  int batch = 256;
  // Deadline, retries and breaker of each publish (and of connecting). A publish waits for
  // JetStream's acknowledgement, so its deadline is a round trip plus the stream's write.
  EndpointOptions endpoint{.deadline = std::chrono::milliseconds(2000),
                           .retry = {.max_attempts = 2, .backoff = std::chrono::milliseconds(20),
                                     .max_backoff = std::chrono::milliseconds(200)},
                           .breaker = {.failure_threshold = 3,
                                       .open_for = std::chrono::milliseconds(1000)}};
};

struct EventPublisherStats {
  uint64_t published = 0;      // events JetStream acknowledged as new
  uint64_t duplicates = 0;     // publishes JetStream acknowledged as already stored
  uint64_t skipped = 0;        // events not sent because the stream already held them
  uint64_t failures = 0;       // publish or connect attempts that failed
  uint64_t connects = 0;       // connections made to NATS
  uint64_t cursor = 0;         // the last event published and recorded in the store
  uint64_t last_seq = 0;       // the newest event of the log, as last read
  bool holding = false;        // this process publishes (holds the lease, or needs none)
  bool connected = false;      // connected to NATS now
  std::string last_error;      // the last failure, "" when none since the last success
};

class Engine;
class NatsPublisher;

class COMMERCE_EXPORT EventPublisher {
 public:
  // A publisher of `engine`'s event log, with its thread started. InvalidArgument for bad
  // options (a URL that is not [nats://]HOST:PORT[,...], a stream or subject name NATS does
  // not allow, a bad consumer name, batch outside 1..10000, lease_ttl outside 200 ms .. 1 h,
  // a non-positive deadline or duplicate_window). NATS is not contacted here: a NATS that is
  // down at open is a publisher that catches up later.
  static Result<std::unique_ptr<EventPublisher>> open(Engine& engine,
                                                      const EventPublisherOptions& options);
  // Stops the thread (a publish in flight ends within its deadline), then gives the lease up
  // when it holds one, so that another process publishes from its next look. Destroy it before
  // closing the engine: after, the store refuses the write and the lease expires after its ttl.
  ~EventPublisher();
  EventPublisher(const EventPublisher&) = delete;
  EventPublisher& operator=(const EventPublisher&) = delete;

  EventPublisherStats stats() const;
  // Blocks until the cursor reaches `seq` or `timeout` passes; true when it did.
  bool wait_for(uint64_t seq, std::chrono::milliseconds timeout);

 private:
  explicit EventPublisher(std::unique_ptr<NatsPublisher> impl);
  std::unique_ptr<NatsPublisher> impl_;
};

}  // namespace commerce
