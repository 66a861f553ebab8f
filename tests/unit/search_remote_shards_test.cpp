// The query side over Xapian's remote backend: the engine's shards served by
// commerce-shard-server (one server per shard, as issue 14's fleet runs them), read by one
// Database over the remote shards, with the word list loaded from the shards' metadata over
// the wire. Every query feature that runs through RunQuery — corrections, the word being
// typed, the minimum share of words of the relaxed query (a FixedWeightPostingSource),
// synonyms, exclusions, value sorts and pages, facets (our MatchSpy, registered on the
// shard server) — must answer as the local index does. Debian's xapian-tcpsrv serves the
// same shards without facets.
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <mutex>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>
#include <xapian.h>

#include "commerce/channels.h"
#include "commerce/engine.h"
#include "commerce/resilience.h"
#include "search/category_names.h"
#include "search/index_schema.h"
#include "search/query_runner.h"
#include "search/reader_pool.h"
#include "search/remote_shards.h"
#include "search/search_request.h"
#include "search/synonyms.h"
#include "search/word_list.h"
#include "test_dir.h"
#include "test_search.h"
#include "test_service.h"

namespace search_remote_shards_test {

// The build passes the path of the one it built (tests/CMakeLists.txt).
#ifndef COMMERCE_SHARD_SERVER
#define COMMERCE_SHARD_SERVER "commerce-shard-server"
#endif

namespace {

using commerce::Engine;
using commerce::Money;
using commerce::Product;
using commerce::SearchRequest;
using commerce::Result;
using commerce::SearchResult;
using commerce::Status;
using commerce::Variant;
using commerce::testing::OpenSearchEngine;
using commerce::testing::FreePort;
using commerce::testing::TempDir;

// A shard server on 127.0.0.1 in its own process group (it forks a child per connection):
// commerce-shard-server (facets registered), or Debian's xapian-tcpsrv. The group is
// SIGKILLed when the object goes, whatever the test did, and by Kill() (TestService).
class ShardServer {
 public:
  enum class Program { kOurs, kXapianTcpsrv };

  explicit ShardServer(const std::string& path, Program program = Program::kOurs)
      : service_(program == Program::kOurs ? "commerce-shard-server" : "xapian-tcpsrv",
                 [path, program](int port) -> std::vector<std::string> {
                   if (program == Program::kOurs)
                     return {COMMERCE_SHARD_SERVER, "--host", "127.0.0.1", "--port",
                             std::to_string(port), path};
                   return {"xapian-tcpsrv", "--interface", "127.0.0.1", "--port",
                           std::to_string(port), path};
                 }) {}

  int port() const { return service_.port(); }
  // The server's processes: its listener and one child per open connection.
  int Processes() const {
    int n = 0;
    for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
      std::ifstream in(entry.path() / "stat");
      std::string stat;
      if (!std::getline(in, stat) || stat.rfind(')') == std::string::npos) continue;
      std::istringstream rest(stat.substr(stat.rfind(')') + 1));
      std::string state;
      long ppid = 0, pgrp = 0;
      rest >> state >> ppid >> pgrp;
      if (pgrp == service_.pid() && state != "Z") ++n;
    }
    return n;
  }
  void Kill() { service_.Kill(); }
  // SIGSTOP / SIGCONT: the server stops answering, its kernel still holds the connections.
  void Pause() { service_.Pause(); }
  void Resume() { service_.Resume(); }
  // Starts again on the same port.
  void Restart() { service_.Restart(); }

  // The shard, once the server answers (up to 10 s).
  Xapian::Database Open() {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    for (;;) {
      try {
        return Xapian::Remote::open("127.0.0.1", static_cast<unsigned>(port()), 10000, 10000);
      } catch (const Xapian::NetworkError& e) {
        INFO("shard server: " << e.get_description());
        REQUIRE(std::chrono::steady_clock::now() < deadline);
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
      }
    }
  }

 private:
  commerce::testing::TestService service_;
};

Product Make(const std::string& id, const std::string& title, int64_t price, const std::string& description = "",
             const std::string& brand = "Acme", std::vector<std::string> categories = {}) {
  Product p;
  p.id = id;
  p.title = title;
  p.brand = brand;
  p.categories = std::move(categories);
  p.description = description;
  Variant v;
  v.sku = "SKU-" + id;
  v.price = Money{price, "USD"};
  p.variants.push_back(v);
  return p;
}

std::vector<std::string> Ids(const SearchResult& r) {
  std::vector<std::string> ids;
  for (const auto& h : r.hits) ids.push_back(h.product_id);
  return ids;
}

// "brand exact: Acme=9 Apple=2 | ..." : every facet's values, labels and counts.
std::string Facets(const SearchResult& r) {
  std::string out;
  for (const auto& f : r.facets) {
    out += f.field + (f.exact ? " exact:" : " estimated:");
    for (const auto& v : f.values)
      out += " " + std::to_string(v.level) + ":" + v.parent + ">" + v.value + "(" + v.label + ")=" +
             std::to_string(v.count);
    out += " | ";
  }
  return out;
}

// The newest generation directory of a store's index.
std::string CurrentGeneration(const std::string& store) {
  std::string name;
  for (const auto& entry : std::filesystem::directory_iterator(store + "/search"))
    if (entry.is_directory() && entry.path().filename().string()[0] == 'g')
      name = entry.path().filename().string();
  return store + "/search/" + name;
}

// The index of `e` (whose store is at `dir`) brought up to its last event, and the directory
// of its current generation.
std::string IndexedGeneration(Engine& e, const std::string& dir) {
  auto seq = e.events().last_seq();
  REQUIRE(seq.ok());
  REQUIRE(e.search().wait_for(*seq, std::chrono::seconds(10)).ok());
  return CurrentGeneration(dir);
}

}  // namespace

TEST_CASE("search over remote shards answers as the local index does", "[search][remote]") {
  TempDir dir;
  std::unique_ptr<Engine> e = OpenSearchEngine(dir.path(), 2);
  REQUIRE(e->catalog().upsert_category({.id = "phones", .name = "Phones"}).ok());
  REQUIRE(e->catalog().upsert_category({.id = "phones/cases", .name = "Cases"}).ok());
  REQUIRE(e->catalog().upsert_category({.id = "kitchen", .name = "Kitchen"}).ok());
  std::vector<Product> products;
  for (int i = 0; i < 8; ++i)
    products.push_back(Make("p" + std::to_string(i), "Basic Phone " + std::to_string(i), 1000 + 100 * i));
  products.push_back(Make("i1", "Apple iPhone Case", 2500, "", "Apple", {"phones/cases"}));
  products.push_back(Make("i2", "Apple iPhone Charger", 3500, "", "Apple", {"phones"}));
  products.push_back(Make("w1", "Wireless Headphones", 9999));
  products.push_back(Make("w2", "Wireless Charger", 1999, "Charges a phone on a pad, no cable"));
  products.push_back(Make("m1", "Coffee Mug", 999, "Stoneware, dishwasher safe", "acme", {"kitchen"}));
  products.push_back(Make("s1", "Cast Iron Skillet", 4500, "", "Lodge", {"kitchen"}));
  products.push_back(Make("a1", "Alpha Bravo Kit", 500));
  products.push_back(Make("a2", "Alpha Delta Kit", 600));
  for (const auto& p : products) REQUIRE(e->catalog().upsert(p).ok());
  const std::vector<std::vector<std::string>> groups = {{"mug", "cup"}, {"skillet", "frying pan"}};
  REQUIRE(e->search().set_synonyms(groups).ok());
  const std::string current = IndexedGeneration(*e, dir.path());
  ShardServer shard0(current + "/shard-0"), shard1(current + "/shard-1");

  commerce::search::Reader reader;
  commerce::search::WordList words;
  {
    Xapian::Database all;
    for (ShardServer* s : {&shard0, &shard1}) {
      Xapian::Database one = s->Open();
      REQUIRE(commerce::search::LoadWords(one, &words).ok());
      all.add_database(one);
    }
    commerce::search::OpenReader(reader, all);
  }
  REQUIRE(reader.db.get_doccount() == products.size());
  CHECK(words.Contains("iphone"));
  CHECK(words.Contains("stoneware"));  // description words travel too
  auto synonyms = commerce::search::Synonyms::Make(groups);
  REQUIRE(synonyms.ok());
  commerce::search::CategoryNames names(&e->catalog());

  const std::vector<SearchRequest> requests = {
      {.text = "ihone"},                                      // a correction keeping the first letter
      {.text = "iphone chager "},                             // ... fitting the rest of the query
      {.text = "wireles headph"},                             // ... and the word being typed
      {.text = "stonewear"},                                  // a description word
      {.text = "frying p"},                                   // a fragment never matches alone
      {.text = "frying pan "},                                // a synonym run
      {.text = "cup"},                                        // a synonym
      {.text = "alpha bravo zulu ", .minimum_should_match = 30},  // relaxed, by words matched
      {.text = "alpha bravo zulu "},                          // relaxed below the share: nothing
      {.text = "phone -basic "},                              // an exclusion
      {.text = "phone", .sort = "price_desc", .offset = 2, .limit = 3},
      {.text = "", .sort = "price_asc", .limit = 5},
      {.text = "\"apple iphone\" OR skillet "},
      // Facets: brands (case-folded across shards), categories, price buckets.
      {.text = "", .facets = {"brand", "category", "price"}},
      {.text = "apple", .categories = {"phones"}, .facets = {"category", "brand"}, .facet_size = 1},
      {.text = "ihone", .facets = {"price"}},                 // facets of the corrected query
      {.text = "charger", .price_max = 3000, .facets = {"brand", "price"}},
      // Multi-select facets (a run of their own without their filter), given price buckets
      // (they travel with the spy), the category tree.
      {.text = "", .brands = {"Apple"}, .facets = {"brand", "category_tree"}, .disjunctive_facets = {"brand"}},
      {.text = "phone", .categories = {"phones/cases"}, .price_max = 3000,
       .facets = {"category", "price", "category_tree"}, .disjunctive_facets = {"category", "price"},
       .price_buckets = {1000, 2000, 5000}},
  };
  for (SearchRequest r : requests) {
    r.use_cache = false;
    INFO("text '" << r.text << "' sort '" << r.sort << "'");
    auto local = e->search().query(r);
    REQUIRE(local.ok());
    auto checked = commerce::search::CheckRequest(r);
    REQUIRE(checked.ok());
    bool modified = false;
    auto remote = commerce::search::RunQuery(reader, *checked, *synonyms, commerce::search::Rules(), words, &names, &modified);
    INFO(remote.status().ToString());
    REQUIRE(remote.ok());
    CHECK(Ids(*remote) == Ids(*local));
    // An estimated total is Xapian's guess from what each side read: only exact ones agree.
    CHECK(remote->total_exact == local->total_exact);
    if (local->total_exact) CHECK(remote->total == local->total);
    CHECK(remote->corrected_query == local->corrected_query);
    CHECK(remote->used_correction == local->used_correction);
    CHECK(remote->relaxed == local->relaxed);
    CHECK(Facets(*remote) == Facets(*local));
  }
  // Sanity: the requests above do exercise what they claim.
  auto check = [&](SearchRequest r) {
    r.use_cache = false;
    auto res = e->search().query(r);
    REQUIRE(res.ok());
    return *res;
  };
  CHECK(check({.text = "ihone"}).corrected_query == "iphone");
  CHECK(check({.text = "alpha bravo zulu ", .minimum_should_match = 30}).relaxed);
  CHECK(Ids(check({.text = "cup"})) == std::vector<std::string>{"m1"});
  CHECK(check({.text = "frying p"}).total == 0);
  const SearchResult all = check({.text = "", .facets = {"brand", "category", "price"}});
  CHECK(Facets(all).find("Acme(Acme)=13") != std::string::npos);  // "acme" counted with "Acme"
  CHECK(Facets(all).find("phones(Phones)=2") != std::string::npos);
  const SearchResult multi = check({.text = "", .brands = {"Apple"}, .facets = {"brand", "category_tree"},
                                    .disjunctive_facets = {"brand"}});
  CHECK(multi.total == 2);
  CHECK(Facets(multi).find("Acme(Acme)=13") != std::string::npos);
  CHECK(Facets(multi).find("0:>phones(Phones)=2") != std::string::npos);

  // A channel's visibility is a filter of the index's terms: the shards apply it alike
  // (docs/search.md, "Per caller"). Its categories with their sub-categories, its ids, never
  // its exclusions.
  const commerce::Channel channel{.id = "cases", .name = "Cases", .default_currency = "USD",
                                  .category_ids = {"phones"}, .product_ids = {"m1"},
                                  .excluded_product_ids = {"i2"}};
  REQUIRE(e->channels().create(channel).ok());
  SearchRequest in_channel{.text = "", .facets = {"brand", "category"}, .channel = "cases"};
  in_channel.use_cache = false;
  const SearchResult local = check(in_channel);
  std::vector<std::string> found = Ids(local);
  std::sort(found.begin(), found.end());
  CHECK(found == std::vector<std::string>{"i1", "m1"});
  auto checked = commerce::search::CheckRequest(in_channel);
  REQUIRE(checked.ok());
  checked->channel = std::make_shared<const commerce::Channel>(channel);
  bool modified = false;
  auto remote = commerce::search::RunQuery(reader, *checked, *synonyms, commerce::search::Rules(), words, &names, &modified);
  REQUIRE(remote.ok());
  CHECK(Ids(*remote) == Ids(local));
  CHECK(Facets(*remote) == Facets(local));
}

TEST_CASE("xapian-tcpsrv serves the shards but not the facets", "[search][remote]") {
  TempDir dir;
  std::unique_ptr<Engine> e = OpenSearchEngine(dir.path(), 1);
  REQUIRE(e->catalog().upsert(Make("m1", "Coffee Mug", 999)).ok());
  ShardServer stock(IndexedGeneration(*e, dir.path()) + "/shard-0", ShardServer::Program::kXapianTcpsrv);
  commerce::search::Reader reader;
  commerce::search::WordList words;
  commerce::search::OpenReader(reader, stock.Open());
  commerce::search::CategoryNames names(&e->catalog());
  const commerce::search::Synonyms synonyms;
  auto run = [&](const SearchRequest& r) {
    auto checked = commerce::search::CheckRequest(r);
    REQUIRE(checked.ok());
    bool modified = false;
    return commerce::search::RunQuery(reader, *checked, synonyms, commerce::search::Rules(), words, &names, &modified);
  };
  auto plain = run({.text = "mug"});
  REQUIRE(plain.ok());
  CHECK(Ids(*plain) == std::vector<std::string>{"m1"});
  auto faceted = run({.text = "mug", .facets = {"brand"}});
  REQUIRE_FALSE(faceted.ok());
  INFO(faceted.status().ToString());
  CHECK(faceted.status().IsUnavailable());
  CHECK(faceted.status().ToString().find("FacetSpy") != std::string::npos);
}

namespace {

// An engine of its own that only queries: its search reads `shards` (SearchOptions::
// remote_shards) and indexes nothing.
std::unique_ptr<Engine> QueryEngine(const std::string& path, std::vector<std::vector<std::string>> shards,
                                    std::chrono::milliseconds remote_timeout = std::chrono::milliseconds(2000)) {
  commerce::EngineOptions options;
  options.path = path;
  options.driver = "lmdb";
  options.run_background = false;
  options.search.remote_shards = std::move(shards);
  options.search.remote_timeout = remote_timeout;
  options.search.remote_connect_timeout = std::chrono::milliseconds(500);
  auto opened = Engine::open(options);
  INFO(opened.status().ToString());
  REQUIRE(opened.ok());
  return std::move(opened).value();
}

std::string At(const ShardServer& s) { return "127.0.0.1:" + std::to_string(s.port()); }

// An engine whose index (2 shards) is served by shard servers (serve_remote). With
// `background` its indexer thread runs, and beats; without, the caller's wait_for indexes.
std::unique_ptr<Engine> IndexingEngine(const std::string& path, bool background = false) {
  commerce::EngineOptions options;
  options.path = path;
  options.driver = "lmdb";
  options.run_background = background;
  options.search.shards = 2;
  options.search.serve_remote = true;
  auto opened = Engine::open(options);
  INFO(opened.status().ToString());
  REQUIRE(opened.ok());
  return std::move(opened).value();
}

// The set-up of most tests below: the indexing engine's two shards (its store at `dir`,
// indexed up to its last event) served by shard servers, both listening, and an engine at
// `qdir` that queries them (`q`).
struct RemoteOf {
  RemoteOf(Engine& e, const std::string& dir, const std::string& qdir)
      : gen(IndexedGeneration(e, dir)), s0(gen + "/shard-0"), s1(gen + "/shard-1") {
    s0.Open(), s1.Open();
    q = QueryEngine(qdir, {{At(s0)}, {At(s1)}});
  }

  std::string gen;
  ShardServer s0, s1;
  std::unique_ptr<Engine> q;
};

}  // namespace

TEST_CASE("engine search over remote shards: replicas, error or partial by policy, recovery",
          "[search][remote]") {
  TempDir dir, qdir;
  std::unique_ptr<Engine> e = IndexingEngine(dir.path());
  for (int i = 0; i < 40; ++i)
    REQUIRE(e->catalog().upsert(Make("p" + std::to_string(i), "Phone Case " + std::to_string(i), 1000 + 10 * i,
                                     "", i % 2 ? "Acme" : "Zenith")).ok());
  const std::string gen = IndexedGeneration(*e, dir.path());
  ShardServer s0(gen + "/shard-0"), s0_replica(gen + "/shard-0"), s1(gen + "/shard-1");
  s0.Open(), s0_replica.Open(), s1.Open();  // all three listen

  auto q = QueryEngine(qdir.path(), {{At(s0), At(s0_replica)}, {At(s1)}});
  auto find = [&](SearchRequest r) {
    r.use_cache = false;
    return q->search().query(r);
  };
  const SearchRequest all{.text = "phone", .facets = {"brand"}, .limit = 100};
  auto local = e->search().query(all);
  REQUIRE(local.ok());
  REQUIRE(local->total == 40);
  {
    auto r = find(all);
    INFO(r.status().ToString());
    REQUIRE(r.ok());
    CHECK(Ids(*r) == Ids(*local));
    CHECK(Facets(*r) == Facets(*local));
    CHECK_FALSE(r->partial);
    auto st = q->search().stats();
    REQUIRE(st.ok());
    CHECK(st->documents == 40);
    CHECK(st->shards == 2);
    CHECK(st->indexed_seq == *e->events().last_seq());  // no write since the index caught up
  }
  // Read-your-writes across processes: the shards' indexed sequence is what min_index_seq
  // waits for.
  REQUIRE(e->catalog().upsert(Make("n1", "Novelty Teapot", 2000)).ok());
  auto seq2 = e->events().last_seq();
  REQUIRE(seq2.ok());
  REQUIRE(e->search().wait_for(*seq2, std::chrono::seconds(10)).ok());
  {
    auto r = find({.text = "teapot", .min_index_seq = *seq2});
    INFO(r.status().ToString());
    REQUIRE(r.ok());
    CHECK(Ids(*r) == std::vector<std::string>{"n1"});
    CHECK(r->index_seq >= *seq2);
  }
  // Shard 0's first server dies: its replica answers, the results stay whole.
  s0.Kill();
  {
    auto r = find(all);
    INFO(r.status().ToString());
    REQUIRE(r.ok());
    CHECK_FALSE(r->partial);
    CHECK(r->total == 40);
  }
  // Both servers of shard 0 gone: Unavailable naming it, or the other shard's results.
  s0_replica.Kill();
  {
    auto strict = find(all);
    REQUIRE_FALSE(strict.ok());
    CHECK(strict.status().IsUnavailable());
    INFO(strict.status().ToString());
    CHECK(strict.status().ToString().find("shard 0") != std::string::npos);
    SearchRequest lenient = all;
    lenient.allow_partial = true;
    auto part = find(lenient);
    INFO(part.status().ToString());
    REQUIRE(part.ok());
    CHECK(part->partial);
    CHECK(part->missing_shards == std::vector<uint32_t>{0});
    CHECK(part->total > 0);
    CHECK(part->total < 40);
    // A partial result is not cached: the shard may be back by the next query.
    lenient.use_cache = true;
    auto cached = q->search().query(lenient);
    REQUIRE(cached.ok());
    auto again = q->search().query(lenient);
    REQUIRE(again.ok());
    CHECK_FALSE(again->from_cache);
  }
  // It comes back: whole results again without anything done on the querying side.
  s0_replica.Restart();
  s0_replica.Open();
  {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    Result<SearchResult> r = find(all);
    while (!(r.ok() && r->total == 40) && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      r = find(all);
    }
    INFO(r.status().ToString());
    REQUIRE(r.ok());
    CHECK_FALSE(r->partial);
    CHECK(r->total == 40);
  }
  // Shard 1 SIGKILLed mid-load, four threads querying, half of them allowing partial
  // results: every answer is whole, partial (only when allowed) or Unavailable (only when
  // not); then it restarts and answers are whole again.
  std::atomic<bool> stop{false};
  std::atomic<int> whole{0}, partial{0}, unavailable{0}, wrong{0};
  std::vector<std::thread> threads;
  commerce::testing::JoinOnExit join_threads(&stop, &threads);
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      while (!stop) {
        SearchRequest r = all;
        r.allow_partial = t % 2 == 1;
        r.use_cache = false;
        auto res = q->search().query(r);
        if (res.ok() && !res->partial && res->total == 40) ++whole;
        else if (res.ok() && res->partial && r.allow_partial && res->missing_shards == std::vector<uint32_t>{1}) ++partial;
        else if (!res.ok() && res.status().IsUnavailable() && !r.allow_partial) ++unavailable;
        else ++wrong;
      }
    });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  s1.Kill();
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  s1.Restart();
  s1.Open();
  // Recovered: whole answers again after the restart. Waited for, bounded, rather than a fixed
  // 800 ms, which a loaded machine's reconnect overran (the check failed under load). No
  // search is whole while the shard is down, so what comes after this count is the recovery.
  const int whole_before = whole.load();
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (whole.load() <= whole_before + 2 && std::chrono::steady_clock::now() < until)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  stop = true;
  for (auto& t : threads) t.join();
  CHECK(wrong == 0);
  CHECK(partial > 0);
  CHECK(unavailable > 0);
  CHECK(whole > whole_before);  // recovered
}

// Connections to 127.0.0.1:port whose handshake the kernel completed within `wait`, of `n`
// opened at once (nobody need accept them: a listener's backlog holds them).
static int HandshakesCompleted(int port, int n, std::chrono::milliseconds wait) {
  std::vector<pollfd> fds;
  for (int i = 0; i < n; ++i) {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    REQUIRE(fd >= 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(static_cast<uint16_t>(port));
    (void)::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
    fds.push_back({fd, POLLOUT, 0});
  }
  int done = 0;
  const auto deadline = std::chrono::steady_clock::now() + wait;
  std::vector<bool> counted(fds.size(), false);
  while (done < n && std::chrono::steady_clock::now() < deadline) {
    for (auto& p : fds) p.revents = 0;
    ::poll(fds.data(), fds.size(), 20);
    for (size_t i = 0; i < fds.size(); ++i) {
      if (counted[i] || !(fds[i].revents & POLLOUT)) continue;
      int err = 0;
      socklen_t len = sizeof err;
      ::getsockopt(fds[i].fd, SOL_SOCKET, SO_ERROR, &err, &len);
      counted[i] = true;
      if (err == 0) ++done;
    }
  }
  for (auto& p : fds) ::close(p.fd);
  return done;
}

// The fleet's bench (tools/bench "search-varied" through HAProxy) answered thousands of
// searches 503 with P99 ~2 s: under a burst every engine made a reader -- a connection per
// shard, a forked shard-server process each -- per concurrent search; connections beyond the
// shard server's listen backlog of 5 (Xapian's) had their SYN dropped and timed out, the
// queries of hundreds of shard-server processes passed the remote timeout, and the shards'
// breakers opened in every engine (docs/scaling.md, "search-varied through HAProxy").
TEST_CASE("engine search over remote shards: a burst of searches neither crowds the shard servers "
          "nor opens their breakers", "[search][remote]") {
  TempDir dir, qdir;
  std::unique_ptr<Engine> e = IndexingEngine(dir.path());
  for (int i = 0; i < 40; ++i)
    REQUIRE(e->catalog().upsert(Make("p" + std::to_string(i), "Phone Case " + std::to_string(i), 1000 + 10 * i,
                                     "", i % 2 ? "Acme" : "Zenith")).ok());
  const std::string gen = IndexedGeneration(*e, dir.path());
  ShardServer s0(gen + "/shard-0"), s1(gen + "/shard-1");
  s0.Open(), s1.Open();

  // 64 searches at once from one engine: every one answered, whole, with at most 16
  // connections to each shard server (one process each), and no breaker opened. The wait in
  // line is bounded by search.remote_timeout: 20 s here, since under ASan on a loaded CI machine
  // 256 queries through 16 slots outlast 2 s (seen: 254 of 256). Crowding is what is tested: the
  // 500 ms connect timeout still fails the old code's dropped SYNs.
  auto q = QueryEngine(qdir.path(), {{At(s0)}, {At(s1)}}, std::chrono::milliseconds(20000));
  constexpr int kThreads = 64;
  std::atomic<int> ok{0};
  std::vector<std::string> failures;
  std::mutex failures_mu;
  std::atomic<bool> go{false};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&, t] {
      while (!go) std::this_thread::yield();
      for (int i = 0; i < 4; ++i) {
        SearchRequest r{.text = "phone case " + std::to_string((t * 4 + i) % 40), .facets = {"brand"}};
        r.use_cache = false;
        auto res = q->search().query(r);
        if (res.ok() && !res->partial && res->total > 0) {
          ++ok;
        } else {
          std::lock_guard<std::mutex> lock(failures_mu);
          failures.push_back(res.ok() ? "partial or empty" : res.status().ToString());
        }
      }
    });
  go = true;
  for (auto& t : threads) t.join();
  INFO((failures.empty() ? std::string() : failures.front()));
  CHECK(ok == kThreads * 4);
  // Counted once the children of connections already closed have exited: under ASan on a
  // loaded machine one was still running when counted (18; the old code left 208 and more).
  auto settled = [](const ShardServer& s) {
    int n = s.Processes();
    for (auto until = std::chrono::steady_clock::now() + std::chrono::seconds(3);
         n > 1 + 16 && std::chrono::steady_clock::now() < until; n = s.Processes())
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    return n;
  };
  CHECK(settled(s0) <= 1 + 16);
  CHECK(settled(s1) <= 1 + 16);
  for (const auto& st : commerce::AllEndpointStats())
    if (st.name == "search shard " + At(s0) || st.name == "search shard " + At(s1)) {
      INFO(st.name);
      CHECK(st.opened == 0);
      CHECK(st.failures == 0);
    }

  // A burst of connections while the server is busy (here: stopped) waits in its listen
  // backlog instead of being dropped: a client's SYN retry comes after 1 s, past the 500 ms
  // connect timeout the engine gives a shard (search.remote_connect_timeout).
  s1.Pause();
  const int completed = HandshakesCompleted(s1.port(), 64, std::chrono::milliseconds(500));
  s1.Resume();
  CHECK(completed == 64);
}

TEST_CASE("engine search over remote shards: bad endpoints are refused at open", "[search][remote]") {
  TempDir dir;
  auto open = [&](std::vector<std::vector<std::string>> shards) {
    commerce::EngineOptions options;
    options.path = dir.path();
    options.driver = "lmdb";
    options.run_background = false;
    options.search.remote_shards = std::move(shards);
    return Engine::open(options).status();
  };
  for (auto bad : std::vector<std::vector<std::vector<std::string>>>{
           {{"localhost"}}, {{"127.0.0.1:0"}}, {{"127.0.0.1:70000"}}, {{":7001"}}, {{}},
           {{"127.0.0.1:7001x"}}, {{"[::1]7001"}}}) {
    Status s = open(bad);
    INFO(s.ToString());
    CHECK(s.IsInvalidArgument());
  }
  // Nobody listening: the engine opens; a query says which shard did not answer.
  TempDir other;
  auto q = QueryEngine(other.path(), {{"127.0.0.1:" + std::to_string(FreePort())}});
  auto r = q->search().query({.text = "x", .use_cache = false});
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().IsUnavailable());
  CHECK(r.status().ToString().find("shard 0") != std::string::npos);
}

namespace {

// The Endpoint of a shard server ("search shard 127.0.0.1:PORT", as /metrics labels it).
commerce::EndpointStats Breaker(const ShardServer& s) {
  const std::string name = "search shard " + At(s);
  for (const auto& st : commerce::AllEndpointStats())
    if (st.name == name) return st;
  FAIL("no endpoint named " << name);
  return {};
}

}  // namespace

TEST_CASE("engine search over remote shards: a shard server's breaker opens when it dies or "
          "stalls and closes when it is back, and a stalled server costs a caller at most the deadline",
          "[search][remote]") {
  TempDir dir, qdir;
  std::unique_ptr<Engine> e = IndexingEngine(dir.path());
  for (int i = 0; i < 40; ++i)
    REQUIRE(e->catalog().upsert(Make("p" + std::to_string(i), "Phone Case " + std::to_string(i), 1000 + 10 * i)).ok());
  const std::string gen = IndexedGeneration(*e, dir.path());
  ShardServer s0(gen + "/shard-0"), s1(gen + "/shard-1");
  s0.Open(), s1.Open();

  constexpr auto kDeadline = std::chrono::milliseconds(400);
  // What a caller may wait beyond the deadline on a loaded machine (thread hand-over, the
  // scheduler); the code before the deadline waited a whole second remote timeout more.
  constexpr auto kSlack = std::chrono::milliseconds(300);
  commerce::EngineOptions qo;
  qo.path = qdir.path();
  qo.driver = "lmdb";
  qo.run_background = false;
  qo.search.remote_shards = {{At(s0)}, {At(s1)}};
  qo.search.remote_timeout = kDeadline;
  qo.search.remote_connect_timeout = std::chrono::milliseconds(300);
  auto qopened = Engine::open(qo);
  REQUIRE(qopened.ok());
  std::unique_ptr<Engine> q = std::move(qopened).value();

  using Clock = std::chrono::steady_clock;
  auto find = [&](bool allow_partial) {
    SearchRequest r{.text = "phone", .limit = 100};
    r.use_cache = false;
    r.allow_partial = allow_partial;
    return q->search().query(r);
  };
  // Queries (alternately strict and with allow_partial) until `done` holds, at most 10 s;
  // every answer whole, partial without shard 0 (only when allowed), or an error (only when
  // not, or DeadlineExceeded); none later than the deadline plus the slack.
  int partial = 0, strict_errors = 0, deadline_errors = 0, whole = 0;
  auto run_until = [&](const std::function<bool()>& done) {
    const auto give_up = Clock::now() + std::chrono::seconds(10);
    for (int n = 0; !done(); ++n) {
      REQUIRE(Clock::now() < give_up);
      const bool lenient = n % 2 == 1;
      const auto started = Clock::now();
      auto r = find(lenient);
      const auto took = Clock::now() - started;
      INFO("query " << n << (lenient ? " allow_partial: " : " strict: ") << r.status().ToString() << " after "
                    << std::chrono::duration_cast<std::chrono::milliseconds>(took).count() << " ms");
      CHECK(took < kDeadline + kSlack);
      if (r.ok() && !r->partial) {
        CHECK(r->total == 40);
        ++whole;
      } else if (r.ok()) {
        CHECK(lenient);
        CHECK(r->missing_shards == std::vector<uint32_t>{0});
        CHECK(r->total > 0);
        CHECK(r->total < 40);
        ++partial;
      } else if (r.status().IsDeadlineExceeded()) {
        ++deadline_errors;
      } else {
        CHECK(r.status().IsUnavailable());
        CHECK_FALSE(lenient);
        CHECK(r.status().ToString().find("shard 0") != std::string::npos);
        ++strict_errors;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  };

  {
    auto r = find(false);
    INFO(r.status().ToString());
    REQUIRE(r.ok());
    CHECK(r->total == 40);
    CHECK(Breaker(s0).state == commerce::BreakerState::kClosed);
  }

  // Dead: connections refused; the breaker opens, then refuses the connects itself.
  const uint64_t opened_before = Breaker(s0).opened;
  s0.Kill();
  run_until([&] { return Breaker(s0).state == commerce::BreakerState::kOpen; });
  CHECK(Breaker(s0).opened == opened_before + 1);
  const uint64_t rejected = Breaker(s0).rejected;
  partial = strict_errors = 0;
  // Skipped without a connect while open (a reader missing it looks again every 200 ms).
  run_until([&] { return partial >= 2 && strict_errors >= 2 && Breaker(s0).rejected > rejected; });
  CHECK(Breaker(s1).state == commerce::BreakerState::kClosed);

  // Back: a half-open probe connects, the breaker closes, answers are whole again.
  s0.Restart();
  s0.Open();
  whole = 0;
  run_until([&] { return Breaker(s0).state == commerce::BreakerState::kClosed && whole >= 2; });

  // Stalled (SIGSTOP) with connections open: no caller waits past the deadline; the queries
  // that time out on it open its breaker, and queries with allow_partial are then answered
  // by shard 1 alone.
  const uint64_t opened_mid = Breaker(s0).opened;
  s0.Pause();
  {
    const auto started = Clock::now();
    auto r = find(false);
    const auto took = Clock::now() - started;
    INFO(r.status().ToString() << " after " << std::chrono::duration_cast<std::chrono::milliseconds>(took).count()
                               << " ms");
    REQUIRE_FALSE(r.ok());
    CHECK(took < kDeadline + kSlack);
  }
  partial = 0;
  run_until([&] { return partial >= 2 && Breaker(s0).opened > opened_mid; });
  CHECK(Breaker(s1).state == commerce::BreakerState::kClosed);

  // Going again: the breaker closes and answers are whole.
  s0.Resume();
  whole = 0;
  run_until([&] { return Breaker(s0).state == commerce::BreakerState::kClosed && whole >= 2; });
}

TEST_CASE("engine search over remote shards: readers move off a copy whose indexer went silent",
          "[search][remote]") {
  // Two copies of one catalog's index, each written by its own indexer (an engine with
  // serve_remote: it beats every second), each shard served from both: copy A first, copy B
  // as the replica. A's indexer stops (its engine closes) while its shard servers go on
  // serving; what is written afterwards reaches only B. The querying engine must move to B
  // once A's beat has stood still for RemoteShards::kSilentAfter, and must not while A beats.
  TempDir adir, bdir, qdir;
  std::unique_ptr<Engine> a = IndexingEngine(adir.path(), /*background=*/true),
                          b = IndexingEngine(bdir.path(), /*background=*/true);
  auto write = [](Engine& e, const Product& p) {
    REQUIRE(e.catalog().upsert(p).ok());
    auto seq = e.events().last_seq();
    REQUIRE(seq.ok());
    REQUIRE(e.search().wait_for(*seq, std::chrono::seconds(10)).ok());
  };
  for (int i = 0; i < 20; ++i) {
    const Product p = Make("p" + std::to_string(i), "Phone Case " + std::to_string(i), 1000 + 10 * i);
    write(*a, p);
    write(*b, p);
  }
  const std::string agen = CurrentGeneration(adir.path()), bgen = CurrentGeneration(bdir.path());
  ShardServer a0(agen + "/shard-0"), a1(agen + "/shard-1"), b0(bgen + "/shard-0"), b1(bgen + "/shard-1");
  a0.Open(), a1.Open(), b0.Open(), b1.Open();

  commerce::EngineOptions qo;
  qo.path = qdir.path();
  qo.driver = "lmdb";
  qo.run_background = false;
  qo.search.remote_shards = {{At(a0), At(b0)}, {At(a1), At(b1)}};
  qo.search.remote_refresh = std::chrono::milliseconds(200);
  auto qopened = Engine::open(qo);
  REQUIRE(qopened.ok());
  std::unique_ptr<Engine> q = std::move(qopened).value();
  auto total = [&](const std::string& text) {
    SearchRequest r{.text = text};
    r.use_cache = false;
    auto res = q->search().query(r);
    INFO(res.status().ToString());
    REQUIRE(res.ok());
    CHECK_FALSE(res->partial);
    return res->total;
  };
  REQUIRE(total("phone") == 20);

  // Products only A has: A's copy then numbers more word-list entries than B's, so a reader
  // that moved to B must read B's entries by B's numbers, not from where A's ended (it once
  // did, and missed the words B had indexed below that number: the query was "corrected").
  for (int i = 0; i < 10; ++i) write(*a, Make("x" + std::to_string(i), "Gizmo" + std::to_string(i) + " Widget", 500));
  // Both indexers alive: a product only B has stays unseen for longer than kSilentAfter (the
  // readers stay on A, whose idle indexer keeps beating).
  write(*b, Make("k1", "Enamel Kettle", 3000));
  const auto watch_until = std::chrono::steady_clock::now() + commerce::search::RemoteShards::kSilentAfter +
                           std::chrono::seconds(1);
  while (std::chrono::steady_clock::now() < watch_until) {
    REQUIRE(total("kettle") == 0);
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }

  // A's indexer goes; its servers stay. B alone follows the log now.
  a.reset();
  // A word only B's copy has, one edit from A's "gizmo1".
  write(*b, Make("t1", "Gizmo10 Teapot", 2000));
  const auto started = std::chrono::steady_clock::now();
  while (total("gizmo10 ") == 0) {
    INFO("no move to copy B after "
         << std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started).count()
         << " ms");
    REQUIRE(std::chrono::steady_clock::now() - started < std::chrono::seconds(10));
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  CHECK(total("kettle") == 1);
  CHECK(total("phone") == 20);
}

TEST_CASE("engine search over remote shards: merchandising rules and explanations as locally",
          "[search][remote][rules]") {
  TempDir dir, qdir;
  std::unique_ptr<Engine> e = IndexingEngine(dir.path());
  for (int i = 0; i < 12; ++i)
    REQUIRE(e->catalog().upsert(Make("p" + std::to_string(i), "Phone Case " + std::to_string(i), 1000 + 10 * i,
                                     "", i % 3 ? "Acme" : "Zenith")).ok());
  RemoteOf remote(*e, dir.path(), qdir.path());
  auto& q = remote.q;
  // The same rule in both engines' stores (rules belong to the querying engine).
  const commerce::MerchandisingRule rule{.id = "cases",
                                         .query = "phone case",
                                         .pins = {{"p7", 2}},
                                         .boost = {.brands = {"zenith"}},
                                         .bury = {.product_ids = {"p1"}},
                                         .hide = {.product_ids = {"p2"}}};
  REQUIRE(e->search().put_rule(rule).ok());
  REQUIRE(q->search().put_rule(rule).ok());
  for (std::string sort : {"relevance", "price_desc"}) {
    INFO(sort);
    const SearchRequest r{.text = "phone case", .sort = sort, .limit = 100, .use_cache = false, .explain = true};
    auto local = e->search().query(r);
    auto remote = q->search().query(r);
    INFO(remote.status().ToString());
    REQUIRE(local.ok());
    REQUIRE(remote.ok());
    CHECK(Ids(*remote) == Ids(*local));
    REQUIRE(remote->hits.size() == 11);
    CHECK(remote->hits[1].product_id == "p7");
    CHECK(remote->hits[0].explanation->tier == "boosted");
    CHECK(remote->hits.back().product_id == "p1");
    CHECK(remote->hits.back().explanation->tier == "buried");
    CHECK(remote->rules_applied == std::vector<std::string>{"cases"});
    for (size_t i = 0; i < remote->hits.size(); ++i) {
      CHECK(remote->hits[i].explanation->terms.size() == local->hits[i].explanation->terms.size());
      CHECK(remote->hits[i].explanation->tier == local->hits[i].explanation->tier);
    }
  }
  // A scheduled rule with a redirect: nothing before its start, the redirect with the hits
  // from it, through the querying engine's cache (its key names the boundaries passed).
  constexpr int64_t kStart = 1'900'000'000'000;
  REQUIRE(q->search()
              .put_rule({.id = "case-sale", .query = "phone case", .redirect = "https://shop.example/cases",
                         .starts_at_ms = kStart})
              .ok());
  auto before = q->search().query({.text = "phone case", .now_ms = kStart - 1});
  REQUIRE(before.ok());
  CHECK(before->redirect.empty());
  CHECK(before->rules_applied == std::vector<std::string>{"cases"});
  REQUIRE(q->search().query({.text = "phone case", .now_ms = kStart - 1})->from_cache);
  auto after = q->search().query({.text = "phone case", .now_ms = kStart});
  REQUIRE(after.ok());
  CHECK_FALSE(after->from_cache);
  CHECK(after->redirect == "https://shop.example/cases");
  CHECK(after->rules_applied == std::vector<std::string>{"case-sale", "cases"});
  CHECK(after->hits.size() == before->hits.size());
  // The caller's prices are applied where the documents are read: refused over remote shards,
  // never answered with the base prices.
  auto priced = q->search().query({.text = "phone case", .currency = "USD"});
  INFO(priced.status().ToString());
  CHECK(priced.status().IsNotSupported());
  CHECK(priced.status().message().rfind("search currency: ", 0) == 0);
}

TEST_CASE("engine search over remote shards: category intent orders every page as locally",
          "[search][remote][intent]") {
  // The stage reads the window's categories from the documents the shards send (values and,
  // for a code, term lists): the same order, page by page, as the local index.
  TempDir dir, qdir;
  std::unique_ptr<Engine> e = IndexingEngine(dir.path());
  for (const char* c : {"auto", "auto/batteries", "mobile", "mobile/power"})
    REQUIRE(e->catalog().upsert_category({.id = c, .name = "Dept"}).ok());
  for (int i = 0; i < 44; ++i) {
    const bool car = i % 8 == 0;  // the BM25 top: "charger" twice
    const std::string title = car ? "Charger clamp charger" : i % 2 ? "Phone charger cable" : "Phone charger";
    REQUIRE(e->catalog().upsert(Make("p" + std::to_string(100 + i), title, 1000 + i, "", "Acme",
                                     {car ? "auto/batteries" : "mobile/power"})).ok());
  }
  RemoteOf remote(*e, dir.path(), qdir.path());
  auto& q = remote.q;
  auto whole = [&](Engine& engine, bool intent) {
    auto r = engine.search().query({.text = "charger", .limit = 100, .category_intent = intent, .use_cache = false});
    REQUIRE(r.ok());
    return Ids(*r);
  };
  const auto on = whole(*e, true);
  REQUIRE(on.size() == 44);
  CHECK(on != whole(*e, false));  // the stage did reorder
  CHECK(whole(*q, true) == on);
  for (size_t size : {5u, 11u}) {
    for (size_t offset = 0; offset < on.size(); offset += size) {
      INFO("offset " << offset << " size " << size);
      const SearchRequest r{.text = "charger", .offset = offset, .limit = size, .use_cache = false, .explain = true};
      auto local = e->search().query(r);
      auto remote = q->search().query(r);
      INFO(remote.status().ToString());
      REQUIRE(local.ok());
      REQUIRE(remote.ok());
      REQUIRE(Ids(*remote) == Ids(*local));
      for (size_t i = 0; i < local->hits.size(); ++i) {
        CHECK(remote->hits[i].explanation->intent_category == local->hits[i].explanation->intent_category);
        CHECK(remote->hits[i].explanation->intent_share == Approx(local->hits[i].explanation->intent_share));
      }
    }
  }
}

TEST_CASE("engine search over remote shards: a product found only by its code ranks first as locally",
          "[search][remote][code]") {
  // The code match's weight is a FixedWeightPostingSource, which the shard servers know.
  TempDir dir, qdir;
  std::unique_ptr<Engine> e = IndexingEngine(dir.path());
  for (int i = 0; i < 34; ++i)
    REQUIRE(e->catalog().upsert(Make("c" + std::to_string(100 + i), "Case X200 " + std::string(i % 3 + 1, 'v'),
                                     1000 + i, i % 2 ? "fits the x200" : "")).ok());
  Product phone = Make("px", "Nova smartphone", 49900, "", "Volt");
  phone.variants[0].sku = "X-200";  // as words: "x" and "200"; as a code: X200
  REQUIRE(e->catalog().upsert(phone).ok());
  RemoteOf remote(*e, dir.path(), qdir.path());
  auto& q = remote.q;
  for (bool intent : {true, false}) {
    INFO("category_intent " << intent);
    const SearchRequest r{.text = "x200", .limit = 100, .category_intent = intent, .use_cache = false,
                          .explain = true};
    auto local = e->search().query(r);
    auto remote = q->search().query(r);
    INFO(remote.status().ToString());
    REQUIRE(local.ok());
    REQUIRE(remote.ok());
    REQUIRE(remote->hits.size() == 35);
    CHECK(Ids(*remote) == Ids(*local));
    CHECK(remote->hits[0].product_id == "px");
    CHECK(remote->hits[0].score == 0);
    REQUIRE(remote->hits[0].explanation->terms.size() == 1);
    CHECK(remote->hits[0].explanation->terms[0].term == "Kx200");
    for (size_t i = 0; i < remote->hits.size(); ++i)
      CHECK(remote->hits[i].score == Approx(local->hits[i].score));
  }
}

TEST_CASE("engine search over remote shards: word forms and a relaxed query's ties as locally",
          "[search][remote][query_builder]") {
  // Word forms look their joined and split words up in the shards' term lists; a relaxed
  // query's tie is put in key order from the weights the shards send (ranked_page.h).
  TempDir dir, qdir;
  std::unique_ptr<Engine> e = IndexingEngine(dir.path());
  REQUIRE(e->catalog().upsert(Make("wp1", "Waterproof Case", 1000)).ok());
  REQUIRE(e->catalog().upsert(Make("apart", "Water Proof Jacket Case", 1100)).ok());
  REQUIRE(e->catalog().upsert(Make("i7", "Apple iPhone 7 Case", 1200)).ok());
  for (int i = 0; i < 40; ++i)
    REQUIRE(e->catalog().upsert(Make("t" + std::to_string(i), "Waterproof Alpha Bravo Charlie", 1000)).ok());
  for (int i = 0; i < 20; ++i)
    REQUIRE(e->catalog().upsert(Make("w" + std::to_string(i), "Water Bottle " + std::to_string(i), 500)).ok());
  RemoteOf remote(*e, dir.path(), qdir.path());
  auto& q = remote.q;
  for (const char* text : {"water proof case ", "iphone7 case "}) {
    INFO(text);
    const SearchRequest r{.text = text, .limit = 100, .use_cache = false};
    auto local = e->search().query(r);
    auto there = q->search().query(r);
    INFO(there.status().ToString());
    REQUIRE(local.ok());
    REQUIRE(there.ok());
    CHECK_FALSE(there->relaxed);
    CHECK(!there->hits.empty());
    CHECK(Ids(*there) == Ids(*local));
  }
  std::vector<std::string> seen;
  for (size_t offset : {0, 10, 20, 30}) {
    INFO("offset " << offset);
    const SearchRequest r{.text = "alpha bravo charlie zulu yankee wat", .offset = offset, .limit = 10,
                          .category_intent = false, .use_cache = false};
    auto local = e->search().query(r);
    auto there = q->search().query(r);
    INFO(there.status().ToString());
    REQUIRE(local.ok());
    REQUIRE(there.ok());
    CHECK(there->relaxed);
    CHECK(Ids(*there) == Ids(*local));
    for (const auto& id : Ids(*there)) seen.push_back(id);
  }
  CHECK(seen.size() == 40);
  CHECK(std::set<std::string>(seen.begin(), seen.end()).size() == 40);
}

TEST_CASE("engine search over remote shards: analytics and suggestions as locally", "[search][remote][suggest]") {
  TempDir dir, qdir;
  std::unique_ptr<Engine> e = IndexingEngine(dir.path());
  for (int i = 0; i < 12; ++i)
    REQUIRE(e->catalog().upsert(Make("p" + std::to_string(i), (i % 2 ? "Phone Case " : "Phone Charger ") + std::to_string(i),
                                     1000 + 10 * i, "", i % 3 ? "Acme" : "Zenith")).ok());
  // One word typed: title, brand and category words before description and code words ("s":
  // "solar" before "sku"; "furn": the category's "furniture" before "furnished"), a word only
  // ever last in a title told by reading a product ("lan": "lantern"), as locally. The querying
  // engine's own catalog has not got the category: its words are those of its id, which here
  // are its name's (naming_words.h).
  REQUIRE(e->catalog().upsert_category({"garden-furniture", "Garden Furniture", ""}).ok());
  REQUIRE(e->catalog().upsert(Make("k1", "Teak Bench", 500, "Furnished with cushions", "", {"garden-furniture"})).ok());
  REQUIRE(e->catalog().upsert(Make("k2", "Solar Lantern", 500, "Furnished with a hook", "")).ok());
  REQUIRE(e->catalog().upsert(Make("k3", "Camping Lantern", 500, "Furnished with a strap", "")).ok());
  RemoteOf remote(*e, dir.path(), qdir.path());
  auto& q = remote.q;
  // Title pairs are plain terms: the word after a word, a trailing space, phrase completions
  // ("pho": "phone case", half of the phones) and counts with more words before come from
  // the shards as locally.
  for (const char* typed : {"phone c", "phne ch", "zen", "phone ", "pho", "acme phone c", "phone case ", "s", "furn",
                            "lan", "bench f", "a", "c"}) {
    INFO(typed);
    auto local = e->search().suggest({.text = typed, .popular_queries = false});
    auto remote = q->search().suggest({.text = typed, .popular_queries = false});
    INFO(remote.status().ToString());
    REQUIRE(local.ok());
    REQUIRE(remote.ok());
    REQUIRE_FALSE(remote->suggestions.empty());
    REQUIRE(remote->suggestions.size() == local->suggestions.size());
    for (size_t i = 0; i < remote->suggestions.size(); ++i) {
      CHECK(remote->suggestions[i].text == local->suggestions[i].text);
      CHECK(remote->suggestions[i].count == local->suggestions[i].count);
    }
  }
  auto s = q->search().suggest({.text = "s", .popular_queries = false});
  REQUIRE(s.ok());
  std::vector<std::string> texts;
  for (const auto& x : s->suggestions) texts.push_back(x.text);
  CHECK(texts == std::vector<std::string>{"solar", "sku", "strap"});
  // The querying engine records its searches; the uses of their results too.
  auto r = q->search().query({.text = "phone case"});
  REQUIRE(r.ok());
  REQUIRE_FALSE(r->search_id.empty());
  REQUIRE(q->search().record_use({.search_id = r->search_id, .product_id = r->hits[0].product_id, .kind = "click"}).ok());
  auto report = q->search().analytics();
  REQUIRE(report.ok());
  REQUIRE(report->top_queries.size() == 1);
  CHECK(report->top_queries[0].query == "phone case");
  CHECK(report->top_queries[0].clicks == 1);
  auto popular = q->search().suggest({.text = "phone"});
  REQUIRE(popular.ok());
  CHECK(popular->suggestions[0].text == "phone case");
  CHECK(popular->suggestions[0].source == "query");
}

// tests/fleet's fault smoke saw searches over the shard servers answered 503 under an order
// load: "DatabaseModifiedError: REMOTE: The revision being read has been discarded". A
// serve_remote indexer committed every shard each 20 ms round to move their sequence, for
// stock events that change no document, and every commit discards the revision a remote
// query may still be reading (its retries were overtaken too). Such sequences are now
// committed at most every Indexer::kSeqCommitInterval (250 ms), and within it.
TEST_CASE("engine search over remote shards: an event stream that changes no document does not "
          "commit the shards each round, and their sequence still follows",
          "[search][remote]") {
  TempDir dir;
  std::unique_ptr<Engine> e = IndexingEngine(dir.path(), /*background=*/true);
  REQUIRE(e->inventory().upsert_warehouse({"w1", "Main", "us-east", 0, true}).ok());
  REQUIRE(e->catalog().upsert(Make("p1", "Phone Case", 1000)).ok());
  REQUIRE(e->inventory().receive("SKU-p1", "w1", 100000).ok());
  const std::string shard = IndexedGeneration(*e, dir.path()) + "/shard-0";
  auto stored = [&] {
    Xapian::Database db(shard);
    const std::string v = db.get_metadata(commerce::search::kLastSeqKey);
    return std::make_pair(db.get_revision(), v.empty() ? uint64_t{0} : std::stoull(v));
  };
  const auto [rev_before, seq_before] = stored();

  // 2 s of stock events (~100, 20 ms apart) that leave the SKU available: no document changes.
  const auto start = std::chrono::steady_clock::now();
  int events = 0;
  while (std::chrono::steady_clock::now() - start < std::chrono::seconds(2)) {
    REQUIRE(e->inventory().adjust("SKU-p1", "w1", -1, "cycle count").ok());
    ++events;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  auto last = e->events().last_seq();
  REQUIRE(last.ok());
  // Its sequence reaches the shard within the interval (and a round), not at the next beat.
  const auto stream_end = std::chrono::steady_clock::now();
  uint64_t reached = 0;
  while (std::chrono::steady_clock::now() - stream_end < std::chrono::seconds(5)) {
    reached = stored().second;
    if (reached >= *last) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  const double lag_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - stream_end).count();
  const auto [rev_after, seq_after] = stored();
  INFO("events " << events << ", revisions " << rev_before << " -> " << rev_after << ", seq "
                 << seq_before << " -> " << seq_after << ", last " << *last << ", lag " << lag_ms << " ms");
  CHECK(reached >= *last);
  CHECK(lag_ms < 900);  // kSeqCommitInterval 250 ms; the beat alone would be up to 1 s
  // 2 s: 8 sequence commits at most, 2 beats and the one after the stream; the old code
  // committed once per 20 ms round (~100).
  CHECK(rev_after - rev_before <= 16);
  CHECK(events >= 50);
}

}  // namespace search_remote_shards_test
