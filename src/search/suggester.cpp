#include "search/suggester.h"

#include <algorithm>
#include <set>
#include <string_view>
#include <unordered_set>

#include "commerce/search.h"
#include "search/edit_cost.h"
#include "search/synonyms.h"

namespace commerce::search {

namespace {
// Candidate words for the one being typed: as typed, and from close prefixes.
constexpr size_t kMaxCandidates = 40;
// Index terms (stems) read per suggestion, for the most frequent completions: bounds the
// cost of a one-letter prefix on a large vocabulary.
constexpr size_t kMaxStemsScanned = 5000;
// Words of the list looked at per frequent stem for the word it came from.
constexpr size_t kWordsPerStem = 16;
constexpr size_t kNearPrefixes = 4;
constexpr size_t kWordsPerNearPrefix = 8;
constexpr size_t kNearWords = 4;

struct Candidate {
  std::string word;
  bool corrected = false;
  uint64_t freq = 0;   // products with the word's stem
  uint64_t count = 0;  // products with it and every word before it
};

bool IsAsciiSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

std::string Join(const std::vector<std::string>& words) {
  std::string out;
  for (const auto& w : words) {
    if (!out.empty()) out.push_back(' ');
    out += w;
  }
  return out;
}
}  // namespace

Status CheckSuggestRequest(const SuggestRequest& r) {
  if (r.text.empty()) return Status::InvalidArgument("suggest: text is empty");
  if (r.text.size() > kMaxQueryChars)
    return Status::InvalidArgument("suggest: text is longer than " + std::to_string(kMaxQueryChars) +
                                   " characters");
  const auto words = Words(r.text);
  if (words.empty()) return Status::InvalidArgument("suggest: text has no letter or digit");
  if (words.size() > kMaxQueryWords)
    return Status::InvalidArgument("suggest: text has more than " + std::to_string(kMaxQueryWords) + " words");
  if (r.limit < 1 || r.limit > kMaxSuggestions)
    return Status::InvalidArgument("suggest: limit must be 1.." + std::to_string(kMaxSuggestions));
  return Status::OK();
}

SuggestResult Suggest(Reader& reader, const WordList& words, const Analytics* analytics,
                      const SuggestRequest& request) {
  SuggestResult out;
  out.index_seq = reader.index_seq;
  std::unordered_set<std::string> offered;
  if (analytics && request.popular_queries) {
    for (auto& [query, n] : analytics->Popular(request.text, request.limit)) {
      offered.insert(query);
      out.suggestions.push_back({query, "query", n, false});
    }
  }
  if (out.suggestions.size() >= request.limit) return out;

  std::vector<std::string> head = Words(request.text);
  std::string last;
  if (!IsAsciiSpace(request.text.back())) {
    last = head.back();
    head.pop_back();
  }
  // Words typed before the last one: a word the index does not know is replaced by the
  // closest one that finds products (typo tolerance), as a correction would.
  bool head_corrected = false;
  std::vector<std::string> head_terms;
  for (auto& w : head) {
    if (reader.db.get_termfreq(reader.stemmer(w)) == 0 && request.typo_tolerance) {
      const double max_cost = MaxTypoCost(w.size());
      if (max_cost > 0 && WordList::Acceptable(w)) {
        for (const auto& m : words.Near(w, max_cost, kNearWords)) {
          if (reader.db.get_termfreq(reader.stemmer(m.word)) > 0) {
            w = m.word;
            head_corrected = true;
            break;
          }
        }
      }
    }
    head_terms.push_back(reader.stemmer(w));
  }
  if (last.empty()) return out;  // the next word is not guessed from the catalog

  std::vector<Candidate> candidates;
  // One word per stem ("headphone", "headphones" find the same products): the first met,
  // in the word list's byte order, so the shorter of a word and its plural.
  std::set<std::string> stems;
  auto add = [&](const std::string& word, bool corrected) {
    if (candidates.size() >= kMaxCandidates + 2 * request.limit) return;
    const std::string stem = reader.stemmer(word);
    if (!stems.insert(stem).second) return;
    const uint64_t f = reader.db.get_termfreq(stem);
    if (f > 0) candidates.push_back({word, corrected, f, f});
  };
  // The most frequent stems starting with what was typed, read from the index's own term list
  // in one pass (one call over remote shards), each as the first listed word with that stem:
  // without them a short prefix would only see the first words of the list in byte order.
  {
    std::vector<std::pair<uint64_t, std::string>> stems;
    size_t scanned = 0;
    for (auto it = reader.db.allterms_begin(last); it != reader.db.allterms_end(last) && scanned < kMaxStemsScanned;
         ++it, ++scanned)
      stems.emplace_back(it.get_termfreq(), *it);
    const size_t keep = std::min(stems.size(), 2 * request.limit);
    std::partial_sort(stems.begin(), stems.begin() + keep, stems.end(),
                      [](const auto& a, const auto& b) { return a.first != b.first ? a.first > b.first : a.second < b.second; });
    // A stem can end where its word does not ("soni" of "sony", "happi" of "happy"): the
    // words are looked up by the stem less its last letter.
    for (size_t i = 0; i < keep; ++i) {
      const std::string& stem = stems[i].second;
      const std::string_view lookup = std::string_view(stem).substr(0, std::max(last.size(), stem.size() - 1));
      for (const auto& w : words.WithPrefix(lookup, kWordsPerStem))
        if (reader.stemmer(w) == stem) {
          add(w, false);
          break;
        }
    }
  }
  // Then the words of the list as typed (a stem can be shorter than what was typed: "happy",
  // stem "happi"), in byte order.
  for (const auto& w : words.WithPrefix(last, kMaxCandidates)) add(w, false);
  // A code or number being typed ("x10", "4k"): the word list holds letters only, so the
  // typed word itself is offered when the index has it.
  if (!WordList::Acceptable(last)) add(last, false);
  const double max_cost = MaxTypoCost(last.size());
  if (request.typo_tolerance && max_cost > 0 && candidates.size() < request.limit) {
    for (const auto& m : words.NearPrefix(last, max_cost, kNearPrefixes)) {
      if (m.word == last) continue;
      for (const auto& w : words.WithPrefix(m.word, kWordsPerNearPrefix)) add(w, true);
    }
  }
  // The most frequent words first; only the best 2 x limit are counted with the words before.
  std::sort(candidates.begin(), candidates.end(), [](const Candidate& a, const Candidate& b) {
    if (a.corrected != b.corrected) return !a.corrected;
    return a.freq != b.freq ? a.freq > b.freq : a.word < b.word;
  });
  if (candidates.size() > 2 * request.limit) candidates.resize(2 * request.limit);
  if (!head_terms.empty()) {
    Xapian::Enquire enquire(reader.db);
    enquire.set_weighting_scheme(Xapian::BoolWeight());
    for (auto& c : candidates) {
      std::vector<std::string> terms = head_terms;
      terms.push_back(reader.stemmer(c.word));
      enquire.set_query(Xapian::Query(Xapian::Query::OP_AND, terms.begin(), terms.end()));
      Xapian::MSet m = enquire.get_mset(0, 1);
      c.count = m.empty() ? 0 : std::max<uint64_t>(1, m.get_matches_estimated());
    }
  }
  const std::string prefix = head.empty() ? "" : Join(head) + " ";
  std::vector<Suggestion> catalog;
  for (const auto& c : candidates) {
    if (c.count == 0) continue;
    std::string text = prefix + c.word;
    if (offered.count(text)) continue;
    catalog.push_back({std::move(text), "catalog", c.count, c.corrected || head_corrected});
  }
  std::sort(catalog.begin(), catalog.end(), [](const Suggestion& a, const Suggestion& b) {
    if (a.corrected != b.corrected) return !a.corrected;
    return a.count != b.count ? a.count > b.count : a.text < b.text;
  });
  for (auto& s : catalog) {
    if (out.suggestions.size() >= request.limit) break;
    out.suggestions.push_back(std::move(s));
  }
  return out;
}

}  // namespace commerce::search
