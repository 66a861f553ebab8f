// commerce-server: the HTTP/JSON reference server (docs/server.md).
//
//   commerce-server --data ./shop --listen 127.0.0.1:8080 --threads 2 --keys keys.txt
#include <CLI/CLI.hpp>

#include "server.h"

int main(int argc, char** argv) {
  commerce::server::ServerOptions o;
  if (!commerce::server::ApplyConfigFromArgs(argc, argv, &o)) return 2;
  CLI::App app{"commerce-server: the commerce engine over HTTP/JSON"};
  commerce::server::AddServerOptions(&app, &o);
  CLI11_PARSE(app, argc, argv);
  return commerce::server::RunServer(o);
}
