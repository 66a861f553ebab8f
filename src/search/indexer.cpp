#include "search/indexer.h"

#include <pthread.h>
#include <zlib.h>

#include <algorithm>
#include <filesystem>
#include <unordered_map>

#include "events/event_log.h"
#include "events/stock_event.h"
#include "search/index_schema.h"

namespace commerce::search {

namespace {

constexpr size_t kBatch = 10000;  // events per commit at most (Events::tail's limit)
// Products per shard one Xapian transaction may hold (it keeps them all in memory).
constexpr size_t kMaxTxnDocs = 20000;
// Under a stream of commits, wait at least this long between rounds so that events are
// indexed in batches; it is also the floor of the index lag.
constexpr auto kMinRoundInterval = std::chrono::milliseconds(20);
constexpr auto kIdleWait = std::chrono::seconds(1);

bool IsProductEvent(const std::string& type) {
  return type == "ProductUpserted" || type == "ProductArchived";
}

uint32_t DefaultShards() {
  unsigned hw = std::thread::hardware_concurrency();
  return std::clamp<uint32_t>(hw == 0 ? 1 : hw, 1, 4);
}

}  // namespace

Status FromXapian(const Xapian::Error& e, std::string_view context) {
  std::string msg = "search index: " + std::string(context) + ": " + e.get_description();
  const std::string type = e.get_type();
  if (type == "DatabaseCorruptError") return Status::Corruption(msg);
  // A remote shard server refusing what the engine sends is the server's set-up, not the
  // request: xapian-tcpsrv does not know the facet counter.
  if (e.get_msg().rfind("REMOTE:", 0) == 0) {
    if (msg.find("not registered") != std::string::npos)
      msg += " (serve the shards with commerce-shard-server, which registers it)";
    return Status::Unavailable(msg);
  }
  if (type == "QueryParserError" || type == "InvalidArgumentError")
    return Status::InvalidArgument(msg);
  return Status::Unavailable(msg);
}

Indexer::Indexer(EventNotifier* notifier, Catalog* catalog, Inventory* inventory, Events* events,
                 CategoryNames* names, IndexLayout layout, Published published)
    : notifier_(notifier),
      catalog_(catalog),
      inventory_(inventory),
      events_(events),
      names_(names),
      layout_(std::move(layout)),
      published_(std::move(published)) {}

Indexer::~Indexer() { Stop(); }

std::string Indexer::generation() const {
  std::lock_guard<std::mutex> lock(state_mu_);
  return generation_name_;
}

std::shared_ptr<const WordList> Indexer::words() const {
  std::lock_guard<std::mutex> lock(state_mu_);
  return words_;
}

uint32_t Indexer::shard_count() const {
  std::lock_guard<std::mutex> lock(state_mu_);
  return shard_count_;
}

std::string Indexer::last_error() const {
  std::lock_guard<std::mutex> lock(state_mu_);
  return last_error_;
}

void Indexer::SetError(const Status& s) {
  std::lock_guard<std::mutex> lock(state_mu_);
  last_error_ = s.ok() ? "" : s.ToString();
}

uint32_t Indexer::ShardOf(std::string_view product_id, size_t shards) const {
  uLong crc = crc32(0L, reinterpret_cast<const Bytef*>(product_id.data()), product_id.size());
  return static_cast<uint32_t>(crc % shards);
}

Status Indexer::OpenGeneration(const std::string& generation, bool create, uint32_t shards,
                               std::vector<Shard>* out, WordList* words) {
  std::error_code ec;
  std::filesystem::create_directories(layout_.GenerationPath(generation), ec);
  if (ec) return Status::Unavailable("search index: cannot create " +
                                     layout_.GenerationPath(generation) + ": " + ec.message());
  if (!create) {
    COMMERCE_ASSIGN_OR_RETURN(shards, layout_.ShardCount(generation));
  }
  out->clear();
  try {
    for (uint32_t i = 0; i < shards; ++i) {
      Shard s;
      const int flags = create ? Xapian::DB_CREATE_OR_OVERWRITE : Xapian::DB_OPEN;
      s.db = std::make_unique<Xapian::WritableDatabase>(layout_.ShardPath(generation, i),
                                                        flags | Xapian::DB_BACKEND_GLASS);
      if (create) {
        s.db->set_metadata(kFormatKey, kFormat);
      } else if (const std::string format = s.db->get_metadata(kFormatKey); format != kFormat) {
        out->clear();
        return Status::FailedPrecondition(
            "search index: " + layout_.ShardPath(generation, i) + " has format '" + format +
            "', this version writes '" + std::string(kFormat) + "'");
      }
      const std::string seq = s.db->get_metadata(kLastSeqKey);
      s.last_seq = seq.empty() ? 0 : std::stoull(seq);
      s.stored_seq = s.last_seq;
      if (!create) {
        auto entries = LoadWords(*s.db, words);
        if (!entries.ok()) {
          out->clear();
          return entries.status();
        }
        s.word_entries = *entries;
      }
      out->push_back(std::move(s));
    }
  } catch (const Xapian::Error& e) {
    out->clear();
    return FromXapian(e, "opening " + layout_.GenerationPath(generation));
  } catch (const std::exception& e) {
    out->clear();
    return Status::Corruption("search index: bad last_seq in " +
                              layout_.GenerationPath(generation) + ": " + e.what());
  }
  return Status::OK();
}

Status Indexer::Open(uint32_t shards) {
  std::lock_guard<std::mutex> lock(work_mu_);
  std::error_code ec;
  std::filesystem::create_directories(layout_.root(), ec);
  if (ec) return Status::Unavailable("search index: cannot create " + layout_.root() + ": " +
                                     ec.message());
  if (shards == 0) shards = DefaultShards();
  if (shards > 16) return Status::InvalidArgument("search.shards must be 0..16");
  COMMERCE_ASSIGN_OR_RETURN(uint64_t log_seq, events_->last_seq());

  auto current = layout_.Current();
  std::string gen = current.ok() ? *current : "";
  auto words = std::make_shared<WordList>();
  Status opened =
      gen.empty() ? Status::NotFound("no index") : OpenGeneration(gen, false, 0, &shards_, words.get());
  if (opened.ok()) {
    for (const auto& s : shards_) {
      if (s.last_seq > log_seq) {
        opened = Status::FailedPrecondition("search index is ahead of the event log (seq " +
                                            std::to_string(s.last_seq) + " > " +
                                            std::to_string(log_seq) + ")");
      }
    }
  }
  if (!opened.ok()) {
    // Start over from an empty generation: the log holds every change, so replaying it
    // rebuilds the index.
    if (!gen.empty()) SetError(opened.WithContext("search index replaced, refilled from the log"));
    shards_.clear();
    words = std::make_shared<WordList>();
    COMMERCE_ASSIGN_OR_RETURN(gen, layout_.NextGeneration());
    COMMERCE_RETURN_IF_ERROR(OpenGeneration(gen, true, shards, &shards_, words.get()));
    try {
      for (auto& s : shards_) s.db->commit();
    } catch (const Xapian::Error& e) {
      return FromXapian(e, "creating " + layout_.GenerationPath(gen));
    }
    COMMERCE_RETURN_IF_ERROR(layout_.SetCurrent(gen));
    layout_.RemoveOtherGenerations(gen);
  }
  generation_ = gen;
  uint64_t applied = UINT64_MAX;
  for (const auto& s : shards_) applied = std::min(applied, s.last_seq);
  applied_seq_.store(applied);
  {
    std::lock_guard<std::mutex> l(state_mu_);
    generation_name_ = gen;
    shard_count_ = static_cast<uint32_t>(shards_.size());
    words_ = std::move(words);
  }
  published_(gen, applied);
  return Status::OK();
}

void Indexer::Start() {
  if (thread_.joinable()) return;
  stop_.store(false);
  thread_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "commerce-index");  // for profiles (perf report --sort comm)
    Loop();
  });
}

void Indexer::Stop() {
  stop_.store(true);
  notifier_->Notify();
  if (thread_.joinable()) thread_.join();
}

void Indexer::Loop() {
  while (!stop_.load()) {
    const uint64_t gen = notifier_->generation();
    const auto round_start = std::chrono::steady_clock::now();
    Status s = RunOnce();
    auto wake = std::chrono::steady_clock::now() + kIdleWait;
    if (s.ok() && commit_every_shard_) s = BeatIfDue(&wake);
    SetError(s);
    if (stop_.load()) break;
    notifier_->WaitPast(gen, wake);
    auto next = round_start + kMinRoundInterval;
    while (!stop_.load() && std::chrono::steady_clock::now() < next)
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
}

namespace {
std::string BeatValue() {
  return std::to_string(std::chrono::steady_clock::now().time_since_epoch().count());
}
}  // namespace

Status Indexer::BeatIfDue(std::chrono::steady_clock::time_point* wake) {
  std::lock_guard<std::mutex> lock(work_mu_);
  const auto now = std::chrono::steady_clock::now();
  bool deferred = false;
  for (const auto& s : shards_) deferred = deferred || s.stored_seq < s.last_seq;
  const auto seq_due = last_commit_ + kSeqCommitInterval;
  if (now - last_beat_ < kBeatInterval && !(deferred && now >= seq_due)) {
    *wake = std::min(*wake, last_beat_ + kBeatInterval);
    if (deferred) *wake = std::min(*wake, seq_due);
    return Status::OK();
  }
  try {
    const std::string beat = BeatValue();
    for (auto& s : shards_) {
      // Only what the shard holds: a shard with no work since its last commit is whole up to
      // the sequence the batches moved it to.
      if (s.stored_seq < s.last_seq) s.db->set_metadata(kLastSeqKey, std::to_string(s.last_seq));
      s.db->set_metadata(kBeatKey, beat);
      s.db->commit();
      s.stored_seq = s.last_seq;
    }
  } catch (const Xapian::Error& e) {
    return FromXapian(e, "beat");
  }
  last_beat_ = last_commit_ = now;
  *wake = std::min(*wake, now + kBeatInterval);
  return Status::OK();
}

Status Indexer::RunOnce() {
  std::lock_guard<std::mutex> lock(work_mu_);
  if (shards_.empty()) return Status::FailedPrecondition("search index is not open");
  for (;;) {
    if (stop_.load()) return Status::OK();  // closing: the rest is applied on next open
    auto batch = events_->tail(applied_seq_.load() + 1, kBatch);
    if (batch.status().IsGone()) {
      // The events the index lacks were trimmed from the log (an index that was not kept up,
      // or a new one on a trimmed store): the catalog still has what they did.
      rebuilds_after_trim_.fetch_add(1);
      COMMERCE_RETURN_IF_ERROR(RebuildLocked(0, nullptr).WithContext(
          "search index behind the event log's horizon, rebuilding from the catalog"));
      continue;
    }
    COMMERCE_RETURN_IF_ERROR(batch.status());
    if (batch->empty()) return Status::OK();
    COMMERCE_RETURN_IF_ERROR(ApplyBatch(*batch));
    if (batch->size() < kBatch) return Status::OK();
  }
}

Status Indexer::ApplyBatch(const std::vector<Event>& batch) {
  if (seen_) seen_(batch);
  const size_t n = shards_.size();
  // Per shard: product id -> the most a batch asks of it. A shard skips events it holds.
  std::vector<std::unordered_map<std::string, Work>> wanted(n);
  auto want = [&](const std::string& product_id, Work w, uint64_t seq) {
    const uint32_t s = ShardOf(product_id, n);
    if (seq <= shards_[s].last_seq) return;
    Work& cur = wanted[s][product_id];
    cur = std::max(cur, w);
  };
  std::unordered_map<std::string, std::string> sku_owner;  // per batch: SKU -> product id
  for (const Event& e : batch) {
    if (IsProductEvent(e.type)) {
      want(e.subject, Work::kFull, e.seq);
    } else if (IsStockEventType(e.type)) {
      // A change that leaves its row's available units above zero, as they were before it,
      // cannot move the product in or out of stock: nothing to index. That is most events of
      // an order stream (a reservation rarely takes a warehouse's last unit); following each
      // into the catalog, the inventory and the document was about a quarter of the engine's
      // samples at 64 callers placing orders (docs/storage.md, "Where a write's time goes").
      // An event without its counts (written before they were carried) is followed as before.
      if (auto s = ParseStockEvent(e.type, e.data); s && KeepsStockAvailable(e.type, *s)) continue;
      auto it = sku_owner.find(e.subject);
      if (it == sku_owner.end()) {
        auto p = catalog_->get_by_sku(e.subject);
        if (p.status().IsNotFound()) continue;  // stock of a SKU no product sells
        COMMERCE_RETURN_IF_ERROR(p.status());
        it = sku_owner.emplace(e.subject, p->id).first;
      }
      want(it->second, Work::kStock, e.seq);
    } else if (e.type == "CategoryUpserted") {
      // A renamed category changes the words of every product in it (a new one has none).
      names_->Forget(e.subject);
      ListOptions lo{.limit = 1000};
      for (;;) {
        auto page = catalog_->list_by_category(e.subject, lo);
        if (page.status().IsNotFound()) break;
        COMMERCE_RETURN_IF_ERROR(page.status());
        for (const auto& p : page->items) want(p.id, Work::kFull, e.seq);
        if (page->next_cursor.empty()) break;
        lo.cursor = page->next_cursor;
      }
    }
  }
  std::vector<std::vector<std::pair<std::string, Work>>> work(n);
  for (size_t s = 0; s < n; ++s) work[s].assign(wanted[s].begin(), wanted[s].end());
  return IndexProducts(shards_, *words_, work, batch.back().seq, /*persist_all=*/false);
}

Status Indexer::IndexProducts(std::vector<Shard>& shards, WordList& words,
                              std::vector<std::vector<std::pair<std::string, Work>>>& work,
                              uint64_t commit_seq, bool persist_all) {
  const size_t n = shards.size();
  std::vector<Status> results(n);
  // A remote reader knows the index's sequence only from the shards (commit_every_shard_):
  // a batch that changes documents commits all of them, so that a product written is
  // searchable everywhere at once; one that changes none waits for BeatIfDue's next commit.
  bool any_work = persist_all;
  for (const auto& w : work) any_work = any_work || !w.empty();
  const auto now = std::chrono::steady_clock::now();
  const bool commit_all = commit_every_shard_ && (any_work || now - last_commit_ >= kSeqCommitInterval);
  auto run = [&](size_t s) {
    Shard& shard = shards[s];
    if (work[s].empty() && !persist_all && !commit_all) {
      // Nothing of this batch is for this shard: it is up to date in memory, and its stored
      // sequence may lag (a restart re-reads those events and routes them elsewhere again)
      // rather than cost a commit and an fsync per shard per batch.
      shard.last_seq = std::max(shard.last_seq, commit_seq);
      return;
    }
    const bool commit = commit_seq > shard.last_seq;
    // A batch that moves the shard's sequence is one Xapian transaction, so that a failure
    // part-way leaves nothing of it behind and the retry starts clean. A batch too big to
    // hold in memory (a category of a million products renamed) is written as it goes and
    // committed with its sequence at the end: a crash part-way repeats it, which is
    // harmless because every document is rebuilt from the catalog's current state.
    const bool use_txn = commit && work[s].size() <= kMaxTxnDocs;
    bool in_txn = false;
    std::vector<std::string> new_words;  // added to the word list; taken out if the commit fails
    try {
      Xapian::TermGenerator tg;
      tg.set_stemmer(Xapian::Stem("english"));
      tg.set_stemming_strategy(Xapian::TermGenerator::STEM_ALL);
      WordRecorder recorder;
      tg.set_stopper(&recorder);
      tg.set_stopper_strategy(Xapian::TermGenerator::STOP_ALL);
      if (use_txn) {
        shard.db->begin_transaction();
        in_txn = true;
      }
      for (const auto& [id, w] : work[s]) {
        Status st = Refresh(shard, tg, id, w);
        if (!st.ok()) {
          if (in_txn) shard.db->cancel_transaction();
          results[s] = st;
          return;
        }
      }
      // Words met for the first time go into the shard's metadata, committed with its
      // documents (a failed batch takes them out of the list again; an entry number is never
      // reused, so a retry cannot overwrite a pending entry).
      new_words = words.Add(recorder.Take());
      if (!new_words.empty()) shard.db->set_metadata(WordsKey(shard.word_entries++), JoinWords(new_words));
      if (commit) {
        shard.db->set_metadata(kLastSeqKey, std::to_string(commit_seq));
        // A long catch-up beats with its batches (the loop's beat waits for its end).
        if (commit_every_shard_) shard.db->set_metadata(kBeatKey, BeatValue());
        if (in_txn) shard.db->commit_transaction();
        else shard.db->commit();
        in_txn = false;
        new_words.clear();
        shard.last_seq = shard.stored_seq = commit_seq;
      }
    } catch (const Xapian::Error& e) {
      words.Remove(new_words);
      results[s] = FromXapian(e, "writing shard " + std::to_string(s));
      try {
        if (in_txn) shard.db->cancel_transaction();
      } catch (const Xapian::Error&) {
      }
    } catch (const std::exception& e) {
      words.Remove(new_words);
      results[s] = Status::Internal(std::string("search indexer: ") + e.what());
      try {
        if (in_txn) shard.db->cancel_transaction();
      } catch (const Xapian::Error&) {
      }
    }
  };
  std::vector<std::thread> threads;
  for (size_t s = 1; s < n; ++s) {
    if (!work[s].empty() || (persist_all && commit_seq > shards[s].last_seq))
      threads.emplace_back(run, s);
    else
      run(s);  // no work: only bookkeeping
  }
  run(0);
  for (auto& t : threads) t.join();

  if (commit_all && &shards == &shards_) last_commit_ = now;
  uint64_t applied = UINT64_MAX;
  for (const auto& s : shards) applied = std::min(applied, s.last_seq);
  // Shards that committed keep their progress; a failed one retries from its own seq.
  for (const auto& r : results) COMMERCE_RETURN_IF_ERROR(r);
  if (&shards == &shards_) {
    applied_seq_.store(applied);
    published_(generation_, applied);
  }
  return Status::OK();
}

Result<bool> Indexer::InStock(const Product& p) {
  for (const auto& v : p.variants) {
    auto stock = inventory_->get(v.sku);
    if (stock.status().IsNotFound()) continue;
    COMMERCE_RETURN_IF_ERROR(stock.status());
    if (stock->available > 0) return true;
  }
  return false;
}

Status Indexer::Refresh(Shard& shard, Xapian::TermGenerator& tg, const std::string& product_id,
                        Work work) {
  const std::string id_term = IdTerm(product_id);
  if (work == Work::kStock) {
    // Only a move in or out of stock touches the index, and then only the flag.
    Xapian::PostingIterator it = shard.db->postlist_begin(id_term);
    if (it == shard.db->postlist_end(id_term)) return Status::OK();  // not searchable
    const Xapian::docid did = *it;
    Xapian::Document doc = shard.db->get_document(did);
    auto p = catalog_->get(product_id);
    if (p.status().IsNotFound()) return Status::OK();
    COMMERCE_RETURN_IF_ERROR(p.status());
    COMMERCE_ASSIGN_OR_RETURN(bool in_stock, InStock(*p));
    if (in_stock == DocumentInStock(doc)) return Status::OK();
    SetInStock(doc, in_stock);
    shard.db->replace_document(did, doc);
    return Status::OK();
  }
  auto p = catalog_->get(product_id);
  if (p.status().IsNotFound() || (p.ok() && p->status != ProductStatus::kActive)) {
    shard.db->delete_document(id_term);  // a no-op when absent
    return Status::OK();
  }
  COMMERCE_RETURN_IF_ERROR(p.status());
  COMMERCE_ASSIGN_OR_RETURN(bool in_stock, InStock(*p));
  std::vector<std::string> names;
  for (const auto& c : p->categories) {
    for (const auto& id : CategoryLineage(c)) names.push_back(names_->Get(id));
  }
  shard.db->replace_document(id_term, BuildDocument(*p, in_stock, names, tg));
  return Status::OK();
}

Status Indexer::Rebuild(uint32_t shards,
                        const std::function<void(const RebuildProgress&)>& progress) {
  std::lock_guard<std::mutex> lock(work_mu_);
  return RebuildLocked(shards, progress);
}

Status Indexer::RebuildLocked(uint32_t shards,
                              const std::function<void(const RebuildProgress&)>& progress) {
  if (shards > 16) return Status::InvalidArgument("shards must be 0..16");
  if (shards == 0) shards = static_cast<uint32_t>(shards_.size());
  if (shards == 0) shards = DefaultShards();
  const auto start = std::chrono::steady_clock::now();
  // Everything up to `from` is in the catalog as listed below; events after it are applied
  // again by the indexer, which re-reads current state and so may repeat them harmlessly.
  COMMERCE_ASSIGN_OR_RETURN(uint64_t from, events_->last_seq());
  COMMERCE_ASSIGN_OR_RETURN(auto stats, catalog_->stats());
  COMMERCE_ASSIGN_OR_RETURN(std::string gen, layout_.NextGeneration());
  std::vector<Shard> next;
  auto words = std::make_shared<WordList>();
  COMMERCE_RETURN_IF_ERROR(OpenGeneration(gen, true, shards, &next, words.get()));
  auto abandon = [&](Status s) {
    next.clear();
    std::error_code ec;
    std::filesystem::remove_all(layout_.GenerationPath(gen), ec);
    return s;
  };
  RebuildProgress pr{.products_total = stats.products};
  ListOptions lo{.limit = 1000};
  for (;;) {
    auto page = catalog_->list(lo);
    if (!page.ok()) return abandon(page.status());
    std::vector<std::vector<std::pair<std::string, Work>>> work(shards);
    for (const auto& p : page->items) work[ShardOf(p.id, shards)].emplace_back(p.id, Work::kFull);
    const bool last = page->next_cursor.empty();
    // Intermediate pages commit without moving the shards' sequence (0): only the final
    // commit says "complete up to `from`".
    Status s = IndexProducts(next, *words, work, last ? from : 0, /*persist_all=*/last);
    if (!s.ok()) return abandon(s);
    pr.products_done += page->items.size();
    pr.elapsed_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (progress) progress(pr);
    if (last) break;
    lo.cursor = page->next_cursor;
  }
  if (from == 0) {
    // An empty log: nothing moved the sequence, but the generation is complete.
    try {
      for (auto& s : next) s.db->commit();
    } catch (const Xapian::Error& e) {
      return abandon(FromXapian(e, "committing the rebuilt index"));
    }
  }
  Status s = layout_.SetCurrent(gen);
  if (!s.ok()) return abandon(s);
  for (auto& sh : shards_) {
    try {
      sh.db->close();
    } catch (const Xapian::Error&) {
    }
  }
  shards_ = std::move(next);
  generation_ = gen;
  applied_seq_.store(from);
  {
    std::lock_guard<std::mutex> l(state_mu_);
    generation_name_ = gen;
    shard_count_ = shards;
    words_ = std::move(words);
  }
  published_(gen, from);
  layout_.RemoveOtherGenerations(gen);
  return Status::OK();
}

}  // namespace commerce::search
