// Suite "orders": durable order placement and cart edits on a seed-shaped shop, beside a
// hand-written SQLite peer doing the same orders on the same data (README.md says why the
// peer is fair).
//
// The shop (the same for every system):
//   - N SKUs (default 1,000,000; --quick 100,000; --skus N, or --records N): products 0..N-1 of the sample catalog (sample.h), each trimmed to its
//     first variant, written as JSON Lines and loaded with Catalog::import_file;
//   - W warehouses (default 200; --warehouses W) in regions region-0..region-9, each SKU
//     stocked in 2-4 of them (a deterministic hash of the SKU), with stock proportional to the
//     SKU's Zipf popularity so that most orders find stock (the out-of-stock rate is reported);
//   - 10,000 customers.
//
// Cases:
//   orders-place  clients (1, 16, 64) each placing orders of 1-5 lines (3 on average) of
//                 distinct SKUs drawn with Zipf popularity (SampleCatalog::popular_index),
//                 quantities 1-3, a random customer, a shipping address in a random region,
//                 a unique idempotency key: Orders::place with explicit lines, durable.
//   cart-add-set  clients (1, 16, 64) each editing their own cart: add(Zipf SKU, 1) and
//                 set_quantity(a SKU of the cart, 1..5) alternately, 20 edits a cart, then the
//                 next cart of a pool created up front; durable.
//   orders-hot-sku  a flash sale: clients (1, 16, 64) all buying one SKU, one unit an order,
//                 from one stock record (one warehouse), otherwise as orders-place. The SKU is
//                 the catalog's least popular one, which orders-place never draws, so after
//                 the case its stock must have dropped by exactly the orders acknowledged:
//                 each row reports hot_stock_start, hot_units_sold, hot_stock_left, oversold
//                 and stock_mismatch (both 0, or the suite fails). The engine runs it twice
//                 per point: on that plain stock record (system "commerce") and on the
//                 second least popular SKU, stocked alike but split into kHotSkuSlots slots
//                 (Inventory::split_stock; system "commerce-split", with ratio_to_plain_row).
// Systems: commerce on lmdb and on sqlite (engine rows), and the peer sqlite
// (peer_sqlite_orders.h). Every system draws the very same order and cart streams (seeded by
// case, thread count, round and thread).
//
// As in suite storage: every system is loaded first; each point is measured in --rounds
// slices, the systems taking turns slice by slice, with the disk's fsync latency probed before
// each slice (disk_fsync_ms) and the engine checkpointed between slices.
//
// Map of this file: 1. parameters  2. the shop (workload)  3. the streams  4. the systems
//                   5. the cases  6. the suite.
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "commerce/cart.h"
#include "commerce/catalog.h"
#include "commerce/customer.h"
#include "commerce/engine.h"
#include "commerce/inventory.h"
#include "commerce/order.h"
#include "commerce/search.h"
#include "commerce/sample.h"
#include "commerce/storage.h"
#include "harness.h"
#include "peer_libpq_orders.h"
#include "peer_sqlite_orders.h"
#include "report.h"

namespace commerce::bench {
namespace {

// ---------------------------------------------------------------------------------------
// 1. parameters

constexpr char kSuite[] = "orders";
constexpr char kOrdersPlace[] = "orders-place";
constexpr char kCartAddSet[] = "cart-add-set";
constexpr char kOrdersHotSku[] = "orders-hot-sku";
// orders-hot-sku's split stock: the slots it is split into, and its rows' system name.
constexpr int32_t kHotSkuSlots = 16;
constexpr char kEngineSplitSystem[] = "commerce-split";

constexpr uint64_t kDefaultSkus = 1'000'000;
constexpr uint64_t kQuickSkus = 100'000;
constexpr int kDefaultWarehouses = 200;
constexpr int kRegions = 10;
constexpr uint64_t kCustomers = 10'000;
constexpr int kMaxLines = 5;  // lines an order: uniform 1..5, 3 on average
constexpr int kLoaders = 64;  // threads loading the engine (group commit batches them)

// Stock is sized so that this many orders a second, sustained over every slice and warm-up
// of the case, would still find most SKUs in stock: far above the targets, so that
// out-of-stock orders stay rare at any rate the engine or the peer reaches. A system faster
// than this would see its out-of-stock rate climb (and report it).
constexpr double kOrderRateBudget = 50'000;
constexpr double kMeanQuantity = 1.4;  // quantities: 1 (70%), 2 (20%), 3 (10%)
constexpr int64_t kBaseUnits = 24;     // every SKU, however unpopular

// Carts: a pool created up front, each cart taking kCartSessionOps edits before its client
// moves on to the next (a real cart has a few dozen adds and removals; the engine caps a cart
// at 10,000). The pool is sized for this many edits a second over the whole case; past it,
// clients wrap around to the first carts.
constexpr int kCartSessionOps = 20;
constexpr double kCartRateBudget = 100'000;

// --driver postgres: every product, stock record and customer of the shop is loaded through
// the engine over the network, so its shop is smaller by default.
constexpr uint64_t kPostgresSkus = 20'000;
constexpr int kPostgresWarehouses = 20;

bool WantsPostgres(const BenchOptions& o) {
  return std::find(o.drivers.begin(), o.drivers.end(), "postgres") != o.drivers.end();
}

uint64_t SkusOption(const BenchOptions& o) {
  if (o.skus > 0) return o.skus;
  if (o.records > 0) return o.records;
  if (WantsPostgres(o)) return o.quick ? kPostgresSkus / 10 : kPostgresSkus;
  return o.quick ? kQuickSkus : kDefaultSkus;
}

int WarehousesOption(const BenchOptions& o) {
  if (o.warehouses > 0) return o.warehouses;
  return WantsPostgres(o) ? kPostgresWarehouses : kDefaultWarehouses;
}

struct Params {
  uint64_t skus = 0;
  int warehouses = 0;
  uint64_t customers = kCustomers;
  double warmup_s = 1;
  double seconds = 5;
  std::vector<int> threads;
  int rounds = 5;

  double slice_seconds() const { return seconds / rounds; }
  double slice_warmup(int round) const { return round == 0 ? warmup_s : warmup_s / 4; }
  // Every second one system runs in one case: warm-ups and windows of every point.
  double system_seconds() const {
    double s = 0;
    for (size_t i = 0; i < threads.size(); ++i) s += warmup_s + seconds + (rounds - 1) * warmup_s / 4;
    return s;
  }
};

Params ParamsFor(const BenchOptions& o) {
  Params p;
  p.skus = SkusOption(o);
  p.warehouses = std::max(WarehousesOption(o), 1);
  p.warmup_s = o.quick ? 0.25 : 1.0;
  p.seconds = o.seconds > 0 ? o.seconds : (o.quick ? 1.0 : 5.0);
  p.threads = o.threads.empty() ? std::vector<int>{1, 16, 64} : o.threads;
  p.rounds = o.rounds > 0 ? o.rounds : (o.quick ? 1 : 5);
  return p;
}

std::string RoundLabel(const Params& p, int round) {
  return SliceLabel(p.rounds, round, p.seconds, p.slice_seconds());
}

uint64_t Mix(uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

// Bytes this process has caused to be written to storage so far (/proc/self/io write_bytes:
// counted as pages are dirtied, so an fdatasync of a half-filled page costs a whole page);
// -1 where the kernel does not say.
// CPU time of the whole process (every thread, user + system), in milliseconds. A figure that
// does not move with the disk's fsync latency or with how much of the cores other programs
// leave over, as orders/s does on a shared machine: what an order costs, not how fast it ran.
double ProcessCpuMs() {
  rusage u{};
  if (::getrusage(RUSAGE_SELF, &u) != 0) return -1;
  auto ms = [](const timeval& t) { return static_cast<double>(t.tv_sec) * 1e3 + static_cast<double>(t.tv_usec) / 1e3; };
  return ms(u.ru_utime) + ms(u.ru_stime);
}

int64_t ProcessWriteBytes() {
  int fd = ::open("/proc/self/io", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  char buf[1024];
  const ssize_t n = ::read(fd, buf, sizeof buf - 1);
  ::close(fd);
  if (n <= 0) return -1;
  buf[n] = 0;
  const char* at = std::strstr(buf, "\nwrite_bytes:");
  if (!at) return -1;
  return std::strtoll(at + std::strlen("\nwrite_bytes:"), nullptr, 10);
}

// ---------------------------------------------------------------------------------------
// 2. the shop

struct StockRow {
  uint32_t sku;
  uint32_t warehouse;
  int64_t units;
};

struct Shop {
  Params p;
  SampleCatalog catalog;
  std::vector<std::string> skus;   // skus[i]: product i's one SKU
  std::vector<int64_t> prices;     // minor units
  std::string currency;
  std::vector<Warehouse> warehouses;
  std::vector<Address> addresses;  // one shipping address per region
  std::vector<std::string> customer_ids;
  std::vector<StockRow> stock;
  uint64_t hot_sku = 0;    // orders-hot-sku's SKU: the least popular product
  int64_t hot_units = 0;   // its stock, all in one record (0: the case is not run)
  // The split run's SKU: the second least popular, with as many units in one warehouse,
  // which the engine splits into kHotSkuSlots slots when it loads.
  uint64_t hot_split_sku = 0;
  std::string jsonl;  // the products file for Catalog::import_file
  uint64_t carts = 0;  // cart pool size per system

  explicit Shop(const Params& params) : p(params), catalog(SampleCatalogOptions{.products = params.skus}) {}
};

// The probability that one Zipf draw picks the product of popularity rank `rank` (0-based),
// as SampleCatalog::popular_index draws it (rank k owns [k - 0.5, k + 0.5) of a density 1/x
// on [0.5, n + 0.5]).
double ZipfShare(uint64_t rank, uint64_t n) {
  const double k = static_cast<double>(rank) + 1;
  return std::log((k + 0.5) / (k - 0.5)) / std::log((static_cast<double>(n) + 0.5) / 0.5);
}

// The products (trimmed to one variant) as a JSON Lines file, and the SKU and price lists.
bool WriteProducts(Shop& shop, const std::string& dir, std::string* error) {
  const uint64_t n = shop.p.skus;
  shop.jsonl = dir + "/orders-products.jsonl";
  shop.skus.resize(n);
  shop.prices.resize(n);
  Progress progress("writing " + std::to_string(n) + " products (one SKU each) to " + shop.jsonl, n);
  std::ofstream out(shop.jsonl);
  for (uint64_t i = 0; i < n && out; ++i) {
    Product product = shop.catalog.product(i);
    product.variants.resize(1);
    shop.skus[i] = product.variants[0].sku;
    shop.prices[i] = product.variants[0].price.minor;
    if (shop.currency.empty()) shop.currency = product.variants[0].price.currency;
    out << ProductToJson(product, /*with_engine_fields=*/false) << '\n';
    if (i % 10'000 == 0) progress.Update(i);
  }
  out.close();
  if (!out) return *error = "cannot write " + shop.jsonl, false;
  progress.Done(n);
  return true;
}

// order_budget 0: no stock at all (only carts are measured). hot_units > 0: the hot SKU's
// stock, in one record of the first warehouse.
void BuildShop(Shop& shop, uint64_t order_budget, int64_t hot_units) {
  const Params& p = shop.p;
  for (uint64_t i = 0; i < p.skus; ++i) {
    if (shop.catalog.popularity_rank(i) == p.skus - 1) shop.hot_sku = i;
    if (shop.catalog.popularity_rank(i) == p.skus - 2) shop.hot_split_sku = i;
  }
  shop.hot_units = hot_units;
  if (hot_units > 0) {
    shop.stock.push_back({static_cast<uint32_t>(shop.hot_sku), 0, hot_units});
    shop.stock.push_back({static_cast<uint32_t>(shop.hot_split_sku), 0, hot_units});
  }
  for (int w = 0; w < p.warehouses; ++w) {
    char id[32];
    std::snprintf(id, sizeof id, "wh-%03d", w);
    Warehouse wh;
    wh.id = id;
    wh.name = "Warehouse " + std::to_string(w);
    wh.region = "region-" + std::to_string(w % kRegions);
    wh.priority = (w / kRegions) % 5;
    shop.warehouses.push_back(std::move(wh));
  }
  for (int r = 0; r < kRegions; ++r) {
    Address a;
    a.name = "Bench Shopper";
    a.line1 = std::to_string(100 + r) + " Main Street";
    a.city = "Springfield";
    a.postal_code = "0" + std::to_string(1000 + r);
    a.region = "region-" + std::to_string(r);
    a.country = "US";
    shop.addresses.push_back(std::move(a));
  }
  for (uint64_t c = 0; c < p.customers; ++c) {
    char id[32];
    std::snprintf(id, sizeof id, "cus-bench-%06llu", static_cast<unsigned long long>(c));
    shop.customer_ids.push_back(id);
  }
  // Stock: SKU i in 2-4 distinct warehouses picked by a hash of i; units proportional to
  // its share of the Zipf draws (twice the expected demand of order_budget orders), split
  // evenly over its warehouses, at least kBaseUnits in all.
  const double budget_units = static_cast<double>(order_budget) * (kMaxLines + 1) / 2.0 * kMeanQuantity;
  const auto nw = static_cast<uint64_t>(p.warehouses);
  for (uint64_t i = 0; order_budget > 0 && i < p.skus; ++i) {
    if (hot_units > 0 && (i == shop.hot_sku || i == shop.hot_split_sku)) continue;
    uint64_t h = Mix(i ^ 0x5354'4f43'4bull);
    const uint64_t count = std::min<uint64_t>(2 + h % 3, nw);
    const double share = ZipfShare(shop.catalog.popularity_rank(i), p.skus);
    const auto total = std::max<int64_t>(kBaseUnits, static_cast<int64_t>(std::ceil(2 * share * budget_units)));
    uint32_t chosen[4];
    for (uint64_t k = 0; k < count; ++k) {
      uint32_t w;
      for (;;) {
        h = Mix(h);
        w = static_cast<uint32_t>(h % nw);
        if (std::find(chosen, chosen + k, w) == chosen + k) break;
      }
      chosen[k] = w;
      const int64_t units = total / static_cast<int64_t>(count) + (k == 0 ? total % static_cast<int64_t>(count) : 0);
      shop.stock.push_back({static_cast<uint32_t>(i), w, units});
    }
  }
}

// ---------------------------------------------------------------------------------------
// 3. the streams: what every client of every system asks for, in order

double U01(Rng& rng) { return static_cast<double>(rng.next() >> 11) * 0x1.0p-53; }

uint64_t StreamSeed(const char* case_name, int threads, int round, int thread) {
  return SeedFor(case_name, thread) ^ Mix((static_cast<uint64_t>(threads) << 32) | static_cast<uint64_t>(round));
}

struct OrderDraw {
  std::string key;
  uint32_t customer = 0;
  uint32_t region = 0;
  int lines = 0;
  uint64_t sku[kMaxLines] = {};
  int64_t quantity[kMaxLines] = {};
};

// What an order stream buys: orders-place's lines, or one unit of a hot SKU (its plain stock
// record or its split one).
enum class Buy { kPlace, kHotPlain, kHotSplit };

class OrderStream {
 public:
  OrderStream(const Shop& shop, int threads, int round, int thread, Buy buy)
      : shop_(shop), hot_(buy != Buy::kPlace),
        hot_sku_(buy == Buy::kHotSplit ? shop.hot_split_sku : shop.hot_sku),
        rng_(StreamSeed(hot_ ? kOrdersHotSku : kOrdersPlace, threads, round, thread)) {
    // Keys differ per stream: a key reused would replay an earlier order, not place one.
    prefix_ = std::string(buy == Buy::kHotSplit ? "bench-hotsplit-T" : hot_ ? "bench-hot-T" : "bench-T") +
              std::to_string(threads) + "-r" + std::to_string(round) + "-t" + std::to_string(thread) + "-";
  }

  const OrderDraw& Next() {
    d_.key = prefix_ + std::to_string(seq_++);
    d_.customer = static_cast<uint32_t>(rng_.uniform(shop_.customer_ids.size()));
    d_.region = static_cast<uint32_t>(rng_.uniform(kRegions));
    if (hot_) {
      d_.lines = 1;
      d_.sku[0] = hot_sku_;
      d_.quantity[0] = 1;
      return d_;
    }
    const int want = 1 + static_cast<int>(rng_.uniform(kMaxLines));
    d_.lines = 0;
    for (int l = 0; l < want; ++l) {
      // Distinct SKUs: a repeat (common among the most popular) is drawn again, and so is
      // the hot SKU, whose stock orders-hot-sku accounts for exactly.
      for (int attempt = 0; attempt < 64; ++attempt) {
        const uint64_t i = shop_.catalog.popular_index(U01(rng_));
        if (i == shop_.hot_sku || i == shop_.hot_split_sku) continue;
        if (std::find(d_.sku, d_.sku + d_.lines, i) != d_.sku + d_.lines) continue;
        const uint64_t q = rng_.uniform(10);
        d_.sku[d_.lines] = i;
        d_.quantity[d_.lines] = q < 7 ? 1 : (q < 9 ? 2 : 3);
        ++d_.lines;
        break;
      }
    }
    return d_;
  }

 private:
  const Shop& shop_;
  const bool hot_;
  const uint64_t hot_sku_;
  Rng rng_;
  std::string prefix_;
  uint64_t seq_ = 0;
  OrderDraw d_;
};

// A client's cart edits: sessions of kCartSessionOps edits on one cart, alternately an add
// of a Zipf-drawn SKU and a set_quantity of one of the cart's SKUs.
class CartStream {
 public:
  struct Edit {
    bool add = true;
    uint64_t sku = 0;
    int64_t quantity = 0;
    bool new_cart = false;  // the first edit of a session: the client takes the next cart
  };

  CartStream(const Shop& shop, int threads, int round, int thread)
      : shop_(shop), rng_(StreamSeed(kCartAddSet, threads, round, thread)) {}

  Edit Next() {
    Edit e;
    if (done_ == kCartSessionOps || done_ == 0) {
      in_cart_.clear();
      done_ = 0;
      e.new_cart = true;
    }
    if (done_ % 2 == 0) {
      e.add = true;
      e.sku = shop_.catalog.popular_index(U01(rng_));
      e.quantity = 1;
      in_cart_.push_back(e.sku);
    } else {
      e.add = false;
      e.sku = in_cart_[rng_.uniform(in_cart_.size())];
      e.quantity = 1 + static_cast<int64_t>(rng_.uniform(5));
    }
    ++done_;
    return e;
  }

 private:
  const Shop& shop_;
  Rng rng_;
  int done_ = 0;
  std::vector<uint64_t> in_cart_;
};

std::string CartId(uint64_t i) {
  char id[32];
  std::snprintf(id, sizeof id, "cart-bench-%08llu", static_cast<unsigned long long>(i));
  return id;
}

// ---------------------------------------------------------------------------------------
// 4. the systems

// Runs fn(i) for i in [0, n) on kLoaders threads, with progress; false when any fails.
bool ParallelLoad(const std::string& what, uint64_t n, const std::function<bool(uint64_t, std::string*)>& fn,
                  std::string* error) {
  Progress progress(what, n);
  std::atomic<uint64_t> next{0}, done{0};
  std::atomic<bool> failed{false};
  std::mutex mu;
  std::vector<std::thread> loaders;
  for (int t = 0; t < kLoaders; ++t) {
    loaders.emplace_back([&] {
      std::string e;
      for (;;) {
        const uint64_t i = next.fetch_add(1);
        if (i >= n || failed.load(std::memory_order_relaxed)) return;
        if (!fn(i, &e)) {
          std::lock_guard<std::mutex> lock(mu);
          if (!failed.exchange(true)) *error = e;
          return;
        }
        done.fetch_add(1, std::memory_order_relaxed);
      }
    });
  }
  for (;;) {
    const uint64_t d = done.load();
    if (d >= n || failed.load()) break;
    progress.Update(d);
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  for (auto& t : loaders) t.join();
  if (failed.load()) return false;
  progress.Done(n);
  return true;
}

// What a system counted over the measured windows of one point (summed over its slices).
struct Window {
  uint64_t placed = 0;
  uint64_t out_of_stock = 0;
  uint64_t lines = 0;
  int64_t io_bytes = 0;
  double cpu_ms = 0;  // the bench process's CPU (every thread, user + system) in the window
  StorageStats storage;
};

class System {
 public:
  System(std::string system, std::string driver) : system_(std::move(system)), driver_(std::move(driver)) {}
  virtual ~System() = default;
  const std::string& system() const { return system_; }
  const std::string& driver() const { return driver_; }
  std::string label() const { return system_ + "/" + driver_; }

  virtual bool Load(const Shop& shop, const std::string& dir, std::string* error) = 0;
  virtual WorkerFactory OrderClients(const Shop& shop, int threads, int round, Buy hot) = 0;
  virtual WorkerFactory CartClients(const Shop& shop, int threads, int round) = 0;
  // The units of shop.skus[sku] available now (on hand less reserved, every warehouse),
  // read from the system's store.
  virtual bool Available(const Shop& shop, uint64_t sku, int64_t* units, std::string* error) = 0;
  // Outside any window: finish background work now rather than in another system's window.
  virtual void Quiesce() {}
  virtual bool Close(std::string* error) = 0;

  virtual void OnMeasureStart() {
    start_placed_ = placed_.load();
    start_oos_ = oos_.load();
    start_lines_ = lines_.load();
    start_io_ = ProcessWriteBytes();
    start_cpu_ms_ = ProcessCpuMs();
  }
  virtual void OnMeasureEnd() {
    window_.placed += placed_.load() - start_placed_;
    window_.out_of_stock += oos_.load() - start_oos_;
    window_.lines += lines_.load() - start_lines_;
    const int64_t io = ProcessWriteBytes();
    if (io >= 0 && start_io_ >= 0) window_.io_bytes += io - start_io_;
    else io_known_ = false;
    const double cpu = ProcessCpuMs();
    if (cpu >= 0 && start_cpu_ms_ >= 0) window_.cpu_ms += cpu - start_cpu_ms_;
    else cpu_known_ = false;
  }
  // The point's window and the first error that was not out-of-stock, then a fresh start.
  Window TakeWindow(std::string* first_error) {
    Window w = window_;
    window_ = Window{};
    std::lock_guard<std::mutex> lock(error_mu_);
    *first_error = first_error_;
    first_error_.clear();
    return w;
  }
  bool io_known() const { return io_known_; }
  // Whether the process's CPU in a window is the system's: false where the work runs in other
  // processes (the engine's child processes, the PostgreSQL server).
  virtual bool cpu_in_process() const { return true; }
  bool cpu_known() const { return cpu_known_ && cpu_in_process(); }
  // Orders acknowledged since the system was loaded, windows or not.
  uint64_t placed_total() const { return placed_.load(); }
  virtual bool has_storage_stats() const { return false; }
  virtual bool has_log() const { return false; }

 protected:
  void CountPlaced(int lines) {
    placed_.fetch_add(1, std::memory_order_relaxed);
    lines_.fetch_add(static_cast<uint64_t>(lines), std::memory_order_relaxed);
  }
  void CountOutOfStock() { oos_.fetch_add(1, std::memory_order_relaxed); }
  void NoteError(const std::string& e) {
    std::lock_guard<std::mutex> lock(error_mu_);
    if (first_error_.empty()) first_error_ = e;
  }
  // The next cart of the pool (wrapping around).
  uint64_t NextCart(uint64_t pool) { return next_cart_.fetch_add(1, std::memory_order_relaxed) % std::max<uint64_t>(pool, 1); }

  std::string system_;
  std::string driver_;
  Window window_;

 private:
  std::atomic<uint64_t> placed_{0}, oos_{0}, lines_{0}, next_cart_{0};
  uint64_t start_placed_ = 0, start_oos_ = 0, start_lines_ = 0;
  int64_t start_io_ = 0;
  bool io_known_ = true;
  double start_cpu_ms_ = 0;
  bool cpu_known_ = true;
  std::mutex error_mu_;
  std::string first_error_;
};

constexpr char kOutOfStockPrefix[] = "OutOfStock";

// The engine: Engine::open on a driver, loaded through its public API.
class EngineSystem final : public System {
 public:
  explicit EngineSystem(std::string driver, StorageTuning tuning = {})
      : System(kEngineSystem, std::move(driver)), tuning_(std::move(tuning)) {}

  bool Load(const Shop& shop, const std::string& dir, std::string* error) override {
    EngineOptions eo;
    eo.path = dir;
    eo.driver = driver_;
    eo.storage = tuning_;
    auto engine = Engine::open(eo);
    if (!engine.ok()) return Fail(engine.status(), "Engine::open", error);
    engine_ = std::move(*engine);

    for (const Category& c : shop.catalog.categories()) {
      Status s = engine_->catalog().upsert_category(c);
      if (!s.ok()) return Fail(s, ("upsert_category(" + c.id + ")").c_str(), error);
    }
    {
      const uint64_t n = shop.p.skus;
      Progress progress("importing " + std::to_string(n) + " products into " + label() + " (Catalog::import_file)", n);
      ImportOptions io;
      io.format = "jsonl";
      io.progress = [&](const ImportProgress& p) { progress.Update(p.imported); };
      auto report = engine_->catalog().import_file(shop.jsonl, io);
      if (!report.ok()) return Fail(report.status(), "import_file", error);
      if (report->imported != n || report->rejected != 0) {
        *error = label() + ": import_file: " + std::to_string(report->imported) + " imported, " +
                 std::to_string(report->rejected) + " rejected" +
                 (report->rejections.empty() ? ""
                                             : " (first: line " + std::to_string(report->rejections[0].line) +
                                                   " " + report->rejections[0].field + ": " +
                                                   report->rejections[0].reason + ")");
        return false;
      }
      progress.Done(n);
    }
    Inventory& inventory = engine_->inventory();
    for (const Warehouse& w : shop.warehouses) {
      auto r = inventory.upsert_warehouse(w);
      if (!r.ok()) return Fail(r.status(), ("upsert_warehouse(" + w.id + ")").c_str(), error);
    }
    const std::string prefix = label() + ": ";
    if (!ParallelLoad("receiving " + std::to_string(shop.stock.size()) + " stock records into " + label() +
                          " (Inventory::receive, " + std::to_string(kLoaders) + " threads)",
                      shop.stock.size(),
                      [&](uint64_t i, std::string* e) {
                        const StockRow& row = shop.stock[i];
                        for (int64_t left = row.units; left > 0;) {
                          const int64_t qty = std::min(left, kMaxQuantity);
                          auto r = inventory.receive(shop.skus[row.sku], shop.warehouses[row.warehouse].id, qty);
                          if (!r.ok()) return *e = prefix + "receive: " + r.status().ToString(), false;
                          left -= qty;
                        }
                        return true;
                      },
                      error))
      return false;
    if (shop.hot_units > 0) {
      auto split = inventory.split_stock(shop.skus[shop.hot_split_sku], shop.warehouses[0].id, kHotSkuSlots);
      if (!split.ok()) return Fail(split.status(), "split_stock", error);
    }
    if (!ParallelLoad("creating " + std::to_string(shop.customer_ids.size()) + " customers in " + label(),
                      shop.customer_ids.size(),
                      [&](uint64_t i, std::string* e) {
                        Customer c;
                        c.id = shop.customer_ids[i];
                        c.email = "shopper" + std::to_string(i) + "@example.com";
                        c.name = "Shopper " + std::to_string(i);
                        c.addresses.push_back(shop.addresses[i % kRegions]);
                        auto r = engine_->customers().create(c);
                        if (!r.ok()) return *e = prefix + "customers().create: " + r.status().ToString(), false;
                        return true;
                      },
                      error))
      return false;
    carts_ = shop.carts;
    if (carts_ > 0 &&
        !ParallelLoad("creating " + std::to_string(carts_) + " carts in " + label(), carts_,
                      [&](uint64_t i, std::string* e) {
                        NewCart c;
                        c.id = CartId(i);
                        c.currency = shop.currency;
                        auto r = engine_->carts().create(c);
                        if (!r.ok()) return *e = prefix + "carts().create: " + r.status().ToString(), false;
                        return true;
                      },
                      error))
      return false;
    // What is measured is the steady state: orders beside an index that only follows them.
    Status waited = WaitForIndexer(*engine_, "orders: " + label(), std::chrono::seconds(3600));
    if (!waited.ok()) return Fail(waited, "search().wait_for", error);
    Quiesce();
    QuiesceDisk();
    return true;
  }

  WorkerFactory OrderClients(const Shop& shop, int threads, int round, Buy hot) override {
    return [this, &shop, threads, round, hot](int thread) -> Op {
      auto stream = std::make_shared<OrderStream>(shop, threads, round, thread, hot);
      auto request = std::make_shared<PlaceOrder>();
      return [this, &shop, stream, request](std::string* e) {
        const OrderDraw& d = stream->Next();
        PlaceOrder& r = *request;
        r.idempotency_key = d.key;
        r.customer_id = shop.customer_ids[d.customer];
        r.lines.resize(static_cast<size_t>(d.lines));
        for (int l = 0; l < d.lines; ++l) r.lines[l] = {shop.skus[d.sku[l]], d.quantity[l]};
        r.shipping_address = shop.addresses[d.region];
        auto placed = engine_->orders().place(r);
        if (placed.ok()) {
          CountPlaced(d.lines);
          return true;
        }
        *e = placed.status().ToString();
        if (placed.status().IsOutOfStock()) {
          CountOutOfStock();
          *e = kOutOfStockPrefix + (": " + *e);
        } else {
          NoteError(*e);
        }
        return false;
      };
    };
  }

  bool Available(const Shop& shop, uint64_t sku, int64_t* units, std::string* error) override {
    auto stock = engine_->inventory().get(shop.skus[sku]);
    if (!stock.ok()) return Fail(stock.status(), "inventory().get", error);
    *units = stock->available;
    return true;
  }

  WorkerFactory CartClients(const Shop& shop, int threads, int round) override {
    return [this, &shop, threads, round](int thread) -> Op {
      auto stream = std::make_shared<CartStream>(shop, threads, round, thread);
      auto cart = std::make_shared<std::string>();
      return [this, &shop, stream, cart](std::string* e) {
        const CartStream::Edit edit = stream->Next();
        if (edit.new_cart) *cart = CartId(NextCart(carts_));
        Carts& carts = engine_->carts();
        auto r = edit.add ? carts.add(*cart, shop.skus[edit.sku], edit.quantity)
                          : carts.set_quantity(*cart, shop.skus[edit.sku], edit.quantity);
        if (r.ok()) return true;
        *e = r.status().ToString();
        NoteError(*e);
        return false;
      };
    };
  }

  // A checkpoint now (LMDB: sync the data file, trim the log) rather than during a peer's
  // window; checkpoints the engine's settings call for during its own window still run there
  // and are counted.
  void Quiesce() override {
    Status s = engine_->storage().checkpoint();
    if (!s.ok() && !s.IsNotSupported()) Log("commerce-bench: " + label() + ": checkpoint: " + s.ToString());
  }

  void OnMeasureStart() override {
    before_ = engine_->storage().stats();
    System::OnMeasureStart();
  }
  void OnMeasureEnd() override {
    System::OnMeasureEnd();
    const StorageStats after = engine_->storage().stats();
    StorageStats& w = window_.storage;
    w.groups += after.groups - before_.groups;
    w.mutations += after.mutations - before_.mutations;
    w.failed_mutations += after.failed_mutations - before_.failed_mutations;
    w.max_group_size = std::max(w.max_group_size, after.max_group_size);
    w.durable_syncs += after.durable_syncs - before_.durable_syncs;
    w.log_bytes += after.log_bytes - before_.log_bytes;
    w.pages_written += after.pages_written - before_.pages_written;
    w.checkpoints += after.checkpoints - before_.checkpoints;
    has_log_ |= after.log_bytes > 0;
  }
  bool has_storage_stats() const override { return true; }
  bool has_log() const override { return has_log_; }

  bool Close(std::string* error) override {
    if (!engine_) return true;
    Status s = engine_->close();
    engine_.reset();
    if (!s.ok()) return Fail(s, "close", error);
    return true;
  }

 private:
  bool Fail(const Status& s, const char* what, std::string* error) {
    *error = label() + ": " + what + ": " + s.ToString();
    return false;
  }

  const StorageTuning tuning_;
  std::unique_ptr<Engine> engine_;
  uint64_t carts_ = 0;
  StorageStats before_;
  bool has_log_ = false;
};

// The peer: peer_sqlite_orders.h.
class SqlitePeerSystem final : public System {
 public:
  SqlitePeerSystem() : System("sqlite", "sqlite") {}

  bool Load(const Shop& shop, const std::string& dir, std::string* error) override {
    db_ = SqliteOrdersPeer::Open(dir, error);
    if (!db_) return false;
    const uint64_t n = shop.p.skus;
    {
      Progress progress("loading " + std::to_string(n) + " products into " + label(), n);
      if (!db_->LoadProducts(
              n,
              [&](uint64_t i, std::string* sku, int64_t* price, std::string* currency) {
                *sku = shop.skus[i];
                *price = shop.prices[i];
                *currency = shop.currency;
              },
              &progress, error))
        return false;
      progress.Done(n);
    }
    if (!db_->LoadWarehouses(
            shop.warehouses.size(),
            [&](uint64_t i, std::string* id, std::string* region, int64_t* priority) {
              *id = shop.warehouses[i].id;
              *region = shop.warehouses[i].region;
              *priority = shop.warehouses[i].priority;
            },
            error))
      return false;
    {
      Progress progress("loading " + std::to_string(shop.stock.size()) + " stock records into " + label(),
                        shop.stock.size());
      if (!db_->LoadStock(
              shop.stock.size(),
              [&](uint64_t i, std::string* sku, std::string* warehouse, int64_t* on_hand) {
                const StockRow& row = shop.stock[i];
                *sku = shop.skus[row.sku];
                *warehouse = shop.warehouses[row.warehouse].id;
                *on_hand = row.units;
              },
              &progress, error))
        return false;
      progress.Done(shop.stock.size());
    }
    if (!db_->LoadCustomers(
            shop.customer_ids.size(),
            [&](uint64_t i, std::string* id, std::string* email) {
              *id = shop.customer_ids[i];
              *email = "shopper" + std::to_string(i) + "@example.com";
            },
            error))
      return false;
    carts_ = shop.carts;
    if (!db_->Checkpoint(error)) return false;
    QuiesceDisk();
    return true;
  }

  WorkerFactory OrderClients(const Shop& shop, int threads, int round, Buy hot) override {
    return [this, &shop, threads, round, hot](int thread) -> Op {
      auto stream = std::make_shared<OrderStream>(shop, threads, round, thread, hot);
      std::string error;
      std::shared_ptr<SqliteOrdersPeer::Client> client(
          db_->NewClient(StreamSeed(hot == Buy::kHotSplit ? "sqlite-hotsplit-order-ids" : hot != Buy::kPlace ? "sqlite-hot-order-ids" : "sqlite-order-ids", threads, round, thread), &error));
      if (!client) return [error](std::string* e) { return *e = error, false; };
      auto request = std::make_shared<SqliteOrdersPeer::OrderRequest>();
      return [this, &shop, stream, client, request](std::string* e) {
        const OrderDraw& d = stream->Next();
        SqliteOrdersPeer::OrderRequest& r = *request;
        r.idempotency_key = d.key;
        r.customer = shop.customer_ids[d.customer];
        r.region = shop.addresses[d.region].region;
        r.lines.resize(static_cast<size_t>(d.lines));
        for (int l = 0; l < d.lines; ++l) r.lines[l] = {shop.skus[d.sku[l]], d.quantity[l]};
        SqliteOrdersPeer::Outcome outcome;
        if (!client->PlaceOrder(r, &outcome, e)) {
          NoteError(*e);
          return false;
        }
        switch (outcome) {
          case SqliteOrdersPeer::Outcome::kPlaced:
            CountPlaced(d.lines);
            return true;
          case SqliteOrdersPeer::Outcome::kOutOfStock:
            CountOutOfStock();
            *e = std::string(kOutOfStockPrefix) + ": an order line found no warehouse with its quantity";
            return false;
          case SqliteOrdersPeer::Outcome::kReplayed:
            break;
        }
        *e = "sqlite: idempotency key '" + d.key + "' already used (the streams repeat a key)";
        NoteError(*e);
        return false;
      };
    };
  }

  bool Available(const Shop& shop, uint64_t sku, int64_t* units, std::string* error) override {
    return db_->Available(shop.skus[sku], units, error);
  }

  WorkerFactory CartClients(const Shop& shop, int threads, int round) override {
    return [this, &shop, threads, round](int thread) -> Op {
      auto stream = std::make_shared<CartStream>(shop, threads, round, thread);
      std::string error;
      std::shared_ptr<SqliteOrdersPeer::Client> client(db_->NewClient(0, &error));
      if (!client) return [error](std::string* e) { return *e = error, false; };
      auto cart = std::make_shared<std::string>();
      return [this, &shop, stream, client, cart](std::string* e) {
        const CartStream::Edit edit = stream->Next();
        if (edit.new_cart) *cart = CartId(NextCart(carts_));
        const bool ok = edit.add ? client->CartAdd(*cart, shop.skus[edit.sku], edit.quantity, e)
                                 : client->CartSet(*cart, shop.skus[edit.sku], edit.quantity, e);
        if (!ok) NoteError(*e);
        return ok;
      };
    };
  }

  bool Close(std::string*) override {
    db_.reset();
    return true;
  }

 private:
  std::unique_ptr<SqliteOrdersPeer> db_;
  uint64_t carts_ = 0;
};

// The engine on PostgreSQL as a fleet runs it: kPgProcesses engine processes (forks, each with
// its own directory and connections) sharing one store. The shop is loaded through an engine
// in this process, which is then closed; each child opens the store and serves orders on a
// UNIX socket, one connection (and one thread of the child) per client thread of this process,
// client thread t talking to child t % kPgProcesses. A request is the order's draw (indexes
// into the shop, which the children inherited from the fork), the answer its outcome: the
// latency measured here includes that local hop, which the peer does not pay. The children
// run no search indexer (the peer has no search) and their background consumers under the
// store's leases, as a fleet's instances do.
constexpr int kPgProcesses = 2;

struct PgOrderWire {
  uint32_t customer = 0;
  uint32_t region = 0;
  int32_t lines = 0;
  uint64_t sku[kMaxLines] = {};
  int64_t quantity[kMaxLines] = {};
  uint16_t key_size = 0;
  char key[96] = {};
};
enum : uint8_t { kWirePlaced = 0, kWireOutOfStock = 1, kWireError = 2 };

bool WriteAll(int fd, const void* data, size_t n) {
  const char* p = static_cast<const char*>(data);
  while (n > 0) {
    ssize_t w = ::write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return false;
    p += w;
    n -= static_cast<size_t>(w);
  }
  return true;
}

bool ReadAll(int fd, void* data, size_t n) {
  char* p = static_cast<char*>(data);
  while (n > 0) {
    ssize_t r = ::read(fd, p, n);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return false;
    p += r;
    n -= static_cast<size_t>(r);
  }
  return true;
}

std::string PgUrl() {
  const char* url = std::getenv("COMMERCE_PG_URL");
  return url ? url : "";
}

class PgEngineSystem final : public System {
 public:
  // pg_writers: StorageTuning::postgres_writers of the engine processes (0: the default).
  PgEngineSystem(std::string schema, int pg_writers)
      : System(kEngineSystem, "postgres"), schema_(std::move(schema)), pg_writers_(pg_writers) {}
  bool cpu_in_process() const override { return false; }  // the engine runs in child processes
  ~PgEngineSystem() override {
    std::string ignored;
    Close(&ignored);
  }

  bool Load(const Shop& shop, const std::string& dir, std::string* error) override {
    dir_ = dir;
    StorageTuning tuning;
    tuning.postgres_schema = schema_;
    {
      EngineSystem loader("postgres", tuning);
      if (!loader.Load(shop, dir + "/loader", error) || !loader.Close(error)) return false;
    }
    for (int p = 0; p < kPgProcesses; ++p) {
      const std::string path = dir + "/proc" + std::to_string(p);
      const std::string socket_path = dir + "/proc" + std::to_string(p) + ".sock";
      int ready[2], control[2];
      if (::pipe(ready) != 0 || ::pipe(control) != 0) return *error = "pipe failed", false;
      const pid_t pid = ::fork();
      if (pid < 0) return *error = "fork failed", false;
      if (pid == 0) {
        ::close(ready[0]);
        ::close(control[1]);
        // The earlier children's control pipes: only the parent may hold them open.
        for (const Child& c : children_) ::close(c.control);
        ::_exit(RunChild(shop, path, socket_path, ready[1], control[0]));
      }
      ::close(ready[1]);
      ::close(control[0]);
      children_.push_back({pid, control[1], socket_path});
      char answer[512] = {};
      const ssize_t n = ::read(ready[0], answer, sizeof answer - 1);
      ::close(ready[0]);
      if (n <= 0 || std::string(answer, static_cast<size_t>(n)) != "ready")
        return *error = label() + ": engine process " + std::to_string(p) + ": " +
                        (n > 0 ? std::string(answer, static_cast<size_t>(n)) : "exited"),
               false;
    }
    return true;
  }

  WorkerFactory OrderClients(const Shop& shop, int threads, int round, Buy hot) override {
    return [this, &shop, threads, round, hot](int thread) -> Op {
      auto stream = std::make_shared<OrderStream>(shop, threads, round, thread, hot);
      std::string error;
      const int connected = Connect(children_[static_cast<size_t>(thread) % children_.size()].socket, &error);
      if (connected < 0) return [error](std::string* e) { return *e = error, false; };
      // Closed when the run drops its last copy of the op.
      std::shared_ptr<int> fd(new int(connected), [](int* p) {
        ::close(*p);
        delete p;
      });
      return [this, stream, fd](std::string* e) {
        const OrderDraw& d = stream->Next();
        PgOrderWire w;
        w.customer = d.customer;
        w.region = d.region;
        w.lines = d.lines;
        for (int l = 0; l < d.lines; ++l) {
          w.sku[l] = d.sku[l];
          w.quantity[l] = d.quantity[l];
        }
        w.key_size = static_cast<uint16_t>(std::min(d.key.size(), sizeof w.key));
        std::memcpy(w.key, d.key.data(), w.key_size);
        uint8_t outcome = kWireError;
        uint16_t size = 0;
        if (!WriteAll(*fd, &w, sizeof w) || !ReadAll(*fd, &outcome, 1) || !ReadAll(*fd, &size, 2)) {
          *e = label() + ": the engine process hung up";
          NoteError(*e);
          return false;
        }
        std::string message(size, '\0');
        if (size > 0 && !ReadAll(*fd, message.data(), size)) {
          *e = label() + ": the engine process hung up";
          NoteError(*e);
          return false;
        }
        if (outcome == kWirePlaced) {
          CountPlaced(d.lines);
          return true;
        }
        if (outcome == kWireOutOfStock) {
          CountOutOfStock();
          *e = kOutOfStockPrefix + (": " + message);
          return false;
        }
        *e = message;
        NoteError(*e);
        return false;
      };
    };
  }

  // Read through an engine of this process's own on the shared schema, as a third process
  // would (the children serve orders only).
  bool Available(const Shop& shop, uint64_t sku, int64_t* units, std::string* error) override {
    EngineOptions eo;
    eo.path = dir_ + "/reader";
    eo.driver = "postgres";
    eo.storage.postgres_schema = schema_;
    if (pg_writers_ > 0) eo.storage.postgres_writers = static_cast<size_t>(pg_writers_);
    eo.search.run_indexer = false;
    auto engine = Engine::open(eo);
    if (!engine.ok()) return *error = label() + ": Engine::open: " + engine.status().ToString(), false;
    auto stock = (*engine)->inventory().get(shop.skus[sku]);
    Status closed = (*engine)->close();
    if (!stock.ok()) return *error = label() + ": inventory().get: " + stock.status().ToString(), false;
    if (!closed.ok()) return *error = label() + ": close: " + closed.ToString(), false;
    *units = stock->available;
    return true;
  }

  WorkerFactory CartClients(const Shop&, int, int) override {
    return [](int) -> Op { return [](std::string* e) { return *e = "cart-add-set is not run on postgres", false; }; };
  }

  bool Close(std::string* error) override {
    bool ok = true;
    for (Child& c : children_) {
      ::close(c.control);  // the child closes its engine and exits
      int status = 0;
      if (::waitpid(c.pid, &status, 0) != c.pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        *error = label() + ": engine process " + std::to_string(c.pid) + " did not exit cleanly";
        ok = false;
      }
    }
    children_.clear();
    return ok;
  }

 private:
  struct Child {
    pid_t pid;
    int control;  // closing it tells the child to stop
    std::string socket;
  };

  static int Connect(const std::string& path, std::string* error) {
    int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    std::snprintf(a.sun_path, sizeof a.sun_path, "%s", path.c_str());
    if (fd < 0 || ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
      *error = "cannot connect to the engine process at " + path + ": " + std::strerror(errno);
      if (fd >= 0) ::close(fd);
      return -1;
    }
    return fd;
  }

  // The child: opens the store, says "ready" (or why not), serves connections until the
  // parent closes `control`, then closes the engine.
  int RunChild(const Shop& shop, const std::string& path, const std::string& socket_path, int ready, int control) {
    EngineOptions eo;
    eo.path = path;
    eo.driver = "postgres";
    eo.storage.postgres_schema = schema_;
    if (pg_writers_ > 0) eo.storage.postgres_writers = static_cast<size_t>(pg_writers_);
    eo.search.run_indexer = false;
    auto opened = Engine::open(eo);
    int listener = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    std::snprintf(a.sun_path, sizeof a.sun_path, "%s", socket_path.c_str());
    ::unlink(socket_path.c_str());
    std::string why;
    if (!opened.ok()) why = opened.status().ToString();
    else if (listener < 0 || ::bind(listener, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(listener, 256) != 0)
      why = "cannot listen on " + socket_path + ": " + std::strerror(errno);
    const std::string answer = why.empty() ? "ready" : why;
    (void)WriteAll(ready, answer.data(), answer.size());
    ::close(ready);
    if (!why.empty()) return 1;
    Engine& engine = **opened;
    std::thread acceptor([&] {
      for (;;) {
        int fd = ::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
        if (fd < 0) return;  // the listener was shut down
        std::thread([&engine, &shop, fd] { Serve(engine, shop, fd); ::close(fd); }).detach();
      }
    });
    char byte;
    while (::read(control, &byte, 1) > 0) {
    }
    ::shutdown(listener, SHUT_RDWR);
    acceptor.join();
    // Connections still open are the parent's idle clients: closing the engine answers any
    // call in flight with FailedPrecondition.
    Status closed = engine.close();
    return closed.ok() ? 0 : 1;
  }

  static void Serve(Engine& engine, const Shop& shop, int fd) {
    PlaceOrder r;
    PgOrderWire w;
    while (ReadAll(fd, &w, sizeof w)) {
      r.idempotency_key.assign(w.key, w.key_size);
      r.customer_id = shop.customer_ids[w.customer];
      r.lines.resize(static_cast<size_t>(w.lines));
      for (int l = 0; l < w.lines; ++l) r.lines[l] = {shop.skus[w.sku[l]], w.quantity[l]};
      r.shipping_address = shop.addresses[w.region];
      auto placed = engine.orders().place(r);
      const uint8_t outcome = placed.ok() ? kWirePlaced : placed.status().IsOutOfStock() ? kWireOutOfStock : kWireError;
      const std::string message = placed.ok() ? "" : placed.status().ToString().substr(0, 4000);
      const uint16_t size = static_cast<uint16_t>(message.size());
      if (!WriteAll(fd, &outcome, 1) || !WriteAll(fd, &size, 2) || !WriteAll(fd, message.data(), size)) return;
    }
  }

  const std::string schema_;
  const int pg_writers_;
  std::string dir_;
  std::vector<Child> children_;
};

// The peer: peer_libpq_orders.h, on the same server, in a schema of its own.
class LibpqPeerSystem final : public System {
 public:
  explicit LibpqPeerSystem(std::string schema) : System("libpq-sql", "postgres"), schema_(std::move(schema)) {}
  bool cpu_in_process() const override { return false; }  // the work is the server's

  bool Load(const Shop& shop, const std::string&, std::string* error) override {
    db_ = LibpqOrdersPeer::Open(PgUrl(), schema_, error);
    if (!db_) return false;
    Progress progress("loading " + std::to_string(shop.p.skus) + " products, " + std::to_string(shop.stock.size()) +
                          " stock records and " + std::to_string(shop.customer_ids.size()) + " customers into " +
                          label() + " (COPY)",
                      1);
    if (!db_->LoadProducts(
            shop.p.skus,
            [&](uint64_t i, std::string* sku, int64_t* price, std::string* currency) {
              *sku = shop.skus[i];
              *price = shop.prices[i];
              *currency = shop.currency;
            },
            error) ||
        !db_->LoadWarehouses(
            shop.warehouses.size(),
            [&](uint64_t i, std::string* id, std::string* region, int64_t* priority) {
              *id = shop.warehouses[i].id;
              *region = shop.warehouses[i].region;
              *priority = shop.warehouses[i].priority;
            },
            error) ||
        !db_->LoadStock(
            shop.stock.size(),
            [&](uint64_t i, std::string* sku, std::string* warehouse, int64_t* on_hand) {
              const StockRow& row = shop.stock[i];
              *sku = shop.skus[row.sku];
              *warehouse = shop.warehouses[row.warehouse].id;
              *on_hand = row.units;
            },
            error) ||
        !db_->LoadCustomers(
            shop.customer_ids.size(),
            [&](uint64_t i, std::string* id, std::string* email) {
              *id = shop.customer_ids[i];
              *email = "shopper" + std::to_string(i) + "@example.com";
            },
            error) ||
        !db_->Analyze(error))
      return false;
    progress.Done(1);
    return true;
  }

  WorkerFactory OrderClients(const Shop& shop, int threads, int round, Buy hot) override {
    return [this, &shop, threads, round, hot](int thread) -> Op {
      auto stream = std::make_shared<OrderStream>(shop, threads, round, thread, hot);
      std::string error;
      std::shared_ptr<LibpqOrdersPeer::Client> client(
          db_->NewClient(StreamSeed(hot == Buy::kHotSplit ? "libpq-hotsplit-order-ids" : hot != Buy::kPlace ? "libpq-hot-order-ids" : "libpq-order-ids", threads, round, thread), &error));
      if (!client) return [error](std::string* e) { return *e = error, false; };
      auto request = std::make_shared<LibpqOrdersPeer::OrderRequest>();
      return [this, &shop, stream, client, request](std::string* e) {
        const OrderDraw& d = stream->Next();
        LibpqOrdersPeer::OrderRequest& r = *request;
        r.idempotency_key = d.key;
        r.customer = shop.customer_ids[d.customer];
        r.region = shop.addresses[d.region].region;
        r.lines.resize(static_cast<size_t>(d.lines));
        for (int l = 0; l < d.lines; ++l) r.lines[l] = {shop.skus[d.sku[l]], d.quantity[l]};
        LibpqOrdersPeer::Outcome outcome;
        if (!client->PlaceOrder(r, &outcome, e)) {
          NoteError(*e);
          return false;
        }
        switch (outcome) {
          case LibpqOrdersPeer::Outcome::kPlaced:
            CountPlaced(d.lines);
            return true;
          case LibpqOrdersPeer::Outcome::kOutOfStock:
            CountOutOfStock();
            *e = std::string(kOutOfStockPrefix) + ": an order line found no warehouse with its quantity";
            return false;
          case LibpqOrdersPeer::Outcome::kReplayed:
            break;
        }
        *e = "libpq-sql: idempotency key '" + d.key + "' already used (the streams repeat a key)";
        NoteError(*e);
        return false;
      };
    };
  }

  bool Available(const Shop& shop, uint64_t sku, int64_t* units, std::string* error) override {
    return db_->Available(shop.skus[sku], units, error);
  }

  WorkerFactory CartClients(const Shop&, int, int) override {
    return [](int) -> Op { return [](std::string* e) { return *e = "cart-add-set is not run on postgres", false; }; };
  }

  bool Close(std::string*) override {
    db_.reset();
    return true;
  }

 private:
  const std::string schema_;
  std::unique_ptr<LibpqOrdersPeer> db_;
};

// ---------------------------------------------------------------------------------------
// 5. the cases

enum class CaseKind { kOrders, kCarts, kHotSku };

struct Loaded {
  std::unique_ptr<System> sys;
  std::string dir;
};

// One system's runs of a case: the plain one, and for the engine in orders-hot-sku the run on
// the split stock too (its rows named kEngineSplitSystem).
struct Run {
  size_t system = 0;
  Buy buy = Buy::kPlace;
  std::string name;   // the rows' system
  int64_t sold = 0;   // orders acknowledged over every point, windows or not
};

void AddWindow(Window& into, const Window& w) {
  into.placed += w.placed;
  into.out_of_stock += w.out_of_stock;
  into.lines += w.lines;
  into.io_bytes += w.io_bytes;
  into.cpu_ms += w.cpu_ms;
  StorageStats& a = into.storage;
  const StorageStats& b = w.storage;
  a.groups += b.groups;
  a.mutations += b.mutations;
  a.failed_mutations += b.failed_mutations;
  a.max_group_size = std::max(a.max_group_size, b.max_group_size);
  a.durable_syncs += b.durable_syncs;
  a.log_bytes += b.log_bytes;
  a.pages_written += b.pages_written;
  a.checkpoints += b.checkpoints;
}

// The hot SKUs' stock after orders-hot-sku, on every row of each run: false when a run sold
// more than its SKU had or the SKU's stock did not drop by exactly the orders it acknowledged.
bool CheckHotStock(const Shop& shop, std::vector<Loaded>& systems, const std::vector<Run>& runs,
                   std::vector<Row>& rows) {
  bool ok = true;
  for (const Run& run : runs) {
    System& sys = *systems[run.system].sys;
    const uint64_t sku = run.buy == Buy::kHotSplit ? shop.hot_split_sku : shop.hot_sku;
    const int64_t sold = run.sold;  // one unit an order
    const std::string label = run.name + "/" + sys.driver();
    int64_t left = 0;
    std::string error;
    if (!sys.Available(shop, sku, &left, &error)) {
      Log("commerce-bench: " + std::string(kOrdersHotSku) + ": " + label + ": reading the stock: " + error);
      ok = false;
      continue;
    }
    const int64_t oversold = std::max<int64_t>(0, sold - shop.hot_units) + std::max<int64_t>(0, -left);
    const int64_t mismatch = (shop.hot_units - left) - sold;
    if (oversold != 0 || mismatch != 0) {
      Log("commerce-bench: " + std::string(kOrdersHotSku) + ": " + label + ": " + std::to_string(sold) +
          " orders acknowledged, stock " + std::to_string(shop.hot_units) + " -> " + std::to_string(left) +
          ": oversold " + std::to_string(oversold) + ", mismatch " + std::to_string(mismatch));
      ok = false;
    }
    for (Row& r : rows) {
      if (r.system != run.name || r.driver != sys.driver()) continue;
      r.add("hot_stock_start", shop.hot_units);
      r.add("hot_units_sold", sold);
      r.add("hot_stock_left", left);
      r.add("oversold", oversold);
      r.add("stock_mismatch", mismatch);
    }
  }
  return ok;
}

// False when the case's own check failed (orders-hot-sku's stock).
bool RunCase(CaseKind kind, const Params& p, const Shop& shop, std::vector<Loaded>& systems,
             Reporter& reporter, WorkDir& work) {
  const char* case_name = kind == CaseKind::kOrders ? kOrdersPlace : kind == CaseKind::kHotSku ? kOrdersHotSku : kCartAddSet;
  const bool orders = kind != CaseKind::kCarts;
  std::vector<Run> runs;
  for (size_t k = 0; k < systems.size(); ++k) {
    const System& sys = *systems[k].sys;
    runs.push_back({k, kind == CaseKind::kHotSku ? Buy::kHotPlain : Buy::kPlace, sys.system()});
    if (kind == CaseKind::kHotSku && sys.system() == kEngineSystem)
      runs.push_back({k, Buy::kHotSplit, kEngineSplitSystem});
  }
  std::vector<Row> rows;
  std::string sync_standbys;
  for (const Loaded& l : systems)
    if (l.sys->driver() == "postgres") sync_standbys = PgSyncStandbys(PgUrl());
  for (int threads : p.threads) {
    std::vector<TimedRunResult> results(runs.size());
    std::vector<Window> windows(runs.size());
    std::vector<std::string> first_errors(runs.size());
    std::vector<std::vector<double>> fsync_ms(runs.size()), fsync_after_ms(runs.size());
    for (int round = 0; round < p.rounds; ++round) {
      for (size_t k = 0; k < runs.size(); ++k) {
        Run& run = runs[k];
        System& sys = *systems[run.system].sys;
        const std::string label = run.name + "/" + sys.driver();
        const double probe = ProbeFsyncMs(work.path());
        fsync_ms[k].push_back(probe);
        Log(std::string(case_name) + ": " + label + ", " + std::to_string(threads) + " clients, " +
            RoundLabel(p, round) + " (disk fsync now " + FormatMs(probe) + ")...");
        TimedRunOptions ro;
        ro.threads = threads;
        ro.warmup_s = p.slice_warmup(round);
        ro.seconds = p.slice_seconds();
        ro.reserve_samples_per_thread = 1 << 14;
        ro.on_measure_start = [&] { sys.OnMeasureStart(); };
        ro.on_measure_end = [&] { sys.OnMeasureEnd(); };
        const WorkerFactory clients = orders ? sys.OrderClients(shop, threads, round, run.buy)
                                             : sys.CartClients(shop, threads, round);
        const uint64_t placed_before = sys.placed_total();
        Accumulate(&results[k], RunTimed(ro, clients));
        run.sold += static_cast<int64_t>(sys.placed_total() - placed_before);
        // Each run's window apart: the engine runs twice a slice in orders-hot-sku.
        std::string first_error;
        AddWindow(windows[k], sys.TakeWindow(&first_error));
        if (first_errors[k].empty()) first_errors[k] = first_error;
        // Again at the end of the window, before the checkpoint: on the build VM the disk
        // often flips state within a second, and the probe before a slice follows another
        // system's checkpoint and sync(2).
        fsync_after_ms[k].push_back(ProbeFsyncMs(work.path()));
        sys.Quiesce();
      }
    }
    for (size_t k = 0; k < runs.size(); ++k) {
      const Run& run = runs[k];
      System& sys = *systems[run.system].sys;
      TimedRunResult& r = results[k];
      const std::string& first_real_error = first_errors[k];
      const Window& w = windows[k];
      // Out-of-stock answers are orders refused, not failures of the system: they are counted
      // in out_of_stock_rate, not in errors (neither kind is counted in ops or latency).
      if (orders) {
        r.errors = r.errors > w.out_of_stock ? r.errors - w.out_of_stock : 0;
        r.first_error = r.errors ? (first_real_error.empty() ? r.first_error : first_real_error) : "";
      }
      Row row = MakeRow(kSuite, case_name, run.name, sys.driver(), threads, r);
      const double done = orders ? static_cast<double>(w.placed) : static_cast<double>(r.ops);
      const char* per = orders ? "_per_order" : "_per_op";
      if (sys.has_storage_stats()) {
        const StorageStats& s = w.storage;
        row.add("avg_group_size", Div(static_cast<double>(s.mutations), static_cast<double>(s.groups)));
        row.add("max_group_size", s.max_group_size);
        row.add(std::string("syncs") + per, Div(static_cast<double>(s.durable_syncs), done));
        if (sys.has_log()) row.add(std::string("log_bytes") + per, Div(static_cast<double>(s.log_bytes), done));
        row.add("checkpoints", s.checkpoints);
      }
      if (sys.io_known()) row.add(std::string("bytes_written") + per, Div(static_cast<double>(w.io_bytes), done));
      if (sys.cpu_known()) row.add(std::string("cpu_ms") + per, Div(w.cpu_ms, done));
      if (orders) {
        row.add("out_of_stock_rate",
                Div(static_cast<double>(w.out_of_stock), static_cast<double>(w.placed + w.out_of_stock)));
        row.add("lines_per_order", Div(static_cast<double>(w.lines), static_cast<double>(w.placed)));
      }
      if (run.buy == Buy::kHotSplit) row.add("stock_slots", kHotSkuSlots);
      row.add("disk_fsync_ms", Median(fsync_ms[k]));
      row.add("disk_fsync_after_ms", Median(fsync_after_ms[k]));
      if (sys.driver() == "postgres") {
        row.add("processes", sys.system() == kEngineSystem ? kPgProcesses : 1);
        row.add("sync_standbys", sync_standbys);
      }
      row.add("skus", p.skus);
      row.add("warehouses", p.warehouses);
      if (orders) row.add("customers", p.customers);
      if (p.rounds > 1) row.add("rounds", p.rounds);
      if (r.errors)
        Log("commerce-bench: " + std::string(case_name) + ": " + run.name + "/" + sys.driver() + ": " +
            std::to_string(r.errors) + " failed ops; first: " + r.first_error);
      rows.push_back(std::move(row));
    }
  }
  // The split stock against the plain record, same driver and clients: what the slots buy.
  for (Row& r : rows) {
    if (r.system != kEngineSplitSystem) continue;
    for (const Row& plain : rows)
      if (plain.system == kEngineSystem && plain.driver == r.driver && plain.threads == r.threads &&
          plain.ops_per_s > 0)
        r.add("ratio_to_plain_row", r.ops_per_s / plain.ops_per_s);
  }
  // The contract's ratio compares systems at the same number of clients. A peer that
  // degrades with more clients (SQLite's busy handler sleeps 1, 2, 5, 10... ms between tries
  // of its write lock) would flatter the engine there, so engine rows also carry the ratio
  // to the peer's best row at any client count of this case.
  auto is_engine = [](const Row& r) { return r.system == kEngineSystem || r.system == kEngineSplitSystem; };
  const Row* best_peer = nullptr;
  for (const Row& r : rows)
    if (!is_engine(r) && (!best_peer || r.ops_per_s > best_peer->ops_per_s)) best_peer = &r;
  if (best_peer && best_peer->ops_per_s > 0) {
    const double best_ops = best_peer->ops_per_s;
    const int best_threads = best_peer->threads;
    for (Row& r : rows) {
      if (!is_engine(r)) continue;
      r.add("best_peer_threads", best_threads);
      r.add("ratio_to_best_peer", r.ops_per_s / best_ops);
    }
  }
  const bool ok = kind != CaseKind::kHotSku || CheckHotStock(shop, systems, runs, rows);
  reporter.Emit(std::move(rows));
  return ok;
}

// ---------------------------------------------------------------------------------------
// 6. the suite

int RunOrdersSuite(const BenchOptions& o, Reporter& reporter) {
  const Params p = ParamsFor(o);
  const bool postgres = WantsPostgres(o);
  for (const std::string& d : o.drivers)
    if (d != "lmdb" && d != "sqlite" && d != "postgres") {
      Log("commerce-bench orders: --driver " + d + ": expected lmdb, sqlite or postgres");
      return 1;
    }
  if (postgres && PgUrl().empty()) {
    Log("commerce-bench orders: --driver postgres needs COMMERCE_PG_URL (e.g. tools/pg-cluster run [--replica] -- "
        "build/bin/commerce-bench orders --driver postgres)");
    return 1;
  }
  const bool want_orders = o.WantCase(kOrdersPlace);
  const bool want_hot = o.WantCase(kOrdersHotSku);
  const bool want_carts = o.WantCase(kCartAddSet) && !postgres;
  if (postgres && o.WantCase(kCartAddSet) && !o.cases.empty())
    Log("commerce-bench orders: " + std::string(kCartAddSet) + " is not run with --driver postgres");
  if (!want_orders && !want_hot && !want_carts) {
    Log("commerce-bench orders: no such case; the cases are " + std::string(kOrdersPlace) + ", " + kOrdersHotSku +
        " and " + kCartAddSet);
    return 1;
  }
  WorkDir work(o.dir);
  Log("commerce-bench orders: scratch in " + work.path() + (o.quick ? " (quick)" : "") + "; " +
      std::to_string(p.skus) + " SKUs, " + std::to_string(p.warehouses) + " warehouses, " +
      std::to_string(p.customers) + " customers");

  Shop shop(p);
  const auto order_budget = static_cast<uint64_t>(kOrderRateBudget * p.system_seconds());
  shop.carts = want_carts
                   ? std::max<uint64_t>(static_cast<uint64_t>(kCartRateBudget * p.system_seconds() / kCartSessionOps),
                                        static_cast<uint64_t>(*std::max_element(p.threads.begin(), p.threads.end())))
                   : 0;
  std::string error;
  if (!WriteProducts(shop, work.path(), &error)) {
    Log("commerce-bench orders: " + error);
    return 1;
  }
  // The hot SKU's one record holds a unit for every order the budget rate could place over
  // the case.
  BuildShop(shop, want_orders || want_hot ? order_budget : 0, want_hot ? static_cast<int64_t>(order_budget) : 0);
  Log("orders: " + std::to_string(shop.stock.size()) + " stock records (stock sized for " +
      std::to_string(order_budget) + " orders per system); " + std::to_string(shop.carts) + " carts per system");

  std::vector<std::unique_ptr<System>> candidates;
  auto want = [&](const char* driver) {
    return o.drivers.empty() ? std::string_view(driver) != "postgres"
                             : std::find(o.drivers.begin(), o.drivers.end(), driver) != o.drivers.end();
  };
  if (want("lmdb")) candidates.push_back(std::make_unique<EngineSystem>("lmdb"));
  if (want("sqlite")) candidates.push_back(std::make_unique<EngineSystem>("sqlite"));
  if (want("lmdb") || want("sqlite")) candidates.push_back(std::make_unique<SqlitePeerSystem>());
  // Schemas of this run's own, dropped at the end.
  const std::string pg_schema = "bench_orders_" + std::to_string(::getpid());
  if (postgres) {
    candidates.push_back(std::make_unique<PgEngineSystem>(pg_schema, o.pg_writers));
    candidates.push_back(std::make_unique<LibpqPeerSystem>(pg_schema + "_peer"));
    Log("orders: postgres: " + std::to_string(kPgProcesses) + " engine processes beside libpq-sql; "
        "synchronous_standby_names '" + PgSyncStandbys(PgUrl()) + "'");
  }
  std::vector<Loaded> systems;
  int rc = 0;
  for (auto& sys : candidates) {
    const std::string dir = work.Fresh("orders-" + sys->system() + "-" + sys->driver());
    const auto start = std::chrono::steady_clock::now();
    if (!sys->Load(shop, dir, &error)) {
      Log("commerce-bench: orders: " + sys->label() + " skipped: " + error);
      std::string ignored;
      sys->Close(&ignored);
      work.Discard(dir);
      rc = 1;
      continue;
    }
    Log("orders: " + sys->label() + " loaded in " +
        FormatSeconds(std::round(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count())));
    systems.push_back({std::move(sys), dir});
  }
  std::remove(shop.jsonl.c_str());
  if (!systems.empty()) {
    if (want_orders && !RunCase(CaseKind::kOrders, p, shop, systems, reporter, work)) rc = 1;
    if (want_hot && !RunCase(CaseKind::kHotSku, p, shop, systems, reporter, work)) rc = 1;
    if (want_carts && !RunCase(CaseKind::kCarts, p, shop, systems, reporter, work)) rc = 1;
  }
  for (auto& [sys, dir] : systems) {
    if (!sys->Close(&error)) {
      Log("commerce-bench: orders: " + error);
      rc = 1;
    }
    work.Discard(dir);
  }
  if (postgres)
    for (const std::string& schema : {pg_schema, pg_schema + "_peer"})
      if (!PgDropSchema(PgUrl(), schema, &error)) Log("commerce-bench: orders: " + error);
  return rc;
}

}  // namespace

COMMERCE_BENCH_SUITE(orders, "orders",
                     "orders-place (durable orders over many warehouses vs a hand-written SQLite schema), "
                     "orders-hot-sku (a flash sale: every order on one SKU's one stock record) and "
                     "cart-add-set (durable cart edits)",
                     RunOrdersSuite);

}  // namespace commerce::bench
