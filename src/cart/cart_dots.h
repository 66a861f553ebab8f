// How many dots a cart state records: its adds plus its removed dots, the count that
// kMaxCartDots and kMaxMergedCartDots bound (commerce/cart.h). Shared by the pure CartState
// functions and Carts::merge.
#pragma once

#include <cstddef>

#include "commerce/cart.h"

namespace commerce {

inline size_t DotCount(const CartState& s) {
  size_t n = 0;
  for (const auto& [sku, line] : s.lines) n += line.adds.size() + line.removed.size();
  return n;
}

}  // namespace commerce
