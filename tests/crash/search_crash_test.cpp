// The search index resumes exactly after kill -9.
//
// A forked child opens an engine with the background indexer running over three shards
// (so batches are written to the shards in parallel) and writes from two threads, each
// owning half of a pool of products: it creates products and retitles them (every title
// carries a word used by no other product and no other version, "zq<n>r<k>"), sometimes
// as drafts, archives some (a retitle brings an archived one back), and receives, reserves,
// releases and writes off stock, so products move in and out of stock. Before each write
// it reports what it is about to write through a pipe, and after the write returns OK it
// reports the acknowledgement. The parent SIGKILLs the child at a random moment — mostly
// 5..200 ms after the engine is open, while the indexer (one round every 20 ms at the most)
// is behind or in the middle of a batch; sometimes within 40 ms of the fork, inside
// Engine::open and the indexer's first catch-up — then reopens the store and checks:
//   - the catalog holds every acknowledged write (or a write that was in flight at a kill
//     and made it), so it can stand as the truth for what follows;
//   - after search().wait_for(events().last_seq()): every active product is found by its
//     current word, and only it, exactly once; its hit says in_stock exactly when the
//     inventory has a sellable unit of one of its SKUs, and the in_stock filter finds it
//     then and only then; every word it had before, and the word of a draft or archived
//     product, finds nothing;
//   - stats: documents equals the number of active products (no duplicate, no leftover
//     document), indexed_seq equals the log's last sequence, lag_events is 0;
//   - the index was resumed, not thrown away and refilled: the generation is still the
//     first one.
// Most verifications open the engine without the indexer thread, so what the index held
// at reopen is measured exactly before wait_for catches it up (on the calling thread);
// others run the indexer thread as the child does; and some rounds are not verified at
// all, so that the next child's own indexer recovers (and may be killed while it does).
// The test counts the rounds where the reopened index was behind the log, and the rounds
// where acknowledged writes were not yet searchable at reopen, and requires some of both:
// otherwise it would not be exercising recovery.
// The store is kept across rounds, so recovery runs on top of earlier recoveries.
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "commerce/engine.h"
#include "unit/test_dir.h"

using namespace commerce;

namespace {

constexpr int kWriterThreads = 2;
constexpr uint64_t kProducts = 240;  // the pool; product n belongs to thread n % kWriterThreads
const char* const kWarehouses[] = {"wh-a", "wh-b"};
const char* const kVariants[] = {"a", "b"};
const std::string kTitlePrefix = "Gadget ";

EngineOptions Options(const std::string& dir, const std::string& driver, bool indexer_thread) {
  EngineOptions o;
  o.path = dir;
  o.driver = driver;
  o.run_background = indexer_thread;
  o.search.shards = 3;
  // Checkpoints every few hundred KiB and every 20 ms, so kills land in and around them.
  o.storage.lmdb_checkpoint_bytes = 256 << 10;
  o.storage.lmdb_checkpoint_interval_ms = 20;
  return o;
}

std::string ProductId(uint64_t n) { return "p-" + std::to_string(n); }
std::string Sku(uint64_t n, int variant) {
  return "sku-" + std::to_string(n) + "-" + kVariants[variant];
}

Product MakeProduct(uint64_t n, const std::string& word, ProductStatus status) {
  Product p;
  p.id = ProductId(n);
  p.title = kTitlePrefix + word;
  p.brand = "Brand " + std::to_string(n % 7);
  p.status = status;
  for (int v = 0; v < 2; ++v) {
    Variant var;
    var.sku = Sku(n, v);
    var.price = Money{static_cast<int64_t>(100 + n + v), "USD"};
    p.variants.push_back(var);
  }
  return p;
}

std::string WordOf(const std::string& title) {
  return title.compare(0, kTitlePrefix.size(), kTitlePrefix) == 0 ? title.substr(kTitlePrefix.size())
                                                                   : title;
}

void Setup(const std::string& dir, const std::string& driver) {
  auto engine = Engine::open(Options(dir, driver, false));
  REQUIRE(engine.ok());
  Engine& e = **engine;
  REQUIRE(e.inventory().upsert_warehouse({"wh-a", "A", "east", 1, true}).ok());
  REQUIRE(e.inventory().upsert_warehouse({"wh-b", "B", "west", 2, true}).ok());
  REQUIRE(e.close().ok());
}

std::string CurrentGeneration(const std::string& dir) {
  std::ifstream in(dir + "/search/CURRENT");
  std::string name;
  std::getline(in, name);
  return name;
}

// ---- the child ----------------------------------------------------------------------------

// One line, one write(2) of fewer than PIPE_BUF bytes: lines from the threads never
// interleave.
void Report(int fd, const std::string& line) {
  const std::string l = line + "\n";
  if (::write(fd, l.data(), l.size()) != static_cast<ssize_t>(l.size())) _exit(5);
}

[[noreturn]] void Die(int code, const std::string& what, const Status& s) {
  std::fprintf(stderr, "search crash child: %s: %s\n", what.c_str(), s.ToString().c_str());
  _exit(code);
}

void Writer(Engine& e, int t, uint64_t word_base, uint64_t seed, int fd) {
  std::mt19937_64 rng(seed);
  uint64_t k = word_base;
  const std::string tid = std::to_string(t);
  for (;;) {
    const uint64_t n = t + kWriterThreads * (rng() % (kProducts / kWriterThreads));
    const std::string id = ProductId(n);
    auto cur = e.catalog().get(id);
    if (!cur.ok() && !cur.status().IsNotFound()) Die(10, "get " + id, cur.status());
    const int dice = static_cast<int>(rng() % 100);
    if (!cur.ok() || dice < 30) {
      // Create, or retitle (the old word must leave the index); now and then a draft.
      const std::string word = "zq" + std::to_string(n) + "r" + std::to_string(k++);
      const ProductStatus st = rng() % 8 == 0 ? ProductStatus::kDraft : ProductStatus::kActive;
      Report(fd, "I " + tid + " U " + std::to_string(n) + " " + word + " " +
                     std::to_string(static_cast<int>(st)));
      auto r = e.catalog().upsert(MakeProduct(n, word, st));
      if (!r.ok()) Die(11, "upsert " + id, r.status());
    } else if (dice < 40) {
      if (cur->status == ProductStatus::kArchived) continue;
      Report(fd, "I " + tid + " U " + std::to_string(n) + " " + WordOf(cur->title) + " " +
                     std::to_string(static_cast<int>(ProductStatus::kArchived)));
      auto r = e.catalog().archive(id);
      if (!r.ok()) Die(12, "archive " + id, r.status());
    } else {
      // Stock of one SKU in one warehouse.
      const std::string sku = Sku(n, static_cast<int>(rng() % 2));
      const char* wh = kWarehouses[rng() % 2];
      auto level = e.inventory().get(sku, wh);
      if (!level.ok()) Die(13, "stock of " + sku, level.status());
      const int what = static_cast<int>(rng() % 100);
      const std::string intent = "I " + tid + " S " + std::to_string(n);
      if (what < 40) {
        Report(fd, intent);
        auto r = e.inventory().receive(sku, wh, 1 + static_cast<int64_t>(rng() % 3));
        if (!r.ok()) Die(14, "receive " + sku, r.status());
      } else if (what < 55) {
        if (level->available() <= 0) continue;
        Report(fd, intent);
        auto r = e.inventory().reserve(sku, wh, level->available(), "hold-" + tid);
        if (!r.ok()) Die(15, "reserve " + sku, r.status());
      } else if (what < 70) {
        if (level->reserved <= 0) continue;
        Report(fd, intent);
        auto r = e.inventory().release(sku, wh, level->reserved, "hold-" + tid);
        if (!r.ok()) Die(16, "release " + sku, r.status());
      } else {
        if (level->available() <= 0) continue;
        Report(fd, intent);
        auto r = e.inventory().adjust(sku, wh, -level->available(), "written off");
        if (!r.ok()) Die(17, "adjust " + sku, r.status());
      }
    }
    Report(fd, "A " + tid);
  }
}

// The child: never returns.
[[noreturn]] void RunChild(const std::string& dir, const std::string& driver,
                           uint64_t word_base, uint64_t seed, int fd) {
  auto engine = Engine::open(Options(dir, driver, true));
  if (!engine.ok()) Die(3, "open", engine.status());
  Report(fd, "R");
  std::vector<std::thread> threads;
  for (int t = 0; t < kWriterThreads; ++t)
    threads.emplace_back([&, t] {
      Writer(**engine, t, word_base + static_cast<uint64_t>(t) * 100'000, seed * 31 + t, fd);
    });
  for (auto& th : threads) th.join();
  _exit(0);
}

// ---- the parent ---------------------------------------------------------------------------

struct State {
  std::string word;
  ProductStatus status;
  friend bool operator==(const State&, const State&) = default;
};

struct Tracker {
  // Per product: the states it may be in (nullopt: absent). One after an acknowledged
  // write; more while a write that was in flight at a kill is unresolved.
  std::map<uint64_t, std::vector<std::optional<State>>> possible;
  // Every word any title of the product had or may have had.
  std::map<uint64_t, std::set<std::string>> words;
  // Products given a title or status since the last verification.
  std::set<uint64_t> touched;
  uint64_t acked = 0;
};

struct Intent {
  bool product = false;  // a product write (else stock)
  uint64_t n = 0;
  State state;
};

void RunRound(const std::string& dir, const std::string& driver, int round, uint64_t word_base,
              std::mt19937_64& rng, Tracker& tracker) {
  int fds[2];
  REQUIRE(::pipe(fds) == 0);
  const uint64_t seed = rng();
  // Now and then kill within 40 ms of the fork: inside Engine::open and the indexer's first
  // round. Otherwise 5..200 ms after the engine is open, while writes stream in.
  const bool early = round % 5 == 4;
  const auto start = std::chrono::steady_clock::now();
  auto deadline = start + (early ? std::chrono::milliseconds(rng() % 40) : std::chrono::seconds(10));
  const auto after_ready = std::chrono::milliseconds(5 + rng() % 196);
  pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    ::close(fds[0]);
    RunChild(dir, driver, word_base, seed, fds[1]);
  }
  ::close(fds[1]);
  // The child is not reaped before the kill, so its pid cannot have been reused.
  bool killed = false;
  std::string buf;
  std::map<int, Intent> pending;  // per writer thread
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                    deadline - std::chrono::steady_clock::now()).count();
    if (left <= 0 && !killed) {
      ::kill(pid, SIGKILL);
      killed = true;
    }
    struct pollfd pfd = {fds[0], POLLIN, 0};
    int ready = ::poll(&pfd, 1, killed ? 1000 : static_cast<int>(std::max<long>(left, 1)));
    if (ready <= 0) continue;
    char chunk[4096];
    ssize_t got = ::read(fds[0], chunk, sizeof chunk);
    if (got <= 0) break;  // the child is gone
    buf.append(chunk, static_cast<size_t>(got));
    size_t nl;
    while ((nl = buf.find('\n')) != std::string::npos) {
      std::istringstream line(buf.substr(0, nl));
      buf.erase(0, nl + 1);
      std::string kind;
      line >> kind;
      if (kind == "R") {
        if (!early && !killed) deadline = std::chrono::steady_clock::now() + after_ready;
      } else if (kind == "I") {
        int t;
        std::string op;
        Intent in;
        line >> t >> op >> in.n;
        if (op == "U") {
          int st;
          line >> in.state.word >> st;
          in.product = true;
          in.state.status = static_cast<ProductStatus>(st);
          tracker.words[in.n].insert(in.state.word);
          tracker.touched.insert(in.n);
        }
        REQUIRE(line);
        REQUIRE(pending.count(t) == 0);
        pending[t] = in;
      } else if (kind == "A") {
        int t;
        line >> t;
        REQUIRE(line);
        REQUIRE(pending.count(t) == 1);
        const Intent in = pending[t];
        pending.erase(t);
        if (in.product) tracker.possible[in.n] = {in.state};
        ++tracker.acked;
      } else {
        FAIL("unexpected line from the child: " << kind);
      }
    }
  }
  ::close(fds[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  INFO("child exit status " << status);
  REQUIRE(WIFSIGNALED(status));
  REQUIRE(WTERMSIG(status) == SIGKILL);
  // Writes in flight at the kill may or may not have committed.
  for (const auto& [t, in] : pending) {
    if (!in.product) continue;
    auto& p = tracker.possible[in.n];
    if (p.empty()) p.push_back(std::nullopt);
    p.push_back(in.state);
  }
}

Result<SearchResult> Find(Engine& e, const std::string& word, bool in_stock) {
  return e.search().query(SearchRequest{.text = word,
                                        .in_stock = in_stock,
                                        .prefix = false,
                                        .typo_tolerance = false,
                                        .relax = false,
                                        .use_cache = false});
}

struct CatalogEntry {
  Product product;
  bool in_stock = false;  // a sellable unit of one of its SKUs, per the inventory
};

std::map<uint64_t, CatalogEntry> ReadCatalog(Engine& e) {
  std::map<uint64_t, CatalogEntry> out;
  ListOptions lo{.limit = 1000, .include_archived = true};
  for (;;) {
    auto page = e.catalog().list(lo);
    REQUIRE(page.ok());
    for (auto& p : page->items) {
      REQUIRE(p.id.rfind("p-", 0) == 0);
      const uint64_t n = std::stoull(p.id.substr(2));
      CatalogEntry c;
      for (const auto& v : p.variants) {
        auto stock = e.inventory().get(v.sku);
        if (stock.status().IsNotFound()) continue;
        REQUIRE(stock.ok());
        if (stock->available > 0) c.in_stock = true;
      }
      c.product = std::move(p);
      out.emplace(n, std::move(c));
    }
    if (page->next_cursor.empty()) break;
    lo.cursor = page->next_cursor;
  }
  return out;
}

// Where the index disagrees with the catalog and the inventory: one line per problem.
// Old words are checked for the products in `old_words_of` (all when null).
std::vector<std::string> IndexProblems(Engine& e, const std::map<uint64_t, CatalogEntry>& catalog,
                                       const Tracker& tracker,
                                       const std::set<uint64_t>* old_words_of) {
  std::vector<std::string> problems;
  auto find = [&](const std::string& word, bool in_stock) -> std::optional<SearchResult> {
    auto r = Find(e, word, in_stock);
    if (!r.ok()) {
      problems.push_back("query '" + word + "': " + r.status().ToString());
      return std::nullopt;
    }
    return std::move(*r);
  };
  for (const auto& [n, c] : catalog) {
    const Product& p = c.product;
    const std::string word = WordOf(p.title);
    const std::string what = p.id + " '" + word + "' (" + ProductStatusName(p.status) +
                             (c.in_stock ? ", in stock)" : ", out of stock)");
    auto r = find(word, false);
    if (!r) continue;
    if (p.status == ProductStatus::kActive) {
      if (r->total != 1 || r->hits.size() != 1 || r->hits[0].product_id != p.id) {
        std::string got;
        for (const auto& h : r->hits) got += " " + h.product_id;
        problems.push_back(what + ": found " + std::to_string(r->total) + " times, hits:" + got);
      } else if (r->hits[0].in_stock != c.in_stock) {
        problems.push_back(what + ": hit says in_stock " + (r->hits[0].in_stock ? "true" : "false"));
      }
      auto s = find(word, true);
      if (s && s->total != (c.in_stock ? 1u : 0u))
        problems.push_back(what + ": the in_stock filter finds it " + std::to_string(s->total) +
                           " times");
    } else if (r->total != 0 || !r->hits.empty()) {
      problems.push_back(what + ": found, but it is not active");
    }
  }
  // Words a product no longer has (or never got, its write having died with the child).
  // (Each costs a spelling-correction lookup, the query engine's slow path.)
  for (const auto& [n, words] : tracker.words) {
    if (old_words_of && old_words_of->count(n) == 0) continue;
    auto it = catalog.find(n);
    const std::string current = it == catalog.end() ? "" : WordOf(it->second.product.title);
    for (const auto& w : words) {
      if (w == current) continue;
      auto r = find(w, false);
      if (r && (r->total != 0 || !r->hits.empty()))
        problems.push_back("old word '" + w + "' of " + ProductId(n) + " still finds " +
                           std::to_string(r->total) + " product(s)");
    }
  }
  return problems;
}

struct Counters {
  int verified = 0;
  int behind = 0;  // the index at reopen was behind the log
  int stale = 0;   // ... and acknowledged writes were not searchable yet
};

// Old words are checked for the products written since the last verification, and for all
// products when `all_old_words`.
void Verify(const std::string& dir, const std::string& driver, bool indexer_thread,
            bool all_old_words, Tracker& tracker, Counters& counters) {
  INFO("verifying with the indexer " << (indexer_thread ? "thread" : "run by wait_for"));
  auto engine = Engine::open(Options(dir, driver, indexer_thread));
  REQUIRE(engine.ok());
  Engine& e = **engine;
  auto opened = e.search().stats();  // first: the thread (if any) has had the least time
  REQUIRE(opened.ok());
  auto last = e.events().last_seq();
  REQUIRE(last.ok());
  const bool behind = opened->indexed_seq < *last;

  // The catalog is the truth: it holds every acknowledged write (storage_crash_test checks
  // that in depth), at most plus the writes that were in flight at the kills.
  auto catalog = ReadCatalog(e);
  for (const auto& [n, c] : catalog) {
    INFO("product " << c.product.id << " '" << c.product.title << "' in the catalog");
    auto it = tracker.possible.find(n);
    REQUIRE(it != tracker.possible.end());
    const State actual{WordOf(c.product.title), c.product.status};
    CHECK(std::find(it->second.begin(), it->second.end(), std::optional<State>(actual)) !=
          it->second.end());
    REQUIRE(c.product.variants.size() == 2);
  }
  for (auto& [n, states] : tracker.possible) {
    auto it = catalog.find(n);
    if (it == catalog.end()) {
      INFO("product " << ProductId(n) << " missing from the catalog");
      CHECK(std::find(states.begin(), states.end(), std::nullopt) != states.end());
      states = {std::nullopt};
    } else {
      states = {State{WordOf(it->second.product.title), it->second.product.status}};
    }
  }

  // What the index held at reopen (exact without the thread; with it, it may have moved).
  const std::set<uint64_t> none;
  const size_t stale = IndexProblems(e, catalog, tracker, &none).size();
  counters.behind += behind;
  counters.stale += behind && stale > 0;
  ++counters.verified;
  if (!indexer_thread) CHECK((stale == 0 || behind));  // a caught-up index must be right

  auto waited = e.search().wait_for(*last, std::chrono::seconds(30));
  INFO(waited.ToString());
  REQUIRE(waited.ok());

  auto problems = IndexProblems(e, catalog, tracker, all_old_words ? nullptr : &tracker.touched);
  tracker.touched.clear();
  {
    std::string list;
    for (size_t i = 0; i < problems.size() && i < 20; ++i) list += "\n  " + problems[i];
    INFO("index at reopen: indexed_seq " << opened->indexed_seq << " of " << *last << ", "
                                         << stale << " problem(s) before catching up");
    INFO(problems.size() << " problem(s) after wait_for:" << list);
    CHECK(problems.empty());
  }

  uint64_t active = 0;
  for (const auto& [n, c] : catalog) active += c.product.status == ProductStatus::kActive;
  auto st = e.search().stats();
  REQUIRE(st.ok());
  INFO("last_error: " << st->last_error);
  CHECK(st->documents == active);
  CHECK(st->indexed_seq == *last);
  CHECK(st->log_seq == *last);
  CHECK(st->lag_events == 0);
  CHECK(st->shards == 3);
  // Resumed, not replaced by a generation refilled from the log.
  CHECK(CurrentGeneration(dir) == "g1");
  REQUIRE(e.close().ok());
}

void CrashLoop(const std::string& driver, int rounds) {
  commerce::testing::TempDir dir;
  Setup(dir.path(), driver);
  REQUIRE(CurrentGeneration(dir.path()) == "g1");
  std::mt19937_64 rng(driver == "lmdb" ? 21 : 22);
  Tracker tracker;
  Counters counters;
  for (int round = 0; round < rounds; ++round) {
    INFO("round " << round);
    RunRound(dir.path(), driver, round, static_cast<uint64_t>(round + 1) * 1'000'000, rng,
             tracker);
    // Every third round is not verified: the next child's indexer thread recovers. The
    // last round always is.
    if (round % 3 == 1 && round != rounds - 1) continue;
    Verify(dir.path(), driver, /*indexer_thread=*/round % 4 == 3,
           /*all_old_words=*/round == rounds - 1, tracker, counters);
  }
  INFO("acknowledged writes: " << tracker.acked << ", products: " << tracker.possible.size()
                               << ", rounds verified: " << counters.verified
                               << ", index behind at reopen: " << counters.behind
                               << ", acknowledged writes not yet searchable at reopen: "
                               << counters.stale);
  CHECK(tracker.acked > 0);
  // The kills must land while the indexer has work to do, or recovery is not exercised.
  REQUIRE(counters.behind >= 1);
  REQUIRE(counters.stale >= 1);
  WARN("search crash test (" << driver << "): " << tracker.acked << " acknowledged writes, "
                             << tracker.possible.size() << " products, " << counters.verified
                             << " rounds verified, index behind at reopen in "
                             << counters.behind << ", acknowledged writes not yet searchable in "
                             << counters.stale);
}

}  // namespace

TEST_CASE("search: the index resumes exactly after SIGKILL", "[crash][search]") {
  auto driver = GENERATE(as<std::string>{}, "lmdb", "sqlite");
  SECTION(driver) { CrashLoop(driver, 18); }
}
