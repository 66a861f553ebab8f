#include "common/record_frame.h"

#include <cstdio>

#include "common/checksum.h"
#include "common/key.h"

namespace commerce {

namespace {

std::string Hex32(uint32_t v) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%08x", v);
  return buf;
}

std::string HexPrefix(std::string_view bytes) {
  std::string out;
  char buf[4];
  for (size_t i = 0; i < bytes.size() && i < 8; ++i) {
    std::snprintf(buf, sizeof buf, "%02x", static_cast<unsigned char>(bytes[i]));
    out += buf;
  }
  return out.empty() ? "(empty)" : out;
}

}  // namespace

RecordFraming FramingOf(std::string_view bytes) {
  if (bytes.size() >= 2 && static_cast<unsigned char>(bytes[0]) == kFramedRecord)
    return RecordFraming::kFramed;
  if (bytes.size() >= 4 && bytes[0] == '\x01' && bytes[1] == '\0' && bytes[2] == '\0' &&
      bytes[3] == '\0')
    return RecordFraming::kBare;
  return RecordFraming::kUnknown;
}

Status RecordCorruption(std::string_view table, std::string_view key, std::string_view what) {
  return Status::Corruption(std::string(table) + " " + DescribeKey(key) + ": " + std::string(what) +
                            ": the stored record is damaged (commerce verify --data DIR lists every "
                            "damaged record; restore the store from a backup: docs/storage.md)");
}

Result<std::string_view> RecordArchive(std::string_view bytes, std::string_view table,
                                       std::string_view key, bool* framed) {
  switch (FramingOf(bytes)) {
    case RecordFraming::kFramed: {
      if (static_cast<unsigned char>(bytes[1]) != kFrameFormat)
        return RecordCorruption(table, key, "unknown record frame format " +
                                                std::to_string(static_cast<unsigned char>(bytes[1])));
      if (bytes.size() < kFrameHeader)
        return RecordCorruption(table, key, "record of " + std::to_string(bytes.size()) +
                                                " bytes is shorter than its frame");
      uint32_t stored = 0;
      for (int i = 0; i < 4; ++i)
        stored |= static_cast<uint32_t>(static_cast<unsigned char>(bytes[2 + i])) << (8 * i);
      std::string_view archive = bytes.substr(kFrameHeader);
      const uint32_t computed = RecordChecksum(archive);
      if (stored != computed)
        return RecordCorruption(table, key, "checksum mismatch (stored " + Hex32(stored) +
                                                ", computed " + Hex32(computed) + " over " +
                                                std::to_string(archive.size()) + " bytes)");
      if (framed) *framed = true;
      return archive;
    }
    case RecordFraming::kBare:
      if (framed) *framed = false;
      return bytes;
    case RecordFraming::kUnknown:
      break;
  }
  return RecordCorruption(table, key, "not a record (" + std::to_string(bytes.size()) +
                                          " bytes starting " + HexPrefix(bytes) + ")");
}

}  // namespace commerce
