// The stored form of warehouses and stock levels (cereal, versioned; see common/codec.h).
//
// A stock record's key is (sku, warehouse id) (see stock_store.h), so the value holds only
// the counts and the time of the last change; Decode fills sku and warehouse_id from the
// caller's key.
//
// Thread safety: pure functions.
#pragma once

#include <string>
#include <string_view>

#include "commerce/inventory.h"

namespace commerce {

std::string EncodeWarehouse(const Warehouse& w);
// `key` is the record's storage key, named by Corruption (common/codec.h).
Status DecodeWarehouse(std::string_view key, std::string_view bytes, Warehouse* w);

std::string EncodeStockLevel(const StockLevel& s);
// REQUIRES: s->sku and s->warehouse_id already set from the key.
Status DecodeStockLevel(std::string_view key, std::string_view bytes, StockLevel* s);

}  // namespace commerce
