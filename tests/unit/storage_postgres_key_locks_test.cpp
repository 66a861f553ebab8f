// Groups of change sets of several processes running at once on one PostgreSQL store
// (pg_key_locks.h, pg_apply.h RunFrame::beside_others): they overlap in time, yet no stock is
// oversold, no check is lost (an expect on a record another process put meanwhile fails), and
// the event log stays gapless and in commit order, so that a tailer never skips an event.
// A record a group only checks is locked in shared mode: groups that check one record -- every
// order of a hot product checks that product -- do not wait for each other, while a group that
// writes the record still waits for every group that checks it, and the reverse.
//
// Needs COMMERCE_PG_URL (ctest's postgres fixture); skipped otherwise.
#include <libpq-fe.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include <chrono>
#include <cstdio>
#include <future>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "commerce/storage.h"
#include "pg_fixture.h"
#include "pg_test_cluster.h"
#include "storage/log_sequences.h"
#include "storage/postgres/pg_key_locks.h"
#include "test_dir.h"

namespace storage_postgres_key_locks_test {

namespace {

using namespace commerce;
using namespace commerce::testing;
using Clock = std::chrono::steady_clock;

// How many requests for advisory lock `id` wait.
std::string KlWaiting(PGconn* conn, int64_t id) {
  return PgFirstValue(conn, "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted AND objid = " +
                         std::to_string(static_cast<uint32_t>(id)));
}

// Waits (up to 20 s) until `n` requests for `id` wait.
void KlAwaitWaiting(PGconn* conn, int64_t id, const std::string& n) {
  auto deadline = Clock::now() + std::chrono::seconds(20);
  while (KlWaiting(conn, id) != n && Clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  REQUIRE(KlWaiting(conn, id) == n);
}

}  // namespace

// Child 0's group waits for the lock of one record (held here, on a connection of the test's
// own, as another group would hold it); child 1's group on other records commits meanwhile.
// Under the store-wide lock child 1 would wait behind child 0.
TEST_CASE("postgres: a group waiting for one record's lock does not hold up another "
          "process's group on other records",
          "[postgres][multiprocess]") {
  COMMERCE_REQUIRE_PG_OR_SKIP();
  TempDir dir;
  const std::string schema = UniquePgSchema("keylock");
  {
    auto db = OpenPgStorage(PgStorageOptions(dir.sub("setup"), schema));
    for (const char* name : {"stock", "log"}) REQUIRE(db->table(name).ok());
    REQUIRE(db->close().ok());
  }
  PGconn* conn = PQconnectdb(PgTestUrl().c_str());
  REQUIRE(PQstatus(conn) == CONNECTION_OK);
  const int64_t hot = postgres::KeyLockId(schema, "stock", "hot");
  PgFirstValue(conn, "SELECT pg_advisory_lock(" + std::to_string(hot) + ")");

  int go[2];
  REQUIRE(::pipe(go) == 0);  // child 1 starts when the parent writes a byte
  std::vector<PgChild> children = ForkChildren(2, [&](int p, FILE* out) {
    ::close(go[1]);
    auto opened = OpenStorage(PgStorageOptions(dir.sub("proc" + std::to_string(p)), schema));
    if (!opened.ok()) {
      std::fprintf(out, "error open %s\n", opened.status().ToString().c_str());
      return 2;
    }
    Storage& db = **opened;
    Table stock = *db.table("stock"), log = *db.table("log");
    if (p == 1) {
      char byte;
      if (::read(go[0], &byte, 1) != 1) return 3;
    }
    CounterChange plus;
    plus.size = 1;
    plus.delta = {1, 0, 0, 0};
    ApplyResult r = db.apply(ChangeSet().add(stock, p == 0 ? "hot" : "cold", plus).append(log, p == 0 ? "hot" : "cold"));
    if (!r.status.ok()) std::fprintf(out, "error apply %s\n", r.status.ToString().c_str());
    else std::fprintf(out, "done %llu\n", static_cast<unsigned long long>(r.seqs.at(0)));
    return db.close().ok() ? 0 : 4;
  });
  ::close(go[0]);

  // Child 0's group is waiting for the record's lock.
  auto waiting = [&] {
    return PgFirstValue(conn, "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted AND objid = " +
                         std::to_string(static_cast<uint32_t>(hot)));
  };
  auto deadline = Clock::now() + std::chrono::seconds(20);
  while (waiting() != "1" && Clock::now() < deadline) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  REQUIRE(waiting() == "1");

  // Child 1's group commits while child 0's still waits.
  REQUIRE(::write(go[1], "x", 1) == 1);
  ::close(go[1]);
  std::vector<std::string> second = ChildLines(children[1]);
  CHECK(second == std::vector<std::string>{"done 1"});
  CHECK(waiting() == "1");

  PgFirstValue(conn, "SELECT pg_advisory_unlock(" + std::to_string(hot) + ")");
  std::vector<std::string> first = ChildLines(children[0]);
  CHECK(first == std::vector<std::string>{"done 2"});  // its sequence was taken after the wait
  PQfinish(conn);
}

// Three processes of four threads for a few seconds, on few records so that their groups
// collide: reservations on hot stock records (each appends the record's counters after it),
// checked updates of one shared record (expect the value read, put the next one) and plain
// puts of the same record, each with an event naming what it did. Meanwhile the parent tails
// the log. Then the log, replayed in sequence order, must account for every acknowledged write
// and agree with the records: reservations count 1, 2, 3... on each record with no number
// twice, every checked update starts from the value the log says the record held (a plain put
// that slipped between a check and its commit would break the chain), sequences 1..n with no
// gap, and the tailer never saw a later sequence before an earlier one.
TEST_CASE("postgres: change-set groups of several processes at once: no oversell, no lost "
          "check, one gapless log in commit order",
          "[postgres][multiprocess]") {
  COMMERCE_REQUIRE_PG_OR_SKIP();
  constexpr int kProcs = 3, kThreads = 4, kHot = 3;
  constexpr int64_t kOnHand = 150;  // per hot record: more than a run sells, so none refuses early
  const auto kRun = std::chrono::milliseconds(3000);
  TempDir dir;
  const std::string schema = UniquePgSchema("besides");
  {
    auto db = OpenPgStorage(PgStorageOptions(dir.sub("setup"), schema));
    const Table stock = *db->table("stock"), shared = *db->table("shared");
    REQUIRE(db->table("log").ok());
    ChangeSet seed;
    CounterChange receive;
    receive.size = 2;
    receive.delta = {kOnHand, 0, 0, 0};
    for (int h = 0; h < kHot; ++h) seed.add(stock, "hot" + std::to_string(h), receive);
    seed.put(shared, "v", "seed");
    REQUIRE(db->apply(std::move(seed)).status.ok());
    REQUIRE(db->close().ok());  // before the fork: a child inherits no thread of it
  }

  std::vector<PgChild> children = ForkChildren(kProcs, [&](int p, FILE* out) {
    auto opened = OpenStorage(PgStorageOptions(dir.sub("proc" + std::to_string(p)), schema));
    if (!opened.ok()) {
      std::fprintf(out, "error open %s\n", opened.status().ToString().c_str());
      return 2;
    }
    Storage& db = **opened;
    Table stock = *db.table("stock"), shared = *db.table("shared"), log = *db.table("log");
    ChildReport report(out);
    std::vector<std::thread> threads;
    const auto end = Clock::now() + kRun;
    for (int t = 0; t < kThreads; ++t)
      threads.emplace_back([&, t] {
        std::mt19937 rng(p * 10 + t);
        const std::string me = "p" + std::to_string(p) + "t" + std::to_string(t);
        for (int i = 0; Clock::now() < end; ++i) {
          const std::string tag = me + "-" + std::to_string(i);
          ChangeSet set;
          std::string what;
          if (t < 2) {  // a reservation on a hot record
            CounterChange reserve;
            reserve.size = 2;
            reserve.delta = {0, 1, 0, 0};
            reserve.bound_count = 1;
            reserve.bounds[0] = {.a = 0, .minus = 1, .min = 0};
            const std::string sku = "hot" + std::to_string(rng() % kHot);
            set.add(stock, sku, reserve).append(log, "R " + sku + " ", 0);
            what = "R";
          } else if (t == 2) {  // a checked update of the shared record
            auto txn = db.read();
            if (!txn.ok()) {
              report("error read " + txn.status().ToString());
              return;
            }
            auto cur = (*txn)->get(shared, "v");
            txn->reset();
            if (!cur.ok()) {
              report("error get " + cur.status().ToString());
              return;
            }
            set.expect(shared, "v", *cur).put(shared, "v", tag).append(log, "C " + *cur + " " + tag);
            what = "C";
          } else {  // a plain put of the shared record, now and then (else no check passes)
            std::this_thread::sleep_for(std::chrono::milliseconds(15));
            set.put(shared, "v", tag).append(log, "P " + tag);
            what = "P";
          }
          ApplyResult r = db.apply(std::move(set));
          if (r.status.ok()) report("ok " + what + " " + std::to_string(r.seqs.at(0)));
          else if (what == "C" && r.failure == CheckFailure::kChanged) report("changed");
          else if (what == "R" && r.failure == CheckFailure::kBounds) report("refused");
          else report("error apply " + r.status.ToString());
        }
      });
    for (auto& th : threads) th.join();
    Status closed = db.close();
    if (!closed.ok()) report("error close " + closed.ToString());
    return 0;
  });

  auto parent = OpenPgStorage(PgStorageOptions(dir.sub("parent"), schema));
  const Table stock = *parent->table("stock"), shared = *parent->table("shared"), log = *parent->table("log");
  // Each snapshot must show the log as 1..n (LogTailer).
  LogTailer tailer(*parent, log);
  std::vector<std::string> lines;
  for (const PgChild& child : children)
    for (std::string& line : ChildLines(child)) lines.push_back(std::move(line));
  tailer.Stop();

  std::map<uint64_t, std::string> acked;  // seq -> kind, from the children
  int changed = 0;
  for (const std::string& line : lines) {
    INFO(line);
    REQUIRE(line.rfind("error", 0) != 0);
    std::istringstream in(line);
    std::string word, kind;
    uint64_t seq = 0;
    in >> word;
    if (word == "changed") {
      ++changed;
      continue;
    }
    if (word == "refused") continue;  // a hot record sold out: the bounds held
    in >> kind >> seq;
    CHECK(acked.emplace(seq, kind).second);  // no sequence given twice
  }

  auto txn = parent->read();
  REQUIRE(txn.ok());
  auto entries = (*txn)->scan(log, "", "", 0);
  REQUIRE(entries.ok());
  REQUIRE(entries->size() == acked.size());
  std::map<std::string, uint64_t> reserved;  // per hot record, replayed
  std::string shared_value = "seed";
  int checks = 0, puts = 0, chain_breaks = 0;
  for (size_t i = 0; i < entries->size(); ++i) {
    const KeyValue& e = (*entries)[i];
    REQUIRE(BigEndianAt(e.key, 0) == i + 1);  // gapless
    INFO("seq " << i + 1);
    std::string v = e.value;
    if (v[0] == 'R') {
      CHECK(acked[i + 1] == "R");
      // "R hotN " then the counters after the reservation: [on_hand, reserved].
      const std::string sku = v.substr(2, v.find(' ', 2) - 2);
      const size_t at = 2 + sku.size() + 1;
      REQUIRE(v.size() == at + 16);
      CHECK(BigEndianAt(v, at) == static_cast<uint64_t>(kOnHand));
      CHECK(BigEndianAt(v, at + 8) == ++reserved[sku]);  // in commit order, none lost
    } else if (v[0] == 'C') {
      CHECK(acked[i + 1] == "C");
      std::istringstream in(v.substr(2));
      std::string from, to;
      in >> from >> to;
      if (from != shared_value) ++chain_breaks;  // another write slipped between check and commit
      shared_value = to;
      ++checks;
    } else {
      CHECK(acked[i + 1] == "P");
      shared_value = v.substr(2);
      ++puts;
    }
  }
  CHECK(chain_breaks == 0);
  CHECK(checks > 0);
  CHECK(puts > 0);
  CHECK(changed > 0);  // plain puts and other checks did make checks fail
  int64_t sold = 0;
  for (int h = 0; h < kHot; ++h) {
    const std::string sku = "hot" + std::to_string(h);
    auto c = DecodeCounters(*(*txn)->get(stock, sku));
    REQUIRE(c.ok());
    CHECK(c->v[1] == static_cast<int64_t>(reserved[sku]));  // every reservation kept
    CHECK(c->v[1] <= kOnHand);                              // none oversold
    sold += c->v[1];
  }
  CHECK(sold > 0);
  CHECK(*(*txn)->get(shared, "v") == shared_value);
  CHECK(tailer.gaps() == 0);
  CHECK(tailer.tailed() > 0);
  txn->reset();
  REQUIRE(parent->close().ok());
}

// A store of layout version 2 (before __seq) keeps its log: opening it creates the counter
// table empty, and the first group of change sets counts on from the log's newest key. A
// callback group (which counts from the newest key itself, under the store's exclusive lock)
// between two change-set groups is never overtaken by the counter row.
TEST_CASE("postgres: a store of the layout before the event counter opens and its log goes "
          "on gapless through change sets and callback writes",
          "[postgres]") {
  COMMERCE_REQUIRE_PG_OR_SKIP();
  TempDir dir;
  const std::string schema = UniquePgSchema("oldseq");
  auto seqs_of = [](const ApplyResult& r) { return r.seqs; };
  {
    auto db = OpenPgStorage(PgStorageOptions(dir.sub("a"), schema));
    Table log = *db->table("log");
    for (int i = 0; i < 3; ++i) REQUIRE(db->apply(ChangeSet().append(log, "old")).status.ok());
    REQUIRE(db->close().ok());
  }
  // Back to the layout an older build left: no __seq, version 2.
  PGconn* conn = PQconnectdb(PgTestUrl().c_str());
  REQUIRE(PQstatus(conn) == CONNECTION_OK);
  PgFirstValue(conn, "DROP TABLE \"" + schema + "\".\"__seq\"");
  PgFirstValue(conn, "UPDATE \"" + schema + "\".\"__meta\" SET v = '2' WHERE k = 'schema_version'");

  auto db = OpenPgStorage(PgStorageOptions(dir.sub("a"), schema));
  CHECK(PgFirstValue(conn, "SELECT v FROM \"" + schema + "\".\"__meta\" WHERE k = 'schema_version'") == "3");
  CHECK(PgFirstValue(conn, "SELECT count(*) FROM \"" + schema + "\".\"__seq\"") == "0");
  Table log = *db->table("log"), t = *db->table("t");
  ApplyResult r = db->apply(ChangeSet().append(log, "new").append(log, "new").put(t, "k", "v"));
  REQUIRE(r.status.ok());
  CHECK(seqs_of(r) == std::vector<uint64_t>{4, 5});
  // A callback group appends from the newest key.
  uint64_t appended = 0;
  REQUIRE(db->write([&](WriteTxn& txn) -> Status {
              auto seq = txn.append(log, "callback");
              if (seq.ok()) appended = *seq;
              return seq.status();
            }).ok());
  CHECK(appended == 6);
  r = db->apply(ChangeSet().append(log, "new"));
  REQUIRE(r.status.ok());
  CHECK(seqs_of(r) == std::vector<uint64_t>{7});
  auto txn = db->read();
  REQUIRE(txn.ok());
  auto entries = (*txn)->scan(log, "", "", 0);
  REQUIRE(entries.ok());
  REQUIRE(entries->size() == 7);
  for (size_t i = 0; i < entries->size(); ++i) CHECK(BigEndianAt((*entries)[i].key, 0) == i + 1);
  txn->reset();
  REQUIRE(db->close().ok());
  PQfinish(conn);
}

// Sequence slots (with_seq: in a key, in a value, inverted) are filled in by the server when
// groups run beside others; they must hold what the local drivers write: the entry's sequence.
TEST_CASE("postgres: sequence slots of change sets beside others hold the entry's sequence",
          "[postgres]") {
  COMMERCE_REQUIRE_PG_OR_SKIP();
  TempDir dir;
  auto db = OpenPgStorage(PgStorageOptions(dir.sub("a"), UniquePgSchema("slots")));
  Table log = *db->table("log"), index = *db->table("index");
  for (int round = 0; round < 3; ++round) {
    ChangeSet set;
    set.append(log, "e");
    set.put(index, std::string("by-seq:") + std::string(8, '\0'), "v").with_seq(0, 7);
    set.put(index, std::string("newest:") + std::string(8, '\0'), "w").with_seq(0, 7, /*invert=*/true);
    set.put(index, "value-" + std::to_string(round), std::string("x") + std::string(8, '\0')).with_seq(0, 1, false, /*in_value=*/true);
    ApplyResult r = db->apply(std::move(set));
    INFO(r.status.ToString());
    REQUIRE(r.status.ok());
    const uint64_t seq = r.seqs.at(0);
    CHECK(seq == static_cast<uint64_t>(round) + 1);
    auto txn = db->read();
    REQUIRE(txn.ok());
    std::string key = "by-seq:" + LogKey(seq), newest = "newest:" + LogKey(~seq);
    CHECK((*txn)->get(index, key).ok());
    CHECK((*txn)->get(index, newest).ok());
    auto v = (*txn)->get(index, "value-" + std::to_string(round));
    REQUIRE(v.ok());
    CHECK(*v == "x" + LogKey(seq));
    txn->reset();
  }
  REQUIRE(db->close().ok());
}

TEST_CASE("SortLocks keeps one lock per id, shared only when every lock of it was",
          "[postgres][storage]") {
  std::vector<postgres::KeyLock> locks{{5, true}, {3, false}, {5, false}, {1, true}, {3, true}, {1, true}};
  postgres::SortLocks(&locks);
  REQUIRE(locks.size() == 3);
  CHECK(locks[0].id == 1);
  CHECK(locks[0].shared);
  CHECK(locks[1].id == 3);
  CHECK_FALSE(locks[1].shared);
  CHECK(locks[2].id == 5);
  CHECK_FALSE(locks[2].shared);
}

// The test's own connection holds the record's lock, as another group would: in shared mode,
// a group that only expects the record commits at once (before, it took the lock exclusively
// and waited); a group that writes it waits (seen in pg_locks) until the lock is let go. In
// exclusive mode, a group that expects it waits too.
TEST_CASE("postgres: groups that only check a record share its lock and a group that writes it waits",
          "[postgres][storage]") {
  COMMERCE_REQUIRE_PG_OR_SKIP();
  TempDir dir;
  const std::string schema = UniquePgSchema("sharedlock");
  StorageOptions o;
  o.driver = "postgres";
  o.path = dir.sub("db");
  o.postgres_url = PgTestUrl();
  o.postgres_schema = schema;
  auto opened = OpenStorage(o);
  INFO(opened.status().ToString());
  REQUIRE(opened.ok());
  Storage& db = **opened;
  const Table t = *db.table("records");
  REQUIRE(db.apply(ChangeSet().put(t, "product", "v1")).status.ok());

  PGconn* conn = PQconnectdb(PgTestUrl().c_str());
  REQUIRE(PQstatus(conn) == CONNECTION_OK);
  const int64_t product = postgres::KeyLockId(schema, "records", "product");
  const auto soon = std::chrono::seconds(10);

  SECTION("held shared: a check commits, a write waits") {
    PgFirstValue(conn, "SELECT pg_advisory_lock_shared(" + std::to_string(product) + ")");
    // An order's shape: check the product, write records of its own.
    auto check = std::async(std::launch::async, [&] {
      return db.apply(ChangeSet().expect(t, "product", "v1").put(t, "order-1", "x")).status;
    });
    REQUIRE(check.wait_for(soon) == std::future_status::ready);
    CHECK(check.get().ok());
    auto absent = std::async(std::launch::async, [&] {
      return db.apply(ChangeSet().expect_absent(t, "product-2").expect(t, "product", "v1").put(t, "order-2", "x")).status;
    });
    REQUIRE(absent.wait_for(soon) == std::future_status::ready);
    CHECK(absent.get().ok());

    auto write = std::async(std::launch::async, [&] { return db.apply(ChangeSet().put(t, "product", "v2")).status; });
    KlAwaitWaiting(conn, product, "1");
    CHECK(write.wait_for(std::chrono::milliseconds(200)) == std::future_status::timeout);
    PgFirstValue(conn, "SELECT pg_advisory_unlock_shared(" + std::to_string(product) + ")");
    REQUIRE(write.wait_for(soon) == std::future_status::ready);
    CHECK(write.get().ok());
    // The check sees the write that committed: v1 is stale now.
    ApplyResult stale = db.apply(ChangeSet().expect(t, "product", "v1").put(t, "order-3", "x"));
    CHECK(stale.status.IsConflict());
    CHECK(stale.failed_op == 0);
  }
  SECTION("held exclusively (as a group that writes it): a check waits") {
    PgFirstValue(conn, "SELECT pg_advisory_lock(" + std::to_string(product) + ")");
    auto check = std::async(std::launch::async, [&] {
      return db.apply(ChangeSet().expect(t, "product", "v1").put(t, "order-1", "x")).status;
    });
    KlAwaitWaiting(conn, product, "1");
    CHECK(check.wait_for(std::chrono::milliseconds(200)) == std::future_status::timeout);
    PgFirstValue(conn, "SELECT pg_advisory_unlock(" + std::to_string(product) + ")");
    REQUIRE(check.wait_for(soon) == std::future_status::ready);
    CHECK(check.get().ok());
  }
  PQfinish(conn);
  REQUIRE(db.close().ok());
}

}  // namespace storage_postgres_key_locks_test
