#include "search/reader_pool.h"

#include <chrono>

#include "search/indexer.h"
#include "search/index_schema.h"
#include "search/remote_shards.h"

namespace commerce::search {

void OpenReader(Reader& r, Xapian::Database db) {
  r.db = std::move(db);
  ++r.opens;
  r.parser = Xapian::QueryParser();
  r.parser.set_database(r.db);
  r.parser.set_stemmer(r.stemmer);
  r.parser.set_stemming_strategy(Xapian::QueryParser::STEM_ALL);
  r.parser.set_default_op(Xapian::Query::OP_AND);
  // Search-as-you-type: the last word expands to its 30 most frequent completions, so a
  // two-letter prefix costs a bounded amount of work.
  r.parser.set_max_expansion(30, Xapian::Query::WILDCARD_LIMIT_MOST_FREQUENT,
                             Xapian::QueryParser::FLAG_PARTIAL);
}

void ReaderPool::Publish(const std::string& generation, uint64_t seq) {
  std::lock_guard<std::mutex> lock(mu_);
  generation_ = generation;
  seq_ = seq;
  ++version_;
}

uint64_t ReaderPool::published_seq() const {
  std::lock_guard<std::mutex> lock(mu_);
  return seq_;
}

ReaderPool::Lease::~Lease() {
  if (!reader_) return;
  std::lock_guard<std::mutex> lock(pool_->mu_);
  pool_->idle_.push_back(std::move(reader_));
}

Status ReaderPool::Lease::Reopen() {
  if (pool_->remote_) {
    pool_->remote_->Disconnect(*reader_);
    return pool_->remote_->Prepare(*reader_, 0);
  }
  std::string gen;
  uint64_t version, seq;
  {
    std::lock_guard<std::mutex> lock(pool_->mu_);
    gen = pool_->generation_, version = pool_->version_, seq = pool_->seq_;
  }
  reader_->version = 0;  // force
  return pool_->Refresh(*reader_, gen, version, seq);
}

Result<ReaderPool::Lease> ReaderPool::Acquire(uint64_t min_seq) {
  std::unique_ptr<Reader> r;
  if (remote_) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (!idle_.empty()) {
        r = std::move(idle_.back());
        idle_.pop_back();
      }
    }
    if (!r) r = std::make_unique<Reader>();
    Status s = remote_->Prepare(*r, min_seq);
    if (!s.ok()) return s;  // no shard answers: nothing worth pooling
    return Lease(this, std::move(r));
  }
  std::string gen;
  uint64_t version, seq;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (generation_.empty()) return Status::Unavailable("search index is not open");
    if (!idle_.empty()) {
      r = std::move(idle_.back());
      idle_.pop_back();
    }
    gen = generation_, version = version_, seq = seq_;
  }
  if (!r) r = std::make_unique<Reader>();
  Status s = Refresh(*r, gen, version, seq);
  if (!s.ok()) return s;  // a broken reader is dropped, not pooled
  return Lease(this, std::move(r));
}

Status ReaderPool::Refresh(Reader& r, const std::string& generation, uint64_t version,
                           uint64_t seq) {
  if (r.generation == generation && r.version == version) return Status::OK();
  // An open (or reopen) that the indexer outpaces by two commits finds the revision it began
  // on already overwritten: DatabaseModifiedError. Opening again reads the newest revision,
  // and the indexer does not commit twice during every one of a few opens, so a bounded number
  // of tries is enough; running out means the index churns too fast to read at all. The bound
  // is in tries and in time: a thread that loses its core for a few milliseconds in each of
  // 8 tries (a loaded machine, a sanitizer build) would otherwise fail a query that the next
  // try would answer, while a second of tries only runs out when opens never succeed.
  constexpr int kOpenTries = 8;
  constexpr auto kOpenPatience = std::chrono::seconds(1);
  const auto started = std::chrono::steady_clock::now();
  for (int attempt = 1;; ++attempt) {
    try {
      if (r.generation != generation) {
        COMMERCE_ASSIGN_OR_RETURN(uint32_t shards, layout_->ShardCount(generation));
        Xapian::Database db;
        for (uint32_t i = 0; i < shards; ++i)
          db.add_database(Xapian::Database(layout_->ShardPath(generation, i)));
        OpenReader(r, db);
        r.generation = generation;
      } else {
        r.db.reopen();
        ++r.opens;
      }
      break;
    } catch (const Xapian::DatabaseModifiedError& e) {
      r.generation.clear();  // the next try opens afresh rather than reopening a torn reader
      if (attempt >= kOpenTries && std::chrono::steady_clock::now() - started >= kOpenPatience)
        return FromXapian(e, "opening a reader");
    } catch (const Xapian::Error& e) {
      r.generation.clear();
      return FromXapian(e, "opening a reader");
    }
  }
  r.version = version;
  r.index_seq = seq;
  return Status::OK();
}

}  // namespace commerce::search
