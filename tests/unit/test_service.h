// Test helper: a private server process (redis-server, nats-server, a shard server) on
// 127.0.0.1 and a free port, in its own process group, SIGKILLed with everything it forked when
// the object goes, whatever the test did. Kill() and Restart() (same port) are the faults the
// tests inject.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <functional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace commerce::testing {

// A port nothing listens on now, below the kernel's ephemeral range. A service's port inside
// that range can be taken while the service is down by a client's own connect to it: TCP lets
// a socket whose ephemeral source port equals the port it dials connect to itself. The
// restarted service then cannot bind (seen as an abort of "Redis killed under readers" under
// ASan, whose cache keeps dialling the dead Redis).
inline int FreePort() {
  int low = 32768;
  if (std::FILE* f = std::fopen("/proc/sys/net/ipv4/ip_local_port_range", "r")) {
    if (std::fscanf(f, "%d", &low) != 1) low = 32768;
    std::fclose(f);
  }
  const int first = 10000, last = std::max(first + 1000, low) - 1;
  static unsigned next = static_cast<unsigned>(::getpid()) * 7919u;
  for (int tries = 0; tries < 2000; ++tries) {
    const int port = first + static_cast<int>(next++ * 2654435761u % static_cast<unsigned>(last - first + 1));
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) throw std::runtime_error("socket failed");
    int one = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);  // as the services bind
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(static_cast<uint16_t>(port));
    const bool free = ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
    ::close(fd);
    if (free) return port;
  }
  throw std::runtime_error("no free port below the ephemeral range");
}

// True when something accepts connections on 127.0.0.1:port.
inline bool PortAccepts(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return false;
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(static_cast<uint16_t>(port));
  bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  ::close(fd);
  return ok;
}

// Stops and joins a test's threads however the test leaves its scope: a REQUIRE, or a
// service that fails to restart, throws while they run, and a joinable std::thread destroyed
// then aborts the whole test binary ("terminate called without an active exception").
class JoinOnExit {
 public:
  JoinOnExit(std::atomic<bool>* stop, std::vector<std::thread>* threads) : stop_(stop), threads_(threads) {}
  ~JoinOnExit() {
    *stop_ = true;
    for (auto& t : *threads_)
      if (t.joinable()) t.join();
  }
  JoinOnExit(const JoinOnExit&) = delete;
  JoinOnExit& operator=(const JoinOnExit&) = delete;

 private:
  std::atomic<bool>* stop_;
  std::vector<std::thread>* threads_;
};

class TestService {
 public:
  // `argv(port)` builds the command line for a port; the process is started at once and
  // waited for until its port accepts connections (10 s, else std::runtime_error).
  TestService(std::string name, std::function<std::vector<std::string>(int port)> argv)
      : name_(std::move(name)), argv_(std::move(argv)), port_(FreePort()) {
    Start();
  }
  ~TestService() { Kill(); }
  TestService(const TestService&) = delete;
  TestService& operator=(const TestService&) = delete;

  int port() const { return port_; }
  // The process (and its group's id), or -1 after Kill().
  pid_t pid() const { return pid_; }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }

  // SIGKILL of the process group.
  void Kill() {
    if (pid_ <= 0) return;
    ::kill(-pid_, SIGKILL);
    ::kill(pid_, SIGKILL);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
  }
  // SIGSTOP / SIGCONT of the process group: a server that stops answering while its kernel
  // still accepts connections and holds the open ones (a stuck or paused process).
  void Pause() {
    if (pid_ > 0) ::kill(-pid_, SIGSTOP);
  }
  void Resume() {
    if (pid_ > 0) ::kill(-pid_, SIGCONT);
  }
  // Starts again on the same port.
  void Restart() {
    Kill();
    Start();
  }

 private:
  void Start() {
    std::vector<std::string> args = argv_(port_);
    std::fflush(nullptr);  // or the child flushes the parent's buffered output too
    pid_ = ::fork();
    if (pid_ < 0) throw std::runtime_error("fork failed");
    if (pid_ == 0) {
      ::setpgid(0, 0);
      std::freopen("/dev/null", "w", stdout);
      std::freopen("/dev/null", "w", stderr);
      std::vector<char*> cargs;
      for (auto& a : args) cargs.push_back(a.data());
      cargs.push_back(nullptr);
      ::execvp(cargs[0], cargs.data());
      ::_exit(127);
    }
    ::setpgid(pid_, pid_);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!PortAccepts(port_)) {
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) != 0) {
        pid_ = -1;
        throw std::runtime_error(name_ + " exited at start (is it installed? tools/install-deps)");
      }
      if (std::chrono::steady_clock::now() > deadline) {
        Kill();
        throw std::runtime_error(name_ + " did not listen on its port within 10 s");
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }

  std::string name_;
  std::function<std::vector<std::string>(int)> argv_;
  int port_;
  pid_t pid_ = -1;
};

// A private redis-server: no persistence, no protected mode beyond loopback.
inline std::vector<std::string> RedisArgv(int port) {
  return {"redis-server", "--port", std::to_string(port), "--bind", "127.0.0.1",
          "--save", "", "--appendonly", "no", "--daemonize", "no"};
}

// A private nats-server with JetStream, its store under `store`.
inline std::vector<std::string> NatsArgv(int port, const std::string& store) {
  return {"nats-server", "-js", "-a", "127.0.0.1", "-p", std::to_string(port), "-sd", store};
}

}  // namespace commerce::testing
