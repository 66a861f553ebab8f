// Generated identifiers ("ord-3f9a0c1d22e4b7a1"): a prefix and hex digits from the OS random
// source (getrandom), so ids are unique without coordination and unguessable. The bytes are
// drawn 4 KiB at a time per thread and each given out once (ids.cpp says why that keeps them
// unguessable); a forked child draws its own.
//
// Thread safety: RandomId may be called from any thread.
#pragma once

#include <string>
#include <string_view>

#include "commerce/status.h"

namespace commerce {

// `prefix` and 2 * `bytes` hex digits. 8 bytes (64 bits) for names; 16 bytes (128 bits) for
// ids that are capabilities (a cart id, an order's access token): whoever holds one may act
// with it, so it must stay unguessable however many are made and probed.
inline constexpr size_t kCapabilityBytes = 16;
std::string RandomId(std::string_view prefix, size_t bytes = 8);

// The rule for ids given by callers (products, SKUs, warehouses, customers, carts, orders,
// idempotency keys, stock refs, webhooks): 1..max_bytes bytes of UTF-8, no control
// characters, no leading or trailing spaces. `what` names the field in the error
// ("warehouse_id: invalid UTF-8 at byte 3; ...").
Status CheckIdentifier(std::string_view what, std::string_view id, size_t max_bytes = 64);

}  // namespace commerce
