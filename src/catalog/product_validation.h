// The rules a product or category must meet before anything is written (catalog.h).
//
// Every violation is an InvalidArgument whose message starts with the path of the field at
// fault, then ": " and what is wrong and what is expected:
//   "variants[2].sku: 65 bytes; expected at most 64 bytes"
//   "attributes.care: 10001 bytes; expected at most 10000 bytes"
// The importer splits the message at the first ": " into Rejection::field and ::reason, so
// the path must not itself contain ": ".
//
// Validation checks one record in isolation. What needs the store — that each category
// exists, that a SKU is not taken by another product — is checked by the engine.
//
// Thread safety: pure functions.
#pragma once

#include <string_view>

#include "commerce/catalog.h"
#include "commerce/status.h"
#include "common/utf8.h"  // IsValidUtf8

namespace commerce {

// Limits, in bytes of UTF-8 (not characters: a byte limit bounds storage and key sizes).
inline constexpr size_t kMaxIdBytes = 64;            // product id, SKU
inline constexpr size_t kMaxTitleBytes = 1000;
inline constexpr size_t kMaxDescriptionBytes = 100'000;
inline constexpr size_t kMaxBrandBytes = 200;
inline constexpr size_t kMaxBarcodeBytes = 64;
inline constexpr size_t kMaxVariants = 1000;
inline constexpr size_t kMaxOptionNameBytes = 100;
inline constexpr size_t kMaxOptionValueBytes = 200;
inline constexpr size_t kMaxAttributeKeyBytes = 100;
inline constexpr size_t kMaxAttributeValueBytes = 10'000;
inline constexpr size_t kMaxCategoriesPerProduct = 100;
inline constexpr size_t kMaxCategoryIdBytes = 512;
inline constexpr size_t kMaxCategoryNameBytes = 200;

// OK, or InvalidArgument naming the first field at fault. Ignores the engine-set fields
// (created_at_ms, updated_at_ms, version).
Status ValidateProduct(const Product& p);

// OK, or InvalidArgument naming the field. parent_id may be "" (the engine derives it) or
// must equal the id's parent.
Status ValidateCategory(const Category& c);

// InvalidArgument "field: reason": the form of every catalog validation error.
Status Invalid(std::string_view field, std::string_view reason);

// The parent of a category id: "a/b" -> "a", "a" -> "".
std::string_view CategoryParentId(std::string_view id);

}  // namespace commerce
