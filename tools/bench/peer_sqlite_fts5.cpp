#include "peer_sqlite_fts5.h"

#include <algorithm>

#include <sqlite3.h>
#include <sys/stat.h>

#include "sqlite_util.h"

namespace commerce::bench {

namespace {

// Filter shapes: which of the optional WHERE terms a statement has.
constexpr unsigned kBrand = 1, kPriceMin = 2, kPriceMax = 4, kCategory = 8, kFacet = 16;

constexpr char kSchema[] =
    "CREATE TABLE docs (rowid INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, brand TEXT NOT NULL,"
    " brand_key TEXT NOT NULL, price INTEGER NOT NULL, popularity INTEGER NOT NULL);"
    "CREATE TABLE doc_categories (category TEXT NOT NULL, doc INTEGER NOT NULL,"
    " PRIMARY KEY (category, doc)) WITHOUT ROWID;"
    "CREATE VIRTUAL TABLE fts USING fts5(title, brand, categories, description, content = '',"
    " tokenize = 'porter unicode61');";

uint64_t FileBytes(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 ? static_cast<uint64_t>(st.st_size) : 0;
}

void BindText(sqlite3_stmt* s, int i, const std::string& v) {
  sqlite3_bind_text(s, i, v.data(), static_cast<int>(v.size()), SQLITE_STATIC);
}

void BindNamed(sqlite3_stmt* s, const char* name, const std::string& v) {
  const int i = sqlite3_bind_parameter_index(s, name);
  if (i > 0) BindText(s, i, v);
}

void BindNamed(sqlite3_stmt* s, const char* name, int64_t v) {
  const int i = sqlite3_bind_parameter_index(s, name);
  if (i > 0) sqlite3_bind_int64(s, i, v);
}

}  // namespace

std::unique_ptr<SqliteFts5Peer> SqliteFts5Peer::Create(const std::string& dir, std::string* error) {
  std::unique_ptr<SqliteFts5Peer> peer(new SqliteFts5Peer);
  peer->file_ = dir + "/search.sqlite";
  if (!sqlite3_compileoption_used("ENABLE_FTS5")) {
    *error = "sqlite-fts5: this SQLite (" + std::string(sqlite3_libversion()) + ") is built without FTS5";
    return nullptr;
  }
  sqlite3* db = SqliteConnect(peer->file_, error);
  if (!db) return nullptr;
  const bool ok = SqliteExec(db, kSchema, error);
  sqlite3_close(db);
  if (!ok) return nullptr;
  return peer;
}

std::unique_ptr<SqliteFts5Peer> SqliteFts5Peer::Open(const std::string& dir) {
  std::unique_ptr<SqliteFts5Peer> peer(new SqliteFts5Peer);
  peer->file_ = dir + "/search.sqlite";
  return peer;
}

bool SqliteFts5Peer::Load(uint64_t n, const DocGenerator& gen, Progress* progress, std::string* error) {
  sqlite3* db = SqliteConnect(file_, error);
  if (!db) return false;
  sqlite3_stmt* doc = nullptr;
  sqlite3_stmt* cat = nullptr;
  sqlite3_stmt* fts = nullptr;
  bool ok = SqlitePrepare(db,
                          "INSERT INTO docs (rowid, id, brand, brand_key, price, popularity)"
                          " VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                          &doc, error) &&
            SqlitePrepare(db, "INSERT OR IGNORE INTO doc_categories (category, doc) VALUES (?1, ?2)", &cat,
                          error) &&
            SqlitePrepare(db,
                          "INSERT INTO fts (rowid, title, brand, categories, description)"
                          " VALUES (?1, ?2, ?3, ?4, ?5)",
                          &fts, error) &&
            SqliteExec(db, "BEGIN IMMEDIATE", error);
  SearchDoc d;
  std::string brand_key, msg;
  for (uint64_t i = 0; ok && i < n; ++i) {
    gen(i, &d);
    const auto rowid = static_cast<int64_t>(i + 1);
    brand_key = Lower(d.brand);
    sqlite3_bind_int64(doc, 1, rowid);
    BindText(doc, 2, d.id);
    BindText(doc, 3, d.brand);
    BindText(doc, 4, brand_key);
    sqlite3_bind_int64(doc, 5, d.price);
    sqlite3_bind_int64(doc, 6, d.popularity);
    if (SqliteStepDone(doc, &msg) != SQLITE_OK) {
      *error = "sqlite-fts5: insert doc " + d.id + ": " + msg;
      ok = false;
      break;
    }
    for (const std::string& c : d.category_ids) {
      BindText(cat, 1, c);
      sqlite3_bind_int64(cat, 2, rowid);
      if (SqliteStepDone(cat, &msg) != SQLITE_OK) {
        *error = "sqlite-fts5: insert category of " + d.id + ": " + msg;
        ok = false;
        break;
      }
    }
    sqlite3_bind_int64(fts, 1, rowid);
    BindText(fts, 2, d.title);
    BindText(fts, 3, d.brand);
    BindText(fts, 4, d.category_text);
    BindText(fts, 5, d.description);
    if (ok && SqliteStepDone(fts, &msg) != SQLITE_OK) {
      *error = "sqlite-fts5: insert fts row of " + d.id + ": " + msg;
      ok = false;
    }
    if (progress && (i & 1023) == 0) progress->Update(i);
  }
  if (ok) ok = SqliteExec(db, "COMMIT", error);
  // Fold the load's WAL into the database file, as a long-running store would have done.
  if (ok) ok = SqliteExec(db, "PRAGMA wal_checkpoint(TRUNCATE)", error);
  sqlite3_finalize(doc);
  sqlite3_finalize(cat);
  sqlite3_finalize(fts);
  sqlite3_close(db);
  return ok;
}

uint64_t SqliteFts5Peer::DiskBytes() const { return FileBytes(file_) + FileBytes(file_ + "-wal"); }

std::string SqliteFts5Peer::MatchExpression(const std::string& text, bool any_word) {
  const std::vector<std::string> tokens = QueryTokens(text);
  std::string m;
  for (size_t i = 0; i < tokens.size(); ++i) {
    if (i) m += any_word ? " OR " : " ";
    m += '"';
    m += tokens[i];  // letters and digits only: nothing to escape
    m += '"';
    if (i + 1 == tokens.size()) m += '*';
  }
  return m;
}

std::unique_ptr<SqliteFts5Peer::Searcher> SqliteFts5Peer::NewSearcher(std::string* error) {
  std::unique_ptr<Searcher> s(new Searcher);
  s->db_ = SqliteConnect(file_, error);
  if (!s->db_) return nullptr;
  return s;
}

SqliteFts5Peer::Searcher::~Searcher() {
  for (auto& [shape, stmt] : stmts_) sqlite3_finalize(stmt);
  sqlite3_finalize(vocab_);
  sqlite3_finalize(count_);
  sqlite3_close(db_);
}

sqlite3_stmt* SqliteFts5Peer::Searcher::Statement(unsigned shape, bool facet, std::string* error) {
  const unsigned key = shape | (facet ? kFacet : 0);
  auto it = stmts_.find(key);
  if (it != stmts_.end()) return it->second;
  std::string where = " FROM fts JOIN docs d ON d.rowid = fts.rowid WHERE fts MATCH :m";
  if (shape & kBrand) where += " AND d.brand_key = :b";
  if (shape & kPriceMin) where += " AND d.price >= :pmin";
  if (shape & kPriceMax) where += " AND d.price <= :pmax";
  // A correlated EXISTS, not "fts.rowid IN (...)": the latter makes SQLite drive FTS5 by
  // rowid, one MATCH evaluation per product of the category (EXPLAIN QUERY PLAN: "INDEX 0:=M4").
  if (shape & kCategory)
    where += " AND EXISTS (SELECT 1 FROM doc_categories c WHERE c.category = :c AND c.doc = d.rowid)";
  const std::string sql =
      facet ? "SELECT brand, count(*) AS c FROM (SELECT d.brand AS brand" + where + " LIMIT " +
                  std::to_string(kPeerFacetCap) + ") GROUP BY brand ORDER BY c DESC, brand LIMIT 10"
            : "SELECT d.id" + where + " ORDER BY bm25(fts, 4.0, 3.0, 2.0, 1.0) LIMIT :n";
  static_assert(kTitleWeight == 4 && kBrandWeight == 3 && kCategoryWeight == 2 && kDescriptionWeight == 1,
                "the bm25() weights above mirror search_peer.h");
  sqlite3_stmt* stmt = nullptr;
  if (!SqlitePrepare(db_, sql.c_str(), &stmt, error)) return nullptr;
  stmts_[key] = stmt;
  return stmt;
}

bool SqliteFts5Peer::Searcher::Run(const PeerQuery& q, const std::string& match, PeerResult* out,
                                   std::string* error) {
  unsigned shape = 0;
  if (!q.brand.empty()) shape |= kBrand;
  if (q.price_min) shape |= kPriceMin;
  if (q.price_max) shape |= kPriceMax;
  if (!q.category.empty()) shape |= kCategory;
  const std::string brand_key = q.brand.empty() ? std::string() : Lower(q.brand);
  for (int facet = 0; facet < (q.facet_brand ? 2 : 1); ++facet) {
    // A multi-select brand facet counts without the brand filter.
    const unsigned shape_now = facet && q.facet_brand_multiselect ? shape & ~kBrand : shape;
    sqlite3_stmt* s = Statement(shape_now, facet != 0, error);
    if (!s) return false;
    BindNamed(s, ":m", match);
    if (shape_now & kBrand) BindNamed(s, ":b", brand_key);
    if (shape_now & kPriceMin) BindNamed(s, ":pmin", *q.price_min);
    if (shape_now & kPriceMax) BindNamed(s, ":pmax", *q.price_max);
    if (shape_now & kCategory) BindNamed(s, ":c", q.category);
    if (!facet) BindNamed(s, ":n", static_cast<int64_t>(q.limit));
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
      const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(s, 0));
      const int len = sqlite3_column_bytes(s, 0);
      if (!facet) {
        out->ids.emplace_back(text, static_cast<size_t>(len));
      } else {
        const auto count = static_cast<uint64_t>(sqlite3_column_int64(s, 1));
        out->brand_facet.emplace_back(std::string(text, static_cast<size_t>(len)), count);
        out->matches += count;
      }
    }
    if (rc != SQLITE_DONE) {
      SqliteFail(db_, "search '" + match + "'", error);
      sqlite3_reset(s);
      return false;
    }
    sqlite3_reset(s);
    // An empty top list: no need to count facets of nothing (a multi-select facet counts
    // without the brand filter, so it may have values even then).
    if (!facet && out->ids.empty() && !q.facet_brand_multiselect) break;
  }
  return true;
}

bool SqliteFts5Peer::Searcher::Search(const PeerQuery& q, PeerResult* out, std::string* error) {
  out->clear();
  const std::string all = MatchExpression(q.text, false);
  if (all.empty()) return true;  // nothing to match: no results (the peers do not browse)
  if (!Run(q, all, out, error)) return false;
  if (!out->ids.empty() || all.find("\" \"") == std::string::npos) return true;
  out->clear();
  out->relaxed = true;
  return Run(q, MatchExpression(q.text, true), out, error);
}

bool SqliteFts5Peer::Searcher::Suggest(const std::string& text, size_t limit,
                                       std::vector<std::pair<std::string, uint64_t>>* out, std::string* error) {
  out->clear();
  std::vector<std::string> tokens = QueryTokens(text);
  if (tokens.empty()) return true;
  const std::string last = tokens.back();
  tokens.pop_back();
  if (!vocab_) {
    // A temp table: fts5vocab is per connection, and this one reads the main database's fts.
    if (!SqliteExec(db_, "CREATE VIRTUAL TABLE IF NOT EXISTS temp.fts_vocab USING fts5vocab(main, 'fts', 'row')",
                    error) ||
        !SqlitePrepare(db_,
                       "SELECT term, doc FROM temp.fts_vocab WHERE term >= :lo AND term < :hi "
                       "ORDER BY doc DESC, term LIMIT :n",
                       &vocab_, error) ||
        !SqlitePrepare(db_,
                       ("SELECT count(*) FROM (SELECT 1 FROM fts WHERE fts MATCH :m LIMIT " +
                        std::to_string(kSuggestCountCap) + ")").c_str(),
                       &count_, error))
      return false;
  }
  const std::string hi = last + "\xff";  // above every term starting with `last` (0xff is never UTF-8)
  BindNamed(vocab_, ":lo", last);  // bound SQLITE_STATIC: both outlive the statement's run
  BindNamed(vocab_, ":hi", hi);
  BindNamed(vocab_, ":n", static_cast<int64_t>(2 * limit));
  std::vector<std::pair<std::string, uint64_t>> candidates;
  int rc;
  while ((rc = sqlite3_step(vocab_)) == SQLITE_ROW)
    candidates.emplace_back(reinterpret_cast<const char*>(sqlite3_column_text(vocab_, 0)),
                            static_cast<uint64_t>(sqlite3_column_int64(vocab_, 1)));
  sqlite3_reset(vocab_);
  if (rc != SQLITE_DONE) return SqliteFail(db_, "suggest '" + text + "'", error);
  std::string head;
  for (const auto& t : tokens) head += t + " ";
  if (!tokens.empty()) {
    for (auto& [term, count] : candidates) {
      std::string m;
      for (const auto& t : tokens) m += '"' + t + "\" ";
      m += '"' + term + '"';
      BindNamed(count_, ":m", m);
      rc = sqlite3_step(count_);
      count = rc == SQLITE_ROW ? static_cast<uint64_t>(sqlite3_column_int64(count_, 0)) : 0;
      sqlite3_reset(count_);
      if (rc != SQLITE_ROW) return SqliteFail(db_, "suggest count '" + m + "'", error);
    }
  }
  std::sort(candidates.begin(), candidates.end(),
            [](const auto& a, const auto& b) { return a.second != b.second ? a.second > b.second : a.first < b.first; });
  for (auto& [term, count] : candidates) {
    if (count == 0 || out->size() >= limit) break;
    out->emplace_back(head + term, count);
  }
  return true;
}

}  // namespace commerce::bench
