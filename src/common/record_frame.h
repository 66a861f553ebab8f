// The frame around every stored record (the record codec, codec.h, writes it): a checksum,
// so that a damaged value is Corruption naming its table and key, never wrong data.
//
// The frame (codec version 2, every record written since):
//
//   byte 0      0xC5      kFramedRecord: no record of codec version 1 starts with it
//   byte 1      0x02      the frame's format
//   bytes 2..5  u32 LE    RecordChecksum (checksum.h) of the archive
//   bytes 6..   the archive
//
// Codec version 1 (stores written before checksums) stored the bare archive. Its first four
// bytes are the outermost record type's class version as a u32 LE, and every record type was
// at version 1 then: 01 00 00 00. Decode still reads those records (without a checksum to
// check); they gain one when next written. Framed and bare records are told apart by their
// first two bytes, and no single damaged byte turns one into the other: a frame starts
// C5 02, a bare record 01 00.
//
// Nothing here knows cereal: the offline checker (commerce verify) checks frames without
// decoding records. Thread-safe, no state.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "commerce/status.h"

namespace commerce {

inline constexpr unsigned char kFramedRecord = 0xC5;
inline constexpr unsigned char kFrameFormat = 0x02;
inline constexpr size_t kFrameHeader = 6;

// How a stored value is framed, before its archive is decoded.
enum class RecordFraming { kFramed, kBare, kUnknown };
RecordFraming FramingOf(std::string_view bytes);

// Checks a stored value's frame and checksum and returns its archive (or, for a bare record
// of codec version 1, the whole value). Corruption names `table` and the key
// (DescribeKey(key)) and says what is wrong. *framed, when given, says which it was.
Result<std::string_view> RecordArchive(std::string_view bytes, std::string_view table,
                                       std::string_view key, bool* framed = nullptr);

// The Corruption for a record that is framed and checksummed correctly but does not decode
// (bytes left over, a field out of range): table, key and what.
Status RecordCorruption(std::string_view table, std::string_view key, std::string_view what);

}  // namespace commerce
