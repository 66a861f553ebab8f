// Promotions and coupons: discount rules stored as records, applied when a cart is priced
// (Promotions::price_cart) and when an order is placed (Orders::place with
// PlaceOrder::coupon_codes). docs/promotions.md has the rules with worked examples.
//
// A promotion is conditions (all must hold) and one action:
//   conditions  the lines that qualify (SKUs, categories -- a category's sub-categories
//               included -- or every line), the customer (a list of customer ids, a list of
//               customer groups), the channel, the cart's subtotal before discounts, the
//               qualifying units, a schedule window [starts_at_ms, ends_at_ms), and whether a
//               coupon is needed;
//   actions     percent or fixed off each qualifying line, percent or fixed off the
//               qualifying lines together (spread over them in proportion, to the minor unit),
//               buy X get Y (Y units of the "get" lines at percent_bp off, cheapest first, per
//               X units bought), tiered (percent or fixed off the qualifying lines together,
//               from the highest tier their subtotal or units reach), free shipping.
// Stacking: the promotions that apply are taken by priority (higher first, then by id); each
// discounts what the earlier ones left of a line, never below zero. An exclusive promotion
// applies only when nothing was applied before it, and then nothing after it.
//
// A coupon is a code that unlocks one promotion, with usage limits in total and per customer.
// The limits are checked when the order commits, as stock is (a counter the writer itself
// changes, within bounds, in the same change set as the order): no code is used more often
// than its limit, however many orders race for its last use, and a crash never counts a use
// without its order nor an order without its use. A cancelled order keeps its use.
//
// After the promotions the engine's PricingPolicy (pricing.h) still runs, on the discounted
// subtotal (PricingInput::discount_minor and free_shipping tell it what was applied); a free
// shipping promotion makes the order's shipping zero whatever the policy answers.
//
// Promotions apply to the prices the price lists give (price_lists.h). A promotion has one
// currency and applies only to carts and orders in it. The customer's group and the channel
// are those of the order as it commits: placement expects the customer record it read
// unchanged, as it does for price lists, so an order is never discounted for a group its
// customer had already left.
//
// Every write of a promotion or a coupon adds a PromotionUpserted or CouponUpserted event in
// its transaction (docs/events.md).
//
// Thread safety: a Promotions (from Engine::promotions()) is safe from any number of threads.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "commerce/cart.h"
#include "commerce/export.h"
#include "commerce/money.h"
#include "commerce/order.h"
#include "commerce/status.h"

namespace commerce {

class EngineCore;

enum class PromotionAction : uint8_t {
  kPercentOffLines = 0,  // percent_bp off each qualifying line
  kFixedOffLines = 1,    // amount_minor off each qualifying unit (at most what is left of it)
  kPercentOffOrder = 2,  // percent_bp off the qualifying lines together
  kFixedOffOrder = 3,    // amount_minor off the qualifying lines together (at most their total)
  kBuyXGetY = 4,         // per buy_quantity qualifying units, get_quantity "get" units at
                         // percent_bp off (10000: free), cheapest first
  kFreeShipping = 5,     // the order ships free
  kTiered = 6,           // the highest tier reached: its percent_bp or amount_minor off the
                         // qualifying lines together (at most their total)
};
// "percent_off_lines", "fixed_off_lines", "percent_off_order", "fixed_off_order",
// "buy_x_get_y", "free_shipping", "tiered".
COMMERCE_EXPORT const char* PromotionActionName(PromotionAction a);
COMMERCE_EXPORT Result<PromotionAction> ParsePromotionAction(std::string_view name);

// What a tiered promotion's thresholds count.
enum class PromotionTierBasis : uint8_t {
  kSubtotal = 0,  // the qualifying lines' total before any discount, in minor units
  kQuantity = 1,  // the qualifying units
};
// "subtotal", "quantity".
COMMERCE_EXPORT const char* PromotionTierBasisName(PromotionTierBasis b);
COMMERCE_EXPORT Result<PromotionTierBasis> ParsePromotionTierBasis(std::string_view name);

// One step of a tiered promotion: from `threshold` on (inclusive), this much off. Exactly one
// of percent_bp and amount_minor is set.
struct PromotionTier {
  int64_t threshold = 0;     // 1..kMaxMoneyMinor (subtotal) or 1..kMaxQuantity (quantity)
  int32_t percent_bp = 0;    // 1..10000, or 0
  int64_t amount_minor = 0;  // 1..kMaxMoneyMinor, or 0
  friend bool operator==(const PromotionTier&, const PromotionTier&) = default;
};

// At most this many tiers in a promotion, strictly ascending by threshold.
inline constexpr size_t kMaxPromotionTiers = 20;

struct Promotion {
  // Given (1..64 printable) or generated ("promo-" + 16 hex digits) when empty.
  std::string id;
  std::string name;      // 1..200: shown to the buyer in the cart's explanation
  bool active = true;    // inactive promotions never apply (there is no delete: orders name them)
  std::string currency;  // ISO 4217 ("USD"); applies only to carts and orders in it

  // Conditions, all of which must hold.
  std::vector<std::string> skus;          // lines of these SKUs qualify ...
  std::vector<std::string> categories;    // ... and lines of products in these categories;
                                          // both empty: every line qualifies (up to 100 each)
  std::vector<std::string> customer_ids;  // only these customers; empty: anyone (up to 1000)
  // Only customers in one of these groups (Customer::group; guests and customers without a
  // group are in none); empty: anyone. Up to 100, each as customer.h spells a group.
  std::vector<std::string> customer_groups;
  // Only carts and orders in one of these channels (channels.h; a cart or order in no channel
  // is in none); empty: any. Up to 100. Not checked to exist: a channel may be removed later.
  std::vector<std::string> channels;
  int64_t min_subtotal_minor = 0;         // the cart's subtotal before any discount
  int64_t min_quantity = 0;               // qualifying units
  int64_t starts_at_ms = 0;               // 0: from the start of time
  int64_t ends_at_ms = 0;                 // exclusive; 0: no end
  bool requires_coupon = false;           // applies only with one of its coupons

  // The action and its amounts.
  PromotionAction action = PromotionAction::kPercentOffLines;
  int32_t percent_bp = 0;     // percent actions and buy X get Y: 1..10000 (1250 = 12.5%)
  int64_t amount_minor = 0;   // fixed actions: 1..kMaxMoneyMinor
  int64_t buy_quantity = 0;   // buy X get Y: X, 1..kMaxQuantity
  int64_t get_quantity = 0;   // buy X get Y: Y, 1..kMaxQuantity
  std::vector<std::string> get_skus;        // the "get" lines; both empty: the qualifying
  std::vector<std::string> get_categories;  // lines (buy 2 get 1 of the same set)
  int64_t max_applications = 0;             // buy X get Y: times per order; 0: no limit
  PromotionTierBasis tier_basis = PromotionTierBasis::kSubtotal;  // tiered only
  std::vector<PromotionTier> tiers;  // tiered: 1..kMaxPromotionTiers, thresholds ascending

  // Stacking.
  int32_t priority = 0;    // higher applies first; ties by id
  bool exclusive = false;  // applies only alone (see above)

  // Set by the engine.
  int64_t created_at_ms = 0;
  int64_t updated_at_ms = 0;
  uint64_t version = 0;

  friend bool operator==(const Promotion&, const Promotion&) = default;
};

struct Coupon {
  // 1..64 of A-Z a-z 0-9 '-' '_'; matched ignoring case, stored upper-cased ("SPRING-10").
  std::string code;
  std::string promotion_id;        // must exist
  bool active = true;
  int64_t usage_limit = 0;         // orders in total; 0: no limit
  int64_t per_customer_limit = 0;  // orders per customer; 0: no limit

  // Set by the engine.
  int64_t used = 0;  // orders placed with it (read at the time of the call)
  int64_t created_at_ms = 0;
  int64_t updated_at_ms = 0;
  uint64_t version = 0;

  friend bool operator==(const Coupon&, const Coupon&) = default;
};

// At most this many promotions in a store (every pricing reads them all) and this many coupon
// codes in one cart pricing or order.
inline constexpr size_t kMaxPromotions = 1000;
inline constexpr size_t kMaxCouponCodes = 5;

struct CartPricingOptions {
  std::string customer_id;                // "": the cart's customer (a guest: none)
  std::vector<std::string> coupon_codes;  // up to kMaxCouponCodes
  int64_t now_ms = 0;                     // 0: the current time (the schedule's clock)
};

struct PricedCartLine {
  CartLine line;                         // as Carts::get shows it
  Money discount;                        // the sum of `discounts`
  std::vector<LineDiscount> discounts;   // by promotion, in the order they applied
  Money total;                           // line_total - discount
  friend bool operator==(const PricedCartLine&, const PricedCartLine&) = default;
};

// A cart with its promotions applied and explained. Tax and shipping are not here: they
// depend on the address and on allocation, and are computed when the order is placed.
struct PricedCart {
  Cart cart;
  std::vector<PricedCartLine> lines;
  std::vector<AppliedPromotion> promotions;  // in the order they applied
  Money subtotal;  // before discounts
  Money discount;
  Money total;     // subtotal - discount
  bool free_shipping = false;
  friend bool operator==(const PricedCart&, const PricedCart&) = default;
};

class COMMERCE_EXPORT Promotions {
 public:
  // Handed out by Engine (engine.h), which owns it; not copyable.
  Promotions(const Promotions&) = delete;
  Promotions& operator=(const Promotions&) = delete;

  // InvalidArgument for a field out of its range or an action without its amounts;
  // AlreadyExists for a taken id; ResourceExhausted past kMaxPromotions.
  Result<Promotion> create(const Promotion& p);
  // Replaces every field of the promotion `p.id` (NotFound when absent); Conflict when
  // if_version is given and stale.
  Result<Promotion> update(const Promotion& p, std::optional<uint64_t> if_version = std::nullopt);
  Result<Promotion> get(std::string_view id);
  // Every promotion, by id.
  Result<std::vector<Promotion>> list();

  // InvalidArgument for a bad code or limit; NotFound for an unknown promotion;
  // AlreadyExists for a taken code (in any letter case).
  Result<Coupon> create_coupon(const Coupon& c);
  // Changes active and the limits (a limit below `used` stops further uses). NotFound when
  // absent; the promotion cannot change (InvalidArgument).
  Result<Coupon> update_coupon(const Coupon& c, std::optional<uint64_t> if_version = std::nullopt);
  Result<Coupon> get_coupon(std::string_view code);
  // The coupons of a promotion ("": of every promotion), by code.
  Result<std::vector<Coupon>> list_coupons(std::string_view promotion_id = {});
  // How often `customer_id` has used the coupon.
  Result<int64_t> coupon_uses(std::string_view code, std::string_view customer_id);

  // The cart with the promotions that apply to it now. A coupon that is unknown or inactive
  // is NotFound; one whose promotion does not apply (naming the condition that fails), that
  // cannot be combined with one applied before it, or that is used up is FailedPrecondition:
  // the same answers Orders::place gives for it.
  Result<PricedCart> price_cart(std::string_view cart_id, const CartPricingOptions& o = {});

 private:
  friend class Engine;
  explicit Promotions(EngineCore* core) : core_(core) {}
  EngineCore* core_;
};

}  // namespace commerce
