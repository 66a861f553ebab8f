// More than one group in flight per process on the postgres driver (StorageTuning::
// postgres_writers, GroupWriter lanes): a process's groups of change sets overlap -- one
// waiting for a record's lock does not hold up the next on other records -- while the event log
// stays gapless and in commit order, each caller's sequence naming its own entry.
//
// Needs COMMERCE_PG_URL (ctest's postgres fixture); skipped otherwise.
#include <libpq-fe.h>

#include <catch2/catch.hpp>

#include <chrono>
#include <filesystem>
#include <future>
#include <map>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "commerce/storage.h"
#include "pg_fixture.h"
#include "pg_test_cluster.h"
#include "storage/postgres/pg_key_locks.h"
#include "test_dir.h"

namespace storage_postgres_writers_test {

namespace {

using namespace commerce;
using namespace commerce::testing;
using Clock = std::chrono::steady_clock;

StorageOptions WrOptions(const std::string& path, const std::string& schema, size_t writers) {
  StorageOptions o = PgStorageOptions(path, schema);
  o.postgres_writers = writers;
  return o;
}

ChangeSet AddAndLog(Table stock, Table log, const std::string& key, const std::string& entry) {
  CounterChange plus;
  plus.size = 1;
  plus.delta = {1, 0, 0, 0};
  return ChangeSet().add(stock, key, plus).append(log, entry);
}

}  // namespace

// Checked before anything is opened or created: no server is needed to refuse it.
TEST_CASE("postgres writers: a count out of 1..64 is InvalidArgument naming the field and "
          "creates nothing",
          "[postgres_writers]") {
  TempDir dir;
  for (size_t writers : {size_t{0}, size_t{65}}) {
    StorageOptions o = WrOptions(dir.sub("w" + std::to_string(writers)), "writers_bad", writers);
    o.postgres_url = "postgresql://nobody@127.0.0.1:1/none";
    auto opened = OpenStorage(o);
    REQUIRE_FALSE(opened.ok());
    CHECK(opened.status().IsInvalidArgument());
    CHECK(opened.status().message().find("postgres_writers") != std::string::npos);
    CHECK_FALSE(std::filesystem::exists(o.path));
  }
}

// The test's own connection holds one record's lock, as another process's group would. With
// two writers the process's group on that record waits while its next group, on another
// record, commits and takes the first sequence. With one writer (the build before) the second
// group queues behind the waiting one: the test's contrast, so that it fails if groups of one
// process never overlap.
TEST_CASE("postgres writers: a group waiting for one record's lock does not hold up the same "
          "process's group on another record",
          "[postgres][postgres_writers]") {
  COMMERCE_REQUIRE_PG_OR_SKIP();
  for (size_t writers : {size_t{2}, size_t{1}}) {
    INFO("postgres_writers " << writers);
    TempDir dir;
    const std::string schema = UniquePgSchema("writers");
    auto db = OpenPgStorage(WrOptions(dir.sub("db"), schema, writers));
    const Table stock = *db->table("stock"), log = *db->table("log");
    PGconn* conn = PQconnectdb(PgTestUrl().c_str());
    REQUIRE(PQstatus(conn) == CONNECTION_OK);
    const int64_t hot = postgres::KeyLockId(schema, "stock", "hot");
    PgFirstValue(conn, "SELECT pg_advisory_lock(" + std::to_string(hot) + ")");

    auto hot_done = std::async(std::launch::async, [&] { return db->apply(AddAndLog(stock, log, "hot", "hot")); });
    auto waiting = [&] {
      return PgFirstValue(conn, "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted AND objid = " +
                           std::to_string(static_cast<uint32_t>(hot)));
    };
    const auto deadline = Clock::now() + std::chrono::seconds(20);
    while (waiting() != "1" && Clock::now() < deadline) std::this_thread::sleep_for(std::chrono::milliseconds(20));
    const bool hot_waits = waiting() == "1";
    auto cold_done = std::async(std::launch::async, [&] { return db->apply(AddAndLog(stock, log, "cold", "cold")); });
    // Two writers: the cold group commits within seconds however loaded the machine. One
    // writer: it is still queued a second later (it can only commit after the hot one).
    const auto patience = writers > 1 ? std::chrono::seconds(20) : std::chrono::seconds(1);
    const bool cold_first = cold_done.wait_for(patience) == std::future_status::ready;
    const bool hot_still_waits = waiting() == "1";
    PgFirstValue(conn, "SELECT pg_advisory_unlock(" + std::to_string(hot) + ")");  // before any REQUIRE can end the test
    ApplyResult hot_result = hot_done.get();
    ApplyResult cold_result = cold_done.get();
    PQfinish(conn);
    CHECK(hot_waits);
    REQUIRE(hot_result.status.ok());
    REQUIRE(cold_result.status.ok());
    if (writers > 1) {
      CHECK(cold_first);
      CHECK(hot_still_waits);
      CHECK(cold_result.seqs.at(0) == 1);  // committed first, numbered first
      CHECK(hot_result.seqs.at(0) == 2);
    } else {
      CHECK_FALSE(cold_first);
      CHECK(hot_result.seqs.at(0) == 1);
      CHECK(cold_result.seqs.at(0) == 2);
    }
    // The log in sequence order names the groups in the order they committed.
    auto txn = db->read();
    REQUIRE(txn.ok());
    auto entries = (*txn)->scan(log, "", "", 0);
    REQUIRE(entries.ok());
    REQUIRE(entries->size() == 2);
    CHECK((*entries)[0].value == (writers > 1 ? "cold" : "hot"));
    txn->reset();
    REQUIRE(db->close().ok());
  }
}

// Eight threads of one process append for two seconds through four writers, on few records
// so that some groups meet on a record and wait, while a tailer reads the log: every snapshot
// shows 1..n with no gap (a group numbered later never becomes visible before an earlier one),
// the log ends holding exactly the acknowledged entries, and each caller's sequence is the one
// its entry holds. Then the counters: each record's count is the number of its entries.
TEST_CASE("postgres writers: several groups of one process in flight keep the event log "
          "gapless and in commit order",
          "[postgres][postgres_writers]") {
  COMMERCE_REQUIRE_PG_OR_SKIP();
  constexpr int kThreads = 8, kRecords = 6;
  const auto kRun = std::chrono::milliseconds(2000);
  TempDir dir;
  const std::string schema = UniquePgSchema("writers_log");
  auto db = OpenPgStorage(WrOptions(dir.sub("db"), schema, 4));
  const Table stock = *db->table("stock"), log = *db->table("log");

  LogTailer tailer(*db, log);
  std::mutex mu;
  std::map<uint64_t, std::string> acked;  // seq -> entry
  std::vector<std::string> errors;
  std::vector<std::thread> threads;
  const auto end = Clock::now() + kRun;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&, t] {
      std::mt19937 rng(t);
      for (int i = 0; Clock::now() < end; ++i) {
        const std::string entry = std::to_string(rng() % kRecords) + " t" + std::to_string(t) + "-" + std::to_string(i);
        ApplyResult r = db->apply(AddAndLog(stock, log, "r" + entry.substr(0, 1), entry));
        std::lock_guard<std::mutex> lock(mu);
        if (!r.status.ok()) errors.push_back(r.status.ToString());
        else if (!acked.emplace(r.seqs.at(0), entry).second) errors.push_back("sequence twice: " + entry);
      }
    });
  for (auto& th : threads) th.join();
  tailer.Stop();

  INFO((errors.empty() ? std::string() : errors.front()));
  CHECK(errors.empty());
  CHECK(tailer.gaps() == 0);
  CHECK(tailer.snapshots() > 0);
  REQUIRE(acked.size() > 20);
  auto txn = db->read();
  REQUIRE(txn.ok());
  auto entries = (*txn)->scan(log, "", "", 0);
  REQUIRE(entries.ok());
  REQUIRE(entries->size() == acked.size());
  std::map<std::string, uint64_t> per_record;
  for (size_t i = 0; i < entries->size(); ++i) {
    const KeyValue& e = (*entries)[i];
    INFO("seq " << i + 1);
    REQUIRE(BigEndianAt(e.key) == i + 1);
    CHECK(e.value == acked[i + 1]);
    per_record["r" + e.value.substr(0, 1)]++;
  }
  for (const auto& [key, n] : per_record) {
    auto v = (*txn)->get(stock, key);
    REQUIRE(v.ok());
    auto counters = DecodeCounters(*v);
    REQUIRE(counters.ok());
    CHECK(counters->v[0] == static_cast<int64_t>(n));
  }
  txn->reset();
  REQUIRE(db->close().ok());
}

}  // namespace storage_postgres_writers_test
