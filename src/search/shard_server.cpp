// commerce::ServeSearchShards (include/commerce/shard_server.h): Xapian's RemoteTcpServer
// (xapian_tcp_server.h) with a Registry that knows the engine's FacetSpy.
#include "commerce/shard_server.h"

#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <memory>

#include <xapian.h>

#include "search/facet_spy.h"
#include "search/xapian_tcp_server.h"

namespace commerce {

namespace {

// Xapian's TcpServer exit()s the process when the address is taken; a library call must
// not, so try the address first.
Status CheckAddressFree(const std::string& host, int port) {
  if (port == 0) return Status::OK();
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE;
  addrinfo* found = nullptr;
  const std::string service = std::to_string(port);
  if (int rc = ::getaddrinfo(host.empty() ? nullptr : host.c_str(), service.c_str(), &hints, &found); rc != 0)
    return Status::InvalidArgument("shard server: host '" + host + "' does not resolve: " + ::gai_strerror(rc));
  Status s;
  for (addrinfo* a = found; a && s.ok(); a = a->ai_next) {
    int fd = ::socket(a->ai_family, a->ai_socktype, a->ai_protocol);
    if (fd < 0) continue;
    int one = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (::bind(fd, a->ai_addr, a->ai_addrlen) != 0 && errno == EADDRINUSE)
      s = Status::Unavailable("shard server: " + host + ":" + service + " is already in use");
    ::close(fd);
  }
  ::freeaddrinfo(found);
  return s;
}

}  // namespace

Status ServeSearchShards(const ShardServerOptions& options) {
  if (options.databases.empty())
    return Status::InvalidArgument("shard server: no database to serve (give a shard directory)");
  if (options.port < 0 || options.port > 65535)
    return Status::InvalidArgument("shard server: port " + std::to_string(options.port) +
                                   " is outside 0..65535");
  if (options.active_timeout_s <= 0 || options.idle_timeout_s < 0)
    return Status::InvalidArgument(
        "shard server: active_timeout_s must be positive and idle_timeout_s not negative");
  COMMERCE_RETURN_IF_ERROR(CheckAddressFree(options.host, options.port));
  // Open each database once here, so that a wrong path is refused at start rather than on
  // each connection (the children open them again, for the newest commit).
  for (const auto& path : options.databases) {
    try {
      Xapian::Database db(path);
    } catch (const Xapian::Error& e) {
      return Status::Unavailable("shard server: " + path + " does not open as a Xapian database: " +
                                 e.get_msg());
    }
  }
  // TcpServer::run()'s SIGTERM handler signals its whole process group: lead one, so that a
  // parent that started us without a group of our own is not signalled with us.
  if (::getpgrp() != ::getpid()) ::setpgid(0, 0);

  std::unique_ptr<RemoteTcpServer> server;
  try {
    server = std::make_unique<RemoteTcpServer>(options.databases, options.host, options.port,
                                               options.active_timeout_s, options.idle_timeout_s,
                                               /*writable=*/false, options.verbose);
  } catch (const Xapian::Error& e) {
    return Status::Unavailable("shard server: cannot listen on " + options.host + ":" +
                               std::to_string(options.port) + ": " + e.get_msg());
  }
  if (!server->CheckLayout(options.databases, options.active_timeout_s, options.idle_timeout_s)) {
    // The object is not what we think it is: leak it rather than run its destructor.
    (void)server.release();
    return Status::Internal(
        "shard server: this libxapian's RemoteTcpServer is not laid out as in Xapian 1.4 "
        "(src/search/xapian_tcp_server.h); rebuild against the installed libxapian-dev");
  }
  // Xapian's TcpServer listens with a backlog of 5, and its one thread accepts and forks a
  // child per connection. An engine opens a connection per reader and shard, and under a
  // burst of searches several engines open dozens at once: the sixth connection waiting for
  // accept() had its SYN dropped, the client's SYN retry came only after 1 s, its 500 ms
  // connect timeout (search.remote_connect_timeout) had passed, and five such failures opened
  // the server's breaker in every engine -- a busy server looked dead, and each search got 503
  // (docs/scaling.md, "search-varied through HAProxy"). listen() again on the listening
  // socket only changes its backlog (Linux caps it at net.core.somaxconn).
  if (::listen(server->listening_socket(), SOMAXCONN) != 0)
    return Status::Unavailable(std::string("shard server: cannot raise the listen backlog: ") +
                               std::strerror(errno));
  Xapian::Registry registry;
  search::FacetSpy prototype(false, false, false);
  registry.register_match_spy(prototype);
  server->set_registry(registry);

  sockaddr_in6 addr{};
  socklen_t len = sizeof addr;
  int port = options.port;
  if (::getsockname(server->listening_socket(), reinterpret_cast<sockaddr*>(&addr), &len) == 0)
    port = ntohs(addr.sin6_family == AF_INET6 ? addr.sin6_port
                                              : reinterpret_cast<sockaddr_in*>(&addr)->sin_port);
  if (options.on_listening) options.on_listening(port);
  try {
    server->run();
  } catch (const Xapian::Error& e) {
    return Status::Unavailable("shard server: " + e.get_description());
  }
  return Status::Internal("shard server: the accept loop ended");
}

}  // namespace commerce
