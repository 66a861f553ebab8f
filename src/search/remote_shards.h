// The shards of an index served by shard servers (commerce-shard-server) instead of read
// from local directories: where each shard is served (a server and its replicas), how a
// reader connects to them, and how it notices a server gone and moves to a replica.
//
// A connected reader holds one Xapian remote Database per shard (a TCP connection each,
// kept between queries) and one Database over all of them for queries: Xapian sends a query
// to every remote shard before reading any answer, so the shards work in parallel. A shard
// none of whose servers answers is left out of the reader and listed in missing_shards;
// such a reader tries to connect again after kRetryInterval.
//
// Each server is an Endpoint (resilience.h, "search shard HOST:PORT" in /metrics): every
// connection attempt is admitted by its breaker and recorded, so a dead server is skipped at
// once while its breaker is open (the readers of every thread retrying it every
// kRetryInterval would otherwise each wait for a refused or timed-out connect), and one probe
// at a time finds it back. Queries on open connections are recorded too (RecordQuery): a
// server that stops answering on a connection already open (a stopped or stuck process,
// whose kernel still holds the socket) fails the queries that time out on it, its breaker
// opens, and every reader connected to it drops it at its next Prepare(). The caller's own
// deadline over the whole query is SearchService's (search_service.h).
//
// A copy whose writer went silent: the replicas of a shard may be copies written by
// different indexers, each following the event log on its own (docs/search.md). A server
// that answers may then serve a copy nobody writes any more (its indexer died): each copy's
// indexer beats (kBeatKey, every second), and a reader that sees a server's beat unchanged
// for kSilentAfter — on its own monotonic clock, from its first sight of that value, as a
// lease is judged (src/engine/lease.h) — moves to another server of the shard not known to
// be silent (one not looked at for kSilentAfter is not known to be), if there is one (otherwise it keeps the silent copy: old results beat none). A copy
// without a beat (an indexer without serve_remote) is never judged silent.
//
// Thread safety: RemoteShards is safe from any number of threads; a Reader is used by the
// thread that borrowed it.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <xapian.h>

#include "commerce/resilience.h"
#include "commerce/status.h"
#include "search/word_list.h"

namespace commerce::search {

struct Reader;

struct ShardEndpoint {
  std::string host;
  unsigned port = 0;
  std::string ToString() const { return host + ":" + std::to_string(port); }
};

class RemoteShards {
 public:
  using Clock = std::chrono::steady_clock;
  // A reader missing shards tries them again after this long.
  static constexpr std::chrono::milliseconds kRetryInterval{200};
  // A copy whose beat has not moved for this long is silent: three of its writer's beats
  // (search::Indexer::kBeatInterval).
  static constexpr std::chrono::milliseconds kSilentAfter{3000};

  // Parses "host:port" endpoints (an IPv6 host in brackets: "[::1]:7001"). InvalidArgument
  // names the bad entry.
  static Result<std::unique_ptr<RemoteShards>> Make(const std::vector<std::vector<std::string>>& shards,
                                                    std::chrono::milliseconds timeout,
                                                    std::chrono::milliseconds connect_timeout,
                                                    std::chrono::milliseconds refresh);

  uint32_t size() const { return static_cast<uint32_t>(shards_.size()); }

  // Makes `r` current: connects it when it has no connection (or lost one, or misses shards
  // and kRetryInterval passed), re-reads the shards when it is older than the refresh
  // interval or behind `min_seq`. Never fails for an unreachable shard (it is listed in
  // r.missing_shards); fails only when no shard at all answers (Unavailable, naming each
  // server and why).
  Status Prepare(Reader& r, uint64_t min_seq);
  // After a query failed on a lost connection: drops `r`'s connections, so that the next
  // Prepare() connects afresh (to a replica if the server is gone).
  void Disconnect(Reader& r);
  // How a query on `r`'s connections went: OK counts for every server `r` is connected to;
  // a lost connection or a timeout (`lost`, its status naming the server as Xapian's
  // "remote:tcp(HOST:PORT)" context) counts against that server alone. Other failures (the
  // query itself) are not the servers' and are not recorded.
  void RecordQuery(const Reader& r, const Status& outcome, bool lost, Clock::duration latency);
  // Unavailable naming the shards `r` misses and their servers.
  Status MissingError(const Reader& r) const;
  // The lowest last-applied event sequence over the connected shards.
  static Result<uint64_t> IndexedSeq(const std::vector<Xapian::Database>& shards);

  std::shared_ptr<const WordList> words() const { return words_; }

 private:
  RemoteShards() = default;
  Status Connect(Reader& r);
  Status Reread(Reader& r);
  // True when a server `r` is connected to has its breaker open: reconnect without it.
  bool UsesOpenBreaker(const Reader& r) const;
  // Notes the beat that server `at` of `shard` serves; true when that copy is silent and
  // another server of the shard is not known to be (nor refused by its breaker).
  bool NoteBeat(uint32_t shard, size_t at, const Xapian::Database& db);
  bool SilentLocked(uint32_t shard, size_t at, Clock::time_point now) const;
  // Adds the word-list entries a shard gained since the last load (word_list.h).
  // Entries are numbered by each copy's own indexer: counted per server, since the replicas
  // of a shard may be copies written by different indexers (a word is added once however
  // many copies list it).
  void LoadNewWords(uint32_t shard, size_t at, const Xapian::Database& db);

  std::vector<std::vector<ShardEndpoint>> shards_;
  // Parallel to shards_: each server's breaker and latency figures.
  std::vector<std::vector<std::unique_ptr<Endpoint>>> breakers_;
  unsigned timeout_ms_ = 0, connect_timeout_ms_ = 0;
  std::chrono::milliseconds refresh_{1000};
  std::shared_ptr<WordList> words_ = std::make_shared<WordList>();

  mutable std::mutex mu_;
  std::vector<size_t> preferred_;       // GUARDED_BY(mu_): per shard, the endpoint that last answered
  std::vector<std::vector<uint64_t>> word_entries_;  // GUARDED_BY(mu_): per shard and server, entries loaded
  std::vector<std::string> last_error_;  // GUARDED_BY(mu_): per shard, why it was last missed
  struct Beat {
    std::string value;            // empty: none seen (or the copy has none)
    Clock::time_point since{};    // when this value was first seen
    Clock::time_point seen{};     // when it was last seen
  };
  std::vector<std::vector<Beat>> beats_;  // GUARDED_BY(mu_): per shard and server
};

}  // namespace commerce::search
