#include "remote/product_cache.h"

#include <rapidjson/document.h>

#include <charconv>

#include "catalog/product_codec.h"
#include "commerce/engine.h"
#include "common/ids.h"
#include "common/key.h"
#include "common/record.h"
#include "search/search_service.h"

namespace commerce {

namespace {

// "v<version>:<filled ms>:<record>": the parts, or false when it is not an entry.
bool ParseEntry(std::string_view s, uint64_t* version, int64_t* filled_ms, std::string_view* record) {
  if (s.empty() || s[0] != 'v') return false;
  const char* p = s.data() + 1;
  const char* end = s.data() + s.size();
  auto r1 = std::from_chars(p, end, *version);
  if (r1.ec != std::errc() || r1.ptr == end || *r1.ptr != ':') return false;
  auto r2 = std::from_chars(r1.ptr + 1, end, *filled_ms);
  if (r2.ec != std::errc() || r2.ptr == end || *r2.ptr != ':') return false;
  *record = std::string_view(r2.ptr + 1, end - r2.ptr - 1);
  return true;
}

bool IsProductEvent(const Event& e) {
  return e.type == "ProductUpserted" || e.type == "ProductArchived";
}

int64_t NowMs() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

uint64_t EventVersion(const Event& e) {
  rapidjson::Document d;
  d.Parse(e.data.data(), e.data.size());
  if (d.HasParseError() || !d.IsObject()) return 0;
  auto it = d.FindMember("version");
  return it != d.MemberEnd() && it->value.IsUint64() ? it->value.GetUint64() : 0;
}

}  // namespace

struct ProductCache::Flight {
  std::mutex mu;
  std::condition_variable cv;
  bool done = false;
  Result<Product> result = Status::Internal("fill not finished");
};

Result<std::shared_ptr<ProductCache>> ProductCache::Open(Storage* storage, Events* events,
                                                         const SharedCacheOptions& options) {
  if (options.ttl.count() <= 0 || options.refresh_after.count() <= 0)
    return Status::InvalidArgument("shared_cache: ttl and refresh_after must be positive");
  if (options.ttl_jitter < 0 || options.ttl_jitter >= 1)
    return Status::InvalidArgument("shared_cache: ttl_jitter must be in [0, 1)");
  if (options.key_prefix.empty() || options.key_prefix.size() > 100)
    return Status::InvalidArgument("shared_cache: key_prefix must be 1..100 bytes");
  if (options.endpoint.deadline.count() <= 0)
    return Status::InvalidArgument("shared_cache: the endpoint's deadline must be positive");
  if (options.search_ttl.count() < 0)
    return Status::InvalidArgument("shared_cache: search_ttl must not be negative (0: no search results)");
  if (options.search_max_bytes < 1024 || options.search_max_bytes > (size_t{64} << 20))
    return Status::InvalidArgument("shared_cache: search_max_bytes must be 1 KiB .. 64 MiB, not " +
                                   std::to_string(options.search_max_bytes));
  COMMERCE_ASSIGN_OR_RETURN(auto redis,
                            RedisClient::Make(options.redis_url, options.connections, options.endpoint));
  COMMERCE_ASSIGN_OR_RETURN(Table products, storage->table("products"));
  return std::shared_ptr<ProductCache>(
      new ProductCache(storage, products, events, options, std::move(redis)));
}

ProductCache::ProductCache(Storage* storage, Table products, Events* events,
                           const SharedCacheOptions& options, std::shared_ptr<RedisClient> redis)
    : storage_(storage), products_(products), events_(events), options_(options), redis_(std::move(redis)) {}

void ProductCache::AttachSearch(SearchService* search) {
  if (options_.search_ttl.count() == 0 || search_ != nullptr) return;
  search_tier_ = std::make_shared<SearchResultTier>(redis_, options_);
  search_ = search;
  search_->SetSharedResults(search_tier_);
}

ProductCache::~ProductCache() { Stop(); }

std::string ProductCache::Key(std::string_view id) const {
  return options_.key_prefix + "p:" + std::string(id);
}

std::string ProductCache::JitteredTtlMs() {
  return std::to_string(JitteredMs(options_.ttl, options_.ttl_jitter));
}

Result<Product> ProductCache::ReadStorage(std::string_view id) {
  COMMERCE_ASSIGN_OR_RETURN(auto txn, storage_->read());
  return GetRecord<Product>(*txn, products_, KeyBuilder().str(id).key(), id, "product", DecodeProduct);
}

Result<Product> ProductCache::Get(std::string_view id) {
  auto cached = redis_->Get(Key(id));
  if (!cached.ok()) {
    // Redis down, slow or its breaker open: answer from storage, the cache is optional.
    bypassed_.fetch_add(1, std::memory_order_relaxed);
    return ReadStorage(id);
  }
  uint64_t version = 0;
  int64_t filled_ms = 0;
  std::string_view record;
  if (cached->has_value() && ParseEntry(**cached, &version, &filled_ms, &record)) {
    Product p;
    // A damaged entry (checksummed records) is a miss, refilled from storage.
    if (DecodeProduct(Key(id), record, &p).ok() && p.id == id) {
      hits_.fetch_add(1, std::memory_order_relaxed);
      if (NowMs() - filled_ms > options_.refresh_after.count()) {
        stale_served_.fetch_add(1, std::memory_order_relaxed);
        std::lock_guard lock(mu_);
        if (to_refresh_.size() < 10000) to_refresh_.insert(std::string(id));
        cv_.notify_all();
      }
      return p;
    }
  }
  misses_.fetch_add(1, std::memory_order_relaxed);
  return Fill(std::string(id));
}

Result<Product> ProductCache::Fill(const std::string& id) {
  std::shared_ptr<Flight> flight;
  bool leader = false;
  {
    std::lock_guard lock(flights_mu_);
    auto [it, inserted] = flights_.try_emplace(id);
    if (inserted) it->second = std::make_shared<Flight>();
    flight = it->second;
    leader = inserted;
  }
  if (!leader) {
    coalesced_.fetch_add(1, std::memory_order_relaxed);
    std::unique_lock lock(flight->mu);
    flight->cv.wait(lock, [&] { return flight->done; });
    return flight->result;
  }
  // Whoever led the previous flight for this key filled Redis before ending it: look again,
  // so that a caller that missed just before that fill does not read storage a second time.
  Result<Product> r = Status::NotFound("");
  uint64_t version = 0;
  int64_t filled_ms = 0;
  std::string_view record;
  auto again = redis_->Get(Key(id));
  Product cached;
  if (again.ok() && again->has_value() && ParseEntry(**again, &version, &filled_ms, &record) &&
      DecodeProduct(Key(id), record, &cached).ok() && cached.id == id &&
      NowMs() - filled_ms <= options_.refresh_after.count()) {
    r = std::move(cached);
  } else {
    r = ReadStorage(id);
    if (r.ok()) StoreFill(id, *r);
  }
  {
    std::lock_guard lock(flights_mu_);
    flights_.erase(id);
  }
  {
    std::lock_guard lock(flight->mu);
    flight->result = r;
    flight->done = true;
  }
  flight->cv.notify_all();
  return r;
}

void ProductCache::StoreFill(const std::string& id, const Product& p) {
  std::string value = "v" + std::to_string(p.version) + ":" +
                      std::to_string(NowMs()) + ":" + EncodeProduct(p);
  auto set = redis_->Eval(kProductFillScript, Key(id), {std::to_string(p.version), value, JitteredTtlMs()});
  if (!set.ok()) return;  // the next read misses again; nothing is wrong with the answer
  if (*set == 1) fills_.fetch_add(1, std::memory_order_relaxed);
  else fills_refused_.fetch_add(1, std::memory_order_relaxed);
}

void ProductCache::Invalidate(const std::string& id, uint64_t version) {
  auto r = redis_->Eval(kProductInvalidateScript, Key(id), {std::to_string(version), JitteredTtlMs()});
  if (r.ok() && *r == 1) invalidations_.fetch_add(1, std::memory_order_relaxed);
}

Status ProductCache::InvalidateRange(uint64_t from, uint64_t* applied_to) {
  while (true) {
    auto tail = events_->tail(from + 1, 1000);
    if (tail.status().IsGone()) {
      // The log was trimmed past every invalidator: what those events changed is unknown.
      COMMERCE_RETURN_IF_ERROR(InvalidateAll(&from));
      *applied_to = from;
      continue;
    }
    COMMERCE_ASSIGN_OR_RETURN(auto batch, std::move(tail));
    if (batch.empty()) return Status::OK();
    std::vector<std::string> keys;
    std::vector<std::vector<std::string>> args;
    for (const Event& e : batch) {
      if (!IsProductEvent(e)) continue;
      uint64_t version = EventVersion(e);
      if (version == 0) {
        // Not expected (docs/events.md): then the product's current version, which is at
        // least the event's.
        auto p = ReadStorage(e.subject);
        if (!p.ok()) continue;
        version = p->version;
      }
      keys.push_back(Key(e.subject));
      args.push_back({std::to_string(version), JitteredTtlMs()});
    }
    if (!keys.empty()) {
      COMMERCE_ASSIGN_OR_RETURN(auto set, redis_->EvalMany(kProductInvalidateScript, keys, args));
      for (long long s : set) if (s == 1) invalidations_.fetch_add(1, std::memory_order_relaxed);
    }
    from = batch.back().seq;
    COMMERCE_RETURN_IF_ERROR(
        redis_->Eval(kInvalidatedSeqScript, options_.key_prefix + "invalidated_seq", {std::to_string(from)})
            .status());
    *applied_to = from;
    invalidated_seq_.store(from, std::memory_order_relaxed);
  }
}

// Every product at its current version: the script keeps an entry that holds that version and
// tombstones an older one, so entries the trimmed events made stale go and fresh ones stay. The
// log's end is read first: what is written after it is read from the log again, and what was
// written before it is in the versions the scan reads.
Status ProductCache::InvalidateAll(uint64_t* applied_to) {
  COMMERCE_ASSIGN_OR_RETURN(uint64_t last, events_->last_seq());
  std::string begin;
  while (true) {
    std::vector<KeyValue> rows;
    {
      COMMERCE_ASSIGN_OR_RETURN(auto txn, storage_->read());
      COMMERCE_ASSIGN_OR_RETURN(rows, txn->scan(products_, begin, "", 1000));
    }
    if (rows.empty()) break;
    std::vector<std::string> keys;
    std::vector<std::vector<std::string>> args;
    for (const KeyValue& row : rows) {
      Product p;
      // A damaged record: no version to keep, so a tombstone above every version (reads then
      // go to storage, which refuses it with Corruption) until the ttl ends.
      const bool whole = DecodeProduct(row.key, row.value, &p).ok();
      if (!whole) {
        std::optional<std::string> id = KeyReader(row.key).str();
        if (!id) continue;
        p.id = std::move(*id);
      }
      keys.push_back(Key(p.id));
      args.push_back({whole ? std::to_string(p.version) : std::to_string(UINT64_MAX), JitteredTtlMs()});
    }
    if (!keys.empty()) {
      COMMERCE_ASSIGN_OR_RETURN(auto set, redis_->EvalMany(kProductInvalidateScript, keys, args));
      for (long long s : set) if (s == 1) invalidations_.fetch_add(1, std::memory_order_relaxed);
    }
    if (rows.size() < 1000) break;
    begin = rows.back().key + std::string(1, '\0');
  }
  COMMERCE_RETURN_IF_ERROR(
      redis_->Eval(kInvalidatedSeqScript, options_.key_prefix + "invalidated_seq", {std::to_string(last)})
          .status());
  *applied_to = last;
  invalidated_seq_.store(last, std::memory_order_relaxed);
  return Status::OK();
}

void ProductCache::InvalidateLoop() {
  bool known = false;
  uint64_t pos = 0;
  auto stopping = [&](std::chrono::milliseconds pause) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, pause, [&] { return stop_; });
  };
  while (true) {
    {
      std::lock_guard lock(mu_);
      if (stop_) return;
    }
    if (!known) {
      // Where the invalidators got to: from Redis (absent when Redis is new or was flushed,
      // and then it holds nothing older than this process's fills: start at the log's end as
      // of Start()).
      auto cursor = redis_->Get(options_.key_prefix + "invalidated_seq");
      auto last = events_->last_seq();
      if (!cursor.ok() || !last.ok()) {
        if (stopping(std::chrono::milliseconds(200))) return;
        continue;
      }
      uint64_t at = 0;
      if (cursor->has_value()) {
        const std::string& s = **cursor;
        std::from_chars(s.data(), s.data() + s.size(), at);
      } else {
        // Written at once: a process that starts after this one stops learns where this one's
        // fills begin (without it, it took the log's end as of its own start and skipped the
        // writes made in between).
        at = start_seq_;
        auto set = redis_->Eval(kInvalidatedSeqScript, options_.key_prefix + "invalidated_seq",
                                {std::to_string(at)});
        if (!set.ok()) {
          if (stopping(std::chrono::milliseconds(200))) return;
          continue;
        }
      }
      pos = std::min(at, *last);
      invalidated_seq_.store(pos, std::memory_order_relaxed);
      known = true;
    }
    Status s = InvalidateRange(pos, &pos);
    if (!s.ok()) {
      // Redis (or the store) failing: keep the position, try again shortly.
      if (stopping(std::chrono::milliseconds(100))) return;
      continue;
    }
    // Wakes at once on this process's commits; other processes' are seen by the log's poll
    // (Events::wait, every 100 ms on a shared store).
    (void)events_->wait(pos, std::chrono::milliseconds(500));
  }
}

void ProductCache::RefreshLoop() {
  while (true) {
    std::string id;
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [&] { return stop_ || !to_refresh_.empty(); });
      if (stop_) return;
      id = *to_refresh_.begin();
      to_refresh_.erase(to_refresh_.begin());
    }
    (void)Fill(id);
  }
}

void ProductCache::Start() {
  std::lock_guard lock(mu_);
  if (invalidator_.joinable()) return;
  stop_ = false;
  // Before any read can fill: a log that cannot be read now starts the invalidator at 0
  // (it applies the whole log once; tombstones never hide a newer entry).
  auto last = events_->last_seq();
  start_seq_ = last.ok() ? *last : 0;
  invalidator_ = std::thread([this] { InvalidateLoop(); });
  refresher_ = std::thread([this] { RefreshLoop(); });
}

void ProductCache::Stop() {
  if (search_ != nullptr) {
    // Queries in flight keep the tier (a shared_ptr) to their end; new ones no longer use it.
    search_->ClearSharedResults(search_tier_.get());
    search_ = nullptr;
  }
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  // The invalidator leaves within its wait on the log (500 ms at most).
  if (invalidator_.joinable()) invalidator_.join();
  if (refresher_.joinable()) refresher_.join();
}

SharedCacheStats ProductCache::stats() const {
  SharedCacheStats s;
  s.hits = hits_.load();
  s.misses = misses_.load();
  s.fills = fills_.load();
  s.fills_refused = fills_refused_.load();
  s.coalesced = coalesced_.load();
  s.stale_served = stale_served_.load();
  s.invalidations = invalidations_.load();
  s.bypassed = bypassed_.load();
  s.invalidated_seq = invalidated_seq_.load();
  if (search_tier_) search_tier_->AddStats(&s);
  return s;
}

// --- SharedCache, the public face (include/commerce/shared_cache.h) ---

Result<std::unique_ptr<SharedCache>> SharedCache::open(Engine& engine, const SharedCacheOptions& options) {
  COMMERCE_ASSIGN_OR_RETURN(auto impl, ProductCache::Open(&engine.storage(), &engine.events(), options));
  if (SearchService* search = SearchService::Of(engine.search())) impl->AttachSearch(search);
  impl->Start();
  return std::unique_ptr<SharedCache>(new SharedCache(std::move(impl)));
}

SharedCache::SharedCache(std::shared_ptr<ProductCache> impl) : impl_(std::move(impl)) {}

SharedCache::~SharedCache() { impl_->Stop(); }

Result<Product> SharedCache::get_product(std::string_view product_id) {
  // Bad input is refused before Redis or the store is asked (Catalog::get's rule).
  COMMERCE_RETURN_IF_ERROR(CheckIdentifier("product id", product_id, 512));
  return impl_->Get(product_id);
}

void SharedCache::written(const Product& stored) { impl_->Invalidate(stored.id, stored.version); }

SharedCacheStats SharedCache::stats() const { return impl_->stats(); }

}  // namespace commerce
