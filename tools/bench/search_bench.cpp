// Suite "search": the engine's product search (include/commerce/search.h) against what a user
// writes by hand with Xapian (the library the engine's index is built on) and with SQLite
// FTS5, on the same synthetic catalog and the same queries (search_corpus.h). Not run in CI.
//
// Cases (README.md says why each peer is fair):
//   index-import  N products (default 1,000,000; --quick 20,000) imported and made searchable:
//                 engine Catalog::import_file of the corpus as JSON Lines, until
//                 search().stats() says indexed_seq == log_seq; raw-xapian and sqlite-fts5 index
//                 the same products. products/s, memory, index size.
//   text          1-3-word queries, top 20 by relevance, uncached (use_cache = false). The
//                 query cases below also run raw-xapian's queries on the engine's own shards
//                 (raw-xapian-shards: the index held equal).
//   text-facets   the same + the brand facet + a department filter.
//   text-filters  the same as text + a brand filter + a price range.
//   text-multiselect  text + a department + a brand filter, the brand facet multi-select
//                 (SearchRequest::disjunctive_facets: counted without the brand filter); the
//                 peers count it in a second pass without the brand, as one writes it by hand.
//   text-caller   the text-filters request sorted by price_asc with the price facet, by the
//                 engine twice in one run: as before (the index's base prices), and for a caller
//                 (currency USD, customer group "bench", whose price list halves every 100th
//                 SKU's price, up to 10,000): what the caller's prices cost (docs/search.md, "Per
//                 caller"). Engine only: the peers have no notion of a caller.
//   text-remote   the text case on the engine's own index, local and over remote shards:
//                 each shard served by a commerce-shard-server on 127.0.0.1 (a process each,
//                 started from beside commerce-bench), read by a second engine through
//                 SearchOptions::remote_shards. What the network hop costs, same queries.
//   zipf-cached   the engine with its result cache on, queries drawn by Zipf from a pool of
//                 10,000 distinct ones; raw-xapian (no cache) on the same draws.
//   suggest       search-as-you-type: each text query with its last word cut to its first half
//                 (at least 2 letters), Search::suggest, 8 completions; sqlite-fts5 completes
//                 the word from an fts5vocab table and counts each with the words before it
//                 (SqliteFts5Peer::Searcher::Suggest). Popular queries are those the engine
//                 recorded in the suite's earlier cases (none when suggest runs alone).
//   index-lag     products changed at 1,000 upserts/s: how long until each change is
//                 searchable (engine only: the peers have no continuous indexing).
// Query cases run at 1 and 2 threads (--threads overrides); every thread of every system
// runs the same query sequence (SeedFor), and the systems take turns slice by slice (--rounds).
//
// Map of this file: 1. parameters  2. the systems and their loads  3. index-import
//                   4. query cases  5. zipf-cached  6. index-lag  7. the suite.
#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <deque>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "commerce/catalog.h"
#include "commerce/engine.h"
#include "commerce/price_lists.h"
#include "commerce/search.h"
#include "harness.h"
#include "peer_raw_xapian.h"
#include "peer_sqlite_fts5.h"
#include "proc_memory.h"
#include "report.h"
#include "search_corpus.h"
#include "search_peer.h"

namespace commerce::bench {
namespace {

using Clock = std::chrono::steady_clock;

// ---------------------------------------------------------------------------------------
// 1. parameters

constexpr char kSuite[] = "search";
constexpr char kIndexImport[] = "index-import";
constexpr char kText[] = "text";
constexpr char kTextFacets[] = "text-facets";
constexpr char kTextFilters[] = "text-filters";
constexpr char kTextMultiselect[] = "text-multiselect";
constexpr char kTextRemote[] = "text-remote";
constexpr char kTextCaller[] = "text-caller";
constexpr char kZipfCached[] = "zipf-cached";
constexpr char kIndexLag[] = "index-lag";
constexpr char kSuggest[] = "suggest";
constexpr size_t kSuggestions = 8;
constexpr char kRawXapian[] = "raw-xapian";
constexpr char kRawXapianShards[] = "raw-xapian-shards";
constexpr char kSqliteFts5[] = "sqlite-fts5";

constexpr size_t kTopN = 20;
constexpr size_t kZipfPool = 10'000;
constexpr double kLagWritesPerS = 1000;
constexpr int kLagWriters = 8;
constexpr auto kLagPoll = std::chrono::milliseconds(2);
// An index that has not advanced for this long while behind is reported as stuck.
constexpr double kStallTimeoutS = 300;

struct Params {
  uint64_t records;
  double warmup_s;
  double seconds;
  std::vector<int> threads;
  int rounds;
  size_t queries_per_thread;  // pre-drawn per thread and point, cycled

  double slice_seconds() const { return seconds / rounds; }
  double slice_warmup(int round) const { return round == 0 ? warmup_s : warmup_s / 4; }
  std::string label(int round) const { return SliceLabel(rounds, round, seconds, slice_seconds()); }
};

Params ParamsFor(const BenchOptions& o) {
  Params p;
  p.records = o.records ? o.records : (o.quick ? 20'000 : 1'000'000);
  p.warmup_s = o.quick ? 0.2 : 0.5;
  p.seconds = o.seconds > 0 ? o.seconds : (o.quick ? 1.0 : 5.0);
  p.threads = o.threads.empty() ? std::vector<int>{1, 2} : o.threads;
  p.rounds = o.rounds > 0 ? o.rounds : (o.quick ? 1 : 5);
  p.queries_per_thread = o.quick ? 5'000 : 20'000;
  return p;
}

double SecondsSince(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

void AddMemory(Row* row) {
  const ProcessMemory m = ReadProcessMemory();
  row->add("rss_mb", m.rss_mb);
}

// ---------------------------------------------------------------------------------------
// 2. the systems and their loads

struct LoadFigures {
  double seconds = 0;       // the whole load: import + indexing
  double import_s = 0;      // engine: import_file alone
  double index_wait_s = 0;  // engine: from import_file's return until the index caught up
  uint64_t index_bytes = 0;
  uint64_t documents = 0;
  ProcessMemory memory;     // right after the load; peak_rss_mb = the load's peak
};

struct Systems {
  std::unique_ptr<Engine> engine;
  std::string engine_dir;
  LoadFigures engine_load;
  bool reused = false;  // the engine's store was kept by an earlier run (--keep): no load measured
  std::unique_ptr<RawXapianPeer> xapian;
  std::string xapian_dir;
  LoadFigures xapian_load;
  std::unique_ptr<RawXapianPeer> xapian_shards;  // raw-xapian's queries on the engine's own shards
  std::unique_ptr<SqliteFts5Peer> fts;
  std::string fts_dir;
  LoadFigures fts_load;
};

Result<SearchStats> EngineStats(Engine& engine) { return engine.search().stats(); }

// Waits until the engine's index reflects every event up to `target` and indexed_seq ==
// log_seq; false with *error when the indexer reports an error or stops advancing.
bool WaitForIndex(Engine& engine, uint64_t target, Progress* progress, std::string* error) {
  uint64_t last_indexed = 0;
  auto last_advance = Clock::now();
  for (;;) {
    auto st = EngineStats(engine);
    if (!st.ok()) return *error = "search().stats(): " + st.status().ToString(), false;
    if (progress) progress->Update(st->documents);
    if (st->indexed_seq >= target && st->indexed_seq == st->log_seq) return true;
    if (st->indexed_seq != last_indexed) {
      last_indexed = st->indexed_seq;
      last_advance = Clock::now();
    } else if (SecondsSince(last_advance) > kStallTimeoutS) {
      *error = "the index stopped advancing at seq " + std::to_string(st->indexed_seq) + " of " +
               std::to_string(st->log_seq) + " for " + FormatSeconds(kStallTimeoutS) +
               (st->last_error.empty() ? "" : "; indexer error: " + st->last_error);
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

// --keep: each system's store stays in --dir under a name with the catalog's size, and a later
// run with the same --records opens it instead of loading again (a 1M load takes minutes, and
// comparing two builds wants the very same index). A store counts as loaded only once its
// marker beside it exists, written after the whole load: an interrupted load is redone.
std::string StoreDir(WorkDir& work, bool keep, const std::string& name, uint64_t n, bool* reuse) {
  *reuse = false;
  if (!keep) return work.Fresh(name);
  const std::string kept = name + "-" + std::to_string(n);
  std::error_code ec;
  if (std::filesystem::exists(work.path() + "/" + kept + ".loaded", ec)) {
    *reuse = true;
    return work.path() + "/" + kept;
  }
  return work.Fresh(kept);
}

void MarkLoaded(const std::string& dir) { std::ofstream(dir + ".loaded") << "loaded completely\n"; }

// A store kept by an earlier run: opened, its index caught up (the engine replays its log).
bool ReopenEngine(uint64_t n, Systems* s, std::string* error) {
  EngineOptions eo;
  eo.path = s->engine_dir;
  auto engine = Engine::open(eo);
  if (!engine.ok()) return *error = "Engine::open (kept store): " + engine.status().ToString(), false;
  s->engine = std::move(*engine);
  auto last = s->engine->events().last_seq();
  if (!last.ok()) return *error = "events().last_seq(): " + last.status().ToString(), false;
  if (!WaitForIndex(*s->engine, *last, nullptr, error)) return false;
  auto st = EngineStats(*s->engine);
  if (!st.ok()) return *error = "search().stats(): " + st.status().ToString(), false;
  s->engine_load.index_bytes = st->index_bytes;
  s->engine_load.documents = st->documents;
  s->engine_load.memory = ReadProcessMemory();
  if (st->documents != n)
    Log("commerce-bench: search: the kept index holds " + std::to_string(st->documents) + " documents, expected " +
        std::to_string(n));
  Log("commerce-bench: search: reusing the kept store " + s->engine_dir);
  return true;
}

bool LoadEngine(const SearchCorpus& corpus, WorkDir& work, bool keep, Systems* s, std::string* error) {
  const uint64_t n = corpus.size();
  bool reuse = false;
  s->engine_dir = StoreDir(work, keep, "search-commerce-lmdb", n, &reuse);
  if (reuse) return s->reused = true, ReopenEngine(n, s, error);
  const std::string file = work.path() + "/search-products.jsonl";
  {
    Progress progress("writing " + std::to_string(n) + " products to " + file, n);
    if (!corpus.WriteJsonl(file, &progress, error)) return false;
    progress.Done(n);
  }
  QuiesceDisk();
  ResetPeakRss();
  EngineOptions eo;
  eo.path = s->engine_dir;
  auto engine = Engine::open(eo);
  if (!engine.ok()) return *error = "Engine::open: " + engine.status().ToString(), false;
  s->engine = std::move(*engine);
  for (const Category& c : corpus.categories()) {
    Status st = s->engine->catalog().upsert_category(c);
    if (!st.ok()) return *error = "upsert_category(" + c.id + "): " + st.ToString(), false;
  }
  const auto start = Clock::now();
  {
    Progress progress("importing " + std::to_string(n) + " products into commerce/lmdb (Catalog::import_file)", n);
    ImportOptions io;
    io.format = "jsonl";
    io.progress = [&](const ImportProgress& p) { progress.Update(p.imported); };
    auto report = s->engine->catalog().import_file(file, io);
    std::remove(file.c_str());
    if (!report.ok()) return *error = "import_file: " + report.status().ToString(), false;
    if (report->imported != n) {
      *error = "import_file imported " + std::to_string(report->imported) + " of " + std::to_string(n) +
               (report->rejections.empty() ? "" : " (first rejection: line " +
                                                       std::to_string(report->rejections[0].line) + " " +
                                                       report->rejections[0].field + ": " +
                                                       report->rejections[0].reason + ")");
      return false;
    }
    progress.Done(n);
  }
  s->engine_load.import_s = SecondsSince(start);
  auto last = s->engine->events().last_seq();
  if (!last.ok()) return *error = "events().last_seq(): " + last.status().ToString(), false;
  {
    Progress progress("waiting for commerce/lmdb's search index (documents)", n);
    if (!WaitForIndex(*s->engine, *last, &progress, error)) return false;
    progress.Done(n);
  }
  s->engine_load.seconds = SecondsSince(start);
  s->engine_load.index_wait_s = s->engine_load.seconds - s->engine_load.import_s;
  s->engine_load.memory = ReadProcessMemory();
  auto st = EngineStats(*s->engine);
  if (!st.ok()) return *error = "search().stats(): " + st.status().ToString(), false;
  s->engine_load.index_bytes = st->index_bytes;
  s->engine_load.documents = st->documents;
  if (st->documents != n)
    Log("commerce-bench: search: the engine's index holds " + std::to_string(st->documents) + " documents, expected " +
        std::to_string(n));
  Status checkpoint = s->engine->storage().checkpoint();  // no background work while measuring
  if (!checkpoint.ok() && !checkpoint.IsNotSupported())
    Log("commerce-bench: search: checkpoint: " + checkpoint.ToString());
  if (keep) MarkLoaded(s->engine_dir);
  return true;
}

template <typename Peer>
bool LoadPeer(const char* name, const SearchCorpus& corpus, WorkDir& work, bool keep, std::unique_ptr<Peer>* peer,
              std::string* dir, LoadFigures* load, std::string* error) {
  const uint64_t n = corpus.size();
  bool reuse = false;
  *dir = StoreDir(work, keep, std::string("search-") + name, n, &reuse);
  if (reuse) {
    *peer = Peer::Open(*dir);
    load->index_bytes = (*peer)->DiskBytes();
    load->documents = n;
    return true;
  }
  ResetPeakRss();
  const auto start = Clock::now();
  *peer = Peer::Create(*dir, error);
  if (!*peer) return false;
  Progress progress("indexing " + std::to_string(n) + " products into " + name, n);
  if (!(*peer)->Load(n, [&](uint64_t i, SearchDoc* d) { corpus.Doc(i, d); }, &progress, error)) return false;
  progress.Done(n);
  load->seconds = SecondsSince(start);
  load->memory = ReadProcessMemory();
  load->index_bytes = (*peer)->DiskBytes();
  load->documents = n;
  if (keep) MarkLoaded(*dir);
  return true;
}

// ---------------------------------------------------------------------------------------
// 3. index-import

Row LoadRow(const char* system, const char* driver, const LoadFigures& f, uint64_t n) {
  TimedRunResult r;
  r.ops = n;
  r.seconds = f.seconds;
  r.ops_per_s = Div(static_cast<double>(n), f.seconds);
  Row row = MakeRow(kSuite, kIndexImport, system, driver, 1, r);
  row.add("products", n);
  row.add("documents", f.documents);
  if (f.import_s > 0) {
    row.add("import_s", f.import_s);
    row.add("index_wait_s", f.index_wait_s);
  }
  row.add("index_bytes", f.index_bytes);
  row.add("bytes_per_product", Div(static_cast<double>(f.index_bytes), static_cast<double>(n)));
  row.add("rss_mb", f.memory.rss_mb);
  row.add("peak_rss_mb", f.memory.peak_rss_mb);
  return row;
}

// ---------------------------------------------------------------------------------------
// 4. query cases

enum class Shape { kText, kTextFacets, kTextFilters, kTextMultiselect };

PeerQuery ToPeerQuery(const CorpusQuery& c, Shape shape) {
  PeerQuery q;
  q.text = c.text;
  q.limit = kTopN;
  if (shape == Shape::kTextFacets) {
    q.category = c.category;
    q.facet_brand = true;
  } else if (shape == Shape::kTextFilters) {
    q.brand = c.brand;
    q.price_min = c.price_min;
    q.price_max = c.price_max;
  } else if (shape == Shape::kTextMultiselect) {
    q.category = c.category;
    q.brand = c.brand;
    q.facet_brand = true;
    q.facet_brand_multiselect = true;
  }
  return q;
}

SearchRequest ToEngineRequest(const CorpusQuery& c, Shape shape, bool use_cache) {
  SearchRequest r;
  r.text = c.text;
  r.limit = kTopN;
  r.use_cache = use_cache;
  if (shape == Shape::kTextFacets) {
    r.categories = {c.category};
    r.facets = {"brand"};
  } else if (shape == Shape::kTextFilters) {
    r.brands = {c.brand};
    r.price_min = c.price_min;
    r.price_max = c.price_max;
  } else if (shape == Shape::kTextMultiselect) {
    r.categories = {c.category};
    r.brands = {c.brand};
    r.facets = {"brand"};
    r.disjunctive_facets = {"brand"};
  }
  return r;
}

// What a system's answers looked like over a point: a sanity check that the systems ran the
// same queries and found things (hits per query, empty answers, relaxed answers).
struct AnswerCounts {
  std::atomic<uint64_t> queries{0}, hits{0}, empty{0}, relaxed{0}, facet_values{0};
  void Add(size_t n_hits, bool relax, size_t n_facet_values) {
    queries.fetch_add(1, std::memory_order_relaxed);
    hits.fetch_add(n_hits, std::memory_order_relaxed);
    if (n_hits == 0) empty.fetch_add(1, std::memory_order_relaxed);
    if (relax) relaxed.fetch_add(1, std::memory_order_relaxed);
    facet_values.fetch_add(n_facet_values, std::memory_order_relaxed);
  }
  void AddTo(Row* row, bool facets) const {
    const double q = static_cast<double>(queries.load());
    row->add("hits_per_query", Div(static_cast<double>(hits.load()), q));
    row->add("empty_rate", Div(static_cast<double>(empty.load()), q));
    row->add("relaxed_rate", Div(static_cast<double>(relaxed.load()), q));
    if (facets) row->add("facet_values_per_query", Div(static_cast<double>(facet_values.load()), q));
  }
};

// A query system: makes the op of one thread from that thread's query sequence.
struct QuerySystem {
  const char* name;
  const char* driver;
  // next(i) is the thread's i-th query; the op runs it.
  std::function<Op(int thread, std::function<const CorpusQuery&(uint64_t)> next, AnswerCounts* counts)> make;
  uint64_t index_bytes = 0;
};

// A peer as a query system: each thread gets its own searcher (Peer::NewSearcher).
template <typename Peer>
QuerySystem PeerQuerySystem(Peer* peer, const char* name, const char* driver, Shape shape,
                            uint64_t index_bytes) {
  return {name, driver,
          [peer, shape](int, std::function<const CorpusQuery&(uint64_t)> next,
                        AnswerCounts* counts) -> Op {
            std::string error;
            std::shared_ptr<typename Peer::Searcher> searcher = peer->NewSearcher(&error);
            auto i = std::make_shared<uint64_t>(0);
            auto result = std::make_shared<PeerResult>();
            return [=](std::string* e) {
              if (!searcher) return *e = error, false;
              if (!searcher->Search(ToPeerQuery(next((*i)++), shape), result.get(), e)) return false;
              counts->Add(result->ids.size(), result->relaxed, result->brand_facet.size());
              return true;
            };
          },
          index_bytes};
}

std::vector<QuerySystem> MakeQuerySystems(Systems& s, Shape shape, bool engine_cache, bool with_fts) {
  std::vector<QuerySystem> out;
  Engine* engine = s.engine.get();
  out.push_back({kEngineSystem, "lmdb",
                 [engine, shape, engine_cache](int, std::function<const CorpusQuery&(uint64_t)> next,
                                               AnswerCounts* counts) -> Op {
                   auto i = std::make_shared<uint64_t>(0);
                   return [=](std::string* e) {
                     auto res = engine->search().query(ToEngineRequest(next((*i)++), shape, engine_cache));
                     if (!res.ok()) return *e = res.status().ToString(), false;
                     counts->Add(res->hits.size(), res->relaxed,
                                 res->facets.empty() ? 0 : res->facets[0].values.size());
                     return true;
                   };
                 },
                 s.engine_load.index_bytes});
  if (RawXapianPeer* xapian = s.xapian.get())
    out.push_back(PeerQuerySystem(xapian, kRawXapian, "xapian", shape, s.xapian_load.index_bytes));
  if (SqliteFts5Peer* fts = s.fts.get(); fts && with_fts)
    out.push_back(PeerQuerySystem(fts, kSqliteFts5, "sqlite", shape, s.fts_load.index_bytes));
  return out;
}

// Runs every system of a case at each thread count, slice by slice in turns. `sequence(t)`
// gives thread t's query sequence (the same for every system); `add_extras` may add
// case-specific fields (called with the system's index).
using SequenceFn = std::function<std::function<const CorpusQuery&(uint64_t)>(int threads, int thread)>;

std::vector<Row> MeasureQueries(const char* case_name, const Params& p, std::vector<QuerySystem>& systems,
                                const SequenceFn& sequence, bool facets,
                                const std::function<void(size_t, bool start)>& on_window = {},
                                const std::function<void(size_t, Row*)>& add_extras = {}) {
  std::vector<Row> rows;
  for (int threads : p.threads) {
    std::vector<TimedRunResult> results(systems.size());
    std::vector<std::unique_ptr<AnswerCounts>> counts;
    for (size_t k = 0; k < systems.size(); ++k) counts.push_back(std::make_unique<AnswerCounts>());
    for (int round = 0; round < p.rounds; ++round) {
      for (size_t k = 0; k < systems.size(); ++k) {
        QuerySystem& sys = systems[k];
        Log(std::string(case_name) + ": " + sys.name + "/" + sys.driver + ", " + std::to_string(threads) +
            " threads, " + p.label(round) + "...");
        TimedRunOptions ro;
        ro.threads = threads;
        ro.warmup_s = p.slice_warmup(round);
        ro.seconds = p.slice_seconds();
        ro.reserve_samples_per_thread = 1 << 16;
        if (on_window) {
          ro.on_measure_start = [&, k] { on_window(k, true); };
          ro.on_measure_end = [&, k] { on_window(k, false); };
        }
        AnswerCounts* c = counts[k].get();
        Accumulate(&results[k], RunTimed(ro, [&, c, threads](int thread) {
                     return sys.make(thread, sequence(threads, thread), c);
                   }));
      }
    }
    for (size_t k = 0; k < systems.size(); ++k) {
      const QuerySystem& sys = systems[k];
      const TimedRunResult& r = results[k];
      Row row = MakeRow(kSuite, case_name, sys.name, sys.driver, threads, r);
      row.add("mean_ms", r.latency.mean_ms);
      counts[k]->AddTo(&row, facets);
      if (add_extras) add_extras(k, &row);
      row.add("index_bytes", sys.index_bytes);
      AddMemory(&row);
      if (p.rounds > 1) row.add("rounds", p.rounds);
      if (r.errors)
        Log("commerce-bench: search: " + std::string(case_name) + ": " + sys.name + ": " + std::to_string(r.errors) +
            " failed queries; first: " + r.first_error);
      rows.push_back(std::move(row));
    }
  }
  return rows;
}

// The engine's ratio to every peer, not only the best one (`ratio`): ratio_raw_xapian,
// ratio_raw_xapian_shards, ratio_sqlite_fts5 -- the index's shape and the engine's layers apart.
void AddRatiosToEachPeer(std::vector<Row>* rows) {
  for (Row& engine : *rows) {
    if (!IsEngineSystem(engine.system)) continue;
    for (const Row& peer : *rows) {
      if (IsEngineSystem(peer.system) || peer.threads != engine.threads || peer.ops_per_s <= 0) continue;
      std::string key = "ratio_" + peer.system;
      std::replace(key.begin(), key.end(), '-', '_');
      engine.add(key, std::round(engine.ops_per_s / peer.ops_per_s * 1000) / 1000);
    }
  }
}

// Per-thread query lists for one case: thread t of every system runs queries drawn from
// SeedFor(case, t), pre-drawn once (cycled when a slice outruns them).
class QueryLists {
 public:
  QueryLists(const SearchCorpus& corpus, std::string case_name, size_t per_thread)
      : corpus_(corpus), case_(std::move(case_name)), per_thread_(per_thread) {}

  std::function<const CorpusQuery&(uint64_t)> For(int thread) {
    while (static_cast<int>(lists_.size()) <= thread) {
      auto list = std::make_shared<std::vector<CorpusQuery>>();
      Rng rng(SeedFor(case_, static_cast<int>(lists_.size())));
      list->reserve(per_thread_);
      for (size_t i = 0; i < per_thread_; ++i) list->push_back(corpus_.query(rng.next()));
      lists_.push_back(std::move(list));
    }
    std::shared_ptr<std::vector<CorpusQuery>> list = lists_[thread];
    return [list](uint64_t i) -> const CorpusQuery& { return (*list)[i % list->size()]; };
  }

 private:
  const SearchCorpus& corpus_;
  std::string case_;
  size_t per_thread_;
  std::vector<std::shared_ptr<std::vector<CorpusQuery>>> lists_;
};

std::vector<Row> RunQueryCase(const char* case_name, Shape shape, const Params& p, const SearchCorpus& corpus,
                              Systems& s) {
  std::vector<QuerySystem> systems = MakeQuerySystems(s, shape, false, true);
  // The same index as the engine's (issue 18: "on the same index"), beside raw-xapian's own.
  if (RawXapianPeer* shards = s.xapian_shards.get())
    systems.insert(systems.begin() + 1,
                   PeerQuerySystem(shards, kRawXapianShards, "xapian", shape, shards->DiskBytes()));
  QueryLists lists(corpus, case_name, p.queries_per_thread);
  Log(std::string(case_name) + ": drawing " + std::to_string(p.queries_per_thread) + " queries per thread...");
  for (int t = 0; t < *std::max_element(p.threads.begin(), p.threads.end()); ++t) lists.For(t);
  std::vector<Row> rows = MeasureQueries(case_name, p, systems, [&](int, int thread) { return lists.For(thread); },
                                         shape == Shape::kTextFacets || shape == Shape::kTextMultiselect);
  AddRatiosToEachPeer(&rows);
  return rows;
}

// text-caller: the engine, plain and for a caller, on the same queries (see the file's top).
std::vector<Row> RunTextCaller(const Params& p, const SearchCorpus& corpus, Systems& s, std::string* error) {
  Engine* engine = s.engine.get();
  PriceList list;
  list.id = "bench";
  list.name = "Bench group";
  list.currency = "USD";
  list.customer_group = "bench";
  for (uint64_t i = 0; i < corpus.size() && list.entries.size() < kMaxPriceListEntries; i += 100) {
    auto product = engine->catalog().get_by_sku(SearchCorpus::Sku(i));
    if (!product.ok()) continue;
    list.entries.push_back({SearchCorpus::Sku(i), product->variants[0].price.minor / 2, 1});
  }
  auto made = engine->price_lists().create(list);
  if (!made.ok() && !made.status().IsAlreadyExists()) return *error = made.status().ToString(), std::vector<Row>{};
  auto seq = engine->events().last_seq();
  if (!seq.ok() || !engine->search().wait_for(*seq, std::chrono::seconds(60)).ok())
    return *error = "the price list's event was not indexed", std::vector<Row>{};
  auto system = [engine, &s](const char* name, bool caller) -> QuerySystem {
    return {name, "lmdb",
            [engine, caller](int, std::function<const CorpusQuery&(uint64_t)> next, AnswerCounts* counts) -> Op {
              auto i = std::make_shared<uint64_t>(0);
              return [=](std::string* e) {
                SearchRequest r = ToEngineRequest(next((*i)++), Shape::kTextFilters, false);
                r.sort = "price_asc";
                r.facets = {"price"};
                if (caller) r.currency = "USD", r.customer_group = "bench";
                auto res = engine->search().query(r);
                if (!res.ok()) return *e = res.status().ToString(), false;
                counts->Add(res->hits.size(), res->relaxed, res->facets.empty() ? 0 : res->facets[0].values.size());
                return true;
              };
            },
            s.engine_load.index_bytes};
  };
  std::vector<QuerySystem> systems = {system(kEngineSystem, false), system("commerce-caller", true)};
  QueryLists lists(corpus, kTextCaller, p.queries_per_thread);
  for (int t = 0; t < *std::max_element(p.threads.begin(), p.threads.end()); ++t) lists.For(t);
  std::vector<Row> rows = MeasureQueries(kTextCaller, p, systems, [&](int, int thread) { return lists.For(thread); }, true);
  for (Row& row : rows) row.add("price_list_entries", static_cast<uint64_t>(list.entries.size()));
  return rows;
}

// text-remote: the engine's shards served by commerce-shard-server, one process per shard,
// each in its own process group (SIGKILLed as a group when the case ends).
class ShardServers {
 public:
  ~ShardServers() {
    for (pid_t pid : pids_) {
      ::kill(-pid, SIGKILL);
      int status = 0;
      ::waitpid(pid, &status, 0);
    }
  }
  // Serves shard `shard` of the index under `index` (<store>/search); its "host:port".
  bool Start(const std::string& index, uint32_t shard, std::string* endpoint, std::string* error) {
    char self[4096];
    const ssize_t n = ::readlink("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0) return *error = "readlink /proc/self/exe failed", false;
    self[n] = '\0';
    std::string binary(self);
    binary = binary.substr(0, binary.rfind('/') + 1) + "commerce-shard-server";
    if (::access(binary.c_str(), X_OK) != 0) return *error = binary + " is not built", false;
    int fds[2];
    if (::pipe(fds) != 0) return *error = "pipe failed", false;
    std::fflush(nullptr);
    const pid_t pid = ::fork();
    if (pid < 0) return *error = "fork failed", false;
    if (pid == 0) {
      ::setpgid(0, 0);
      ::dup2(fds[1], 1);
      ::close(fds[0]);
      const std::string s = std::to_string(shard);
      ::execl(binary.c_str(), binary.c_str(), "--host", "127.0.0.1", "--port", "0", "--index", index.c_str(),
              "--shard", s.c_str(), static_cast<char*>(nullptr));
      ::_exit(127);
    }
    ::setpgid(pid, pid);
    pids_.push_back(pid);
    ::close(fds[1]);
    std::string line;
    char c;
    while (::read(fds[0], &c, 1) == 1 && c != '\n') line += c;
    ::close(fds[0]);
    const std::string prefix = "listening on ";
    if (line.rfind(prefix, 0) != 0) return *error = binary + " did not start: '" + line + "'", false;
    *endpoint = line.substr(prefix.size());
    return true;
  }

 private:
  std::vector<pid_t> pids_;
};

std::vector<Row> RunTextRemote(const Params& p, const SearchCorpus& corpus, Systems& s, WorkDir& work,
                               std::string* error) {
  auto st = EngineStats(*s.engine);
  if (!st.ok()) return *error = st.status().ToString(), std::vector<Row>{};
  ShardServers servers;
  EngineOptions eo;
  eo.path = work.Fresh("search-remote-reader");
  eo.run_background = false;
  eo.search.run_indexer = false;
  for (uint32_t i = 0; i < st->shards; ++i) {
    std::string endpoint;
    if (!servers.Start(s.engine_dir + "/search", i, &endpoint, error)) return {};
    eo.search.remote_shards.push_back({endpoint});
  }
  auto remote = Engine::open(eo);
  if (!remote.ok()) return *error = "Engine::open (remote shards): " + remote.status().ToString(), std::vector<Row>{};
  std::vector<QuerySystem> systems = MakeQuerySystems(s, Shape::kText, false, false);
  systems.resize(1);  // the engine on its local index
  Engine* far = remote->get();
  systems.push_back({kEngineSystem, "remote-shards",
                     [far](int, std::function<const CorpusQuery&(uint64_t)> next, AnswerCounts* counts) -> Op {
                       auto i = std::make_shared<uint64_t>(0);
                       return [=](std::string* e) {
                         auto res = far->search().query(ToEngineRequest(next((*i)++), Shape::kText, false));
                         if (!res.ok()) return *e = res.status().ToString(), false;
                         counts->Add(res->hits.size(), res->relaxed, 0);
                         return true;
                       };
                     },
                     s.engine_load.index_bytes});
  QueryLists lists(corpus, kText, p.queries_per_thread);  // the text case's own queries
  for (int t = 0; t < *std::max_element(p.threads.begin(), p.threads.end()); ++t) lists.For(t);
  auto rows = MeasureQueries(kTextRemote, p, systems, [&](int, int thread) { return lists.For(thread); }, false,
                             {}, [&](size_t, Row* row) { row->add("shards", static_cast<uint64_t>(st->shards)); });
  Status closed = (*remote)->close();
  if (!closed.ok()) Log("commerce-bench: search: text-remote: Engine::close: " + closed.ToString());
  work.Discard(eo.path);
  return rows;
}

// suggest: what a shopper has typed half-way through a query's last word.
std::string Typed(const std::string& text) {
  const size_t start = text.rfind(' ') == std::string::npos ? 0 : text.rfind(' ') + 1;
  const size_t word = text.size() - start;
  return text.substr(0, start + std::min(word, std::max<size_t>(2, (word + 1) / 2)));
}

// CPU time of the calling thread, ns.
uint64_t ThreadCpuNs() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1'000'000'000ull + static_cast<uint64_t>(ts.tv_nsec);
}

// Each suggestion's CPU time on its thread (Search::suggest runs on the caller's thread): on a
// loaded machine a suggestion waits for a core, so its elapsed time says as much about the
// machine as about the engine; its CPU time does not. Warm-up calls are included.
struct CpuSamples {
  std::mutex mu;
  std::vector<uint64_t> ns;
};

std::vector<Row> RunSuggest(const Params& p, const SearchCorpus& corpus, Systems& s) {
  Engine* engine = s.engine.get();
  auto cpu = std::make_shared<CpuSamples>();
  std::vector<QuerySystem> systems;
  systems.push_back({kEngineSystem, "lmdb",
                     [engine, cpu](int, std::function<const CorpusQuery&(uint64_t)> next, AnswerCounts* counts) -> Op {
                       auto i = std::make_shared<uint64_t>(0);
                       return [=](std::string* e) {
                         const uint64_t cpu0 = ThreadCpuNs();
                         auto res = engine->search().suggest({.text = Typed(next((*i)++).text), .limit = kSuggestions});
                         const uint64_t used = ThreadCpuNs() - cpu0;
                         {
                           std::lock_guard<std::mutex> lock(cpu->mu);
                           cpu->ns.push_back(used);
                         }
                         if (!res.ok()) return *e = res.status().ToString(), false;
                         counts->Add(res->suggestions.size(), false, 0);
                         return true;
                       };
                     },
                     s.engine_load.index_bytes});
  if (SqliteFts5Peer* fts = s.fts.get())
    systems.push_back({kSqliteFts5, "sqlite",
                       [fts](int, std::function<const CorpusQuery&(uint64_t)> next, AnswerCounts* counts) -> Op {
                         std::string error;
                         std::shared_ptr<SqliteFts5Peer::Searcher> searcher = fts->NewSearcher(&error);
                         auto i = std::make_shared<uint64_t>(0);
                         auto out = std::make_shared<std::vector<std::pair<std::string, uint64_t>>>();
                         return [=](std::string* e) {
                           if (!searcher) return *e = error, false;
                           if (!searcher->Suggest(Typed(next((*i)++).text), kSuggestions, out.get(), e)) return false;
                           counts->Add(out->size(), false, 0);
                           return true;
                         };
                       },
                       s.fts_load.index_bytes});
  QueryLists lists(corpus, kText, p.queries_per_thread);  // the text case's own queries, cut
  for (int t = 0; t < *std::max_element(p.threads.begin(), p.threads.end()); ++t) lists.For(t);
  auto add_cpu = [&](size_t k, Row* row) {
    if (k != 0) return;  // the engine's row
    std::lock_guard<std::mutex> lock(cpu->mu);
    const LatencySummary c = Summarize(cpu->ns);
    row->add("cpu_p50_ms", c.p50_ms);
    row->add("cpu_p99_ms", c.p99_ms);
    row->add("cpu_max_ms", c.max_ms);
    cpu->ns.clear();  // the next thread count's point starts afresh
  };
  return MeasureQueries(kSuggest, p, systems, [&](int, int thread) { return lists.For(thread); }, false, {}, add_cpu);
}

// ---------------------------------------------------------------------------------------
// 5. zipf-cached

// Asks every pool query once through the engine's cache, from 2 threads (not measured);
// returns the seconds it took (at 1M products, comparable to an entry's fresh + stale life).
double WarmCache(Engine& engine, const std::vector<CorpusQuery>& pool) {
  Log(std::string(kZipfCached) + ": warming the engine's cache with the " + std::to_string(pool.size()) +
      " pool queries...");
  const auto start = Clock::now();
  std::atomic<size_t> next{0};
  std::atomic<uint64_t> errors{0};
  std::vector<std::thread> warmers;
  for (int t = 0; t < 2; ++t) {
    warmers.emplace_back([&] {
      for (size_t i; (i = next.fetch_add(1)) < pool.size();)
        if (!engine.search().query(ToEngineRequest(pool[i], Shape::kText, true)).ok()) errors.fetch_add(1);
    });
  }
  for (auto& w : warmers) w.join();
  const double seconds = SecondsSince(start);
  Log(std::string(kZipfCached) + ": warmed in " + FormatSeconds(std::round(seconds * 10) / 10) +
      (errors.load() ? " (" + std::to_string(errors.load()) + " failed queries)" : ""));
  return seconds;
}

// The engine's answers in its windows that did not come from the cache (misses: the query
// ran), by the Zipf rank drawn: ranks 1-10, 11-100, 101-1,000, 1,001-10,000.
class MissesByRank {
 public:
  static constexpr size_t kBands = 4;
  void Count(size_t pool_index, bool from_cache) {
    if (!measuring_.load(std::memory_order_relaxed)) return;
    size_t band = 0;
    for (size_t top = 10; band + 1 < kBands && pool_index >= top; top *= 10) ++band;
    asked_[band].fetch_add(1, std::memory_order_relaxed);
    if (!from_cache) missed_[band].fetch_add(1, std::memory_order_relaxed);
  }
  void Measure(bool on) { measuring_.store(on); }
  // miss_rate_rank_1_10 ... miss_rate_rank_1001_10000, then zeroed for the next point.
  void AddTo(Row* row) {
    static constexpr const char* kNames[kBands] = {"1_10", "11_100", "101_1000", "1001_10000"};
    for (size_t b = 0; b < kBands; ++b) {
      const uint64_t asked = asked_[b].exchange(0), missed = missed_[b].exchange(0);
      row->add(std::string("miss_rate_rank_") + kNames[b],
               asked ? std::round(static_cast<double>(missed) / asked * 10000) / 10000 : 0.0);
    }
  }

 private:
  std::atomic<bool> measuring_{false};
  std::atomic<uint64_t> asked_[kBands]{}, missed_[kBands]{};
};

std::vector<Row> RunZipfCached(const Params& p, const SearchCorpus& corpus, Systems& s) {
  const std::vector<CorpusQuery> pool = corpus.QueryPool(kZipfPool, SeedFor("zipf-cached-pool", 0));
  const auto zipf = std::make_shared<ZipfTable>(pool.size());
  // Thread t draws pool entries by Zipf rank from SeedFor(case, t), one draw per op: the same
  // sequence for every system (each slice starts it afresh).
  const SequenceFn sequence = [&](int, int thread) {
    auto rng = std::make_shared<Rng>(SeedFor(kZipfCached, thread));
    return std::function<const CorpusQuery&(uint64_t)>(
        [&pool, zipf, rng](uint64_t) -> const CorpusQuery& { return pool[zipf->Draw(rng->next())]; });
  };
  std::vector<QuerySystem> systems = MakeQuerySystems(s, Shape::kText, true, false);
  // The engine's op again, also counting its misses by the rank drawn.
  auto by_rank = std::make_shared<MissesByRank>();
  systems[0].make = [engine = s.engine.get(), by_rank, &pool](int, std::function<const CorpusQuery&(uint64_t)> next,
                                                              AnswerCounts* counts) -> Op {
    auto i = std::make_shared<uint64_t>(0);
    return [=, &pool](std::string* e) {
      const CorpusQuery& q = next((*i)++);
      auto res = engine->search().query(ToEngineRequest(q, Shape::kText, true));
      if (!res.ok()) return *e = res.status().ToString(), false;
      counts->Add(res->hits.size(), res->relaxed, 0);
      by_rank->Count(static_cast<size_t>(&q - pool.data()), res->from_cache);
      return true;
    };
  };
  // The engine's cache counters over its windows.
  SearchStats before, window;
  double warm_s = 0;
  auto on_window = [&](size_t k, bool start) {
    if (k != 0) return;
    by_rank->Measure(start);
    auto st = EngineStats(*s.engine);
    if (!st.ok()) return;
    if (start) {
      before = *st;
      return;
    }
    window.cache_hits += st->cache_hits - before.cache_hits;
    window.cache_misses += st->cache_misses - before.cache_misses;
    window.cache_coalesced += st->cache_coalesced - before.cache_coalesced;
    window.cache_stale_served += st->cache_stale_served - before.cache_stale_served;
    window.queries += st->queries - before.queries;
    window.cache_entries = st->cache_entries;
  };
  auto add_extras = [&](size_t k, Row* row) {
    row->add("pool", static_cast<uint64_t>(pool.size()));
    if (k != 0) return;
    const double lookups = static_cast<double>(window.cache_hits + window.cache_misses);
    row->add("cache_hit_rate", Div(static_cast<double>(window.cache_hits), lookups));
    row->add("cache_coalesced", window.cache_coalesced);
    row->add("cache_stale_served", window.cache_stale_served);
    row->add("index_queries", window.queries);
    row->add("cache_entries", window.cache_entries);
    by_rank->AddTo(row);
    row->add("warm_s", std::round(warm_s * 10) / 10);
    window = SearchStats{};
  };
  // Steady state: before each thread count's point, every pool query is asked once through
  // the cache, as in a shop whose queries have all been asked before; entries then age as the
  // engine's options say (fresh for cache_ttl, then served stale while one background refresh
  // runs), and the window's hit rate is reported.
  std::vector<Row> rows;
  Params point = p;
  for (int threads : p.threads) {
    warm_s = WarmCache(*s.engine, pool);
    point.threads = {threads};
    for (Row& r : MeasureQueries(kZipfCached, point, systems, sequence, false, on_window, add_extras))
      rows.push_back(std::move(r));
  }
  return rows;
}

// ---------------------------------------------------------------------------------------
// 6. index-lag

std::vector<Row> RunIndexLag(const Params& p, const SearchCorpus& corpus, Systems& s) {
  Engine& engine = *s.engine;
  const double seconds = p.seconds;
  const auto total = static_cast<uint64_t>(seconds * kLagWritesPerS);
  struct Pending {
    uint64_t seq;
    Clock::time_point written;
  };
  std::mutex mu;
  std::deque<Pending> pending;
  std::vector<uint64_t> lag_ns, write_ns;
  lag_ns.reserve(total);
  write_ns.reserve(total);
  std::atomic<uint64_t> next{0}, errors{0};
  std::atomic<bool> writing{true};
  std::string first_error;
  Log(std::string(kIndexLag) + ": commerce/lmdb, " + std::to_string(total) + " upserts at " +
      std::to_string(static_cast<int>(kLagWritesPerS)) + "/s over " + FormatSeconds(seconds) + "...");

  // The poller: every ~2 ms, every write whose event the index has reached is searchable.
  std::atomic<bool> polling{true};
  std::string poll_error;
  std::thread poller([&] {
    while (polling.load()) {
      auto st = EngineStats(engine);
      const auto now = Clock::now();
      {
        std::lock_guard<std::mutex> lock(mu);
        if (!st.ok()) {
          poll_error = st.status().ToString();
          break;
        }
        while (!pending.empty() && pending.front().seq <= st->indexed_seq) {
          lag_ns.push_back(static_cast<uint64_t>(
              std::chrono::duration_cast<std::chrono::nanoseconds>(now - pending.front().written).count()));
          pending.pop_front();
        }
        if (!writing.load() && pending.empty()) break;
      }
      std::this_thread::sleep_for(kLagPoll);
    }
  });

  // The writers share one schedule: write k is due at start + k ms. A durable upsert waits for
  // its group's fsync, so a single thread could not keep 1,000/s on a disk whose fsync takes
  // more than 1 ms; kLagWriters threads take the due writes in turn.
  const auto start = Clock::now();
  std::vector<std::thread> writers;
  for (int w = 0; w < kLagWriters; ++w) {
    writers.emplace_back([&] {
      for (;;) {
        const uint64_t k = next.fetch_add(1);
        if (k >= total) return;
        std::this_thread::sleep_until(start + std::chrono::microseconds(static_cast<int64_t>(k * 1e6 / kLagWritesPerS)));
        Rng rng(SeedFor(kIndexLag, 0) ^ (k * 0x9e3779b97f4a7c15ull));
        const Product product = corpus.product(rng.uniform(corpus.size()), static_cast<uint32_t>(k + 1));
        const auto t0 = Clock::now();
        auto r = engine.catalog().upsert(product);
        auto seq = r.ok() ? engine.events().last_seq() : Result<uint64_t>(r.status());
        const auto t1 = Clock::now();
        std::lock_guard<std::mutex> lock(mu);
        if (!seq.ok()) {
          if (errors.fetch_add(1) == 0) first_error = seq.status().ToString();
          continue;
        }
        write_ns.push_back(static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(t1 - t0).count()));
        // Kept in seq order for the poller (writers finish out of order).
        auto it = pending.end();
        while (it != pending.begin() && std::prev(it)->seq > *seq) --it;
        pending.insert(it, {*seq, t1});
      }
    });
  }
  for (auto& w : writers) w.join();
  const double write_s = SecondsSince(start);
  writing.store(false);
  // Let the index catch up with the last writes (bounded).
  const auto drain_deadline = Clock::now() + std::chrono::seconds(60);
  for (;;) {
    {
      std::lock_guard<std::mutex> lock(mu);
      if (pending.empty() || !poll_error.empty()) break;
    }
    if (Clock::now() > drain_deadline) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  polling.store(false);
  poller.join();
  uint64_t unindexed = 0;
  {
    std::lock_guard<std::mutex> lock(mu);
    unindexed = pending.size();
  }

  TimedRunResult r;
  r.ops = write_ns.size();
  r.errors = errors.load();
  r.first_error = first_error;
  r.seconds = write_s;
  r.ops_per_s = Div(static_cast<double>(r.ops), write_s);
  const LatencySummary lag = Summarize(lag_ns);
  const LatencySummary write = Summarize(write_ns);
  r.latency = lag;  // p50_ms / p99_ms of this case are the lag
  Row row = MakeRow(kSuite, kIndexLag, kEngineSystem, "lmdb", kLagWriters, r);
  row.add("lag_p50_ms", lag.p50_ms);
  row.add("lag_p99_ms", lag.p99_ms);
  row.add("lag_max_ms", lag.max_ms);
  row.add("lag_mean_ms", lag.mean_ms);
  row.add("write_p50_ms", write.p50_ms);
  row.add("write_p99_ms", write.p99_ms);
  row.add("target_writes_per_s", kLagWritesPerS);
  row.add("writes_measured", static_cast<uint64_t>(lag_ns.size()));
  row.add("writes_not_indexed", unindexed);
  row.add("poll_ms", static_cast<double>(kLagPoll.count()));
  row.add("products", corpus.size());
  auto st = EngineStats(engine);
  if (st.ok()) row.add("index_bytes", st->index_bytes);
  AddMemory(&row);
  if (r.errors) Log("commerce-bench: search: index-lag: " + std::to_string(r.errors) + " failed upserts; first: " + first_error);
  if (!poll_error.empty()) Log("commerce-bench: search: index-lag: search().stats(): " + poll_error);
  if (unindexed)
    Log("commerce-bench: search: index-lag: " + std::to_string(unindexed) +
        " writes still not searchable 60 s after the last write");
  return {std::move(row)};
}

// index-lag with --keep: its writes change the catalog, which --keep keeps for the next run,
// so they go to a copy of the kept store (removed after). The kept engine is closed first (a
// copy of an open LMDB environment may be torn) and stays closed: index-lag is the last case.
std::vector<Row> RunIndexLagOnCopy(const Params& p, const SearchCorpus& corpus, Systems& s, WorkDir& work,
                                   std::string* error) {
  Status closed = s.engine->close();
  s.engine.reset();
  if (!closed.ok()) return *error = "Engine::close: " + closed.ToString(), std::vector<Row>{};
  const std::string copy = work.Fresh("search-commerce-lmdb-lag");
  std::error_code ec;
  std::filesystem::copy(s.engine_dir, copy, std::filesystem::copy_options::recursive, ec);
  if (ec) {
    work.Discard(copy);
    *error = "copying " + s.engine_dir + ": " + ec.message();
    return {};
  }
  Log("commerce-bench: search: index-lag on a copy of the kept store: " + copy);
  Systems lag;
  lag.engine_dir = copy;
  std::vector<Row> rows;
  if (ReopenEngine(corpus.size(), &lag, error)) rows = RunIndexLag(p, corpus, lag);
  if (lag.engine) {
    Status st = lag.engine->close();
    if (!st.ok()) Log("commerce-bench: search: index-lag: Engine::close: " + st.ToString());
    lag.engine.reset();
  }
  work.Discard(copy);
  return rows;
}

// ---------------------------------------------------------------------------------------
// 7. the suite

int RunSearchSuite(const BenchOptions& o, Reporter& reporter) {
  const Params p = ParamsFor(o);
  WorkDir work(o.dir);
  Log("commerce-bench search: scratch in " + work.path() + (o.quick ? " (quick)" : "") + ", " +
      std::to_string(p.records) + " products");
  const bool want_queries = o.WantCase(kText) || o.WantCase(kTextFacets) || o.WantCase(kTextFilters) ||
                            o.WantCase(kTextMultiselect);
  const bool want_peers = o.WantCase(kIndexImport) || want_queries || o.WantCase(kZipfCached);
  const bool want_fts = o.WantCase(kIndexImport) || want_queries || o.WantCase(kSuggest);

  const SearchCorpus corpus({.products = p.records});
  Systems s;
  std::string error;
  int rc = 0;
  // Every case needs the engine loaded; index-import measures that load (and the peers').
  if (!LoadEngine(corpus, work, o.keep, &s, &error)) {
    Log("commerce-bench: search: commerce/lmdb: " + error);
    return 1;
  }
  if (want_peers &&
      !LoadPeer(kRawXapian, corpus, work, o.keep, &s.xapian, &s.xapian_dir, &s.xapian_load, &error)) {
    Log("commerce-bench: search: raw-xapian skipped: " + error);
    s.xapian.reset();
    rc = 1;
  }
  if (want_queries) {
    s.xapian_shards = RawXapianPeer::OnEngineIndex(s.engine_dir, &error);
    if (!s.xapian_shards) {
      Log("commerce-bench: search: raw-xapian-shards skipped: " + error);
      rc = 1;
    }
  }
  if (want_fts && !LoadPeer(kSqliteFts5, corpus, work, o.keep, &s.fts, &s.fts_dir, &s.fts_load, &error)) {
    Log("commerce-bench: search: sqlite-fts5 skipped: " + error);
    s.fts.reset();
    rc = 1;
  }
  if (o.WantCase(kIndexImport) && s.reused) {
    Log("commerce-bench: search: index-import not measured: the stores were kept by an earlier run (--keep)");
  } else if (o.WantCase(kIndexImport)) {
    std::vector<Row> rows;
    rows.push_back(LoadRow(kEngineSystem, "lmdb", s.engine_load, p.records));
    if (s.xapian) rows.push_back(LoadRow(kRawXapian, "xapian", s.xapian_load, p.records));
    if (s.fts) rows.push_back(LoadRow(kSqliteFts5, "sqlite", s.fts_load, p.records));
    reporter.Emit(std::move(rows));
  }
  QuiesceDisk();
  if (o.WantCase(kText)) reporter.Emit(RunQueryCase(kText, Shape::kText, p, corpus, s));
  if (o.WantCase(kTextFacets)) reporter.Emit(RunQueryCase(kTextFacets, Shape::kTextFacets, p, corpus, s));
  if (o.WantCase(kTextFilters)) reporter.Emit(RunQueryCase(kTextFilters, Shape::kTextFilters, p, corpus, s));
  if (o.WantCase(kTextMultiselect))
    reporter.Emit(RunQueryCase(kTextMultiselect, Shape::kTextMultiselect, p, corpus, s));
  if (o.WantCase(kTextCaller)) {
    auto rows = RunTextCaller(p, corpus, s, &error);
    if (rows.empty()) Log("commerce-bench: search: text-caller skipped: " + error);
    else reporter.Emit(std::move(rows));
  }
  if (o.WantCase(kTextRemote)) {
    auto rows = RunTextRemote(p, corpus, s, work, &error);
    if (rows.empty()) Log("commerce-bench: search: text-remote skipped: " + error);
    else reporter.Emit(std::move(rows));
  }
  if (o.WantCase(kZipfCached)) reporter.Emit(RunZipfCached(p, corpus, s));
  if (o.WantCase(kSuggest)) reporter.Emit(RunSuggest(p, corpus, s));
  s.xapian.reset();
  s.xapian_shards.reset();
  s.fts.reset();
  if (o.WantCase(kIndexLag) && o.keep) {
    auto rows = RunIndexLagOnCopy(p, corpus, s, work, &error);
    if (rows.empty()) {
      Log("commerce-bench: search: index-lag skipped: " + error);
      rc = 1;
    } else {
      reporter.Emit(std::move(rows));
    }
  } else if (o.WantCase(kIndexLag)) {
    reporter.Emit(RunIndexLag(p, corpus, s));
  }

  if (s.engine) {
    Status closed = s.engine->close();
    if (!closed.ok()) Log("commerce-bench: search: Engine::close: " + closed.ToString());
    s.engine.reset();
  }
  if (!o.keep)
    for (const std::string* dir : {&s.engine_dir, &s.xapian_dir, &s.fts_dir})
      if (!dir->empty()) work.Discard(*dir);
  return rc;
}

}  // namespace

COMMERCE_BENCH_SUITE(search, "search",
                     "index-import, text, text-facets, text-filters, text-multiselect, text-caller, text-remote, zipf-cached, suggest, index-lag: "
                     "product search vs raw Xapian and SQLite FTS5 on a synthetic catalog, and over remote shards",
                     RunSearchSuite);

}  // namespace commerce::bench
