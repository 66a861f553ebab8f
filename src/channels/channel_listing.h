// A page of the products a channel shows (Catalog::list and list_by_category with
// ListOptions::channel), read through the channel's own rules rather than by filtering the
// whole catalog.
//
// The visible products are a union of sorted sources, merged by product id:
//   - the whole catalog (a channel without rules): the products table;
//   - each of its `category_ids`: that category's range of the category_products index (which
//     lists a product under each of its categories and every ancestor, so sub-categories are
//     in it);
//   - its `product_ids`, sorted in memory (the channel record is read anyway).
// minus `excluded_product_ids`. Each round reads, in one ReadView::read_many, at most
// limit + 1 keys past the cursor from every range, then at most limit + 1 of the candidates'
// products in one get_many: a page costs O(sources x limit) index keys and O(limit) products,
// whatever the catalog's size. A candidate is safe to list only up to the smallest last key of
// a range that was cut off; a round that filters candidates out (excluded, archived) goes on
// from there.
//
// Within a category (list_by_category): when the channel shows the whole category (no rules,
// or one of its categories is the category or an ancestor) the category's range is the
// listing, at the same cost. Otherwise the channel shows part of it — a product may be in the
// category and, through another of its categories, in the channel — and the category's range
// is read with each product checked (channels.h's rule): a page then costs the category's
// products read until it fills, at most the category's size, never the catalog's.
//
// Thread safety: as the ReadView it reads from (one thread).
#pragma once

#include <string_view>

#include "commerce/catalog.h"
#include "commerce/channels.h"
#include "commerce/storage.h"
#include "engine/engine_core.h"

namespace commerce {

// The page of `c`'s products after options.cursor (by product id), those under `category_id`
// too when it is not empty (the caller checked it exists). options.channel is not looked at.
Result<Page<Product>> ListChannelProducts(ReadView& view, const Tables& t, const Channel& c,
                                          std::string_view category_id, const ListOptions& options);

}  // namespace commerce
