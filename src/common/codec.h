// Values are cereal binary archives with a version per record type (CEREAL_CLASS_VERSION),
// so that records can evolve: a reader of version N decodes every version <= N.
//
// The archives are cereal's binary format written and read straight from memory
// (memory_archive.h). Encode/Decode wrap cereal so that its exceptions never leave the engine: a record that
// does not decode is Status::Corruption naming the record type.
#pragma once

#include <cereal/types/map.hpp>
#include <cereal/types/string.hpp>
#include <cereal/types/vector.hpp>
#include <string>
#include <string_view>

#include "commerce/status.h"
#include "common/memory_archive.h"

namespace commerce {

template <typename T>
std::string Encode(const T& value) {
  std::string out;
  {
    MemoryOutputArchive ar(&out);
    ar(value);
  }
  return out;
}

template <typename T>
Status Decode(std::string_view bytes, T* value, const char* what) {
  try {
    MemoryInputArchive ar(bytes);
    ar(*value);
    if (ar.remaining() != 0)
      return Status::Corruption(std::string(what) + " record has " +
                                std::to_string(ar.remaining()) + " bytes after its end");
  } catch (const std::exception& e) {
    return Status::Corruption(std::string(what) + " record does not decode (" +
                              std::to_string(bytes.size()) + " bytes): " + e.what());
  }
  return Status::OK();
}

}  // namespace commerce
