// The storage conformance suite: every case runs unchanged on every driver (as Xapian's
// BackendManager runs its API tests per backend). Tags name the capability a case relies on:
// [nested_txn], [snapshots], [durability], [concurrency], [corruption].
//
// COMMERCE_TEST_DRIVERS=sqlite (comma separated) limits the run to some drivers, e.g. while
// one is being written. The postgres driver runs when COMMERCE_PG_URL names a server (ctest's
// postgres fixture does; pg_test_cluster.h), each store in a schema of its own.
//
// Catch2 v2 assertions are not thread-safe: worker threads and write_async callbacks only
// record what happened, and the test thread checks it afterwards.
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <latch>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "commerce/storage.h"
#include "common/codec.h"
#include "storage/log_sequences.h"
#include "pg_test_cluster.h"
#include "test_dir.h"
#include "test_scale.h"

namespace storage_conformance_test {

using namespace std::string_literals;
using commerce::Cursor;
using commerce::CursorOptions;
using commerce::kGroupCommit;
using commerce::kNestedTxn;
using commerce::kSnapshots;
using commerce::OpenStorage;
using commerce::PutMode;
using commerce::ReadTxn;
using commerce::Status;
using commerce::Storage;
using commerce::StorageOptions;
using commerce::Table;
using commerce::WriteOptions;
using commerce::WriteTxn;
using commerce::testing::TempDir;

namespace {

// Runs the rest of the test case once per driver.
#define FOR_EACH_DRIVER()                                              \
  const std::string driver = GENERATE(from_range(commerce::testing::TestStorageDrivers())); \
  INFO("driver: " << driver)

StorageOptions Options(const std::string& driver, const std::string& path) {
  StorageOptions o;
  o.driver = driver;
  o.path = path;
  o.lmdb_map_size = size_t{64} << 20;  // small test stores
  o.sqlite_cache_kib = 4096;
  o.postgres_url = commerce::testing::PgTestUrl();
  o.postgres_schema = commerce::testing::UniquePgSchema();
  return o;
}

std::unique_ptr<Storage> MustOpen(const StorageOptions& options) {
  auto opened = OpenStorage(options);
  INFO("open " << options.driver << " at " << options.path << ": " << opened.status().ToString());
  REQUIRE(opened.ok());
  return std::move(opened).value();
}

Table MustTable(Storage& db, std::string_view name) {
  auto t = db.table(name);
  INFO("table " << name << ": " << t.status().ToString());
  REQUIRE(t.ok());
  return *t;
}

Status Put(Storage& db, Table t, std::string key, std::string value, bool sync = true) {
  return db.write(
      [&](WriteTxn& txn) { return txn.put(t, key, value); }, WriteOptions{.sync = sync});
}

Status Del(Storage& db, Table t, std::string key) {
  return db.write([&](WriteTxn& txn) { return txn.del(t, key); });
}

// The value of `key` in a fresh snapshot, or nullopt when absent.
std::optional<std::string> Get(Storage& db, Table t, std::string_view key) {
  auto txn = db.read();
  REQUIRE(txn.ok());
  auto v = (*txn)->get(t, key);
  if (v.status().IsNotFound()) return std::nullopt;
  INFO(v.status().ToString());
  REQUIRE(v.ok());
  return *v;
}

// Every key of `t`, walking a cursor from seek_to_first.
std::vector<std::string> Keys(commerce::ReadView& view, Table t, bool reverse = false) {
  std::vector<std::string> keys;
  auto c = view.cursor(t, CursorOptions{.reverse = reverse});
  for (c->seek_to_first(); c->valid(); c->next()) keys.emplace_back(c->key());
  INFO(c->status().ToString());
  REQUIRE(c->status().ok());
  return keys;
}

std::vector<std::string> Keys(Storage& db, Table t, bool reverse = false) {
  auto txn = db.read();
  REQUIRE(txn.ok());
  return Keys(**txn, t, reverse);
}

std::vector<std::string> ScanKeys(Storage& db, Table t, std::string_view begin,
                                  std::string_view end, size_t limit, bool reverse) {
  auto txn = db.read();
  REQUIRE(txn.ok());
  auto entries = (*txn)->scan(t, begin, end, limit, reverse);
  INFO(entries.status().ToString());
  REQUIRE(entries.ok());
  std::vector<std::string> keys;
  for (auto& kv : *entries) keys.push_back(kv.key);
  return keys;
}

// A store in a temporary directory with one table "t".
struct Store {
  explicit Store(const std::string& driver) : options(Options(driver, dir.sub("store"))) {
    db = MustOpen(options);
    t = MustTable(*db, "t");
  }
  TempDir dir;
  StorageOptions options;
  std::unique_ptr<Storage> db;
  Table t;
};

// Holds the writer inside one mutation so that what is submitted meanwhile queues up and
// forms the next group: hold() returns once the writer is held, release() lets it go.
class WriterGate {
 public:
  void hold(Storage& db) {
    db.write_async(
        [this](WriteTxn&) {
          entered_ = true;
          auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(10);
          while (!released_ && std::chrono::steady_clock::now() < give_up)
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
          return Status::OK();
        },
        WriteOptions{}, [this](Status s) {
          gate_status_ = std::move(s);
          done_ = true;
        });
    while (!entered_) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  void release() { released_ = true; }
  // After the group following the gate has been answered.
  bool done_ok() const { return done_ && gate_status_.ok(); }

 private:
  std::atomic<bool> entered_{false};
  std::atomic<bool> released_{false};
  std::atomic<bool> done_{false};
  Status gate_status_;
};

// stats() once the writer has counted every group answered so far: it answers a group's
// callers before it counts the group, and a sync() queued behind it waits for both.
commerce::StorageStats SettledStats(Storage& db) {
  REQUIRE(db.sync().ok());
  return db.stats();
}

uint64_t ReadCounter(commerce::ReadView& view, Table t) {
  auto v = view.get(t, "counter");
  if (!v.ok()) return 0;
  return std::stoull(*v);
}

// Read-modify-write of "counter": the mutation every concurrency case uses.
Status Increment(WriteTxn& txn, Table t) {
  std::string_view current;
  Status s = txn.get(t, "counter", &current);
  uint64_t n = 0;
  if (s.ok())
    n = std::stoull(std::string(current));
  else if (!s.IsNotFound())
    return s;
  return txn.put(t, "counter", std::to_string(n + 1));
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Opening and closing

TEST_CASE("storage: open rejects an empty path and an unknown driver", "[storage]") {
  StorageOptions o;
  o.path = "";
  for (const std::string& driver : commerce::testing::TestStorageDrivers()) {
    o.driver = driver;
    auto r = OpenStorage(o);
    INFO("driver: " << driver);
    CHECK(r.status().IsInvalidArgument());
  }
  TempDir dir;
  o.path = dir.sub("store");
  o.driver = "no_such_driver";
  auto r = OpenStorage(o);
  CHECK(r.status().IsInvalidArgument());
  CHECK(r.status().message().find("no_such_driver") != std::string::npos);
}

TEST_CASE("storage: open fails with Unavailable when the path is a regular file", "[storage]") {
  FOR_EACH_DRIVER();
  TempDir dir;
  std::string file = dir.sub("plain_file");
  std::ofstream(file) << "not a directory";
  auto r = OpenStorage(Options(driver, file));
  INFO(r.status().ToString());
  CHECK(r.status().IsUnavailable());
}

TEST_CASE("storage: open fails with Unavailable when the directory is not writable", "[storage]") {
  FOR_EACH_DRIVER();
  if (::geteuid() == 0) {
    WARN("skipped: running as root, which writes through any permission bits");
    return;
  }
  TempDir dir;
  std::string store = dir.sub("store");
  REQUIRE(::mkdir(store.c_str(), 0500) == 0);
  auto r = OpenStorage(Options(driver, store));
  ::chmod(store.c_str(), 0700);
  INFO(r.status().ToString());
  CHECK(r.status().IsUnavailable());
}

TEST_CASE("storage: a second open of an open store is Unavailable, reopen after close works",
          "[storage]") {
  FOR_EACH_DRIVER();
  Store s(driver);
  REQUIRE(Put(*s.db, s.t, "k", "v").ok());

  auto second = OpenStorage(s.options);
  INFO(second.status().ToString());
  CHECK(second.status().IsUnavailable());

  REQUIRE(s.db->close().ok());
  s.db.reset();
  auto again = MustOpen(s.options);
  Table t = MustTable(*again, "t");
  CHECK(Get(*again, t, "k") == "v");
  CHECK(again->driver() == driver);
}

TEST_CASE("storage: table names are checked and tables are stable", "[storage]") {
  FOR_EACH_DRIVER();
  Store s(driver);
  for (std::string bad : {""s, "Upper"s, "has-dash"s, "has space"s, "__internal"s, "dot.ted"s,
                          std::string(65, 'a'), "nul\0l"s}) {
    INFO("name: '" << bad << "'");
    CHECK(s.db->table(bad).status().IsInvalidArgument());
  }
  CHECK(s.db->table(std::string(64, 'a')).ok());
  CHECK(s.db->table("a_1").ok());
  Table t1 = MustTable(*s.db, "orders");
  Table t2 = MustTable(*s.db, "orders");
  Table t3 = MustTable(*s.db, "carts");
  CHECK(t1 == t2);
  CHECK_FALSE(t1 == t3);
}

TEST_CASE("storage: after close every call fails with FailedPrecondition, no crash",
          "[storage]") {
  FOR_EACH_DRIVER();
  Store s(driver);
  REQUIRE(Put(*s.db, s.t, "k", "v").ok());
  auto before = s.db->read();  // a snapshot that outlives close()
  REQUIRE(before.ok());

  REQUIRE(s.db->close().ok());
  CHECK(Put(*s.db, s.t, "k2", "v").IsFailedPrecondition());
  std::atomic<int> answered{0};
  Status async_status;
  s.db->write_async([](WriteTxn&) { return Status::OK(); }, WriteOptions{}, [&](Status st) {
    async_status = std::move(st);
    answered++;
  });
  CHECK(answered == 1);  // answered at once: there is no writer left to wait for
  CHECK(async_status.IsFailedPrecondition());
  CHECK(s.db->read().status().IsFailedPrecondition());
  CHECK(s.db->table("t").status().IsFailedPrecondition());
  CHECK(s.db->sync().IsFailedPrecondition());
  CHECK(s.db->close().ok());  // closing twice is harmless
  (void)s.db->stats();

  // The old snapshot may still answer or may fail, but must not crash.
  std::string_view v;
  (void)(*before)->get(s.t, "k", &v);
  auto c = (*before)->cursor(s.t);
  c->seek_to_first();
  (void)c->status();
  c.reset();
  before->reset();
  s.db.reset();
}

// ---------------------------------------------------------------------------------------------
// Point operations

TEST_CASE("storage: put, get and del", "[storage]") {
  FOR_EACH_DRIVER();
  Store s(driver);
  CHECK(Get(*s.db, s.t, "apple") == std::nullopt);
  REQUIRE(Put(*s.db, s.t, "apple", "red").ok());
  CHECK(Get(*s.db, s.t, "apple") == "red");
  REQUIRE(Put(*s.db, s.t, "apple", "green").ok());  // overwrite
  CHECK(Get(*s.db, s.t, "apple") == "green");
  REQUIRE(Del(*s.db, s.t, "apple").ok());
  CHECK(Get(*s.db, s.t, "apple") == std::nullopt);
  CHECK(Del(*s.db, s.t, "apple").ok());  // absent: still OK
  CHECK(Del(*s.db, s.t, "never_there").ok());

  auto txn = s.db->read();
  REQUIRE(txn.ok());
  std::string_view v;
  CHECK((*txn)->get(s.t, "apple", &v).IsNotFound());
  CHECK((*txn)->get(s.t, "apple").status().IsNotFound());
}

TEST_CASE("storage: get's view lives until the next call on the txn", "[storage]") {
  FOR_EACH_DRIVER();
  Store s(driver);
  REQUIRE(Put(*s.db, s.t, "a", "first value").ok());
  REQUIRE(Put(*s.db, s.t, "b", "second").ok());
  auto txn = s.db->read();
  REQUIRE(txn.ok());
  std::string_view v;
  REQUIRE((*txn)->get(s.t, "a", &v).ok());
  CHECK(v == "first value");
  std::string copy(v);
  REQUIRE((*txn)->get(s.t, "b", &v).ok());
  CHECK(v == "second");
  CHECK(copy == "first value");
}

TEST_CASE("storage: put with kNoOverwrite inserts only", "[storage]") {
  FOR_EACH_DRIVER();
  Store s(driver);
  auto insert = [&](std::string key, std::string value) {
    return s.db->write(
        [&](WriteTxn& txn) { return txn.put(s.t, key, value, PutMode::kNoOverwrite); });
  };
  CHECK(insert("idem-1", "order 1").ok());
  Status again = insert("idem-1", "order 2");
  INFO(again.ToString());
  CHECK(again.IsAlreadyExists());
  CHECK(Get(*s.db, s.t, "idem-1") == "order 1");

  // Inside one mutation, the caller may treat AlreadyExists as an answer, not a failure.
  std::string seen;
  Status s2 = s.db->write([&](WriteTxn& txn) {
    Status put = txn.put(s.t, "idem-1", "order 3", PutMode::kNoOverwrite);
    if (!put.IsAlreadyExists()) return Status::Internal("expected AlreadyExists");
    auto existing = txn.get(s.t, "idem-1");
    if (!existing.ok()) return existing.status();
    seen = *existing;
    return txn.put(s.t, "other", "x");
  });
  CHECK(s2.ok());
  CHECK(seen == "order 1");
  CHECK(Get(*s.db, s.t, "other") == "x");
}

TEST_CASE("storage: binary keys, empty and large values", "[storage]") {
  FOR_EACH_DRIVER();
  Store s(driver);
  std::vector<std::string> keys = {"\0"s, "\0\0"s, "a\0b"s, "\xff"s, "\xff\xff\0"s, "\x01\x80\x7f"s};
  for (size_t i = 0; i < keys.size(); ++i)
    REQUIRE(Put(*s.db, s.t, keys[i], "value "s + std::to_string(i) + "\0\xff"s).ok());
  for (size_t i = 0; i < keys.size(); ++i) {
    INFO("key #" << i);
    CHECK(Get(*s.db, s.t, keys[i]) == "value "s + std::to_string(i) + "\0\xff"s);
  }
  CHECK(Get(*s.db, s.t, "a") == std::nullopt);  // "a\0b" is not "a"

  REQUIRE(Put(*s.db, s.t, "empty", "").ok());
  auto empty = Get(*s.db, s.t, "empty");
  REQUIRE(empty.has_value());  // present, not NotFound
  CHECK(empty->empty());

  std::string large(size_t{1} << 20, '\0');
  for (size_t i = 0; i < large.size(); ++i) large[i] = static_cast<char>(i * 7 + i / 4096);
  REQUIRE(Put(*s.db, s.t, "large", large).ok());
  CHECK(Get(*s.db, s.t, "large") == large);
  auto txn = s.db->read();
  REQUIRE(txn.ok());
  auto c = (*txn)->cursor(s.t);
  c->seek("large");
  REQUIRE(c->valid());
  CHECK(c->key() == "large");
  CHECK(c->value() == large);
}

TEST_CASE("storage: keys are 1..kMaxKeySize bytes, seek targets may be any length",
          "[storage]") {
  FOR_EACH_DRIVER();
  Store s(driver);
  std::string longest(commerce::kMaxKeySize, 'm');
  std::string too_long = longest + "x";
  for (const std::string& bad : {""s, too_long}) {
    INFO("key of " << bad.size() << " bytes");
    CHECK(Put(*s.db, s.t, bad, "v").IsInvalidArgument());
    CHECK(Del(*s.db, s.t, bad).IsInvalidArgument());
    auto txn = s.db->read();
    REQUIRE(txn.ok());
    CHECK((*txn)->get(s.t, bad).status().IsInvalidArgument());
  }
  REQUIRE(Put(*s.db, s.t, longest, "longest").ok());
  REQUIRE(Put(*s.db, s.t, "a", "before").ok());
  REQUIRE(Put(*s.db, s.t, "n", "after").ok());
  CHECK(Get(*s.db, s.t, longest) == "longest");

  auto txn = s.db->read();
  REQUIRE(txn.ok());
  auto forward = (*txn)->cursor(s.t);
  forward->seek(too_long);  // sorts just after `longest`
  REQUIRE(forward->valid());
  CHECK(forward->key() == "n");
  forward->seek("");  // every key is >= ""
  REQUIRE(forward->valid());
  CHECK(forward->key() == "a");
  auto reverse = (*txn)->cursor(s.t, CursorOptions{.reverse = true});
  reverse->seek(too_long);
  REQUIRE(reverse->valid());
  CHECK(reverse->key() == longest);
  reverse->seek("");  // no key is <= ""
  CHECK_FALSE(reverse->valid());
  CHECK(reverse->status().ok());
  CHECK(ScanKeys(*s.db, s.t, too_long, "", 0, false) == std::vector<std::string>{"n"});
  CHECK(ScanKeys(*s.db, s.t, "", too_long, 0, true) == std::vector<std::string>{longest, "a"});
}

TEST_CASE("storage: keys order as memcmp, then length", "[storage]") {
  FOR_EACH_DRIVER();
  Store s(driver);
  // std::string compares as unsigned bytes, then length: the order every driver must keep.
  std::set<std::string> keys = {"a"s,  "a\0"s, "ab"s,   "b"s,      "\0"s,      "\0\0"s,
                                "\x01"s, "\x7f"s, "\x80"s, "\xff"s, "\xff\xff"s, "A"s,
                                "aa"s, "a\xff"s, "ab\0"s, "abc"s};
  REQUIRE(("a"s < "a\0"s && "a\0"s < "ab"s));
  for (auto it = keys.rbegin(); it != keys.rend(); ++it) REQUIRE(Put(*s.db, s.t, *it, "v").ok());
  std::vector<std::string> ascending(keys.begin(), keys.end());
  std::vector<std::string> descending(keys.rbegin(), keys.rend());
  CHECK(Keys(*s.db, s.t) == ascending);
  CHECK(Keys(*s.db, s.t, /*reverse=*/true) == descending);
}

TEST_CASE("storage: tables are isolated from each other", "[storage]") {
  FOR_EACH_DRIVER();
  Store s(driver);
  Table other = MustTable(*s.db, "other");
  REQUIRE(Put(*s.db, s.t, "k", "in t").ok());
  REQUIRE(Put(*s.db, other, "k", "in other").ok());
  REQUIRE(Put(*s.db, other, "only_other", "x").ok());
  CHECK(Get(*s.db, s.t, "k") == "in t");
  CHECK(Get(*s.db, other, "k") == "in other");
  CHECK(Get(*s.db, s.t, "only_other") == std::nullopt);
  CHECK(Keys(*s.db, s.t) == std::vector<std::string>{"k"});
  REQUIRE(Del(*s.db, s.t, "k").ok());
  CHECK(Get(*s.db, other, "k") == "in other");
  Table empty = MustTable(*s.db, "empty");
  CHECK(Keys(*s.db, empty).empty());
}

// ---------------------------------------------------------------------------------------------
// Cursors and scans

TEST_CASE("storage: forward cursor seek semantics", "[storage]") {
  FOR_EACH_DRIVER();
  Store s(driver);
  for (std::string k : {"b", "d", "f"}) REQUIRE(Put(*s.db, s.t, k, "v" + k).ok());
  auto txn = s.db->read();
  REQUIRE(txn.ok());
  auto c = (*txn)->cursor(s.t);
  CHECK_FALSE(c->valid());  // not positioned yet

  c->seek("c");  // absent, between two keys: the next one
  REQUIRE(c->valid());
  CHECK(c->key() == "d");
  CHECK(c->value() == "vd");
  c->seek("d");  // present: itself
  REQUIRE(c->valid());
  CHECK(c->key() == "d");
  c->seek("a");  // before the first
  REQUIRE(c->valid());
  CHECK(c->key() == "b");
  c->seek("d\0"s);  // just past "d"
  REQUIRE(c->valid());
  CHECK(c->key() == "f");
  c->seek("g");  // past the end
  CHECK_FALSE(c->valid());
  CHECK(c->status().ok());

  c->seek_to_first();
  std::vector<std::string> seen;
  for (; c->valid(); c->next()) seen.emplace_back(c->key());
  CHECK(seen == std::vector<std::string>{"b", "d", "f"});
  CHECK(c->status().ok());
}

TEST_CASE("storage: reverse cursor seek semantics", "[storage]") {
  FOR_EACH_DRIVER();
  Store s(driver);
  for (std::string k : {"b", "d", "f"}) REQUIRE(Put(*s.db, s.t, k, "v" + k).ok());
  auto txn = s.db->read();
  REQUIRE(txn.ok());
  auto c = (*txn)->cursor(s.t, CursorOptions{.reverse = true});

  c->seek("e");  // absent, between two keys: the previous one
  REQUIRE(c->valid());
  CHECK(c->key() == "d");
  CHECK(c->value() == "vd");
  c->seek("d");  // present: itself
  REQUIRE(c->valid());
  CHECK(c->key() == "d");
  c->seek("d\0"s);  // just past "d": still "d"
  REQUIRE(c->valid());
  CHECK(c->key() == "d");
  c->seek("z");  // past the last: the last
  REQUIRE(c->valid());
  CHECK(c->key() == "f");
  c->seek("a");  // before the first: nothing
  CHECK_FALSE(c->valid());
  CHECK(c->status().ok());

  c->seek_to_first();  // reverse: the largest key
  std::vector<std::string> seen;
  for (; c->valid(); c->next()) seen.emplace_back(c->key());
  CHECK(seen == std::vector<std::string>{"f", "d", "b"});
  CHECK(c->status().ok());
}

TEST_CASE("storage: cursors on an empty table and two cursors at once", "[storage]") {
  FOR_EACH_DRIVER();
  Store s(driver);
  auto txn = s.db->read();
  REQUIRE(txn.ok());
  for (bool reverse : {false, true}) {
    auto c = (*txn)->cursor(s.t, CursorOptions{.reverse = reverse});
    c->seek_to_first();
    CHECK_FALSE(c->valid());
    c->seek("x");
    CHECK_FALSE(c->valid());
    CHECK(c->status().ok());
  }
  txn->reset();

  for (std::string k : {"1", "2", "3"}) REQUIRE(Put(*s.db, s.t, k, k).ok());
  txn = s.db->read();
  REQUIRE(txn.ok());
  auto up = (*txn)->cursor(s.t);
  auto down = (*txn)->cursor(s.t, CursorOptions{.reverse = true});
  up->seek_to_first();
  down->seek_to_first();
  std::string pairs;
  for (; up->valid() && down->valid(); up->next(), down->next()) {
    pairs += up->key();
    pairs += down->key();
    std::string_view v;  // a point read between steps leaves the cursors in place
    REQUIRE((*txn)->get(s.t, "2", &v).ok());
  }
  CHECK(pairs == "132231");
}

TEST_CASE("storage: scan with begin, end, limit and reverse", "[storage]") {
  FOR_EACH_DRIVER();
  Store s(driver);
  for (int i = 0; i < 10; ++i) REQUIRE(Put(*s.db, s.t, "k" + std::to_string(i), "v").ok());
  using V = std::vector<std::string>;
  CHECK(ScanKeys(*s.db, s.t, "k2", "k5", 0, false) == V{"k2", "k3", "k4"});
  CHECK(ScanKeys(*s.db, s.t, "k2", "k5", 2, false) == V{"k2", "k3"});
  CHECK(ScanKeys(*s.db, s.t, "k2", "k5", 0, true) == V{"k4", "k3", "k2"});
  CHECK(ScanKeys(*s.db, s.t, "k2", "k5", 1, true) == V{"k4"});
  CHECK(ScanKeys(*s.db, s.t, "k25", "k45", 0, false) == V{"k3", "k4"});
  CHECK(ScanKeys(*s.db, s.t, "k25", "k45", 0, true) == V{"k4", "k3"});
  CHECK(ScanKeys(*s.db, s.t, "k8", "", 0, false) == V{"k8", "k9"});
  CHECK(ScanKeys(*s.db, s.t, "k8", "", 0, true) == V{"k9", "k8"});
  CHECK(ScanKeys(*s.db, s.t, "", "k2", 0, false) == V{"k0", "k1"});
  CHECK(ScanKeys(*s.db, s.t, "", "k2", 0, true) == V{"k1", "k0"});
  CHECK(ScanKeys(*s.db, s.t, "", "", 3, true) == V{"k9", "k8", "k7"});
  CHECK(ScanKeys(*s.db, s.t, "", "", 0, false).size() == 10);
  CHECK(ScanKeys(*s.db, s.t, "x", "", 0, false).empty());
  CHECK(ScanKeys(*s.db, s.t, "k5", "k5", 0, false).empty());
  CHECK(ScanKeys(*s.db, s.t, "k5", "k5", 0, true).empty());

  auto txn = s.db->read();
  REQUIRE(txn.ok());
  auto entries = (*txn)->scan(s.t, "k1", "k2", 0);
  REQUIRE(entries.ok());
  REQUIRE(entries->size() == 1);
  CHECK((*entries)[0].key == "k1");
  CHECK((*entries)[0].value == "v");
}

// ---------------------------------------------------------------------------------------------
// read_many: many point and range reads at once

TEST_CASE("storage: read_many reads keys of several tables and ranges, in the order asked",
          "[storage][read_many]") {
  FOR_EACH_DRIVER();
  Store s(driver);
  Table u = MustTable(*s.db, "u");
  for (int i = 0; i < 10; ++i) REQUIRE(Put(*s.db, s.t, "k" + std::to_string(i), "v" + std::to_string(i)).ok());
  REQUIRE(Put(*s.db, u, "k1", "u1").ok());
  REQUIRE(Put(*s.db, u, "\x00\xff"s, ""s).ok());  // binary key, empty value

  auto txn = s.db->read();
  REQUIRE(txn.ok());
  using commerce::KeyRead;
  using commerce::RangeRead;
  auto got = (*txn)->read_many(
      {{s.t, "k3"}, {u, "k1"}, {s.t, "absent"}, {s.t, "k1"}, {u, "k3"}, {s.t, "k3"}, {u, "\x00\xff"s}},
      {{s.t, "k2", "k5"}, {s.t, "k7", ""}, {s.t, "k25", "k45", 1}, {u, "", ""}, {s.t, "k5", "k5"},
       {s.t, "k6", "k2"}, {s.t, "x", ""}});
  INFO(got.status().ToString());
  REQUIRE(got.ok());
  using O = std::optional<std::string>;
  CHECK(got->values == std::vector<O>{"v3", "u1", std::nullopt, "v1", std::nullopt, "v3", ""s});
  auto keys = [](const std::vector<commerce::KeyValue>& kvs) {
    std::vector<std::string> out;
    for (const auto& kv : kvs) out.push_back(kv.key);
    return out;
  };
  using V = std::vector<std::string>;
  REQUIRE(got->ranges.size() == 7);
  CHECK(keys(got->ranges[0]) == V{"k2", "k3", "k4"});
  CHECK(got->ranges[0][1].value == "v3");
  CHECK(keys(got->ranges[1]) == V{"k7", "k8", "k9"});
  CHECK(keys(got->ranges[2]) == V{"k3"});
  CHECK(keys(got->ranges[3]) == V{"\x00\xff"s, "k1"});
  CHECK(got->ranges[4].empty());
  CHECK(got->ranges[5].empty());  // begin after end: nothing, as scan()
  CHECK(got->ranges[6].empty());

  // Nothing asked, nothing read; get_many is the keys alone.
  auto none = (*txn)->read_many({}, {});
  REQUIRE(none.ok());
  CHECK(none->values.empty());
  CHECK(none->ranges.empty());
  auto values = (*txn)->get_many({{s.t, "k9"}, {s.t, "k10"}});
  REQUIRE(values.ok());
  CHECK(*values == std::vector<O>{"v9", std::nullopt});
}

TEST_CASE("storage: read_many reads one snapshot, and a mutation's own writes",
          "[storage][read_many][snapshots]") {
  FOR_EACH_DRIVER();
  Store s(driver);
  REQUIRE(Put(*s.db, s.t, "a", "1").ok());
  auto txn = s.db->read();
  REQUIRE(txn.ok());
  REQUIRE(Put(*s.db, s.t, "a", "2").ok());
  REQUIRE(Put(*s.db, s.t, "b", "2").ok());
  auto old = (*txn)->read_many({{s.t, "a"}, {s.t, "b"}}, {{s.t, "", ""}});
  REQUIRE(old.ok());
  CHECK(old->values == std::vector<std::optional<std::string>>{"1", std::nullopt});
  REQUIRE(old->ranges[0].size() == 1);
  CHECK(old->ranges[0][0].value == "1");

  std::vector<std::optional<std::string>> seen;
  size_t in_range = 0;
  Status w = s.db->write([&](WriteTxn& wt) {
    COMMERCE_RETURN_IF_ERROR(wt.put(s.t, "c", "3"));
    COMMERCE_RETURN_IF_ERROR(wt.del(s.t, "a"));
    COMMERCE_ASSIGN_OR_RETURN(auto r, wt.read_many({{s.t, "a"}, {s.t, "c"}}, {{s.t, "", ""}}));
    seen = r.values;
    in_range = r.ranges[0].size();
    return Status::OK();
  });
  REQUIRE(w.ok());
  CHECK(seen == std::vector<std::optional<std::string>>{std::nullopt, "3"});
  CHECK(in_range == 2);  // b, c
}

TEST_CASE("storage: read_many refuses bad input and the transaction reads on",
          "[storage][read_many]") {
  FOR_EACH_DRIVER();
  Store s(driver);
  REQUIRE(Put(*s.db, s.t, "a", "1").ok());
  auto txn = s.db->read();
  REQUIRE(txn.ok());
  using commerce::KeyRead;
  const std::string too_long(commerce::kMaxKeySize + 1, 'k');
  auto empty = (*txn)->read_many({{s.t, "a"}, {s.t, ""}});
  CHECK(empty.status().IsInvalidArgument());
  CHECK(empty.status().message().find("key 1") != std::string::npos);
  CHECK((*txn)->get_many({{s.t, too_long}}).status().IsInvalidArgument());
  std::vector<KeyRead> many(commerce::kMaxBatchReads, KeyRead{s.t, "a"});
  CHECK((*txn)->read_many(many).ok());
  many.push_back({s.t, "a"});
  CHECK((*txn)->read_many(many).status().IsInvalidArgument());
  std::vector<commerce::RangeRead> ranges(commerce::kMaxBatchReads, {s.t, "", ""});
  CHECK((*txn)->read_many({{s.t, "a"}}, ranges).status().IsInvalidArgument());
  // Refused before anything was sent: the snapshot still reads.
  auto after = (*txn)->get_many({{s.t, "a"}});
  INFO(after.status().ToString());
  REQUIRE(after.ok());
  CHECK((*after)[0] == "1");
  // A seek bound is not a key: a long or empty range bound is fine.
  auto ranged = (*txn)->read_many({}, {{s.t, "", too_long}});
  REQUIRE(ranged.ok());
  CHECK(ranged->ranges[0].size() == 1);
}

TEST_CASE("storage: read_many returns damaged records as stored, and their checks catch them",
          "[storage][read_many][corruption]") {
  FOR_EACH_DRIVER();
  Store s(driver);
  std::string record = commerce::Encode(std::string("a record"));
  std::string damaged = record;
  damaged.back() ^= 0x01;  // inside the checksummed archive
  commerce::Counters c{.size = 2, .v = {5, 7}};
  std::string counters = commerce::EncodeCounters(c);
  std::string bad_counters = counters;
  bad_counters[3] ^= 0x10;
  REQUIRE(Put(*s.db, s.t, "good", record).ok());
  REQUIRE(Put(*s.db, s.t, "bad", damaged).ok());
  REQUIRE(Put(*s.db, s.t, "n_good", counters).ok());
  REQUIRE(Put(*s.db, s.t, "n_bad", bad_counters).ok());

  auto txn = s.db->read();
  REQUIRE(txn.ok());
  auto got = (*txn)->read_many({{s.t, "good"}, {s.t, "bad"}, {s.t, "n_good"}, {s.t, "n_bad"}},
                               {{s.t, "b", "h"}});
  REQUIRE(got.ok());
  REQUIRE(got->values[0].has_value());
  REQUIRE(got->values[1].has_value());
  CHECK(*got->values[1] == damaged);  // the bytes as stored, not repaired, not dropped
  std::string out;
  CHECK(commerce::Decode(*got->values[0], &out, "t", "good").ok());
  CHECK(out == "a record");
  Status bad = commerce::Decode(*got->values[1], &out, "t", "bad");
  CHECK(bad.IsCorruption());
  CHECK(commerce::DecodeCounters(*got->values[2]).ok());
  CHECK(commerce::DecodeCounters(*got->values[3]).status().IsCorruption());
  REQUIRE(got->ranges[0].size() == 2);  // bad, good
  CHECK(commerce::Decode(got->ranges[0][0].value, &out, "t", "bad").IsCorruption());
  CHECK(commerce::Decode(got->ranges[0][1].value, &out, "t", "good").ok());
}

// ---------------------------------------------------------------------------------------------
// Mutations and groups

TEST_CASE("storage: a mutation reads its own writes", "[storage]") {
  FOR_EACH_DRIVER();
  Store s(driver);
  REQUIRE(Put(*s.db, s.t, "b", "old").ok());
  std::vector<std::string> forward, backward;
  std::string got_b;
  bool a_gone = false;
  Status st = s.db->write([&](WriteTxn& txn) {
    forward.clear();
    backward.clear();
    COMMERCE_RETURN_IF_ERROR(txn.put(s.t, "a", "1"));
    COMMERCE_RETURN_IF_ERROR(txn.put(s.t, "b", "new"));
    COMMERCE_RETURN_IF_ERROR(txn.put(s.t, "c", "3"));
    auto b = txn.get(s.t, "b");
    if (!b.ok()) return b.status();
    got_b = *b;
    auto c = txn.cursor(s.t);
    for (c->seek_to_first(); c->valid(); c->next()) forward.emplace_back(c->key());
    COMMERCE_RETURN_IF_ERROR(c->status());
    auto r = txn.cursor(s.t, CursorOptions{.reverse = true});
    for (r->seek("b"); r->valid(); r->next()) backward.emplace_back(r->key());
    COMMERCE_RETURN_IF_ERROR(r->status());
    COMMERCE_RETURN_IF_ERROR(txn.del(s.t, "a"));
    a_gone = txn.get(s.t, "a").status().IsNotFound();
    return Status::OK();
  });
  INFO(st.ToString());
  REQUIRE(st.ok());
  CHECK(got_b == "new");
  CHECK(forward == std::vector<std::string>{"a", "b", "c"});
  CHECK(backward == std::vector<std::string>{"b", "a"});
  CHECK(a_gone);
  CHECK(Keys(*s.db, s.t) == std::vector<std::string>{"b", "c"});
}

TEST_CASE("storage: the caller gets its mutation's own status", "[storage]") {
  FOR_EACH_DRIVER();
  Store s(driver);
  Status st = s.db->write([&](WriteTxn&) { return Status::OutOfStock("sku A-1: 0 left"); });
  CHECK(st == Status::OutOfStock("sku A-1: 0 left"));
  CHECK(SettledStats(*s.db).failed_mutations >= 1);
}

// A write alone in its group runs without a nested transaction on LMDB: what it wrote before
// failing must still go with it, and the writer must go on.
TEST_CASE("storage: a lone mutation that fails after writing leaves nothing", "[storage]") {
  FOR_EACH_DRIVER();
  Store s(driver);
  REQUIRE(Put(*s.db, s.t, "kept", "before").ok());
  for (int i = 0; i < 3; ++i) {
    Status st = s.db->write([&](WriteTxn& txn) -> Status {
      COMMERCE_RETURN_IF_ERROR(txn.put(s.t, "kept", "changed"));
      COMMERCE_RETURN_IF_ERROR(txn.put(s.t, "new" + std::to_string(i), "v"));
      COMMERCE_RETURN_IF_ERROR(txn.del(s.t, "kept"));
      return Status::Conflict("refused after writing");
    });
    CHECK(st == Status::Conflict("refused after writing"));
    CHECK(Get(*s.db, s.t, "kept") == "before");
    CHECK(Get(*s.db, s.t, "new" + std::to_string(i)) == std::nullopt);
  }
  CHECK(Put(*s.db, s.t, "after", "v").ok());
  CHECK(Keys(*s.db, s.t) == std::vector<std::string>{"after", "kept"});
  // And one that succeeds alone is committed and survives a reopen.
  REQUIRE(s.db->close().ok());
  s.db.reset();
  s.db = MustOpen(s.options);
  s.t = MustTable(*s.db, "t");
  CHECK(Get(*s.db, s.t, "after") == "v");
  CHECK(Get(*s.db, s.t, "kept") == "before");
}

TEST_CASE("storage: a write acknowledged by write_async is seen by a later read",
          "[storage]") {
  FOR_EACH_DRIVER();
  Store s(driver);
  for (bool sync : {true, false}) {
    std::latch answered(1);
    Status result;
    s.db->write_async([&](WriteTxn& txn) { return txn.put(s.t, "async", sync ? "1" : "0"); },
                      WriteOptions{.sync = sync}, [&](Status st) {
                        result = std::move(st);
                        answered.count_down();
                      });
    answered.wait();
    REQUIRE(result.ok());
    CHECK(Get(*s.db, s.t, "async") == (sync ? "1" : "0"));
  }
}

TEST_CASE("storage: a failing mutation does not disturb its group", "[storage][nested_txn]") {
  FOR_EACH_DRIVER();
  Store s(driver);
  if (!(s.db->capabilities() & kNestedTxn)) {
    WARN("skipped: driver has no kNestedTxn");
    return;
  }
  constexpr int kWrites = 30;
  std::vector<Status> results(kWrites);
  std::latch answered(kWrites);
  WriterGate gate;
  gate.hold(*s.db);  // everything below forms one group
  for (int i = 0; i < kWrites; ++i) {
    s.db->write_async(
        [&s, i](WriteTxn& txn) -> Status {
          // Each one bumps the shared counter first: the ones that fail must take their
          // bump back with them, and each sees the bumps of those before it.
          COMMERCE_RETURN_IF_ERROR(Increment(txn, s.t));
          COMMERCE_RETURN_IF_ERROR(txn.put(s.t, "key" + std::to_string(i), "v"));
          if (i == 10) throw std::runtime_error("mutation 10 throws");
          if (i % 3 == 0) return Status::Conflict("mutation " + std::to_string(i) + " refuses");
          return Status::OK();
        },
        WriteOptions{}, [&results, &answered, i](Status st) {
          results[i] = std::move(st);
          answered.count_down();
        });
  }
  gate.release();
  answered.wait();
  CHECK(gate.done_ok());

  uint64_t committed = 0;
  for (int i = 0; i < kWrites; ++i) {
    INFO("mutation " << i << ": " << results[i].ToString());
    std::optional<std::string> value = Get(*s.db, s.t, "key" + std::to_string(i));
    if (i == 10) {
      CHECK(results[i].IsInternal());
      CHECK_FALSE(value.has_value());
    } else if (i % 3 == 0) {
      CHECK(results[i] == Status::Conflict("mutation " + std::to_string(i) + " refuses"));
      CHECK_FALSE(value.has_value());
    } else {
      CHECK(results[i].ok());
      CHECK(value == "v");
      ++committed;
    }
  }
  auto txn = s.db->read();
  REQUIRE(txn.ok());
  CHECK(ReadCounter(**txn, s.t) == committed);
  auto stats = SettledStats(*s.db);
  CHECK(stats.max_group_size >= kWrites);
  CHECK(stats.failed_mutations >= kWrites - committed);
}

// Groups whose mutations fail before writing anything (a refused insert, a missing key) and
// after writing (a counter, a key and a log entry each): LMDB runs a group's mutations straight
// in its txn and runs the whole group again, each mutation in a nested txn, only where one
// fails after writing; the groups after such a one start nested. Whatever ran how often, each
// mutation that failed left nothing, each that succeeded counts once, and the log holds the
// successful ones' entries under the sequences they were given, with no gap.
TEST_CASE("storage: groups with mutations failing before and after writing keep each apart "
          "and the log gapless",
          "[storage][nested_txn]") {
  FOR_EACH_DRIVER();
  Store s(driver);
  if (!(s.db->capabilities() & kNestedTxn)) {
    WARN("skipped: driver has no kNestedTxn");
    return;
  }
  const Table log = MustTable(*s.db, "log");
  REQUIRE(Put(*s.db, s.t, "taken", "x").ok());
  enum Kind { kCommit, kRefuseFirst, kRefuseAfter };
  // One group each: all commit; refusals before writing only; one refusal after writing,
  // last; refusals of both kinds; all commit (after a group that had to nest); one refusal
  // after writing in the middle; all commit.
  const std::vector<std::function<Kind(int)>> rounds = {
      [](int) { return kCommit; },
      [](int i) { return i % 5 == 2 ? kRefuseFirst : kCommit; },
      [](int i) { return i == 23 ? kRefuseAfter : kCommit; },
      [](int i) { return i % 4 == 1 ? kRefuseAfter : i % 4 == 3 ? kRefuseFirst : kCommit; },
      [](int) { return kCommit; },
      [](int i) { return i == 12 ? kRefuseAfter : kCommit; },
      [](int) { return kCommit; },
  };
  constexpr int kWrites = 24;
  std::map<std::string, uint64_t> given;  // entry -> the sequence its last run was given
  std::map<std::string, Kind> kinds;
  uint64_t committed = 0;
  for (size_t r = 0; r < rounds.size(); ++r) {
    INFO("round " << r);
    std::vector<Status> results(kWrites);
    std::vector<uint64_t> seqs(kWrites, 0);
    std::latch answered(kWrites);
    WriterGate gate;
    gate.hold(*s.db);  // everything below forms one group
    for (int i = 0; i < kWrites; ++i) {
      const std::string name = "r" + std::to_string(r) + "-" + std::to_string(i);
      const Kind kind = rounds[r](i);
      kinds[name] = kind;
      s.db->write_async(
          [&s, &seqs, log, name, kind, i](WriteTxn& txn) -> Status {
            if (kind == kRefuseFirst) {
              if (i % 2 == 0) {
                Status put = txn.put(s.t, "taken", name, PutMode::kNoOverwrite);
                if (!put.IsAlreadyExists()) return Status::Internal("'taken' was free: " + put.ToString());
                return Status::Conflict(name + " refused before writing");
              }
              std::string_view v;
              Status got = txn.get(s.t, "missing", &v);
              return got.IsNotFound() ? Status::Conflict(name + " refused before writing") : Status::Internal("found 'missing'");
            }
            COMMERCE_RETURN_IF_ERROR(Increment(txn, s.t));
            COMMERCE_RETURN_IF_ERROR(txn.put(s.t, name, "v"));
            auto seq = txn.append(log, name);
            if (!seq.ok()) return seq.status();
            if (kind == kRefuseAfter) return Status::Conflict(name + " refused after writing");
            seqs[i] = *seq;
            return Status::OK();
          },
          WriteOptions{.sync = false}, [&results, &answered, i](Status st) {
            results[i] = std::move(st);
            answered.count_down();
          });
    }
    gate.release();
    answered.wait();
    CHECK(gate.done_ok());
    for (int i = 0; i < kWrites; ++i) {
      const std::string name = "r" + std::to_string(r) + "-" + std::to_string(i);
      INFO(name << ": " << results[i].ToString());
      switch (kinds[name]) {
        case kCommit:
          CHECK(results[i].ok());
          CHECK(Get(*s.db, s.t, name) == "v");
          given[name] = seqs[i];
          ++committed;
          break;
        case kRefuseFirst:
          CHECK(results[i] == Status::Conflict(name + " refused before writing"));
          break;
        case kRefuseAfter:
          CHECK(results[i] == Status::Conflict(name + " refused after writing"));
          CHECK(Get(*s.db, s.t, name) == std::nullopt);
          break;
      }
    }
    CHECK(Get(*s.db, s.t, "taken") == "x");
  }
  auto txn = s.db->read();
  REQUIRE(txn.ok());
  CHECK(ReadCounter(**txn, s.t) == committed);
  auto entries = (*txn)->scan(log, "", "", 0);
  REQUIRE(entries.ok());
  REQUIRE(entries->size() == committed);
  for (size_t k = 0; k < entries->size(); ++k) {
    const auto& e = (*entries)[k];
    INFO("entry " << k << ": " << e.value);
    CHECK(e.key == commerce::LogKey(k + 1));  // gapless from 1
    CHECK(kinds[e.value] == kCommit);
    CHECK(given[e.value] == k + 1);  // the sequence its caller was given
  }
  CHECK(SettledStats(*s.db).max_group_size >= kWrites);
}

TEST_CASE("storage: a later mutation in a group sees an earlier one's writes",
          "[storage][nested_txn]") {
  FOR_EACH_DRIVER();
  Store s(driver);
  std::string seen;
  std::latch answered(2);
  Status first, second;
  WriterGate gate;
  gate.hold(*s.db);
  s.db->write_async([&](WriteTxn& txn) { return txn.put(s.t, "x", "from first"); }, WriteOptions{},
                    [&](Status st) {
                      first = std::move(st);
                      answered.count_down();
                    });
  s.db->write_async(
      [&](WriteTxn& txn) {
        auto x = txn.get(s.t, "x");
        seen = x.ok() ? *x : x.status().ToString();
        return Status::OK();
      },
      WriteOptions{}, [&](Status st) {
        second = std::move(st);
        answered.count_down();
      });
  gate.release();
  answered.wait();
  CHECK(first.ok());
  CHECK(second.ok());
  CHECK(seen == "from first");
  CHECK(SettledStats(*s.db).max_group_size >= 2);
}

TEST_CASE("storage: a mutation that throws is rolled back alone and answered Internal",
          "[storage][nested_txn]") {
  FOR_EACH_DRIVER();
  Store s(driver);
  Status st = s.db->write([&](WriteTxn& txn) -> Status {
    Status put = txn.put(s.t, "thrown", "v");
    if (!put.ok()) return put;
    throw std::runtime_error("boom");
  });
  INFO(st.ToString());
  CHECK(st.IsInternal());
  CHECK(Get(*s.db, s.t, "thrown") == std::nullopt);
  // The writer survives it.
  CHECK(Put(*s.db, s.t, "after", "v").ok());
  CHECK(Get(*s.db, s.t, "after") == "v");
}

// ---------------------------------------------------------------------------------------------
// Snapshots

TEST_CASE("storage: a read txn is a snapshot", "[storage][snapshots]") {
  FOR_EACH_DRIVER();
  Store s(driver);
  if (!(s.db->capabilities() & kSnapshots)) {
    WARN("skipped: driver has no kSnapshots");
    return;
  }
  REQUIRE(Put(*s.db, s.t, "a", "1").ok());
  auto before = s.db->read();
  REQUIRE(before.ok());
  REQUIRE(Put(*s.db, s.t, "a", "2").ok());
  REQUIRE(Put(*s.db, s.t, "b", "1").ok());
  REQUIRE(Put(*s.db, s.t, "c", "1", /*sync=*/false).ok());
  auto after = s.db->read();
  REQUIRE(after.ok());

  CHECK((*before)->get(s.t, "a").value_or("absent") == "1");
  CHECK((*before)->get(s.t, "b").status().IsNotFound());
  CHECK(Keys(**before, s.t) == std::vector<std::string>{"a"});
  CHECK((*after)->get(s.t, "a").value_or("absent") == "2");
  CHECK((*after)->get(s.t, "b").value_or("absent") == "1");
  CHECK((*after)->get(s.t, "c").value_or("absent") == "1");  // visible before it is durable
}

TEST_CASE("storage: a table created after a snapshot began is empty to that snapshot",
          "[storage][snapshots]") {
  FOR_EACH_DRIVER();
  Store s(driver);
  REQUIRE(Put(*s.db, s.t, "k", "v").ok());
  auto old = s.db->read();
  REQUIRE(old.ok());
  CHECK((*old)->get(s.t, "k").value_or("absent") == "v");

  Table fresh = MustTable(*s.db, "fresh");
  REQUIRE(Put(*s.db, fresh, "x", "new").ok());
  std::string_view v;
  Status missing = (*old)->get(fresh, "x", &v);
  INFO(missing.ToString());
  CHECK(missing.IsNotFound());
  auto c = (*old)->cursor(fresh);
  c->seek_to_first();
  CHECK_FALSE(c->valid());
  CHECK(c->status().ok());
  c.reset();

  CHECK(Get(*s.db, fresh, "x") == "new");  // a snapshot opened while `old` is still open
  old->reset();
  CHECK(Get(*s.db, fresh, "x") == "new");  // and one that may reuse old's resources
}

TEST_CASE("storage: a cursor on an old snapshot keeps iterating old data during writes",
          "[storage][snapshots]") {
  FOR_EACH_DRIVER();
  Store s(driver);
  if (!(s.db->capabilities() & kSnapshots)) {
    WARN("skipped: driver has no kSnapshots");
    return;
  }
  constexpr int kKeys = 200;
  auto key = [](int i) {
    std::string k = std::to_string(i);
    return std::string(4 - k.size(), '0') + k;
  };
  REQUIRE(s.db->write([&](WriteTxn& txn) {
    for (int i = 0; i < kKeys; ++i) COMMERCE_RETURN_IF_ERROR(txn.put(s.t, key(i), "old" + key(i)));
    return Status::OK();
  }).ok());

  auto snapshot = s.db->read();
  REQUIRE(snapshot.ok());
  for (bool reverse : {false, true}) {
    auto c = (*snapshot)->cursor(s.t, CursorOptions{.reverse = reverse});
    int seen = 0;
    for (c->seek_to_first(); c->valid(); c->next(), ++seen) {
      int i = reverse ? kKeys - 1 - seen : seen;
      REQUIRE(c->key() == key(i));
      REQUIRE(c->value() == "old" + key(i));
      if (seen % 20 == 0) {
        // Rewrite, delete and insert around the cursor while it walks.
        REQUIRE(s.db->write([&](WriteTxn& txn) {
          for (int j = 0; j < kKeys; j += 2) COMMERCE_RETURN_IF_ERROR(txn.del(s.t, key(j)));
          for (int j = 1; j < kKeys; j += 2)
            COMMERCE_RETURN_IF_ERROR(txn.put(s.t, key(j), "new" + std::to_string(seen)));
          return txn.put(s.t, key(i) + "x", "inserted");
        }, WriteOptions{.sync = false}).ok());
      }
    }
    CHECK(c->status().ok());
    CHECK(seen == kKeys);
  }
  CHECK((*snapshot)->get(s.t, key(0)).value_or("absent") == "old" + key(0));
  auto now = s.db->read();
  REQUIRE(now.ok());
  CHECK((*now)->get(s.t, key(0)).status().IsNotFound());
}

// ---------------------------------------------------------------------------------------------
// Concurrency

TEST_CASE("storage: many writer threads, exact counter, groups form",
          "[storage][concurrency]") {
  FOR_EACH_DRIVER();
  Store s(driver);
  constexpr int kThreads = 16;
  const int kWritesEach = commerce::testing::Scaled(200, 50);
  std::atomic<int> failures{0};
  std::atomic<bool> writers_done{false};
  std::atomic<int> went_backwards{0};
  std::atomic<int> read_errors{0};

  // Readers alongside: a snapshot never shows the counter going down.
  std::vector<std::thread> readers;
  for (int r = 0; r < 2; ++r) {
    readers.emplace_back([&] {
      uint64_t last = 0;
      while (!writers_done) {
        auto txn = s.db->read();
        if (!txn.ok()) {
          read_errors++;
          continue;
        }
        uint64_t now = ReadCounter(**txn, s.t);
        if (now < last) went_backwards++;
        last = now;
      }
    });
  }
  std::vector<std::thread> writers;
  for (int w = 0; w < kThreads; ++w) {
    writers.emplace_back([&] {
      for (int i = 0; i < kWritesEach; ++i)
        if (!s.db->write([&](WriteTxn& txn) { return Increment(txn, s.t); }).ok()) failures++;
    });
  }
  for (auto& t : writers) t.join();
  writers_done = true;
  for (auto& t : readers) t.join();

  CHECK(failures == 0);
  CHECK(read_errors == 0);
  CHECK(went_backwards == 0);
  auto txn = s.db->read();
  REQUIRE(txn.ok());
  CHECK(ReadCounter(**txn, s.t) == static_cast<uint64_t>(kThreads * kWritesEach));
  auto stats = SettledStats(*s.db);
  CHECK(stats.mutations >= static_cast<uint64_t>(kThreads * kWritesEach));
  if (s.db->capabilities() & kGroupCommit) {
    INFO("groups: " << stats.groups << ", max group size: " << stats.max_group_size);
    CHECK(stats.max_group_size > 1);
    CHECK(stats.groups < stats.mutations);
  }
}

// ---------------------------------------------------------------------------------------------
// Durability

TEST_CASE("storage: synced writes and sync() survive close and reopen",
          "[storage][durability]") {
  FOR_EACH_DRIVER();
  Store s(driver);
  for (int i = 0; i < 50; ++i) REQUIRE(Put(*s.db, s.t, "durable" + std::to_string(i), "d").ok());
  for (int i = 0; i < 50; ++i)
    REQUIRE(Put(*s.db, s.t, "lazy" + std::to_string(i), "l", /*sync=*/false).ok());
  REQUIRE(s.db->sync().ok());
  REQUIRE(Put(*s.db, s.t, "unsynced_at_close", "u", /*sync=*/false).ok());
  REQUIRE(s.db->close().ok());  // close makes queued and unsynced writes durable too
  s.db.reset();

  auto db = MustOpen(s.options);
  Table t = MustTable(*db, "t");
  auto keys = Keys(*db, t);
  CHECK(keys.size() == 101);
  CHECK(Get(*db, t, "durable49") == "d");
  CHECK(Get(*db, t, "lazy49") == "l");
  CHECK(Get(*db, t, "unsynced_at_close") == "u");
}

TEST_CASE("storage: acknowledged writes survive the process being killed",
          "[storage][durability]") {
  FOR_EACH_DRIVER();
  TempDir dir;
  StorageOptions options = Options(driver, dir.sub("store"));
  constexpr int kEach = 100;

  pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    // The child: no Catch2 here, only the store, then SIGKILL with the store open.
    auto opened = OpenStorage(options);
    if (!opened.ok()) ::_exit(2);
    Storage& db = **opened;
    auto t = db.table("t");
    if (!t.ok()) ::_exit(3);
    for (int i = 0; i < kEach; ++i) {
      std::string k = "durable" + std::to_string(i);
      if (!db.write([&](WriteTxn& txn) { return txn.put(*t, k, "d"); }).ok()) ::_exit(4);
    }
    for (int i = 0; i < kEach; ++i) {
      std::string k = "lazy" + std::to_string(i);
      if (!db.write([&](WriteTxn& txn) { return txn.put(*t, k, "l"); }, {.sync = false}).ok())
        ::_exit(5);
    }
    if (!db.sync().ok()) ::_exit(6);
    ::kill(::getpid(), SIGKILL);
    ::_exit(7);
  }
  int wstatus = 0;
  REQUIRE(::waitpid(pid, &wstatus, 0) == pid);
  INFO("child exit status " << (WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : -1));
  REQUIRE(WIFSIGNALED(wstatus));
  REQUIRE(WTERMSIG(wstatus) == SIGKILL);

  auto db = MustOpen(options);  // recovers from the unclean end
  Table t = MustTable(*db, "t");
  CHECK(Keys(*db, t).size() == 2 * kEach);
  CHECK(Get(*db, t, "durable0") == "d");
  CHECK(Get(*db, t, "lazy" + std::to_string(kEach - 1)) == "l");
}

TEST_CASE("storage: a damaged store fails to open with Corruption naming the file",
          "[storage][corruption]") {
  FOR_EACH_DRIVER();
  Store s(driver);
  for (int i = 0; i < 20; ++i) REQUIRE(Put(*s.db, s.t, "k" + std::to_string(i), "v").ok());
  REQUIRE(s.db->close().ok());
  s.db.reset();

  // Overwrite the start of every file of the store but the directory lock.
  int damaged = 0;
  for (const auto& entry : std::filesystem::directory_iterator(s.options.path)) {
    if (!entry.is_regular_file() || entry.path().filename() == "LOCK") continue;
    size_t size = std::min<size_t>(entry.file_size(), 8192);
    if (size == 0) continue;
    std::fstream f(entry.path(), std::ios::in | std::ios::out | std::ios::binary);
    std::string garbage(size, '\xa5');
    f.write(garbage.data(), static_cast<std::streamsize>(garbage.size()));
    ++damaged;
  }
  REQUIRE(damaged > 0);
  auto r = OpenStorage(s.options);
  INFO(r.status().ToString());
  CHECK(r.status().IsCorruption());
  CHECK(r.status().message().find(s.options.path) != std::string::npos);
}

}  // namespace storage_conformance_test
