// `commerce serve`: the reference HTTP server (tools/server), from the same CLI as import,
// search, get and stats. Same flags and config file as commerce-server (docs/server.md).
#include <CLI/CLI.hpp>

#include "commands.h"
#include "server.h"

namespace commerce::cli {

CLI::App* AddServeCommand(CLI::App* app, server::ServerOptions* o) {
  auto* serve = app->add_subcommand("serve", "run the HTTP/JSON server over a store (docs/server.md)");
  server::AddServerOptions(serve, o);
  return serve;
}

int RunServe(const server::ServerOptions& o) { return server::RunServer(o); }

}  // namespace commerce::cli
