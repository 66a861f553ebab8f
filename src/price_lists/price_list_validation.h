// Checks of a price list and of a price context before anything is read or written. Errors
// are InvalidArgument naming the field ("entries[3].price_minor: ...").
//
// Thread safety: pure functions.
#pragma once

#include "commerce/price_lists.h"
#include "commerce/status.h"

namespace commerce {

// Every field but the entries' SKUs existing (the writer checks those against the catalog).
// REQUIRES nothing of `l.id` being set (create generates one when it is empty).
Status ValidatePriceList(const PriceList& l);
Status ValidatePriceContext(const PriceContext& ctx);

}  // namespace commerce
