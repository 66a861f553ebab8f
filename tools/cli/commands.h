// The subcommands of the `commerce` CLI; main.cpp parses arguments and calls one of these.
// Each returns the process exit code: 0 success, 1 an engine error (printed as
// "error: CODE: message"), 2 bad usage.
#pragma once

#include <cstdint>
#include <string>

namespace commerce::cli {

struct StoreArgs {
  std::string data = "./commerce-data";
  std::string driver = "lmdb";
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

int RunImport(const ImportArgs& a);
int RunGet(const StoreArgs& s, const std::string& sku, const std::string& id);
int RunStats(const StoreArgs& s);
int RunEvents(const StoreArgs& s, uint64_t from, size_t limit);
int RunGenerate(const GenerateArgs& a);
int RunDemo(const DemoArgs& a);

}  // namespace commerce::cli
