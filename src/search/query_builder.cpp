#include "search/query_builder.h"

#include <algorithm>
#include <cmath>

#include "search/index_schema.h"
#include "search/share_filter.h"
#include "search/word_forms.h"

namespace commerce::search {

namespace {

using QP = Xapian::QueryParser;

Xapian::Query Fixed(double weight) {
  return Xapian::Query((new Xapian::FixedWeightPostingSource(weight))->release());
}

}  // namespace

double TextWeight(double weight) { return std::fmod(weight, kCodeWeight); }
double MatchedWords(double weight) { return std::floor(weight / (kWordTier / 2)) / 2; }
bool CodeMatched(double weight) { return std::fmod(weight, kWordTier / 2) >= kCodeWeight; }

Result<Xapian::Query> QueryBuilder::Parse(const std::string& text, bool partial, bool phrase) {
  reader_.parser.set_default_op(Xapian::Query::OP_AND);
  unsigned flags = partial ? unsigned{QP::FLAG_PARTIAL} : 0u;
  try {
    // A phrase is a phrase for Xapian (the index has no positions, so it matches as AND).
    if (phrase) return reader_.parser.parse_query("\"" + text + "\"", flags | QP::FLAG_PHRASE);
    return reader_.parser.parse_query(text, flags);
  } catch (const Xapian::QueryParserError&) {
    try {
      return reader_.parser.parse_query(text, 0);
    } catch (const Xapian::QueryParserError& e) {
      return Status::InvalidArgument("search text: cannot be read as a query: " + e.get_msg());
    }
  }
}

bool QueryBuilder::WholeWord(const std::string& text) {
  // The word being typed may already be complete: "bose speaker" is two words, "frying p"
  // one and a fragment.
  const auto words = Words(text);
  return words.size() == 1 && words[0].size() >= 3 &&
         reader_.db.get_termfreq(reader_.stemmer(words[0])) > 0;
}

Xapian::Query QueryBuilder::WithCode(Xapian::Query q, std::string_view text, std::string* code_term) {
  // A SKU or model number, however it is spaced or dashed, also matches as one code.
  const std::string code = NormaliseCode(text);
  if (code.size() < 3 || code.size() > 64 ||
      !std::any_of(code.begin(), code.end(), [](char c) { return c >= '0' && c <= '9'; }))
    return q;
  *code_term = std::string(kPrefixCode) + code;
  // Not the code term scaled: it is boolean (wdf 0), and a scaled 0 is 0, so a product found
  // by its code alone ranked after every text match.
  Xapian::Query by_code(Xapian::Query::OP_FILTER, Fixed(kCodeWeight), Xapian::Query(*code_term));
  return q.empty() ? by_code : Xapian::Query(Xapian::Query::OP_OR, q, by_code);
}

Status QueryBuilder::Units(const QueryText& q, std::vector<Unit>* units, Xapian::Query* excluded,
                           HighlightTerms* highlight, bool weigh_typing) {
  // One unit per OR-group of positive clauses.
  std::vector<std::vector<const Clause*>> groups(q.groups);
  std::vector<Xapian::Query> out_queries;
  for (const Clause& c : q.clauses) {
    if (c.excluded) {
      COMMERCE_ASSIGN_OR_RETURN(auto x, Parse(c.text, false, c.phrase));
      if (!x.empty()) *excluded = excluded->empty() ? x : Xapian::Query(Xapian::Query::OP_OR, *excluded, x);
      continue;
    }
    groups[c.group].push_back(&c);
    HighlightTerms t = TermsToHighlight(c.text, c.partial, reader_.stemmer);
    highlight->stems.insert(t.stems.begin(), t.stems.end());
    if (!t.prefix.empty()) highlight->prefix = t.prefix;
  }
  std::vector<Unit> raw;
  std::vector<std::vector<std::string>> stems;  // per unit, for synonyms
  std::vector<std::string> plain;               // per unit: its one plain word (word_forms.h), or ""
  std::vector<bool> typed;                      // per unit: that word is being typed
  std::vector<size_t> at;                       // per unit: its group, the clauses' order
  for (size_t g = 0; g < groups.size(); ++g) {
    const auto& group = groups[g];
    if (group.empty()) continue;
    Unit u;
    std::vector<Xapian::Query> alternatives;
    for (const Clause* c : group) {
      COMMERCE_ASSIGN_OR_RETURN(auto x, Parse(c->text, c->partial, c->phrase));
      if (!x.empty()) alternatives.push_back(std::move(x));
      u.partial = u.partial || (c->partial && weigh_typing && !WholeWord(c->text));
      u.required = u.required || c->required;
    }
    std::string word;
    if (group.size() == 1 && !group[0]->phrase && IsPlainWord(group[0]->text)) {
      word = Words(group[0]->text)[0];
      // A word of letters and digits the index does not know, as the two words the
      // catalog writes ("iphone7": "iPhone 7").
      const std::string split = SplitWord(reader_.db, reader_.stemmer, word);
      if (!split.empty()) {
        COMMERCE_ASSIGN_OR_RETURN(auto x, Parse(split, group[0]->partial, false));
        if (!x.empty()) alternatives.push_back(std::move(x));
        auto t = TermsToHighlight(split, false, reader_.stemmer);
        highlight->stems.insert(t.stems.begin(), t.stems.end());
      }
    }
    if (alternatives.empty()) continue;  // only stopwords or punctuation
    u.query = alternatives.size() == 1
                  ? alternatives[0]
                  : Xapian::Query(Xapian::Query::OP_OR, alternatives.begin(), alternatives.end());
    std::vector<std::string> s;
    if (group.size() == 1 && !group[0]->phrase)
      for (const auto& w : Words(group[0]->text)) s.push_back(reader_.stemmer(w));
    stems.push_back(std::move(s));
    at.push_back(g);
    plain.push_back(std::move(word));
    typed.push_back(group.size() == 1 && group[0]->partial);
    raw.push_back(std::move(u));
  }
  // Runs of units that match as one: synonym runs (the run's words, or any synonym of them),
  // then pairs of adjacent plain words that the index knows as one word ("water proof":
  // the two words, or "waterproof"; word_forms.h), where no synonym run is.
  struct Run {
    size_t first = 0, count = 0;
    std::vector<std::string> alternatives;
    bool last_typed = false;  // the alternatives end with the word being typed (a prefix)
  };
  std::vector<Run> runs;
  for (auto& m : synonyms_.Find(stems)) runs.push_back({m.first, m.count, std::move(m.alternatives), false});
  {
    std::vector<Run> joins;
    size_t r = 0;
    for (size_t i = 0; i + 1 < raw.size(); ++i) {
      while (r < runs.size() && runs[r].first + runs[r].count <= i) ++r;
      if (r < runs.size() && runs[r].first <= i + 1) continue;  // i or i + 1 is in a synonym run
      if (plain[i].empty() || plain[i + 1].empty() || at[i + 1] != at[i] + 1) continue;
      const std::string joined = JoinedWord(reader_.db, reader_.stemmer, plain[i], plain[i + 1]);
      if (joined.empty()) continue;
      joins.push_back({i, 2, {joined}, typed[i + 1]});
      ++i;
    }
    runs.insert(runs.end(), joins.begin(), joins.end());
    std::sort(runs.begin(), runs.end(), [](const Run& a, const Run& b) { return a.first < b.first; });
  }
  size_t next = 0;
  for (const auto& m : runs) {
    for (; next < m.first; ++next) units->push_back(std::move(raw[next]));
    std::vector<Xapian::Query> parts;
    Unit merged;
    merged.words = 0;
    for (size_t i = m.first; i < m.first + m.count; ++i) {
      parts.push_back(raw[i].query);
      merged.words += raw[i].partial ? 0.5 : 1;
      merged.required = merged.required || raw[i].required;
    }
    std::vector<Xapian::Query> any;
    any.push_back(parts.size() == 1 ? parts[0] : Xapian::Query(Xapian::Query::OP_AND, parts.begin(), parts.end()));
    for (const auto& alt : m.alternatives) {
      COMMERCE_ASSIGN_OR_RETURN(auto x, Parse(alt, m.last_typed, false));
      if (!x.empty()) any.push_back(std::move(x));
      auto t = TermsToHighlight(alt, false, reader_.stemmer);
      highlight->stems.insert(t.stems.begin(), t.stems.end());
    }
    merged.query = Xapian::Query(Xapian::Query::OP_OR, any.begin(), any.end());
    units->push_back(std::move(merged));
    next = m.first + m.count;
  }
  for (; next < raw.size(); ++next) units->push_back(std::move(raw[next]));
  return Status::OK();
}

Result<QueryPlan> QueryBuilder::Every(const QueryText& q, std::string_view text) {
  QueryPlan plan;
  std::vector<Unit> units;
  Xapian::Query excluded;
  COMMERCE_RETURN_IF_ERROR(Units(q, &units, &excluded, &plan.highlight, false));
  std::vector<Xapian::Query> parts;
  for (auto& u : units) parts.push_back(std::move(u.query));
  plan.units = plan.required = units.size();
  Xapian::Query all;
  if (!parts.empty()) all = Xapian::Query(Xapian::Query::OP_AND, parts.begin(), parts.end());
  all = WithCode(std::move(all), text, &plan.code_term);
  if (!excluded.empty())
    all = Xapian::Query(Xapian::Query::OP_AND_NOT, all.empty() ? MatchAllQuery() : all, excluded);
  plan.query = std::move(all);
  return plan;
}

Result<QueryPlan> QueryBuilder::Share(const QueryText& q, std::string_view text, int percent) {
  QueryPlan plan;
  plan.relaxed = true;
  std::vector<Unit> units;
  Xapian::Query excluded;
  COMMERCE_RETURN_IF_ERROR(Units(q, &units, &excluded, &plan.highlight, true));
  double complete = 0;
  bool typing = false;
  std::vector<Xapian::Query> optional, required, plain;
  std::vector<double> weights;
  for (auto& u : units) {
    if (u.required) {
      required.push_back(std::move(u.query));
      continue;
    }
    const double words = u.partial ? 0.5 : u.words;
    if (u.partial) typing = true;
    else complete += u.words;
    plain.push_back(u.query);
    weights.push_back(words);
    optional.push_back(Xapian::Query(Xapian::Query::OP_AND, u.query, Fixed(kWordTier * words)));
  }
  plan.units = units.size();
  const double share = std::floor(complete * percent / 100.0);
  const double minimum = std::max(1.0, share);
  // Nothing to relax to: every word would still be required.
  if (optional.size() < 2 || complete < 1 || minimum > complete || (minimum == complete && !typing))
    return plan;
  plan.required = static_cast<size_t>(minimum);
  Xapian::Query any(Xapian::Query::OP_OR, optional.begin(), optional.end());
  Xapian::Query filter = ShareFilter(plain, weights, minimum);
  if (!filter.empty()) any = Xapian::Query(Xapian::Query::OP_FILTER, any, filter);
  if (!required.empty()) {
    required.push_back(any);
    any = Xapian::Query(Xapian::Query::OP_AND, required.begin(), required.end());
  }
  any = WithCode(std::move(any), text, &plan.code_term);
  if (!excluded.empty()) any = Xapian::Query(Xapian::Query::OP_AND_NOT, any, excluded);
  plan.query = std::move(any);
  // Past kMaxShareSets, the weight cutoff (ShareFilter says what it can miss): just under the
  // tier, against rounding, as BM25 parts only ever add.
  if (filter.empty()) plan.min_weight = minimum * kWordTier - 0.5;
  return plan;
}

}  // namespace commerce::search
