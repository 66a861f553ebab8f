// `commerce keys create`: appends an API key with a secret from the OS random source to the
// server's keys file and prints the secret (tools/server/keys_file.h, docs/server.md).
//
//   KEY=$(commerce keys create --scope store --name web-shop --keys keys.txt)
#include <CLI/CLI.hpp>
#include <cstdio>

#include "commands.h"
#include "keys_file.h"

namespace commerce::cli {

CLI::App* AddKeysCommand(CLI::App* app, KeysArgs* a) {
  auto* keys = app->add_subcommand("keys", "API keys of the HTTP server (docs/server.md)");
  keys->require_subcommand(1);
  auto* create = keys->add_subcommand(
      "create", "append a key with a fresh random secret to the keys file and print the secret");
  create->add_option("--scope", a->scope, "admin, store or public (a publishable key, safe in a browser)")->required();
  create->add_option("--name", a->name, "the key's name (in the access log): 1..64 of A-Z a-z 0-9 . _ -")
      ->required();
  create->add_option("--keys", a->file, "the keys file (created with mode 0600 if absent)")
      ->capture_default_str();
  create->add_option("--rate", a->rate, "requests a second (0: unlimited)")->capture_default_str();
  create->add_option("--burst", a->burst, "requests at once (default: the rate)");
  create->add_option("--channel", a->channel,
                     "limit every request of the key to this channel (store or public keys; the "
                     "server refuses a channel the store does not have)");
  return create;
}

int RunKeysCreate(const KeysArgs& a) {
  auto scope = server::ParseScope(a.scope);
  if (!scope.ok()) {
    std::fprintf(stderr, "error: %s\n", scope.status().ToString().c_str());
    return 2;
  }
  auto key = server::CreateKey(a.file, a.name, *scope, a.rate, a.burst, a.channel);
  if (!key.ok()) {
    std::fprintf(stderr, "error: %s\n", key.status().ToString().c_str());
    return key.status().IsInvalidArgument() ? 2 : 1;
  }
  // The secret alone on stdout, so that KEY=$(commerce keys create ...) works; the rest on
  // stderr.
  std::printf("%s\n", key->secret.c_str());
  std::fprintf(stderr, "appended key \"%s\" (scope %s%s%s) to %s; a running commerce-server reads "
                       "it on SIGHUP or restart\n",
               key->name.c_str(), a.scope.c_str(), key->channel.empty() ? "" : ", channel ",
               key->channel.c_str(), a.file.c_str());
  return 0;
}

}  // namespace commerce::cli
