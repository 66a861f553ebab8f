#include "search/edit_cost.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <vector>

namespace commerce::search {

namespace {

// Letters next to each other on a QWERTY keyboard (same row or the rows above and below).
constexpr const char* kQwertyNeighbours[26] = {
    "qwsz",    "vghn",    "xdfv",   "serfcx", "wsdr",   "drtgvc", "ftyhbv", "gyujnb", "ujko",
    "huikmn",  "jiolm",   "kop",    "njk",    "bhjm",   "iklp",   "ol",     "wa",     "edft",
    "awedxz",  "rfgy",    "yhji",   "cfgb",   "qase",   "zsdc",   "tghu",   "asx"};

bool AreNeighbours(char a, char b) {
  if (a < 'a' || a > 'z' || b < 'a' || b > 'z') return false;
  return std::strchr(kQwertyNeighbours[a - 'a'], b) != nullptr;
}

}  // namespace

double SubstitutionCost(char typed, char wanted) {
  if (typed == wanted) return 0;
  return AreNeighbours(typed, wanted) ? kNeighbour : kWrong;
}

double MaxTypoCost(size_t typed_bytes) {
  if (typed_bytes < 4) return 0;
  if (typed_bytes < 6) return 1.0;
  if (typed_bytes < 8) return 1.5;
  return 2.0;
}

void FirstEditRow(std::string_view typed, double* row) {
  row[0] = 0;
  for (size_t j = 1; j <= typed.size(); ++j)
    row[j] = row[j - 1] + (j >= 2 && typed[j - 1] == typed[j - 2] ? kExtraDouble : kExtra);
}

void NextEditRow(std::string_view typed, char c, char pc, const double* prev, const double* prev2,
                 double* row) {
  const double omit = pc != 0 && c == pc ? kOmittedDouble : kOmitted;
  row[0] = prev[0] + omit;
  for (size_t j = 1; j <= typed.size(); ++j) {
    const char t = typed[j - 1];
    double best = prev[j] + omit;                                                  // left out
    best = std::min(best, row[j - 1] + (j >= 2 && typed[j - 2] == t ? kExtraDouble : kExtra));  // too many
    best = std::min(best, prev[j - 1] + SubstitutionCost(t, c));                   // same or wrong
    if (prev2 != nullptr && j >= 2 && pc != 0 && c == typed[j - 2] && pc == t && c != t)
      best = std::min(best, prev2[j - 2] + kSwapped);                              // swapped
    row[j] = best;
  }
}

double EditCost(std::string_view typed, std::string_view word) {
  const size_t m = typed.size();
  std::vector<std::vector<double>> rows(word.size() + 1, std::vector<double>(m + 1));
  FirstEditRow(typed, rows[0].data());
  for (size_t i = 1; i <= word.size(); ++i)
    NextEditRow(typed, word[i - 1], i >= 2 ? word[i - 2] : 0, rows[i - 1].data(),
                i >= 2 ? rows[i - 2].data() : nullptr, rows[i].data());
  return rows[word.size()][m];
}

}  // namespace commerce::search
