// Suite "storage": the cost of the storage seam against what a user writes by hand.
//
// Cases (README.md says why each peer is fair):
//   durable-write  durable single-record puts of ~100-byte values under keys drawn uniformly
//                  from N existing records (N = 1,000,000; --quick 100,000), from 1, 4, 16
//                  and 64 threads: the engine's Storage::write(sync=true) on its lmdb and
//                  sqlite drivers, beside raw-lmdb (a durable write txn per put) and sqlite
//                  (WAL, synchronous=FULL, a transaction per put, a connection per thread).
//   catalog-get    Catalog::get_by_sku of SKUs drawn uniformly from the SKUs of N products of
//                  the sample catalog (sample.h), decoded, from 1 and 2 threads, beside
//                  raw-lmdb gets of the same SKUs from an env holding each SKU's encoded
//                  product bytes.
//
// Every system of a case is loaded first; then at each thread count the systems are
// measured one after the other, seconds apart, so that they meet the same conditions of a
// shared machine (a shared disk's fsync latency drifts over minutes). Between points the
// engine is checkpointed and the disk flushed (sync(2)), outside any window, so that one
// system's background work (checkpoints, writeback) never lands in another's window.
//
// Map of this file: 1. parameters  2. durable-write (systems, then the case)
//                   3. catalog-get (products, systems, the case)  4. the suite.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <fstream>
#include <memory>
#include <mutex>
#include <numeric>
#include <string>
#include <thread>
#include <vector>

#include "commerce/catalog.h"
#include "commerce/engine.h"
#include "commerce/sample.h"
#include "commerce/storage.h"
#include "harness.h"
#include "peer_raw_lmdb.h"
#include "peer_sqlite.h"
#include "report.h"

namespace commerce::bench {
namespace {

// ---------------------------------------------------------------------------------------
// 1. parameters

constexpr char kSuite[] = "storage";
constexpr char kDurableWrite[] = "durable-write";
constexpr char kCatalogGet[] = "catalog-get";

// The value size of durable-write: a small record (an order line, a stock level, a cart).
constexpr size_t kValueBytes = 100;
// A raw LMDB map larger than any store here: address space only (without MDB_WRITEMAP the
// file grows as pages are written).
constexpr size_t kRawMapBytes = size_t{64} << 30;

struct CaseParams {
  uint64_t records;
  double warmup_s;
  double seconds;
  std::vector<int> threads;
  int rounds;  // slices per point; the systems take turns slice by slice (harness.h)

  double slice_seconds() const { return seconds / rounds; }
  // The first slice of a point warms up fully; later ones only restart their threads.
  double slice_warmup(int round) const { return round == 0 ? warmup_s : warmup_s / 4; }
};

CaseParams ParamsFor(const BenchOptions& o, uint64_t records, uint64_t quick_records,
                     double warmup_s, double quick_warmup_s, std::vector<int> threads) {
  CaseParams p;
  p.records = o.records ? o.records : (o.quick ? quick_records : records);
  p.warmup_s = o.quick ? quick_warmup_s : warmup_s;
  p.seconds = o.seconds > 0 ? o.seconds : (o.quick ? 1.0 : 5.0);
  p.threads = o.threads.empty() ? std::move(threads) : o.threads;
  p.rounds = o.rounds > 0 ? o.rounds : (o.quick ? 1 : 5);
  return p;
}

std::string RoundLabel(const CaseParams& p, int round) {
  return SliceLabel(p.rounds, round, p.seconds, p.slice_seconds());
}

// ---------------------------------------------------------------------------------------
// 2. durable-write

// Record i of the preload: its key and a value from a stream seeded by the case, the same
// for every system.
RawLmdb::Generator PreloadGenerator() {
  auto rng = std::make_shared<Rng>(SeedFor("durable-write-preload", 0));
  return [rng](uint64_t i, std::string* key, std::string* value) {
    RecordKey(i, key);
    FillValue(*rng, kValueBytes, value);
  };
}

// What every writer thread of every system does before its put: draw the key uniformly from
// the N records, and make a fresh value. Seeded by thread, so each system sees the same
// sequence of (key, value) per thread.
struct WriteStream {
  WriteStream(int thread, uint64_t records)
      : keys(SeedFor(kDurableWrite, thread)),
        values(SeedFor(kDurableWrite, thread) ^ 0x5bd1e995u),
        n(records) {}
  void Next() {
    RecordKey(keys.uniform(n), &key);
    FillValue(values, kValueBytes, &value);
  }
  Rng keys;
  Rng values;
  uint64_t n;
  std::string key;
  std::string value;
};

// One system under test in durable-write.
class KvSystem {
 public:
  KvSystem(std::string system, std::string driver)
      : system_(std::move(system)), driver_(std::move(driver)) {}
  virtual ~KvSystem() = default;
  const std::string& system() const { return system_; }
  const std::string& driver() const { return driver_; }
  std::string label() const { return system_ + "/" + driver_; }

  virtual bool Open(const std::string& dir, std::string* error) = 0;
  virtual bool Load(uint64_t n, std::string* error) = 0;
  // The op of one writer thread: one durable put of WriteStream's next (key, value).
  virtual WorkerFactory Writers(uint64_t n) = 0;
  virtual void OnMeasureStart() {}
  virtual void OnMeasureEnd() {}
  virtual void AddExtras(Row*) {}
  // Called outside any measured window, after loading and after each point: finish any
  // background work now, so that none of it runs during another system's window.
  virtual void Quiesce() {}
  virtual bool Close(std::string* error) = 0;

 protected:
  std::string system_;
  std::string driver_;
};

// The engine: Storage::write(mutation) with sync = true, through OpenStorage.
class EngineKv final : public KvSystem {
 public:
  explicit EngineKv(std::string driver) : KvSystem(kEngineSystem, std::move(driver)) {}

  bool Open(const std::string& dir, std::string* error) override {
    StorageOptions so;
    so.driver = driver_;
    so.path = dir;
    auto s = OpenStorage(so);
    if (!s.ok()) return Fail(s.status(), "OpenStorage", error);
    storage_ = std::move(*s);
    auto t = storage_->table("bench");
    if (!t.ok()) return Fail(t.status(), "table(\"bench\")", error);
    table_ = *t;
    return true;
  }

  // Batches of kBatch puts, each one mutation written with sync = false, a few in flight so
  // the writer never waits for the loader; one sync() at the end.
  bool Load(uint64_t n, std::string* error) override {
    constexpr uint64_t kBatch = 2000;
    constexpr int kInFlight = 8;
    Progress progress("loading " + std::to_string(n) + " records into " + label(), n);
    auto gen = PreloadGenerator();
    std::mutex mu;
    std::condition_variable cv;
    int in_flight = 0;
    uint64_t done = 0;
    Status first_error;
    for (uint64_t i = 0; i < n;) {
      auto batch = std::make_shared<std::vector<std::pair<std::string, std::string>>>();
      const uint64_t end = std::min(n, i + kBatch);
      batch->resize(end - i);
      for (auto& kv : *batch) gen(i++, &kv.first, &kv.second);
      {
        std::unique_lock<std::mutex> lock(mu);
        cv.wait(lock, [&] { return in_flight < kInFlight; });
        if (!first_error.ok()) break;
        ++in_flight;
        progress.Update(done);
      }
      const Table table = table_;
      const uint64_t size = batch->size();
      storage_->write_async(
          [batch, table](WriteTxn& txn) -> Status {
            for (const auto& [k, v] : *batch) COMMERCE_RETURN_IF_ERROR(txn.put(table, k, v));
            return Status::OK();
          },
          WriteOptions{.sync = false},
          [&, size](Status s) {
            std::lock_guard<std::mutex> lock(mu);
            if (!s.ok() && first_error.ok()) first_error = s;
            done += size;
            --in_flight;
            cv.notify_all();
          });
    }
    {
      std::unique_lock<std::mutex> lock(mu);
      cv.wait(lock, [&] { return in_flight == 0; });
    }
    if (!first_error.ok()) return Fail(first_error, "preload write", error);
    Status s = storage_->sync();
    if (!s.ok()) return Fail(s, "sync after preload", error);
    progress.Done(n);
    return true;
  }

  WorkerFactory Writers(uint64_t n) override {
    return [this, n](int thread) -> Op {
      auto stream = std::make_shared<WriteStream>(thread, n);
      return [this, stream](std::string* error) {
        stream->Next();
        const Table table = table_;
        const std::string& key = stream->key;
        const std::string& value = stream->value;
        Status s = storage_->write([&](WriteTxn& txn) { return txn.put(table, key, value); });
        if (!s.ok()) {
          *error = s.ToString();
          return false;
        }
        return true;
      };
    };
  }

  // A checkpoint now (LMDB: sync the data file, trim the log) rather than by the writer's
  // idle tick during a peer's window. Checkpoints the engine needs *during* its own window
  // (log past lmdb_checkpoint_bytes, or lmdb_checkpoint_interval_ms elapsed) still happen
  // there, and are counted in `checkpoints`.
  void Quiesce() override {
    Status s = storage_->checkpoint();
    if (!s.ok() && !s.IsNotSupported()) Log("commerce-bench: " + label() + ": checkpoint: " + s.ToString());
  }

  void OnMeasureStart() override { before_ = storage_->stats(); }
  // Adds this window's counters to those of the point's earlier slices.
  void OnMeasureEnd() override {
    const StorageStats after = storage_->stats();
    window_.groups += after.groups - before_.groups;
    window_.mutations += after.mutations - before_.mutations;
    window_.durable_syncs += after.durable_syncs - before_.durable_syncs;
    window_.pages_written += after.pages_written - before_.pages_written;
    window_.log_bytes += after.log_bytes - before_.log_bytes;
    window_.checkpoints += after.checkpoints - before_.checkpoints;
    knows_pages_ |= after.pages_written > 0 || after.log_bytes > 0;
  }

  // The point's counters, then a fresh start for the next point.
  void AddExtras(Row* row) override {
    const auto groups = static_cast<double>(window_.groups);
    const auto mutations = static_cast<double>(window_.mutations);
    row->add("avg_group_size", Div(mutations, groups));
    row->add("syncs_per_op", Div(static_cast<double>(window_.durable_syncs), mutations));
    // Only the LMDB driver knows its page writes and keeps a log of its own.
    if (knows_pages_) {
      row->add("pages_per_commit", Div(static_cast<double>(window_.pages_written), groups));
      row->add("log_bytes_per_op", Div(static_cast<double>(window_.log_bytes), mutations));
    }
    row->add("checkpoints", window_.checkpoints);
    window_ = StorageStats{};
  }

  bool Close(std::string* error) override {
    Status s = storage_->close();
    storage_.reset();
    if (!s.ok()) return Fail(s, "close", error);
    return true;
  }

 private:
  bool Fail(const Status& s, const char* what, std::string* error) {
    *error = label() + ": " + what + ": " + s.ToString();
    return false;
  }

  std::unique_ptr<Storage> storage_;
  Table table_;
  StorageStats before_;
  StorageStats window_;  // summed over the slices of the current point
  bool knows_pages_ = false;
};

class RawLmdbKv final : public KvSystem {
 public:
  RawLmdbKv() : KvSystem("raw-lmdb", "lmdb") {}
  bool Open(const std::string& dir, std::string* error) override {
    db_ = RawLmdb::Open(dir, kRawMapBytes, error);
    return db_ != nullptr;
  }
  bool Load(uint64_t n, std::string* error) override {
    Progress progress("loading " + std::to_string(n) + " records into " + label(), n);
    if (!db_->Load(n, PreloadGenerator(), &progress, error)) return false;
    progress.Done(n);
    return true;
  }
  WorkerFactory Writers(uint64_t n) override {
    return [this, n](int thread) -> Op {
      auto stream = std::make_shared<WriteStream>(thread, n);
      return [this, stream](std::string* error) {
        stream->Next();
        return db_->Put(stream->key, stream->value, error);
      };
    };
  }
  bool Close(std::string*) override {
    db_.reset();
    return true;
  }

 private:
  std::unique_ptr<RawLmdb> db_;
};

class SqliteKv final : public KvSystem {
 public:
  SqliteKv() : KvSystem("sqlite", "sqlite") {}
  bool Open(const std::string& dir, std::string* error) override {
    db_ = SqlitePeer::Open(dir, error);
    return db_ != nullptr;
  }
  bool Load(uint64_t n, std::string* error) override {
    Progress progress("loading " + std::to_string(n) + " records into " + label(), n);
    if (!db_->Load(n, PreloadGenerator(), &progress, error)) return false;
    progress.Done(n);
    return true;
  }
  WorkerFactory Writers(uint64_t n) override {
    return [this, n](int thread) -> Op {
      auto stream = std::make_shared<WriteStream>(thread, n);
      std::string error;
      std::shared_ptr<SqlitePeer::Writer> writer = db_->NewWriter(&error);
      if (!writer) {
        return [error](std::string* e) {
          *e = error;
          return false;
        };
      }
      return [stream, writer](std::string* e) {
        stream->Next();
        return writer->Put(stream->key, stream->value, e);
      };
    };
  }
  bool Close(std::string*) override {
    db_.reset();
    return true;
  }

 private:
  std::unique_ptr<SqlitePeer> db_;
};

int RunDurableWrite(const BenchOptions& o, Reporter& reporter, WorkDir& work) {
  const CaseParams p = ParamsFor(o, 1'000'000, 100'000, 1.0, 0.25, {1, 4, 16, 64});
  std::vector<std::unique_ptr<KvSystem>> candidates;
  for (const char* driver : {"lmdb", "sqlite"})
    if (o.drivers.empty() || std::find(o.drivers.begin(), o.drivers.end(), driver) != o.drivers.end())
      candidates.push_back(std::make_unique<EngineKv>(driver));
  candidates.push_back(std::make_unique<RawLmdbKv>());
  candidates.push_back(std::make_unique<SqliteKv>());

  // Every system is loaded first; then, thread count by thread count, each is measured in
  // turn, so that the engine and its peers at one thread count are measured seconds apart,
  // under the same disk conditions (a shared disk's fsync latency drifts over minutes).
  struct Loaded {
    std::unique_ptr<KvSystem> sys;
    std::string dir;
  };
  std::vector<Loaded> systems;
  int rc = 0;
  for (auto& sys : candidates) {
    const std::string dir = work.Fresh(std::string(kDurableWrite) + "-" + sys->system() + "-" + sys->driver());
    std::string error;
    if (!sys->Open(dir, &error) || !sys->Load(p.records, &error)) {
      Log("commerce-bench: " + std::string(kDurableWrite) + ": " + sys->label() + " skipped: " + error);
      sys->Close(&error);
      work.Discard(dir);
      rc = 1;
      continue;
    }
    sys->Quiesce();
    systems.push_back({std::move(sys), dir});
  }

  std::vector<Row> rows;
  for (int threads : p.threads) {
    std::vector<TimedRunResult> results(systems.size());
    std::vector<std::vector<double>> fsync_ms(systems.size());
    for (int round = 0; round < p.rounds; ++round) {
      for (size_t k = 0; k < systems.size(); ++k) {
        KvSystem& sys = *systems[k].sys;
        // Flush everything the previous slice left dirty, so that its writeback does not
        // land in this one, then take the disk's fsync latency now, beside the figures it
        // explains.
        QuiesceDisk();
        const double probe = ProbeFsyncMs(systems[k].dir);
        fsync_ms[k].push_back(probe);
        Log(std::string(kDurableWrite) + ": " + sys.label() + ", " + std::to_string(threads) +
            " threads, " + RoundLabel(p, round) + " (disk fsync now " + FormatMs(probe) + ")...");
        TimedRunOptions ro;
        ro.threads = threads;
        ro.warmup_s = p.slice_warmup(round);
        ro.seconds = p.slice_seconds();
        ro.reserve_samples_per_thread = 1 << 14;
        ro.on_measure_start = [&] { sys.OnMeasureStart(); };
        ro.on_measure_end = [&] { sys.OnMeasureEnd(); };
        Accumulate(&results[k], RunTimed(ro, sys.Writers(p.records)));
        sys.Quiesce();
      }
    }
    for (size_t k = 0; k < systems.size(); ++k) {
      KvSystem& sys = *systems[k].sys;
      const TimedRunResult& r = results[k];
      Row row = MakeRow(kSuite, kDurableWrite, sys.system(), sys.driver(), threads, r);
      sys.AddExtras(&row);
      row.add("disk_fsync_ms", Median(fsync_ms[k]));
      row.add("records", p.records);
      row.add("value_bytes", static_cast<uint64_t>(kValueBytes));
      if (p.rounds > 1) row.add("rounds", p.rounds);
      if (r.errors) Log("commerce-bench: " + sys.label() + ": " + std::to_string(r.errors) +
                        " failed writes; first: " + r.first_error);
      rows.push_back(std::move(row));
    }
  }
  for (auto& [sys, dir] : systems) {
    std::string error;
    if (!sys->Close(&error)) {
      Log("commerce-bench: " + error);
      rc = 1;
    }
    work.Discard(dir);
  }
  reporter.Emit(std::move(rows));
  return rc;
}

// ---------------------------------------------------------------------------------------
// 3. catalog-get

// Every SKU of the N products, product by product: skus[offsets[i] .. offsets[i+1]) are
// product i's. The engine and the peer draw from this one list.
struct SkuIndex {
  std::vector<std::string> skus;
  std::vector<uint64_t> offsets;
};

SkuIndex IndexSkus(const SampleCatalog& products, uint64_t n) {
  SkuIndex index;
  index.skus.reserve(n * 2);
  index.offsets.reserve(n + 1);
  for (uint64_t i = 0; i < n; ++i) {
    index.offsets.push_back(index.skus.size());
    for (auto& v : products.product(i).variants) index.skus.push_back(std::move(v.sku));
  }
  index.offsets.push_back(index.skus.size());
  return index;
}

// Loads the products with Catalog::upsert from many threads, so that group commit batches
// them (each upsert is one durable write). Returns products/s, or 0 on failure.
double UpsertCatalog(Engine& engine, const SampleCatalog& products, uint64_t n, std::string* error) {
  constexpr int kLoaders = 64;
  Progress progress("loading " + std::to_string(n) + " products into commerce/lmdb (Catalog::upsert, " +
                        std::to_string(kLoaders) + " threads)",
                    n);
  std::atomic<uint64_t> done{0};
  std::atomic<bool> failed{false};
  std::mutex mu;
  std::vector<std::thread> loaders;
  for (int t = 0; t < kLoaders; ++t) {
    loaders.emplace_back([&, t] {
      for (uint64_t i = t; i < n && !failed.load(std::memory_order_relaxed); i += kLoaders) {
        auto r = engine.catalog().upsert(products.product(i));
        if (!r.ok()) {
          std::lock_guard<std::mutex> lock(mu);
          if (!failed.exchange(true)) *error = "upsert(" + SampleCatalog::ProductId(i) + "): " + r.status().ToString();
          return;
        }
        done.fetch_add(1, std::memory_order_relaxed);
      }
    });
  }
  for (;;) {
    uint64_t d = done.load();
    if (d >= n || failed.load()) break;
    progress.Update(d);
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  for (auto& t : loaders) t.join();
  if (failed.load()) return 0;
  return progress.Done(n);
}

// Loads the catalog the way a shop would: the products as a JSON Lines file (ProductToJson,
// the native import schema) and Catalog::import_file. Falls back to UpsertCatalog when the
// import does not take every product. Returns products/s of the load proper (not counting
// the writing of the file), or 0 on failure; *how says which path loaded it.
double LoadCatalog(Engine& engine, const SampleCatalog& products, uint64_t n,
                   const std::string& scratch, std::string* how, std::string* error) {
  for (const Category& c : products.categories()) {
    Status s = engine.catalog().upsert_category(c);
    if (!s.ok()) {
      *error = "upsert_category(" + c.id + "): " + s.ToString();
      return 0;
    }
  }
  const std::string file = scratch + "/products.jsonl";
  {
    Progress progress("writing " + std::to_string(n) + " products to " + file, n);
    std::ofstream out(file);
    products.write_jsonl(out, [&](uint64_t done) { progress.Update(done); });
    out.close();
    if (!out) {
      *error = "cannot write " + file;
      return 0;
    }
    progress.Done(n);
  }
  double rate = 0;
  {
    Progress progress("importing " + std::to_string(n) + " products into commerce/lmdb (Catalog::import_file)", n);
    ImportOptions io;
    io.format = "jsonl";
    io.progress = [&](const ImportProgress& p) { progress.Update(p.imported); };
    auto report = engine.catalog().import_file(file, io);
    std::remove(file.c_str());
    if (report.ok() && report->imported == n && report->rejected == 0) {
      *how = "import_file";
      rate = progress.Done(n);
    } else {
      std::string why = !report.ok() ? report.status().ToString()
                                     : std::to_string(report->imported) + " imported, " +
                                           std::to_string(report->rejected) + " rejected" +
                                           (report->rejections.empty()
                                                ? ""
                                                : " (first: line " + std::to_string(report->rejections[0].line) +
                                                      " " + report->rejections[0].field + ": " +
                                                      report->rejections[0].reason + ")");
      Log("commerce-bench: catalog-get: import_file did not load every product: " + why +
          "; loading with Catalog::upsert instead");
      *how = "upsert";
      rate = UpsertCatalog(engine, products, n, error);
      if (rate == 0) return 0;
    }
  }
  auto stats = engine.catalog().stats();
  if (!stats.ok() || stats->products != n) {
    *error = "after loading, catalog stats say " +
             (stats.ok() ? std::to_string(stats->products) + " products" : stats.status().ToString()) +
             ", expected " + std::to_string(n);
    return 0;
  }
  return rate;
}

// The raw-LMDB twin of the catalog: for every SKU, the encoded bytes of its product (read
// back from the engine's own products table, so the sizes are exactly the engine's), keyed
// by the SKU string. The engine's table is keyed by the order-preserving encoding of the
// product id, so a scan visits products in id order; each value is checked to hold its id.
bool BuildRawCatalog(Engine& engine, const SkuIndex& index, uint64_t n, RawLmdb* raw,
                     double* avg_value_bytes, std::string* error) {
  std::vector<std::string> ids(n);
  for (uint64_t i = 0; i < n; ++i) ids[i] = SampleCatalog::ProductId(i);
  std::vector<uint64_t> by_id(n);
  std::iota(by_id.begin(), by_id.end(), 0);
  std::sort(by_id.begin(), by_id.end(), [&](uint64_t a, uint64_t b) { return ids[a] < ids[b]; });
  auto table = engine.storage().table("products");
  if (!table.ok()) return *error = "table(products): " + table.status().ToString(), false;
  auto txn = engine.storage().read();
  if (!txn.ok()) return *error = "read(): " + txn.status().ToString(), false;
  auto cursor = (*txn)->cursor(*table);
  cursor->seek_to_first();

  uint64_t product = 0;  // position in by_id of the product being written
  uint64_t sku_pos = 0;  // SKUs of it written so far
  uint64_t value_bytes = 0;
  std::string value;
  bool mismatch = false;
  std::string mismatch_what;
  auto next_product = [&]() {
    if (!cursor->valid()) {
      mismatch = true;
      mismatch_what = "the products table ended after " + std::to_string(product) + " products";
      return;
    }
    value.assign(cursor->value());
    value_bytes += value.size();
    const std::string& id = ids[by_id[product]];
    if (value.find(id) == std::string::npos && !mismatch) {
      mismatch = true;
      mismatch_what = "product #" + std::to_string(product) + " in the table is not " + id;
    }
    cursor->next();
  };
  const uint64_t total = index.skus.size();
  Progress progress("loading " + std::to_string(total) + " SKU -> encoded product records into raw-lmdb", total);
  bool ok = raw->Load(
      total,
      [&](uint64_t, std::string* key, std::string* v) {
        // Called once per SKU, in order: product by product (in id order), SKU by SKU.
        const uint64_t i = by_id[product];
        if (sku_pos == 0) next_product();
        *key = index.skus[index.offsets[i] + sku_pos];
        *v = value;
        if (++sku_pos == index.offsets[i + 1] - index.offsets[i]) {
          sku_pos = 0;
          ++product;
        }
      },
      &progress, error);
  if (!ok) return false;
  if (mismatch) return *error = "raw-lmdb catalog: " + mismatch_what, false;
  if (!cursor->status().ok()) return *error = "scan products: " + cursor->status().ToString(), false;
  progress.Done(total);
  *avg_value_bytes = Div(static_cast<double>(value_bytes), static_cast<double>(n));
  return true;
}

// Reads every record of the engine's `tables` once through a cursor (a byte of each value),
// so that their pages are in the map before a window (RawLmdb::Warm does the peer's).
bool WarmTables(Engine& engine, const std::vector<std::string>& tables, std::string* error) {
  auto txn = engine.storage().read();
  if (!txn.ok()) return *error = "read(): " + txn.status().ToString(), false;
  volatile unsigned char sink = 0;
  for (const auto& name : tables) {
    auto table = engine.storage().table(name);
    if (!table.ok()) return *error = "table(" + name + "): " + table.status().ToString(), false;
    auto cursor = (*txn)->cursor(*table);
    for (cursor->seek_to_first(); cursor->valid(); cursor->next())
      if (!cursor->value().empty()) sink = sink + static_cast<unsigned char>(cursor->value().back());
    if (!cursor->status().ok()) return *error = "scan " + name + ": " + cursor->status().ToString(), false;
  }
  return true;
}

int RunCatalogGet(const BenchOptions& o, Reporter& reporter, WorkDir& work) {
  const CaseParams p = ParamsFor(o, 1'000'000, 100'000, 0.5, 0.2, {1, 2});
  const uint64_t n = p.records;
  SampleCatalogOptions so;
  so.products = n;
  const SampleCatalog products(so);
  Log(std::string(kCatalogGet) + ": generating " + std::to_string(n) + " products' SKUs...");
  const SkuIndex index = IndexSkus(products, n);
  const auto reserve = static_cast<size_t>(std::min(5e6 * p.seconds, 2e7));

  // Load the engine, then build the peer from the engine's own bytes; both stay open and
  // are measured turn about at each thread count (engine, then peer, seconds apart).
  const std::string engine_dir = work.Fresh(std::string(kCatalogGet) + "-commerce-lmdb");
  const std::string raw_dir = work.Fresh(std::string(kCatalogGet) + "-raw-lmdb");
  EngineOptions eo;
  eo.path = engine_dir;
  // No search indexer: the case measures reads, and an indexer that has caught up does
  // nothing while they run. One working through the load's events (a whole catalog) takes a
  // core the peer's windows have to themselves: a profile of the engine's 1-thread window at
  // 100k products showed the commerce-index thread busy beside it; waiting for it instead
  // took 88 s at 100k products and longer than the whole load at 1M on a busy machine.
  eo.search.run_indexer = false;
  auto engine = Engine::open(eo);
  if (!engine.ok()) {
    Log("commerce-bench: catalog-get: Engine::open: " + engine.status().ToString());
    return 1;
  }
  std::string error, how;
  const double load_rate = LoadCatalog(**engine, products, n, work.path(), &how, &error);
  if (load_rate == 0) {
    Log("commerce-bench: catalog-get: load failed: " + error);
    return 1;
  }
  double avg_value_bytes = 0;
  std::unique_ptr<RawLmdb> raw = RawLmdb::Open(raw_dir, kRawMapBytes, &error);
  if (!raw || !BuildRawCatalog(**engine, index, n, raw.get(), &avg_value_bytes, &error)) {
    Log("commerce-bench: catalog-get: raw-lmdb peer: " + error);
    return 1;
  }
  Status checkpoint = (*engine)->storage().checkpoint();
  if (!checkpoint.ok()) Log("commerce-bench: catalog-get: checkpoint: " + checkpoint.ToString());
  // Both stores read once, whole, before any window: at 1M products a window of a few seconds
  // touches mostly pages its process has not mapped yet, and measured page faults (and, on a
  // busy machine, disk reads), not reads: the peer's store, a product per SKU, is twice the
  // engine's, and its P99 at one thread was 7 ms without this.
  // Every table a get may read: sku_products (one copy of its product per SKU, what get_by_sku
  // reads), and skus and products (what it reads for a product written before that table).
  Log(std::string(kCatalogGet) + ": reading both stores once (the engine's sku_products, skus and products, raw-lmdb's records)");
  if (!WarmTables(**engine, {"sku_products", "skus", "products"}, &error) || raw->Warm(&error) == 0) {
    Log("commerce-bench: catalog-get: warming the stores: " + error);
    return 1;
  }
  QuiesceDisk();

  Catalog& catalog = (*engine)->catalog();
  // The engine: a product by SKU, decoded.
  const WorkerFactory engine_gets = [&](int thread) -> Op {
    auto rng = std::make_shared<Rng>(SeedFor(kCatalogGet, thread));
    return [&, rng](std::string* e) {
      const std::string& sku = index.skus[rng->uniform(index.skus.size())];
      auto product = catalog.get_by_sku(sku);
      if (!product.ok()) return *e = product.status().ToString(), false;
      if (product->variants.empty()) return *e = "decoded product without variants", false;
      return true;
    };
  };
  // The peer: the same SKU sequences, a reset/renewed read txn per get, the value copied out.
  const WorkerFactory raw_gets = [&](int thread) -> Op {
    auto rng = std::make_shared<Rng>(SeedFor(kCatalogGet, thread));
    std::string reader_error;
    std::shared_ptr<RawLmdb::Reader> reader = raw->NewReader(&reader_error);
    auto value = std::make_shared<std::string>();
    return [&, rng, reader, value, reader_error](std::string* e) {
      if (!reader) return *e = reader_error, false;
      const std::string& sku = index.skus[rng->uniform(index.skus.size())];
      return reader->Get(sku, value.get(), e);
    };
  };
  struct System {
    const char* name;
    const WorkerFactory* gets;
  };
  const System systems[] = {{kEngineSystem, &engine_gets}, {"raw-lmdb", &raw_gets}};

  std::vector<Row> rows;
  for (int threads : p.threads) {
    std::vector<TimedRunResult> results(std::size(systems));
    for (int round = 0; round < p.rounds; ++round) {
      for (size_t k = 0; k < std::size(systems); ++k) {
        Log(std::string(kCatalogGet) + ": " + systems[k].name + "/lmdb, " + std::to_string(threads) +
            " threads, " + RoundLabel(p, round) + "...");
        TimedRunOptions ro;
        ro.threads = threads;
        ro.warmup_s = p.slice_warmup(round);
        ro.seconds = p.slice_seconds();
        ro.reserve_samples_per_thread = reserve / threads / p.rounds;
        Accumulate(&results[k], RunTimed(ro, *systems[k].gets));
      }
    }
    for (size_t k = 0; k < std::size(systems); ++k) {
      const System& sys = systems[k];
      const TimedRunResult& r = results[k];
      Row row = MakeRow(kSuite, kCatalogGet, sys.name, "lmdb", threads, r);
      row.add("records", n);
      row.add("skus", static_cast<uint64_t>(index.skus.size()));
      row.add("value_bytes", avg_value_bytes);
      if (sys.gets == &engine_gets) {
        row.add("load_per_s", load_rate);
        row.add("loaded_by", how);
      }
      if (p.rounds > 1) row.add("rounds", p.rounds);
      if (r.errors) Log("commerce-bench: catalog-get: " + std::string(sys.name) + ": " +
                        std::to_string(r.errors) + " failed gets; first: " + r.first_error);
      rows.push_back(std::move(row));
    }
  }

  raw.reset();
  Status s = (*engine)->close();
  if (!s.ok()) Log("commerce-bench: catalog-get: Engine::close: " + s.ToString());
  engine->reset();
  work.Discard(engine_dir);
  work.Discard(raw_dir);
  reporter.Emit(std::move(rows));
  return 0;
}

// ---------------------------------------------------------------------------------------
// 4. the suite

int RunStorageSuite(const BenchOptions& o, Reporter& reporter) {
  WorkDir work(o.dir);
  Log("commerce-bench storage: scratch in " + work.path() + (o.quick ? " (quick)" : ""));
  int rc = 0;
  if (o.WantCase(kDurableWrite)) rc |= RunDurableWrite(o, reporter, work);
  if (o.WantCase(kCatalogGet)) rc |= RunCatalogGet(o, reporter, work);
  return rc;
}

}  // namespace

COMMERCE_BENCH_SUITE(storage, "storage",
                     "durable-write (durable single-record puts vs raw LMDB and SQLite) and "
                     "catalog-get (get_by_sku vs raw LMDB gets)",
                     RunStorageSuite);

}  // namespace commerce::bench
