#include "search/search_service.h"

#include <pthread.h>

#include <algorithm>
#include <system_error>
#include <unordered_map>

#include "common/key.h"
#include "events/event_log.h"
#include "search/query_runner.h"
#include "search/suggester.h"

namespace commerce {

namespace {
// Stale entries queued for refresh beyond this are served stale until they expire.
constexpr size_t kMaxRefreshQueue = 1000;
// A reader that the indexer overtook mid-query reopens and runs again this many times.
constexpr int kModifiedRetries = 3;
// Remote queries running at once in this process (their callers waiting, or gone past their
// deadline); more callers wait for one to finish, within their deadline. Each running query
// holds a reader, and each reader a connection to every shard, which a shard server serves
// with a forked process of its own: without this bound a burst of searches made as many
// readers as searches at once (64 connections per shard per instance under wrk's 64 clients;
// 400 shard-server processes in the fleet), whose queries then crowded the shard servers'
// cores until they passed search.remote_timeout -- and a shard that answers late counts as
// failing, so its breaker opened and every search got 503 (docs/scaling.md, "search-varied
// through HAProxy"). A query is a few ms of a shard server's CPU: queueing here, in front of
// the shards, costs a caller that much per query ahead of it; queueing on the shard servers
// cost everyone the timeout. A stalled shard server holds the slots of its queries until
// Xapian's own timeout on them (remote_timeout), then its breaker opens.
constexpr int kMaxRemoteCalls = 16;

// Every so often the refresh thread looks whether another process changed the synonyms or
// the rules (their versions in the store).
constexpr auto kMerchandisingCheck = std::chrono::seconds(1);
// How often the refresh thread adds the analytics counts to the store: what a crash loses.
constexpr auto kAnalyticsFlush = std::chrono::seconds(5);

std::string SynonymsKey() { return KeyBuilder().str("search.synonyms").key(); }
std::string SynonymsVersionKey() { return KeyBuilder().str("search.synonyms.version").key(); }
std::string RulesKey() { return KeyBuilder().str("search.rules").key(); }
std::string RulesVersionKey() { return KeyBuilder().str("search.rules.version").key(); }

// A version record: the decimal number (absent: 0).
Result<uint64_t> ReadVersion(ReadView& txn, Table meta, const std::string& key) {
  std::string_view v;
  Status s = txn.get(meta, key, &v);
  if (s.IsNotFound()) return uint64_t{0};
  COMMERCE_RETURN_IF_ERROR(s);
  uint64_t n = 0;
  for (char c : v) {
    if (c < '0' || c > '9') return Status::Corruption("meta: " + key + " is not a version number");
    n = n * 10 + static_cast<uint64_t>(c - '0');
  }
  return n;
}

std::vector<search::SynonymGroupSpec> Specs(const std::vector<SynonymGroup>& groups) {
  std::vector<search::SynonymGroupSpec> out;
  out.reserve(groups.size());
  for (const auto& g : groups) out.push_back({g.root, g.synonyms});
  return out;
}
}  // namespace

SearchService::SearchService(Storage* storage, EventNotifier* notifier, Catalog* catalog,
                             Inventory* inventory, Events* events, PriceLists* price_lists,
                             Channels* channels, std::string root, SearchOptions options)
    : storage_(storage),
      notifier_(notifier),
      events_(events),
      options_(options),
      layout_(std::move(root)),
      names_(catalog),
      readers_(&layout_),
      cache_(options.cache_entries, options.cache_ttl, options.cache_stale),
      indexer_(notifier, catalog, inventory, events, &names_, layout_,
               [this](const std::string& g, uint64_t seq) { OnPublished(g, seq); }),
      callers_(catalog, price_lists, channels),
      analytics_(options.analytics_sample_rate, options.analytics_max_queries,
                 options.analytics_max_searches, options.analytics_retention_hours),
      synonyms_(std::make_shared<search::Synonyms>()),
      rules_(std::make_shared<search::Rules>()) {}

SearchService::~SearchService() { Stop(); }

Status SearchService::Open() {
  if (options_.shards > 16) return Status::InvalidArgument("search.shards must be 0..16");
  if (options_.cache_ttl.count() < 0 || options_.cache_stale.count() < 0)
    return Status::InvalidArgument("search.cache_ttl and search.cache_stale must not be negative");
  COMMERCE_RETURN_IF_ERROR(search::Analytics::Check(options_.analytics_sample_rate, options_.analytics_max_queries,
                                                    options_.analytics_max_searches,
                                                    options_.analytics_retention_hours));
  if (!options_.remote_shards.empty()) {
    COMMERCE_ASSIGN_OR_RETURN(remote_, search::RemoteShards::Make(options_.remote_shards,
                                                                  options_.remote_timeout,
                                                                  options_.remote_connect_timeout,
                                                                  options_.remote_refresh));
    readers_.UseRemote(remote_.get());
  }
  // The synonym list and the rules are kept in the store (meta table), so they are as
  // durable as the catalog and survive index rebuilds.
  COMMERCE_ASSIGN_OR_RETURN(meta_, storage_->table("meta"));
  // The analytics counts are flushed to the store (analytics_store.h) by the refresh thread,
  // RunOnce and Stop.
  COMMERCE_ASSIGN_OR_RETURN(auto analytics_store, search::AnalyticsStore::Open(storage_));
  analytics_.Attach(analytics_store);
  // Search ids are signed with the store's key, so every process sharing it takes them.
  COMMERCE_ASSIGN_OR_RETURN(auto ids, search::SearchIdCodec::Open(storage_, meta_));
  analytics_.SetCodec(ids);
  COMMERCE_RETURN_IF_ERROR(ReloadMerchandising(true));
  indexer_.set_commit_every_shard(options_.serve_remote);
  indexer_.set_seen([this](const std::vector<Event>& batch) { callers_.Seen(batch); });
  return indexer_.Open(options_.shards);
}

void SearchService::Start() {
  if (options_.run_indexer) indexer_.Start();
  if (!refresh_thread_.joinable())
    refresh_thread_ = std::thread([this] {
      pthread_setname_np(pthread_self(), "commerce-search");  // for profiles (perf report --sort comm)
      RefreshLoop();
    });
}

void SearchService::Stop() {
  {
    std::unique_lock<std::mutex> lock(remote_calls_mu_);
    remote_calls_cv_.wait(lock, [&] { return remote_calls_ == 0; });
  }
  indexer_.Stop();
  {
    std::lock_guard<std::mutex> lock(refresh_mu_);
    refresh_stop_ = true;
  }
  refresh_cv_.notify_all();
  if (refresh_thread_.joinable()) refresh_thread_.join();
  // The last counts, once: a second Stop (the destructor's) may come after the store closed.
  if (!analytics_flushed_.exchange(true)) (void)analytics_.Flush(search::Analytics::NowMs());
}

Status SearchService::RunOnce() {
  Status indexed = indexer_.RunOnce();
  Status flushed = analytics_.Flush(search::Analytics::NowMs());
  return indexed.ok() ? flushed : indexed;
}

void SearchService::OnPublished(const std::string& generation, uint64_t seq) {
  readers_.Publish(generation, seq);
  bool rebuilt = false;
  {
    std::lock_guard<std::mutex> lock(seq_mu_);
    published_seq_ = seq;
    rebuilt = generation != published_generation_;
    // A rebuilt generation may be at the sequence of pages cached (or being computed) from the
    // one before: none at or below it is taken as exact again.
    if (rebuilt && !published_generation_.empty()) rebuilt_at_seq_ = seq;
    published_generation_ = generation;
    exact_seq_.store(!remote_ && seq > rebuilt_at_seq_ ? seq : 0, std::memory_order_release);
  }
  // A new generation was filled from the catalog, not from events one by one.
  if (rebuilt) callers_.Clear();
  seq_cv_.notify_all();
  notifier_->NotifyListeners();  // loops waiting for min_index_seq without a thread
}

SearchService::Merchandising SearchService::Current() const {
  std::lock_guard<std::mutex> lock(synonyms_mu_);
  return {synonyms_, synonyms_version_, rules_};
}

Status SearchService::ReloadMerchandising(bool force) {
  const Merchandising held = Current();
  COMMERCE_ASSIGN_OR_RETURN(auto txn, storage_->read());
  COMMERCE_ASSIGN_OR_RETURN(uint64_t synonyms_version, ReadVersion(*txn, meta_, SynonymsVersionKey()));
  std::shared_ptr<const search::Synonyms> synonyms;
  if (force || synonyms_version != held.synonyms_version) {
    std::string_view v;
    Status s = txn->get(meta_, SynonymsKey(), &v);
    if (s.ok()) {
      COMMERCE_ASSIGN_OR_RETURN(auto syn, search::Synonyms::Decode(v));
      synonyms = std::make_shared<const search::Synonyms>(std::move(syn));
    } else if (s.IsNotFound()) {
      synonyms = std::make_shared<const search::Synonyms>();
    } else {
      return s;
    }
  }
  COMMERCE_ASSIGN_OR_RETURN(uint64_t rules_version, ReadVersion(*txn, meta_, RulesVersionKey()));
  std::shared_ptr<const search::Rules> rules;
  if (force || rules_version != held.rules->version()) {
    std::string_view v;
    Status s = txn->get(meta_, RulesKey(), &v);
    RuleSet set;
    if (s.ok()) {
      COMMERCE_RETURN_IF_ERROR(search::DecodeRuleSet(v, &set));
    } else if (!s.IsNotFound()) {
      return s;
    }
    set.version = rules_version;
    rules = std::make_shared<const search::Rules>(std::move(set));
  }
  txn.reset();
  if (!synonyms && !rules) return Status::OK();
  {
    // Versions only grow in the store: a reload that read before a concurrent write (the
    // refresh thread's, beside a put_rule's own) must not put back the older set.
    std::lock_guard<std::mutex> lock(synonyms_mu_);
    if (synonyms && (force || synonyms_version > synonyms_version_))
      synonyms_ = std::move(synonyms), synonyms_version_ = synonyms_version;
    if (rules && (force || rules->version() > rules_->version())) rules_ = std::move(rules);
  }
  cache_.Clear();
  return Status::OK();
}

Result<uint64_t> SearchService::WriteVersioned(
    const std::string& what, const std::string& key, const std::string& version_key, uint64_t expected_version,
    const std::function<Result<std::string>(WriteTxn&, uint64_t next)>& change) {
  uint64_t written = 0;
  const Table meta = meta_;
  COMMERCE_RETURN_IF_ERROR(storage_->write([&](WriteTxn& txn) -> Status {
    COMMERCE_ASSIGN_OR_RETURN(uint64_t version, ReadVersion(txn, meta, version_key));
    if (expected_version != 0 && expected_version != version)
      return Status::Conflict(what + ": version " + std::to_string(version) + ", not the expected " +
                              std::to_string(expected_version) + " (changed meanwhile: read it again)");
    written = version + 1;
    COMMERCE_ASSIGN_OR_RETURN(std::string value, change(txn, written));
    COMMERCE_RETURN_IF_ERROR(txn.put(meta, version_key, std::to_string(written)));
    if (!value.empty()) return txn.put(meta, key, value);
    Status s = txn.del(meta, key);
    return s.IsNotFound() ? Status::OK() : s;
  }));
  COMMERCE_RETURN_IF_ERROR(ReloadMerchandising(false));
  return written;
}

Result<SearchResult> SearchService::RunRemoteWithin(const search::CheckedRequest& c) {
  struct Call {
    std::mutex mu;
    std::condition_variable cv;
    bool done = false;
    SearchRequest request;
    Result<SearchResult> result{Status::Internal("search: the remote query did not run")};
  };
  auto call = std::make_shared<Call>();
  call->request = *c.request;
  call->request.now_ms = c.now_ms;  // the clock the caller's cache key was made at
  const auto deadline = std::chrono::steady_clock::now() + options_.remote_timeout;
  {
    std::unique_lock<std::mutex> lock(remote_calls_mu_);
    if (!remote_calls_cv_.wait_until(lock, deadline, [&] { return remote_calls_ < kMaxRemoteCalls; }))
      return Status::Unavailable(
          "search: the remote shards are busy (" + std::to_string(remote_calls_) +
          " queries of this process running on them for " +
          std::to_string(options_.remote_timeout.count()) +
          " ms, search.remote_timeout, and more waiting); retry later");
    ++remote_calls_;
  }
  try {
    std::thread([this, call] {
      auto checked = Check(call->request);
      auto r = checked.ok() ? RunRemote(*checked) : Result<SearchResult>(checked.status());
      {
        std::lock_guard<std::mutex> lock(call->mu);
        call->result = std::move(r);
        call->done = true;
      }
      call->cv.notify_all();
      // Last use of `this`: Stop() may return as soon as the count is 0.
      std::lock_guard<std::mutex> lock(remote_calls_mu_);
      --remote_calls_;
      remote_calls_cv_.notify_all();
    }).detach();
  } catch (const std::system_error& e) {
    std::lock_guard<std::mutex> lock(remote_calls_mu_);
    --remote_calls_;
    remote_calls_cv_.notify_all();
    return Status::Unavailable(std::string("search: no thread for a remote query: ") + e.what());
  }
  std::unique_lock<std::mutex> lock(call->mu);
  if (!call->cv.wait_until(lock, deadline, [&] { return call->done; }))
    return Status::DeadlineExceeded(
        "search: the remote shards did not answer within " +
        std::to_string(options_.remote_timeout.count()) +
        " ms (search.remote_timeout); a shard server that keeps timing out has its breaker "
        "opened, and queries with allow_partial are then answered without it");
  return std::move(call->result);
}

Result<SearchResult> SearchService::RunRemote(const search::CheckedRequest& c) {
  const Merchandising m = Current();
  COMMERCE_ASSIGN_OR_RETURN(auto reader, readers_.Acquire(c.request->min_index_seq));
  // A whole page another process computed at this reader's sequence answers even while a
  // shard is missing here.
  const SharedLookup shared = SharedFor(c, m);
  if (auto page = shared.Get(reader->index_seq, c.request->min_index_seq)) return std::move(*page);
  queries_.fetch_add(1, std::memory_order_relaxed);
  const auto words = remote_->words();
  for (int attempt = 0;; ++attempt) {
    if (!reader->missing_shards.empty() && !c.request->allow_partial) return remote_->MissingError(*reader);
    bool modified = false, lost = false;
    const auto started = std::chrono::steady_clock::now();
    auto r = search::RunQuery(*reader, c, *m.synonyms, *m.rules, *words, &names_, &modified, &lost);
    remote_->RecordQuery(*reader, r.status(), lost, std::chrono::steady_clock::now() - started);
    if (r.ok()) {
      r->synonyms_version = m.synonyms_version;
      r->partial = !reader->missing_shards.empty();
      r->missing_shards = reader->missing_shards;
      shared.Put(r);
      return r;
    }
    // A server lost mid-query: once more on fresh connections (a replica, or without the
    // shard); a second loss, or a shard that answers too slowly twice, is the answer.
    if (!(modified || lost) || attempt == (lost ? 1 : kModifiedRetries)) return r;
    COMMERCE_RETURN_IF_ERROR(reader.Reopen());
  }
}

Result<SearchResult> SearchService::RunUncached(const search::CheckedRequest& c) {
  if (remote_) return RunRemoteWithin(c);
  const Merchandising m = Current();
  COMMERCE_ASSIGN_OR_RETURN(auto reader, readers_.Acquire());
  const SharedLookup shared = SharedFor(c, m);
  if (auto page = shared.Get(reader->index_seq, c.request->min_index_seq)) return std::move(*page);
  queries_.fetch_add(1, std::memory_order_relaxed);
  auto words = indexer_.words();
  if (!words) return Status::Unavailable("search index is not open");
  for (int attempt = 0;; ++attempt) {
    bool modified = false;
    auto r = search::RunQuery(*reader, c, *m.synonyms, *m.rules, *words, &names_, &modified);
    if (r.ok()) r->synonyms_version = m.synonyms_version;
    if (!modified || attempt == kModifiedRetries) {
      shared.Put(r);
      return r;
    }
    COMMERCE_RETURN_IF_ERROR(reader.Reopen());
  }
}

namespace {
std::mutex registry_mu;
std::unordered_map<const Search*, SearchService*>& Registry() {
  static auto* registry = new std::unordered_map<const Search*, SearchService*>;  // GUARDED_BY(registry_mu)
  return *registry;
}
}  // namespace

void SearchService::Register(const Search* search, SearchService* service) {
  std::lock_guard<std::mutex> lock(registry_mu);
  Registry()[search] = service;
}

void SearchService::Unregister(const Search* search) {
  std::lock_guard<std::mutex> lock(registry_mu);
  Registry().erase(search);
}

SearchService* SearchService::Of(const Search& search) {
  std::lock_guard<std::mutex> lock(registry_mu);
  auto it = Registry().find(&search);
  return it == Registry().end() ? nullptr : it->second;
}

void SearchService::SetSharedResults(std::shared_ptr<search::SharedResults> tier) {
  std::lock_guard<std::mutex> lock(shared_mu_);
  shared_ = std::move(tier);
}

void SearchService::ClearSharedResults(const search::SharedResults* tier) {
  std::lock_guard<std::mutex> lock(shared_mu_);
  if (shared_.get() == tier) shared_.reset();
}

SearchService::SharedLookup SearchService::SharedFor(const search::CheckedRequest& c,
                                                     const Merchandising& m) const {
  SharedLookup out;
  if (!c.request->use_cache) return out;
  {
    std::lock_guard<std::mutex> lock(shared_mu_);
    out.tier = shared_;
  }
  if (!out.tier) return out;
  // The versions of what shapes a page beside the index: a page made under other synonyms or
  // rules (another process's, not yet reloaded, or from before a change), or before or after
  // one of the rules' schedule boundaries, is another key.
  out.key = search::CacheKey(*c.request) + c.caller_key + "|synonyms:" + std::to_string(m.synonyms_version) +
            m.rules->CacheKeySuffix(c.now_ms);
  return out;
}

std::optional<SearchResult> SearchService::SharedLookup::Get(uint64_t seq, uint64_t min_seq) const {
  if (!tier || seq < min_seq) return std::nullopt;
  return tier->Get(key, seq);
}

void SearchService::SharedLookup::Put(const Result<SearchResult>& r) const {
  if (tier && r.ok() && !r->partial) tier->Put(key, *r);
}

Result<search::CheckedRequest> SearchService::Check(const SearchRequest& request) {
  COMMERCE_ASSIGN_OR_RETURN(auto checked, search::CheckRequest(request));
  if (request.channel.empty() && request.currency.empty()) return checked;
  COMMERCE_ASSIGN_OR_RETURN(auto caller, callers_.Resolve(request, checked.now_ms));
  if (remote_ && caller.prices)
    return Status::NotSupported(
        "search currency: the caller's prices are not applied over remote shards "
        "(search.remote_shards): they need each product's document in this process. Search "
        "without a currency, and without a channel (whose default currency would apply)");
  checked.channel = std::move(caller.channel);
  checked.prices = std::move(caller.prices);
  checked.caller_key = std::move(caller.key_suffix);
  return checked;
}

Result<SearchResult> SearchService::Query(const SearchRequest& request) {
  // A caller's prices are resolved after the wait for min_index_seq: the indexer forgets those
  // a write changed before it publishes the write's sequence (caller_cache.h).
  if (request.min_index_seq > 0 && (!request.channel.empty() || !request.currency.empty())) {
    COMMERCE_RETURN_IF_ERROR(search::CheckRequest(request).status());
    COMMERCE_RETURN_IF_ERROR(WaitFor(request.min_index_seq, request.wait_timeout));
  }
  COMMERCE_ASSIGN_OR_RETURN(auto checked, Check(request));
  auto r = Cached(checked);
  // Every search the caller makes is recorded, a cached one too: a browse (no text) is not a
  // query shoppers typed. Over remote shards this engine records, as locally.
  if (r.ok() && !search::Analytics::Normalise(request.text).empty())
    r->search_id = analytics_.Record(request.text, r->total, r->used_correction, r->hits, checked.now_ms);
  return r;
}

Result<SearchResult> SearchService::Cached(const search::CheckedRequest& checked) {
  const SearchRequest& request = *checked.request;
  if (request.min_index_seq > 0)
    COMMERCE_RETURN_IF_ERROR(WaitFor(request.min_index_seq, request.wait_timeout));
  if (!request.use_cache || options_.cache_entries == 0) return RunUncached(checked);
  // Pages are cleared at a rule change, but not when a rule's schedule starts or ends: the
  // boundaries passed are part of the key (a page cached before a rule starts is another
  // key than the one asked for after).
  const std::string key =
      search::CacheKey(request) + checked.caller_key + Current().rules->CacheKeySuffix(checked.now_ms);
  return cache_.Get(
      key, request.min_index_seq, exact_seq_.load(std::memory_order_acquire), [&] { return RunUncached(checked); },
      [&] {
        std::lock_guard<std::mutex> lock(refresh_mu_);
        if (refresh_queue_.size() >= kMaxRefreshQueue) {
          cache_.RefreshFailed(key);
          return;
        }
        refresh_queue_.emplace_back(key, request);
        refresh_queue_.back().second.now_ms = checked.now_ms;  // the key's clock, not the refresh's
        refresh_cv_.notify_one();
      });
}

void SearchService::RefreshLoop() {
  std::unique_lock<std::mutex> lock(refresh_mu_);
  auto checked_at = std::chrono::steady_clock::now();
  auto flushed_at = checked_at;
  for (;;) {
    refresh_cv_.wait_until(lock, checked_at + kMerchandisingCheck,
                           [&] { return refresh_stop_ || !refresh_queue_.empty(); });
    if (refresh_stop_) return;
    if (std::chrono::steady_clock::now() >= checked_at + kMerchandisingCheck) {
      lock.unlock();
      // A failure (the store busy or remote and away) leaves the sets held; the next check
      // tries again.
      (void)ReloadMerchandising(false);
      if (std::chrono::steady_clock::now() >= flushed_at + kAnalyticsFlush) {
        // A failure keeps the counts in memory for the next flush.
        (void)analytics_.Flush(search::Analytics::NowMs());
        flushed_at = std::chrono::steady_clock::now();
      }
      checked_at = std::chrono::steady_clock::now();
      lock.lock();
      continue;
    }
    auto [key, request] = std::move(refresh_queue_.front());
    refresh_queue_.pop_front();
    lock.unlock();
    auto checked = Check(request);
    auto r = checked.ok() ? RunUncached(*checked) : Result<SearchResult>(checked.status());
    if (r.ok()) cache_.Put(key, *r);
    else cache_.RefreshFailed(key);
    lock.lock();
  }
}

Status SearchService::WaitForRemote(uint64_t seq, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  uint64_t at = 0;
  for (;;) {
    {
      COMMERCE_ASSIGN_OR_RETURN(auto reader, readers_.Acquire(seq));
      at = reader->index_seq;
    }
    if (at >= seq) return Status::OK();
    if (std::chrono::steady_clock::now() >= deadline) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return Status::DeadlineExceeded("remote search shards reached event " + std::to_string(at) +
                                  ", not " + std::to_string(seq) + ", within " +
                                  std::to_string(timeout.count()) +
                                  " ms (a shard's sequence moves with every batch only when the "
                                  "indexing engine runs with search.serve_remote)");
}

Status SearchService::WaitFor(uint64_t seq, std::chrono::milliseconds timeout) {
  if (remote_) return WaitForRemote(seq, timeout);
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  if (!options_.run_indexer) {
    // No indexer thread: catch up on this one.
    COMMERCE_RETURN_IF_ERROR(indexer_.RunOnce());
  }
  std::unique_lock<std::mutex> lock(seq_mu_);
  if (seq_cv_.wait_until(lock, deadline, [&] { return published_seq_ >= seq; })) return Status::OK();
  const uint64_t at = published_seq_;
  lock.unlock();
  std::string why = indexer_.last_error();
  return Status::DeadlineExceeded("search index reached event " + std::to_string(at) +
                                  ", not " + std::to_string(seq) + ", within " +
                                  std::to_string(timeout.count()) + " ms" +
                                  (why.empty() ? "" : " (indexer: " + why + ")"));
}

Status SearchService::SetSynonyms(const std::vector<std::vector<std::string>>& groups) {
  std::vector<SynonymGroup> multi;
  multi.reserve(groups.size());
  for (const auto& g : groups) multi.push_back({"", g});
  return SetSynonymGroups(multi, 0).status();
}

std::vector<std::vector<std::string>> SearchService::Synonyms() const {
  std::vector<std::vector<std::string>> out;
  for (const auto& g : CurrentSynonyms()->groups())
    if (g.root.empty()) out.push_back(g.synonyms);
  return out;
}

Result<uint64_t> SearchService::SetSynonymGroups(const std::vector<SynonymGroup>& groups,
                                                 uint64_t expected_version) {
  COMMERCE_ASSIGN_OR_RETURN(auto syn, search::Synonyms::Make(Specs(groups)));
  const std::string encoded = syn.Encode();
  return WriteVersioned("search synonyms", SynonymsKey(), SynonymsVersionKey(), expected_version,
                        [&](WriteTxn&, uint64_t) -> Result<std::string> { return encoded; });
}

SynonymSet SearchService::SynonymGroups() const {
  const Merchandising m = Current();
  SynonymSet out;
  out.version = m.synonyms_version;
  for (const auto& g : m.synonyms->groups()) out.groups.push_back({g.root, g.synonyms});
  return out;
}

namespace {
Result<RuleSet> StoredRules(WriteTxn& txn, Table meta, const std::string& key) {
  RuleSet set;
  std::string_view v;
  Status s = txn.get(meta, key, &v);
  if (s.IsNotFound()) return set;
  COMMERCE_RETURN_IF_ERROR(s);
  COMMERCE_RETURN_IF_ERROR(search::DecodeRuleSet(v, &set));
  return set;
}
}  // namespace

Result<uint64_t> SearchService::PutRule(const MerchandisingRule& rule, uint64_t expected_version) {
  COMMERCE_ASSIGN_OR_RETURN(MerchandisingRule checked, search::CheckRule(rule));
  const Table meta = meta_;
  return WriteVersioned(
      "search rules", RulesKey(), RulesVersionKey(), expected_version,
      [&](WriteTxn& txn, uint64_t next) -> Result<std::string> {
        COMMERCE_ASSIGN_OR_RETURN(RuleSet set, StoredRules(txn, meta, RulesKey()));
        checked.version = next;
        auto it = std::find_if(set.rules.begin(), set.rules.end(),
                               [&](const auto& r) { return r.id == checked.id; });
        if (it != set.rules.end()) {
          *it = checked;
        } else {
          if (set.rules.size() >= kMaxRules)
            return Status::ResourceExhausted("search rules: " + std::to_string(kMaxRules) +
                                             " rules already; delete one first");
          set.rules.push_back(checked);
        }
        std::sort(set.rules.begin(), set.rules.end(), [](const auto& a, const auto& b) { return a.id < b.id; });
        set.version = next;
        return search::EncodeRuleSet(set);
      });
}

Result<uint64_t> SearchService::DeleteRule(const std::string& id, uint64_t expected_version) {
  COMMERCE_RETURN_IF_ERROR(search::CheckRuleId(id));
  const Table meta = meta_;
  return WriteVersioned(
      "search rules", RulesKey(), RulesVersionKey(), expected_version,
      [&](WriteTxn& txn, uint64_t next) -> Result<std::string> {
        COMMERCE_ASSIGN_OR_RETURN(RuleSet set, StoredRules(txn, meta, RulesKey()));
        auto it = std::find_if(set.rules.begin(), set.rules.end(), [&](const auto& r) { return r.id == id; });
        if (it == set.rules.end()) return Status::NotFound("search rule '" + id + "' does not exist");
        set.rules.erase(it);
        set.version = next;
        return search::EncodeRuleSet(set);
      });
}

RuleSet SearchService::Rules() const { return Current().rules->set(); }

Status SearchService::Rebuild(uint32_t shards,
                              const std::function<void(const RebuildProgress&)>& progress) {
  COMMERCE_RETURN_IF_ERROR(indexer_.Rebuild(shards, progress));
  callers_.Clear();
  cache_.Clear();
  return Status::OK();
}

Result<SearchStats> SearchService::Stats() {
  SearchStats st;
  st.indexed_seq = indexer_.applied_seq();
  COMMERCE_ASSIGN_OR_RETURN(st.log_seq, events_->last_seq());
  st.lag_events = st.log_seq > st.indexed_seq ? st.log_seq - st.indexed_seq : 0;
  if (st.lag_events > 0) {
    auto from = st.indexed_seq + 1;
    auto next = events_->tail(from, 1);
    if (next.status().IsGone()) {  // behind the log's horizon (a rebuild is due): its oldest
      COMMERCE_ASSIGN_OR_RETURN(from, events_->first_seq());
      next = events_->tail(from, 1);
    }
    COMMERCE_RETURN_IF_ERROR(next.status());
    if (!next->empty()) {
      const auto now = std::chrono::system_clock::now().time_since_epoch();
      const int64_t now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(now).count();
      st.lag_ms = std::max<double>(0, now_ms - (*next)[0].time_ms);
    }
  }
  st.shards = indexer_.shard_count();
  st.index_bytes = layout_.DiskBytes();
  {
    COMMERCE_ASSIGN_OR_RETURN(auto reader, readers_.Acquire());
    if (remote_) {
      // What queries read: the remote shards (index_bytes stays the local index's).
      st.shards = remote_->size();
      st.indexed_seq = reader->index_seq;
      st.lag_events = st.log_seq > st.indexed_seq ? st.log_seq - st.indexed_seq : 0;
    }
    try {
      st.documents = reader->db.get_doccount();
    } catch (const Xapian::Error& e) {
      return search::FromXapian(e, "stats");
    }
  }
  const auto c = cache_.counters();
  st.cache_hits = c.hits, st.cache_misses = c.misses, st.cache_coalesced = c.coalesced;
  st.cache_stale_served = c.stale_served, st.cache_entries = c.entries;
  st.queries = queries_.load();
  st.last_error = indexer_.last_error();
  st.rebuilds_after_trim = indexer_.rebuilds_after_trim();
  return st;
}

}  // namespace commerce

namespace commerce {

Result<SearchAnalytics> SearchService::Analytics(const AnalyticsRequest& request) const {
  const int64_t now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                             std::chrono::system_clock::now().time_since_epoch())
                             .count();
  return analytics_.Report(request, now_ms);
}

Result<SuggestResult> SearchService::Suggest(const SuggestRequest& request) {
  COMMERCE_RETURN_IF_ERROR(search::CheckSuggestRequest(request));
  COMMERCE_ASSIGN_OR_RETURN(auto reader, readers_.Acquire());
  auto words = remote_ ? remote_->words() : indexer_.words();
  if (!words) return Status::Unavailable("search index is not open");
  for (int attempt = 0;; ++attempt) {
    try {
      return search::Suggest(*reader, *words, &analytics_, &names_, request);
    } catch (const Xapian::DatabaseModifiedError& e) {
      if (attempt == kModifiedRetries) return search::FromXapian(e, "suggest");
    } catch (const Xapian::Error& e) {
      return search::FromXapian(e, "suggest");
    }
    COMMERCE_RETURN_IF_ERROR(reader.Reopen());
  }
}

}  // namespace commerce
