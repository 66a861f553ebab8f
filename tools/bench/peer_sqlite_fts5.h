// Peer baseline "sqlite-fts5": product search as a competent user writes it with SQLite's
// built-in full-text index, nothing of commerce in between.
//
//   - one database file (WAL, the bench's SQLite connection settings: sqlite_util.h) with
//       docs(rowid INTEGER PRIMARY KEY, id TEXT UNIQUE, brand TEXT, brand_key TEXT,
//            price INTEGER, popularity INTEGER)
//       doc_categories(category TEXT, doc INTEGER, PRIMARY KEY (category, doc)) WITHOUT ROWID
//           -- a row per category of a product and per ancestor of it
//       fts USING fts5(title, brand, categories, description, content = '',
//                      tokenize = 'porter unicode61')
//     the FTS5 table contentless (the text lives in the caller's own records, as it does in
//     the engine's store), its rowid the docs rowid;
//   - loaded with prepared INSERTs in one transaction;
//   - a query: the text's words (search_peer.h QueryTokens), each double-quoted, the last one
//     a prefix ("tok"*), implicitly ANDed; when that finds nothing and there are two words
//     or more, the same words ORed (the engine relaxes the same way). No typo correction.
//     Ranked by bm25(fts, 4, 3, 2, 1) (title > brand > categories > description, the
//     engine's field weights), top `limit`:
//       SELECT d.id FROM fts JOIN docs d ON d.rowid = fts.rowid
//       WHERE fts MATCH :m [AND d.brand_key = :b] [AND d.price >= :pmin] [AND d.price <= :pmax]
//             [AND EXISTS (SELECT 1 FROM doc_categories c WHERE c.category = :c
//                          AND c.doc = d.rowid)]
//       ORDER BY bm25(fts, 4.0, 3.0, 2.0, 1.0) LIMIT :n
//     and for the brand facet, the same join and filters grouped by brand over the first
//     10,000 matches (the engine's exact-count cap, search.h kFacetExactCap);
//   - a connection per thread (Searcher), statements prepared once per filter shape.
//
// Why it is a fair baseline: it is the documented FTS5 way to rank by field-weighted BM25 with
// a prefix on the last word, filtered by ordinary SQL, with the same tokens, weights and
// relaxation as the engine; it does no spelling correction, which suite search-quality
// measures on purpose.
//
// Thread safety: a Searcher belongs to the thread that created it; Load runs alone.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "harness.h"
#include "search_peer.h"

struct sqlite3;
struct sqlite3_stmt;

namespace commerce::bench {

class SqliteFts5Peer {
 public:
  // Creates the database in `dir` (fails if FTS5 is not compiled into this SQLite).
  static std::unique_ptr<SqliteFts5Peer> Create(const std::string& dir, std::string* error);
  // The database a Create and Load made in `dir` earlier (commerce-bench search --keep).
  static std::unique_ptr<SqliteFts5Peer> Open(const std::string& dir);

  // Loads documents 0..n-1 (`gen` fills one) in one transaction.
  using DocGenerator = std::function<void(uint64_t i, SearchDoc* doc)>;
  bool Load(uint64_t n, const DocGenerator& gen, Progress* progress, std::string* error);

  // The database file (and its WAL) on disk, in bytes.
  uint64_t DiskBytes() const;

  class Searcher {
   public:
    ~Searcher();
    bool Search(const PeerQuery& q, PeerResult* out, std::string* error);
    // Search-as-you-type as one writes it with FTS5 (the suite's suggest case): the indexed
    // terms (porter stems) starting with the text's last word, from an fts5vocab table over
    // fts, most documents first, 2 x limit of them; with words before it, each counted with
    // them ("a" "b" "term", at most kSuggestCountCap matches) and those that find nothing
    // dropped; the rest by count, then text, as "a b term". No typo tolerance.
    static constexpr int kSuggestCountCap = 1000;
    bool Suggest(const std::string& text, size_t limit, std::vector<std::pair<std::string, uint64_t>>* out,
                 std::string* error);

   private:
    friend class SqliteFts5Peer;
    Searcher() = default;
    sqlite3_stmt* Statement(unsigned shape, bool facet, std::string* error);
    bool Run(const PeerQuery& q, const std::string& match, PeerResult* out, std::string* error);
    sqlite3* db_ = nullptr;
    std::map<unsigned, sqlite3_stmt*> stmts_;  // by filter shape | facet bit
    sqlite3_stmt* vocab_ = nullptr;             // Suggest's statements, prepared on first use
    sqlite3_stmt* count_ = nullptr;
  };
  // A connection for the calling thread.
  std::unique_ptr<Searcher> NewSearcher(std::string* error);

  // The FTS5 MATCH expression of `text`: "a" "b" "c"* (every word), or "a" OR "b" OR "c"*
  // (any word). Empty when the text has no words.
  static std::string MatchExpression(const std::string& text, bool any_word);

 private:
  SqliteFts5Peer() = default;
  std::string file_;
};

}  // namespace commerce::bench
