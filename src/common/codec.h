// Values are cereal binary archives with a version per record type (CEREAL_CLASS_VERSION),
// so that records can evolve: a reader of version N decodes every version <= N.
//
// Encode/Decode wrap cereal so that its exceptions never leave the engine: a record that
// does not decode is Status::Corruption naming the record type.
#pragma once

#include <cereal/archives/binary.hpp>
#include <cereal/types/map.hpp>
#include <cereal/types/string.hpp>
#include <cereal/types/vector.hpp>
#include <istream>
#include <ostream>
#include <sstream>
#include <streambuf>
#include <string>
#include <string_view>

#include "commerce/status.h"

namespace commerce {

// An istream over bytes it does not own: decoding straight from a storage view, no copy.
class ViewStreamBuf : public std::streambuf {
 public:
  explicit ViewStreamBuf(std::string_view v) {
    char* p = const_cast<char*>(v.data());
    setg(p, p, p + v.size());
  }
};

template <typename T>
std::string Encode(const T& value) {
  std::ostringstream out(std::ios::binary);
  {
    cereal::BinaryOutputArchive ar(out);
    ar(value);
  }
  return std::move(out).str();
}

template <typename T>
Status Decode(std::string_view bytes, T* value, const char* what) {
  ViewStreamBuf buf(bytes);
  std::istream in(&buf);
  try {
    cereal::BinaryInputArchive ar(in);
    ar(*value);
  } catch (const std::exception& e) {
    return Status::Corruption(std::string(what) + " record does not decode (" +
                              std::to_string(bytes.size()) + " bytes): " + e.what());
  }
  return Status::OK();
}

}  // namespace commerce
