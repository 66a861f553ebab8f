// The checksum that protects every stored record (codec.h): the low 32 bits of XXH3-64
// (xxHash, Debian's libxxhash-dev). Chosen over CRC32C for speed on the short records the
// engine stores (a stock row is ~30 bytes, a product ~500) without hand-written SIMD; 32 bits
// miss random damage with probability 2^-32, which is what a per-record check needs.
// Thread-safe, no state.
#pragma once

#include <cstdint>
#include <string_view>

namespace commerce {

uint32_t RecordChecksum(std::string_view bytes);

}  // namespace commerce
