#include "search/title_pairs.h"

namespace commerce::search {

namespace {
constexpr size_t kMaxPairTermBytes = 240;  // Xapian's limit is 245 for glass
}  // namespace

std::vector<std::string> TitleWords(std::string_view title) {
  std::vector<std::string> out;
  std::string cur;
  for (Xapian::Utf8Iterator it(title.data(), title.size()); it != Xapian::Utf8Iterator(); ++it) {
    const unsigned ch = *it;
    if (Xapian::Unicode::is_wordchar(ch)) {
      Xapian::Unicode::append_utf8(cur, Xapian::Unicode::tolower(ch));
    } else if (!cur.empty()) {
      out.push_back(std::move(cur));
      cur.clear();
    }
  }
  if (!cur.empty()) out.push_back(std::move(cur));
  return out;
}

std::string PairTerm(std::string_view first_stem, std::string_view second) {
  if (first_stem.empty() || second.empty() ||
      kPrefixTitlePair.size() + first_stem.size() + 1 + second.size() > kMaxPairTermBytes)
    return "";
  std::string term(kPrefixTitlePair);
  term += first_stem;
  term += ' ';
  term += second;
  return term;
}

std::string PairPrefix(std::string_view first_stem, std::string_view typed) {
  std::string prefix(kPrefixTitlePair);
  prefix += first_stem;
  prefix += ' ';
  prefix += typed;
  return prefix;
}

std::vector<Follower> Followers(const Xapian::Database& db, std::string_view first_stem,
                                std::string_view typed, size_t max_terms) {
  std::vector<Follower> out;
  const std::string prefix = PairPrefix(first_stem, typed);
  const size_t word_at = prefix.size() - typed.size();
  size_t scanned = 0;
  for (auto it = db.allterms_begin(prefix); it != db.allterms_end(prefix) && scanned < max_terms;
       ++it, ++scanned) {
    const std::string term = *it;
    out.push_back({term.substr(word_at), it.get_termfreq()});
  }
  return out;
}

}  // namespace commerce::search
