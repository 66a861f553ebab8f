// What a typo costs: a weighted Damerau-Levenshtein distance (the optimal-string-alignment
// form) between what was typed and a word of the index, in units of one wrong letter.
//
// The weights follow how people mistype on a keyboard (Damerau, 1964: most misspellings
// are one letter dropped, added, replaced or two letters swapped; dropped letters and swaps
// are the commonest; a wrong letter is usually a neighbour on the keyboard):
//   a letter left out ("iphne")                                   kOmitted   0.7
//     ... the second of a double letter ("adress")                kOmittedDouble 0.5
//   a letter too many ("iphonne")                                 kExtra     0.9
//     ... repeating the letter before it ("heello")               kExtraDouble 0.6
//   two neighbouring letters swapped ("ipohne")                   kSwapped   0.7
//   a wrong letter next to the right one on a QWERTY keyboard     kNeighbour 0.75
//   any other wrong letter                                        kWrong     1.0
// Letters are bytes: an accented letter typed plain is a wrong letter (or two bytes).
//
// Thread safety: pure functions.
#pragma once

#include <cstddef>
#include <string_view>

namespace commerce::search {

inline constexpr double kOmitted = 0.7;
inline constexpr double kOmittedDouble = 0.5;
inline constexpr double kExtra = 0.9;
inline constexpr double kExtraDouble = 0.6;
inline constexpr double kSwapped = 0.7;
inline constexpr double kNeighbour = 0.75;
inline constexpr double kWrong = 1.0;

// The cost of typing `typed` where `wanted` was meant (0 when equal).
double SubstitutionCost(char typed, char wanted);

// How far a typed word of `typed_bytes` may be from the word it is corrected to: one edit
// for 4-5 letters, one and a half for 6-7, two from 8 (longer words hold more typos, and
// stay unambiguous with them); shorter words are not corrected (0).
double MaxTypoCost(size_t typed_bytes);

// The weighted distance between a typed word and a word (full table; the word list's walk
// computes the same rows incrementally).
double EditCost(std::string_view typed, std::string_view word);

// One row of the table: row[j] = cost of turning typed[0, j) into word[0, i), from the two
// rows before it. `c` is word[i-1], `pc` word[i-2] (0 when i < 2); `prev2` may be null
// when i < 2.
void NextEditRow(std::string_view typed, char c, char pc, const double* prev, const double* prev2,
                 double* row);
// Row 0: typed[0, j) against the empty word.
void FirstEditRow(std::string_view typed, double* row);

}  // namespace commerce::search
