// Placing an order inside one mutation: the idempotency check, the customer, the lines (from
// the request or the cart), catalog prices, stock in every active warehouse, allocation,
// pricing, then the writes — the order, its indexes, the idempotency record, OrderPlaced,
// one StockReserved per reservation and, for a cart order, the cleared cart. Any error
// returns before the mutation commits, so the whole placement is all or nothing.
//
// Thread safety: these functions run inside one transaction, on that transaction's thread.
#pragma once

#include <string>

#include "commerce/order.h"
#include "commerce/pricing.h"
#include "commerce/storage.h"
#include "engine/engine_core.h"

namespace commerce {

struct Placement {
  Order order;
  // True when the idempotency key returned an order placed before: nothing was written.
  bool replayed = false;
};

// REQUIRES: ValidatePlaceOrder(r) is OK; `order_id` is fresh ("ord-" + 16 hex digits) and
// chosen outside the mutation, so a rerun of the mutation places the same order; `fingerprint`
// is RequestFingerprint(r).
//
// Errors: Conflict (key reused for another request), NotFound (customer, SKU or cart),
// InvalidArgument (a product not active, a currency mismatch, amounts past kMaxMoneyMinor),
// FailedPrecondition (empty cart, another customer's cart), OutOfStock (naming the SKU and
// what is available in total), or the pricing policy's error.
Status PlaceOrderInTxn(WriteTxn& txn, const Tables& t, const PricingPolicy& pricing,
                       const PlaceOrder& r, const std::string& order_id,
                       const std::string& fingerprint, int64_t now_ms, Placement* out);

}  // namespace commerce
