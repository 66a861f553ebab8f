// Checked changes (storage.h: ChangeSet, Storage::apply, WriteTxn::append) on every driver
// (the local ones through the default Storage::apply, postgres through its native path): each
// kind of change and check, all-or-nothing sets, the counters records and their bounds, the
// log sequences (gapless, a failed set takes none, shared with mutations), sequence slots,
// counters carried into a log entry, bad sets refused before the writer, sets from many
// threads at once, and a writer on a thread that holds a snapshot.
//
// Catch2 v2 assertions are not thread-safe: worker threads only record what happened.
#include <catch2/catch.hpp>

#include <atomic>
#include <cstdlib>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "commerce/storage.h"
#include "pg_test_cluster.h"
#include "test_dir.h"

namespace storage_change_set_test {

using commerce::ApplyResult;
using commerce::ChangeSet;
using commerce::CheckFailure;
using commerce::CounterChange;
using commerce::Counters;
using commerce::ReadTxn;
using commerce::Status;
using commerce::Storage;
using commerce::StorageOptions;
using commerce::Table;
using commerce::WriteOptions;
using commerce::WriteTxn;
using commerce::testing::TempDir;

namespace {

std::unique_ptr<Storage> Open(const std::string& driver, const std::string& path) {
  StorageOptions o;
  o.driver = driver;
  o.path = path;
  o.lmdb_map_size = size_t{64} << 20;
  o.sqlite_cache_kib = 4096;
  o.postgres_url = commerce::testing::PgTestUrl();
  // A schema per directory, so that opening the same path again reopens the same store.
  static std::map<std::string, std::string> schemas;
  auto [at, added] = schemas.emplace(path, "");
  if (added) at->second = commerce::testing::UniquePgSchema("cs");
  o.postgres_schema = at->second;
  auto opened = commerce::OpenStorage(o);
  INFO(opened.status().ToString());
  REQUIRE(opened.ok());
  return std::move(opened).value();
}

// Every driver: the local ones through the default Storage::apply, postgres (when a server is
// named: ctest's postgres_storage_conformance) through its native apply (pg_apply.h).
#define FOR_EACH_FIXTURE()                                                               \
  const std::string driver = GENERATE(from_range(commerce::testing::TestStorageDrivers())); \
  INFO("driver: " << driver)

Table MustTable(Storage& db, std::string_view name) {
  auto t = db.table(name);
  REQUIRE(t.ok());
  return *t;
}

std::optional<std::string> Get(Storage& db, Table t, std::string_view key) {
  auto txn = db.read();
  REQUIRE(txn.ok());
  auto v = (*txn)->get(t, key);
  if (v.status().IsNotFound()) return std::nullopt;
  REQUIRE(v.ok());
  return *v;
}

std::map<std::string, std::string> All(Storage& db, Table t) {
  auto txn = db.read();
  REQUIRE(txn.ok());
  auto rows = (*txn)->scan(t, "", "", 0);
  REQUIRE(rows.ok());
  std::map<std::string, std::string> out;
  for (auto& kv : *rows) out[kv.key] = kv.value;
  return out;
}

std::string Seq(uint64_t s) {
  std::string k(8, '\0');
  for (int i = 7; i >= 0; --i, s >>= 8) k[static_cast<size_t>(i)] = static_cast<char>(s & 0xff);
  return k;
}

// Stock-like counters: [on_hand, reserved]; bounds reserved >= 0 and on_hand - reserved >= 0.
CounterChange Stock(int64_t d_on_hand, int64_t d_reserved) {
  CounterChange c;
  c.size = 2;
  c.delta = {d_on_hand, d_reserved, 0, 0};
  c.bound_count = 2;
  c.bounds[0] = {.a = 1, .minus = -1, .min = 0};
  c.bounds[1] = {.a = 0, .minus = 1, .min = 0};
  return c;
}

}  // namespace

TEST_CASE("change set: plain changes and checks, all or nothing", "[storage][change_set]") {
  FOR_EACH_FIXTURE();
  TempDir dir;
  auto db = Open(driver, dir.path());
  Table t = MustTable(*db, "t");

  ChangeSet first;
  first.put(t, "a", "1").insert(t, "b", "2").put(t, "c", "3").del(t, "c");
  ApplyResult r = db->apply(std::move(first));
  INFO(r.status.ToString());
  REQUIRE(r.status.ok());
  CHECK(All(*db, t) == std::map<std::string, std::string>{{"a", "1"}, {"b", "2"}});

  struct Case {
    const char* what;
    std::function<void(ChangeSet&)> build;
    int32_t failed_op;
    CheckFailure failure;
  };
  const Case cases[] = {
      {"expect a changed value", [&](ChangeSet& c) { c.put(t, "x", "9").expect(t, "a", "0"); }, 1, CheckFailure::kChanged},
      {"expect an absent key", [&](ChangeSet& c) { c.put(t, "x", "9").expect(t, "zz", "1"); }, 1, CheckFailure::kAbsent},
      {"expect_absent a present key", [&](ChangeSet& c) { c.put(t, "x", "9").expect_absent(t, "a"); }, 1, CheckFailure::kPresent},
      {"insert a present key", [&](ChangeSet& c) { c.put(t, "x", "9").insert(t, "b", "7"); }, 1, CheckFailure::kPresent},
      {"the set's own insert, then its expect_absent", [&](ChangeSet& c) { c.insert(t, "x", "1").expect_absent(t, "x"); }, 1, CheckFailure::kPresent},
      {"the set's own del, then its expect", [&](ChangeSet& c) { c.del(t, "a").expect(t, "a", "1"); }, 1, CheckFailure::kAbsent},
  };
  for (const Case& c : cases) {
    INFO(c.what);
    ChangeSet set;
    c.build(set);
    ApplyResult failed = db->apply(std::move(set));
    CHECK(failed.status.IsConflict());
    CHECK(failed.check_failed());
    CHECK(failed.failed_op == c.failed_op);
    CHECK(failed.failure == c.failure);
    CHECK(All(*db, t) == std::map<std::string, std::string>{{"a", "1"}, {"b", "2"}});  // nothing written
  }
  // The set's own writes are what its later checks see.
  ChangeSet own;
  own.put(t, "a", "5").expect(t, "a", "5").del(t, "b").expect_absent(t, "b").insert(t, "b", "6");
  r = db->apply(std::move(own));
  INFO(r.status.ToString());
  REQUIRE(r.status.ok());
  CHECK(All(*db, t) == std::map<std::string, std::string>{{"a", "5"}, {"b", "6"}});
  // An empty set is fine and writes nothing.
  CHECK(db->apply(ChangeSet()).status.ok());
}

TEST_CASE("change set: counters change within their bounds, checked on the current value",
          "[storage][change_set]") {
  FOR_EACH_FIXTURE();
  TempDir dir;
  auto db = Open(driver, dir.path());
  Table t = MustTable(*db, "stock");

  // A missing record counts as zeros.
  ChangeSet receive;
  receive.add(t, "sku", Stock(5, 0));
  ApplyResult r = db->apply(std::move(receive));
  REQUIRE(r.status.ok());
  REQUIRE(r.counters.size() == 1);
  CHECK(r.counters[0].size == 2);
  CHECK(r.counters[0].v[0] == 5);
  CHECK(r.counters[0].v[1] == 0);

  // Reserve 3, then 3 more: the second does not fit what is there now.
  ChangeSet reserve;
  reserve.add(t, "sku", Stock(0, 3));
  r = db->apply(std::move(reserve));
  REQUIRE(r.status.ok());
  CHECK(r.counters[0].v[1] == 3);
  ChangeSet too_many;
  too_many.put(t, "other", "x").add(t, "sku", Stock(0, 3));
  r = db->apply(std::move(too_many));
  CHECK(r.status.IsConflict());
  CHECK(r.failure == CheckFailure::kBounds);
  CHECK(r.failed_op == 1);
  CHECK(r.current.v[0] == 5);  // what the writer found, for the error message
  CHECK(r.current.v[1] == 3);
  CHECK_FALSE(Get(*db, t, "other"));

  // The stored form: a counters record any driver can read back.
  auto stored = Get(*db, t, "sku");
  REQUIRE(stored);
  auto decoded = commerce::DecodeCounters(*stored);
  REQUIRE(decoded.ok());
  CHECK(decoded->v[0] == 5);
  CHECK(decoded->v[1] == 3);

  // Set instead of add (a timestamp), and an overflow, which fails the check too.
  CounterChange stamp;
  stamp.size = 2;
  stamp.delta = {0, 42, 0, 0};
  stamp.set_mask = 0b10;
  ChangeSet set;
  set.add(t, "sku", stamp);
  r = db->apply(std::move(set));
  REQUIRE(r.status.ok());
  CHECK(r.counters[0].v[1] == 42);
  CounterChange huge;
  huge.size = 2;
  huge.delta = {INT64_MAX, 0, 0, 0};
  ChangeSet overflow;
  overflow.add(t, "sku", huge);
  CHECK(db->apply(std::move(overflow)).failure == CheckFailure::kBounds);

  // Two adds to one record in one set see each other.
  ChangeSet twice;
  twice.add(t, "fresh", Stock(2, 0)).add(t, "fresh", Stock(0, 2));
  r = db->apply(std::move(twice));
  REQUIRE(r.status.ok());
  CHECK(r.counters[1].v[0] == 2);
  CHECK(r.counters[1].v[1] == 2);

  // A damaged counters record is Corruption, and the set writes nothing.
  ChangeSet damage;
  damage.put(t, "bad", "not counters");
  REQUIRE(db->apply(std::move(damage)).status.ok());
  ChangeSet on_damaged;
  on_damaged.put(t, "x", "y").add(t, "bad", Stock(1, 0));
  r = db->apply(std::move(on_damaged));
  CHECK(r.status.IsCorruption());
  CHECK_FALSE(r.check_failed());
  CHECK_FALSE(Get(*db, t, "x"));
  // A record with another count of counters is damage too.
  CounterChange three;
  three.size = 3;
  ChangeSet wrong_size;
  wrong_size.add(t, "sku", three);
  CHECK(db->apply(std::move(wrong_size)).status.IsCorruption());
}

TEST_CASE("counters records: the stored form round-trips and damage is Corruption", "[storage][change_set]") {
  Counters c;
  c.size = 3;
  c.v = {-7, 0, INT64_MAX, 0};
  std::string bytes = commerce::EncodeCounters(c);
  CHECK(bytes.size() == 2 + 24 + 4);
  auto back = commerce::DecodeCounters(bytes);
  REQUIRE(back.ok());
  CHECK(*back == c);
  for (size_t i = 0; i < bytes.size(); ++i) {
    std::string flipped = bytes;
    flipped[i] = static_cast<char>(flipped[i] ^ 0x10);
    CHECK(commerce::DecodeCounters(flipped).status().IsCorruption());
  }
  CHECK(commerce::DecodeCounters(bytes.substr(0, 10)).status().IsCorruption());
  CHECK(commerce::DecodeCounters("").status().IsCorruption());
}

TEST_CASE("change set: log sequences are gapless, shared with mutations, and fill slots",
          "[storage][change_set]") {
  FOR_EACH_FIXTURE();
  TempDir dir;
  auto db = Open(driver, dir.path());
  Table log = MustTable(*db, "log");
  Table idx = MustTable(*db, "idx");
  Table c = MustTable(*db, "c");

  ChangeSet a;
  a.append(log, "one").append(log, "two");
  // An index row keyed by the second entry's sequence, one by its inverse, and a value
  // holding the first's.
  a.put(idx, "k" + std::string(8, '\0'), "v").with_seq(1, 1);
  a.put(idx, "i" + std::string(8, '\0'), "w").with_seq(1, 1, /*invert=*/true);
  a.put(idx, "seq", std::string(8, '\0')).with_seq(0, 0, false, /*in_value=*/true);
  ApplyResult r = db->apply(std::move(a));
  INFO(r.status.ToString());
  REQUIRE(r.status.ok());
  CHECK(r.seqs == std::vector<uint64_t>{1, 2});
  CHECK(Get(*db, idx, "k" + Seq(2)) == "v");
  CHECK(Get(*db, idx, "i" + Seq(~uint64_t{2})) == "w");
  CHECK(Get(*db, idx, "seq") == Seq(1));

  // A set that fails its checks takes no sequence.
  ChangeSet failing;
  failing.append(log, "lost").expect(log, Seq(1), "not one");
  CHECK(db->apply(std::move(failing)).status.IsConflict());
  // A mutation appends through the same counter; one that fails takes none either.
  CHECK(db->write([&](WriteTxn& txn) -> Status {
    auto s = txn.append(log, "m");
    if (!s.ok()) return s.status();
    return *s == 3 ? Status::OK() : Status::Internal("mutation got " + std::to_string(*s));
  }).ok());
  CHECK(db->write([&](WriteTxn& txn) -> Status {
    (void)txn.append(log, "rolled back");
    return Status::Conflict("no");
  }).IsConflict());
  // Counters carried into an entry, after the change.
  ChangeSet with_counters;
  with_counters.add(c, "sku", Stock(4, 1)).append(log, "stock:", 0);
  r = db->apply(std::move(with_counters));
  REQUIRE(r.status.ok());
  CHECK(r.seqs == std::vector<uint64_t>{4});
  CHECK(All(*db, log) == std::map<std::string, std::string>{
                             {Seq(1), "one"}, {Seq(2), "two"}, {Seq(3), "m"},
                             {Seq(4), "stock:" + Seq(4) + Seq(1)}});

  // After a reopen the next sequence follows the last one.
  REQUIRE(db->close().ok());
  db.reset();
  db = Open(driver, dir.path());
  log = MustTable(*db, "log");  // a handle belongs to the Storage that gave it
  ChangeSet after;
  after.append(log, "five");
  r = db->apply(std::move(after));
  INFO(r.status.ToString());
  REQUIRE(r.status.ok());
  CHECK(r.seqs == std::vector<uint64_t>{5});
}

TEST_CASE("change set: a malformed set is refused before it reaches the writer", "[storage][change_set]") {
  FOR_EACH_FIXTURE();
  TempDir dir;
  auto db = Open(driver, dir.path());
  Table t = MustTable(*db, "t");
  struct Case {
    const char* what;
    std::function<void(ChangeSet&)> build;
    const char* says;
  };
  const Case cases[] = {
      {"empty key", [&](ChangeSet& c) { c.put(t, "", "v"); }, "empty key"},
      {"long key", [&](ChangeSet& c) { c.insert(t, std::string(commerce::kMaxKeySize + 1, 'k'), "v"); }, "exceeds"},
      {"slot before its append", [&](ChangeSet& c) { c.put(t, std::string(8, 'k'), "v").with_seq(0, 0); }, "does not precede"},
      {"slot outside the key", [&](ChangeSet& c) { c.append(t, "x").put(t, "short", "v").with_seq(0, 0); }, "outside"},
      {"slot on an insert", [&](ChangeSet& c) { c.append(t, "x").insert(t, std::string(8, 'k'), "v").with_seq(0, 0); }, "only a put or a del"},
      {"counters of no add", [&](ChangeSet& c) { c.append(t, "x", 0); }, "names no earlier add"},
      {"no counters", [&](ChangeSet& c) { c.add(t, "k", CounterChange{}); }, "outside 1..4"},
      {"bound on a missing counter", [&](ChangeSet& c) {
         CounterChange ch;
         ch.size = 1;
         ch.bound_count = 1;
         ch.bounds[0] = {.a = 2};
         c.add(t, "k", ch);
       }, "names a counter"},
  };
  for (const Case& c : cases) {
    INFO(c.what);
    ChangeSet set;
    set.put(t, "ok", "1");
    c.build(set);
    CHECK(set.status().IsInvalidArgument());
    ApplyResult r = db->apply(std::move(set));
    CHECK(r.status.IsInvalidArgument());
    CHECK(r.status.message().find(c.says) != std::string::npos);
    CHECK_FALSE(Get(*db, t, "ok"));
  }
  REQUIRE(db->close().ok());
  ChangeSet late;
  late.put(t, "k", "v");
  CHECK(db->apply(std::move(late)).status.IsFailedPrecondition());
}

TEST_CASE("change set: many threads reserving from one record never oversell, and the log stays gapless",
          "[storage][change_set][concurrency]") {
  FOR_EACH_FIXTURE();
  TempDir dir;
  auto db = Open(driver, dir.path());
  Table stock = MustTable(*db, "stock");
  Table log = MustTable(*db, "log");
  ChangeSet receive;
  receive.add(stock, "sku", Stock(100, 0));
  REQUIRE(db->apply(std::move(receive)).status.ok());

  constexpr int kThreads = 16;
  std::atomic<int> reserved{0}, refused{0}, other{0};
  std::atomic<int> async_done{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      for (int n = 0; n < 20; ++n) {
        ChangeSet set;
        set.add(stock, "sku", Stock(0, 1)).append(log, "reserved", 0);
        if (i % 4 == 0) {
          // Some asynchronously: the same writer, the same rules.
          std::atomic<bool> done{false};
          db->apply_async(std::move(set), {}, [&](ApplyResult r) {
            if (r.status.ok()) ++reserved;
            else if (r.failure == CheckFailure::kBounds) ++refused;
            else ++other;
            done = true;
          });
          while (!done) std::this_thread::yield();
          ++async_done;
        } else {
          ApplyResult r = db->apply(std::move(set));
          if (r.status.ok()) ++reserved;
          else if (r.failure == CheckFailure::kBounds) ++refused;
          else ++other;
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  CHECK(reserved == 100);
  CHECK(refused == kThreads * 20 - 100);
  CHECK(other == 0);
  CHECK(async_done == 4 * 20);
  auto counters = commerce::DecodeCounters(*Get(*db, stock, "sku"));
  REQUIRE(counters.ok());
  CHECK(counters->v[1] == 100);
  auto entries = All(*db, log);
  REQUIRE(entries.size() == 100);
  uint64_t expect = 1;
  std::set<int64_t> reserved_after;
  for (const auto& [key, value] : entries) {
    CHECK(key == Seq(expect++));
    // Each entry carries the count right after its own reservation: 1..100, once each.
    REQUIRE(value.size() == 8 + 16);
    uint64_t r = 0;
    for (size_t b = 16; b < 24; ++b) r = (r << 8) | static_cast<unsigned char>(value[b]);
    reserved_after.insert(static_cast<int64_t>(r));
  }
  CHECK(reserved_after.size() == 100);
  CHECK(*reserved_after.begin() == 1);
  CHECK(*reserved_after.rbegin() == 100);
}

TEST_CASE("writes from a thread that holds a snapshot still commit, and the snapshot stays put",
          "[storage][change_set][snapshots]") {
  FOR_EACH_FIXTURE();
  TempDir dir;
  auto db = Open(driver, dir.path());
  Table t = MustTable(*db, "t");
  ChangeSet one;
  one.put(t, "k", "1");
  REQUIRE(db->apply(std::move(one)).status.ok());
  auto snapshot = db->read();
  REQUIRE(snapshot.ok());
  ChangeSet two;
  two.put(t, "k", "2");
  REQUIRE(db->apply(std::move(two)).status.ok());
  REQUIRE(db->write([&](WriteTxn& txn) { return txn.put(t, "m", "3"); }).ok());
  auto seen = (*snapshot)->get(t, "k");
  REQUIRE(seen.ok());
  CHECK(*seen == "1");
  CHECK((*snapshot)->get(t, "m").status().IsNotFound());
  snapshot->reset();
  CHECK(Get(*db, t, "k") == "2");
}

}  // namespace storage_change_set_test
