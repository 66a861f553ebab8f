// A search result page as bytes, for a cache outside the process (the shared tier on Redis,
// shared_results.h): a cereal archive in the checksummed record frame (common/codec.h), so a
// damaged or foreign value is an error, never a wrong page.
//
// Thread safety: pure functions.
#pragma once

#include <string>
#include <string_view>

#include "commerce/search.h"

namespace commerce::search {

// The page and `key` (the request it answers, checked again on decode: a page is only ever
// served for its own request, whatever names the value).
std::string EncodeResult(std::string_view key, const SearchResult& result);
// Corruption when the bytes are not a page of this format, or a page of another request.
Status DecodeResult(std::string_view bytes, std::string_view key, SearchResult* result);

}  // namespace commerce::search
