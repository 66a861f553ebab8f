// Escaping text for the JSON objects engines build by hand (event data, the catalog's JSON
// export): the result goes between double quotes.
//
// Thread safety: a pure function.
#pragma once

#include <string>
#include <string_view>

namespace commerce {

// `s` with '"', '\\' and control characters escaped (\n, \t, \r by name, the rest as \u00XX),
// so that "\"" + JsonEscape(s) + "\"" is a valid JSON string for any input bytes: well-formed
// UTF-8 passes through unchanged, and each byte that is not part of a well-formed sequence
// becomes U+FFFD.
std::string JsonEscape(std::string_view s);

}  // namespace commerce
