#include "search/word_forms.h"

#include <algorithm>
#include <cctype>

namespace commerce::search {

namespace {

bool IsDigitByte(char c) { return c >= '0' && c <= '9'; }

}  // namespace

bool IsPlainWord(std::string_view text) {
  if (text.empty()) return false;
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x80 && !std::isalnum(u)) return false;
  }
  return true;
}

std::string JoinedWord(const Xapian::Database& db, const Xapian::Stem& stem, std::string_view a,
                       std::string_view b) {
  if (a.empty() || b.empty()) return "";
  std::string joined(a);
  joined += b;
  return db.get_termfreq(stem(joined)) > 0 ? joined : std::string();
}

std::string SplitWord(const Xapian::Database& db, const Xapian::Stem& stem, std::string_view word) {
  // Most words are all letters: no term is looked up for them.
  const bool digits = std::any_of(word.begin(), word.end(), IsDigitByte);
  const bool others = !std::all_of(word.begin(), word.end(), IsDigitByte);
  if (!digits || !others || db.get_termfreq(stem(std::string(word))) > 0) return "";
  for (size_t i = 1; i < word.size(); ++i) {
    // A non-ASCII byte counts as a letter: UTF-8 words stay whole.
    if (IsDigitByte(word[i - 1]) == IsDigitByte(word[i])) continue;
    const std::string head(word.substr(0, i)), tail(word.substr(i));
    if (db.get_termfreq(stem(head)) > 0 && db.get_termfreq(stem(tail)) > 0) return head + " " + tail;
  }
  return "";
}

}  // namespace commerce::search
