// The stored forms of orders and idempotency records (cereal, versioned; common/codec.h).
//
// Thread safety: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "commerce/order.h"

namespace commerce {

// An order as stored: the order and its placement sequence, which is its position in the
// customer and status indexes (order_store.h) and is needed to move it between them.
struct StoredOrder {
  Order order;
  uint64_t seq = 0;
};

std::string EncodeOrder(const StoredOrder& o);
// `key` is the record's storage key, named by Corruption (common/codec.h).
Status DecodeOrder(std::string_view key, std::string_view bytes, StoredOrder* o);

// What an idempotency key maps to (order_store.h).
struct OrderKeyRecord {
  std::string order_id;
  std::string fingerprint;  // request_fingerprint.h
};

std::string EncodeOrderKey(const OrderKeyRecord& r);
Status DecodeOrderKey(std::string_view key, std::string_view bytes, OrderKeyRecord* r);

}  // namespace commerce
