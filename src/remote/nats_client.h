// A small JetStream client over nats.c (Debian's libnats-dev): one connection, the stream the
// event publisher writes, and the two calls it needs — the event id of the stream's last
// message, and a publish that waits for JetStream's acknowledgement.
//
// Reconnection is ours, not nats.c's: nats.c's own reconnect buffers publishes in memory
// while the server is away, which would hide an outage from the caller's breaker and
// deadline. Here a connection that fails is dropped, and the next call connects again.
//
// Thread safety: none; one thread (the publisher's) uses a NatsClient.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "commerce/resilience.h"
#include "commerce/status.h"

struct __natsConnection;
struct __jsCtx;

namespace commerce {

// InvalidArgument unless `url` is [nats://]HOST:PORT, or several of them separated by commas.
Status CheckNatsUrl(const std::string& url);
// InvalidArgument unless `name` is a JetStream stream name (1..64 of [A-Za-z0-9_-]).
Status CheckNatsStream(const std::string& name);
// InvalidArgument unless `subject` is a literal NATS subject: tokens of [A-Za-z0-9_-]
// separated by single dots (no wildcards, no spaces).
Status CheckNatsSubject(const std::string& subject);

class NatsClient {
 public:
  // `subjects`: what the stream takes when this client creates it ("commerce.events.>").
  NatsClient(std::string url, std::string stream, std::string subjects,
             std::chrono::milliseconds duplicate_window);
  ~NatsClient();
  NatsClient(const NatsClient&) = delete;
  NatsClient& operator=(const NatsClient&) = delete;

  // A connection is held and nats.c has not closed it (a server that went away closes it).
  bool connected() const;
  // Connects, and creates the stream when it is absent. Unavailable when the server cannot
  // be reached, DeadlineExceeded past the deadline.
  Status Connect(const Deadline& deadline);
  // The number in the Nats-Msg-Id header of the stream's last message; 0 for an empty
  // stream or a last message without a numeric id.
  Result<uint64_t> LastMsgId(const Deadline& deadline);
  // Publishes `body` to `subject` with Nats-Msg-Id = msg_id and the given event type header,
  // and waits for the acknowledgement: true when stored now, false when JetStream already
  // held a message with this id (a duplicate, dropped). A failure of the connection drops it.
  Result<bool> Publish(const std::string& subject, uint64_t msg_id, const std::string& type,
                       const std::string& body, const Deadline& deadline);
  void Disconnect();

 private:
  Status Failed(const std::string& what, int status, int js_error);

  const std::string url_, stream_, subjects_;
  const std::chrono::milliseconds duplicate_window_;
  __natsConnection* nc_ = nullptr;
  __jsCtx* js_ = nullptr;
};

}  // namespace commerce
