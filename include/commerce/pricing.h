// Pricing hooks: how an order's tax and shipping are computed. Integrators replace the
// default policy with their own (a tax service, carrier rates) by passing a PricingPolicy in
// EngineOptions; the engine calls it inside the order's placement, so it must be fast,
// deterministic for the same input, and must not call back into the engine.
//
// Thread safety: a policy is called from the writer thread and must be safe to call from any
// thread (the default is immutable).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "commerce/export.h"
#include "commerce/money.h"
#include "commerce/status.h"

namespace commerce {

struct PricingInput {
  std::string currency;
  std::string region;           // the shipping address's region
  std::string country;
  int64_t subtotal_minor = 0;   // sum of line totals, after promotions' discounts
  size_t shipments = 0;         // parcels after allocation
  int64_t items = 0;            // units over all lines
  // What promotions (promotions.h) took off the lines (subtotal_minor is after it), and
  // whether one makes the order ship free: the engine then charges no shipping whatever
  // the policy answers.
  int64_t discount_minor = 0;
  bool free_shipping = false;
  // The part of subtotal_minor whose prices already include tax (lines priced from a
  // tax-inclusive price list, after their discounts; price_lists.h). A policy adds tax only
  // to the rest, and says in tax_included_minor how much tax this part holds. A policy
  // written before this field taxes the whole subtotal: review it before using such lists.
  int64_t tax_inclusive_minor = 0;
};

struct PricingResult {
  int64_t tax_minor = 0;           // added to the order's total
  int64_t shipping_minor = 0;
  int64_t tax_included_minor = 0;  // inside tax_inclusive_minor: shown, not added (0..it)
};

class COMMERCE_EXPORT PricingPolicy {
 public:
  virtual ~PricingPolicy();
  // An error here fails the placement with that status (nothing written).
  virtual Result<PricingResult> price(const PricingInput& in) const = 0;
};

struct DefaultPricingOptions {
  // Tax rate per region in basis points (825 = 8.25%); regions not listed pay default_tax_bp.
  std::map<std::string, int32_t> tax_bp_by_region;
  int32_t default_tax_bp = 0;
  // A flat fee per shipment, in minor units of the order's currency.
  int64_t shipping_per_shipment_minor = 0;
  // Orders whose subtotal reaches this ship free (0: never).
  int64_t free_shipping_from_minor = 0;
};

// tax = round_half_up((subtotal - tax_inclusive) * rate / 10000);
// tax_included = tax_inclusive - round_half_up(tax_inclusive * 10000 / (10000 + rate));
// shipping = shipments * fee unless free.
COMMERCE_EXPORT std::shared_ptr<PricingPolicy> MakeDefaultPricing(DefaultPricingOptions o = {});

}  // namespace commerce
