#include "common/checksum.h"

// Header-only use: the hash is compiled into the library, so neither the installed package
// nor its pkg-config file gains a link dependency.
#define XXH_INLINE_ALL
#include <xxhash.h>

namespace commerce {

uint32_t RecordChecksum(std::string_view bytes) {
  return static_cast<uint32_t>(XXH3_64bits(bytes.data(), bytes.size()));
}

}  // namespace commerce
