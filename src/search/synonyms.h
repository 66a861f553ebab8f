// The user's synonym list and how it widens a query. A group is a set of words or phrases
// that mean the same ("sneakers", "trainers", "running shoes"). When the words of one entry
// appear in a query (compared by English stem, so "sneaker" finds "sneakers"), the query
// also runs with that entry replaced by each other entry of its group, and a product
// matching any of these texts matches.
//
// (Xapian's own synonym table maps to single terms only, so "running shoes" could not be a
// synonym's target, and it is ignored for the last word while it is typed; rewriting the
// text has neither limit.)
//
// Thread safety: immutable after construction.
#pragma once

#include <string>
#include <unordered_map>
#include <vector>

#include <xapian.h>

#include "commerce/status.h"

namespace commerce::search {

inline constexpr size_t kMaxSynonymGroups = 10000;
inline constexpr size_t kMaxSynonymGroupSize = 32;
inline constexpr size_t kMaxSynonymEntryBytes = 100;
// A query widens into at most this many texts, the original included.
inline constexpr size_t kMaxQueryVariants = 8;

class Synonyms {
 public:
  Synonyms() = default;
  // InvalidArgument for a group of fewer than 2 or more than kMaxSynonymGroupSize entries, an
  // entry without a word or longer than kMaxSynonymEntryBytes, or too many groups.
  static Result<Synonyms> Make(const std::vector<std::vector<std::string>>& groups);

  const std::vector<std::vector<std::string>>& groups() const { return groups_; }
  bool empty() const { return groups_.empty(); }

  // The other texts `text` widens into (not `text` itself), at most kMaxQueryVariants - 1.
  std::vector<std::string> Variants(const std::string& text, const Xapian::Stem& stem) const;

  std::string Encode() const;
  static Result<Synonyms> Decode(std::string_view data);

 private:
  struct Entry {
    size_t group;
    std::vector<std::string> stems;  // the entry's words, stemmed
  };
  std::vector<std::vector<std::string>> groups_;  // as given, trimmed
  std::vector<Entry> entries_;
  std::unordered_map<std::string, std::vector<size_t>> by_first_stem_;  // -> entries_
};

// Lower-cased words of `text`: runs of letters and digits (any byte >= 0x80 counts as a
// letter, so non-ASCII words stay whole).
std::vector<std::string> Words(std::string_view text);

}  // namespace commerce::search
