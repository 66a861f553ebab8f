// A search shard server: serves index shards (Xapian databases) over Xapian's remote
// protocol, like Debian's xapian-tcpsrv, with the engine's facet counter registered, so
// that every query feature of the search API — facets included — runs over remote shards
// (docs/search.md, "Over remote shards"). build/bin/commerce-shard-server is its command.
//
//   commerce::ShardServerOptions o{.host = "127.0.0.1", .port = 7001,
//                                  .databases = {"/srv/shop/search/g1/shard-0"}};
//   commerce::Status s = commerce::ServeSearchShards(o);  // returns only on error
//
// Each connection is served by a forked child process that opens the databases afresh, so
// a client sees an index's new commits when it reopens. The server puts itself in a process
// group of its own (unless it leads one already): SIGTERM stops the server and every
// connection's child; SIGKILL of the group is the hard stop.
//
// Thread safety: call from a process's only thread (it forks).
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "commerce/export.h"
#include "commerce/status.h"

namespace commerce {

struct ShardServerOptions {
  std::string host = "127.0.0.1";  // the interface to listen on ("" for every interface)
  int port = 0;                    // 0: any free port (on_listening tells which)
  // Xapian databases served as one (usually one shard directory). Read-only.
  std::vector<std::string> databases;
  // Seconds a client may take between the messages of one request; past it the connection
  // is dropped (Xapian's NetworkTimeoutError on the client).
  double active_timeout_s = 60;
  // Seconds a connection may stay idle between requests before the server closes it. The
  // engine keeps connections open between queries and reconnects when one was closed, so a
  // long idle time saves reconnects; 0 keeps idle connections forever.
  double idle_timeout_s = 600;
  bool verbose = false;  // log connections on stdout
  // Called once the socket listens, with its port; before any connection is accepted.
  std::function<void(int port)> on_listening;
};

// Listens and serves until the process is signalled. Returns only on error:
// InvalidArgument (no database, a port outside 0..65535), Unavailable (the address is in
// use, a database does not open), Internal (this libxapian's server classes are not laid
// out as the engine was built for).
COMMERCE_EXPORT Status ServeSearchShards(const ShardServerOptions& options);

}  // namespace commerce
