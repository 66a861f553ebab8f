// Binds include/commerce/event_publisher.h: the event log published to NATS JetStream.
#include "commerce/event_publisher.h"

#include "bind.h"
#include "commerce/engine.h"

namespace commerce::python {

void BindEventPublisher(py::module_& m) {
  Value<EventPublisherOptions>(m, "EventPublisherOptions",
                               "The event log published to NATS JetStream (docs/events.md).")
      .field("nats_url", &EventPublisherOptions::nats_url, "'nats://HOST:PORT', several separated by commas.")
      .field("stream", &EventPublisherOptions::stream, "The JetStream stream; created when absent.")
      .field("subject", &EventPublisherOptions::subject, "Subjects are '<subject>.<event type>'.")
      .field("duplicate_window", &EventPublisherOptions::duplicate_window,
             "The stream's de-duplication window, when the publisher creates it.")
      .field("consumer", &EventPublisherOptions::consumer, "The event log cursor's (and lease's) name.")
      .field("lease_ttl", &EventPublisherOptions::lease_ttl, "On a shared store: the publisher lease's ttl.")
      .field("batch", &EventPublisherOptions::batch, "Events per round; the cursor moves once per round.")
      .field("endpoint", &EventPublisherOptions::endpoint, "EndpointOptions of each publish and connect.");
  Value<EventPublisherStats>(m, "EventPublisherStats", "Counters of the event publisher.")
      .field("published", &EventPublisherStats::published, "Events JetStream stored.")
      .field("duplicates", &EventPublisherStats::duplicates, "Publishes JetStream dropped as duplicates.")
      .field("skipped", &EventPublisherStats::skipped, "Events not sent: the stream held them already.")
      .field("failures", &EventPublisherStats::failures, "Failed publishes and connects.")
      .field("connects", &EventPublisherStats::connects, "Connections made to NATS.")
      .field("cursor", &EventPublisherStats::cursor, "The last event published and recorded.")
      .field("last_seq", &EventPublisherStats::last_seq, "The log's newest event, as last read.")
      .field("holding", &EventPublisherStats::holding, "This process publishes (holds the lease).")
      .field("connected", &EventPublisherStats::connected, "Connected to NATS now.")
      .field("last_error", &EventPublisherStats::last_error, "The last failure; '' since a success.");

  // Held through a box so that close() can stop the thread before the interpreter's garbage
  // collector would.
  struct Box {
    std::unique_ptr<EventPublisher> publisher;
    EventPublisher& get() {
      if (!publisher) throw StatusError(Status::FailedPrecondition("the event publisher is closed"));
      return *publisher;
    }
  };
  py::class_<Box>(m, "EventPublisher",
                  "The event log published to NATS JetStream, each event once with its seq as "
                  "Nats-Msg-Id (docs/events.md).\n\n"
                  "    pub = commerce.EventPublisher(engine, nats_url='nats://127.0.0.1:4222')\n"
                  "    pub.wait_for(engine.events.last_seq(), 5.0)\n\n"
                  "Keywords are EventPublisherOptions fields. NATS's errors never reach the "
                  "engine: the publisher catches up once NATS answers. close() (or leaving a with "
                  "block) stops it; close it before its engine.")
      .def(py::init([](Engine& engine, const EventPublisherOptions& options) {
             Result<std::unique_ptr<EventPublisher>> r = Status::Internal("not opened");
             {
               py::gil_scoped_release release;
               r = EventPublisher::open(engine, options);
             }
             ThrowIfError(r.status());
             return Box{std::move(r).value()};
           }),
           py::arg("engine"), py::kw_only(), py::arg("options"), py::keep_alive<1, 2>(),
           "Starts publishing engine's event log with these EventPublisherOptions.")
      .def(
          "stats", [](Box& b) { return b.get().stats(); }, "EventPublisherStats.")
      .def(
          "wait_for",
          [](Box& b, uint64_t seq, std::chrono::milliseconds timeout) { return b.get().wait_for(seq, timeout); },
          py::arg("seq"), py::arg("timeout"), ReleaseGil(),
          "Blocks until every event up to seq is published (True) or timeout passes (False).")
      .def(
          "close", [](Box& b) {
            py::gil_scoped_release release;
            b.publisher.reset();
          },
          "Stops the publisher; later calls raise FailedPrecondition. Closing twice is allowed.");
}

}  // namespace commerce::python
