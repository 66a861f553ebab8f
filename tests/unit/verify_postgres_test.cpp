// Engine::verify on the postgres driver checks the logs' counter rows ("<schema>"."__seq",
// pg_log_counters.h) beside the records: a counter ahead of its log would number the next
// events past a gap, which no record check can see.
//
// Needs COMMERCE_PG_URL (ctest's postgres fixture, test postgres_driver); skipped otherwise.
#include <libpq-fe.h>

#include <catch2/catch.hpp>

#include <string>

#include "commerce/engine.h"
#include "commerce/verify.h"
#include "pg_fixture.h"
#include "pg_test_cluster.h"
#include "storage/postgres/pg_storage.h"
#include "test_dir.h"
#include "test_engine.h"

namespace verify_postgres_test {

using namespace commerce;
using namespace commerce::testing;

// One SQL statement on a connection of the test's own (a person, or damage, changing the row).
void Sql(const std::string& sql) {
  PGconn* conn = PQconnectdb(PgTestUrl().c_str());
  REQUIRE(PQstatus(conn) == CONNECTION_OK);
  PGresult* r = PQexec(conn, sql.c_str());
  INFO(sql << ": " << PQerrorMessage(conn));
  CHECK(PQresultStatus(r) == PGRES_COMMAND_OK);
  PQclear(r);
  PQfinish(conn);
}

// The problems of the "log counters" check.
std::vector<VerifyProblem> CounterProblems(Engine& e) {
  auto report = e.verify();
  INFO(report.status().ToString());
  REQUIRE(report.ok());
  std::vector<VerifyProblem> out;
  for (const auto& p : report->problems) {
    INFO(p.check << " " << p.where << ": " << p.what);
    CHECK(p.check == "log counters");  // the records themselves are sound throughout
    if (p.check == "log counters") out.push_back(p);
  }
  return out;
}

TEST_CASE("verify: the postgres driver's log counters are checked against their logs",
          "[postgres][verify]") {
  COMMERCE_REQUIRE_PG_OR_SKIP();
  TempDir dir;
  const std::string schema = UniquePgSchema("seqverify");
  const std::string seq = "\"" + schema + "\".\"__seq\"";
  auto e = OpenPgEngine(PgEngineOptions(dir.path(), PgTestUrl(), schema));
  SeedCatalog(*e, 1, 1);
  REQUIRE(e->inventory().receive("W-1", "wh-a", 10).ok());
  // Orders are groups of change sets: with key locks (the default) they number their events
  // from the counter row.
  for (int i = 0; i < 3; ++i) REQUIRE(e->orders().place(PgOrder("seq-" + std::to_string(i), "W-1")).ok());
  const uint64_t newest = *e->events().last_seq();
  REQUIRE(newest > 3);

  SECTION("a sound store has no problem") { CHECK(CounterProblems(*e).empty()); }

  SECTION("a counter ahead of its log is named, with the gap it would leave") {
    Sql("UPDATE " + seq + " SET n = n + 5 WHERE t = 'events'");
    auto problems = CounterProblems(*e);
    REQUIRE(problems.size() == 1);
    CHECK(problems[0].where == "__seq row 'events'");
    CHECK(problems[0].what.find("newest entry of log 'events' is " + std::to_string(newest)) != std::string::npos);
    CHECK(problems[0].what.find(std::to_string(newest + 1) + ".." + std::to_string(newest + 5) + " missing") !=
          std::string::npos);
  }

  SECTION("a counter behind its log is sound: the next group catches it up") {
    Sql("UPDATE " + seq + " SET n = 1 WHERE t = 'events'");
    CHECK(CounterProblems(*e).empty());
    REQUIRE(e->orders().place(PgOrder("seq-after", "W-1")).ok());
    CHECK(*e->events().last_seq() > newest);
    CHECK(CounterProblems(*e).empty());
  }

  SECTION("a negative counter and a row naming no table are named") {
    Sql("UPDATE " + seq + " SET n = -1 WHERE t = 'events'");
    Sql("INSERT INTO " + seq + " (t, n) VALUES ('no_such_log', 3), ('Not A Name', 1)");
    auto problems = CounterProblems(*e);
    REQUIRE(problems.size() == 3);
    // In the rows' order (by t, bytewise: capitals first).
    CHECK(problems[0].where == "__seq row 'Not A Name'");
    CHECK(problems[0].what.find("not a table name") != std::string::npos);
    CHECK(problems[1].where == "__seq row 'events'");
    CHECK(problems[1].what.find("below 0") != std::string::npos);
    CHECK(problems[2].where == "__seq row 'no_such_log'");
    CHECK(problems[2].what.find("names no table of schema '" + schema + "'") != std::string::npos);
  }
  REQUIRE(e->close().ok());
}

TEST_CASE("verify: log counters are the postgres driver's alone", "[verify]") {
  TempDir dir;
  StorageOptions o;
  o.path = dir.path();
  o.driver = "lmdb";
  auto s = OpenStorage(o);
  REQUIRE(s.ok());
  int calls = 0;
  Status checked = CheckLogCounters(**s, [&](std::string, std::string) { ++calls; });
  CHECK(checked.code() == Code::kNotSupported);
  CHECK(checked.message().find("lmdb") != std::string::npos);
  CHECK(calls == 0);
  REQUIRE((*s)->close().ok());
}

}  // namespace verify_postgres_test
