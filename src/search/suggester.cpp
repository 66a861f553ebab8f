#include "search/suggester.h"

#include <algorithm>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string_view>
#include <unordered_set>

#include "commerce/search.h"
#include "search/candidate_counter.h"
#include "search/naming_words.h"
#include "search/edit_cost.h"
#include "search/index_schema.h"
#include "search/synonyms.h"
#include "search/title_pairs.h"
#include "search/top_counts.h"
#include "search/top_followers.h"

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
// Title pair terms read per candidate pass (the followers of one word): bounds the cost of a
// trailing space after a very common word.
constexpr size_t kMaxFollowersScanned = 5000;
// Phrase completions: the best this many completions are tried, each extended by at most
// kMaxPhraseWords words, each word chosen from at most kMaxTopFollowersScanned followers (a
// word followed by more different words is not extended: its most frequent follower is
// unknown; top_followers.h).
constexpr size_t kPhraseTries = 2;
constexpr size_t kMaxPhraseWords = 2;
// Counts with words before a pair are exact up to this many products, then Xapian's estimate.
constexpr uint64_t kExactCountUpTo = 1000;
// Loose counts (LooseCompletions) are exact up to this many products, then an estimate
// (candidate_counter.h): a loose count only orders the completions that fill the places the
// title pairs left, and a count to 1,000 walks ten times the postings.
constexpr uint64_t kLooseExactUpTo = 100;
// One word typed: words not told title words by TitleWord whose first product's title is read
// (CountTitleWordsFirst). A fixed number, not the limit's: a shorter limit keeps the first of
// the same list.
constexpr size_t kFirstTitleReads = 8;

struct Candidate {
  std::string word;
  bool corrected = false;
  uint64_t freq = 0;   // products with the word's stem
  uint64_t count = 0;  // products with it and every word before it
  std::vector<std::string> forms;  // after a word: the forms of the stem met in title pairs
  Xapian::docid first = 0;         // counted with words before: the first product found
  bool title_word = true;          // one word, loose: a title, brand or category word (TitleWord)
  bool title_read = false;         // one word, loose: TitleForm has read its first product
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

namespace {

// The word being typed, alone: completed from the index's frequent stems and the word list;
// each candidate's count is its stem's term frequency (every field).
void WordCandidates(Reader& reader, const WordList& words, const std::string& last,
                    const SuggestRequest& request, std::vector<Candidate>* candidates) {
  // One word per stem ("headphone", "headphones" find the same products): the first met,
  // in the word list's byte order, so the shorter of a word and its plural.
  std::set<std::string> stems;
  auto add = [&](const std::string& word, bool corrected) {
    if (candidates->size() >= kMaxCandidates + 2 * request.limit) return;
    const std::string stem = reader.stemmer(word);
    if (!stems.insert(stem).second) return;
    const uint64_t f = reader.db.get_termfreq(stem);
    if (f > 0) candidates->push_back({word, corrected, f, f, {}});
  };
  // The most frequent stems starting with what was typed, read from the index's own term list
  // in one pass (one call over remote shards), each as the first listed word with that stem:
  // without them a short prefix would only see the first words of the list in byte order.
  {
    std::vector<std::pair<uint64_t, std::string>> frequent;
    size_t scanned = 0;
    for (auto it = reader.db.allterms_begin(last); it != reader.db.allterms_end(last) && scanned < kMaxStemsScanned;
         ++it, ++scanned)
      frequent.emplace_back(it.get_termfreq(), *it);
    const size_t keep = std::min(frequent.size(), 2 * request.limit);
    std::partial_sort(frequent.begin(), frequent.begin() + keep, frequent.end(),
                      [](const auto& a, const auto& b) { return a.first != b.first ? a.first > b.first : a.second < b.second; });
    // A stem can end where its word does not ("soni" of "sony", "happi" of "happy"): the
    // words are looked up by the stem less its last letter.
    for (size_t i = 0; i < keep; ++i) {
      const std::string& stem = frequent[i].second;
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
  if (request.typo_tolerance && max_cost > 0 && candidates->size() < request.limit) {
    for (const auto& m : words.NearPrefix(last, max_cost, kNearPrefixes)) {
      if (m.word == last) continue;
      for (const auto& w : words.WithPrefix(m.word, kWordsPerNearPrefix)) add(w, true);
    }
  }
}

// The word after a complete one (`prev_stem`), from the title pairs starting with it and
// with what is typed of the next word ("" after a trailing space): one pass over the pair
// terms, no match. The forms of one stem are one candidate, shown as its most frequent form,
// its products the sum over the forms (exact unless one title holds two of them after the
// same word).
void FollowerCandidates(Reader& reader, const WordList& words, const std::string& prev_stem,
                        const std::string& last, const SuggestRequest& request,
                        std::vector<Candidate>* candidates) {
  std::map<std::string, size_t> by_stem;  // stem -> index in candidates
  std::vector<uint64_t> shown;            // products of the form shown, per candidate
  auto collect = [&](std::string_view typed, bool corrected) {
    for (auto& f : Followers(reader.db, prev_stem, typed, kMaxFollowersScanned)) {
      const std::string stem = reader.stemmer(f.word);
      auto [it, fresh] = by_stem.emplace(stem, candidates->size());
      if (fresh) {
        candidates->push_back({f.word, corrected, f.products, f.products, {f.word}});
        shown.push_back(f.products);
        continue;
      }
      Candidate& c = (*candidates)[it->second];
      if (c.corrected && !corrected) continue;  // a form seen as typed keeps its own count
      if (std::find(c.forms.begin(), c.forms.end(), f.word) != c.forms.end()) continue;
      c.forms.push_back(f.word);
      c.freq += f.products;
      c.count = c.freq;
      if (f.products > shown[it->second] || (f.products == shown[it->second] && f.word < c.word)) {
        c.word = f.word;
        shown[it->second] = f.products;
      }
    }
  };
  collect(last, false);
  const double max_cost = MaxTypoCost(last.size());
  if (request.typo_tolerance && max_cost > 0 && candidates->size() < request.limit) {
    for (const auto& m : words.NearPrefix(last, max_cost, kNearPrefixes))
      if (m.word != last) collect(m.word, true);
  }
}

// Candidates sorted as they are counted: as typed before corrected, then by `freq`, the bound
// of their counts, then by word (a total order).
void SortByBound(std::vector<Candidate>* candidates) {
  std::sort(candidates->begin(), candidates->end(), [](const Candidate& a, const Candidate& b) {
    if (a.corrected != b.corrected) return !a.corrected;
    return a.freq != b.freq ? a.freq > b.freq : a.word < b.word;
  });
}

// Each candidate (SortByBound order) counted by `count(c)`, the most promising first, until
// `room` counted ones reach the next one's bound (its count is at most its `freq`): neither it
// nor any after it could be shown. Corrected ones are shown only after every one as typed, so
// they are not counted once `room` as typed found something. At most `max_counted` counts; a
// candidate not counted has count 0.
void CountBest(std::vector<Candidate>* candidates, size_t room, size_t max_counted,
               const std::function<Counted(const Candidate&)>& count) {
  TopCounts best(2, room, max_counted);  // tiers: as typed, corrected
  for (auto& c : *candidates) {
    const size_t tier = c.corrected ? 1 : 0;
    if (!best.Worth(tier, c.freq)) {
      c.count = 0;
      continue;
    }
    const Counted n = count(c);
    c.count = n.products;
    c.first = n.first;
    best.Add(tier, c.count);
  }
}

// The pair terms of `prev_stem` followed by any of `forms` (the forms of one candidate).
std::vector<std::string> PairTerms(const std::string& prev_stem, const std::vector<std::string>& forms) {
  std::vector<std::string> terms;
  for (const auto& f : forms)
    if (auto t = PairTerm(prev_stem, f); !t.empty()) terms.push_back(std::move(t));
  return terms;
}

// A completion followed by the title word that most of its products go on with, repeated
// up to kMaxPhraseWords words: a word is added when at least half of the completion's products
// (and at least two) go on with it, since a phrase most of them share is how those products
// are named, while a rarer follower would narrow what the shopper asked for to a few titles.
// The phrase's count is that of its words with its last two side by side in a title, as for
// every completion after a word.
std::optional<Suggestion> ExtendPhrase(Reader& reader, const Suggestion& s) {
  std::vector<std::string> ws = Words(s.text);
  std::vector<std::string> stems;
  for (const auto& w : ws) stems.push_back(reader.stemmer(w));
  Suggestion cur = s;
  bool extended = false;
  if (!reader.top_followers) reader.top_followers = std::make_shared<TopFollowersMemo>();
  for (size_t step = 0; step < kMaxPhraseWords; ++step) {
    // The most frequent follower that is not already a word of the phrase (byte order breaks
    // ties), remembered per reader state (top_followers.h).
    std::optional<TopFollower> top;
    const TopFollowers& known = reader.top_followers->Get(reader, stems.back());
    for (const auto& f : known.top) {
      if (std::find(stems.begin(), stems.end(), f.stem) != stems.end()) continue;
      top = f;
      break;
    }
    if (!top && !known.all && !known.too_many) {
      // Every remembered follower is a word of the phrase: the others, walked.
      for (auto& f : Followers(reader.db, stems.back(), "", kMaxTopFollowersScanned)) {
        std::string stem = reader.stemmer(f.word);
        if (std::find(stems.begin(), stems.end(), stem) != stems.end()) continue;
        if (!top || f.products > top->follower.products) top = TopFollower{std::move(f), std::move(stem)};
      }
    }
    if (!top || top->follower.products < 2 || top->follower.products * 2 < cur.count) break;
    uint64_t n = top->follower.products;
    if (ws.size() > 1) {
      std::vector<Xapian::Query> all(stems.begin(), stems.end() - 1);
      all.emplace_back(PairTerm(stems.back(), top->follower.word));
      n = CountMatches(reader, all, std::min(top->follower.products, kExactCountUpTo)).products;
    }
    if (n < 2 || n * 2 < cur.count) break;
    ws.push_back(top->follower.word);
    stems.push_back(top->stem);
    cur.text += " " + top->follower.word;
    cur.count = n;
    cur.source = "phrase";
    extended = true;
  }
  if (!extended) return std::nullopt;
  return cur;
}

// The shown form of a completion counted anywhere in its products (LooseCompletions): as the
// first product it counts writes it in its title ("headphones" for "Sony Wireless Headphones",
// where the word list's first form is "headphone"), kept only if it still starts with what was
// typed; the word list's form when the title does not hold the word (a description's), or
// with `keep_form` (one word typed: one form per stem, the word list's). A word that title or
// that product's brand holds is a title word (Candidate::title_word).
void TitleForm(Reader& reader, const std::string& typed, Candidate* c, bool keep_form = false) {
  if (c->first == 0 || c->title_read) return;
  c->title_read = true;
  HitData hit;
  if (!DecodeHitData(reader.db.get_document(c->first, Xapian::DOC_ASSUME_VALID).get_data(), &hit)) return;
  const std::string stem = reader.stemmer(c->word);
  for (const auto& w : TitleWords(hit.brand))
    if (reader.stemmer(w) == stem) c->title_word = true;
  for (auto& w : TitleWords(hit.title)) {
    if (reader.stemmer(w) != stem) continue;
    c->title_word = true;
    if (keep_form || w == c->word) continue;
    if (!c->corrected && w.compare(0, typed.size(), typed) != 0) continue;
    c->word = std::move(w);
    return;
  }
}

// What is known of whether a candidate's word is one of titles, brands or category names
// (naming_words.h: told without reading a product -- a category name has it, a title pair
// starts with its stem, or a brand is that word -- remembered per reader state; `names` null:
// no category word). A word only ever last in titles is not told so (TitleForm may still find
// it in the title of a product it reads).
NamingWord& TitleWord(Reader& reader, CategoryNames* names, const Candidate& c) {
  if (!reader.naming_words) reader.naming_words = std::make_shared<NamingWordsMemo>();
  return reader.naming_words->Get(reader, names, c.word, reader.stemmer(c.word));
}

// Candidates (SortByBound order) counted by `count(c)` in the order they could be shown: as
// typed before corrected, and within each, title, brand and category words (TitleWord) before
// the others -- words only ever met in descriptions, options or SKU codes ("sku") -- then by
// frequency, the bound of their counts. Each candidate looked at costs TitleWord's seeks. A
// candidate is not counted (nor looked at) once `room` counted ones of classes above its own
// found something, nor once `room` of its own class reach its bound; at most `max_counted`
// counts. A candidate not counted has count 0. Loose ones are counted with the words before
// anywhere in the product; one word typed alone is counted by its frequency (free).
//
// `first_title_reads`: for one word typed, a word TitleWord does not tell may still be one in
// the title of the first product with it (a word only ever last in titles: "stand" of
// "Headphone Stand"); that product is read (its first posting and a document read, remembered
// per reader state as TitleWord's answers are) for the first
// this many such words looked at, a number that does not depend on the limit, so that a
// shorter limit keeps the first of the same list. The word's form stays the word list's.
void CountTitleWordsFirst(Reader& reader, CategoryNames* names, std::vector<Candidate>* candidates, size_t room,
                          size_t max_counted, size_t first_title_reads,
                          const std::function<Counted(const Candidate&)>& counted) {
  // Tiers (classes): as typed and title word, as typed, corrected and title word, corrected.
  TopCounts best(4, room, max_counted);
  auto count = [&](Candidate& c, size_t k) {
    if (!best.Worth(k, c.freq)) return;
    const Counted n = counted(c);
    c.count = n.products;
    c.first = n.first;
    best.Add(k, c.count);
  };
  for (auto& c : *candidates) c.count = 0;
  for (const bool corrected : {false, true}) {
    const size_t k = corrected ? 2 : 0;
    std::vector<Candidate*> others;  // neither title nor brand words, in order
    for (auto& c : *candidates) {
      if (c.corrected != corrected) continue;
      if (best.Closed(k)) break;
      NamingWord& known = TitleWord(reader, names, c);
      c.title_word = known.told;
      if (!c.title_word && first_title_reads > 0) {
        --first_title_reads;
        if (!known.first_read) {
          known.first_read = true;
          c.first = FirstWith(reader, reader.stemmer(c.word));
          TitleForm(reader, "", &c, /*keep_form=*/true);
          known.in_first_title = c.title_word;
        }
        c.title_word = known.in_first_title;
      }
      if (!c.title_word) {
        others.push_back(&c);
        continue;
      }
      // `room` title words reach this one's bound: neither it, nor any title word after it,
      // nor any other word of this group can be shown.
      if (best.Beaten(k, c.freq)) break;
      count(c, k);
    }
    for (Candidate* c : others) count(*c, k + 1);
  }
}

// A catalog completion, and whether it is loose: its last word counted anywhere in the
// products of the words before it (LooseCompletions), not read from a title pair.
struct Completion {
  Suggestion suggestion;
  bool loose = false;
  bool title_word = true;  // one word, loose: a title, brand or category word (CountTitleWordsFirst)
};

// As typed before corrected; then completions from title pairs before loose ones (a phrase
// that titles hold beats words that merely share products: a loose count includes every
// field, so "headphones sku" -- every product's SKU code -- would otherwise pass "headphones
// stand"); among one-word and loose ones, title, brand and category words before words only
// met in descriptions, options or codes ("sony" before "sku" for "s", "headphones sony"
// before "headphones sku": what a shopper types is what names products); then by count, then
// text. Texts are distinct, so the order is total.
bool Better(const Completion& a, const Completion& b) {
  if (a.suggestion.corrected != b.suggestion.corrected) return !a.suggestion.corrected;
  if (a.loose != b.loose) return !a.loose;
  if (a.title_word != b.title_word) return a.title_word;
  if (a.suggestion.count != b.suggestion.count) return a.suggestion.count > b.suggestion.count;
  return a.suggestion.text < b.suggestion.text;
}

// When the title pairs give fewer than `room` completions after a word: the word being typed
// completed as when alone (WordCandidates), each counted with every word before it anywhere in
// the product (a counting match, as before title pairs), so that a word that never follows the
// last one in a title is still offered ("sony hea" -> "sony headphones" for "Sony Wireless
// Headphones"). Stems already offered (`stems`) and texts in `offered` are skipped: one
// completion per stem. At most `room` + limit / 2 counted (and 2 x limit), fewer where the
// bounds stop them: a count that finds nothing costs what one that finds something does, and
// half a limit of spares kept 4.51 of the 4.54 suggestions per query that 2 x limit gave on
// the bench at 100k, at 1.1-1.2x its speed (docs/search.md, "Performance"). Title and brand
// words come before the others (CountTitleWordsFirst).
void LooseCompletions(Reader& reader, const WordList& words, CategoryNames* names, CandidateCounter& counter,
                      const std::string& prefix, const std::string& last, const SuggestRequest& request,
                      const std::set<std::string>& stems, const std::unordered_set<std::string>& offered,
                      size_t room, bool head_corrected, std::vector<Completion>* out) {
  std::vector<Candidate> loose;
  WordCandidates(reader, words, last, request, &loose);
  std::erase_if(loose, [&](const Candidate& c) {
    return stems.count(reader.stemmer(c.word)) > 0 || offered.count(prefix + c.word) > 0;
  });
  SortByBound(&loose);
  CountTitleWordsFirst(reader, names, &loose, room, std::min(2 * request.limit, room + request.limit / 2), 0,
                       [&](const Candidate& c) {
                         return counter.Count({reader.stemmer(c.word)}, std::min(c.freq, kLooseExactUpTo), c.freq);
                       });
  std::erase_if(loose, [](const Candidate& c) { return c.count == 0; });
  // A word not told a title word without reading a product may be one in the title of the
  // first product it counts (a word only ever last in titles): read before ranking.
  for (auto& c : loose)
    if (!c.title_word) TitleForm(reader, last, &c);
  std::sort(loose.begin(), loose.end(), [](const Candidate& a, const Candidate& b) {
    if (a.corrected != b.corrected) return !a.corrected;
    if (a.title_word != b.title_word) return a.title_word;
    return a.count != b.count ? a.count > b.count : a.word < b.word;
  });
  if (loose.size() > room) loose.resize(room);
  for (auto& c : loose) {
    if (c.title_word) TitleForm(reader, last, &c);
    std::string text = prefix + c.word;
    if (offered.count(text)) continue;
    out->push_back({{std::move(text), "catalog", c.count, c.corrected || head_corrected}, true, c.title_word});
  }
}

}  // namespace

SuggestResult Suggest(Reader& reader, const WordList& words, const Analytics* analytics, CategoryNames* names,
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

  const std::string prefix = head.empty() ? "" : Join(head) + " ";
  std::vector<Candidate> candidates;
  if (head.empty()) WordCandidates(reader, words, last, request, &candidates);
  else FollowerCandidates(reader, words, head_terms.back(), last, request, &candidates);
  std::erase_if(candidates, [&](const Candidate& c) { return offered.count(prefix + c.word) > 0; });
  // The most products first (as typed before corrected).
  SortByBound(&candidates);
  const size_t room = request.limit - out.suggestions.size();
  // Counts with the words before the one being typed (the pairs' with three words and more,
  // the loose ones'), sharing what it reads of those words' products (candidate_counter.h).
  CandidateCounter counter(reader, head_terms);
  if (head.size() >= 2) {
    // Words before the pair: each candidate is counted with them, in order of its pair's
    // products (which bound its count), until `room` counted ones cannot be beaten. The word
    // before the pair is required as well, which a title pair implies.
    CountBest(&candidates, room, 2 * request.limit, [&](const Candidate& c) {
      return counter.Count(PairTerms(head_terms.back(), c.forms), std::min(c.freq, kExactCountUpTo), c.freq);
    });
  } else if (head.empty()) {
    // One word: counted by its frequency; title, brand and category words first.
    CountTitleWordsFirst(reader, names, &candidates, room, candidates.size(), kFirstTitleReads,
                         [](const Candidate& c) { return Counted{c.freq, 0}; });
  }
  std::vector<Completion> catalog;
  std::set<std::string> stems;  // of the completions so far: one completion per stem
  for (const auto& c : candidates) {
    if (c.count == 0) continue;
    stems.insert(reader.stemmer(c.word));
    catalog.push_back({{prefix + c.word, "catalog", c.count, c.corrected || head_corrected}, false, c.title_word});
  }
  // A word being typed after others, with fewer than `room` completions from the title pairs:
  // the rest from words found with the words before anywhere in the product. Not after a
  // trailing space: every word of those products would be a candidate.
  if (!head.empty() && !last.empty() && catalog.size() < room)
    LooseCompletions(reader, words, names, counter, prefix, last, request, stems, offered, room - catalog.size(),
                     head_corrected, &catalog);
  std::sort(catalog.begin(), catalog.end(), Better);
  if (catalog.size() > room) catalog.resize(room);
  // Phrase completions: the best completions, each followed by the title words that most of
  // its products go on with (ExtendPhrase).
  std::vector<Suggestion> phrases;
  for (size_t i = 0; i < catalog.size() && i < kPhraseTries; ++i) {
    auto phrase = ExtendPhrase(reader, catalog[i].suggestion);
    if (phrase && !offered.count(phrase->text)) {
      offered.insert(phrase->text);
      phrases.push_back(std::move(*phrase));
    } else {
      phrases.push_back({});
    }
  }
  for (size_t i = 0; i < catalog.size() && out.suggestions.size() < request.limit; ++i) {
    out.suggestions.push_back(catalog[i].suggestion);
    if (i < phrases.size() && !phrases[i].text.empty() && out.suggestions.size() < request.limit)
      out.suggestions.push_back(std::move(phrases[i]));
  }
  return out;
}
}  // namespace commerce::search
