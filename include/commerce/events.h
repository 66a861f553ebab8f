// The event log: the project's message queue (DESIGN.md). Every change an engine makes
// appends its events to the log in the same transaction as the change, so an event exists
// if and only if its change committed. Sequence numbers start at 1 and increase by one per
// event, in commit order, with no gaps.
//
// Consumers (the search indexer, cart expiry, webhooks, your own) read with tail() and keep
// a durable cursor — the sequence of the last event they have fully processed — with
// set_cursor(), so that after a restart they resume where they stopped.
//
// Retention (docs/events.md, "Retention"): trim() removes the oldest events, never one that a
// durable consumer has not passed; first_seq() is then the oldest event kept (the horizon),
// and reading below it is an error (Gone), never a silent skip.
//
// Thread safety: an Events (from Engine::events()) is safe to use from any number of threads.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "commerce/export.h"
#include "commerce/status.h"
#include "commerce/storage.h"

namespace commerce {

class EngineCore;

struct Event {
  uint64_t seq = 0;
  std::string type;     // "ProductUpserted", "ProductArchived", "CategoryUpserted", ...
  std::string subject;  // the id of what changed: a product id, a category id, ...
  int64_t time_ms = 0;  // wall-clock time of the change, ms since the Unix epoch
  std::string data;     // a JSON object with the change's details (docs/events.md)

  friend bool operator==(const Event&, const Event&) = default;
};

// Which events may be trimmed (EngineOptions::event_retention, Events::trim). An event goes
// only when every durable consumer has passed it -- every cursor (Events::cursor: cart expiry,
// the NATS publisher, your own), every webhook subscription's cursor, and this engine's search
// indexer while it runs -- AND it is older than max_age OR more than max_count newer events
// follow it. The newest event is always kept (the sequence numbers go on from it). 0 turns a
// limit off; both 0 (the default) keeps every event.
struct EventRetention {
  std::chrono::milliseconds max_age{0};
  uint64_t max_count = 0;
  // How often the engine's background thread trims, when a limit is set (1 s .. 1 day).
  std::chrono::milliseconds interval{std::chrono::minutes(1)};
};

// What a trim did.
struct EventTrimReport {
  uint64_t removed = 0;    // events deleted
  uint64_t first_seq = 0;  // the horizon after the trim: the oldest event kept
  uint64_t last_seq = 0;   // the newest event
  // What kept the horizon from moving further: "" (the age and count limits, or the newest
  // event), "cursor:<name>", "webhook:<subscription id>" or "search-index".
  std::string held_by;
  friend bool operator==(const EventTrimReport&, const EventTrimReport&) = default;
};

class COMMERCE_EXPORT Events {
 public:
  // Handed out by Engine (engine.h), which owns it; not copyable.
  Events(const Events&) = delete;
  Events& operator=(const Events&) = delete;

  // Up to `limit` (1..10000) events with seq >= from, in order. Gone, naming the horizon,
  // when `from` is below first_seq(): those events were trimmed.
  Result<std::vector<Event>> tail(uint64_t from, size_t limit = 1000);
  // The sequence of the newest event; 0 when the log is empty.
  Result<uint64_t> last_seq();
  // The horizon: the sequence of the oldest event kept. 1 until the log is trimmed (an empty
  // log included); a consumer that starts after a trim begins at first_seq() - 1.
  Result<uint64_t> first_seq();

  // Removes, oldest first, the events `policy` allows (max_age / max_count; its interval is
  // not used), in batches of kTrimBatch, each its own write so that other writes go on
  // between them. InvalidArgument when both limits are 0 or max_age is negative.
  Result<EventTrimReport> trim(const EventRetention& policy);
  static constexpr size_t kTrimBatch = 1000;
  // Blocks until an event with seq > after exists or `timeout` passes; returns last_seq().
  Result<uint64_t> wait(uint64_t after, std::chrono::milliseconds timeout);

  // Listeners wake what waits without a thread (the reference server's event loops): `on_change`
  // is called after every commit that may have appended events, and whenever the search index
  // publishes newer events (Search::wait_for would return sooner). It runs on the committing or
  // publishing thread with no engine lock held; it must be quick and must not block — its job is
  // to wake its owner (uv_async_send, a condition variable), which then re-reads last_seq() or
  // asks Search::wait_for with a zero timeout. Calls may be spurious. Returns an id for
  // remove_listener(); once that returns, `on_change` is not running and is never called again.
  // Calling remove_listener() from inside `on_change` deadlocks.
  uint64_t add_listener(std::function<void()> on_change);
  void remove_listener(uint64_t id);

  // A consumer's durable cursor: the last seq it has processed (0 if never set). Names are
  // 1..64 of [a-z0-9_.-].
  Result<uint64_t> cursor(std::string_view consumer);
  // Durable by default. A consumer that can replay a few events after a crash (it must be
  // idempotent anyway) may pass {.sync = false}: the cursor then rides along with the next
  // durable write instead of costing a sync of its own. Gone when seq < first_seq() - 1 (the
  // events after it were trimmed); InvalidArgument past last_seq().
  Status set_cursor(std::string_view consumer, uint64_t seq, WriteOptions options = {});

 private:
  friend class Engine;
  explicit Events(EngineCore* core) : core_(core) {}
  EngineCore* core_;
  // Set by Engine::open, read by trim(): the last event this engine's running search indexer
  // has applied (empty when no indexer runs), and the cursor consumers this engine runs
  // (cart expiry), which hold the log at 0 until they first write their cursor.
  std::function<uint64_t()> index_seq_;
  std::vector<std::string> registered_;
};

}  // namespace commerce
