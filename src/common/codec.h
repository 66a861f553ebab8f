// Stored records: a cereal binary archive (a version per record type, CEREAL_CLASS_VERSION, so
// that records evolve: a reader of version N decodes every version <= N) in a checksummed
// frame, so that a damaged value is Corruption naming its table and key, never wrong data.
//
// The frame and how records of codec version 1 (no frame) are told apart: record_frame.h.
//
// The archives are cereal's binary format written and read straight from memory
// (memory_archive.h). Encode/Decode wrap cereal so that its exceptions never leave the
// engine.
#pragma once

#include <cereal/types/map.hpp>
#include <cereal/types/string.hpp>
#include <cereal/types/vector.hpp>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "commerce/status.h"
#include "common/checksum.h"
#include "common/memory_archive.h"
#include "common/record_frame.h"

namespace commerce {

template <typename T>
std::string Encode(const T& value) {
  std::string out(kFrameHeader, '\0');
  {
    MemoryOutputArchive ar(&out);
    ar(value);
  }
  const uint32_t sum = RecordChecksum(std::string_view(out).substr(kFrameHeader));
  out[0] = static_cast<char>(kFramedRecord);
  out[1] = static_cast<char>(kFrameFormat);
  for (int i = 0; i < 4; ++i) out[2 + i] = static_cast<char>(sum >> (8 * i));
  return out;
}

// Decodes the value stored under `key` in `table` into *value. Every failure is Corruption
// naming the table and the key: a bad frame or checksum, an archive that ends early or has
// bytes after its end, a field cereal refuses.
template <typename T>
Status Decode(std::string_view bytes, T* value, std::string_view table, std::string_view key) {
  auto archive = RecordArchive(bytes, table, key);
  if (!archive.ok()) return archive.status();
  try {
    MemoryInputArchive ar(*archive);
    ar(*value);
    if (ar.remaining() != 0)
      return RecordCorruption(table, key, std::to_string(ar.remaining()) +
                                              " bytes after the record's end");
  } catch (const std::exception& e) {
    return RecordCorruption(table, key, std::string("the record does not decode (") +
                                            std::to_string(bytes.size()) + " bytes): " + e.what());
  }
  return Status::OK();
}

}  // namespace commerce
