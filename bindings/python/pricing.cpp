// Binds include/commerce/pricing.h: the default tax and shipping policy. A policy written in
// Python is not offered: the engine calls the policy on its writer thread inside every
// placement, where waiting for the GIL would stall every writer of the store.
#include "commerce/pricing.h"

#include "bind.h"

namespace commerce::python {

void BindPricing(py::module_& m) {
  py::class_<PricingPolicy, std::shared_ptr<PricingPolicy>>(
      m, "PricingPolicy", "How an order's tax and shipping are computed; make one with make_default_pricing().");
  Value<DefaultPricingOptions>(m, "DefaultPricingOptions", "Options of make_default_pricing().")
      .field("tax_bp_by_region", &DefaultPricingOptions::tax_bp_by_region,
             "Tax rate per region in basis points (825 = 8.25%).")
      .field("default_tax_bp", &DefaultPricingOptions::default_tax_bp, "Rate of regions not listed.")
      .field("shipping_per_shipment_minor", &DefaultPricingOptions::shipping_per_shipment_minor,
             "Flat fee per shipment, minor units.")
      .field("free_shipping_from_minor", &DefaultPricingOptions::free_shipping_from_minor,
             "Subtotal from which shipping is free (0: never).");
  m.def("make_default_pricing", &MakeDefaultPricing, py::arg("options") = DefaultPricingOptions{},
        "tax = round_half_up(subtotal * rate / 10000); shipping = shipments * fee unless free. "
        "Pass the result as Engine(..., pricing=...).");
}

}  // namespace commerce::python
