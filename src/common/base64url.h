// Base64url without padding (RFC 4648 section 5): bytes as text safe in a URL, a JSON string
// and a header, 4 characters for every 3 bytes. For opaque tokens handed to clients (search
// ids, search/search_id.h).
//
// Thread safety: pure functions.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace commerce {

std::string Base64UrlEncode(std::string_view bytes);
// The bytes, or nullopt when `text` is not unpadded base64url (a character outside
// A-Z a-z 0-9 - _, a length of 4k+1, or bits set past the last byte).
std::optional<std::string> Base64UrlDecode(std::string_view text);

}  // namespace commerce
