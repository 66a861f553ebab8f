// The catalog's work inside a transaction, shared by single writes (catalog.cpp) and bulk
// import (catalog_import.cpp) so that both keep the same indexes, counters and events.
#pragma once

#include <set>
#include <string>
#include <vector>

#include "commerce/catalog.h"
#include "commerce/storage.h"
#include "engine/engine_core.h"

namespace commerce {

// Writes `p` (already validated) with its indexes, counters and a ProductUpserted event.
// On success `p` holds the stored form (version, timestamps). A product equal to the stored
// one in everything but the engine-set fields writes nothing — no record, no event, so no
// index or webhook work — and sets *unchanged (when given); `p` is then the stored product.
Status UpsertProductInTxn(WriteTxn& txn, const Tables& t, Product& p, WriteCondition cond,
                          int64_t now_ms, bool* unchanged = nullptr);

// Makes sure every category on `path` (display names, root first) exists, creating those
// that do not; returns the leaf's id and counts creations into *created.
Result<std::string> EnsureCategoryPathInTxn(WriteTxn& txn, const Tables& t,
                                            const std::vector<std::string>& path,
                                            int64_t now_ms, uint64_t* created);

Status UpsertCategoryInTxn(WriteTxn& txn, const Tables& t, const Category& c, int64_t now_ms,
                           bool* created);

Result<Product> GetProduct(ReadView& view, const Tables& t, std::string_view id);
// The product that has `sku`: one lookup in `sku_products`, or, for a product last written
// before that table existed, `skus` then `products`. NotFound "no product has sku 'x'";
// Corruption naming the table and key when the record is damaged or lacks the SKU.
Result<Product> GetProductBySku(ReadView& view, const Tables& t, std::string_view sku);
// NotFound "no category with id 'x'"; Corruption naming the category (common/record.h).
Result<Category> GetCategory(ReadView& view, const Tables& t, std::string_view id);

// The categories a product is listed under in `category_products`: each of its categories
// and every ancestor of each, so that browsing a department shows everything below it.
std::set<std::string> ListedUnder(const Product& p);

// Counters kept in the meta table.
inline constexpr const char* kProductsCounter = "products";
inline constexpr const char* kSkusCounter = "skus";
inline constexpr const char* kCategoriesCounter = "categories";
Result<uint64_t> ReadCounter(ReadView& view, const Tables& t, const char* name);
Status AddToCounter(WriteTxn& txn, const Tables& t, const char* name, int64_t delta);

}  // namespace commerce
