// Xapian's remote-backend TCP server, as libxapian 1.4 exports it.
//
// libxapian.so exports the classes that xapian-tcpsrv is made of (TcpServer,
// RemoteTcpServer) but Debian's libxapian-dev installs no header for them, and
// xapian-tcpsrv offers no way to register user subclasses: so a MatchSpy of ours (the
// facets) cannot run on it. These declarations match the 1.4 series' classes member for
// member (net/tcpserver.h and net/remotetcpserver.h in xapian-core): the size and the
// offsets matter, because set_registry() is inline there and writes the member itself.
// CheckLayout() verifies, at run time, that the constructor filled the members where we
// expect them, and the shard server refuses to start when they are not (a libxapian whose
// layout changed); the static_assert refuses other series at build time.
//
// Thread safety: one thread runs a server; run() forks one process per connection.
#pragma once

#include <string>
#include <vector>

#include <xapian.h>

static_assert(XAPIAN_MAJOR_VERSION == 1 && XAPIAN_MINOR_VERSION == 4,
              "src/search/xapian_tcp_server.h mirrors libxapian 1.4's TcpServer layout");

// In the global namespace, as libxapian defines them (the mangled names must match).
class [[gnu::visibility("default")]] TcpServer {
 public:
  TcpServer(const std::string& host, int port, bool tcp_nodelay, bool verbose);
  virtual ~TcpServer();
  TcpServer(const TcpServer&) = delete;
  TcpServer& operator=(const TcpServer&) = delete;

  // Accepts connections until the process is signalled; each connection is served by a
  // forked child. SIGTERM stops the server and its children (it signals its process group).
  void run();
  virtual void handle_one_connection(int socket) = 0;

 protected:
  int listen_socket;
  bool verbose;
};

class [[gnu::visibility("default")]] RemoteTcpServer : public TcpServer {
 public:
  RemoteTcpServer(const std::vector<std::string>& dbpaths, const std::string& host, int port,
                  double active_timeout, double idle_timeout, bool writable, bool verbose);
  void set_registry(const Xapian::Registry& registry) { reg = registry; }
  void handle_one_connection(int socket) override;

  // The listening socket (to learn the port when 0 was asked for).
  int listening_socket() const { return listen_socket; }
  // True when the constructor stored its arguments where these declarations put them.
  bool CheckLayout(const std::vector<std::string>& paths, double active, double idle) const {
    return dbpaths == paths && !writable && active_timeout == active && idle_timeout == idle &&
           listen_socket >= 0;
  }

 private:
  const std::vector<std::string> dbpaths;
  bool writable;
  double active_timeout;
  double idle_timeout;
  Xapian::Registry reg;
};
