// The subcommands of the `commerce` CLI; main.cpp parses arguments and calls one of these.
// Each returns the process exit code: 0 success, 1 an engine error (printed as
// "error: CODE: message"), 2 bad usage.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "commerce/engine.h"
#ifdef COMMERCE_CLI_SERVE
#include "server.h"
#endif

namespace CLI {
class App;
}

namespace commerce::cli {

struct StoreArgs {
  std::string data = "./commerce-data";
  std::string driver = "lmdb";
  std::string pg_schema = "commerce";
};

struct ImportArgs {
  StoreArgs store;
  std::string file;
  std::string format = "auto";
  std::string mapping;
  std::string currency = "USD";
  size_t show_rejections = 10;
};

struct GenerateArgs {
  uint64_t products = 10'000;
  uint64_t seed = 42;
  std::string out;
};

struct DemoArgs {
  StoreArgs store;
  uint64_t products = 10'000;
  uint64_t seed = 42;
  std::string file;     // a real catalog instead of the generated one
  std::string mapping;  // its field mapping
  bool keep = false;    // keep an existing store instead of starting afresh
};

struct SearchArgs {
  StoreArgs store;
  std::string text;
  std::vector<std::string> brands, categories;
  int64_t price_min = -1, price_max = -1;  // minor units; -1: none
  bool in_stock = false;
  std::string facets;  // comma-separated
  std::string sort;
  size_t offset = 0, limit = 10;
  bool explain = false;  // print each hit's HitExplanation under it
};

struct BackupArgs {
  std::string data = "./commerce-data";
  std::string driver = "lmdb";
  std::string to;
};

// Prints "error: CODE: message" to stderr; returns 1.
int Fail(const Status& s);

// What a command does to the store at --data: only reads it (it must exist: NotFound, and
// nothing created, for a mistyped path), or writes (created if absent).
enum class StoreUse { kRead, kWrite };
Result<std::unique_ptr<Engine>> OpenStore(const StoreArgs& s, StoreUse use,
                                          std::shared_ptr<PricingPolicy> pricing = nullptr);

struct VerifyArgs {
  std::string data;
  std::string driver;  // "": tell from the files
  bool json = false;
  bool no_search = false;
  size_t max_problems = 100;
};

int RunImport(const ImportArgs& a);
int RunGet(const StoreArgs& s, const std::string& sku, const std::string& id);
int RunStats(const StoreArgs& s);
int RunEvents(const StoreArgs& s, uint64_t from, size_t limit);
int RunGenerate(const GenerateArgs& a);
int RunDemo(const DemoArgs& a);
int RunSearch(const SearchArgs& a);
int RunReindex(const StoreArgs& s, uint32_t shards);

struct TrimArgs {
  StoreArgs store;
  std::string older_than;  // "30d", "12h", ...; "": no age limit
  int64_t max_count = 0;  // signed, so that a negative one is refused with a message
};
// trim_command.cpp: `events trim`, a subcommand of `events`.
CLI::App* AddTrimCommand(CLI::App* events, TrimArgs* a);
int RunTrim(const TrimArgs& a);

// backup_command.cpp: the `backup` subcommand.
CLI::App* AddBackupCommand(CLI::App* app, BackupArgs* a);
int RunBackup(const BackupArgs& a);
// verify_command.cpp: exit 0 sound, 1 problems found, 3 could not check.
CLI::App* AddVerifyCommand(CLI::App* app, VerifyArgs* a);
int RunVerify(const VerifyArgs& a);
#ifdef COMMERCE_CLI_SERVE
struct KeysArgs {
  std::string scope, name;
  std::string file = "keys.txt";
  double rate = 0, burst = 0;
  std::string channel;  // "": not limited to one
};
// keys_command.cpp: `keys create`.
CLI::App* AddKeysCommand(CLI::App* app, KeysArgs* a);
int RunKeysCreate(const KeysArgs& a);
// serve_command.cpp: the `serve` subcommand (flags as commerce-server's) and its run.
CLI::App* AddServeCommand(CLI::App* app, server::ServerOptions* o);
int RunServe(const server::ServerOptions& o);
#endif

// Waits, with a progress line, until the search index holds every event of the log.
Status CatchUpIndex(Engine& engine);
// The demo's searches; returns the first two products found, for the cart.
Result<std::vector<Product>> DemoSearch(Engine& engine);

}  // namespace commerce::cli
