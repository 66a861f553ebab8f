#include "search/result_cache.h"

namespace commerce::search {

namespace {
constexpr size_t kShards = 16;

// A per-thread splitmix64 stream: jitter needs to be cheap, not strong.
uint64_t NextRandom() {
  thread_local uint64_t state =
      0x9E3779B97F4A7C15ULL ^ reinterpret_cast<uintptr_t>(&state) ^
      static_cast<uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count());
  uint64_t z = (state += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}
}  // namespace

ResultCache::ResultCache(size_t capacity, std::chrono::milliseconds ttl,
                         std::chrono::milliseconds stale)
    : capacity_(capacity),
      ttl_(ttl),
      stale_(stale) {
  for (size_t i = 0; i < kShards; ++i) shards_.push_back(std::make_unique<Shard>());
}

ResultCache::Shard& ResultCache::ShardFor(const std::string& key) {
  return *shards_[std::hash<std::string>{}(key) % kShards];
}

void ResultCache::Age(Entry& e, Clock::time_point now) const {
  // TTL x [0.8, 1.2): entries made in one burst expire spread out.
  const auto jitter = ttl_.count() * static_cast<int64_t>(NextRandom() % 400) / 1000;
  e.fresh_until = now + ttl_ * 8 / 10 + std::chrono::milliseconds(jitter);
  e.stale_until = e.fresh_until + stale_;
}

void ResultCache::Insert(Shard& s, const std::string& key, std::shared_ptr<const SearchResult> r) {
  if (capacity_ == 0) return;
  const auto now = Clock::now();
  auto it = s.entries.find(key);
  if (it == s.entries.end()) {
    s.lru.push_front(key);
    it = s.entries.emplace(key, Entry{}).first;
    it->second.lru = s.lru.begin();
    size_.fetch_add(1, std::memory_order_relaxed);
  } else {
    s.lru.splice(s.lru.begin(), s.lru, it->second.lru);
  }
  Entry& e = it->second;
  e.result = std::move(r);
  Age(e, now);
  e.refreshing = false;
  // Over the bound, this shard gives back its least recently used (this entry itself last, if
  // every other entry is in other shards: the bound holds).
  while (size_.load(std::memory_order_relaxed) > capacity_ && !s.lru.empty()) {
    s.entries.erase(s.lru.back());
    s.lru.pop_back();
    size_.fetch_sub(1, std::memory_order_relaxed);
  }
}

Result<SearchResult> ResultCache::Get(const std::string& key, uint64_t min_seq, uint64_t exact_seq,
                                      const Compute& compute, const ScheduleRefresh& refresh) {
  Shard& s = ShardFor(key);
  std::promise<Result<SearchResult>> promise;
  Flight flight;
  bool leader = false;
  {
    std::unique_lock<std::mutex> lock(s.mu);
    auto it = s.entries.find(key);
    const auto now = Clock::now();
    const bool exact = it != s.entries.end() && exact_seq != 0 && it->second.result->index_seq == exact_seq;
    if (it != s.entries.end() && it->second.result->index_seq >= min_seq &&
        (now < it->second.stale_until || exact)) {
      Entry& e = it->second;
      s.lru.splice(s.lru.begin(), s.lru, e.lru);
      std::shared_ptr<const SearchResult> r = e.result;
      bool schedule = false;
      if (now >= e.fresh_until && exact) {
        // Nothing it depends on changed: fresh again (a refresh already queued still runs, and
        // finds the same page).
        Age(e, now);
        hits_.fetch_add(1, std::memory_order_relaxed);
      } else if (now >= e.fresh_until) {
        stale_served_.fetch_add(1, std::memory_order_relaxed);
        if (!e.refreshing) e.refreshing = schedule = true;
      } else {
        hits_.fetch_add(1, std::memory_order_relaxed);
      }
      lock.unlock();
      if (schedule) refresh();
      SearchResult copy = *r;
      copy.from_cache = true;
      return copy;
    }
    auto f = s.flights.find(key);
    if (f != s.flights.end()) {
      flight = f->second;
      coalesced_.fetch_add(1, std::memory_order_relaxed);
    } else {
      misses_.fetch_add(1, std::memory_order_relaxed);
      flight = promise.get_future().share();
      s.flights.emplace(key, flight);
      leader = true;
    }
  }
  if (!leader) {
    Result<SearchResult> r = flight.get();
    // The leader's result may predate what this caller needs: then compute its own.
    if (r.ok() && r->index_seq < min_seq) return compute();
    return r;
  }
  Result<SearchResult> r = [&]() -> Result<SearchResult> {
    try {
      return compute();
    } catch (const std::exception& e) {
      return Status::Internal(std::string("search: ") + e.what());
    }
  }();
  {
    std::lock_guard<std::mutex> lock(s.mu);
    // A partial result (remote shards missing) is not kept: the shard may be back next time.
    if (r.ok() && !r->partial) Insert(s, key, std::make_shared<const SearchResult>(*r));
    s.flights.erase(key);
  }
  promise.set_value(r);
  return r;
}

void ResultCache::Put(const std::string& key, const SearchResult& result) {
  if (result.partial) {
    RefreshFailed(key);
    return;
  }
  Shard& s = ShardFor(key);
  std::lock_guard<std::mutex> lock(s.mu);
  Insert(s, key, std::make_shared<const SearchResult>(result));
}

void ResultCache::RefreshFailed(const std::string& key) {
  Shard& s = ShardFor(key);
  std::lock_guard<std::mutex> lock(s.mu);
  auto it = s.entries.find(key);
  if (it != s.entries.end()) it->second.refreshing = false;
}

void ResultCache::Clear() {
  for (auto& s : shards_) {
    std::lock_guard<std::mutex> lock(s->mu);
    size_.fetch_sub(s->entries.size(), std::memory_order_relaxed);
    s->entries.clear();
    s->lru.clear();
  }
}

ResultCache::Counters ResultCache::counters() const {
  Counters c{hits_.load(), misses_.load(), coalesced_.load(), stale_served_.load(), 0};
  for (const auto& s : shards_) {
    std::lock_guard<std::mutex> lock(s->mu);
    c.entries += s->entries.size();
  }
  return c;
}

}  // namespace commerce::search
