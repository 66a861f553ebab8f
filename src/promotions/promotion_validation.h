// Checks of promotions and coupons before anything is read or written: every field in its
// range, each action with the amounts it needs. Errors are InvalidArgument naming the field.
//
// Thread safety: pure functions.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "commerce/promotions.h"
#include "commerce/status.h"

namespace commerce {

// REQUIRES nothing of `p.id` being set (create generates one when it is empty).
Status ValidatePromotion(const Promotion& p);
Status ValidateCoupon(const Coupon& c);
// The stored form of a code: upper case. InvalidArgument (naming `what`) for a code that is
// empty, longer than 64 or not of A-Z a-z 0-9 '-' '_'.
Result<std::string> NormalizeCouponCode(std::string_view what, std::string_view code);
// Each code normalized, at most kMaxCouponCodes, none twice.
Result<std::vector<std::string>> NormalizeCouponCodes(const std::vector<std::string>& codes);

}  // namespace commerce
