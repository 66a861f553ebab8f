#include "search/synonyms.h"

#include <cctype>

#include "common/utf8.h"

namespace commerce::search {

namespace {
constexpr char kGroupSep = '\x1e';
constexpr char kEntrySep = '\x1f';
constexpr char kRootSep = '\x1d';

}  // namespace

std::string Trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return std::string(s);
}

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
  std::vector<SynonymGroupSpec> specs;
  specs.reserve(groups.size());
  for (const auto& g : groups) specs.push_back({"", g});
  return Make(specs);
}

Result<Synonyms> Synonyms::Make(const std::vector<SynonymGroupSpec>& groups) {
  if (groups.size() > kMaxSynonymGroups)
    return Status::InvalidArgument("synonyms: " + std::to_string(groups.size()) +
                                   " groups; the limit is " + std::to_string(kMaxSynonymGroups));
  Synonyms s;
  Xapian::Stem stem("english");
  for (size_t g = 0; g < groups.size(); ++g) {
    const auto& group = groups[g];
    const std::string where = "synonyms group " + std::to_string(g + 1);
    const bool one_way = !Trim(group.root).empty();
    const size_t entries = group.synonyms.size() + (one_way ? 1 : 0);
    if (entries < 2 || entries > kMaxSynonymGroupSize)
      return Status::InvalidArgument(
          where + ": has " + std::to_string(entries) + " entries; a group needs 2.." +
          std::to_string(kMaxSynonymGroupSize) + (one_way ? " (the root and at least one synonym)" : ""));
    SynonymGroupSpec kept;
    auto add = [&](const std::string& raw, bool source, std::string* out) -> Status {
      std::string e = Trim(raw);
      if (!IsValidUtf8(e))  // before it is quoted below
        return Status::InvalidArgument(where + ": entry is not UTF-8 text");
      if (e.size() > kMaxSynonymEntryBytes)
        return Status::InvalidArgument(where + ": entry '" + e.substr(0, 40) + "...' is longer than " +
                                       std::to_string(kMaxSynonymEntryBytes) + " bytes");
      for (char c : e)
        if (static_cast<unsigned char>(c) < 0x20)
          return Status::InvalidArgument(where + ": entry holds a control character");
      auto words = Words(e);
      if (words.empty()) return Status::InvalidArgument(where + ": entry '" + e + "' has no word");
      Entry entry{s.groups_.size(), {}, source, e};
      for (const auto& w : words) entry.stems.push_back(stem(w));
      if (source) s.by_first_stem_[entry.stems[0]].push_back(s.entries_.size());
      if (s.group_entries_.size() <= s.groups_.size()) s.group_entries_.resize(s.groups_.size() + 1);
      s.group_entries_[s.groups_.size()].push_back(s.entries_.size());
      s.entries_.push_back(std::move(entry));
      *out = std::move(e);
      return Status::OK();
    };
    if (one_way) COMMERCE_RETURN_IF_ERROR(add(group.root, true, &kept.root));
    for (const auto& raw : group.synonyms) {
      std::string e;
      COMMERCE_RETURN_IF_ERROR(add(raw, !one_way, &e));
      kept.synonyms.push_back(std::move(e));
    }
    s.groups_.push_back(std::move(kept));
  }
  return s;
}

std::vector<Synonyms::Match> Synonyms::Find(const std::vector<std::vector<std::string>>& units) const {
  std::vector<Match> out;
  if (entries_.empty()) return out;
  size_t budget = kMaxQueryVariants - 1;  // alternatives over the whole query
  for (size_t u = 0; u < units.size() && budget > 0;) {
    if (units[u].empty()) {
      ++u;
      continue;
    }
    auto it = by_first_stem_.find(units[u][0]);
    // The longest source entry that covers whole units from u.
    const Entry* best = nullptr;
    size_t best_units = 0;
    if (it != by_first_stem_.end()) {
      for (size_t ei : it->second) {
        const Entry& e = entries_[ei];
        size_t k = 0, n = 0;  // stems matched, units covered
        bool ok = true;
        while (k < e.stems.size()) {
          if (u + n >= units.size() || units[u + n].empty()) {
            ok = false;
            break;
          }
          const auto& stems = units[u + n];
          if (k + stems.size() > e.stems.size() ||
              !std::equal(stems.begin(), stems.end(), e.stems.begin() + static_cast<std::ptrdiff_t>(k))) {
            ok = false;
            break;
          }
          k += stems.size();
          ++n;
        }
        if (ok && e.stems.size() > (best ? best->stems.size() : 0)) best = &e, best_units = n;
      }
    }
    if (best == nullptr) {
      ++u;
      continue;
    }
    Match m{u, best_units, {}};
    // Multi-way: every other entry; one-way: the root's synonyms (never the root itself).
    for (size_t ei : group_entries_[best->group]) {
      const Entry& e = entries_[ei];
      if (budget == 0) break;
      if (&e == best || e.stems == best->stems || (!groups_[best->group].root.empty() && e.source)) continue;
      m.alternatives.push_back(e.text);
      --budget;
    }
    if (!m.alternatives.empty()) out.push_back(std::move(m));
    u += best_units;
  }
  return out;
}

std::string Synonyms::Encode() const {
  // Groups separated by \x1e, entries by \x1f; a one-way group starts with its root and \x1d.
  std::string out;
  for (size_t g = 0; g < groups_.size(); ++g) {
    if (g) out += kGroupSep;
    if (!groups_[g].root.empty()) out += groups_[g].root + kRootSep;
    for (size_t e = 0; e < groups_[g].synonyms.size(); ++e) {
      if (e) out += kEntrySep;
      out += groups_[g].synonyms[e];
    }
  }
  return out;
}

Result<Synonyms> Synonyms::Decode(std::string_view data) {
  std::vector<SynonymGroupSpec> groups;
  size_t start = 0;
  while (!data.empty() && start <= data.size()) {
    size_t end = data.find(kGroupSep, start);
    if (end == std::string_view::npos) end = data.size();
    std::string_view g = data.substr(start, end - start);
    SynonymGroupSpec spec;
    if (size_t r = g.find(kRootSep); r != std::string_view::npos) {
      spec.root = std::string(g.substr(0, r));
      g.remove_prefix(r + 1);
    }
    size_t es = 0;
    for (;;) {
      size_t ee = g.find(kEntrySep, es);
      spec.synonyms.emplace_back(g.substr(es, ee == std::string_view::npos ? std::string_view::npos : ee - es));
      if (ee == std::string_view::npos) break;
      es = ee + 1;
    }
    groups.push_back(std::move(spec));
    start = end + 1;
  }
  auto s = Make(groups);
  if (!s.ok()) return Status::Corruption("stored synonyms do not decode: " + s.status().message());
  return s;
}

}  // namespace commerce::search
