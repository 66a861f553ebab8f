// A count kept in the meta table (a KeyBuilder u64: channels, price lists), read by a prepared
// write and expected as read, so that a limit checked on it holds against concurrent writes:
// whichever commits second finds the count changed and is prepared again.
//
// Thread safety: pure functions over the caller's view and change set.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "commerce/storage.h"

namespace commerce {

// The count under `key`, expected unchanged when `changes` applies; nullopt when the store has
// none, expected absent then. Corruption (naming `what`) when it does not decode.
Result<std::optional<uint64_t>> ReadExpectedCount(ReadView& view, Table meta, std::string_view key,
                                                  std::string_view what, ChangeSet& changes);

// Sets the count under `key` to `n`.
void PutCount(Table meta, std::string_view key, uint64_t n, ChangeSet& changes);

}  // namespace commerce
