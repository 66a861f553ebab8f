// What promotions take off a set of priced lines, read from one view: the promotions, the
// coupons given with their uses, the lines' categories. Shared by cart pricing
// (Promotions::price_cart) and order placement (order_placement.cpp), so that a cart shows
// what its order gets.
//
// With a ChangeSet (placement), each coupon used adds its checked changes to it: one more use
// in coupon_uses bounded by usage_limit, and one in coupon_customer_uses bounded by
// per_customer_limit (promotion_store.h, CouponUseChange). The bounds are checked on the
// counts current when the writer applies the set, so when the last use is taken by another
// order in between, the set's check fails and the caller prepares again: the newer snapshot
// shows the coupon used up (FailedPrecondition), as stock shows OutOfStock.
//
// Reads that are not checked: the promotions and the coupons' records (an edit racing an
// order may not be seen by it; the uses always are). The customer's group is read by the
// caller: placement expects the customer record unchanged at commit (order_placement.cpp).
//
// Thread safety: reads `view` on the calling thread.
#pragma once

#include <string>
#include <vector>

#include "commerce/storage.h"
#include "engine/engine_core.h"
#include "promotions/discount_rules.h"

namespace commerce {

struct DiscountedLine {
  std::string sku;
  std::string product_id;
  int64_t quantity = 0;
  int64_t unit_minor = 0;
  int64_t total_minor = 0;
};

struct DiscountRequest {
  std::string currency;
  std::string customer_id;                // "": a guest
  std::string customer_group;             // the customer's group ("": none), as read by the caller
  std::string channel;                    // the cart's or order's channel ("": none)
  std::vector<std::string> coupon_codes;  // normalized (NormalizeCouponCodes)
  int64_t now_ms = 0;
  std::vector<DiscountedLine> lines;
};

// NotFound for an unknown or inactive coupon; FailedPrecondition for one used up or that does
// not apply; Corruption for a coupon naming a promotion that does not exist.
Result<DiscountOutcome> PrepareDiscounts(ReadView& view, const Tables& t, const DiscountRequest& r,
                                         ChangeSet* changes);

}  // namespace commerce
