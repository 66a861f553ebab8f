// The checks on an order request that need no store, run before anything is written. Each
// failure is InvalidArgument whose message starts with the path of the field at fault:
//   "lines[2].quantity: 0; expected 1..1000000"
//   "shipping_address.region: is empty"
//
// Thread safety: pure functions.
#pragma once

#include <string_view>

#include "commerce/order.h"

namespace commerce {

inline constexpr size_t kMaxOrderLines = 500;
inline constexpr size_t kMaxIdempotencyKeyBytes = 128;
inline constexpr size_t kMaxTransitionNoteBytes = 500;

// Everything about `r` that can be checked alone: the idempotency key, the customer id, a
// cart or lines (not both, not neither), each line, duplicate SKUs (rejected: give each SKU
// once with its total quantity), the address (by the customers engine's rules, so that any
// address a customer has saved can be shipped to) and the currency.
Status ValidatePlaceOrder(const PlaceOrder& r);

// Note length; restock only with kReturned.
Status ValidateTransition(OrderStatus to, const TransitionOptions& o);

// limit 1..1000; the cursor is checked where it is decoded.
Status ValidateListOptions(const OrderListOptions& o);

}  // namespace commerce
