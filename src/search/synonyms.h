// The user's synonyms and how they widen a query. A multi-way group is a set of words or
// phrases that mean the same ("sneakers", "trainers", "running shoes"): each entry found in a
// query also matches every other. A one-way group has a root: the root found in a query also
// matches the group's synonyms, but not the other way ("phone" -> "smartphone": a search for
// "smartphone" does not bring up every phone). Entries are compared by English stem, so
// "sneaker" finds "sneakers".
//
// Matching is by the query's clauses (query_text.h): an entry must cover whole words of the
// query, and where it does, that run of words becomes "these words, or any synonym" — one
// unit, so the rest of the query (other words, exclusions, the word being typed) is untouched.
// (Xapian's own synonym table maps to single terms only, so "running shoes" could not be a
// synonym's target, and its data is not served by remote shards; this list lives in the
// engine's store and is applied by the query side.)
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

struct SynonymGroupSpec {
  std::string root;                   // "" for a multi-way group
  std::vector<std::string> synonyms;
  bool operator==(const SynonymGroupSpec&) const = default;
};

class Synonyms {
 public:
  Synonyms() = default;
  // InvalidArgument for a multi-way group of fewer than 2 or more than kMaxSynonymGroupSize
  // entries, a one-way group without synonyms, an entry without a word or longer than
  // kMaxSynonymEntryBytes, or too many groups.
  static Result<Synonyms> Make(const std::vector<SynonymGroupSpec>& groups);
  // Multi-way groups only (the original form of the API).
  static Result<Synonyms> Make(const std::vector<std::vector<std::string>>& groups);

  const std::vector<SynonymGroupSpec>& groups() const { return groups_; }
  bool empty() const { return groups_.empty(); }

  // A run of query units that an entry covers, and what else it may be.
  struct Match {
    size_t first = 0, count = 0;            // units [first, first + count)
    std::vector<std::string> alternatives;  // entry texts, at most kMaxQueryVariants - 1
  };
  // `units`: the stems of each unit's words, in query order; a unit that cannot take part
  // (a phrase, an OR alternative) is an empty vector. Matches do not overlap; the longest
  // entry wins, leftmost first.
  std::vector<Match> Find(const std::vector<std::vector<std::string>>& units) const;

  std::string Encode() const;
  static Result<Synonyms> Decode(std::string_view data);

 private:
  struct Entry {
    size_t group;
    std::vector<std::string> stems;  // the entry's words, stemmed
    bool source;                     // found in queries (every entry of a multi-way group; a root)
    std::string text;
  };
  std::vector<SynonymGroupSpec> groups_;  // as given, trimmed
  std::vector<Entry> entries_;
  std::vector<std::vector<size_t>> group_entries_;                     // group -> entries_
  std::unordered_map<std::string, std::vector<size_t>> by_first_stem_;  // sources -> entries_
};

// Lower-cased words of `text`: runs of letters and digits (any byte >= 0x80 counts as a
// letter, so non-ASCII words stay whole).
std::vector<std::string> Words(std::string_view text);
// `s` without the ASCII white space at its ends (isspace): how rules and synonyms read a line.
std::string Trim(std::string_view s);

}  // namespace commerce::search
