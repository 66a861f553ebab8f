// Binds include/commerce/promotions.h: promotion rules, coupon codes, a cart priced with its
// promotions explained. (The order's discount fields are bound with the order, order.cpp.)
#include "commerce/promotions.h"

#include "bind.h"

namespace commerce::python {

void BindPromotions(py::module_& m) {
  py::enum_<PromotionAction> action(m, "PromotionAction",
                                    "What a promotion does; a str ('percent_off_lines', ...) is "
                                    "accepted wherever one is expected.");
  action.value("PERCENT_OFF_LINES", PromotionAction::kPercentOffLines)
      .value("FIXED_OFF_LINES", PromotionAction::kFixedOffLines)
      .value("PERCENT_OFF_ORDER", PromotionAction::kPercentOffOrder)
      .value("FIXED_OFF_ORDER", PromotionAction::kFixedOffOrder)
      .value("BUY_X_GET_Y", PromotionAction::kBuyXGetY)
      .value("FREE_SHIPPING", PromotionAction::kFreeShipping)
      .value("TIERED", PromotionAction::kTiered);
  EnumNames(action, &PromotionActionName, &ParsePromotionAction);
  py::enum_<PromotionTierBasis> basis(m, "PromotionTierBasis",
                                      "What a tiered promotion's thresholds count; a str "
                                      "('subtotal', 'quantity') is accepted wherever one is expected.");
  basis.value("SUBTOTAL", PromotionTierBasis::kSubtotal).value("QUANTITY", PromotionTierBasis::kQuantity);
  EnumNames(basis, &PromotionTierBasisName, &ParsePromotionTierBasis);
  Value<PromotionTier>(m, "PromotionTier", "One step of a tiered promotion: from threshold on, this much off.")
      .field("threshold", &PromotionTier::threshold,
             "Minor units of the qualifying subtotal, or qualifying units (tier_basis); inclusive.")
      .field("percent_bp", &PromotionTier::percent_bp, "1..10000, or 0 when amount_minor is given.")
      .field("amount_minor", &PromotionTier::amount_minor, "Minor units, or 0 when percent_bp is given.");
  m.attr("MAX_PROMOTION_TIERS") = kMaxPromotionTiers;

  Value<Promotion>(m, "Promotion", "A discount rule: conditions and one action (docs/promotions.md).")
      .field("id", &Promotion::id, "Given (1..64) or generated ('promo-' + 16 hex) when ''.")
      .field("name", &Promotion::name, "1..200: shown to the buyer.")
      .field("active", &Promotion::active, "Inactive promotions never apply.")
      .field("currency", &Promotion::currency, "ISO 4217: applies only to carts and orders in it.")
      .field("skus", &Promotion::skus, "Lines of these SKUs qualify ...")
      .field("categories", &Promotion::categories,
             "... and lines of products in these categories (or below); both empty: every line.")
      .field("customer_ids", &Promotion::customer_ids, "Only these customers; empty: anyone.")
      .field("customer_groups", &Promotion::customer_groups,
             "Only customers in one of these groups (guests are in none); empty: anyone.")
      .field("channels", &Promotion::channels,
             "Only carts and orders in one of these channels; empty: any.")
      .field("min_subtotal_minor", &Promotion::min_subtotal_minor, "The subtotal before discounts.")
      .field("min_quantity", &Promotion::min_quantity, "Qualifying units.")
      .field("starts_at_ms", &Promotion::starts_at_ms, "0: from the start of time.")
      .field("ends_at_ms", &Promotion::ends_at_ms, "Exclusive; 0: no end.")
      .field("requires_coupon", &Promotion::requires_coupon, "Applies only with one of its coupons.")
      .field("action", &Promotion::action, "PromotionAction.")
      .field("percent_bp", &Promotion::percent_bp,
             "Percent actions and buy X get Y: 1..10000 basis points (1250 = 12.5%).")
      .field("amount_minor", &Promotion::amount_minor, "Fixed actions: minor units.")
      .field("buy_quantity", &Promotion::buy_quantity, "Buy X get Y: X.")
      .field("get_quantity", &Promotion::get_quantity, "Buy X get Y: Y.")
      .field("get_skus", &Promotion::get_skus, "Buy X get Y: the 'get' SKUs ...")
      .field("get_categories", &Promotion::get_categories,
             "... and categories; both empty: the qualifying lines.")
      .field("max_applications", &Promotion::max_applications, "Buy X get Y: times per order; 0: no limit.")
      .field("tier_basis", &Promotion::tier_basis, "Tiered: PromotionTierBasis ('subtotal' or 'quantity').")
      .field("tiers", &Promotion::tiers,
             "Tiered: PromotionTier list, thresholds ascending (up to MAX_PROMOTION_TIERS); the "
             "highest reached applies.")
      .field("priority", &Promotion::priority, "Higher applies first; ties by id.")
      .field("exclusive", &Promotion::exclusive, "Applies only alone.")
      .field("created_at_ms", &Promotion::created_at_ms, "Set by the engine.")
      .field("updated_at_ms", &Promotion::updated_at_ms, "Set by the engine.")
      .field("version", &Promotion::version, "Set by the engine.");
  Value<Coupon>(m, "Coupon", "A code that unlocks one promotion, with usage limits.")
      .field("code", &Coupon::code, "1..64 of A-Z a-z 0-9 - _; matched ignoring case, stored upper-cased.")
      .field("promotion_id", &Coupon::promotion_id, "The promotion it unlocks.")
      .field("active", &Coupon::active, "An inactive code is refused as unknown.")
      .field("usage_limit", &Coupon::usage_limit, "Orders in total; 0: no limit.")
      .field("per_customer_limit", &Coupon::per_customer_limit, "Orders per customer; 0: no limit.")
      .field("used", &Coupon::used, "Orders placed with it (set by the engine).")
      .field("created_at_ms", &Coupon::created_at_ms, "Set by the engine.")
      .field("updated_at_ms", &Coupon::updated_at_ms, "Set by the engine.")
      .field("version", &Coupon::version, "Set by the engine.");
  Value<PricedCartLine>(m, "PricedCartLine", "A cart line with what promotions take off it.")
      .field("line", &PricedCartLine::line, "The CartLine.")
      .field("discount", &PricedCartLine::discount, "Money.")
      .field("discounts", &PricedCartLine::discounts, "LineDiscount list, in the order they applied.")
      .field("total", &PricedCartLine::total, "Money: line_total - discount.");
  Value<PricedCart>(m, "PricedCart",
                    "A cart with its promotions applied and explained (tax and shipping come at "
                    "placement).")
      .field("cart", &PricedCart::cart, "The Cart.")
      .field("lines", &PricedCart::lines, "PricedCartLine list.")
      .field("promotions", &PricedCart::promotions, "AppliedPromotion list, in the order they applied.")
      .field("subtotal", &PricedCart::subtotal, "Money, before discounts.")
      .field("discount", &PricedCart::discount, "Money.")
      .field("total", &PricedCart::total, "Money: subtotal - discount.")
      .field("free_shipping", &PricedCart::free_shipping, "A promotion makes the order ship free.");
  m.attr("MAX_PROMOTIONS") = kMaxPromotions;
  m.attr("MAX_COUPON_CODES") = kMaxCouponCodes;

  py::class_<Promotions>(m, "Promotions",
                         "Promotions (Engine.promotions): discount rules and coupon codes, "
                         "applied when a cart is priced and when an order is placed. Safe from "
                         "any number of threads; every call releases the GIL.")
      .def("create", &Promotions::create, py::arg("promotion"), ReleaseGil(),
           "Stores a new Promotion (or keywords of one). Raises InvalidArgument, AlreadyExists, "
           "ResourceExhausted (past MAX_PROMOTIONS).")
      .def("update", &Promotions::update, py::arg("promotion"), py::arg("if_version") = py::none(),
           ReleaseGil(), "Replaces the promotion's fields. NotFound; Conflict for a stale if_version.")
      .def("get", &Promotions::get, py::arg("promotion_id"), ReleaseGil(), "NotFound when there is none.")
      .def("list", &Promotions::list, ReleaseGil(), "Every promotion, by id.")
      .def("create_coupon", &Promotions::create_coupon, py::arg("coupon"), ReleaseGil(),
           "Stores a new Coupon. Raises InvalidArgument, NotFound (promotion), AlreadyExists.")
      .def("update_coupon", &Promotions::update_coupon, py::arg("coupon"),
           py::arg("if_version") = py::none(), ReleaseGil(),
           "Changes active and the limits. NotFound; Conflict for a stale if_version.")
      .def("get_coupon", &Promotions::get_coupon, py::arg("code"), ReleaseGil(),
           "The coupon (any letter case), with `used`. NotFound when there is none.")
      .def("list_coupons", &Promotions::list_coupons, py::arg("promotion_id") = "", ReleaseGil(),
           "The coupons of a promotion ('' : of all), by code.")
      .def("coupon_uses", &Promotions::coupon_uses, py::arg("code"), py::arg("customer_id"),
           ReleaseGil(), "How often the customer has used the coupon.")
      .def(
          "price_cart",
          [](Promotions& p, const std::string& cart_id, std::string customer_id,
             std::vector<std::string> coupon_codes, int64_t now_ms) {
            CartPricingOptions o;
            o.customer_id = std::move(customer_id);
            o.coupon_codes = std::move(coupon_codes);
            o.now_ms = now_ms;
            return p.price_cart(cart_id, o);
          },
          py::arg("cart_id"), py::kw_only(), py::arg("customer_id") = "",
          py::arg("coupon_codes") = std::vector<std::string>{}, py::arg("now_ms") = 0, ReleaseGil(),
          "The cart with the promotions that apply now, explained (a PricedCart). NotFound for "
          "an unknown or inactive coupon; FailedPrecondition for one that does not apply or is "
          "used up (naming why), as Orders.place answers.");
}

}  // namespace commerce::python
