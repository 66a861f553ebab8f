#include "search/top_followers.h"

#include <algorithm>


namespace commerce::search {

namespace {
// Stems remembered per reader: bounds the memo's memory (a few hundred bytes a stem); past it
// the memo starts again.
constexpr size_t kMaxMemoStems = 8192;
}  // namespace

const TopFollowers& TopFollowersMemo::Get(Reader& reader, const std::string& stem) {
  if (!any_ || opens_ != reader.opens || by_stem_.size() >= kMaxMemoStems) {
    by_stem_.clear();
    opens_ = reader.opens;
    any_ = true;
  }
  auto [it, fresh] = by_stem_.try_emplace(stem);
  if (!fresh) return it->second;
  TopFollowers& out = it->second;
  std::vector<Follower> all = Followers(reader.db, stem, "", kMaxTopFollowersScanned + 1);
  if (all.size() > kMaxTopFollowersScanned) {
    out.too_many = true;
    return out;
  }
  // Most titles first, then byte order (Followers gives byte order; a stable sort keeps it).
  const size_t keep = std::min(all.size(), kTopFollowersKept);
  out.all = keep == all.size();
  std::partial_sort(all.begin(), all.begin() + keep, all.end(), [](const Follower& a, const Follower& b) {
    return a.products != b.products ? a.products > b.products : a.word < b.word;
  });
  for (size_t i = 0; i < keep; ++i) {
    std::string s = reader.stemmer(all[i].word);
    out.top.push_back({std::move(all[i]), std::move(s)});
  }
  return out;
}

}  // namespace commerce::search
