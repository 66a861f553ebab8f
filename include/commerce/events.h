// The event log: the project's message queue (DESIGN.md). Every change an engine makes
// appends its events to the log in the same transaction as the change, so an event exists
// if and only if its change committed. Sequence numbers start at 1 and increase by one per
// event, in commit order, with no gaps.
//
// Consumers (the search indexer, cart expiry, webhooks, your own) read with tail() and keep
// a durable cursor — the sequence of the last event they have fully processed — with
// set_cursor(), so that after a restart they resume where they stopped.
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

class COMMERCE_EXPORT Events {
 public:
  // Handed out by Engine (engine.h), which owns it; not copyable.
  Events(const Events&) = delete;
  Events& operator=(const Events&) = delete;

  // Up to `limit` (1..10000) events with seq >= from, in order.
  Result<std::vector<Event>> tail(uint64_t from, size_t limit = 1000);
  // The sequence of the newest event; 0 when the log is empty.
  Result<uint64_t> last_seq();
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
  // durable write instead of costing a sync of its own.
  Status set_cursor(std::string_view consumer, uint64_t seq, WriteOptions options = {});

 private:
  friend class Engine;
  explicit Events(EngineCore* core) : core_(core) {}
  EngineCore* core_;
};

}  // namespace commerce
