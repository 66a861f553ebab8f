// The PostgreSQL driver beyond the conformance suite: its bad inputs (connection strings,
// schemas, unreachable servers, a directory bound to another store), passwords kept out of
// messages, and "a lost connection never writes twice" (a proxy cuts the connection right
// after forwarding COMMIT, or right before, and the write must be applied exactly once).
//
// Needs COMMERCE_PG_URL (ctest's postgres fixture; pg_test_cluster.h); skipped otherwise.
#include <libpq-fe.h>

#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "commerce/storage.h"
#include "pg_test_cluster.h"
#include "tcp_fault_proxy.h"
#include "test_dir.h"

using commerce::OpenStorage;
using commerce::Status;
using commerce::Storage;
using commerce::StorageOptions;
using commerce::Table;
using commerce::WriteTxn;
using commerce::testing::PgTestUrl;
using commerce::testing::TcpFaultProxy;
using commerce::testing::TempDir;
using commerce::testing::UniquePgSchema;

namespace {

#define REQUIRE_PG()                                  \
  if (PgTestUrl().empty()) {                          \
    WARN(commerce::testing::kPgSkipMessage);          \
    return;                                           \
  }

// One setting of a libpq connection string ("" when absent).
std::string ConnValue(const std::string& conninfo, const std::string& key) {
  char* err = nullptr;
  PQconninfoOption* opts = PQconninfoParse(conninfo.c_str(), &err);
  if (err) PQfreemem(err);
  std::string out;
  for (PQconninfoOption* o = opts; o && o->keyword; ++o)
    if (key == o->keyword && o->val) out = o->val;
  PQconninfoFree(opts);
  return out;
}

// The fixture's URL pointed at 127.0.0.1:`port` (a proxy), as key=value pairs.
std::string UrlAtPort(int port) {
  std::string url = PgTestUrl();
  return "host=127.0.0.1 port=" + std::to_string(port) + " user=" + ConnValue(url, "user") +
         " password=" + ConnValue(url, "password") + " dbname=" + ConnValue(url, "dbname");
}

int FirstPort(const std::string& conninfo) {
  std::string ports = ConnValue(conninfo, "port");
  return std::stoi(ports.substr(0, ports.find(',')));
}

StorageOptions PgOptions(const std::string& path, const std::string& url = "") {
  StorageOptions o;
  o.driver = "postgres";
  o.path = path;
  o.postgres_url = url.empty() ? PgTestUrl() : url;
  o.postgres_schema = UniquePgSchema();
  return o;
}

std::unique_ptr<Storage> MustOpen(const StorageOptions& o) {
  auto s = OpenStorage(o);
  INFO(s.status().ToString());
  REQUIRE(s.ok());
  return std::move(s).value();
}

// A receipt: +1 on a counter, read-modify-write, no idempotency key of its own.
Status Receive(Storage& db, Table t) {
  return db.write([t](WriteTxn& txn) -> Status {
    std::string_view v;
    Status s = txn.get(t, "on_hand", &v);
    int64_t n = s.ok() ? std::stoll(std::string(v)) : 0;
    if (!s.ok() && !s.IsNotFound()) return s;
    return txn.put(t, "on_hand", std::to_string(n + 1));
  });
}

int64_t OnHand(Storage& db, Table t) {
  auto txn = db.read();
  REQUIRE(txn.ok());
  auto v = (*txn)->get(t, "on_hand");
  if (v.status().IsNotFound()) return 0;
  REQUIRE(v.ok());
  return std::stoll(*v);
}

}  // namespace

TEST_CASE("postgres: bad connection settings are refused with a clear error, writing nothing",
          "[postgres]") {
  REQUIRE_PG();
  TempDir dir;
  const std::string password = ConnValue(PgTestUrl(), "password");
  REQUIRE_FALSE(password.empty());

  SECTION("no connection string at all") {
    StorageOptions o = PgOptions(dir.sub("a"));
    o.postgres_url.clear();
    const char* env = std::getenv("COMMERCE_PG_URL");
    std::string saved = env ? env : "";
    ::unsetenv("COMMERCE_PG_URL");
    auto r = OpenStorage(o);
    if (!saved.empty()) ::setenv("COMMERCE_PG_URL", saved.c_str(), 1);
    CHECK(r.status().IsInvalidArgument());
    CHECK(r.status().message().find("COMMERCE_PG_URL") != std::string::npos);
    CHECK_FALSE(std::filesystem::exists(dir.sub("a") + "/POSTGRES"));
  }
  SECTION("a string libpq cannot parse never echoes its password") {
    StorageOptions o = PgOptions(dir.sub("b"), "postgresql://u:" + password + "@127.0.0.1:1/db?nonsense_key=1");
    auto r = OpenStorage(o);
    INFO(r.status().ToString());
    CHECK(r.status().IsInvalidArgument());
    CHECK(r.status().message().find(password) == std::string::npos);
  }
  SECTION("a wrong password is Unavailable and the message never shows a password") {
    std::string url = PgTestUrl();
    std::string wrong = "wrong" + password;
    size_t at = url.find(password);
    REQUIRE(at != std::string::npos);
    url.replace(at, password.size(), wrong);
    auto r = OpenStorage(PgOptions(dir.sub("c"), url));
    INFO(r.status().ToString());
    CHECK(r.status().IsUnavailable());
    CHECK(r.status().message().find(wrong) == std::string::npos);
    CHECK(r.status().message().find(password) == std::string::npos);
    CHECK(r.status().message().find("127.0.0.1") != std::string::npos);
  }
  SECTION("an unreachable server fails fast with Unavailable") {
    TcpFaultProxy proxy(FirstPort(PgTestUrl()));
    proxy.set_down(true);
    auto start = std::chrono::steady_clock::now();
    auto r = OpenStorage(PgOptions(dir.sub("d"), UrlAtPort(proxy.port())));
    auto took = std::chrono::steady_clock::now() - start;
    INFO(r.status().ToString());
    CHECK(r.status().IsUnavailable());
    CHECK(took < std::chrono::seconds(5));
  }
  SECTION("bad schema names and option values") {
    for (std::string bad : std::vector<std::string>{"", "Upper", "pg_catalog", "has-dash", "a\"b",
                                                   std::string(64, 's')}) {
      StorageOptions o = PgOptions(dir.sub("e"));
      o.postgres_schema = bad;
      INFO("schema '" << bad << "'");
      CHECK(OpenStorage(o).status().IsInvalidArgument());
    }
    StorageOptions o = PgOptions(dir.sub("e"));
    o.postgres_pool_size = 0;
    CHECK(OpenStorage(o).status().IsInvalidArgument());
    o = PgOptions(dir.sub("e"));
    o.postgres_max_attempts = 0;
    CHECK(OpenStorage(o).status().IsInvalidArgument());
  }
}

TEST_CASE("postgres: a directory belongs to one store; a damaged binding is Corruption",
          "[postgres]") {
  REQUIRE_PG();
  TempDir dir;
  StorageOptions first = PgOptions(dir.sub("local"));
  REQUIRE(MustOpen(first)->close().ok());
  // The same directory with another schema (another store): its search index would not
  // match that store's event log.
  StorageOptions other = first;
  other.postgres_schema = UniquePgSchema("other");
  auto r = OpenStorage(other);
  INFO(r.status().ToString());
  CHECK(r.status().IsFailedPrecondition());
  CHECK(r.status().message().find(dir.sub("local")) != std::string::npos);

  // The same store from a second directory, as a second engine process would: fine.
  StorageOptions second = first;
  second.path = dir.sub("second");
  auto a = MustOpen(first);
  auto b = MustOpen(second);
  Table ta = *a->table("t"), tb = *b->table("t");
  REQUIRE(a->write([&](WriteTxn& txn) { return txn.put(ta, "k", "from a"); }).ok());
  auto txn = b->read();
  REQUIRE(txn.ok());
  CHECK((*txn)->get(tb, "k").value_or("") == "from a");
  txn->reset();
  a.reset();
  b.reset();

  std::ofstream(dir.sub("local") + "/POSTGRES", std::ios::trunc) << "\xa5\xa5\xa5";
  r = OpenStorage(first);
  CHECK(r.status().IsCorruption());
  CHECK(r.status().message().find(dir.sub("local")) != std::string::npos);
}

TEST_CASE("postgres: a lost connection never writes twice", "[postgres]") {
  REQUIRE_PG();
  TempDir dir;
  TcpFaultProxy proxy(FirstPort(PgTestUrl()));
  StorageOptions o = PgOptions(dir.sub("store"), UrlAtPort(proxy.port()));
  auto db = MustOpen(o);
  Table t = *db->table("t");
  REQUIRE(Receive(*db, t).ok());
  REQUIRE(OnHand(*db, t) == 1);

  SECTION("COMMIT reached the server, its answer was lost: looked up, not run again") {
    proxy.cut_on("; COMMIT", TcpFaultProxy::Cut::kAfterForwarding);
    Status s = Receive(*db, t);
    INFO(s.ToString());
    CHECK(s.ok());
    CHECK(proxy.cuts() == 1);
    CHECK(OnHand(*db, t) == 2);
  }
  SECTION("COMMIT never reached the server: run again, once") {
    proxy.cut_on("; COMMIT", TcpFaultProxy::Cut::kBeforeForwarding);
    Status s = Receive(*db, t);
    INFO(s.ToString());
    CHECK(s.ok());
    CHECK(proxy.cuts() == 1);
    CHECK(OnHand(*db, t) == 2);
  }
  SECTION("the server stays unreachable: the caller waits, others fail fast, then exactly once") {
    proxy.cut_on("; COMMIT", TcpFaultProxy::Cut::kAfterForwarding);
    proxy.set_down(true);
    std::atomic<bool> answered{false};
    Status in_doubt;
    std::thread waiter([&] {
      in_doubt = Receive(*db, t);
      answered = true;
    });
    // The group is in doubt while the proxy refuses connections; meanwhile new writes fail
    // fast instead of hanging.
    std::this_thread::sleep_for(std::chrono::milliseconds(600));
    CHECK_FALSE(answered.load());
    auto start = std::chrono::steady_clock::now();
    Status other = db->write([&](WriteTxn& txn) { return txn.put(t, "other", "x"); });
    CHECK(other.IsUnavailable());
    CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(3));
    proxy.set_down(false);
    waiter.join();
    INFO(in_doubt.ToString());
    CHECK(in_doubt.ok());
    CHECK(OnHand(*db, t) == 2);
    CHECK(db->write([&](WriteTxn& txn) { return txn.put(t, "other", "y"); }).ok());
  }
}

TEST_CASE("postgres: table names of 64 bytes stay apart from their 63-byte prefix",
          "[postgres]") {
  REQUIRE_PG();
  TempDir dir;
  auto db = MustOpen(PgOptions(dir.sub("store")));
  Table long_name = *db->table(std::string(64, 'a'));
  Table prefix = *db->table(std::string(63, 'a'));
  REQUIRE(db->write([&](WriteTxn& txn) { return txn.put(long_name, "k", "long"); }).ok());
  auto txn = db->read();
  REQUIRE(txn.ok());
  CHECK((*txn)->get(prefix, "k").status().IsNotFound());
  CHECK((*txn)->get(long_name, "k").value_or("") == "long");
}
