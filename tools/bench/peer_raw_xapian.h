// Peer baseline "raw-xapian": product search as a competent user writes it with Xapian
// directly (the library the engine's index is built on), with no event log, no shards, no
// cache and nothing of commerce in between.
//
//   - index: one Xapian::WritableDatabase (glass, the default backend); per product a
//     Xapian::Document filled by a plain TermGenerator (english stemmer, its default
//     STEM_SOME) with the fields weighted as the engine weighs them through wdf increments
//     (title 4, brand 3, category names 2, description 1; search_peer.h), without
//     positions as the engine indexes (no phrase search: Xapian then reads a phrase as
//     AND); the engine stems with STEM_ALL, the peer keeps the TermGenerator's and
//     QueryParser's default STEM_SOME (unstemmed words indexed too: a bigger index, exact
//     words preferred); boolean terms
//     XB<brand lower-cased> and XC<category id> for the product's categories and their
//     ancestors; values: slot 0 the brand (for the facet), slot 1 the price, slot 2 the
//     popularity (sortable_serialise); replace_document by the unique id term Q<id>;
//     Xapian's own automatic flushing, one commit() at the end;
//   - a query: QueryParser (english stemmer, STEM_SOME, default operator AND,
//     FLAG_DEFAULT | FLAG_PARTIAL: the last word also matches as a prefix, expanded to its 30
//     most frequent completions, as the engine's search-as-you-type does) and an Enquire on
//     a Database opened per thread; filters as
//     OP_FILTER by the boolean terms and OP_VALUE_RANGE on the price slot; the brand facet
//     by a ValueCountMatchSpy on slot 0 with get_mset's checkatleast at 10,000 (the engine's
//     exact-count cap); when every word finds nothing and there are two words or more, the
//     query is parsed again with the default operator OR (the engine's relaxation).
//
// A second form, "plain-xapian" (Create(..., kPlain)), is the hand-made set-up a newcomer to
// Xapian writes from its getting-started guide, used by suite search-quality (issue 18): the
// same four fields and weights, english stemming (STEM_SOME), the QueryParser's default OR of
// the words with BM25, no prefix on the last word, and Xapian's stock spelling correction —
// the TermGenerator fills the spelling table (FLAG_SPELLING, every field) and a query parsed
// with FLAG_SPELLING_CORRECTION that has a corrected form runs as corrected.
//
// A third form, "raw-xapian-shards" (OnEngineIndex), runs the very same hand-written queries
// as raw-xapian on the engine's own index instead of the peer's: the current generation's
// shards under <engine store>/search, each opened and added into one Xapian::Database (how
// Xapian reads several databases as one), with the engine's schema where the queries name it
// (brand facet slot 3, price slot 0, STEM_ALL since the engine indexes stems without a "Z"
// form, the product id read from the engine's document data). Same BM25 defaults, same
// QueryParser flags. The index is held equal: the engine's ratio to this peer is the cost of
// its layers alone, its ratio to raw-xapian that and its index's shape (shards, terms, data)
// together (issue 18: "on the same index"). Nothing is loaded: the engine wrote the index.
//
// Why it is a fair baseline: it is the straightforward use of the same engine library the
// product builds on, tuned as the Xapian documentation shows, so the ratio is what the
// engine's layers (event-log indexing, shards, the reader pool, result shaping) cost or
// save. It has no cache: in case zipf-cached the ratio is the value of the engine's cache.
//
// Thread safety: a Searcher belongs to the thread that created it (Xapian objects are not
// thread-safe); Load runs alone.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "harness.h"
#include "search_peer.h"

namespace commerce::bench {

class RawXapianPeer {
 public:
  enum class Style { kEngineLike, kPlain, kEngineShards };
  static std::unique_ptr<RawXapianPeer> Create(const std::string& dir, std::string* error,
                                               Style style = Style::kEngineLike);
  // The database a Create and Load made in `dir` earlier (commerce-bench search --keep).
  static std::unique_ptr<RawXapianPeer> Open(const std::string& dir, Style style = Style::kEngineLike);

  // raw-xapian-shards: the engine's index in its store `engine_store` (Engine::open's path).
  static std::unique_ptr<RawXapianPeer> OnEngineIndex(const std::string& engine_store, std::string* error);

  using DocGenerator = std::function<void(uint64_t i, SearchDoc* doc)>;
  // Indexes documents 0..n-1 and commits (not for OnEngineIndex's: an error).
  bool Load(uint64_t n, const DocGenerator& gen, Progress* progress, std::string* error);

  uint64_t DiskBytes() const;  // the database directory (OnEngineIndex: the generation's), in bytes

  class Searcher {
   public:
    virtual ~Searcher() = default;
    virtual bool Search(const PeerQuery& q, PeerResult* out, std::string* error) = 0;
  };
  // A reader (its own Xapian::Database) for the calling thread.
  std::unique_ptr<Searcher> NewSearcher(std::string* error);

 private:
  RawXapianPeer() = default;
  std::string dir_;
  std::vector<std::string> shards_;  // OnEngineIndex: the shards' directories
  Style style_ = Style::kEngineLike;
};

}  // namespace commerce::bench
