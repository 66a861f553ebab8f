// Wake-ups from other processes' commits: PostgreSQL's LISTEN/NOTIFY (docs/scaling.md, "One
// event log for all processes").
//
// Every group the driver commits sends NOTIFY on the store's channel inside its transaction,
// so the notification is delivered when, and only if, the group commits. A PgListener holds a
// connection of its own that LISTENs on that channel, on a thread of its own, and calls
// `on_commit` for each batch of notifications that arrives. A notification carries no data
// and may be lost (while the connection is down, notifications sent meanwhile are not queued
// for it), so it is a hint to look at the log now rather than at the next poll: after every
// (re)connection the listener calls `on_commit` once, and the engines keep polling as the
// fallback. PostgreSQL-only: a server without LISTEN (CockroachDB) makes Start() answer
// NotSupported and the engines simply poll.
//
// Thread safety: Start and Stop from one thread; `on_commit` runs on the listener's thread and
// must be quick (it wakes waiters). Stop() returns once the thread has ended: after it,
// `on_commit` is never called again.
#pragma once

#include <atomic>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "commerce/status.h"
#include "storage/postgres/pg_connection.h"

namespace commerce::postgres {

// The store's channel: "commerce_" and the schema, quoted (at most 63 bytes, as PostgreSQL
// cuts identifiers; two long schemas sharing a prefix then share a channel, which costs
// spurious wake-ups, nothing else).
std::string NotifyChannel(const std::string& schema);

class PgListener {
 public:
  PgListener(ConnSettings settings, std::string schema, std::function<void()> on_commit);
  ~PgListener() { Stop(); }
  PgListener(const PgListener&) = delete;
  PgListener& operator=(const PgListener&) = delete;

  // Connects and LISTENs once on this thread (so that a server without LISTEN is known at
  // once), then keeps listening on the listener's thread, reconnecting after a loss.
  // NotSupported when the server has no LISTEN; Unavailable when it cannot be reached.
  Status Start();
  void Stop();

 private:
  Result<std::unique_ptr<PgConnection>> Listen();
  void Run(std::unique_ptr<PgConnection> conn);

  const ConnSettings settings_;
  const std::string listen_sql_;
  const std::function<void()> on_commit_;
  int wake_fd_ = -1;  // an eventfd that interrupts the thread's poll() for Stop()
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace commerce::postgres
