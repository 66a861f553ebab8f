// cereal archives over memory: the byte format of cereal's BinaryOutputArchive /
// BinaryInputArchive, without std::ostream / std::istream in between. Decoding a product
// straight from a storage view this way avoids a stream (and its locale) per record and a
// virtual call per field — the cost that dominated reading a product by SKU.
#pragma once

#include <cereal/cereal.hpp>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "common/utf8.h"

namespace commerce {

class MemoryOutputArchive
    : public cereal::OutputArchive<MemoryOutputArchive, cereal::AllowEmptyClassElision> {
 public:
  explicit MemoryOutputArchive(std::string* out)
      : cereal::OutputArchive<MemoryOutputArchive, cereal::AllowEmptyClassElision>(this), out_(out) {}
  void saveBinary(const void* data, std::streamsize size) {
    if (size == 0) return;  // an empty vector's data() may be null
    out_->append(static_cast<const char*>(data), static_cast<size_t>(size));
  }

 private:
  std::string* out_;
};

class MemoryInputArchive
    : public cereal::InputArchive<MemoryInputArchive, cereal::AllowEmptyClassElision> {
 public:
  explicit MemoryInputArchive(std::string_view in)
      : cereal::InputArchive<MemoryInputArchive, cereal::AllowEmptyClassElision>(this), in_(in) {}
  void loadBinary(void* const data, std::streamsize size) {
    auto n = static_cast<size_t>(size);
    if (n > in_.size())
      throw cereal::Exception("record ends early: wanted " + std::to_string(n) + " bytes, " +
                              std::to_string(in_.size()) + " left");
    // An empty vector's data() is null, and memcpy's pointers must not be, even for 0 bytes.
    if (n == 0) return;
    std::memcpy(data, in_.data(), n);
    in_.remove_prefix(n);
  }
  size_t remaining() const { return in_.size(); }

 private:
  std::string_view in_;
};

template <class T>
inline typename std::enable_if<std::is_arithmetic<T>::value, void>::type CEREAL_SAVE_FUNCTION_NAME(
    MemoryOutputArchive& ar, T const& t) {
  ar.saveBinary(std::addressof(t), sizeof(t));
}
template <class T>
inline typename std::enable_if<std::is_arithmetic<T>::value, void>::type CEREAL_LOAD_FUNCTION_NAME(
    MemoryInputArchive& ar, T& t) {
  ar.loadBinary(std::addressof(t), sizeof(t));
}
template <class Archive, class T>
inline CEREAL_ARCHIVE_RESTRICT(MemoryInputArchive, MemoryOutputArchive)
    CEREAL_SERIALIZE_FUNCTION_NAME(Archive& ar, cereal::NameValuePair<T>& t) {
  ar(t.value);
}
template <class T>
inline void CEREAL_SAVE_FUNCTION_NAME(MemoryOutputArchive& ar, cereal::SizeTag<T> const& t) {
  ar(t.size);
}
// A string's or a list's length, read before its elements: never more than the bytes left, as
// every element we store takes at least one byte. cereal's string and vector loads resize to
// the length before reading an element, so without this a damaged length (a bare record of
// codec version 1 has no checksum; fuzz_records found it) allocated and filled up to the
// length's worth of memory -- gigabytes for a few damaged bytes -- before failing.
template <class T>
inline void CEREAL_LOAD_FUNCTION_NAME(MemoryInputArchive& ar, cereal::SizeTag<T>& t) {
  ar(t.size);
  if (t.size > ar.remaining())
    throw cereal::Exception("a length of " + std::to_string(t.size) + " elements where only " +
                            std::to_string(ar.remaining()) + " bytes are left");
}
template <class T>
inline void CEREAL_SAVE_FUNCTION_NAME(MemoryOutputArchive& ar, cereal::BinaryData<T> const& bd) {
  ar.saveBinary(bd.data, static_cast<std::streamsize>(bd.size));
}
template <class T>
inline void CEREAL_LOAD_FUNCTION_NAME(MemoryInputArchive& ar, cereal::BinaryData<T>& bd) {
  ar.loadBinary(bd.data, static_cast<std::streamsize>(bd.size));
}

// The strings of records decoded on this thread that were not UTF-8, counted only while a
// Utf8Audit is alive (commerce verify; normal reads pay one thread-local test per string).
// cereal loads every std::string as BinaryData<char*>, and nothing else of ours as that.
struct Utf8Audit {
  Utf8Audit() { active() = true, bad_strings() = 0; }
  ~Utf8Audit() { active() = false; }
  Utf8Audit(const Utf8Audit&) = delete;
  Utf8Audit& operator=(const Utf8Audit&) = delete;
  static bool& active() {
    thread_local bool on = false;
    return on;
  }
  static uint64_t& bad_strings() {
    thread_local uint64_t n = 0;
    return n;
  }
};

inline void CEREAL_LOAD_FUNCTION_NAME(MemoryInputArchive& ar, cereal::BinaryData<char*>& bd) {
  ar.loadBinary(bd.data, static_cast<std::streamsize>(bd.size));
  if (Utf8Audit::active() && !IsValidUtf8(std::string_view(static_cast<const char*>(bd.data), bd.size)))
    ++Utf8Audit::bad_strings();
}

}  // namespace commerce

CEREAL_REGISTER_ARCHIVE(commerce::MemoryOutputArchive)
CEREAL_REGISTER_ARCHIVE(commerce::MemoryInputArchive)
CEREAL_SETUP_ARCHIVE_TRAITS(commerce::MemoryInputArchive, commerce::MemoryOutputArchive)
