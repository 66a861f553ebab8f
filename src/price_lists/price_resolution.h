// Which price applies (the rule in price_lists.h), shared by PriceLists::price, cart adds and
// order placement so that the three cannot disagree.
//
// Thread safety: pure functions.
#pragma once

#include <string_view>

#include "commerce/money.h"
#include "commerce/price_lists.h"
#include "price_lists/price_list_store.h"

namespace commerce {

// The price of `sku` for `ctx` (ctx.now_ms set: the caller chose the clock) from the SKU's
// rows and its variant's base price. FailedPrecondition, naming the SKU, the currency and the
// base price's currency, when nothing prices it in ctx.currency.
// REQUIRES: ValidatePriceContext(ctx) is OK.
Result<ResolvedPrice> ChoosePrice(std::string_view sku, const SkuPrices& rows, const Money& base,
                                  const PriceContext& ctx);

}  // namespace commerce
