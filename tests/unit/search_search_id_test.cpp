// Tests of search ids (src/search/search_id.cpp) and of what they are for (issue 18): a use
// of a result recorded by another engine process sharing the store than the one that made the
// search, or by the same store's engine after a restart, counts once with the search's query;
// an id altered in any character, made up, or made under another store's key is refused and
// counts nothing; a product the search did not show is refused.
//
// The codec directly, then engines on every driver (TestStorageDrivers), then two processes
// (forks) on PostgreSQL, the fleet's store (needs COMMERCE_PG_URL; skipped otherwise).
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <functional>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "commerce/engine.h"
#include "pg_fixture.h"
#include "pg_test_cluster.h"
#include "search/search_id.h"
#include "test_dir.h"
#include "test_engine.h"
#include "test_search.h"

namespace search_search_id_test {

namespace {

using namespace commerce;
using commerce::search::SearchIdCodec;
using commerce::testing::PutTitled;
using commerce::testing::TempDir;
using commerce::testing::WaitIndexed;

using commerce::testing::kHourMs;

using commerce::testing::NowMs;

std::vector<SearchHit> Hits(std::initializer_list<const char*> ids) {
  std::vector<SearchHit> hits;
  for (const char* id : ids) hits.push_back({.product_id = id});
  return hits;
}

const QueryStats* Stats(const SearchAnalytics& a, const std::string& q) {
  for (const auto& s : a.top_queries)
    if (s.query == q) return &s;
  return nullptr;
}

EngineOptions Options(const std::string& path, const std::string& driver, const std::string& schema) {
  EngineOptions o;
  o.path = path;
  o.run_background = false;
  commerce::testing::UseTestDriver(o, driver, "sid");
  if (!schema.empty()) o.storage.postgres_schema = schema;
  return o;
}

std::unique_ptr<Engine> Open(const EngineOptions& o, bool seed) {
  auto opened = Engine::open(o);
  INFO(opened.status().ToString());
  REQUIRE(opened.ok());
  auto e = std::move(opened).value();
  if (seed) {
    PutTitled(*e, "p1", "Sony Wireless Headphones");
    PutTitled(*e, "p2", "Bose Headphones");
    PutTitled(*e, "p3", "USB Cable");
  }
  WaitIndexed(*e);
  return e;
}

SearchResult Query(Engine& e, const std::string& text) {
  auto r = e.search().query({.text = text});
  INFO(r.status().ToString());
  REQUIRE(r.ok());
  REQUIRE_FALSE(r->search_id.empty());
  return *r;
}

}  // namespace

TEST_CASE("search ids: what an id carries comes back under its key alone", "[search][search_id]") {
  const SearchIdCodec codec = SearchIdCodec::Random();
  const int64_t hour = NowMs() / kHourMs;
  const std::string id = codec.Encode(hour, 0x0123456789abcdefULL, "usb cable", Hits({"p1", "p2"}));
  CHECK(id[0] == 's');
  auto f = codec.Decode(id);
  REQUIRE(f.ok());
  CHECK(f->hour == hour);
  CHECK(f->nonce == 0x0123456789abcdefULL);
  CHECK(f->query == "usb cable");
  REQUIRE(f->shown.size() == 2);
  CHECK(f->shown[0] == codec.Fingerprint(f->nonce, "p1"));
  CHECK(f->shown[1] == codec.Fingerprint(f->nonce, "p2"));
  // The nonce salts the fingerprints: the same product differs from one id to the next.
  CHECK(codec.Fingerprint(1, "p1") != codec.Fingerprint(2, "p1"));

  // Another store's key: the id has the right shape but was not made here.
  CHECK(SearchIdCodec::Random().Decode(id).status().IsNotFound());
  // Every single character altered: refused (NotFound when the shape still holds,
  // InvalidArgument when it does not), never taken.
  const std::string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  for (size_t i = 0; i < id.size(); ++i) {
    for (char c : {alphabet[(alphabet.find(id[i]) + 1) % 64], alphabet[(alphabet.find(id[i]) + 17) % 64]}) {
      std::string altered = id;
      altered[i] = i == 0 ? 't' : c;
      auto d = codec.Decode(altered);
      INFO("character " << i << ": " << altered);
      CHECK_FALSE(d.ok());
      CHECK((d.status().IsNotFound() || d.status().IsInvalidArgument()));
    }
  }
  // Cut short, lengthened, not base64url: not an id's shape.
  CHECK(codec.Decode(id.substr(0, 10)).status().IsInvalidArgument());
  CHECK_FALSE(codec.Decode(id + "A").ok());
  CHECK_FALSE(codec.Decode(id + "AA").ok());
  CHECK_FALSE(codec.Decode(id.substr(0, id.size() - 1)).ok());
  CHECK(codec.Decode("s" + std::string(40, '*')).status().IsInvalidArgument());
  CHECK(codec.Decode("s").status().IsInvalidArgument());
  CHECK(codec.Decode(std::string(SearchIdCodec::kMaxIdChars + 1, 's')).status().IsInvalidArgument());
}

TEST_CASE("search ids: a long query is carried cut where the store cuts it on a character's start",
          "[search][search_id]") {
  const SearchIdCodec codec = SearchIdCodec::Random();
  // 'é' is two bytes: 300 of them put a character across byte 471.
  std::string query;
  for (int i = 0; i < 300; ++i) query += "\xc3\xa9";
  const std::string id = codec.Encode(1, 7, query, Hits({"p1"}));
  auto f = codec.Decode(id);
  REQUIRE(f.ok());
  CHECK(f->query.size() == 470);
  CHECK(f->query == query.substr(0, 470));
  CHECK(id.size() <= SearchIdCodec::kMaxIdChars);
  // The largest id: a full page (100 hits) and the longest query.
  std::vector<SearchHit> many(100, SearchHit{.product_id = std::string(64, 'x')});
  CHECK(codec.Encode(1, 7, std::string(500, 'q'), many).size() <= SearchIdCodec::kMaxIdChars);
  CHECK(codec.Decode(codec.Encode(1, 7, std::string(500, 'q'), many)).ok());
}

TEST_CASE("search ids: a use recorded after a restart counts with its search", "[search][search_id][analytics]") {
  // Before signed ids, a search id lived in its process's memory: after a restart (or on
  // another process) its use was NotFound and the click was lost.
  for (const std::string& driver : commerce::testing::TestStorageDrivers()) {
    DYNAMIC_SECTION(driver) {
      TempDir dir;
      const auto o = Options(dir.path(), driver, "");
      auto e = Open(o, true);
      const SearchResult r = Query(*e, "headphones");
      REQUIRE(r.hits.size() == 2);
      REQUIRE(e->close().ok());
      e.reset();

      e = Open(o, false);
      auto& s = e->search();
      REQUIRE(s.record_use({.search_id = r.search_id, .product_id = r.hits[1].product_id, .kind = "click"}).ok());
      REQUIRE(s.record_use({.search_id = r.search_id, .product_id = r.hits[0].product_id, .kind = "order"}).ok());
      // Still refused: a product the search did not show, an altered id.
      CHECK(s.record_use({.search_id = r.search_id, .product_id = "p3", .kind = "click"}).IsInvalidArgument());
      std::string altered = r.search_id;
      altered[altered.size() / 2] = altered[altered.size() / 2] == 'A' ? 'B' : 'A';
      CHECK(s.record_use({.search_id = altered, .product_id = "p1", .kind = "click"}).IsNotFound());
      REQUIRE(e->run_background_once().ok());
      auto a = s.analytics();
      REQUIRE(a.ok());
      const QueryStats* h = Stats(*a, "headphones");
      REQUIRE(h);
      CHECK(h->searches == 1);
      CHECK(h->used == 1);
      CHECK(h->clicks == 1);
      CHECK(h->orders == 1);
      CHECK(h->add_to_carts == 0);
      CHECK(a->searches == 1);
    }
  }
}

TEST_CASE("search ids: another store's id is refused", "[search][search_id][analytics]") {
  TempDir dir;
  auto a = Open(Options(dir.sub("a"), "lmdb", ""), true);
  auto b = Open(Options(dir.sub("b"), "lmdb", ""), true);
  const SearchResult r = Query(*a, "headphones");
  auto s = b->search().record_use({.search_id = r.search_id, .product_id = r.hits[0].product_id, .kind = "click"});
  CHECK(s.IsNotFound());
  CHECK(s.ToString().find("not issued by an engine of this store") != std::string::npos);
  auto report = b->search().analytics();
  REQUIRE(report.ok());
  CHECK(report->searches == 0);
  CHECK(report->top_queries.empty());
}

TEST_CASE("search ids: two engines at once on one PostgreSQL store", "[search][search_id][analytics][postgres]") {
  COMMERCE_REQUIRE_PG_OR_SKIP();
  TempDir dir;
  const std::string schema = commerce::testing::UniquePgSchema("sid2");
  auto a = Open(Options(dir.sub("a"), "postgres", schema), true);
  auto b = Open(Options(dir.sub("b"), "postgres", schema), false);
  const SearchResult r = Query(*a, "headphones");
  // B never saw the search: the id alone says what it was.
  REQUIRE(b->search().record_use({.search_id = r.search_id, .product_id = r.hits[0].product_id, .kind = "click"}).ok());
  REQUIRE(b->search().record_use({.search_id = r.search_id, .product_id = r.hits[1].product_id, .kind = "add_to_cart"}).ok());
  CHECK(b->search().record_use({.search_id = r.search_id, .product_id = "p3", .kind = "click"}).IsInvalidArgument());
  REQUIRE(a->run_background_once().ok());
  REQUIRE(b->run_background_once().ok());
  for (Engine* e : {a.get(), b.get()}) {
    auto rep = e->search().analytics();
    REQUIRE(rep.ok());
    const QueryStats* h = Stats(*rep, "headphones");
    REQUIRE(h);
    CHECK(h->searches == 1);
    CHECK(h->used == 1);
    CHECK(h->clicks == 1);
    CHECK(h->add_to_carts == 1);
  }
}

TEST_CASE("search ids: a search in one process and its uses in another", "[search][search_id][analytics][postgres]") {
  COMMERCE_REQUIRE_PG_OR_SKIP();
  TempDir dir;
  const std::string schema = commerce::testing::UniquePgSchema("sidp");
  {
    auto seed = Open(Options(dir.sub("seed"), "postgres", schema), true);
    REQUIRE(seed->close().ok());
  }
  // Each child opens its own engine (its own local directory and index), reports on its pipe
  // and exits; no engine is open in the parent while it forks.
  auto run = [&](const std::string& name, const std::function<void(Engine&, FILE*)>& body) {
    auto children = commerce::testing::ForkChildren(1, [&](int, FILE* out) {
      auto e = Engine::open(Options(dir.sub(name), "postgres", schema));
      if (!e.ok()) {
        std::fprintf(out, "error %s\n", e.status().ToString().c_str());
        return 1;
      }
      auto seq = (*e)->events().last_seq();
      if (!seq.ok() || !(*e)->search().wait_for(*seq, std::chrono::seconds(30)).ok()) {
        std::fprintf(out, "error not indexed\n");
        return 1;
      }
      body(**e, out);
      return (*e)->close().ok() ? 0 : 1;
    });
    INFO(name);
    return commerce::testing::ChildLines(children[0]);
  };
  // Process A searches, prints the id and the hits, and exits.
  auto searched = run("a", [](Engine& e, FILE* out) {
    auto r = e.search().query({.text = "headphones"});
    if (!r.ok() || r->hits.size() != 2) {
      std::fprintf(out, "error search\n");
      return;
    }
    std::fprintf(out, "%s\n%s\n%s\n", r->search_id.c_str(), r->hits[0].product_id.c_str(),
                 r->hits[1].product_id.c_str());
  });
  REQUIRE(searched.size() == 3);
  const std::string id = searched[0];
  // Process B, started after A ended, records three uses of two products of A's search and
  // one of a product it did not show.
  auto used = run("b", [&](Engine& e, FILE* out) {
    for (const auto& [product, kind] : std::vector<std::pair<std::string, std::string>>{
             {searched[1], "click"}, {searched[2], "click"}, {searched[2], "order"}, {"p3", "click"}})
      std::fprintf(out, "%s\n", e.search().record_use({.search_id = id, .product_id = product, .kind = kind})
                                    .ToString()
                                    .c_str());
  });
  REQUIRE(used.size() == 4);
  CHECK(used[0] == "OK");
  CHECK(used[1] == "OK");
  CHECK(used[2] == "OK");
  INFO(used[3]);
  CHECK(used[3].find("was not among the 2 hits") != std::string::npos);
  // A third engine reads the counts both processes added to the store: the search once, used
  // once, every use accepted counted.
  auto c = Open(Options(dir.sub("c"), "postgres", schema), false);
  auto rep = c->search().analytics();
  REQUIRE(rep.ok());
  const QueryStats* h = Stats(*rep, "headphones");
  REQUIRE(h);
  CHECK(h->searches == 1);
  CHECK(h->used == 1);
  CHECK(h->clicks == 2);
  CHECK(h->orders == 1);
  CHECK(rep->searches == 1);
}

}  // namespace search_search_id_test
