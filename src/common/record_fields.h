// Field helpers for the records that are written field by field from private wrappers
// (payments, returns): an enum stored as one byte and a list's length, each checked on load,
// so that a damaged record decodes to Corruption (the exception becomes it in Decode,
// codec.h), never to an enum value that does not exist or a list of a billion entries.
//
// Thread safety: pure functions over the archive in hand.
#pragma once

#include <cereal/cereal.hpp>
#include <cstdint>
#include <stdexcept>
#include <string>

namespace commerce {

// `e` as one byte; on load, a byte past `last` throws naming `what`.
template <class Ar, class E, class Last>
void IoEnum(Ar& ar, E& e, Last last, const char* what) {
  if constexpr (Ar::is_loading::value) {
    uint8_t b = 0;
    ar(b);
    if (b > static_cast<uint8_t>(last)) throw std::runtime_error(std::string("unknown ") + what + " " + std::to_string(b));
    e = static_cast<Last>(b);
  } else {
    ar(static_cast<uint8_t>(e));
  }
}

// The length of `v`; on load, v is resized to it, and more than `max` entries throws naming
// `what`. The caller then reads or writes each entry.
template <class Ar, class V>
void IoListSize(Ar& ar, V& v, size_t max, const char* what) {
  if constexpr (Ar::is_loading::value) {
    cereal::size_type n = 0;
    ar(cereal::make_size_tag(n));
    if (n > max) throw std::runtime_error("list of " + std::to_string(n) + " " + what);
    v.resize(static_cast<size_t>(n));
  } else {
    ar(cereal::make_size_tag(static_cast<cereal::size_type>(v.size())));
  }
}

}  // namespace commerce
