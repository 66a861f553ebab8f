// A tiny HTTP receiver for webhook tests: plain sockets on 127.0.0.1, one connection at a
// time, answering each request with the status a test decides (webhooks_webhooks_test.cpp,
// engine_lease_test.cpp).
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cctype>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

namespace commerce::testing {

struct Request {
  std::string path;
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;
  int answered = 0;  // the status it was answered with
};

// Accepts one connection at a time on 127.0.0.1:<ephemeral>, reads one request and answers
// it with the status `decide` returns (-1: never answer, hold the connection until stopped).
class Receiver {
 public:
  using Decide = std::function<int(const Request&)>;

  explicit Receiver(Decide decide) : decide_(std::move(decide)) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    REQUIRE(fd_ >= 0);
    int one = 1;
    ::setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    REQUIRE(::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    REQUIRE(::listen(fd_, 16) == 0);
    socklen_t len = sizeof addr;
    REQUIRE(::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { Serve(); });
  }
  ~Receiver() {
    stop_.store(true);
    thread_.join();
    ::close(fd_);
  }

  // A 3xx answer carries `Location: url` (a redirect the sender must not follow).
  void set_location(std::string url) {
    std::lock_guard<std::mutex> lock(mu_);
    location_ = std::move(url);
  }

  std::string url(const std::string& path = "/hooks") const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }
  std::vector<Request> requests() const {
    std::lock_guard<std::mutex> lock(mu_);
    return requests_;
  }
  size_t count() const {
    std::lock_guard<std::mutex> lock(mu_);
    return requests_.size();
  }
  bool WaitFor(size_t n, std::chrono::milliseconds timeout) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, timeout, [&] { return requests_.size() >= n; });
  }

 private:
  void Serve() {
    while (!stop_.load()) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 20) <= 0) continue;
      int c = ::accept(fd_, nullptr, nullptr);
      if (c < 0) continue;
      Handle(c);
      ::close(c);
    }
  }

  // Reads until `n` bytes are in `buf` or the peer stops; false on a timeout or close.
  bool ReadMore(int c, std::string& buf) {
    pollfd p{c, POLLIN, 0};
    for (int waited = 0; waited < 5000 && !stop_.load(); waited += 20) {
      if (::poll(&p, 1, 20) <= 0) continue;
      char chunk[4096];
      ssize_t n = ::recv(c, chunk, sizeof chunk, 0);
      if (n <= 0) return false;
      buf.append(chunk, static_cast<size_t>(n));
      return true;
    }
    return false;
  }

  void Handle(int c) {
    std::string buf;
    size_t head_end;
    while ((head_end = buf.find("\r\n\r\n")) == std::string::npos)
      if (!ReadMore(c, buf)) return;
    Request r;
    std::string head = buf.substr(0, head_end);
    size_t line_end = head.find("\r\n");
    std::string start = head.substr(0, line_end);
    size_t sp1 = start.find(' '), sp2 = start.rfind(' ');
    r.path = start.substr(sp1 + 1, sp2 - sp1 - 1);
    size_t pos = line_end == std::string::npos ? head.size() : line_end + 2;
    while (pos < head.size()) {
      size_t end = head.find("\r\n", pos);
      if (end == std::string::npos) end = head.size();
      std::string line = head.substr(pos, end - pos);
      size_t colon = line.find(':');
      if (colon != std::string::npos) {
        std::string name = line.substr(0, colon);
        for (char& ch : name) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
        size_t v = line.find_first_not_of(' ', colon + 1);
        r.headers[name] = v == std::string::npos ? "" : line.substr(v);
      }
      pos = end + 2;
    }
    size_t length = r.headers.count("content-length") ? std::stoul(r.headers["content-length"]) : 0;
    std::string body = buf.substr(head_end + 4);
    while (body.size() < length)
      if (!ReadMore(c, body)) return;
    r.body = body.substr(0, length);
    int status = decide_(r);
    r.answered = status;
    {
      std::lock_guard<std::mutex> lock(mu_);
      requests_.push_back(r);
    }
    cv_.notify_all();
    if (status < 0) {  // hold the connection, answer nothing
      while (!stop_.load()) std::this_thread::sleep_for(std::chrono::milliseconds(10));
      return;
    }
    std::string reply_body = status / 100 == 2 ? "" : "try again later";
    std::string location;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (status / 100 == 3 && !location_.empty()) location = "Location: " + location_ + "\r\n";
    }
    std::string reply = "HTTP/1.1 " + std::to_string(status) + " X\r\n" + location + "Content-Length: " +
                        std::to_string(reply_body.size()) + "\r\nConnection: close\r\n\r\n" + reply_body;
    (void)::send(c, reply.data(), reply.size(), MSG_NOSIGNAL);
  }

  Decide decide_;
  int fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Request> requests_;
  std::string location_;  // GUARDED_BY(mu_)
};

}  // namespace commerce::testing
