// Everything behind commerce::Search in one engine: the indexer and its thread, the reader
// pool, the result cache and its refresh thread, the synonym list and the counters.
// Engine owns one; Search (search.h) is its public face.
//
// A query that the result cache does not answer looks in the shared tier (shared_results.h,
// when a SharedCache installed one) at the sequence of the reader it got, then runs on that
// reader and stores its page in the tier.
//
// Thread safety: safe from any number of threads.
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "commerce/catalog.h"
#include "commerce/channels.h"
#include "commerce/price_lists.h"
#include "commerce/events.h"
#include "commerce/inventory.h"
#include "commerce/search.h"
#include "commerce/storage.h"
#include "search/analytics.h"
#include "search/caller_cache.h"
#include "search/category_names.h"
#include "search/indexer.h"
#include "search/reader_pool.h"
#include "search/remote_shards.h"
#include "search/result_cache.h"
#include "search/rules.h"
#include "search/search_request.h"
#include "search/shared_results.h"
#include "search/synonyms.h"

namespace commerce {

class EventNotifier;

// Search sees the engine as any consumer of it would: the public Storage (for the synonym
// list, kept in the store's meta table), the public engines, and the event log.
class SearchService {
 public:
  SearchService(Storage* storage, EventNotifier* notifier, Catalog* catalog, Inventory* inventory,
                Events* events, PriceLists* price_lists, Channels* channels, std::string root,
                SearchOptions options);
  ~SearchService();  // Stop()s

  Status Open();
  void Start();  // the indexer thread (when options.run_indexer) and the refresh thread
  void Stop();
  Status RunOnce();  // the indexer's, and a flush of the analytics counts
  // The last event the index has applied.
  uint64_t IndexedSeq() const { return indexer_.applied_seq(); }

  Result<SearchResult> Query(const SearchRequest& request);
  Status WaitFor(uint64_t seq, std::chrono::milliseconds timeout);
  Status SetSynonyms(const std::vector<std::vector<std::string>>& groups);
  std::vector<std::vector<std::string>> Synonyms() const;
  Result<uint64_t> SetSynonymGroups(const std::vector<SynonymGroup>& groups, uint64_t expected_version);
  SynonymSet SynonymGroups() const;
  Result<uint64_t> PutRule(const MerchandisingRule& rule, uint64_t expected_version);
  Result<uint64_t> DeleteRule(const std::string& id, uint64_t expected_version);
  RuleSet Rules() const;
  Status Rebuild(uint32_t shards, const std::function<void(const RebuildProgress&)>& progress);
  Result<SearchStats> Stats();
  Status RecordUse(const SearchUse& use) { return analytics_.RecordUse(use); }
  Result<SearchAnalytics> Analytics(const AnalyticsRequest& request) const;
  Result<SuggestResult> Suggest(const SuggestRequest& request);

  // The service behind `search` (an Engine's: registered by Engine::open, removed when the
  // engine closes), or null. search.h keeps a Search's service private and a SharedCache
  // (shared_cache.h) needs it to install its tier of results: a registry reaches it without
  // a friend declaration in a header every file of the tree includes.
  static void Register(const Search* search, SearchService* service);
  static void Unregister(const Search* search);
  static SearchService* Of(const Search& search);

  // Installs the shared tier of results (the last one set is used); Clear removes `tier` if it
  // is still the one installed. Queries in flight keep the tier they started with.
  void SetSharedResults(std::shared_ptr<search::SharedResults> tier);
  void ClearSharedResults(const search::SharedResults* tier);

 private:
  // What merchandisers set (synonyms, rules) as one query sees it: both, at their versions.
  struct Merchandising {
    std::shared_ptr<const search::Synonyms> synonyms;
    uint64_t synonyms_version = 0;
    std::shared_ptr<const search::Rules> rules;
  };
  // One request's way into the shared tier: none when no tier is installed or the request
  // skips caches (use_cache = false).
  struct SharedLookup {
    std::shared_ptr<search::SharedResults> tier;
    std::string key;
    // A page for a reader at `seq`: only asked when seq meets the request's min_index_seq.
    std::optional<SearchResult> Get(uint64_t seq, uint64_t min_seq) const;
    void Put(const Result<SearchResult>& r) const;
  };
  SharedLookup SharedFor(const search::CheckedRequest& c, const Merchandising& m) const;
  // CheckRequest, and the caller resolved (callers_): the form every query runs from.
  Result<search::CheckedRequest> Check(const SearchRequest& request);
  Result<SearchResult> RunUncached(const search::CheckedRequest& c);
  // A query through the result cache (when the request allows it), not recorded.
  Result<SearchResult> Cached(const search::CheckedRequest& c);
  // Over remote shards: RunRemote on a thread of its own, waited for until the deadline
  // (options_.remote_timeout). A shard server that stops answering on an open connection
  // holds that thread until Xapian's own timeout on each call, not the caller: it gets
  // DeadlineExceeded at the deadline.
  Result<SearchResult> RunRemoteWithin(const search::CheckedRequest& c);
  Result<SearchResult> RunRemote(const search::CheckedRequest& c);
  Status WaitForRemote(uint64_t seq, std::chrono::milliseconds timeout);
  void OnPublished(const std::string& generation, uint64_t seq);
  void RefreshLoop();
  Merchandising Current() const;
  std::shared_ptr<const search::Synonyms> CurrentSynonyms() const { return Current().synonyms; }
  // Reads the stored synonyms and rules when their versions differ from those held (another
  // process sharing the store changed them). The refresh thread calls it every second.
  Status ReloadMerchandising(bool force);
  // Writes one of the two sets: `change` gets the stored version and returns the new record
  // (with the version it should carry) or an error; Conflict when expected_version is set and
  // differs from the stored one.
  // `what` names the set in errors.
  Result<uint64_t> WriteVersioned(const std::string& what, const std::string& key, const std::string& version_key,
                                  uint64_t expected_version,
                                  const std::function<Result<std::string>(WriteTxn&, uint64_t next)>& change);

  Storage* storage_;
  Table meta_;  // from storage_->table("meta") in Open()
  EventNotifier* notifier_;  // wakes loop-side waiters when an index generation is published
  Events* events_;
  SearchOptions options_;
  search::IndexLayout layout_;
  search::CategoryNames names_;
  search::ReaderPool readers_;
  std::unique_ptr<search::RemoteShards> remote_;  // when options_.remote_shards is set
  search::ResultCache cache_;
  search::Indexer indexer_;
  search::CallerCache callers_;
  search::Analytics analytics_;  // searches recorded, flushed to the store (search_analytics.h)
  std::atomic<bool> analytics_flushed_{false};  // by Stop

  mutable std::mutex synonyms_mu_;
  std::shared_ptr<const search::Synonyms> synonyms_;  // GUARDED_BY(synonyms_mu_)
  // The versions name the synonym list and the rule set in shared keys: processes holding
  // different sets (one that has not reloaded since another changed them) never share pages.
  uint64_t synonyms_version_ = 0;                    // GUARDED_BY(synonyms_mu_)
  std::shared_ptr<const search::Rules> rules_;       // GUARDED_BY(synonyms_mu_)

  mutable std::mutex shared_mu_;
  std::shared_ptr<search::SharedResults> shared_;  // GUARDED_BY(shared_mu_)

  std::mutex seq_mu_;
  std::condition_variable seq_cv_;
  uint64_t published_seq_ = 0;  // GUARDED_BY(seq_mu_)
  std::string published_generation_;  // GUARDED_BY(seq_mu_)
  uint64_t rebuilt_at_seq_ = 0;  // GUARDED_BY(seq_mu_): the last rebuilt generation's first sequence
  // published_seq_ for the result cache's lookups, which take no lock for it: a page made at it
  // is still exact (result_cache.h, "Revalidation"). 0 (none is) over remote shards, whose
  // index this process does not publish, and until the index moves past a rebuild's sequence.
  std::atomic<uint64_t> exact_seq_{0};

  // Stale cache entries waiting for a background refresh.
  std::mutex refresh_mu_;
  std::condition_variable refresh_cv_;
  std::deque<std::pair<std::string, SearchRequest>> refresh_queue_;  // GUARDED_BY(refresh_mu_)
  bool refresh_stop_ = false;                                        // GUARDED_BY(refresh_mu_)
  std::thread refresh_thread_;

  std::atomic<uint64_t> queries_{0};

  // Threads running remote queries, those whose caller gave up included: at most
  // kMaxRemoteCalls (search_service.cpp), more callers wait on remote_calls_cv_; Stop() waits
  // for them (they use the readers and the remote shards).
  std::mutex remote_calls_mu_;
  std::condition_variable remote_calls_cv_;
  int remote_calls_ = 0;  // GUARDED_BY(remote_calls_mu_)
};

}  // namespace commerce
