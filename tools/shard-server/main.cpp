// commerce-shard-server: serves search index shards to engines over Xapian's remote
// protocol, with the engine's facet counter registered (include/commerce/shard_server.h,
// docs/search.md "Over remote shards").
//
//   commerce-shard-server --port 7001 /srv/shop/search/g1/shard-0
//   commerce-shard-server --port 7001 --index /srv/shop/search --shard 0
//
// Prints "listening on HOST:PORT" on stdout once it accepts connections (a supervisor or a
// test waits for that line; --port 0 picks a free port).
#include <CLI/CLI.hpp>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "commerce/shard_server.h"

int main(int argc, char** argv) {
  CLI::App app{"commerce-shard-server: serve search index shards over Xapian's remote protocol, "
               "facets included"};
  commerce::ShardServerOptions o;
  std::string index;
  int shard = -1;
  app.add_option("databases", o.databases, "Xapian database directories served as one (a shard)");
  app.add_option("--host", o.host, "interface to listen on (\"\" for every interface)")->capture_default_str();
  app.add_option("--port", o.port, "TCP port (0: any free port)")->check(CLI::Range(0, 65535))->capture_default_str();
  auto* index_opt = app.add_option(
      "--index", index, "an engine's index directory (<store>/search): serve its current generation's --shard");
  auto* shard_opt = app.add_option("--shard", shard, "shard number within --index")->check(CLI::Range(0, 15));
  index_opt->needs(shard_opt);
  shard_opt->needs(index_opt);
  app.add_option("--active-timeout", o.active_timeout_s,
                 "seconds a client may take between the messages of one request")->capture_default_str();
  app.add_option("--idle-timeout", o.idle_timeout_s,
                 "seconds an idle connection is kept (0: forever)")->capture_default_str();
  app.add_flag("--verbose", o.verbose, "log connections");
  CLI11_PARSE(app, argc, argv);

  if (!index.empty()) {
    // The generation current now; after a rebuild (commerce reindex) restart the server.
    std::ifstream in(index + "/CURRENT");
    std::string generation;
    if (!in || !std::getline(in, generation) || generation.empty()) {
      std::fprintf(stderr, "commerce-shard-server: %s/CURRENT is missing or empty: is %s an "
                   "engine's search directory, and has the engine indexed it once?\n",
                   index.c_str(), index.c_str());
      return 2;
    }
    o.databases.push_back(index + "/" + generation + "/shard-" + std::to_string(shard));
  }
  o.on_listening = [&](int port) {
    std::printf("listening on %s:%d\n", o.host.empty() ? "*" : o.host.c_str(), port);
    std::fflush(stdout);
  };
  commerce::Status s = commerce::ServeSearchShards(o);
  std::fprintf(stderr, "commerce-shard-server: %s\n", s.ToString().c_str());
  return s.IsInvalidArgument() ? 2 : 1;
}
