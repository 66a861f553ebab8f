// The rule for the short keys that select price lists: a customer group (customer.h) and a
// channel (cart.h, order.h, price_lists.h). They are compared byte for byte, shown in URLs'
// query strings and typed by merchants, so they are kept to a plain alphabet.
#pragma once

#include <string_view>

#include "commerce/status.h"

namespace commerce {

inline constexpr size_t kMaxSelectorKeyBytes = 64;

// OK for "" (none) and for 1..kMaxSelectorKeyBytes of A-Z a-z 0-9 '-' '_'; otherwise
// InvalidArgument starting with `field` ("group: ...").
Status CheckSelectorKey(std::string_view field, std::string_view value);

}  // namespace commerce
