#include "peer_raw_xapian.h"

#include <xapian.h>

#include <filesystem>
#include <system_error>
#include <vector>

namespace commerce::bench {

namespace {

namespace fs = std::filesystem;

constexpr Xapian::valueno kBrandSlot = 0;
constexpr Xapian::valueno kPriceSlot = 1;
constexpr Xapian::valueno kPopularitySlot = 2;

constexpr unsigned kParseFlags = Xapian::QueryParser::FLAG_DEFAULT | Xapian::QueryParser::FLAG_PARTIAL;

class XapianSearcher final : public RawXapianPeer::Searcher {
 public:
  XapianSearcher(const std::string& dir, bool plain) : db_(dir), enquire_(db_), plain_(plain) {
    parser_.set_stemmer(Xapian::Stem("english"));
    parser_.set_stemming_strategy(Xapian::QueryParser::STEM_SOME);
    parser_.set_database(db_);  // for FLAG_PARTIAL's expansion
    // The partial last word expands to its 30 most frequent completions, as the engine's does.
    parser_.set_max_expansion(30, Xapian::Query::WILDCARD_LIMIT_MOST_FREQUENT, Xapian::QueryParser::FLAG_PARTIAL);
  }

  bool Search(const PeerQuery& q, PeerResult* out, std::string* error) override {
    out->clear();
    try {
      std::vector<Xapian::Query> rest;  // every filter but the brand
      if (!q.category.empty()) rest.emplace_back("XC" + q.category);
      if (q.price_min || q.price_max) {
        const std::string lo = Xapian::sortable_serialise(static_cast<double>(q.price_min.value_or(0)));
        if (q.price_max) {
          rest.emplace_back(Xapian::Query::OP_VALUE_RANGE, kPriceSlot, lo,
                            Xapian::sortable_serialise(static_cast<double>(*q.price_max)));
        } else {
          rest.emplace_back(Xapian::Query::OP_VALUE_GE, kPriceSlot, lo);
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
      Xapian::ValueCountMatchSpy spy(kBrandSlot);
      enquire_.add_matchspy(&spy);
      enquire_.get_mset(0, 0, kPeerFacetCap);
      enquire_.clear_matchspies();
      for (auto it = spy.top_values_begin(10); it != spy.top_values_end(10); ++it)
        out->brand_facet.emplace_back(*it, it.get_termfreq());
    } else if (q.facet_brand) {
      Xapian::ValueCountMatchSpy spy(kBrandSlot);
      enquire_.add_matchspy(&spy);
      mset = enquire_.get_mset(0, q.limit, kPeerFacetCap);
      enquire_.clear_matchspies();
      for (auto it = spy.top_values_begin(10); it != spy.top_values_end(10); ++it)
        out->brand_facet.emplace_back(*it, it.get_termfreq());
    } else {
      mset = enquire_.get_mset(0, q.limit);
    }
    out->matches = mset.get_matches_estimated();
    for (auto it = mset.begin(); it != mset.end(); ++it) out->ids.push_back(it.get_document().get_data());
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
    for (auto it = mset.begin(); it != mset.end(); ++it) out->ids.push_back(it.get_document().get_data());
  }

  Xapian::Database db_;
  Xapian::Enquire enquire_;
  Xapian::QueryParser parser_;
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

uint64_t RawXapianPeer::DiskBytes() const {
  uint64_t bytes = 0;
  std::error_code ec;
  for (const auto& entry : fs::recursive_directory_iterator(dir_, ec))
    if (entry.is_regular_file(ec)) bytes += entry.file_size(ec);
  return bytes;
}

std::unique_ptr<RawXapianPeer::Searcher> RawXapianPeer::NewSearcher(std::string* error) {
  try {
    return std::make_unique<XapianSearcher>(dir_, style_ == Style::kPlain);
  } catch (const Xapian::Error& e) {
    *error = "raw-xapian: open " + dir_ + ": " + e.get_description();
    return nullptr;
  }
}

}  // namespace commerce::bench
