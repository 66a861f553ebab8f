// SipHash-2-4 (Aumasson and Bernstein, 2012): a keyed hash with a 128-bit key and a 64-bit
// output, a pseudo-random function meant for short inputs. The engine uses it where a value
// handed to a client must come back unaltered and unforgeable without a store lookup (search
// ids, search/search_id.h): whoever lacks the key cannot make a tag that checks, except by a
// 2^-64 guess. Cheaper per call than HMAC-SHA256 on short inputs (no key pads, no 64-byte
// blocks): tens of nanoseconds for a product id.
//
// Thread safety: a pure function.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

namespace commerce {

using SipKey = std::array<uint64_t, 2>;  // k0, k1: the key's 16 bytes read little-endian

// The key from 16 bytes (little-endian halves, as the reference implementation reads them).
SipKey SipKeyFromBytes(const unsigned char bytes[16]);

// SipHash-2-4 of `data` under `key`, the 64-bit output as the reference returns it.
uint64_t SipHash24(const SipKey& key, std::string_view data);

}  // namespace commerce
