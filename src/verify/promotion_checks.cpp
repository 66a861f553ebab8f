// commerce verify: promotions and coupons (src/promotions/promotion_store.h).
//
//   - every promotion decodes, is stored under its id and holds what ValidatePromotion accepts
//     (its customer groups and channels spelled as selector keys, a tiered one's tiers
//     ascending, non-empty, at most kMaxPromotionTiers, each with one amount in range): the
//     rules assume it, and a record that breaks it was not written by the engine;
//   - every coupon decodes, is stored under its code and names a promotion that exists
//     (promotions are never deleted).
#include "common/key.h"
#include "promotions/promotion_store.h"
#include "promotions/promotion_validation.h"
#include "verify/check_context.h"

namespace commerce::verify {

namespace {
constexpr const char* kPromotionsCheck = "promotions";
}  // namespace

void CheckPromotions(CheckContext& c) {
  c.Scan(kPromotionsCheck, "promotions", [&](std::string_view key, std::string_view value) {
    Promotion p;
    if (!DecodeRecord(c, "promotions", key, value, [&] { return DecodePromotion(key, value, &p); }))
      return true;
    const std::string where = Where("promotions", key);
    if (key != PromotionKey(p.id)) c.Problem(kPromotionsCheck, where, "holds promotion '" + p.id + "'");
    if (Status s = ValidatePromotion(p); !s.ok()) c.Problem(kPromotionsCheck, where, s.message());
    return true;
  }, /*count=*/true);
  c.Scan(kPromotionsCheck, "coupons", [&](std::string_view key, std::string_view value) {
    Coupon coupon;
    if (!DecodeRecord(c, "coupons", key, value, [&] { return DecodeCoupon(key, value, &coupon); }))
      return true;
    const std::string where = Where("coupons", key);
    if (key != CouponKey(coupon.code)) c.Problem(kPromotionsCheck, where, "holds coupon '" + coupon.code + "'");
    if (!c.Has(kPromotionsCheck, "promotions", PromotionKey(coupon.promotion_id)))
      c.Problem(kPromotionsCheck, where, "unlocks promotion '" + coupon.promotion_id + "', which does not exist");
    return true;
  }, /*count=*/true);
}

}  // namespace commerce::verify
