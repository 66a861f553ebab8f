// The PostgreSQL driver beyond the conformance suite: its bad inputs (connection strings,
// schemas, unreachable servers, a directory bound to another store), passwords kept out of
// messages, and "a lost connection never writes twice" (a proxy cuts the connection right
// after forwarding COMMIT, or right before, and the write must be applied exactly once).
//
// Needs COMMERCE_PG_URL (ctest's postgres fixture; pg_test_cluster.h); skipped otherwise.
#include <arpa/inet.h>
#include <libpq-fe.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include <atomic>
#include <cctype>
#include <chrono>
#include <cstdio>
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

namespace storage_postgres_test {

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

// Holds the writer for 300 ms with a slow mutation, so that what is queued behind it forms one
// group; counts itself down in *pending when it is done.
void HoldWriter(Storage& db, Table t, std::atomic<int>* pending) {
  db.write_async(
      [t](WriteTxn& txn) {
        std::this_thread::sleep_for(std::chrono::milliseconds(300));
        return txn.put(t, "blocker", "x");
      },
      {}, [pending](Status s) {
        CHECK(s.ok());
        --*pending;
      });
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

// docs/scaling.md: COMMERCE_PG_URL in libpq's multi-host URL form, as a fleet gives it (a
// primary and its standby): libpq tries the hosts in order and the driver writes to the first
// that accepts writes; the URL comes from the environment when the options name none.
TEST_CASE("postgres: COMMERCE_PG_URL in the multi-host form: the first host refuses, the "
          "driver writes to the next",
          "[postgres]") {
  REQUIRE_PG();
  TempDir dir;
  const std::string url = PgTestUrl();
  // A port nothing listens on (bound, then closed): a primary that is down refuses
  // connections, and libpq goes on to the next host.
  int dead_port = 0;
  {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    REQUIRE(fd >= 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0);
    dead_port = ntohs(a.sin_port);
    ::close(fd);
  }
  // Percent-encoded, as a URL's user and password must be.
  auto encoded = [](const std::string& in) {
    std::string out;
    for (unsigned char c : in) {
      if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
        out += static_cast<char>(c);
      } else {
        char hex[4];
        std::snprintf(hex, sizeof hex, "%%%02X", c);
        out += hex;
      }
    }
    return out;
  };
  const std::string multi = "postgresql://" + encoded(ConnValue(url, "user")) + ":" +
                            encoded(ConnValue(url, "password")) + "@127.0.0.1:" +
                            std::to_string(dead_port) + ",127.0.0.1:" +
                            std::to_string(FirstPort(url)) + "/" + ConnValue(url, "dbname") +
                            "?target_session_attrs=read-write";
  StorageOptions o = PgOptions(dir.sub("s"));
  o.postgres_url.clear();
  const char* env = std::getenv("COMMERCE_PG_URL");
  const std::string saved = env ? env : "";
  ::setenv("COMMERCE_PG_URL", multi.c_str(), 1);
  auto opened = OpenStorage(o);
  if (saved.empty()) ::unsetenv("COMMERCE_PG_URL");
  else ::setenv("COMMERCE_PG_URL", saved.c_str(), 1);
  INFO(opened.status().ToString());
  REQUIRE(opened.ok());
  std::unique_ptr<Storage> db = std::move(opened).value();
  auto t = db->table("stock");
  REQUIRE(t.ok());
  REQUIRE(Receive(*db, *t).ok());
  REQUIRE(Receive(*db, *t).ok());
  CHECK(OnHand(*db, *t) == 2);
  REQUIRE(db->close().ok());
}

TEST_CASE("postgres: a directory belongs to one store, a damaged binding is Corruption",
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

  // A group of change sets sends its COMMIT in the same round trip as its writes (pg_apply.h,
  // RunFrame): a connection lost there leaves the group in doubt, looked up like a mutation's
  // group, never run twice. Its COMMIT is the statement prepared as "__commit" (pg_storage.cpp).
  commerce::CounterChange receive;  // a receipt as a change set: +1 on hand
  receive.size = 2;
  receive.delta = {1, 0, 0, 0};
  auto receive_set = [&] { return db->apply(commerce::ChangeSet().add(t, "sku", receive)).status; };
  auto sku_on_hand = [&]() -> int64_t {
    auto txn = db->read();
    REQUIRE(txn.ok());
    auto v = (*txn)->get(t, "sku");
    REQUIRE(v.ok());
    auto counters = commerce::DecodeCounters(*v);
    REQUIRE(counters.ok());
    return counters->v[0];
  };
  auto cut_then_receive_set = [&](TcpFaultProxy::Cut how) {
    REQUIRE(receive_set().ok());
    REQUIRE(sku_on_hand() == 1);
    proxy.cut_on("__commit", how);
    Status s = receive_set();
    INFO(s.ToString());
    CHECK(s.ok());
    CHECK(proxy.cuts() == 1);
    CHECK(sku_on_hand() == 2);
  };
  SECTION("a change set's COMMIT reached the server, its answer was lost: looked up, not run again") {
    cut_then_receive_set(TcpFaultProxy::Cut::kAfterForwarding);
  }
  SECTION("a change set's COMMIT never reached the server: run again, once") {
    cut_then_receive_set(TcpFaultProxy::Cut::kBeforeForwarding);
  }
  SECTION("a group in doubt found committed answers each set as applied: a set whose check "
          "failed is not told it was applied") {
    REQUIRE(receive_set().ok());
    std::string seen;
    {
      auto txn = db->read();
      REQUIRE(txn.ok());
      seen = *(*txn)->get(t, "sku");
    }
    // Two sets expecting the record as read, held behind a slow mutation so that they form
    // one group: the first applies, the second's check fails on the first's change.
    std::atomic<int> pending{3};
    HoldWriter(*db, t, &pending);
    proxy.cut_on("__commit", TcpFaultProxy::Cut::kAfterForwarding);
    commerce::ApplyResult results[2];
    for (int i = 0; i < 2; ++i)
      db->apply_async(commerce::ChangeSet().expect(t, "sku", seen).add(t, "sku", receive), {},
                      [&, i](commerce::ApplyResult r) {
                        results[i] = std::move(r);
                        --pending;
                      });
    for (int waited = 0; pending > 0 && waited < 1000; ++waited)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    REQUIRE(pending == 0);
    CHECK(proxy.cuts() == 1);
    INFO(results[0].status.ToString() << " / " << results[1].status.ToString());
    CHECK(results[0].status.ok());
    CHECK_FALSE(results[1].status.ok());  // an OK here would tell the caller it applied
    CHECK(results[1].failure == commerce::CheckFailure::kChanged);
    CHECK(sku_on_hand() == 2);  // the one set that was told it applied, and no other
  }

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

// The native apply of checked changes (pg_apply.h) with two writers on one store -- two
// Storages with their own connections and writer threads, as two engine processes have --
// each with eight threads reserving from one counters record, inserting idempotency keys both
// writers also insert, and appending to the log: never oversold, each key inserted once, the
// log gapless with one entry per reservation. The store's write lock is what keeps the checks
// made on each writer true at commit.
TEST_CASE("postgres: checked changes from two writers on one store: no oversell, one insert "
          "per key, a gapless log",
          "[postgres]") {
  REQUIRE_PG();
  TempDir dir;
  const std::string schema = UniquePgSchema("apply2");
  StorageOptions o = PgOptions(dir.sub("a"));
  o.postgres_schema = schema;
  auto a = MustOpen(o);
  o.path = dir.sub("b");
  auto b = MustOpen(o);
  Storage* writers[2] = {a.get(), b.get()};
  auto table = [&](const char* name) {
    auto t = a->table(name);
    REQUIRE(t.ok());
    REQUIRE(b->table(name).ok());  // the same id on both
    return *t;
  };
  const Table stock = table("stock"), keys = table("keys"), log = table("log");
  commerce::CounterChange receive;
  receive.size = 2;
  receive.delta = {60, 0, 0, 0};
  REQUIRE(a->apply(commerce::ChangeSet().add(stock, "sku", receive)).status.ok());

  commerce::CounterChange reserve;  // [on_hand, reserved]: reserved + 1 while on_hand - reserved >= 0
  reserve.size = 2;
  reserve.delta = {0, 1, 0, 0};
  reserve.bound_count = 1;
  reserve.bounds[0] = {.a = 0, .minus = 1, .min = 0};
  constexpr int kThreads = 8, kEach = 12, kKeys = 10;
  std::atomic<int> reserved{0}, refused{0}, inserted{0}, present{0}, other{0};
  std::vector<std::thread> threads;
  for (int w = 0; w < 2; ++w)
    for (int t = 0; t < kThreads; ++t)
      threads.emplace_back([&, w, t] {
        Storage& db = *writers[w];
        for (int n = 0; n < kEach; ++n) {
          commerce::ChangeSet set;
          set.add(stock, "sku", reserve).append(log, "r", 0);
          commerce::ApplyResult r = db.apply(std::move(set));
          if (r.status.ok()) ++reserved;
          else if (r.failure == commerce::CheckFailure::kBounds) ++refused;
          else ++other;
          commerce::ChangeSet key;
          key.insert(keys, "key-" + std::to_string((t + n) % kKeys), "w" + std::to_string(w));
          r = db.apply(std::move(key));
          if (r.status.ok()) ++inserted;
          else if (r.failure == commerce::CheckFailure::kPresent) ++present;
          else ++other;
        }
      });
  for (auto& th : threads) th.join();
  CHECK(other == 0);
  CHECK(reserved == 60);
  CHECK(refused == 2 * kThreads * kEach - 60);
  CHECK(inserted == kKeys);
  CHECK(present == 2 * kThreads * kEach - kKeys);
  auto txn = a->read();
  REQUIRE(txn.ok());
  auto counters = commerce::DecodeCounters(*(*txn)->get(stock, "sku"));
  REQUIRE(counters.ok());
  CHECK(counters->v[0] == 60);
  CHECK(counters->v[1] == 60);
  auto entries = (*txn)->scan(log, "", "", 0);
  REQUIRE(entries.ok());
  REQUIRE(entries->size() == 60);
  for (size_t i = 0; i < entries->size(); ++i) {
    uint64_t seq = 0;
    for (char c : (*entries)[i].key) seq = (seq << 8) | static_cast<unsigned char>(c);
    CHECK(seq == i + 1);
    // Each entry carries the reserved count right after its own reservation: 1..60 in order.
    const std::string& v = (*entries)[i].value;
    REQUIRE(v.size() == 1 + 16);
    uint64_t after = 0;
    for (size_t k = 9; k < 17; ++k) after = (after << 8) | static_cast<unsigned char>(v[k]);
    CHECK(after == i + 1);
  }
  txn->reset();
  REQUIRE(a->close().ok());
  REQUIRE(b->close().ok());
}

// The native apply sends each record's last write only, one statement per table and kind
// (pg_apply.cpp): sets of one group that write the same record in turn must leave what
// running them one by one leaves. A record deleted and inserted again in the group is still
// in the table when the group's writes are sent, so its insert must not be a strict one.
TEST_CASE("postgres: change sets of one group writing the same records in turn leave the "
          "last write of each",
          "[postgres]") {
  REQUIRE_PG();
  TempDir dir;
  auto db = MustOpen(PgOptions(dir.sub("store")));
  Table t = *db->table("t");
  REQUIRE(db->apply(commerce::ChangeSet().put(t, "k1", "old")).status.ok());

  // A slow mutation holds the writer while the sets queue behind it: they form one group.
  std::atomic<int> pending{6};
  HoldWriter(*db, t, &pending);
  std::vector<commerce::ChangeSet> sets(5);
  sets[0].put(t, "k1", "a").put(t, "k2", "x");
  sets[1].del(t, "k1").del(t, "k2");
  sets[2].insert(t, "k1", "b").put(t, "k3", "c");  // k1 is absent after sets[1]
  sets[3].insert(t, "k4", "d");
  sets[4].insert(t, "k4", "e");  // present after sets[3]: this set fails alone
  std::vector<commerce::ApplyResult> results(sets.size());
  for (size_t i = 0; i < sets.size(); ++i)
    db->apply_async(std::move(sets[i]), {}, [&, i](commerce::ApplyResult r) {
      results[i] = std::move(r);
      --pending;
    });
  for (int waited = 0; pending > 0 && waited < 1000; ++waited)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  REQUIRE(pending == 0);
  for (size_t i = 0; i < 4; ++i) {
    INFO("set " << i << ": " << results[i].status.ToString());
    CHECK(results[i].status.ok());
  }
  CHECK(results[4].failure == commerce::CheckFailure::kPresent);
  CHECK(db->stats().max_group_size >= 5);  // they did run as one group

  auto txn = db->read();
  REQUIRE(txn.ok());
  auto value = [&](const char* key) {
    auto v = (*txn)->get(t, key);
    return v.ok() ? *v : "(" + v.status().ToString() + ")";
  };
  CHECK(value("k1") == "b");
  CHECK((*txn)->get(t, "k2").status().IsNotFound());
  CHECK(value("k3") == "c");
  CHECK(value("k4") == "d");
  txn->reset();
  REQUIRE(db->close().ok());
}

}  // namespace storage_postgres_test
