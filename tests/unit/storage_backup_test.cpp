// Backups (Storage::backup, BackupStore) on every local driver: taken while writes go on, in
// this process (threads) and in another one (a forked child holding the store open), the
// copy opens with no log and holds a prefix of the store's history that contains every write
// acknowledged before the backup began; bad destinations are clear errors that write nothing.
// The engine-level invariants (orders, stock, events) of a backup are checked by
// tests/crash/order_crash_test.cpp.
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "commerce/storage.h"
#include "storage/fault_injection.h"
#include "storage/sqlite/fault_vfs.h"
#include "unit/test_dir.h"

namespace storage_backup_test {

using namespace commerce;
namespace fs = std::filesystem;

namespace {

constexpr int kThreads = 4;

StorageOptions Options(const std::string& driver, const std::string& path) {
  StorageOptions o;
  o.driver = driver;
  o.path = path;
  // Small: the writers grow the LMDB map while backups copy it.
  o.lmdb_map_size = size_t{1} << 20;
  return o;
}

std::string Key(int thread, uint64_t seq) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "w%d-%08llu", thread, static_cast<unsigned long long>(seq));
  return buf;
}
std::string Value(int thread, uint64_t seq) { return Key(thread, seq) + std::string(200, 'v'); }

// Write `seq` of `thread`: its row in two tables and the thread's counter, in one mutation.
Mutation Step(Table a, Table b, Table counters, int thread, uint64_t seq) {
  return [=](WriteTxn& w) -> Status {
    COMMERCE_RETURN_IF_ERROR(w.put(a, Key(thread, seq), Value(thread, seq)));
    COMMERCE_RETURN_IF_ERROR(w.put(b, Key(thread, seq), Value(thread, seq)));
    return w.put(counters, "t" + std::to_string(thread), std::to_string(seq + 1));
  };
}

// Writes from kThreads threads until `stop`; acked[t] counts thread t's acknowledged writes.
void Write(Storage& s, std::atomic<bool>* stop, std::atomic<uint64_t>* acked) {
  auto a = s.table("a"), b = s.table("b"), c = s.table("counters");
  REQUIRE((a.ok() && b.ok() && c.ok()));
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&, t] {
      for (uint64_t seq = 0; !stop->load(); ++seq) {
        if (!s.write(Step(*a, *b, *c, t, seq), WriteOptions{.sync = seq % 2 == 0}).ok()) {
          failures++;
          return;
        }
        acked[t].store(seq + 1);
      }
    });
  for (auto& th : threads) th.join();
  CHECK(failures.load() == 0);
}

// Opens the copy (the restore) and checks it: per thread a counter c >= at_least[t], rows
// 0..c-1 in both tables and none after (a prefix: each group whole, none missing before the
// last one present). Returns the total rows.
uint64_t CheckCopy(const std::string& driver, const std::string& dir, const uint64_t* at_least) {
  if (driver == "lmdb") {
    // The copy needs no log: one compacted data file.
    std::vector<std::string> names;
    for (const auto& e : fs::directory_iterator(dir)) names.push_back(e.path().filename().string());
    CHECK(names == std::vector<std::string>{"data.mdb"});
  }
  auto st = OpenStorage(Options(driver, dir));
  INFO(st.status().ToString());
  REQUIRE(st.ok());
  Storage& s = **st;
  auto a = s.table("a"), b = s.table("b"), c = s.table("counters");
  REQUIRE((a.ok() && b.ok() && c.ok()));
  auto r = s.read();
  REQUIRE(r.ok());
  uint64_t total = 0;
  for (int t = 0; t < kThreads; ++t) {
    INFO("thread " << t);
    auto count_text = (*r)->get(*c, "t" + std::to_string(t));
    uint64_t count = count_text.ok() ? std::stoull(*count_text) : 0;
    CHECK(count >= at_least[t]);
    auto rows_a = (*r)->scan(*a, Key(t, 0), Key(t, 99999999), 0, false);
    auto rows_b = (*r)->scan(*b, Key(t, 0), Key(t, 99999999), 0, false);
    REQUIRE((rows_a.ok() && rows_b.ok()));
    CHECK(rows_a->size() == count);
    CHECK(rows_b->size() == count);
    for (uint64_t seq = 0; seq < std::min<uint64_t>(count, rows_a->size()); ++seq) {
      CHECK((*rows_a)[seq].key == Key(t, seq));
      CHECK((*rows_a)[seq].value == Value(t, seq));
    }
    total += count;
  }
  r->reset();
  // The restored store takes writes, and its log (LMDB) starts after what the copy holds.
  CHECK(s.write(Step(*a, *b, *c, 99, 0)).ok());
  REQUIRE(s.close().ok());
  st = OpenStorage(Options(driver, dir));
  REQUIRE(st.ok());
  auto reopened = (*st)->table("a");
  REQUIRE(reopened.ok());
  CHECK((*st)->read().value()->get(*reopened, Key(99, 0)).ok());
  return total;
}

// Leaves nothing behind: `dir` is as it was and its parent holds no staging directory.
void CheckNothingWritten(const std::string& parent, const std::vector<std::string>& before) {
  std::vector<std::string> now;
  for (const auto& e : fs::directory_iterator(parent)) now.push_back(e.path().filename().string());
  std::sort(now.begin(), now.end());
  CHECK(now == before);
}

std::vector<std::string> Listing(const std::string& dir) {
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(dir)) names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

}  // namespace

TEST_CASE("backup from an open store while threads write: a consistent prefix with every acknowledged write",
          "[storage][backup][issue11]") {
  const std::string driver = GENERATE(as<std::string>{}, "lmdb", "sqlite");
  INFO("driver: " << driver);
  commerce::testing::TempDir dir;
  auto st = OpenStorage(Options(driver, dir.sub("store")));
  REQUIRE(st.ok());
  Storage& s = **st;
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> acked[kThreads] = {};
  std::thread writers([&] { Write(s, &stop, acked); });
  for (int round = 0; round < 3; ++round) {
    // Let the writers get ahead (and the LMDB map grow), then copy while they go on.
    while (acked[0].load() < 200u * (round + 1)) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    uint64_t before[kThreads];
    for (int t = 0; t < kThreads; ++t) before[t] = acked[t].load();
    uint64_t last_done = 0, last_total = 0, calls = 0;
    // Round 0 backs up into an empty directory, the others into one that is absent.
    const std::string copy = dir.sub("copy" + std::to_string(round));
    if (round == 0) fs::create_directory(copy);
    Status b = s.backup(copy, {.progress = [&](uint64_t done, uint64_t total) {
                              CHECK(done >= last_done);
                              last_done = done;
                              last_total = total;
                              ++calls;
                            }});
    INFO(b.ToString());
    REQUIRE(b.ok());
    CHECK(calls > 0);
    CHECK(last_done <= last_total);
    CHECK(last_done > 0);
    uint64_t rows = CheckCopy(driver, copy, before);
    CHECK(rows > 0);
  }
  stop = true;
  writers.join();
  REQUIRE(s.close().ok());
}

TEST_CASE("backup while another process has the store open and writes (BackupStore)",
          "[storage][backup][issue11]") {
  const std::string driver = GENERATE(as<std::string>{}, "lmdb", "sqlite");
  INFO("driver: " << driver);
  commerce::testing::TempDir dir;
  const std::string store = dir.sub("store");
  {
    auto st = OpenStorage(Options(driver, store));  // created here, so the child only opens it
    REQUIRE(st.ok());
    REQUIRE((*st)->close().ok());
  }
  // The child's acknowledged counts, shared with this process.
  auto* acked = static_cast<std::atomic<uint64_t>*>(
      ::mmap(nullptr, sizeof(std::atomic<uint64_t>) * kThreads, PROT_READ | PROT_WRITE,
             MAP_SHARED | MAP_ANONYMOUS, -1, 0));
  REQUIRE(acked != MAP_FAILED);
  for (int t = 0; t < kThreads; ++t) new (&acked[t]) std::atomic<uint64_t>(0);
  pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    try {
      auto st = OpenStorage(Options(driver, store));
      if (!st.ok()) _exit(3);
      std::atomic<bool> stop{false};
      Write(**st, &stop, acked);  // until killed
    } catch (...) {
    }
    _exit(4);
  }
  struct Reap {
    pid_t pid;
    ~Reap() {
      if (pid <= 0) return;
      ::kill(pid, SIGKILL);
      ::waitpid(pid, nullptr, 0);
    }
  } reap{pid};
  for (int round = 0; round < 2; ++round) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (acked[0].load() < 300u * (round + 1)) {
      REQUIRE(std::chrono::steady_clock::now() < deadline);
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    // The store is held there: opening it here is refused, backing it up is not.
    CHECK(OpenStorage(Options(driver, store)).status().IsUnavailable());
    uint64_t before[kThreads];
    for (int t = 0; t < kThreads; ++t) before[t] = acked[t].load();
    const std::string copy = dir.sub("copy" + std::to_string(round));
    // The copy's first progress report waits (bounded) for the child to acknowledge another
    // write: the backup then provably ran while the holder wrote, and never kept it from
    // writing. Only comparing the counts after the backup failed under ASan on a loaded
    // machine, the copy being done before the child's next acknowledgement.
    bool waited = false;
    BackupOptions bo;
    bo.progress = [&](uint64_t, uint64_t) {
      if (waited) return;
      waited = true;
      const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(30);
      while (acked[0].load() <= before[0] && std::chrono::steady_clock::now() < until)
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    };
    Status b = BackupStore(Options(driver, store), copy, bo);
    INFO(b.ToString());
    REQUIRE(b.ok());
    CHECK(waited);
    uint64_t after = acked[0].load();
    CHECK(after > before[0]);  // the child wrote on during the backup
    CheckCopy(driver, copy, before);
  }
  // With no process holding it, BackupStore opens the store (recovering it from the kill).
  ::kill(pid, SIGKILL);
  ::waitpid(pid, nullptr, 0);
  reap.pid = 0;
  uint64_t final_counts[kThreads];
  for (int t = 0; t < kThreads; ++t) final_counts[t] = acked[t].load();
  const std::string copy = dir.sub("copy-after-kill");
  Status b = BackupStore(Options(driver, store), copy);
  INFO(b.ToString());
  REQUIRE(b.ok());
  CheckCopy(driver, copy, final_counts);
  ::munmap(acked, sizeof(std::atomic<uint64_t>) * kThreads);
}

TEST_CASE("backup refuses bad destinations and sources with a clear error and writes nothing",
          "[storage][backup][issue11]") {
  const std::string driver = GENERATE(as<std::string>{}, "lmdb", "sqlite");
  INFO("driver: " << driver);
  commerce::testing::TempDir dir;
  const std::string store = dir.sub("store");
  auto st = OpenStorage(Options(driver, store));
  REQUIRE(st.ok());
  Storage& s = **st;
  auto t = s.table("a");
  REQUIRE(t.ok());
  REQUIRE(s.write([&](WriteTxn& w) { return w.put(*t, "k", "v"); }).ok());
  const std::string out = dir.sub("out");
  fs::create_directory(out);

  SECTION("the destination exists and is not empty") {
    fs::create_directory(out + "/full");
    std::ofstream(out + "/full/keep.txt") << "mine";
    auto before = Listing(out);
    Status b = s.backup(out + "/full");
    CHECK(b.IsAlreadyExists());
    CHECK(b.message().find(out + "/full") != std::string::npos);
    CHECK(Listing(out + "/full") == std::vector<std::string>{"keep.txt"});
    CheckNothingWritten(out, before);
  }
  SECTION("the destination is a file") {
    std::ofstream(out + "/file") << "mine";
    auto before = Listing(out);
    CHECK(s.backup(out + "/file").IsAlreadyExists());
    CheckNothingWritten(out, before);
  }
  SECTION("the destination is inside the store, or is the store") {
    auto before = Listing(store);
    Status b = s.backup(store + "/backup");
    CHECK(b.IsInvalidArgument());
    CHECK(b.message().find("inside the store") != std::string::npos);
    CHECK(s.backup(store).IsInvalidArgument());
    CHECK(s.backup(store + "/./sub/../backup").IsInvalidArgument());
    CHECK(Listing(store) == before);
  }
  SECTION("the destination's parent does not exist, or the destination is empty") {
    auto before = Listing(out);
    CHECK(s.backup(out + "/no/such/parent").IsNotFound());
    CHECK(s.backup("").IsInvalidArgument());
    CheckNothingWritten(out, before);
  }
  SECTION("the destination cannot be written: the file cannot be created, the disk is full") {
    REQUIRE(sqlite::RegisterFaultVfs().ok());  // SQLite's writes of the copy go through it
    auto before = Listing(out);
    for (auto op : {fault::Op::kOpen, fault::Op::kWrite, fault::Op::kSync, fault::Op::kRename}) {
      INFO("failing " << fault::OpName(op));
      fault::Arm(fault::Plan{.under = out, .ops = fault::Bit(op), .nth = 1,
                             .kind = op == fault::Op::kWrite ? fault::Kind::kEnospc : fault::Kind::kEio,
                             .persist = true});
      Status b = s.backup(out + "/copy");
      fault::Disarm();
      CHECK(fault::Fired());
      INFO(b.ToString());
      CHECK(b.IsUnavailable());
      CheckNothingWritten(out, before);
    }
    if (::geteuid() != 0) {  // root writes anywhere
      fs::permissions(out, fs::perms::owner_read | fs::perms::owner_exec);
      CHECK(s.backup(out + "/copy").IsUnavailable());
      fs::permissions(out, fs::perms::owner_all);
      CheckNothingWritten(out, before);
    }
    // The store goes on, and a later backup there succeeds.
    CHECK(s.write([&](WriteTxn& w) { return w.put(*t, "k2", "v"); }).ok());
    CHECK(s.backup(out + "/copy").ok());
  }
  SECTION("BackupStore: no store there, a store of the other driver, this process's own store") {
    auto before = Listing(out);
    Status missing = BackupStore(Options(driver, dir.path() + "/nothing"), out + "/copy");
    CHECK(missing.IsNotFound());
    CHECK_FALSE(fs::exists(dir.path() + "/nothing"));
    Status other = BackupStore(Options(driver == "lmdb" ? "sqlite" : "lmdb", store), out + "/copy");
    INFO(other.ToString());
    CHECK(other.IsNotFound());
    CHECK(other.message().find("--driver " + driver) != std::string::npos);
    Status own = BackupStore(Options(driver, store), out + "/copy");
    CHECK(own.IsFailedPrecondition());
    StorageOptions pg = Options("postgres", store);
    CHECK(BackupStore(pg, out + "/copy").IsInvalidArgument());
    CheckNothingWritten(out, before);
  }
  REQUIRE(s.close().ok());
  CHECK(s.backup(out + "/late").IsFailedPrecondition());
}

}  // namespace storage_backup_test
