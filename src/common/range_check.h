// The bound check every validator makes on a whole number, with the one message they all give.
#pragma once

#include <cstdint>
#include <string>

#include "commerce/status.h"

namespace commerce {

// OK, or InvalidArgument "field: v is not in lo..hi".
inline Status CheckRange(const std::string& field, int64_t v, int64_t lo, int64_t hi) {
  if (v < lo || v > hi)
    return Status::InvalidArgument(field + ": " + std::to_string(v) + " is not in " +
                                   std::to_string(lo) + ".." + std::to_string(hi));
  return Status::OK();
}

}  // namespace commerce
