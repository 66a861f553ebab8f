// The search indexer: a consumer of the event log that keeps the Xapian shards in step with
// the catalog and stock.
//
// Exactly-once into the index: each shard stores, in the same Xapian commit as its
// documents, the sequence of the last event applied to it (metadata kLastSeqKey). The
// indexer resumes from the lowest of them and a shard skips events it already holds, so a
// crash anywhere replays nothing twice and loses nothing. (It keeps no cursor in the event
// log: the index itself is the cursor.)
//
// A batch of events becomes a set of products to refresh, routed to shards by a hash of the
// product id; the shards are written and committed in parallel, one thread each — the bulk
// path of an import is the same path with bigger batches. Stock events refresh a product
// only when it moves in or out of stock, and then without re-tokenising it.
//
// Thread safety: RunOnce, Rebuild and the indexer thread serialise on one mutex; the
// accessors are safe from any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <xapian.h>

#include "commerce/catalog.h"
#include "commerce/events.h"
#include "commerce/inventory.h"
#include "commerce/search.h"
#include "search/category_names.h"
#include "search/index_layout.h"
#include "search/word_list.h"

namespace commerce {
class EventNotifier;
}

namespace commerce::search {

class Indexer {
 public:
  // `published(generation, seq)` is called after every commit that made events up to `seq`
  // searchable, and after a rebuild switched to a new generation.
  using Published = std::function<void(const std::string& generation, uint64_t seq)>;

  // The indexer sees the engine only through its public API and the event log: `notifier`
  // wakes it when events are appended (and when it is stopped).
  Indexer(EventNotifier* notifier, Catalog* catalog, Inventory* inventory, Events* events,
          CategoryNames* names, IndexLayout layout, Published published);
  ~Indexer();  // Stop()s

  // Opens the current generation, or creates the first one with `shards` shards (0: one
  // per hardware thread, at most 4). A damaged index, or one ahead of the event log (a store
  // restored from an older backup), is replaced by an empty generation filled from the log.
  Status Open(uint32_t shards);
  // Every shard's sequence is committed, touched or not (SearchOptions::serve_remote): a
  // remote reader learns how far the index is only from the shards. A batch that changes
  // documents commits every shard at once; one that changes none (the stock and order events
  // of an order stream) commits the sequences at most every kSeqCommitInterval, because each
  // commit discards the revision remote queries are reading (DatabaseModifiedError): a commit
  // per 20 ms round failed remote searches under an order load. It also beats (kBeatKey in
  // index_schema.h) at least every kBeatInterval, idle or not.
  void set_commit_every_shard(bool on) { commit_every_shard_ = on; }
  // Called with each batch of events before it is applied (so before it is published): what
  // the search keeps beside the index (the caller's prices, caller_cache.h) forgets what the
  // batch changed. Set before Start().
  using Seen = std::function<void(const std::vector<Event>& batch)>;
  void set_seen(Seen seen) { seen_ = std::move(seen); }
  static constexpr std::chrono::milliseconds kBeatInterval{1000};
  static constexpr std::chrono::milliseconds kSeqCommitInterval{250};
  void Start();
  void Stop();

  // Applies every event not yet indexed, on the calling thread.
  Status RunOnce();
  Status Rebuild(uint32_t shards, const std::function<void(const RebuildProgress&)>& progress);

  uint64_t applied_seq() const { return applied_seq_.load(); }
  // Rebuilds from the catalog because the events the index lacked had been trimmed.
  uint64_t rebuilds_after_trim() const { return rebuilds_after_trim_.load(); }
  // The word list of the generation queries read (word_list.h).
  std::shared_ptr<const WordList> words() const;
  std::string generation() const;
  uint32_t shard_count() const;
  std::string last_error() const;

 private:
  struct Shard {
    std::unique_ptr<Xapian::WritableDatabase> db;
    uint64_t last_seq = 0;
    uint64_t stored_seq = 0;    // the sequence in its metadata (behind last_seq while deferred)
    uint64_t word_entries = 0;  // the number of the next word-list entry in its metadata
  };
  // What a batch asks of one product.
  enum class Work : uint8_t { kStock = 1, kFull = 2 };

  // Rebuild with work_mu_ held (by Rebuild, or by RunOnce behind the log's horizon).
  Status RebuildLocked(uint32_t shards, const std::function<void(const RebuildProgress&)>& progress);
  Status OpenGeneration(const std::string& generation, bool create, uint32_t shards,
                        std::vector<Shard>* out, WordList* words);
  Status ApplyBatch(const std::vector<Event>& batch);
  Status IndexProducts(std::vector<Shard>& shards, WordList& words,
                       std::vector<std::vector<std::pair<std::string, Work>>>& work,
                       uint64_t commit_seq, bool persist_all);
  Status Refresh(Shard& shard, Xapian::TermGenerator& tg, const std::string& product_id,
                 Work work);
  Result<bool> InStock(const Product& p);
  uint32_t ShardOf(std::string_view product_id, size_t shards) const;
  void Loop();
  // Writes and commits a new beat in every shard when the last is kBeatInterval old, or the
  // deferred sequences when the last commit is kSeqCommitInterval old. Sets *wake to when it
  // is next due.
  Status BeatIfDue(std::chrono::steady_clock::time_point* wake);
  void SetError(const Status& s);

  EventNotifier* notifier_;
  Catalog* catalog_;
  Inventory* inventory_;
  Events* events_;
  CategoryNames* names_;
  IndexLayout layout_;
  Published published_;
  Seen seen_;

  std::mutex work_mu_;
  std::string generation_;       // GUARDED_BY(work_mu_) for writes; read under state_mu_
  std::vector<Shard> shards_;    // GUARDED_BY(work_mu_)
  std::shared_ptr<WordList> words_;  // GUARDED_BY(work_mu_) for writes; read under state_mu_
  std::atomic<uint64_t> applied_seq_{0};
  std::atomic<uint64_t> rebuilds_after_trim_{0};
  bool commit_every_shard_ = false;  // set before Open
  std::chrono::steady_clock::time_point last_beat_{};  // GUARDED_BY(work_mu_)
  std::chrono::steady_clock::time_point last_commit_{};  // GUARDED_BY(work_mu_): of every shard

  mutable std::mutex state_mu_;
  std::string generation_name_;  // GUARDED_BY(state_mu_): copy of generation_ for readers
  uint32_t shard_count_ = 0;     // GUARDED_BY(state_mu_)
  std::string last_error_;       // GUARDED_BY(state_mu_)

  std::atomic<bool> stop_{false};
  std::thread thread_;
};

// Xapian's exceptions as Status, at the edge of the search code.
Status FromXapian(const Xapian::Error& e, std::string_view context);

}  // namespace commerce::search
