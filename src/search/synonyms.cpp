#include "search/synonyms.h"

#include <cctype>

#include "common/utf8.h"

namespace commerce::search {

namespace {
constexpr char kGroupSep = '\x1e';
constexpr char kEntrySep = '\x1f';

std::string Trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return std::string(s);
}
}  // namespace

std::vector<std::string> Words(std::string_view text) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : text) {
    auto u = static_cast<unsigned char>(c);
    if (u >= 0x80 || std::isalnum(u)) {
      cur += static_cast<char>(u < 0x80 ? std::tolower(u) : u);
    } else if (!cur.empty()) {
      out.push_back(std::move(cur));
      cur.clear();
    }
  }
  if (!cur.empty()) out.push_back(std::move(cur));
  return out;
}

Result<Synonyms> Synonyms::Make(const std::vector<std::vector<std::string>>& groups) {
  if (groups.size() > kMaxSynonymGroups)
    return Status::InvalidArgument("synonyms: " + std::to_string(groups.size()) +
                                   " groups; the limit is " + std::to_string(kMaxSynonymGroups));
  Synonyms s;
  Xapian::Stem stem("english");
  for (size_t g = 0; g < groups.size(); ++g) {
    const auto& group = groups[g];
    const std::string where = "synonyms group " + std::to_string(g + 1);
    if (group.size() < 2 || group.size() > kMaxSynonymGroupSize)
      return Status::InvalidArgument(where + ": has " + std::to_string(group.size()) +
                                     " entries; a group needs 2.." +
                                     std::to_string(kMaxSynonymGroupSize));
    std::vector<std::string> kept;
    for (const auto& raw : group) {
      std::string e = Trim(raw);
      if (!IsValidUtf8(e))  // before it is quoted below
        return Status::InvalidArgument(where + ": entry is not UTF-8 text");
      if (e.size() > kMaxSynonymEntryBytes)
        return Status::InvalidArgument(where + ": entry '" + e.substr(0, 40) + "...' is longer than " +
                                       std::to_string(kMaxSynonymEntryBytes) + " bytes");
      if (e.find(kGroupSep) != std::string::npos || e.find(kEntrySep) != std::string::npos)
        return Status::InvalidArgument(where + ": entry holds a control character");
      auto words = Words(e);
      if (words.empty())
        return Status::InvalidArgument(where + ": entry '" + e + "' has no word");
      Entry entry{s.groups_.size(), {}};
      for (const auto& w : words) entry.stems.push_back(stem(w));
      s.by_first_stem_[entry.stems[0]].push_back(s.entries_.size());
      s.entries_.push_back(std::move(entry));
      kept.push_back(std::move(e));
    }
    s.groups_.push_back(std::move(kept));
  }
  return s;
}

std::vector<std::string> Synonyms::Variants(const std::string& text, const Xapian::Stem& stem) const {
  std::vector<std::string> out;
  if (entries_.empty()) return out;
  const auto words = Words(text);
  std::vector<std::string> stems;
  for (const auto& w : words) stems.push_back(stem(w));
  const bool trailing_space = !text.empty() && std::isspace(static_cast<unsigned char>(text.back()));
  // Each match yields the text with that entry's words replaced by another entry's; one
  // replacement per variant keeps the count linear in the matches.
  for (size_t i = 0; i < stems.size() && out.size() + 1 < kMaxQueryVariants; ++i) {
    auto it = by_first_stem_.find(stems[i]);
    if (it == by_first_stem_.end()) continue;
    for (size_t ei : it->second) {
      const Entry& e = entries_[ei];
      if (i + e.stems.size() > stems.size() ||
          !std::equal(e.stems.begin(), e.stems.end(), stems.begin() + i))
        continue;
      for (const auto& other : groups_[e.group]) {
        auto other_words = Words(other);
        std::vector<std::string> other_stems;
        for (const auto& w : other_words) other_stems.push_back(stem(w));
        if (other_stems == e.stems) continue;  // the entry itself
        std::string v;
        for (size_t k = 0; k < words.size();) {
          if (k == i) {
            for (const auto& w : other_words) v += (v.empty() ? "" : " ") + w;
            k += e.stems.size();
          } else {
            v += (v.empty() ? "" : " ") + words[k];
            ++k;
          }
        }
        if (trailing_space) v += ' ';
        out.push_back(std::move(v));
        if (out.size() + 1 >= kMaxQueryVariants) return out;
      }
    }
  }
  return out;
}

std::string Synonyms::Encode() const {
  std::string out;
  for (size_t g = 0; g < groups_.size(); ++g) {
    if (g) out += kGroupSep;
    for (size_t e = 0; e < groups_[g].size(); ++e) {
      if (e) out += kEntrySep;
      out += groups_[g][e];
    }
  }
  return out;
}

Result<Synonyms> Synonyms::Decode(std::string_view data) {
  std::vector<std::vector<std::string>> groups;
  if (!data.empty()) {
    groups.emplace_back();
    std::string cur;
    for (char c : data) {
      if (c == kGroupSep || c == kEntrySep) {
        groups.back().push_back(std::move(cur));
        cur.clear();
        if (c == kGroupSep) groups.emplace_back();
      } else {
        cur += c;
      }
    }
    groups.back().push_back(std::move(cur));
  }
  auto s = Make(groups);
  if (!s.ok()) return Status::Corruption("stored synonyms do not decode: " + s.status().message());
  return s;
}

}  // namespace commerce::search
