// Placing an order as one checked change set (storage.h, "Checked changes"; docs/storage.md).
//
// PreparePlacement runs on the caller's thread against a snapshot: the idempotency check, the
// customer, the lines (from the request or the cart), catalog prices, stock in every active
// warehouse, allocation and pricing; then it builds the change set the writer applies all or
// nothing, in one commit:
//   - expect: each product read (its price and status must be those it was priced at) and,
//     for a cart order, the cart (its lines must be those ordered);
//   - insert: the idempotency key (a concurrent retry of the same key finds it taken) and the
//     order id;
//   - add: one conditional change per reservation, `available >= q` then reserved += q, on
//     the counts current when the writer applies it -- not on those the snapshot showed, so
//     callers hammering one SKU do not abort each other;
//   - append: OrderPlaced, one StockReserved per reservation (its on_hand and reserved filled
//     in by the writer), CartUpdated for a cart order; plus the order and its two index
//     entries, which carry OrderPlaced's sequence (the placement sequence) in writer-filled
//     slots.
// Reads that are not checked: the customer (customers are never deleted) and the warehouses
// (a warehouse deactivated while an order is prepared may still receive it; the stock it
// reserves there is real).
//
// When a check fails the caller prepares again against a newer snapshot (EngineCore::Apply):
// a product changed -> the new price; stock gone -> another warehouse or OutOfStock; the key
// taken -> the replay of the other attempt's order.
//
// Thread safety: PreparePlacement reads `view` on its thread and builds `changes` there.
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

// REQUIRES: ValidatePlaceOrder(r) is OK; `order_id` is fresh ("ord-" + 16 hex digits), and
// `access_token` too ("ot_" + 32), both chosen once per placement, so that every preparation
// places the same order; `fingerprint`
// is RequestFingerprint(r). Sets *out and fills `changes` anew on every run: a replay leaves
// `changes` empty (nothing to write). `view` may be a snapshot or the writer's transaction.
//
// Errors: Conflict (key reused for another request), NotFound (customer, SKU or cart),
// InvalidArgument (a product not active, a currency mismatch, amounts past kMaxMoneyMinor),
// FailedPrecondition (empty cart, another customer's cart), OutOfStock (naming the SKU and
// what is available in total), or the pricing policy's error.
//
// `read_ahead` (a remote store): the reads are gathered into a few ReadView::read_many calls
// (PrefetchView) -- one for what the request names (the idempotency key, the customer, the
// cart, the request's SKUs and their stock), one for a cart's SKUs and stock, one for the
// products and warehouses those name -- instead of a round trip per key. The outcome is the
// same either way.
//
// `payment_provider` non-empty (payments.h): the order is placed in payment_pending, with its
// payment and the authorize entry of the payment outbox in the same change set.
//
// `slot_home` (EngineCore::slot_home): a split stock is reserved from this process's home slot
// first (stock_home_slot.h), so that two processes' orders touch different slot rows.
Status PreparePlacement(ReadView& view, bool read_ahead, const Tables& t,
                        const PricingPolicy& pricing, const PlaceOrder& r,
                        const std::string& order_id, const std::string& access_token,
                        const std::string& fingerprint, int64_t now_ms, ChangeSet& changes,
                        Placement* out, std::string_view payment_provider = {},
                        uint64_t slot_home = 0);

}  // namespace commerce
