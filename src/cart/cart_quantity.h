// The one rule for a quantity a cart call takes: min..kMaxQuantity (min is 1 for add, 0 for
// set_quantity, where 0 removes the line). Shared by the pure CartState functions and the
// Carts API, which checks before it touches storage.
#pragma once

#include <cstdint>

#include "commerce/status.h"

namespace commerce {

Status CheckCartQuantity(int64_t quantity, int64_t min);

}  // namespace commerce
