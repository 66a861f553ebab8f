// The words of the index as people write them (unstemmed, lower-cased): what spelling
// corrections and suggestions may lead to. The index itself holds only stems (STEM_ALL), so
// the indexer records each new word as it tokenises a product (all fields: title, brand,
// category names, description, options) and keeps the list in the shards' metadata, in the
// same commit as the documents (indexer.h); a reader process — local or over remote shards,
// whose metadata Xapian serves — loads it from there.
//
// The list only grows: a word whose products are all gone stays in it. Whether a word still
// finds anything is asked of the index at query time (the term frequency of its stem), so a
// deleted or changed product's words stop being offered at once; a rebuild starts a new list.
//
// Lookups are typo-tolerant: Near() finds words within a weighted edit distance of a typed
// word (edit_cost.h), NearPrefix() words that start with something close to a typed prefix.
// Both walk the sorted list as a trie, one row of the edit-distance table per character,
// skipping every word below a prefix that is already too far.
//
// Thread safety: safe from any number of threads; Add() and Remove() may run while lookups
// do (a lookup sees the list as it was when it started).
#pragma once

#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include <xapian.h>

#include "commerce/status.h"

namespace commerce::search {

class WordList {
 public:
  WordList();

  // Whether `word` belongs in the list: letters only (ASCII or any non-ASCII byte), 2..40
  // bytes. Words with digits are model numbers, not things to correct towards.
  static bool Acceptable(std::string_view word);

  // Adds the acceptable words not yet present (in any order, duplicates allowed); returns
  // them, sorted.
  std::vector<std::string> Add(std::vector<std::string> words);
  // Takes words out again (the commit that was to store them failed).
  void Remove(const std::vector<std::string>& words);

  bool Contains(std::string_view word) const;
  size_t size() const;

  struct Match {
    std::string word;   // the word (Near), or the word's prefix that matched (NearPrefix)
    double cost = 0;    // weighted edit distance (edit_cost.h)
  };
  // Which words a lookup walks: those starting with the typed word's first letter (people
  // rarely get it wrong), or only the others, each at kFirstLetterChanged more than its
  // edit costs -- the fall-back for a word with no live candidate of its own letter
  // ("rpotectors", "isplay").
  enum class FirstLetter { kKept, kChanged };
  // An edit that changes the first letter costs this much more than the same edit elsewhere:
  // a four- or five-letter word (at most one edit) can then take a swap of its first two
  // letters or a left-out first letter (0.7 + 0.3), not a wrong first letter (1 + 0.3).
  static constexpr double kFirstLetterChanged = 0.3;

  // Words within max_cost of `typed` that start with the same letter (or with another one,
  // FirstLetter::kChanged), cheapest first (ties in byte order), at most `limit`.
  std::vector<Match> Near(std::string_view typed, double max_cost, size_t limit,
                          FirstLetter first = FirstLetter::kKept) const;
  // Prefixes of words, within max_cost of `typed` and starting with its first letter (or
  // another, FirstLetter::kChanged): each the cheapest prefix of its subtree ("hedpho" ->
  // "headpho"), cheapest first, at most `limit`.
  std::vector<Match> NearPrefix(std::string_view typed, double max_cost, size_t limit,
                                FirstLetter first = FirstLetter::kKept) const;
  // Words starting with `prefix`, in byte order, at most `limit`.
  std::vector<std::string> WithPrefix(std::string_view prefix, size_t limit) const;

 private:
  using Words = std::vector<std::string>;
  struct Snapshot {
    std::shared_ptr<const Words> main;    // sorted
    std::shared_ptr<const Words> recent;  // sorted, small: merged into main when it grows
  };
  Snapshot Get() const;

  mutable std::mutex mu_;
  Snapshot snapshot_;      // GUARDED_BY(mu_)
  std::mutex write_mu_;    // serialises Add and Remove (the merge runs outside mu_)
};

// A Xapian::Stopper that stops nothing and records the words a TermGenerator meets: with the
// STOP_ALL strategy the generator asks it about every word, unstemmed and lower-cased, so the
// word list learns exactly the index's words at the cost of one set insert each.
class WordRecorder : public Xapian::Stopper {
 public:
  bool operator()(const std::string& word) const override {
    if (WordList::Acceptable(word)) words_.insert(word);
    return false;
  }
  // The distinct acceptable words met since the last Take().
  std::vector<std::string> Take() {
    std::vector<std::string> out(words_.begin(), words_.end());
    words_.clear();
    return out;
  }

 private:
  mutable std::unordered_set<std::string> words_;
};

// Adds the words stored in a shard's metadata (index_schema.h kWordsKeyPrefix) to `list`;
// returns how many entries there were (the next entry's number). Works over remote shards.
Result<uint64_t> LoadWords(const Xapian::Database& db, WordList* list);
// The metadata key and value of a shard's `n`-th word entry.
std::string WordsKey(uint64_t n);
std::string JoinWords(const std::vector<std::string>& words);

}  // namespace commerce::search
