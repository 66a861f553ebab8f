// The stored form of products and categories (cereal, versioned; see common/codec.h).
#pragma once

#include <string>
#include <string_view>

#include "commerce/catalog.h"

namespace commerce {

std::string EncodeProduct(const Product& p);
// `key` is the record's storage key, named by Corruption (common/codec.h).
Status DecodeProduct(std::string_view key, std::string_view bytes, Product* p);
// The same record as stored under a SKU in `sku_products` (Corruption names that table).
Status DecodeSkuProduct(std::string_view key, std::string_view bytes, Product* p);
std::string EncodeCategory(const Category& c);
Status DecodeCategory(std::string_view key, std::string_view bytes, Category* c);

}  // namespace commerce
