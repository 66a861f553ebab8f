// The default PricingPolicy (pricing.h): a tax rate per region and a flat fee per shipment.
//
// Options are checked once, when the policy is made; MakeDefaultPricing returns a policy
// either way (its signature has no room for an error), and a policy made from bad options
// fails every price() with InvalidArgument naming the option, so the mistake surfaces on the
// first order rather than as silently wrong tax.
#include <string>

#include "commerce/pricing.h"

namespace commerce {

PricingPolicy::~PricingPolicy() = default;

namespace {

// 1000%: far above any sales tax, yet excise rates past 100% exist (tobacco, spirits), so
// 100% is not the ceiling. Bounded so that subtotal * rate fits in 128 bits with room.
constexpr int32_t kMaxTaxBp = 100'000;

Status CheckRate(const std::string& field, int32_t bp) {
  if (bp < 0 || bp > kMaxTaxBp)
    return Status::InvalidArgument("DefaultPricingOptions." + field + ": " + std::to_string(bp) +
                                   "; expected 0.." + std::to_string(kMaxTaxBp) +
                                   " basis points");
  return Status::OK();
}

Status CheckAmount(const char* field, int64_t minor) {
  if (minor < 0 || minor > kMaxMoneyMinor)
    return Status::InvalidArgument(std::string("DefaultPricingOptions.") + field + ": " +
                                   std::to_string(minor) + "; expected 0.." +
                                   std::to_string(kMaxMoneyMinor) + " minor units");
  return Status::OK();
}

Status Validate(const DefaultPricingOptions& o) {
  for (const auto& [region, bp] : o.tax_bp_by_region)
    COMMERCE_RETURN_IF_ERROR(CheckRate("tax_bp_by_region[\"" + region + "\"]", bp));
  COMMERCE_RETURN_IF_ERROR(CheckRate("default_tax_bp", o.default_tax_bp));
  COMMERCE_RETURN_IF_ERROR(CheckAmount("shipping_per_shipment_minor", o.shipping_per_shipment_minor));
  return CheckAmount("free_shipping_from_minor", o.free_shipping_from_minor);
}

class DefaultPricing final : public PricingPolicy {
 public:
  explicit DefaultPricing(DefaultPricingOptions o)
      : options_(std::move(o)), options_status_(Validate(options_)) {}

  Result<PricingResult> price(const PricingInput& in) const override {
    COMMERCE_RETURN_IF_ERROR(options_status_);
    if (in.subtotal_minor < 0)
      return Status::InvalidArgument("subtotal_minor: " + std::to_string(in.subtotal_minor) +
                                     "; expected >= 0");
    if (in.tax_inclusive_minor < 0 || in.tax_inclusive_minor > in.subtotal_minor)
      return Status::InvalidArgument("tax_inclusive_minor: " + std::to_string(in.tax_inclusive_minor) +
                                     "; expected 0..subtotal_minor (" +
                                     std::to_string(in.subtotal_minor) + ")");
    PricingResult out;
    auto it = options_.tax_bp_by_region.find(in.region);
    const int32_t bp = it == options_.tax_bp_by_region.end() ? options_.default_tax_bp : it->second;
    // Tax is added only to prices that do not include it already.
    const int64_t taxable = in.subtotal_minor - in.tax_inclusive_minor;
    // Round half up, in 128 bits: subtotal (< 2^63) * bp (< 2^17) cannot overflow there.
    const __int128 tax = (static_cast<__int128>(taxable) * bp + 5'000) / 10'000;
    if (tax > kMaxMoneyMinor)
      return Status::InvalidArgument("tax on subtotal " + std::to_string(in.subtotal_minor) +
                                     " is past the largest amount, " +
                                     std::to_string(kMaxMoneyMinor));
    out.tax_minor = static_cast<int64_t>(tax);
    // The tax inside tax-inclusive prices: what is left once the net amount, gross * 10000 /
    // (10000 + rate) rounded half up, is taken out. 11900 at 19% holds 1900.
    if (in.tax_inclusive_minor > 0) {
      const __int128 gross = in.tax_inclusive_minor;
      const __int128 net = (gross * 10'000 * 2 + (10'000 + bp)) / (2 * (10'000 + bp));
      out.tax_included_minor = static_cast<int64_t>(gross - net);
    }

    const bool free = options_.free_shipping_from_minor > 0 &&
                      in.subtotal_minor >= options_.free_shipping_from_minor;
    if (!free) {
      int64_t shipping = 0;
      if (in.shipments > static_cast<size_t>(INT64_MAX) ||
          __builtin_mul_overflow(static_cast<int64_t>(in.shipments),
                                 options_.shipping_per_shipment_minor, &shipping) ||
          shipping > kMaxMoneyMinor)
        return Status::InvalidArgument("shipping for " + std::to_string(in.shipments) +
                                       " shipments is past the largest amount, " +
                                       std::to_string(kMaxMoneyMinor));
      out.shipping_minor = shipping;
    }
    return out;
  }

 private:
  const DefaultPricingOptions options_;
  const Status options_status_;
};

}  // namespace

std::shared_ptr<PricingPolicy> MakeDefaultPricing(DefaultPricingOptions o) {
  return std::make_shared<DefaultPricing>(std::move(o));
}

}  // namespace commerce
