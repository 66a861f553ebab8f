// Issue 11, defect 4: a damaged data.mdb must not kill the process that embeds the engine.
// Each reproduction runs in a forked child, so that an abort (LMDB's mdb_cassert) or a fault
// (SIGBUS on a truncated file) fails the test instead of ending the test run; the child
// reports what the engine answered through its exit status.
//
//   - zeroed pages of the event log: the engine opens, its background consumers tail the log
//     and meet the damage, and the process lives: tail() answers Corruption naming the table;
//   - a zeroed root page: open is Corruption naming the table;
//   - a truncated file: open is Corruption naming data.mdb (no SIGBUS);
//   - garbage over a leaf: scans answer Corruption, the process lives.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "commerce/engine.h"
#include "storage/lmdb/lmdb_pages.h"
#include "test_dir.h"
#include "test_engine.h"
#include "test_store.h"

namespace storage_lmdb_damage_test {

namespace pages = commerce::lmdb_pages;
using commerce::testing::TempDir;

namespace {

// Runs `body` in a child process; returns its exit code, or fails if it died by a signal.
int InChild(const std::function<int()>& body) {
  pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    int rc = 99;
    try {
      rc = body();
    } catch (...) {
      rc = 98;
    }
    ::_exit(rc);
  }
  int status = 0;
  REQUIRE(::waitpid(pid, &status, 0) == pid);
  INFO("child " << (WIFSIGNALED(status) ? std::string("killed by signal ") + strsignal(WTERMSIG(status))
                                        : "exited " + std::to_string(WEXITSTATUS(status))));
  REQUIRE(WIFEXITED(status));
  return WEXITSTATUS(status);
}

// A closed LMDB store whose event log spans many leaf pages, with a consumer (cart expiry)
// that has the whole log still to read.
void MakeStore(const std::string& path) {
  auto e = commerce::testing::OpenTestEngine(path, "lmdb");
  commerce::testing::FillStore(*e, 40);
  REQUIRE(e->events().set_cursor("cart-expiry", 0).ok());
  REQUIRE(e->close().ok());
}

// A closed store of MakeStore, its data file and what the file's meta pages say.
struct Store {
  TempDir dir;
  std::string file;
  pages::LmdbFileInfo info;
  Store() : file(dir.path() + "/data.mdb") {
    MakeStore(dir.path());
    auto checked = pages::CheckLmdbFile(file);
    REQUIRE(checked.ok());
    info = *checked;
  }
};

pages::LmdbDb Table(const pages::LmdbFileInfo& info, const std::string& name) {
  for (const auto& [n, db] : info.tables)
    if (n == name) return db;
  FAIL("no table " << name);
  return {};
}

void Overwrite(const std::string& file, uint64_t offset, const std::string& bytes) {
  std::fstream f(file, std::ios::in | std::ios::out | std::ios::binary);
  f.seekp(static_cast<std::streamoff>(offset));
  f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

// The leaf pages of a two-level table, left to right.
std::vector<uint64_t> Leaves(const std::string& file, const pages::LmdbFileInfo& info,
                             const pages::LmdbDb& db) {
  std::ifstream in(file, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), {});
  pages::PageSource src{bytes.data(), info.meta.psize, info.meta.last_pg + 1};
  std::string_view root = src.page(db.root);
  REQUIRE(!pages::IsLeaf(root));
  std::vector<uint64_t> out;
  for (size_t i = 0; i < pages::NumKeys(root); ++i) out.push_back(pages::ChildPage(root, i));
  return out;
}

commerce::EngineOptions Options(const std::string& path, bool background) {
  commerce::EngineOptions o;
  o.path = path;
  o.run_background = background;
  o.background_tick = std::chrono::milliseconds(20);
  return o;
}

void ZeroPage(const std::string& file, const pages::LmdbFileInfo& info, uint64_t page) {
  Overwrite(file, page * info.meta.psize, std::string(info.meta.psize, '\0'));
}

// Opens the damaged store in a child, with the background consumers running, and checks that
// open answers Corruption whose message names each of `names` (the table, the file, what is
// wrong): the one outcome every damage found on open must have.
void CheckOpenIsCorruption(const std::string& path, const std::vector<std::string>& names) {
  const int rc = InChild([&] {
    auto e = commerce::Engine::open(Options(path, /*background=*/true));
    if (e.ok()) return 10;
    std::fprintf(stderr, "open: %s\n", e.status().ToString().c_str());
    if (!e.status().IsCorruption()) return 11;
    for (const auto& name : names)
      if (e.status().message().find(name) == std::string::npos) return 12;
    return 0;
  });
  CHECK(rc == 0);
}

}  // namespace

TEST_CASE("damaged data.mdb: zeroed event-log pages do not kill the process tailing them",
          "[lmdb][corruption]") {
  TempDir dir;
  MakeStore(dir.path());
  const std::string file = dir.path() + "/data.mdb";
  auto info = pages::CheckLmdbFile(file);
  REQUIRE(info.ok());
  const auto events = Table(*info, "events");
  REQUIRE(events.depth == 2);
  const auto leaves = Leaves(file, *info, events);
  REQUIRE(leaves.size() >= 4);

  SECTION("a leaf in the middle of the log, which the cart-expiry consumer must cross") {
    ZeroPage(file, *info, leaves[1]);
    const int rc = InChild([&] {
      auto e = commerce::Engine::open(Options(dir.path(), /*background=*/true));
      if (!e.ok()) {
        std::fprintf(stderr, "open: %s\n", e.status().ToString().c_str());
        return 10;
      }
      // The background thread tails the log meanwhile, from the consumer's cursor (0).
      std::this_thread::sleep_for(std::chrono::milliseconds(500));
      auto tail = (*e)->events().tail(1, 10'000);
      if (tail.ok()) return 11;
      if (!tail.status().IsCorruption()) return 12;
      if (tail.status().message().find("table 'events'") == std::string::npos) return 13;
      if ((*e)->run_background_once().ok()) return 14;  // the consumers see it too, as an error
      // Past the damage, the log reads; what does not touch it works.
      auto last = (*e)->events().last_seq();
      if (!last.ok() || !(*e)->events().tail(*last, 10).ok()) return 15;
      if (!(*e)->catalog().get("P-0").ok()) return 16;
      return (*e)->close().ok() ? 0 : 17;
    });
    CHECK(rc == 0);
  }
  SECTION("the last leaf, which every reader that is caught up seeks into") {
    ZeroPage(file, *info, leaves.back());
    // The search indexer reads where the log ends as the engine opens.
    CheckOpenIsCorruption(dir.path(), {"table 'events'"});
  }
}

TEST_CASE("damaged data.mdb: a zeroed root page fails open with Corruption naming the table",
          "[lmdb][corruption]") {
  Store s;
  ZeroPage(s.file, s.info, Table(s.info, "orders").root);
  CheckOpenIsCorruption(s.dir.path(), {"table 'orders'", s.file});
}

TEST_CASE("damaged data.mdb: a truncated file fails open with Corruption, not SIGBUS",
          "[lmdb][corruption]") {
  TempDir dir;
  MakeStore(dir.path());
  const std::string file = dir.path() + "/data.mdb";
  const auto size = std::filesystem::file_size(file);
  auto keep = GENERATE_COPY(size - 4096, size / 2, uint64_t{4096 * 3});
  CAPTURE(keep);
  std::filesystem::resize_file(file, keep);
  CheckOpenIsCorruption(dir.path(), {"truncated", file});
}

TEST_CASE("damaged data.mdb: a data file lost or emptied is Corruption, not an empty store",
          "[lmdb][corruption]") {
  TempDir dir;
  MakeStore(dir.path());
  std::filesystem::resize_file(dir.path() + "/data.mdb", 0);
  CheckOpenIsCorruption(dir.path(), {"data.mdb"});
}

TEST_CASE("damaged data.mdb: garbage over leaves makes scans Corruption, the process lives",
          "[lmdb][corruption]") {
  Store s;
  const auto leaves = Leaves(s.file, s.info, Table(s.info, "events"));
  std::mt19937 rng(11);
  std::string garbage(s.info.meta.psize, '\0');
  for (auto& ch : garbage) ch = static_cast<char>(rng());
  Overwrite(s.file, leaves[1] * s.info.meta.psize, garbage);
  const int rc = InChild([&] {
    auto e = commerce::Engine::open(Options(s.dir.path(), false));
    if (!e.ok()) return 10;
    for (uint64_t from : {uint64_t{1}, uint64_t{2}}) {
      auto tail = (*e)->events().tail(from, 10'000);
      if (tail.ok() || !tail.status().IsCorruption()) return 11;
    }
    return (*e)->close().ok() ? 0 : 12;
  });
  CHECK(rc == 0);
}

}  // namespace storage_lmdb_damage_test
