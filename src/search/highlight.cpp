#include "search/highlight.h"

#include <vector>

namespace commerce::search {

namespace {

struct Word {
  size_t begin, end;  // byte offsets in the text
  std::string lower;
};

// Words as Xapian's TermGenerator sees them: runs of Unicode word characters.
std::vector<Word> SplitWords(std::string_view text) {
  std::vector<Word> words;
  Xapian::Utf8Iterator it(text.data(), text.size()), end;
  bool in_word = false;
  Word cur{};
  for (; it != end; ++it) {
    const size_t at = static_cast<size_t>(it.raw() - text.data());
    const unsigned ch = *it;
    if (Xapian::Unicode::is_wordchar(ch)) {
      if (!in_word) cur = Word{at, at, ""}, in_word = true;
      Xapian::Unicode::append_utf8(cur.lower, Xapian::Unicode::tolower(ch));
    } else if (in_word) {
      cur.end = at;
      words.push_back(std::move(cur));
      in_word = false;
    }
  }
  if (in_word) {
    cur.end = text.size();
    words.push_back(std::move(cur));
  }
  return words;
}

}  // namespace

std::string HtmlEscape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

HighlightTerms TermsToHighlight(std::string_view query_text, bool last_word_partial,
                                const Xapian::Stem& stem) {
  HighlightTerms t;
  auto words = SplitWords(query_text);
  for (size_t i = 0; i < words.size(); ++i) {
    if (last_word_partial && i + 1 == words.size()) t.prefix = words[i].lower;
    else t.stems.insert(stem(words[i].lower));
  }
  return t;
}

const std::string& StemCache::Of(const std::string& word) {
  auto found = stems_.find(word);
  if (found != stems_.end()) return found->second;
  if (stems_.size() >= kMaxWords) stems_.clear();
  return stems_.emplace(word, stem_(word)).first->second;
}

std::string Highlight(std::string_view title, const HighlightTerms& terms, StemCache& stems) {
  std::string out;
  size_t done = 0;
  for (const auto& w : SplitWords(title)) {
    const bool hit = (!terms.prefix.empty() && w.lower.compare(0, terms.prefix.size(), terms.prefix) == 0) ||
                     (!terms.stems.empty() && terms.stems.count(stems.Of(w.lower)) > 0);
    if (!hit) continue;
    out += HtmlEscape(title.substr(done, w.begin - done));
    out += "<b>";
    out += HtmlEscape(title.substr(w.begin, w.end - w.begin));
    out += "</b>";
    done = w.end;
  }
  out += HtmlEscape(title.substr(done));
  return out;
}

}  // namespace commerce::search
