// The title words that most often follow a stem (title_pairs.h), for phrase completions
// (suggester.cpp), remembered per reader. Which words follow a stem, and in how many titles,
// does not depend on what a shopper typed, and the common words come back in query after
// query; reading them is a walk over up to kMaxTopFollowersScanned pair terms (at 1M products
// a common word has more than that, and the walk read them all only to give up). So each
// stem's walk is done once per reader state: the memo is dropped whenever the reader opens or
// reopens (Reader::opens), so it never outlives the index it was read from.
//
// Thread safety: a memo belongs to one Reader, used by one thread at a time (reader_pool.h).
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "search/reader_pool.h"
#include "search/title_pairs.h"

namespace commerce::search {

// A stem followed by more different words than this is not extended into a phrase: its most
// frequent follower is not known without reading them all.
inline constexpr size_t kMaxTopFollowersScanned = 1000;

struct TopFollower {
  Follower follower;
  std::string stem;  // of follower.word
};

struct TopFollowers {
  bool too_many = false;  // more than kMaxTopFollowersScanned followers: `top` is empty
  bool all = false;       // `top` holds every follower
  // The most frequent followers (at most kTopFollowersKept), most titles first, then in byte
  // order. When the phrase's own words hide all of them and `all` is false, the caller walks
  // the followers itself (a phrase of more words than are kept).
  std::vector<TopFollower> top;
};

// Followers kept per stem: a phrase rarely holds more words than this, and a reader's memo
// stays within about 8,192 x 8 followers (a few MB at most).
inline constexpr size_t kTopFollowersKept = 8;

class TopFollowersMemo {
 public:
  // `stem`'s followers as of `reader`'s current state (read, or remembered from an earlier
  // call on the same state). The reference is valid until the next call.
  const TopFollowers& Get(Reader& reader, const std::string& stem);

 private:
  uint64_t opens_ = 0;
  bool any_ = false;
  std::unordered_map<std::string, TopFollowers> by_stem_;
};

}  // namespace commerce::search
