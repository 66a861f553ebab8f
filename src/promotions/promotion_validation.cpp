#include "promotions/promotion_validation.h"

#include <algorithm>

#include "commerce/inventory.h"
#include "commerce/money.h"
#include "common/ids.h"
#include "common/range_check.h"
#include "common/selector_key.h"
#include "common/utf8.h"

namespace commerce {

namespace {

constexpr size_t kMaxTargets = 100;
constexpr size_t kMaxCustomers = 1000;

Status CheckList(const char* what, const std::vector<std::string>& v, size_t max) {
  if (v.size() > max)
    return Status::InvalidArgument(std::string(what) + ": " + std::to_string(v.size()) +
                                   " entries; at most " + std::to_string(max));
  for (size_t i = 0; i < v.size(); ++i)
    COMMERCE_RETURN_IF_ERROR(
        CheckIdentifier(std::string(what) + "[" + std::to_string(i) + "]", v[i], 200));
  return Status::OK();
}

// Groups and channels are selector keys (selector_key.h), compared byte for byte; a repeated
// one is a typo rather than a wish.
Status CheckSelectorList(const char* what, const std::vector<std::string>& v) {
  if (v.size() > kMaxTargets)
    return Status::InvalidArgument(std::string(what) + ": " + std::to_string(v.size()) +
                                   " entries; at most " + std::to_string(kMaxTargets));
  for (size_t i = 0; i < v.size(); ++i) {
    const std::string at = std::string(what) + "[" + std::to_string(i) + "]";
    if (v[i].empty()) return Status::InvalidArgument(at + ": empty");
    COMMERCE_RETURN_IF_ERROR(CheckSelectorKey(at, v[i]));
    if (std::find(v.begin(), v.begin() + i, v[i]) != v.begin() + i)
      return Status::InvalidArgument(at + ": '" + v[i] + "' is given twice");
  }
  return Status::OK();
}

// A tiered promotion's steps: 1..kMaxPromotionTiers, thresholds strictly ascending within the
// basis' range, each with exactly one amount.
Status CheckTiers(const Promotion& p) {
  if (p.tiers.empty()) return Status::InvalidArgument("tiers: a tiered promotion needs at least one tier");
  if (p.tiers.size() > kMaxPromotionTiers)
    return Status::InvalidArgument("tiers: " + std::to_string(p.tiers.size()) + " tiers; at most " +
                                   std::to_string(kMaxPromotionTiers));
  const int64_t max = p.tier_basis == PromotionTierBasis::kQuantity ? kMaxQuantity : kMaxMoneyMinor;
  for (size_t i = 0; i < p.tiers.size(); ++i) {
    const PromotionTier& tier = p.tiers[i];
    const std::string at = "tiers[" + std::to_string(i) + "]";
    COMMERCE_RETURN_IF_ERROR(CheckRange(at + ".threshold", tier.threshold, 1, max));
    if (i > 0 && tier.threshold <= p.tiers[i - 1].threshold)
      return Status::InvalidArgument(at + ".threshold: " + std::to_string(tier.threshold) +
                                     " is not above the tier before it (" +
                                     std::to_string(p.tiers[i - 1].threshold) +
                                     "); tiers go in ascending order");
    if ((tier.percent_bp != 0) == (tier.amount_minor != 0))
      return Status::InvalidArgument(at + ": give exactly one of percent_bp and amount_minor");
    if (tier.percent_bp != 0) COMMERCE_RETURN_IF_ERROR(CheckRange(at + ".percent_bp", tier.percent_bp, 1, 10000));
    else COMMERCE_RETURN_IF_ERROR(CheckRange(at + ".amount_minor", tier.amount_minor, 1, kMaxMoneyMinor));
  }
  return Status::OK();
}

}  // namespace

Status ValidatePromotion(const Promotion& p) {
  if (!p.id.empty()) COMMERCE_RETURN_IF_ERROR(CheckIdentifier("id", p.id));
  COMMERCE_RETURN_IF_ERROR(CheckIdentifier("name", p.name, 200));
  if (!IsKnownCurrency(p.currency))
    return Status::InvalidArgument("currency: '" + p.currency + "' is not an ISO 4217 code");
  COMMERCE_RETURN_IF_ERROR(CheckList("skus", p.skus, kMaxTargets));
  COMMERCE_RETURN_IF_ERROR(CheckList("categories", p.categories, kMaxTargets));
  COMMERCE_RETURN_IF_ERROR(CheckList("customer_ids", p.customer_ids, kMaxCustomers));
  COMMERCE_RETURN_IF_ERROR(CheckSelectorList("customer_groups", p.customer_groups));
  COMMERCE_RETURN_IF_ERROR(CheckSelectorList("channels", p.channels));
  COMMERCE_RETURN_IF_ERROR(CheckList("get_skus", p.get_skus, kMaxTargets));
  COMMERCE_RETURN_IF_ERROR(CheckList("get_categories", p.get_categories, kMaxTargets));
  COMMERCE_RETURN_IF_ERROR(CheckRange("min_subtotal_minor", p.min_subtotal_minor, 0, kMaxMoneyMinor));
  COMMERCE_RETURN_IF_ERROR(CheckRange("min_quantity", p.min_quantity, 0, kMaxQuantity));
  COMMERCE_RETURN_IF_ERROR(CheckRange("starts_at_ms", p.starts_at_ms, 0, INT64_MAX));
  COMMERCE_RETURN_IF_ERROR(CheckRange("ends_at_ms", p.ends_at_ms, 0, INT64_MAX));
  if (p.ends_at_ms > 0 && p.ends_at_ms <= p.starts_at_ms)
    return Status::InvalidArgument("ends_at_ms: must be after starts_at_ms");
  COMMERCE_RETURN_IF_ERROR(CheckRange("priority", p.priority, -1'000'000, 1'000'000));
  const bool percent = p.action == PromotionAction::kPercentOffLines ||
                       p.action == PromotionAction::kPercentOffOrder ||
                       p.action == PromotionAction::kBuyXGetY;
  const bool fixed = p.action == PromotionAction::kFixedOffLines ||
                     p.action == PromotionAction::kFixedOffOrder;
  const bool bxgy = p.action == PromotionAction::kBuyXGetY;
  const std::string action = std::string(" (") + PromotionActionName(p.action) + ")";
  const bool tiered = p.action == PromotionAction::kTiered;
  if (static_cast<uint8_t>(p.action) > static_cast<uint8_t>(PromotionAction::kTiered))
    return Status::InvalidArgument("action: unknown");
  if (percent) COMMERCE_RETURN_IF_ERROR(CheckRange("percent_bp" + action, p.percent_bp, 1, 10000));
  else if (p.percent_bp != 0)
    return Status::InvalidArgument("percent_bp: not used by" + action +
                                   (tiered ? "; each tier has its own" : ""));
  if (fixed) COMMERCE_RETURN_IF_ERROR(CheckRange("amount_minor" + action, p.amount_minor, 1, kMaxMoneyMinor));
  else if (p.amount_minor != 0)
    return Status::InvalidArgument("amount_minor: not used by" + action +
                                   (tiered ? "; each tier has its own" : ""));
  if (static_cast<uint8_t>(p.tier_basis) > static_cast<uint8_t>(PromotionTierBasis::kQuantity))
    return Status::InvalidArgument("tier_basis: unknown");
  if (tiered) {
    COMMERCE_RETURN_IF_ERROR(CheckTiers(p));
  } else if (!p.tiers.empty() || p.tier_basis != PromotionTierBasis::kSubtotal) {
    return Status::InvalidArgument("tiers, tier_basis: only for tiered, not" + action);
  }
  if (bxgy) {
    COMMERCE_RETURN_IF_ERROR(CheckRange("buy_quantity", p.buy_quantity, 1, kMaxQuantity));
    COMMERCE_RETURN_IF_ERROR(CheckRange("get_quantity", p.get_quantity, 1, kMaxQuantity));
    COMMERCE_RETURN_IF_ERROR(CheckRange("max_applications", p.max_applications, 0, kMaxQuantity));
  } else if (p.buy_quantity || p.get_quantity || p.max_applications || !p.get_skus.empty() ||
             !p.get_categories.empty()) {
    return Status::InvalidArgument("buy_quantity, get_quantity, get_skus, get_categories, "
                                   "max_applications: only for buy_x_get_y, not" + action);
  }
  return Status::OK();
}

Result<std::string> NormalizeCouponCode(std::string_view what, std::string_view code) {
  const std::string w(what);
  if (code.empty() || code.size() > 64)
    return Status::InvalidArgument(w + ": a coupon code has 1..64 characters");
  std::string out(code);
  for (char& ch : out) {
    const bool ok = (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
                    (ch >= '0' && ch <= '9') || ch == '-' || ch == '_';
    if (!ok)
      return Status::InvalidArgument(w + ": a coupon code has only letters, digits, '-' and '_'");
    if (ch >= 'a' && ch <= 'z') ch = static_cast<char>(ch - 'a' + 'A');
  }
  return out;
}

Result<std::vector<std::string>> NormalizeCouponCodes(const std::vector<std::string>& codes) {
  if (codes.size() > kMaxCouponCodes)
    return Status::InvalidArgument("coupon_codes: " + std::to_string(codes.size()) +
                                   " codes; at most " + std::to_string(kMaxCouponCodes));
  std::vector<std::string> out;
  for (size_t i = 0; i < codes.size(); ++i) {
    const std::string what = "coupon_codes[" + std::to_string(i) + "]";
    COMMERCE_ASSIGN_OR_RETURN(std::string code, NormalizeCouponCode(what, codes[i]));
    if (std::find(out.begin(), out.end(), code) != out.end())
      return Status::InvalidArgument(what + ": '" + code + "' is given twice");
    out.push_back(std::move(code));
  }
  return out;
}

Status ValidateCoupon(const Coupon& c) {
  COMMERCE_RETURN_IF_ERROR(NormalizeCouponCode("code", c.code).status());
  COMMERCE_RETURN_IF_ERROR(CheckIdentifier("promotion_id", c.promotion_id));
  COMMERCE_RETURN_IF_ERROR(CheckRange("usage_limit", c.usage_limit, 0, INT64_MAX - 1));
  COMMERCE_RETURN_IF_ERROR(CheckRange("per_customer_limit", c.per_customer_limit, 0, INT64_MAX - 1));
  return Status::OK();
}

}  // namespace commerce
