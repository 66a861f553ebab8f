#include "storage/postgres/pg_listener.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <chrono>

namespace commerce::postgres {

namespace {

// How long the thread waits between reconnection attempts while the server is unreachable,
// and at most in one poll() (so that a dead connection the kernel has not reported yet is
// found by libpq's keepalives within a few seconds anyway).
constexpr auto kReconnectEvery = std::chrono::milliseconds(500);
constexpr int kPollMs = 1000;

}  // namespace

std::string NotifyChannel(const std::string& schema) {
  // The schema is [a-z0-9_] (checked before use), so quoting never needs escaping.
  return "\"" + ("commerce_" + schema).substr(0, 63) + "\"";
}

PgListener::PgListener(ConnSettings settings, std::string schema, std::function<void()> on_commit)
    : settings_(std::move(settings)),
      listen_sql_("LISTEN " + NotifyChannel(schema)),
      on_commit_(std::move(on_commit)) {}

Result<std::unique_ptr<PgConnection>> PgListener::Listen() {
  COMMERCE_ASSIGN_OR_RETURN(std::unique_ptr<PgConnection> conn, PgConnection::Connect(settings_));
  PgResult r(PQexec(conn->raw(), listen_sql_.c_str()));
  if (PQresultStatus(r.get()) == PGRES_COMMAND_OK) return conn;
  std::string state = SqlState(r.get());
  Status s = PgStatus(conn->raw(), r.get(), "LISTEN", nullptr);
  // 0A000 feature_not_supported, 42601 syntax_error: a PostgreSQL-wire engine without it.
  if (state == "0A000" || state == "42601")
    return Status::NotSupported("this server has no LISTEN/NOTIFY (" + s.message() +
                                "): other processes' commits are seen by polling");
  return s;
}

Status PgListener::Start() {
  COMMERCE_ASSIGN_OR_RETURN(std::unique_ptr<PgConnection> conn, Listen());
  wake_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (wake_fd_ < 0) return Status::ResourceExhausted("eventfd failed for the LISTEN thread");
  thread_ = std::thread([this, c = std::move(conn)]() mutable { Run(std::move(c)); });
  return Status::OK();
}

void PgListener::Stop() {
  if (!thread_.joinable()) return;
  stop_ = true;
  uint64_t one = 1;
  (void)::write(wake_fd_, &one, sizeof one);
  thread_.join();
  ::close(wake_fd_);
  wake_fd_ = -1;
}

void PgListener::Run(std::unique_ptr<PgConnection> conn) {
  while (!stop_) {
    if (!conn) {
      auto again = Listen();
      if (!again.ok()) {
        // Unreachable (a failover's gap): the engines poll meanwhile.
        pollfd wake{wake_fd_, POLLIN, 0};
        (void)::poll(&wake, 1, static_cast<int>(kReconnectEvery.count()));
        continue;
      }
      conn = std::move(again).value();
      on_commit_();  // commits while it was away were not heard: look now
    }
    pollfd fds[2] = {{PQsocket(conn->raw()), POLLIN, 0}, {wake_fd_, POLLIN, 0}};
    int n = ::poll(fds, 2, kPollMs);
    if (stop_) break;
    if (n <= 0 || !(fds[0].revents & (POLLIN | POLLHUP | POLLERR))) continue;
    if (PQconsumeInput(conn->raw()) == 0 || !conn->ok()) {
      conn.reset();
      continue;
    }
    bool heard = false;
    while (PGnotify* note = PQnotifies(conn->raw())) {
      heard = true;
      PQfreemem(note);
    }
    if (heard) on_commit_();
  }
}

}  // namespace commerce::postgres
