// The crash tests' round: a forked child writes and reports each acknowledged write through a
// pipe; the parent SIGKILLs it at a random moment after its first acknowledgement and collects
// what was acknowledged (order_crash_test.cpp, coupon_crash_test.cpp).
#pragma once

#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <cstring>
#include <functional>
#include <map>
#include <random>
#include <string>

namespace commerce::testing {

// One pipe record: written with one write(2) of fewer than PIPE_BUF bytes, so records from
// several threads never interleave. `id` is an order id ("ord-" + 16 hex digits).
struct Ack {
  uint64_t n;
  char id[20];
};

// In the child: reports write number n with its id; _exit(5) when the id is not an order id's
// size, _exit(6) when the pipe fails.
inline void WriteAck(int fd, uint64_t n, const std::string& id) {
  Ack ack{n, {}};
  if (id.size() != sizeof ack.id) _exit(5);
  std::memcpy(ack.id, id.data(), sizeof ack.id);
  if (::write(fd, &ack, sizeof ack) != sizeof ack) _exit(6);
}

// Forks; the child runs `child(pipe_fd)` (which must never return). The parent kills it
// 0..kill_window_ms after the first acknowledgement (5 s without one is a guard), reads every
// acknowledgement until the pipe closes, reaps the child and REQUIREs that SIGKILL ended it.
// The child is not reaped before the kill, so its pid cannot have been reused.
inline std::map<uint64_t, std::string> RunKilledChild(const std::function<void(int)>& child,
                                                      std::mt19937_64& rng, int kill_window_ms) {
  int fds[2];
  REQUIRE(::pipe(fds) == 0);
  pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    ::close(fds[0]);
    child(fds[1]);
    _exit(0);
  }
  ::close(fds[1]);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  const auto after_first_ack = std::chrono::milliseconds(rng() % kill_window_ms);
  bool killed = false;
  std::map<uint64_t, std::string> acked;
  std::string partial;
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                    deadline - std::chrono::steady_clock::now()).count();
    if (left <= 0 && !killed) {
      ::kill(pid, SIGKILL);
      killed = true;
    }
    struct pollfd pfd = {fds[0], POLLIN, 0};
    int ready = ::poll(&pfd, 1, killed ? 1000 : static_cast<int>(std::max<long>(left, 1)));
    if (ready <= 0) continue;
    char buf[sizeof(Ack) * 64];
    ssize_t got = ::read(fds[0], buf, sizeof buf);
    if (got <= 0) break;  // the child is gone
    if (partial.empty() && acked.empty() && !killed)
      deadline = std::chrono::steady_clock::now() + after_first_ack;
    partial.append(buf, static_cast<size_t>(got));
    while (partial.size() >= sizeof(Ack)) {
      Ack ack;
      std::memcpy(&ack, partial.data(), sizeof ack);
      acked[ack.n] = std::string(ack.id, sizeof ack.id);
      partial.erase(0, sizeof ack);
    }
  }
  ::close(fds[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  INFO("child exit status " << status);
  REQUIRE(WIFSIGNALED(status));
  REQUIRE(WTERMSIG(status) == SIGKILL);
  return acked;
}

}  // namespace commerce::testing
