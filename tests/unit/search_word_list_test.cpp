// Tests of src/search/word_list.cpp: the list of the index's words, its typo-tolerant
// lookups (checked against the full edit table) and its growth.
#include <algorithm>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

#include "search/edit_cost.h"
#include "search/word_list.h"

namespace search_word_list_test {

using commerce::search::EditCost;
using commerce::search::WordList;
using commerce::search::WordRecorder;

namespace {
std::vector<std::string> WordsOf(const std::vector<WordList::Match>& m) {
  std::vector<std::string> out;
  for (const auto& x : m) out.push_back(x.word);
  return out;
}
}  // namespace

TEST_CASE("word list: adds new acceptable words once, removes them again", "[search][word_list]") {
  WordList w;
  auto added = w.Add({"phone", "iphone", "phone", "3.5mm", "x", "Caps", "café"});
  CHECK(added == std::vector<std::string>{"café", "iphone", "phone"});
  CHECK(w.Add({"phone", "case"}) == std::vector<std::string>{"case"});
  CHECK(w.Contains("iphone"));
  CHECK_FALSE(w.Contains("3.5mm"));
  CHECK(w.size() == 4);
  w.Remove({"case"});
  CHECK_FALSE(w.Contains("case"));
  CHECK(w.size() == 3);
}

TEST_CASE("word list: near words keep the first letter and rank by weighted distance", "[search][word_list]") {
  WordList w;
  w.Add({"phone", "iphone", "ipad", "headphones", "headset", "charger", "chargers", "case", "cases", "cable"});
  // Both "phone" and "iphone" are one edit from "ihone"; only "iphone" keeps its first letter.
  CHECK(WordsOf(w.Near("ihone", 1.0, 10)) == std::vector<std::string>{"iphone"});
  CHECK(WordsOf(w.Near("chargr", 1.5, 10)) == std::vector<std::string>{"charger", "chargers"});
  auto m = w.Near("cse", 1.0, 10);
  CHECK(WordsOf(m) == std::vector<std::string>{"case"});
  CHECK(m[0].cost == Approx(0.7));
  CHECK(w.Near("zzzz", 2.0, 10).empty());
}

TEST_CASE("word list: words of another first letter only when asked and at a higher cost", "[search][word_list]") {
  WordList w;
  w.Add({"protectors", "tested", "display", "phone", "iphone", "shock"});
  // Kept (the default): no word starts with "r", so nothing.
  CHECK(w.Near("rpotectors", 2.0, 10).empty());
  // Changed: the first two letters swapped (0.7), plus the charge for the first letter.
  auto swapped = w.Near("rpotectors", 2.0, 10, WordList::FirstLetter::kChanged);
  REQUIRE(WordsOf(swapped) == std::vector<std::string>{"protectors"});
  CHECK(swapped[0].cost == Approx(0.7 + WordList::kFirstLetterChanged));
  // A left-out first letter, and a five-letter word's swap within its one edit.
  CHECK(WordsOf(w.Near("isplay", 1.5, 10, WordList::FirstLetter::kChanged)) == std::vector<std::string>{"display"});
  CHECK(WordsOf(w.Near("hsock", 1.0, 10, WordList::FirstLetter::kChanged)) == std::vector<std::string>{"shock"});
  // A wrong first letter (1 + 0.3) is beyond a five-letter word's one edit...
  CHECK(w.Near("ihone", 1.0, 10, WordList::FirstLetter::kChanged).empty());
  // ...and words of the typed letter are never the fall-back's: "iphone" is kKept's.
  CHECK(WordsOf(w.Near("ihone", 1.5, 10, WordList::FirstLetter::kChanged)) == std::vector<std::string>{"phone"});
  CHECK(WordsOf(w.Near("ihone", 1.0, 10)) == std::vector<std::string>{"iphone"});
  // Prefixes too: the word being typed.
  auto prefix = w.NearPrefix("rpotec", 1.5, 10, WordList::FirstLetter::kChanged);
  REQUIRE(!prefix.empty());
  CHECK(prefix[0].word == "protec");
  CHECK(prefix[0].cost == Approx(0.7 + WordList::kFirstLetterChanged));
}

TEST_CASE("word list: near prefixes for the word being typed", "[search][word_list]") {
  WordList w;
  w.Add({"headphones", "headset", "heater", "phone"});
  auto m = w.NearPrefix("hedpho", 1.0, 10);
  REQUIRE(!m.empty());
  CHECK(m[0].word == "headpho");
  CHECK(m[0].cost == Approx(0.7));
  CHECK(w.WithPrefix("head", 10) == std::vector<std::string>{"headphones", "headset"});
}

TEST_CASE("word list: the trie walk finds what the full table finds", "[search][word_list]") {
  // Random words over a small alphabet, so that many share prefixes and near misses abound.
  std::mt19937 rng(12345);
  auto random_word = [&](size_t min_len, size_t max_len) {
    std::string s;
    const size_t n = min_len + rng() % (max_len - min_len + 1);
    for (size_t i = 0; i < n; ++i) s += static_cast<char>('a' + rng() % 5);
    return s;
  };
  std::vector<std::string> words;
  for (int i = 0; i < 3000; ++i) words.push_back(random_word(2, 9));
  WordList w;
  // Added in two rounds, so that lookups search both the main list and recent additions.
  w.Add(std::vector<std::string>(words.begin(), words.begin() + 2000));
  w.Add(std::vector<std::string>(words.begin() + 2000, words.end()));
  std::sort(words.begin(), words.end());
  words.erase(std::unique(words.begin(), words.end()), words.end());
  for (int round = 0; round < 200; ++round) {
    const std::string typed = random_word(3, 8);
    const double max_cost = round % 2 ? 1.0 : 1.6;
    std::vector<std::string> expected;
    for (const auto& word : words)
      if (word[0] == typed[0] && EditCost(typed, word) <= max_cost) expected.push_back(word);
    auto got = WordsOf(w.Near(typed, max_cost, 100000));
    std::sort(got.begin(), got.end());
    INFO("typed " << typed);
    CHECK(got == expected);
    // The other first letters: every word of another letter within the cost less the
    // first-letter charge, at its edit cost plus that charge.
    std::vector<std::string> other;
    for (const auto& word : words)
      if (word[0] != typed[0] && EditCost(typed, word) + WordList::kFirstLetterChanged <= max_cost)
        other.push_back(word);
    auto changed = w.Near(typed, max_cost, 100000, WordList::FirstLetter::kChanged);
    for (const auto& m : changed) CHECK(m.cost == Approx(EditCost(typed, m.word) + WordList::kFirstLetterChanged));
    auto got_other = WordsOf(changed);
    std::sort(got_other.begin(), got_other.end());
    CHECK(got_other == other);
    // Every prefix match is a prefix of some word, within the cost, and every word with a
    // prefix within the cost is covered by one of them.
    auto prefixes = w.NearPrefix(typed, max_cost, 100000);
    for (const auto& p : prefixes) CHECK(EditCost(typed, p.word) == Approx(p.cost));
    for (const auto& word : words) {
      if (word[0] != typed[0]) continue;
      bool within = false;
      for (size_t i = 1; i <= word.size(); ++i) within = within || EditCost(typed, word.substr(0, i)) <= max_cost;
      const bool covered = std::any_of(prefixes.begin(), prefixes.end(), [&](const auto& p) {
        return word.compare(0, p.word.size(), p.word) == 0;
      });
      INFO("word " << word);
      CHECK(within == covered);
    }
  }
}

TEST_CASE("word list: lookups run while words are added", "[search][word_list]") {
  WordList w;
  w.Add({"alpha"});
  std::thread writer([&] {
    for (int i = 0; i < 20000; ++i) w.Add({"alpha" + std::string(1, static_cast<char>('a' + i % 26)) +
                                           std::string(1, static_cast<char>('a' + (i / 26) % 26)) +
                                           std::string(1, static_cast<char>('a' + (i / 676) % 26))});
  });
  size_t seen = 0;
  for (int i = 0; i < 2000; ++i) seen = std::max(seen, w.Near("alpha", 0.5, 10).size());
  writer.join();
  CHECK(seen >= 1);
  CHECK(w.Contains("alpha"));
  CHECK(w.size() == 1 + 17576);
}

TEST_CASE("word recorder: records what a term generator meets, stops nothing", "[search][word_list]") {
  Xapian::TermGenerator tg;
  tg.set_stemmer(Xapian::Stem("english"));
  tg.set_stemming_strategy(Xapian::TermGenerator::STEM_ALL);
  WordRecorder recorder;
  tg.set_stopper(&recorder);
  tg.set_stopper_strategy(Xapian::TermGenerator::STOP_ALL);
  Xapian::Document doc;
  tg.set_document(doc);
  tg.index_text_without_positions("Apple iPhone 7 Headphones, 3.5mm café");
  auto words = recorder.Take();
  std::sort(words.begin(), words.end());
  CHECK(words == std::vector<std::string>{"apple", "café", "headphones", "iphone"});
  // The document still has every term.
  CHECK(doc.termlist_count() == 6);
}

}  // namespace search_word_list_test
