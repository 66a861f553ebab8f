// Test helpers for the PostgreSQL driver. Tests use the server named by COMMERCE_PG_URL (ctest's
// `postgres` fixture starts a private one with tools/pg-cluster and sets it), each in a schema
// of its own so that tests running at once never meet; a test that must kill or promote
// servers (failover) starts a cluster of its own with PgTestCluster.
//
// Without COMMERCE_PG_URL the postgres cases are skipped with a message saying how to run them:
//   tools/pg-cluster run -- build/bin/commerce_unit_tests "[postgres]"
#pragma once

#include <stdlib.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <fstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "test_dir.h"

namespace commerce::testing {

// COMMERCE_PG_URL, or the contents of the file COMMERCE_PG_URL_FILE names (what ctest's
// fixture writes), or "" when neither is set.
inline std::string PgTestUrl() {
  const char* url = std::getenv("COMMERCE_PG_URL");
  if (url && *url) return url;
  const char* file = std::getenv("COMMERCE_PG_URL_FILE");
  if (!file || !*file) return "";
  std::ifstream in(file);
  std::string line;
  std::getline(in, line);
  return line;
}

inline constexpr char kPgSkipMessage[] =
    "postgres driver skipped: COMMERCE_PG_URL is not set (ctest sets it through its postgres "
    "fixture; by hand: tools/pg-cluster run -- <test command>)";

// A schema name no other test (in this process or another) uses: "t<pid>_<n>_<prefix>".
inline std::string UniquePgSchema(std::string_view prefix = "") {
  static std::atomic<int> counter{0};
  std::string name = "t" + std::to_string(::getpid()) + "_" + std::to_string(counter++);
  if (!prefix.empty()) name += "_" + std::string(prefix);
  return name.substr(0, 63);
}

// The storage drivers a suite that runs on every driver (the conformance suite, checked
// changes) runs on: lmdb, sqlite, and postgres when a server is named (else a note on
// stderr, once). COMMERCE_TEST_DRIVERS=sqlite,postgres (comma separated) chooses some of them
// (ctest's postgres_storage_conformance runs postgres alone).
inline std::vector<std::string> TestStorageDrivers() {
  std::vector<std::string> all = {"lmdb", "sqlite"};
  if (!PgTestUrl().empty()) {
    all.push_back("postgres");
  } else {
    static bool told = false;
    if (!std::exchange(told, true)) std::fprintf(stderr, "%s\n", kPgSkipMessage);
  }
  const char* only = std::getenv("COMMERCE_TEST_DRIVERS");
  if (only == nullptr || *only == '\0') return all;
  std::vector<std::string> chosen;
  std::string list = only;
  for (size_t start = 0; start <= list.size();) {
    size_t comma = list.find(',', start);
    if (comma == std::string::npos) comma = list.size();
    std::string name = list.substr(start, comma - start);
    if (!name.empty()) chosen.push_back(name);
    start = comma + 1;
  }
  return chosen;
}

// A private cluster (primary, optionally a synchronous replica) for one test, started with
// tools/pg-cluster in a temporary directory and stopped when the object goes, whatever the
// test did. The script's guard also stops it if this process dies.
class PgTestCluster {
 public:
  explicit PgTestCluster(bool replica) {
    std::string cmd = Script() + " start " + dir_.path() + (replica ? " --replica" : "") +
                      " --owner-pid " + std::to_string(::getpid()) + " >" + dir_.sub("start.out") +
                      " 2>&1";
    if (std::system(cmd.c_str()) != 0)
      throw std::runtime_error("tools/pg-cluster start failed: " + Read(dir_.sub("start.out")));
    url_ = Read(dir_.path() + "/url");
    while (!url_.empty() && url_.back() == '\n') url_.pop_back();
  }
  ~PgTestCluster() { (void)Run("stop"); }
  PgTestCluster(const PgTestCluster&) = delete;
  PgTestCluster& operator=(const PgTestCluster&) = delete;

  const std::string& url() const { return url_; }
  const std::string& dir() const { return dir_.path(); }
  // SIGKILLs the primary's postmaster and backends.
  bool kill_primary() { return Run("kill-primary"); }
  // pg_ctl promote on the replica, waiting until it accepts writes.
  bool promote() { return Run("promote"); }

 private:
  static std::string Script() { return std::string(COMMERCE_SOURCE_DIR) + "/tools/pg-cluster"; }
  static std::string Read(const std::string& path) {
    std::ifstream in(path);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }
  bool Run(const std::string& verb) {
    std::string cmd = Script() + " " + verb + " " + dir_.path() + " >/dev/null 2>&1";
    return std::system(cmd.c_str()) == 0;
  }

  TempDir dir_;
  std::string url_;
};

}  // namespace commerce::testing
