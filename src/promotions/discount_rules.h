// The promotion rules as a pure function: which promotions apply to a set of priced lines,
// and what each takes off each line (promotions.h has the rules in words). Cart pricing and
// order placement both call ApplyPromotions, so a cart shows what its order will get.
//
// Amounts are integers in minor units; a percent is rounded half up per line; an amount
// spread over several lines (percent or fixed off the order, buy X get Y) goes in proportion
// to what is left of each, the remainders to the largest shares (ties: the earlier line), so
// the parts add up to the whole exactly.
//
// Thread safety: pure functions.
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "commerce/order.h"
#include "commerce/promotions.h"
#include "commerce/status.h"

namespace commerce {

// One line as the rules see it.
struct DiscountLine {
  std::string sku;
  std::set<std::string> categories;  // the product's categories and their ancestors
  int64_t quantity = 0;
  int64_t unit_minor = 0;
  int64_t total_minor = 0;  // unit_minor x quantity
};

// A promotion to consider, and the coupon code that brought it ("" for an automatic one).
struct DiscountCandidate {
  Promotion promotion;
  std::string coupon_code;
};

struct DiscountInput {
  std::string currency;
  std::string customer_id;  // "": a guest
  std::string customer_group;  // the customer's group; "": a guest or a customer in none
  std::string channel;         // the cart's or order's; "": none
  int64_t now_ms = 0;
  std::vector<DiscountLine> lines;
};

struct DiscountOutcome {
  std::vector<std::vector<LineDiscount>> lines;  // parallel to DiscountInput::lines
  std::vector<AppliedPromotion> applied;         // in the order they applied
  int64_t discount_minor = 0;
  bool free_shipping = false;
};

// Applies the candidates by priority (higher first, then id). An automatic candidate whose
// conditions fail is skipped; a coupon's is an error, FailedPrecondition naming the coupon
// and the condition (or, for an exclusive one or one after an exclusive one, the promotion
// it cannot be combined with). REQUIRES: each promotion passed ValidatePromotion.
Result<DiscountOutcome> ApplyPromotions(std::vector<DiscountCandidate> candidates,
                                        const DiscountInput& in);

}  // namespace commerce
