// The stored form of carts (cereal, versioned; see common/codec.h and cart_codec.cpp).
#pragma once

#include <string>
#include <string_view>

#include "cart/cart_store.h"

namespace commerce {

std::string EncodeCartRecord(const CartRecord& r);
// Corruption naming the table and `key` (the record's storage key) for bytes that are not a
// cart record.
Status DecodeCartRecord(std::string_view key, std::string_view bytes, CartRecord* r);

}  // namespace commerce
