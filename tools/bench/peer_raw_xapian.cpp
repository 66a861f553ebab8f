#include "peer_raw_xapian.h"

#include <xapian.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <system_error>
#include <vector>

namespace commerce::bench {

namespace {

namespace fs = std::filesystem;

constexpr Xapian::valueno kBrandSlot = 0;
constexpr Xapian::valueno kPriceSlot = 1;
constexpr Xapian::valueno kPopularitySlot = 2;

// The engine's index, as its src/search/index_schema.h names it (kSlotBrand, kSlotPrice).
constexpr Xapian::valueno kEngineBrandSlot = 3;
constexpr Xapian::valueno kEnginePriceSlot = 0;

constexpr unsigned kParseFlags = Xapian::QueryParser::FLAG_DEFAULT | Xapian::QueryParser::FLAG_PARTIAL;

// Where a searcher reads and how that index is laid out.
struct Layout {
  std::vector<std::string> dirs;  // one Database each, added into one
  Xapian::valueno brand_slot = kBrandSlot;
  Xapian::valueno price_slot = kPriceSlot;
  // STEM_SOME for the peer's own index; the engine's is stemmed with STEM_ALL (no "Z" terms).
  Xapian::QueryParser::stem_strategy stemming = Xapian::QueryParser::STEM_SOME;
  bool engine_data = false;  // a document's data is the engine's hit data, not the bare id
  bool plain = false;
};

// The product id in the engine's document data (index_schema.cpp EncodeHitData: a format
// byte 1, then the id as a 4-byte little-endian length and its bytes, then fields not read).
std::string EngineDataId(const std::string& data) {
  uint32_t n = 0;
  if (data.size() < 5 || data[0] != '\x01') return std::string();
  std::memcpy(&n, data.data() + 1, sizeof n);
  return data.size() - 5 < n ? std::string() : data.substr(5, n);
}

Xapian::Database OpenAll(const std::vector<std::string>& dirs) {
  Xapian::Database db;
  for (const auto& dir : dirs) db.add_database(Xapian::Database(dir));
  return db;
}

class XapianSearcher final : public RawXapianPeer::Searcher {
 public:
  explicit XapianSearcher(const Layout& layout)
      : db_(OpenAll(layout.dirs)), enquire_(db_), layout_(layout), plain_(layout.plain) {
    parser_.set_stemmer(Xapian::Stem("english"));
    parser_.set_stemming_strategy(layout.stemming);
    parser_.set_database(db_);  // for FLAG_PARTIAL's expansion
    // The partial last word expands to its 30 most frequent completions, as the engine's does.
    parser_.set_max_expansion(30, Xapian::Query::WILDCARD_LIMIT_MOST_FREQUENT, Xapian::QueryParser::FLAG_PARTIAL);
  }

  bool Search(const PeerQuery& q, PeerResult* out, std::string* error) override {
    out->clear();
    try {
      std::vector<Xapian::Query> rest;  // every filter but the brand
      if (!q.category.empty()) rest.emplace_back("XC" + (layout_.engine_data ? Lower(q.category) : q.category));
      if (q.price_min || q.price_max) {
        const std::string lo = Xapian::sortable_serialise(static_cast<double>(q.price_min.value_or(0)));
        if (q.price_max) {
          rest.emplace_back(Xapian::Query::OP_VALUE_RANGE, layout_.price_slot, lo,
                            Xapian::sortable_serialise(static_cast<double>(*q.price_max)));
        } else {
          rest.emplace_back(Xapian::Query::OP_VALUE_GE, layout_.price_slot, lo);
        }
      }
      const Xapian::Query others =
          rest.empty() ? Xapian::Query() : Xapian::Query(Xapian::Query::OP_AND, rest.begin(), rest.end());
      Xapian::Query filter = others;
      if (!q.brand.empty()) {
        const Xapian::Query brand("XB" + Lower(q.brand));
        filter = others.empty() ? brand : Xapian::Query(Xapian::Query::OP_AND, brand, others);
      }
      if (plain_) {
        PlainRun(q, filter, out);
        return true;
      }
      if (!Run(q, filter, others, Xapian::Query::OP_AND, out)) return true;  // no words
      if (out->ids.empty() && QueryTokens(q.text).size() >= 2) {
        out->clear();
        out->relaxed = true;
        Run(q, filter, others, Xapian::Query::OP_OR, out);
      }
      return true;
    } catch (const Xapian::Error& e) {
      *error = "raw-xapian: " + e.get_description();
      return false;
    }
  }

 private:
  // Returns false when the text parses to no query at all.
  // `others`: the filters without the brand, for a multi-select brand facet's own pass.
  bool Run(const PeerQuery& q, const Xapian::Query& filter, const Xapian::Query& others,
           Xapian::Query::op default_op, PeerResult* out) {
    parser_.set_default_op(default_op);
    const Xapian::Query text = parser_.parse_query(q.text, kParseFlags);
    if (text.empty()) return false;
    Xapian::Query query = text;
    if (!filter.empty()) query = Xapian::Query(Xapian::Query::OP_FILTER, query, filter);
    enquire_.set_query(query);
    Xapian::MSet mset;
    if (q.facet_brand && q.facet_brand_multiselect && !q.brand.empty()) {
      mset = enquire_.get_mset(0, q.limit);
      enquire_.set_query(others.empty() ? text : Xapian::Query(Xapian::Query::OP_FILTER, text, others));
      Xapian::ValueCountMatchSpy spy(layout_.brand_slot);
      enquire_.add_matchspy(&spy);
      enquire_.get_mset(0, 0, kPeerFacetCap);
      enquire_.clear_matchspies();
      for (auto it = spy.top_values_begin(10); it != spy.top_values_end(10); ++it)
        out->brand_facet.emplace_back(*it, it.get_termfreq());
    } else if (q.facet_brand) {
      Xapian::ValueCountMatchSpy spy(layout_.brand_slot);
      enquire_.add_matchspy(&spy);
      mset = enquire_.get_mset(0, q.limit, kPeerFacetCap);
      enquire_.clear_matchspies();
      for (auto it = spy.top_values_begin(10); it != spy.top_values_end(10); ++it)
        out->brand_facet.emplace_back(*it, it.get_termfreq());
    } else {
      mset = enquire_.get_mset(0, q.limit);
    }
    out->matches = mset.get_matches_estimated();
    for (auto it = mset.begin(); it != mset.end(); ++it) out->ids.push_back(Id(it.get_document().get_data()));
    return true;
  }

  // plain-xapian: OR of the words, Xapian's spelling correction when it has one.
  void PlainRun(const PeerQuery& q, const Xapian::Query& filter, PeerResult* out) {
    constexpr unsigned kPlainFlags =
        Xapian::QueryParser::FLAG_DEFAULT | Xapian::QueryParser::FLAG_SPELLING_CORRECTION;
    parser_.set_default_op(Xapian::Query::OP_OR);
    Xapian::Query query = parser_.parse_query(q.text, kPlainFlags);
    const std::string corrected = parser_.get_corrected_query_string();
    if (!corrected.empty()) {
      query = parser_.parse_query(corrected, Xapian::QueryParser::FLAG_DEFAULT);
      out->corrected = true;
    }
    if (query.empty()) return;
    if (!filter.empty()) query = Xapian::Query(Xapian::Query::OP_FILTER, query, filter);
    enquire_.set_query(query);
    Xapian::MSet mset = enquire_.get_mset(0, q.limit);
    out->matches = mset.get_matches_estimated();
    for (auto it = mset.begin(); it != mset.end(); ++it) out->ids.push_back(Id(it.get_document().get_data()));
  }

  std::string Id(std::string data) const { return layout_.engine_data ? EngineDataId(data) : data; }

  Xapian::Database db_;
  Xapian::Enquire enquire_;
  Xapian::QueryParser parser_;
  Layout layout_;
  bool plain_;
};

}  // namespace

std::unique_ptr<RawXapianPeer> RawXapianPeer::Create(const std::string& dir, std::string* error,
                                                     Style style) {
  std::unique_ptr<RawXapianPeer> peer(new RawXapianPeer);
  peer->style_ = style;
  peer->dir_ = dir + "/xapian";
  try {
    Xapian::WritableDatabase db(peer->dir_, Xapian::DB_CREATE_OR_OVERWRITE);
    db.commit();
  } catch (const Xapian::Error& e) {
    *error = "raw-xapian: create " + peer->dir_ + ": " + e.get_description();
    return nullptr;
  }
  return peer;
}

std::unique_ptr<RawXapianPeer> RawXapianPeer::Open(const std::string& dir, Style style) {
  std::unique_ptr<RawXapianPeer> peer(new RawXapianPeer);
  peer->style_ = style;
  peer->dir_ = dir + "/xapian";
  return peer;
}

bool RawXapianPeer::Load(uint64_t n, const DocGenerator& gen, Progress* progress, std::string* error) {
  if (style_ == Style::kEngineShards) return *error = "raw-xapian-shards: the engine's index is the engine's to write", false;
  try {
    Xapian::WritableDatabase db(dir_, Xapian::DB_CREATE_OR_OPEN);
    Xapian::TermGenerator tg;
    tg.set_stemmer(Xapian::Stem("english"));
    if (style_ == Style::kPlain) {
      tg.set_database(db);
      tg.set_flags(Xapian::TermGenerator::FLAG_SPELLING);
    }
    SearchDoc d;
    for (uint64_t i = 0; i < n; ++i) {
      gen(i, &d);
      Xapian::Document doc;
      tg.set_document(doc);
      tg.index_text_without_positions(d.title, kTitleWeight);
      tg.index_text_without_positions(d.brand, kBrandWeight);
      tg.index_text_without_positions(d.category_text, kCategoryWeight);
      tg.index_text_without_positions(d.description, kDescriptionWeight);
      if (!d.brand.empty()) doc.add_boolean_term("XB" + Lower(d.brand));
      for (const std::string& c : d.category_ids) doc.add_boolean_term("XC" + c);
      doc.add_value(kBrandSlot, d.brand);
      doc.add_value(kPriceSlot, Xapian::sortable_serialise(static_cast<double>(d.price)));
      doc.add_value(kPopularitySlot, Xapian::sortable_serialise(static_cast<double>(d.popularity)));
      doc.set_data(d.id);
      const std::string id_term = "Q" + d.id;
      doc.add_boolean_term(id_term);
      db.replace_document(id_term, doc);
      if (progress && (i & 1023) == 0) progress->Update(i);
    }
    db.commit();
    db.close();
    return true;
  } catch (const Xapian::Error& e) {
    *error = "raw-xapian: index: " + e.get_description();
    return false;
  }
}

std::unique_ptr<RawXapianPeer> RawXapianPeer::OnEngineIndex(const std::string& engine_store, std::string* error) {
  // <store>/search/CURRENT names the generation queries read; its shards are shard-0..N-1
  // (the engine's src/search/index_layout.h).
  const std::string root = engine_store + "/search";
  std::string generation;
  std::getline(std::ifstream(root + "/CURRENT"), generation);
  if (generation.empty()) return *error = "raw-xapian-shards: no " + root + "/CURRENT", nullptr;
  std::unique_ptr<RawXapianPeer> peer(new RawXapianPeer);
  peer->style_ = Style::kEngineShards;
  peer->dir_ = root + "/" + generation;
  std::error_code ec;
  for (uint32_t i = 0; fs::exists(peer->dir_ + "/shard-" + std::to_string(i), ec); ++i)
    peer->shards_.push_back(peer->dir_ + "/shard-" + std::to_string(i));
  if (peer->shards_.empty()) return *error = "raw-xapian-shards: no shard under " + peer->dir_, nullptr;
  return peer;
}

uint64_t RawXapianPeer::DiskBytes() const {
  uint64_t bytes = 0;
  std::error_code ec;
  for (const auto& entry : fs::recursive_directory_iterator(dir_, ec))
    if (entry.is_regular_file(ec)) bytes += entry.file_size(ec);
  return bytes;
}

std::unique_ptr<RawXapianPeer::Searcher> RawXapianPeer::NewSearcher(std::string* error) {
  Layout layout;
  layout.plain = style_ == Style::kPlain;
  if (style_ == Style::kEngineShards) {
    layout.dirs = shards_;
    layout.brand_slot = kEngineBrandSlot;
    layout.price_slot = kEnginePriceSlot;
    layout.stemming = Xapian::QueryParser::STEM_ALL;
    layout.engine_data = true;
  } else {
    layout.dirs = {dir_};
  }
  try {
    return std::make_unique<XapianSearcher>(layout);
  } catch (const Xapian::Error& e) {
    *error = "raw-xapian: open " + dir_ + ": " + e.get_description();
    return nullptr;
  }
}

}  // namespace commerce::bench
