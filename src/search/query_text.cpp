#include "search/query_text.h"

#include <algorithm>

namespace commerce::search {

namespace {

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

// A token: a run of non-space characters, or a quoted run (the quote may be unbalanced: it
// then runs to the end of the text).
struct Token {
  size_t begin, end;  // of the content
  bool quoted;
  char sign;          // '-', '+' or 0
};

std::vector<Token> Tokenize(std::string_view text) {
  std::vector<Token> out;
  size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && IsSpace(text[i])) ++i;
    if (i >= text.size()) break;
    char sign = 0;
    if ((text[i] == '-' || text[i] == '+') && i + 1 < text.size() && !IsSpace(text[i + 1])) {
      sign = text[i];
      ++i;
    }
    if (text[i] == '"') {
      const size_t close = text.find('"', i + 1);
      const size_t end = close == std::string_view::npos ? text.size() : close;
      out.push_back({i + 1, end, true, sign});
      i = close == std::string_view::npos ? text.size() : close + 1;
    } else {
      size_t j = i;
      while (j < text.size() && !IsSpace(text[j])) ++j;
      out.push_back({i, j, false, sign});
      i = j;
    }
  }
  return out;
}

bool HasWordChar(std::string_view s) {
  return std::any_of(s.begin(), s.end(), [](char c) {
    auto u = static_cast<unsigned char>(c);
    return u >= 0x80 || (u >= '0' && u <= '9') || (u >= 'a' && u <= 'z') || (u >= 'A' && u <= 'Z');
  });
}

}  // namespace

std::vector<const Clause*> QueryText::positive() const {
  std::vector<const Clause*> out;
  for (const auto& c : clauses)
    if (!c.excluded) out.push_back(&c);
  return out;
}

QueryText ParseQueryText(std::string_view text, bool prefix) {
  QueryText q;
  const std::vector<Token> tokens = Tokenize(text);
  bool negate_next = false, or_next = false;
  size_t group = 0;
  for (size_t t = 0; t < tokens.size(); ++t) {
    const Token& tok = tokens[t];
    std::string_view content = text.substr(tok.begin, tok.end - tok.begin);
    // Operators: upper-case words between two clauses, as Xapian's QueryParser reads them.
    if (!tok.quoted && tok.sign == 0 && t + 1 < tokens.size()) {
      if (content == "NOT") {
        negate_next = true;
        continue;
      }
      if (content == "AND") continue;
      if (content == "OR" && !q.clauses.empty() && !q.clauses.back().excluded) {
        or_next = true;
        continue;
      }
    }
    if (!HasWordChar(content)) continue;  // punctuation alone makes no term
    Clause c;
    c.text = std::string(content);
    c.begin = tok.begin;
    c.end = tok.end;
    c.phrase = tok.quoted;
    c.excluded = tok.sign == '-' || negate_next;
    c.required = tok.sign == '+' && !c.excluded;
    negate_next = false;
    if (!c.excluded) {
      if (or_next && !q.clauses.empty()) {
        c.group = q.clauses.back().group;
      } else {
        c.group = group++;
      }
    }
    or_next = false;
    q.clauses.push_back(std::move(c));
  }
  q.groups = group;
  // The last word is being typed unless a space, a closing quote or a sign says otherwise.
  if (prefix && !q.clauses.empty() && !text.empty() && !IsSpace(text.back())) {
    Clause& last = q.clauses.back();
    if (!last.phrase && !last.excluded && last.end == text.size()) last.partial = true;
  }
  return q;
}

std::string ReplaceClauses(std::string_view text, const QueryText& q,
                           const std::vector<std::pair<size_t, std::string>>& replacements) {
  std::vector<std::pair<size_t, std::string>> r = replacements;
  std::sort(r.begin(), r.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  std::string out;
  size_t at = 0;
  for (const auto& [index, word] : r) {
    const Clause& c = q.clauses[index];
    out.append(text.substr(at, c.begin - at));
    out += word;
    at = c.end;
  }
  out.append(text.substr(at));
  return out;
}

}  // namespace commerce::search
