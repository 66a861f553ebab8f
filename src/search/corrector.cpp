#include "search/corrector.h"

#include <algorithm>
#include <cmath>
#include <map>

#include "search/edit_cost.h"
#include "search/index_schema.h"

namespace commerce::search {

namespace {

// Keeping a word whose stem is indexed but which is not itself a word of the index.
constexpr double kKeepStemMatch = 0.5;
// Candidates per word, and combinations counted with context.
constexpr size_t kCandidatesPerWord = 4;
constexpr size_t kMaxCorrectedWords = 3;
constexpr size_t kMaxCombinations = 12;
// With context: up to this much cost is forgiven for a combination that finds many products.
constexpr double kContextBonus = 0.5;

bool IsWordByte(char c) {
  auto u = static_cast<unsigned char>(c);
  return u >= 0x80 || (u >= '0' && u <= '9') || (u >= 'a' && u <= 'z') || (u >= 'A' && u <= 'Z');
}

// The words of a clause's text: [begin, end) byte ranges.
std::vector<std::pair<size_t, size_t>> WordSpans(const std::string& text) {
  std::vector<std::pair<size_t, size_t>> out;
  for (size_t i = 0; i < text.size();) {
    if (!IsWordByte(text[i])) {
      ++i;
      continue;
    }
    size_t j = i;
    while (j < text.size() && IsWordByte(text[j])) ++j;
    out.emplace_back(i, j);
    i = j;
  }
  return out;
}


}  // namespace

Xapian::doccount Corrector::TermFreq(const std::string& term) const {
  return stats_ ? stats_->get_termfreq(term) : reader_.db.get_termfreq(term);
}

bool Corrector::Live(const std::string& word, bool prefix) { return Freq(word, prefix) > 0; }

uint64_t Corrector::Freq(const std::string& word, bool prefix) {
  const uint64_t stem = TermFreq(reader_.stemmer(word));
  if (!prefix || stem > 0) return stem;
  // A prefix finds what the word being typed would: some indexed term starts with it.
  auto it = reader_.db.allterms_begin(word);
  return it != reader_.db.allterms_end(word) ? it.get_termfreq() : 0;
}

Result<uint64_t> Corrector::Count(const std::string& text, bool prefix, const Xapian::Query& filters) {
  const QueryText q = ParseQueryText(text, prefix);
  COMMERCE_ASSIGN_OR_RETURN(QueryPlan plan, builder_.Every(q, text));
  if (plan.query.empty()) return uint64_t{0};
  Xapian::Enquire enquire(reader_.db);
  enquire.set_query(filters.empty() ? plan.query : Xapian::Query(Xapian::Query::OP_FILTER, plan.query, filters));
  enquire.set_weighting_scheme(Xapian::BoolWeight());
  Xapian::MSet m = enquire.get_mset(0, 1);
  return m.empty() ? 0 : std::max<uint64_t>(1, m.get_matches_estimated());
}

Result<Correction> Corrector::Correct(const QueryText& q, const std::string& text,
                                      const Xapian::Query& filters, bool with_context) {
  struct Slot {
    size_t clause;
    size_t begin, end;  // the word in the clause's text
    std::string typed;
    std::vector<Candidate> candidates;  // "" word: keep as typed
  };
  std::vector<Slot> slots;
  const bool prefix = std::any_of(q.clauses.begin(), q.clauses.end(), [](const Clause& c) { return c.partial; });
  for (size_t i = 0; i < q.clauses.size() && slots.size() < kMaxCorrectedWords; ++i) {
    const Clause& c = q.clauses[i];
    if (c.excluded) continue;
    const auto spans = WordSpans(c.text);
    for (size_t w = 0; w < spans.size() && slots.size() < kMaxCorrectedWords; ++w) {
      Slot s{i, spans[w].first, spans[w].second, "", {}};
      // Only the end of the clause being typed is a prefix.
      const bool partial = c.partial && w + 1 == spans.size() && s.end == c.text.size();
      s.typed = Lower(std::string_view(c.text).substr(s.begin, s.end - s.begin));
      const double max_cost = MaxTypoCost(s.typed.size());
      if (max_cost == 0 || !WordList::Acceptable(s.typed)) continue;
      // Words of the typed word's first letter; only when none is live, the others (a swapped
      // or left-out first letter: "rpotectors", "isplay"), which cost more (word_list.h).
      if (partial) {
        if (Live(s.typed, true)) continue;
        for (auto first : {WordList::FirstLetter::kKept, WordList::FirstLetter::kChanged}) {
          if (!s.candidates.empty()) break;
          for (auto& m : words_.NearPrefix(s.typed, max_cost, 3 * kCandidatesPerWord, first)) {
            if (s.candidates.size() >= kCandidatesPerWord) break;
            const uint64_t f = Freq(m.word, true);
            if (f > 0) s.candidates.push_back({m.word, m.cost, f});
          }
        }
      } else {
        const uint64_t stem_freq = TermFreq(reader_.stemmer(s.typed));
        if (stem_freq > 0 && words_.Contains(s.typed)) continue;  // a word of the index
        if (stem_freq > 0) s.candidates.push_back({"", kKeepStemMatch, stem_freq});
        const size_t kept = s.candidates.size();
        for (auto first : {WordList::FirstLetter::kKept, WordList::FirstLetter::kChanged}) {
          if (s.candidates.size() > kept) break;
          for (auto& m : words_.Near(s.typed, max_cost, 3 * kCandidatesPerWord, first)) {
            if (s.candidates.size() >= kCandidatesPerWord + kept) break;
            if (m.word == s.typed) continue;
            const uint64_t f = Freq(m.word, false);
            if (f > 0) s.candidates.push_back({m.word, m.cost, f});
          }
        }
      }
      std::sort(s.candidates.begin(), s.candidates.end(), [](const Candidate& a, const Candidate& b) {
        if (a.cost != b.cost) return a.cost < b.cost;
        if (a.freq != b.freq) return a.freq > b.freq;
        return a.word < b.word;
      });
      // A stem match kept as the only candidate corrects nothing.
      if (!s.candidates.empty() && !(s.candidates.size() == 1 && s.candidates[0].word.empty()))
        slots.push_back(std::move(s));
    }
  }
  Correction out;
  if (slots.empty()) return out;

  // Combinations: one candidate index per slot, cheapest total cost first.
  std::vector<std::vector<size_t>> combos{{}};
  for (const Slot& s : slots) {
    std::vector<std::vector<size_t>> next;
    for (const auto& prefix_combo : combos)
      for (size_t k = 0; k < s.candidates.size(); ++k) {
        auto c = prefix_combo;
        c.push_back(k);
        next.push_back(std::move(c));
      }
    combos = std::move(next);
  }
  auto cost_of = [&](const std::vector<size_t>& c) {
    double total = 0;
    for (size_t i = 0; i < c.size(); ++i) total += slots[i].candidates[c[i]].cost;
    return total;
  };
  std::stable_sort(combos.begin(), combos.end(),
                   [&](const auto& a, const auto& b) { return cost_of(a) < cost_of(b); });
  auto text_of = [&](const std::vector<size_t>& c) {
    // Per clause, its words replaced from the last to the first (offsets stay valid).
    std::map<size_t, std::string> clauses;
    for (size_t i = c.size(); i-- > 0;) {
      const Candidate& cand = slots[i].candidates[c[i]];
      if (cand.word.empty()) continue;
      auto [it, fresh] = clauses.emplace(slots[i].clause, q.clauses[slots[i].clause].text);
      it->second.replace(slots[i].begin, slots[i].end - slots[i].begin, cand.word);
    }
    return ReplaceClauses(text, q, {clauses.begin(), clauses.end()});
  };

  const std::vector<size_t>* best = &combos[0];  // without context: cheapest, most frequent
  if (with_context) {
    const double docs = std::max<double>(2, reader_.db.get_doccount());
    double best_score = 0;
    bool best_found = false;
    for (size_t i = 0; i < combos.size() && i < kMaxCombinations; ++i) {
      COMMERCE_ASSIGN_OR_RETURN(uint64_t hits, Count(text_of(combos[i]), prefix, filters));
      const double score =
          cost_of(combos[i]) - kContextBonus * std::log1p(static_cast<double>(hits)) / std::log1p(docs);
      const bool found = hits > 0;
      if (i == 0 || (found && !best_found) || (found == best_found && score < best_score)) {
        best = &combos[i];
        best_score = score;
        best_found = found;
      }
    }
  }
  for (size_t i = 0; i < best->size(); ++i) {
    const Candidate& cand = slots[i].candidates[(*best)[i]];
    if (!cand.word.empty()) out.fixes.push_back({slots[i].typed, cand.word, cand.cost});
  }
  if (out.fixes.empty()) return out;
  out.text = text_of(*best);
  return out;
}

}  // namespace commerce::search
