// UTF-8 decoding for validation: the engine checks text fields itself rather than trusting
// callers, and names the field that holds a malformed sequence.
#pragma once

#include <cstddef>
#include <string_view>

namespace commerce {

// The length of the well-formed UTF-8 sequence at s[i] and its code point, or 0 when the
// bytes there are not one (stray continuation byte, overlong form, surrogate, truncated).
// REQUIRES: i < s.size().
size_t DecodeUtf8(std::string_view s, size_t i, char32_t* cp);

}  // namespace commerce
