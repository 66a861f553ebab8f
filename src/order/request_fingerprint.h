// The fingerprint of an order request, kept with its idempotency key so that a retry can be
// told from a different request reusing the key (order.h: same key + same request -> the
// same order; same key + different request -> Conflict).
//
// It covers everything the caller chose: customer, cart id, lines (sorted by SKU, so a retry
// that lists the same lines in another order is the same request), address and currency.
// It does not cover the cart's contents: a retry of a cart order after the cart was cleared
// by the first attempt must still find the first order.
//
// 64 bits of FNV-1a over a length-prefixed encoding, finished with a strong mixer. Not a
// security boundary: keys are scoped to the customer, so only the customer's own client can
// make two requests collide, and an accidental collision has odds near 2^-64.
//
// Thread safety: a pure function.
#pragma once

#include <string>

#include "commerce/order.h"

namespace commerce {

// 16 lower-case hex digits.
std::string RequestFingerprint(const PlaceOrder& r);

}  // namespace commerce
