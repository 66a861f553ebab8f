#include "search/word_list.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <limits>

#include "search/edit_cost.h"
#include "search/index_schema.h"

namespace commerce::search {

namespace {

// Recent additions are merged into the main list once they are this many.
constexpr size_t kMergeAt = 4096;

using Words = std::vector<std::string>;

bool StartsWith(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && s.compare(0, prefix.size(), prefix) == 0;
}

// [lo, hi) of the words starting with `prefix`.
std::pair<size_t, size_t> PrefixRange(const Words& w, std::string_view prefix) {
  auto lo = std::lower_bound(w.begin(), w.end(), prefix,
                             [](const std::string& a, std::string_view b) { return a < b; });
  auto hi = lo;
  // Skip the prefix's subtree: the first word that does not start with it.
  hi = std::partition_point(lo, w.end(), [&](const std::string& a) { return StartsWith(a, prefix); });
  return {static_cast<size_t>(lo - w.begin()), static_cast<size_t>(hi - w.begin())};
}

// The first index at or after `from` whose word does not start with w[from][0, depth).
size_t SkipSubtree(const Words& w, size_t from, size_t depth, size_t hi) {
  const std::string_view prefix(w[from].data(), depth);
  auto it = std::partition_point(w.begin() + static_cast<std::ptrdiff_t>(from),
                                 w.begin() + static_cast<std::ptrdiff_t>(hi),
                                 [&](const std::string& a) { return StartsWith(a, prefix); });
  return static_cast<size_t>(it - w.begin());
}

// Walks the words w[lo, hi) as a trie, one row of the edit table per character (rows shared
// with the previous word's common prefix), skipping a subtree as soon as no extension of its
// prefix can come within max_cost. `prefix_mode`: report prefixes whose row ends within
// max_cost (and keep descending, for a cheaper one); otherwise whole words.
void WalkRange(const Words& w, size_t lo, size_t hi, std::string_view typed, double max_cost, bool prefix_mode,
               std::vector<WordList::Match>* out) {
  const size_t m = typed.size();
  std::vector<std::vector<double>> rows(1, std::vector<double>(m + 1));
  std::vector<double> row_min(1, 0);
  FirstEditRow(typed, rows[0].data());
  row_min[0] = 0;
  size_t valid = 0;  // rows[0..valid] hold the table of `prev`'s first `valid` bytes
  std::string_view prev;
  for (size_t idx = lo; idx < hi;) {
    const std::string& word = w[idx];
    size_t common = 0;
    while (common < prev.size() && common < word.size() && prev[common] == word[common]) ++common;
    size_t depth = std::min(common, valid);
    bool skipped = false;
    for (size_t i = depth + 1; i <= word.size(); ++i) {
      if (rows.size() <= i) {
        rows.emplace_back(m + 1);
        row_min.push_back(0);
      }
      NextEditRow(typed, word[i - 1], i >= 2 ? word[i - 2] : 0, rows[i - 1].data(),
                  i >= 2 ? rows[i - 2].data() : nullptr, rows[i].data());
      row_min[i] = *std::min_element(rows[i].begin(), rows[i].end());
      valid = i;
      if (prefix_mode && rows[i][m] <= max_cost) out->push_back({word.substr(0, i), rows[i][m]});
      // Every later row is at least the smaller of this row's minimum and (a swap reaching
      // back) the previous row's minimum plus a swap.
      const double floor = std::min(row_min[i], row_min[i - 1] + kSwapped);
      if (floor > max_cost) {
        idx = SkipSubtree(w, idx, i, hi);
        skipped = true;
        break;
      }
    }
    prev = word;
    if (skipped) continue;
    if (!prefix_mode && rows[word.size()][m] <= max_cost) out->push_back({word, rows[word.size()][m]});
    ++idx;
  }
}

// The words of `w` starting with typed's first byte (kKept), or all the others (kChanged, at
// kFirstLetterChanged more each, so walked within that much less).
void Walk(const Words& w, std::string_view typed, double max_cost, bool prefix_mode, WordList::FirstLetter first,
          std::vector<WordList::Match>* out) {
  if (typed.empty()) return;
  const auto [lo, hi] = PrefixRange(w, typed.substr(0, 1));
  if (first == WordList::FirstLetter::kKept) return WalkRange(w, lo, hi, typed, max_cost, prefix_mode, out);
  const double budget = max_cost - WordList::kFirstLetterChanged;
  if (budget < 0) return;
  const size_t before = out->size();
  WalkRange(w, 0, lo, typed, budget, prefix_mode, out);
  WalkRange(w, hi, w.size(), typed, budget, prefix_mode, out);
  for (size_t i = before; i < out->size(); ++i) (*out)[i].cost += WordList::kFirstLetterChanged;
}

void SortMatches(std::vector<WordList::Match>* v) {
  std::sort(v->begin(), v->end(), [](const auto& a, const auto& b) {
    return a.cost != b.cost ? a.cost < b.cost : a.word < b.word;
  });
}

}  // namespace

WordList::WordList() {
  snapshot_.main = std::make_shared<const Words>();
  snapshot_.recent = std::make_shared<const Words>();
}

bool WordList::Acceptable(std::string_view word) {
  if (word.size() < 2 || word.size() > 40) return false;
  for (char c : word) {
    auto u = static_cast<unsigned char>(c);
    if (u < 0x80 && !(u >= 'a' && u <= 'z')) return false;
  }
  return true;
}

WordList::Snapshot WordList::Get() const {
  std::lock_guard<std::mutex> lock(mu_);
  return snapshot_;
}

std::vector<std::string> WordList::Add(std::vector<std::string> words) {
  std::lock_guard<std::mutex> writer(write_mu_);
  const Snapshot s = Get();
  std::sort(words.begin(), words.end());
  words.erase(std::unique(words.begin(), words.end()), words.end());
  std::vector<std::string> added;
  for (auto& word : words) {
    if (!Acceptable(word) || std::binary_search(s.main->begin(), s.main->end(), word) ||
        std::binary_search(s.recent->begin(), s.recent->end(), word))
      continue;
    added.push_back(std::move(word));
  }
  if (added.empty()) return added;
  auto recent = std::make_shared<Words>();
  recent->reserve(s.recent->size() + added.size());
  std::merge(s.recent->begin(), s.recent->end(), added.begin(), added.end(), std::back_inserter(*recent));
  Snapshot next{s.main, recent};
  if (recent->size() >= kMergeAt) {
    auto main = std::make_shared<Words>();
    main->reserve(s.main->size() + recent->size());
    std::merge(s.main->begin(), s.main->end(), recent->begin(), recent->end(), std::back_inserter(*main));
    next = {main, std::make_shared<const Words>()};
  }
  std::lock_guard<std::mutex> lock(mu_);
  snapshot_ = std::move(next);
  return added;
}

void WordList::Remove(const std::vector<std::string>& words) {
  if (words.empty()) return;
  std::lock_guard<std::mutex> writer(write_mu_);
  const Snapshot s = Get();
  std::vector<std::string> gone(words);
  std::sort(gone.begin(), gone.end());
  auto without = [&](const Words& from) {
    auto out = std::make_shared<Words>();
    std::set_difference(from.begin(), from.end(), gone.begin(), gone.end(), std::back_inserter(*out));
    return out;
  };
  Snapshot next{without(*s.main), without(*s.recent)};
  std::lock_guard<std::mutex> lock(mu_);
  snapshot_ = std::move(next);
}

bool WordList::Contains(std::string_view word) const {
  const Snapshot s = Get();
  auto less = [](const std::string& a, std::string_view b) { return a < b; };
  for (const Words* w : {s.main.get(), s.recent.get()}) {
    auto it = std::lower_bound(w->begin(), w->end(), word, less);
    if (it != w->end() && *it == word) return true;
  }
  return false;
}

size_t WordList::size() const {
  const Snapshot s = Get();
  return s.main->size() + s.recent->size();
}

std::vector<WordList::Match> WordList::Near(std::string_view typed, double max_cost, size_t limit,
                                            FirstLetter first) const {
  const Snapshot s = Get();
  std::vector<Match> out;
  Walk(*s.main, typed, max_cost, false, first, &out);
  Walk(*s.recent, typed, max_cost, false, first, &out);
  SortMatches(&out);
  if (out.size() > limit) out.resize(limit);
  return out;
}

std::vector<WordList::Match> WordList::NearPrefix(std::string_view typed, double max_cost,
                                                  size_t limit, FirstLetter first) const {
  const Snapshot s = Get();
  std::vector<Match> all;
  Walk(*s.main, typed, max_cost, true, first, &all);
  Walk(*s.recent, typed, max_cost, true, first, &all);
  SortMatches(&all);
  // A prefix adds nothing when a shorter prefix of it matched at no greater cost (its words
  // are a subset of that prefix's); and the same prefix may come from both lists.
  std::vector<Match> out;
  for (auto& m : all) {
    bool covered = std::any_of(out.begin(), out.end(), [&](const Match& kept) {
      return StartsWith(m.word, kept.word) && kept.cost <= m.cost;
    });
    if (!covered) out.push_back(std::move(m));
    if (out.size() >= limit) break;
  }
  return out;
}

std::vector<std::string> WordList::WithPrefix(std::string_view prefix, size_t limit) const {
  const Snapshot s = Get();
  std::vector<std::string> out;
  for (const Words* w : {s.main.get(), s.recent.get()}) {
    auto [lo, hi] = PrefixRange(*w, prefix);
    for (size_t i = lo; i < hi && i - lo < limit; ++i) out.push_back((*w)[i]);
  }
  std::sort(out.begin(), out.end());
  if (out.size() > limit) out.resize(limit);
  return out;
}

std::string WordsKey(uint64_t n) {
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(n));
  return std::string(kWordsKeyPrefix) + hex;
}

std::string JoinWords(const std::vector<std::string>& words) {
  std::string out;
  for (const auto& w : words) {
    if (!out.empty()) out += '\n';
    out += w;
  }
  return out;
}

Result<uint64_t> LoadWords(const Xapian::Database& db, WordList* list) {
  uint64_t entries = 0;
  std::vector<std::string> words;
  try {
    const std::string prefix = kWordsKeyPrefix;
    for (auto it = db.metadata_keys_begin(prefix); it != db.metadata_keys_end(prefix); ++it) {
      const std::string value = db.get_metadata(*it);
      size_t start = 0;
      while (start < value.size()) {
        size_t nl = value.find('\n', start);
        if (nl == std::string::npos) nl = value.size();
        words.emplace_back(value, start, nl - start);
        start = nl + 1;
      }
      const std::string key = *it;
      entries = std::max<uint64_t>(entries, std::strtoull(key.c_str() + prefix.size(), nullptr, 16) + 1);
    }
  } catch (const Xapian::Error& e) {
    return Status::Unavailable("search index: reading the word list: " + e.get_description());
  }
  list->Add(std::move(words));
  return entries;
}

}  // namespace commerce::search
