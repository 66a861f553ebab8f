// A stored record followed by numbers that the storage writer fills in as it applies a change
// set (storage.h, "Checked changes"): the counters of a stock record after a conditional
// change (ChangeSet::append with counters_of), or a sequence allocated as the group commits
// (ChangeSet::with_seq). The engine that prepares the record cannot know these numbers, and
// the writer runs no engine code, so they sit after the record rather than inside it:
//
//   byte 0       0xC8      kTailedRecord: no framed (C5) or bare (01 00) record starts with it
//   byte 1       n         how many numbers follow the frame (1..8)
//   bytes 2..    the record in its checksummed frame (record_frame.h)
//   last 8n      n numbers, 8 bytes big-endian each, as the writer wrote them
//
// The tail is outside the frame's checksum (the writer cannot compute it). Each reader checks
// what it can of the numbers it reads (a stock event's counts obey the stock invariant, an
// order's sequence is the one its index entries name), and commerce verify replays them
// against the records they describe.
//
// Thread safety: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "commerce/status.h"

namespace commerce {

inline constexpr unsigned char kTailedRecord = 0xC8;
inline constexpr size_t kMaxTailNumbers = 8;

// `framed` (from Encode, codec.h) with the envelope's two bytes in front and, when
// `placeholder`, n zero numbers behind, for a ChangeSet::with_seq slot at TailOffset(); without
// it, for ChangeSet::append(..., counters_of), which appends the numbers itself.
std::string Tailed(std::string_view framed, uint8_t n, bool placeholder);

// Where the first tail number starts in a record Tailed(framed, n, true) returned.
inline size_t TailOffset(size_t record_size, uint8_t n) { return record_size - 8u * n; }

bool IsTailed(std::string_view bytes);

struct TailedParts {
  std::string_view framed;
  std::vector<int64_t> numbers;
};
// Splits a tailed record. Corruption naming `table` and the key when it is too short for its
// count or the count is out of range.
Result<TailedParts> SplitTailed(std::string_view bytes, std::string_view table,
                                std::string_view key);

}  // namespace commerce
