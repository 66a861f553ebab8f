// Xapian readers for queries: Xapian objects are not thread-safe, so each query borrows a
// reader (a Database over every shard, and its QueryParser) that no
// other thread uses meanwhile. Readers are made on demand — as many as queries ever ran at
// once — and kept.
//
// The indexer publishes after each commit; a borrowed reader that is behind reopens (cheap:
// Xapian re-reads the root blocks), and one on an older generation (after a rebuild) is
// rebuilt on the new shard paths.
//
// Thread safety: safe from any number of threads; a Lease is used by one thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <xapian.h>

#include "commerce/status.h"
#include "search/highlight.h"
#include "search/index_layout.h"

namespace commerce::search {

class NamingWordsMemo;
class TopFollowersMemo;

struct Reader {
  Xapian::Database db;
  Xapian::QueryParser parser;
  Xapian::Stem stemmer{"english"};
  StemCache title_stems;  // for highlighting hits' titles (highlight.h)
  std::string generation;
  uint64_t version = 0;    // of the publication it reflects
  uint64_t index_seq = 0;  // every event up to here is visible to it
  // Bumped by every open and reopen: what a query remembers from this reader (the
  // suggester's title followers) is valid while it is unchanged.
  uint64_t opens = 0;
  std::shared_ptr<TopFollowersMemo> top_followers;  // top_followers.h; made on first use
  std::shared_ptr<NamingWordsMemo> naming_words;    // naming_words.h; made on first use

  // Over remote shards (remote_shards.h): a connection per shard that answered, the
  // numbers of those shards, and the shards that did not.
  std::vector<Xapian::Database> shards;
  std::vector<uint32_t> connected;
  std::vector<size_t> endpoint_of;  // parallel to connected: which of the shard's servers
  std::vector<uint32_t> missing_shards;
  bool remote_connected = false;
  std::chrono::steady_clock::time_point refreshed_at, connect_after;
};

class RemoteShards;

// Points `r` at `db` — local shards, or remote ones (Xapian::Remote::open per shard, added
// to one Database) — with the query parser every query expects. Xapian errors propagate.
void OpenReader(Reader& r, Xapian::Database db);

class ReaderPool {
 public:
  explicit ReaderPool(const IndexLayout* layout) : layout_(layout) {}
  // Readers over remote shards instead of the layout's local ones (Publish() is then not
  // needed; Acquire() connects and refreshes through `remote`).
  void UseRemote(RemoteShards* remote) { remote_ = remote; }
  bool remote() const { return remote_ != nullptr; }

  // A new state of the index: `generation` holds every event up to `seq`.
  void Publish(const std::string& generation, uint64_t seq);
  uint64_t published_seq() const;

  class Lease {
   public:
    Lease(ReaderPool* pool, std::unique_ptr<Reader> r) : pool_(pool), reader_(std::move(r)) {}
    Lease(Lease&&) = default;
    ~Lease();
    Reader& operator*() { return *reader_; }
    Reader* operator->() { return reader_.get(); }
    // After Xapian::DatabaseModifiedError: reopen and run the whole query again.
    Status Reopen();

   private:
    ReaderPool* pool_;
    std::unique_ptr<Reader> reader_;
  };

  // A reader up to date with the latest publication (remote: re-read when older than the
  // refresh interval or behind min_seq).
  Result<Lease> Acquire(uint64_t min_seq = 0);

 private:
  Status Refresh(Reader& r, const std::string& generation, uint64_t version, uint64_t seq);

  const IndexLayout* layout_;
  RemoteShards* remote_ = nullptr;
  mutable std::mutex mu_;
  std::vector<std::unique_ptr<Reader>> idle_;  // GUARDED_BY(mu_)
  std::string generation_;                     // GUARDED_BY(mu_)
  uint64_t version_ = 0;                       // GUARDED_BY(mu_)
  uint64_t seq_ = 0;                           // GUARDED_BY(mu_)
};

}  // namespace commerce::search
