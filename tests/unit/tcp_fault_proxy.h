// A TCP proxy on 127.0.0.1 for fault tests of a network driver: it forwards every connection
// to an upstream port and can (1) cut a connection right after forwarding a client message
// that contains a marker, without passing the server's answer back — the "COMMIT sent, answer
// lost" case — or right before forwarding it, and (2) refuse connections while "down".
//
// Thread safety: the setters may be called from any thread; the proxy runs its own threads
// and joins them in the destructor.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace commerce::testing {

class TcpFaultProxy {
 public:
  enum class Cut { kNone, kAfterForwarding, kBeforeForwarding };

  explicit TcpFaultProxy(int upstream_port) : upstream_port_(upstream_port) {
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = 0;
    if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
        ::listen(listen_fd_, 64) != 0)
      throw std::runtime_error("proxy: cannot listen");
    socklen_t len = sizeof a;
    ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    accept_thread_ = std::thread([this] { accept_loop(); });
  }
  ~TcpFaultProxy() {
    stop_ = true;
    ::shutdown(listen_fd_, SHUT_RDWR);
    ::close(listen_fd_);
    accept_thread_.join();
    // Joined without the lock: a pump may be waiting for it in check().
    std::vector<std::thread> pumps;
    {
      std::lock_guard<std::mutex> lock(mu_);
      pumps.swap(pumps_);
    }
    for (auto& t : pumps) t.join();
  }
  TcpFaultProxy(const TcpFaultProxy&) = delete;
  TcpFaultProxy& operator=(const TcpFaultProxy&) = delete;

  int port() const { return port_; }

  // The next client message containing `marker` cuts its connection (once).
  void cut_on(std::string marker, Cut how) {
    std::lock_guard<std::mutex> lock(mu_);
    marker_ = std::move(marker);
    cut_ = how;
  }
  // While down, new connections are closed at once (the server "unreachable").
  void set_down(bool down) { down_ = down; }
  int cuts() const { return cuts_; }

 private:
  static bool Connect(int fd, int port) {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(static_cast<uint16_t>(port));
    return ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  }

  void accept_loop() {
    while (!stop_) {
      int client = ::accept(listen_fd_, nullptr, nullptr);
      if (client < 0) {
        if (stop_) return;
        continue;
      }
      if (down_) {
        ::close(client);
        continue;
      }
      int server = ::socket(AF_INET, SOCK_STREAM, 0);
      if (!Connect(server, upstream_port_)) {
        ::close(server);
        ::close(client);
        continue;
      }
      std::lock_guard<std::mutex> lock(mu_);
      pumps_.emplace_back([this, client, server] { pump(client, server); });
    }
  }

  // Checks the client's bytes for the marker (carrying a tail across reads, so a marker
  // split between two reads is still found).
  Cut check(std::string& carry, const char* data, size_t n) {
    std::lock_guard<std::mutex> lock(mu_);
    if (cut_ == Cut::kNone || marker_.empty()) return Cut::kNone;
    carry.append(data, n);
    Cut how = Cut::kNone;
    if (carry.find(marker_) != std::string::npos) {
      how = cut_;
      cut_ = Cut::kNone;
      ++cuts_;
    }
    if (carry.size() > marker_.size()) carry.erase(0, carry.size() - marker_.size());
    return how;
  }

  void pump(int client, int server) {
    std::string carry;
    char buf[65536];
    pollfd fds[2] = {{client, POLLIN, 0}, {server, POLLIN, 0}};
    while (!stop_) {
      if (::poll(fds, 2, 100) < 0) break;
      bool closed = false;
      if (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) {
        ssize_t n = ::read(client, buf, sizeof buf);
        if (n <= 0) break;
        Cut how = check(carry, buf, static_cast<size_t>(n));
        if (how == Cut::kBeforeForwarding) break;
        if (::write(server, buf, static_cast<size_t>(n)) != n) break;
        if (how == Cut::kAfterForwarding) {
          // Give the server time to read the message before the client's side goes.
          std::this_thread::sleep_for(std::chrono::milliseconds(200));
          break;
        }
      }
      if (fds[1].revents & (POLLIN | POLLHUP | POLLERR)) {
        ssize_t n = ::read(server, buf, sizeof buf);
        if (n <= 0) closed = true;
        else if (::write(client, buf, static_cast<size_t>(n)) != n) closed = true;
      }
      if (closed) break;
    }
    ::close(client);
    ::close(server);
  }

  const int upstream_port_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<bool> down_{false};
  std::atomic<int> cuts_{0};
  std::mutex mu_;
  std::string marker_;           // GUARDED_BY(mu_)
  Cut cut_ = Cut::kNone;         // GUARDED_BY(mu_)
  std::vector<std::thread> pumps_;  // GUARDED_BY(mu_)
  std::thread accept_thread_;
};

}  // namespace commerce::testing
