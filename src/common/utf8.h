// UTF-8 decoding for validation: the engine checks text fields itself rather than trusting
// callers, and names the field that holds a malformed sequence.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "commerce/status.h"

namespace commerce {

// The length of the well-formed UTF-8 sequence at s[i] and its code point, or 0 when the
// bytes there are not one (stray continuation byte, overlong form, surrogate, truncated).
// REQUIRES: i < s.size().
size_t DecodeUtf8(std::string_view s, size_t i, char32_t* cp);

// The offset of the first byte that does not start a well-formed UTF-8 sequence, or npos
// when all of `s` is well-formed UTF-8.
size_t FirstInvalidUtf8(std::string_view s);
inline bool IsValidUtf8(std::string_view s) { return FirstInvalidUtf8(s) == std::string_view::npos; }

// `s` with every byte that does not start a well-formed sequence replaced by U+FFFD, for
// text that must be shown or put in JSON whatever it holds (a damaged record's id).
std::string ToValidUtf8(std::string_view s);

// InvalidArgument "<field>: invalid UTF-8 at byte N; expected UTF-8 text" when `value` is not
// well-formed UTF-8. Every string the engine stores passes this first (in CheckIdentifier,
// the engines' text checks): a stored string that is not UTF-8 breaks every reader after it
// (JSON listings, Python's str, exports).
Status CheckUtf8(std::string_view field, std::string_view value);

}  // namespace commerce
