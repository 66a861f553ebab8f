// Tests for src/verify/ (commerce verify): a sound store verifies clean on every driver, offline
// and through Engine::verify; every kind of damage the checks know is found and named — a
// broken index, a counter, a reservation, a gap in the log, a cursor ahead of it, a bad
// checksum, a string that is not UTF-8, damaged LMDB pages, a truncated file, a damaged log
// record, a damaged search index; bad inputs (no path, no store, a store in use) are errors, not reports.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <rapidjson/document.h>

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <functional>
#include <string>

#include "commerce/engine.h"
#include "commerce/verify.h"
#include "catalog/product_codec.h"
#include "common/codec.h"
#include "common/key.h"
#include "inventory/inventory_codec.h"
#include "order/order_store.h"
#include "search/rules.h"
#include "storage/lmdb/lmdb_pages.h"
#include "storage/lmdb/redo_record.h"
#include "storage/lmdb/wal.h"
#include "test_dir.h"
#include "test_engine.h"
#include "test_search.h"
#include "test_store.h"

namespace verify_verify_test {

using namespace std::string_literals;
using commerce::Code;
using commerce::KeyBuilder;
using commerce::VerifyOptions;
using commerce::VerifyReport;
using commerce::VerifyStore;
using commerce::testing::TempDir;

namespace {

VerifyReport MustVerify(const std::string& path) {
  auto r = VerifyStore({.path = path});
  INFO(r.status().ToString());
  REQUIRE(r.ok());
  return std::move(r).value();
}

// The problems of `check` whose where or what mentions `needle`.
size_t Found(const VerifyReport& r, const std::string& check, const std::string& needle) {
  size_t n = 0;
  for (const auto& p : r.problems)
    if (p.check == check && (p.where.find(needle) != std::string::npos || p.what.find(needle) != std::string::npos))
      ++n;
  return n;
}

// A filled, closed store at `path`.
commerce::testing::FilledStore MakeStore(const std::string& path, const std::string& driver) {
  auto e = commerce::testing::OpenTestEngine(path, driver);
  auto f = commerce::testing::FillStore(*e);
  REQUIRE(e->close().ok());
  return f;
}

// Applies `m` to the closed store at `path` through the storage seam, as damage would.
void Damage(const std::string& path, const std::string& driver,
            const std::function<commerce::Status(commerce::Storage&, commerce::WriteTxn&)>& m) {
  commerce::StorageOptions o;
  o.path = path;
  o.driver = driver;
  auto s = commerce::OpenStorage(o);
  REQUIRE(s.ok());
  commerce::Storage& st = **s;
  // Tables resolved before the mutation (table() must not be called on the writer thread).
  for (const auto& name : commerce::testing::EngineTables()) REQUIRE(st.table(name).ok());
  commerce::Status r = st.write([&](commerce::WriteTxn& txn) { return m(st, txn); });
  INFO(r.ToString());
  REQUIRE(r.ok());
  REQUIRE(st.close().ok());
}

commerce::Table T(commerce::Storage& s, const char* name) { return *s.table(name); }

}  // namespace

TEST_CASE("verify: a sound store has no problems, offline and on an open engine", "[verify]") {
  auto driver = GENERATE(as<std::string>{}, "lmdb", "sqlite");
  CAPTURE(driver);
  TempDir dir;
  {
    auto e = commerce::testing::OpenTestEngine(dir.path(), driver);
    commerce::testing::FillStore(*e);
    auto live = e->verify({.path = dir.path()});
    REQUIRE(live.ok());
    INFO(live->ToText());
    CHECK(live->ok());
    CHECK(live->records.at("orders") == 5);
    REQUIRE(e->close().ok());
  }
  auto r = MustVerify(dir.path());
  INFO(r.ToText());
  CHECK(r.ok());
  CHECK(r.driver == driver);
  CHECK(r.records.at("products") == 6);
  CHECK(r.records.at("events") == r.events);
  CHECK(r.events > 50);
  CHECK(r.unchecksummed_records == 0);
  CHECK(r.ToText().find("OK, no problems") != std::string::npos);
  rapidjson::Document d;
  const std::string json = r.ToJson();
  d.Parse(json.data(), json.size());
  REQUIRE(!d.HasParseError());
  CHECK(d["ok"].GetBool());
  CHECK(d["records"]["products"].GetUint64() == 6);
  // Verifying wrote nothing: the store verifies the same again and opens as before.
  CHECK(MustVerify(dir.path()).ok());
  auto again = commerce::testing::OpenTestEngine(dir.path(), driver);
  CHECK(again->catalog().get("P-0").ok());
}

TEST_CASE("verify: bad inputs are errors, not reports", "[verify]") {
  TempDir dir;
  CHECK(VerifyStore({.path = ""}).status().code() == Code::kInvalidArgument);
  CHECK(VerifyStore({.path = dir.sub("absent")}).status().code() == Code::kNotFound);
  std::ofstream(dir.sub("file")) << "x";
  CHECK(VerifyStore({.path = dir.sub("file")}).status().code() == Code::kInvalidArgument);
  std::filesystem::create_directories(dir.sub("empty"));
  auto empty = VerifyStore({.path = dir.sub("empty")});
  CHECK(empty.status().code() == Code::kNotFound);
  CHECK(empty.status().message().find("not a commerce store") != std::string::npos);
  std::filesystem::create_directories(dir.sub("junk"));
  std::ofstream(dir.sub("junk/notes.txt")) << "hello";
  CHECK(VerifyStore({.path = dir.sub("junk")}).status().code() == Code::kNotFound);
  CHECK(VerifyStore({.path = dir.path(), .driver = "rocksdb"}).status().code() == Code::kInvalidArgument);
  // Nothing was created in the directories it looked at.
  CHECK(std::filesystem::is_empty(dir.sub("empty")));
}

TEST_CASE("verify: a store in use by another process is Unavailable", "[verify]") {
  auto driver = GENERATE(as<std::string>{}, "lmdb", "sqlite");
  CAPTURE(driver);
  TempDir dir;
  MakeStore(dir.path(), driver);
  int ready[2];
  REQUIRE(::pipe(ready) == 0);
  pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    commerce::EngineOptions o;
    o.path = dir.path();
    o.driver = driver;
    o.run_background = false;
    auto e = commerce::Engine::open(o);
    char c = e.ok() ? 'y' : 'n';
    (void)!::write(ready[1], &c, 1);
    ::pause();
    ::_exit(0);
  }
  char c = 0;
  REQUIRE(::read(ready[0], &c, 1) == 1);
  REQUIRE(c == 'y');
  auto r = VerifyStore({.path = dir.path()});
  ::kill(pid, SIGKILL);
  ::waitpid(pid, nullptr, 0);
  ::close(ready[0]);
  ::close(ready[1]);
  INFO(r.status().ToString());
  CHECK(r.status().code() == Code::kUnavailable);
  CHECK(r.status().message().find("in use") != std::string::npos);
  // Once it is gone, the store verifies (after the engine recovers it, for LMDB's log).
  REQUIRE(commerce::testing::OpenTestEngine(dir.path(), driver)->close().ok());
  CHECK(MustVerify(dir.path()).ok());
}

TEST_CASE("verify: every broken invariant is found and named", "[verify]") {
  auto driver = GENERATE(as<std::string>{}, "lmdb", "sqlite");
  CAPTURE(driver);
  struct Case {
    std::string name, check, needle;
    std::function<commerce::Status(commerce::Storage&, commerce::WriteTxn&,
                                   const commerce::testing::FilledStore&)> damage;
  };
  const std::vector<Case> cases = {
      {"sku index entry missing", "skus", "P-0-S",
       [](auto& s, auto& t, auto& f) { return t.del(T(s, "skus"), KeyBuilder().str(f.skus[0]).key()); }},
      {"sku index names another product", "skus", "P-1",
       [](auto& s, auto& t, auto& f) { return t.put(T(s, "skus"), KeyBuilder().str(f.skus[0]).key(), "P-1"); }},
      {"sku projection of an older version", "skus", "not the record products holds",
       [](auto& s, auto& t, auto& f) -> commerce::Status {
         std::string_view v;
         const std::string key = KeyBuilder().str(f.skus[0]).key();
         COMMERCE_RETURN_IF_ERROR(t.get(T(s, "sku_products"), key, &v));
         commerce::Product p;
         COMMERCE_RETURN_IF_ERROR(commerce::DecodeSkuProduct(key, v, &p));
         p.title += " (before)";
         --p.version;
         return t.put(T(s, "sku_products"), key, commerce::EncodeProduct(p));
       }},
      {"sku projection of a SKU nobody has", "skus", "NOPE",
       [](auto& s, auto& t, auto&) -> commerce::Status {
         std::string_view v;
         COMMERCE_RETURN_IF_ERROR(t.get(T(s, "products"), KeyBuilder().str("P-0").key(), &v));
         return t.put(T(s, "sku_products"), KeyBuilder().str("NOPE").key(), std::string(v));
       }},
      {"sku projection damaged", "records", "sku_products",
       [](auto& s, auto& t, auto& f) -> commerce::Status {
         std::string_view v;
         const std::string key = KeyBuilder().str(f.skus[0]).key();
         COMMERCE_RETURN_IF_ERROR(t.get(T(s, "sku_products"), key, &v));
         std::string bad(v);
         bad.back() ^= 0x04;
         return t.put(T(s, "sku_products"), key, bad);
       }},
      {"category listing missing", "categories", "apparel/shirts",
       [](auto& s, auto& t, auto&) { return t.del(T(s, "category_products"), KeyBuilder().str("apparel/shirts").str("P-2").key()); }},
      {"category listing of nothing", "categories", "P-404",
       [](auto& s, auto& t, auto&) { return t.put(T(s, "category_products"), KeyBuilder().str("apparel").str("P-404").key(), ""); }},
      {"product counter", "counters", "products",
       [](auto& s, auto& t, auto&) { return t.put(T(s, "meta"), KeyBuilder().str("counter").str("products").key(), KeyBuilder().u64(99).key()); }},
      {"email index names another", "customers", "customer_emails",
       [](auto& s, auto& t, auto&) { return t.put(T(s, "customer_emails"), KeyBuilder().str("fill@example.com").key(), "cus-nobody"); }},
      {"status index entry of another status", "orders", "status_orders",
       [](auto& s, auto& t, auto& f) {
         // The paid order listed as placed too.
         return t.put(T(s, "status_orders"), KeyBuilder().u64(0).u64(999).key(), f.order_ids[1]);
       }},
      {"idempotency key missing", "orders", "idempotency key",
       [](auto& s, auto& t, auto& f) { return t.del(T(s, "order_keys"), commerce::IdempotencyKey(f.customer_id, "k-0")); }},
      {"reservation not backed by an order", "stock", "live orders",
       [](auto& s, auto& t, auto& f) {
         commerce::StockLevel l{.sku = f.skus[0], .warehouse_id = "wh-east", .on_hand = 50, .reserved = 9};
         return t.put(T(s, "stock"), KeyBuilder().str(f.skus[0]).str("wh-east").key(), commerce::EncodeStockLevel(l));
       }},
      {"a gap in the event log", "events", "gap",
       [](auto& s, auto& t, auto&) { return t.del(T(s, "events"), KeyBuilder().u64(10).key()); }},
      {"a consumer cursor past the log", "events", "past the newest event",
       [](auto& s, auto& t, auto&) { return t.put(T(s, "meta"), KeyBuilder().str("cursor").str("mine").key(), KeyBuilder().u64(1'000'000).key()); }},
      {"a customer's cart not indexed", "carts", "customer_carts",
       [](auto& s, auto& t, auto& f) { return t.del(T(s, "customer_carts"), KeyBuilder().str(f.customer_id).str("cart-cus").key()); }},
      {"a queued delivery of no subscription", "webhooks", "wh-gone",
       [](auto& s, auto& t, auto&) -> commerce::Status {
         auto c = t.cursor(T(s, "webhook_queue"));
         c->seek_to_first();
         if (!c->valid()) return commerce::Status::Internal("no queued delivery to copy");
         const std::string value(c->value());
         commerce::KeyReader kr(c->key());
         kr.str();
         auto subject = kr.str();
         auto seq = kr.u64();
         return t.put(T(s, "webhook_queue"), KeyBuilder().str("wh-gone").str(*subject).u64(*seq).key(), value);
       }},
      {"a flipped byte in a record", "records", "checksum mismatch",
       [](auto& s, auto& t, auto&) -> commerce::Status {
         std::string_view v;
         const std::string key = KeyBuilder().str("wh-west").key();
         COMMERCE_RETURN_IF_ERROR(t.get(T(s, "warehouses"), key, &v));
         std::string bad(v);
         bad.back() ^= 0x04;
         return t.put(T(s, "warehouses"), key, bad);
       }},
      {"a string that is not UTF-8 (an old version's record)", "utf8", "wh-old",
       [](auto& s, auto& t, auto&) {
         // Codec version 1 wrote bare archives: version 1, id, name, region, priority, active.
         auto str = [](const std::string& x) {
           uint64_t n = x.size();
           return std::string(reinterpret_cast<const char*>(&n), 8) + x;
         };
         std::string rec = "\x01\x00\x00\x00"s + str("wh-old") + str("Old \xff") + str("us") +
                           std::string(4, '\0') + "\x01";
         return t.put(T(s, "warehouses"), KeyBuilder().str("wh-old").key(), rec);
       }},
  };
  for (const auto& c : cases) {
    INFO(c.name);
    TempDir dir;
    const auto f = MakeStore(dir.path(), driver);
    Damage(dir.path(), driver, [&](auto& s, auto& t) { return c.damage(s, t, f); });
    auto r = MustVerify(dir.path());
    INFO(r.ToText());
    CHECK(!r.ok());
    CHECK(Found(r, c.check, c.needle) > 0);
  }
}

TEST_CASE("verify: damaged LMDB pages and a truncated file are reported, never an abort",
          "[verify][lmdb]") {
  TempDir dir;
  MakeStore(dir.path(), "lmdb");
  const std::string file = dir.path() + "/data.mdb";
  auto info = commerce::lmdb_pages::CheckLmdbFile(file);
  REQUIRE(info.ok());
  commerce::lmdb_pages::LmdbDb events;
  for (const auto& [name, db] : info->tables)
    if (name == "events") events = db;
  REQUIRE(events.root != commerce::lmdb_pages::kNoPage);
  {
    // Zero the events table's root page: every read of the log meets it.
    std::fstream f(file, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(static_cast<std::streamoff>(events.root * info->meta.psize));
    const std::string zeros(info->meta.psize, '\0');
    f.write(zeros.data(), static_cast<std::streamsize>(zeros.size()));
  }
  auto r = MustVerify(dir.path());
  INFO(r.ToText());
  CHECK(!r.ok());
  CHECK(Found(r, "file", "table 'events'") + Found(r, "pages", "events") > 0);

  std::filesystem::resize_file(file, std::filesystem::file_size(file) / 2);
  auto t = MustVerify(dir.path());
  INFO(t.ToText());
  CHECK(Found(t, "file", "truncated") == 1);
}

TEST_CASE("verify: a damaged search index is reported", "[verify][search]") {
  TempDir dir;
  MakeStore(dir.path(), "lmdb");
  size_t wrecked = 0;
  for (auto it = std::filesystem::recursive_directory_iterator(dir.path() + "/search");
       it != std::filesystem::recursive_directory_iterator(); ++it) {
    if (it->is_regular_file() && it->path().filename() != "CURRENT" &&
        it->path().extension() == ".glass") {
      std::filesystem::resize_file(it->path(), 7);
      ++wrecked;
    }
  }
  REQUIRE(wrecked > 0);
  auto r = MustVerify(dir.path());
  INFO(r.ToText());
  CHECK(r.problem_counts.count("search") == 1);
  CHECK(VerifyStore({.path = dir.path(), .search = false})->ok());
}

namespace {

bool HasNote(const VerifyReport& r, const std::string& needle) {
  for (const auto& n : r.notes)
    if (n.find(needle) != std::string::npos) return true;
  return false;
}

}  // namespace

TEST_CASE("verify: the LMDB log is checked as replay reads it, and nothing is cut",
          "[verify][lmdb][wal]") {
  TempDir dir;
  MakeStore(dir.path(), "lmdb");
  // A clean close leaves one empty segment named by the next LSN. Three groups appended there
  // are what a crash leaves: in the log, not yet in data.mdb (which verify reads as it is).
  std::string segment;
  for (const auto& e : std::filesystem::directory_iterator(dir.path() + "/wal")) segment = e.path().string();
  REQUIRE(std::filesystem::file_size(segment) == 0);
  const uint64_t next = std::stoull(std::filesystem::path(segment).filename().string());
  std::vector<uint64_t> offsets;
  {
    auto wal = commerce::Wal::Open(dir.path() + "/wal");
    REQUIRE(wal.ok());
    REQUIRE((*wal)->Reset(next).ok());
    uint64_t at = 0;
    for (int i = 0; i < 3; ++i) {
      std::string payload;
      commerce::lmdb::AppendRedoPut(&payload, "meta", "verify-test-" + std::to_string(i), "value");
      REQUIRE((*wal)->Append(next + i, payload).ok());
      offsets.push_back(at);
      at += 16 + payload.size();
    }
    REQUIRE((*wal)->Sync().ok());
  }
  const auto size = std::filesystem::file_size(segment);

  SECTION("groups data.mdb does not hold yet are a note, not a problem") {
    auto r = MustVerify(dir.path());
    INFO(r.ToText());
    CHECK(r.ok());
    CHECK(HasNote(r, "the log holds 3 groups (lsn " + std::to_string(next) + ".." + std::to_string(next + 2)));
  }
  SECTION("a torn tail is a note, and is left in place") {
    std::ofstream(segment, std::ios::binary | std::ios::app) << std::string("\x30\0\0\0torn", 8);
    auto r = MustVerify(dir.path());
    INFO(r.ToText());
    CHECK(r.ok());
    CHECK(HasNote(r, "a torn tail, log segment " + segment + " at offset " + std::to_string(size)));
    CHECK(std::filesystem::file_size(segment) == size + 8);
  }
  SECTION("a damaged record with an intact one after it is a problem naming segment and offset") {
    {
      std::fstream f(segment, std::ios::in | std::ios::out | std::ios::binary);
      f.seekp(static_cast<std::streamoff>(offsets[1] + 16 + 3));
      f.put('#');
    }
    auto r = MustVerify(dir.path());
    INFO(r.ToText());
    CHECK(!r.ok());
    CHECK(Found(r, "log", segment + " at offset " + std::to_string(offsets[1])) == 1);
    CHECK(std::filesystem::file_size(segment) == size);
    // Opening refuses the store for the same reason: verify said what replay would meet.
    commerce::StorageOptions o;
    o.path = dir.path();
    auto st = commerce::OpenStorage(o);
    CHECK(st.status().IsCorruption());
  }
}

TEST_CASE("verify: the synonym list, the merchandising rules and their versions are checked",
          "[verify][search]") {
  TempDir dir;
  {
    auto e = commerce::testing::OpenTestEngine(dir.path(), "lmdb");
    REQUIRE(e->search().set_synonym_groups({{.root = "tv", .synonyms = {"television"}}}).ok());
    REQUIRE(e->search().put_rule({.id = "r1", .query = "tv", .hide = {.brands = {"Acme"}}}).ok());
    REQUIRE(e->close().ok());
  }
  auto sound = MustVerify(dir.path());
  INFO(sound.ToText());
  CHECK(sound.ok());
  CHECK_FALSE(HasNote(sound, "does not know"));  // every meta entry written is one verify reads
  Damage(dir.path(), "lmdb", [](commerce::Storage& st, commerce::WriteTxn& txn) {
    COMMERCE_RETURN_IF_ERROR(txn.put(T(st, "meta"), KeyBuilder().str("search.rules").key(), "not a rule set"));
    // The key that signs search ids (search/search_id.h), cut short.
    COMMERCE_RETURN_IF_ERROR(txn.put(T(st, "meta"), KeyBuilder().str("search.id_key").key(), "0123abcd"));
    return txn.put(T(st, "meta"), KeyBuilder().str("search.rules.version").key(), "x1");
  });
  auto r = MustVerify(dir.path());
  INFO(r.ToText());
  CHECK(Found(r, "meta", "search.rules") == 2);
  CHECK(Found(r, "meta", "search id key is not 64 hex digits") == 1);
}

namespace legacy {
// A merchandising rule set as builds before schedules and redirects wrote it (rules.cpp, class
// version 1 of every part): the same fields in the same order, so cereal writes the same bytes.
struct Selector {
  std::vector<std::string> product_ids, brands, categories;
  std::map<std::string, std::string> attributes;
  template <class A> void serialize(A& ar, std::uint32_t) { ar(product_ids, brands, categories, attributes); }
};
struct Pin {
  std::string product_id;
  uint32_t position = 1;
  template <class A> void serialize(A& ar, std::uint32_t) { ar(product_id, position); }
};
struct Rule {
  std::string id, description, query, match;
  std::vector<std::string> categories;
  bool enabled = true;
  std::vector<Pin> pins;
  Selector boost, bury, hide;
  uint64_t version = 0;
  template <class A> void serialize(A& ar, std::uint32_t) {
    ar(id, description, query, match, categories, enabled, pins, boost, bury, hide, version);
  }
};
struct RuleSet {
  uint64_t version = 0;
  std::vector<Rule> rules;
  template <class A> void serialize(A& ar, std::uint32_t) { ar(version, rules); }
};
}  // namespace legacy
}  // namespace verify_verify_test
// cereal's version table is specialised in its own namespace, from the global one.
CEREAL_CLASS_VERSION(verify_verify_test::legacy::Selector, 1);
CEREAL_CLASS_VERSION(verify_verify_test::legacy::Pin, 1);
CEREAL_CLASS_VERSION(verify_verify_test::legacy::Rule, 1);
CEREAL_CLASS_VERSION(verify_verify_test::legacy::RuleSet, 1);
namespace verify_verify_test {

TEST_CASE("verify: a rule record from before schedules and redirects reads as always applying, "
          "and a bad window or redirect is named",
          "[verify][search][rules]") {
  TempDir dir;
  {
    auto e = commerce::testing::OpenTestEngine(dir.path(), "lmdb");
    commerce::Product p;
    p.id = "p1";
    p.title = "desk lamp";
    p.variants.push_back({.sku = "SKU-p1", .price = commerce::Money{1000, "USD"}});
    REQUIRE(e->catalog().upsert(p).ok());
    p.id = "p2";
    p.variants[0].sku = "SKU-p2";
    REQUIRE(e->catalog().upsert(p).ok());
    commerce::testing::WaitIndexed(*e);
    REQUIRE(e->close().ok());
  }
  legacy::RuleSet old{.version = 1};
  old.rules.push_back({.id = "old", .query = "lamp", .match = "exact", .version = 1});
  old.rules[0].hide.product_ids = {"p2"};
  Damage(dir.path(), "lmdb", [&](commerce::Storage& st, commerce::WriteTxn& txn) {
    COMMERCE_RETURN_IF_ERROR(
        txn.put(T(st, "meta"), KeyBuilder().str("search.rules").key(), commerce::Encode(old)));
    return txn.put(T(st, "meta"), KeyBuilder().str("search.rules.version").key(), "1");
  });
  auto sound = MustVerify(dir.path());
  INFO(sound.ToText());
  CHECK(sound.ok());
  {
    auto e = commerce::testing::OpenTestEngine(dir.path(), "lmdb");
    auto set = e->search().rules();
    REQUIRE(set.ok());
    REQUIRE(set->rules.size() == 1);
    CHECK(set->rules[0].starts_at_ms == 0);
    CHECK(set->rules[0].ends_at_ms == 0);
    CHECK(set->rules[0].redirect.empty());
    auto r = commerce::testing::Find(*e, {.text = "lamp", .now_ms = 1});
    CHECK(r.rules_applied == std::vector<std::string>{"old"});
    CHECK(commerce::testing::Ids(r) == std::vector<std::string>{"p1"});
    CHECK(r.redirect.empty());
    REQUIRE(e->close().ok());
  }
  // Records put_rule would refuse, written past it: verify names the rule and the field.
  commerce::RuleSet bad{.version = 2};
  bad.rules.push_back({.id = "window", .query = "lamp", .hide = {.product_ids = {"p2"}},
                       .starts_at_ms = 5000, .ends_at_ms = 4000});
  bad.rules.push_back({.id = "url", .query = "lamp", .redirect = "javascript:alert(1)"});
  Damage(dir.path(), "lmdb", [&](commerce::Storage& st, commerce::WriteTxn& txn) {
    return txn.put(T(st, "meta"), KeyBuilder().str("search.rules").key(), commerce::search::EncodeRuleSet(bad));
  });
  auto r = MustVerify(dir.path());
  INFO(r.ToText());
  CHECK(Found(r, "meta", "rule 'window': ends_at_ms") == 1);
  CHECK(Found(r, "meta", "rule 'url': redirect") == 1);
}

}  // namespace verify_verify_test
