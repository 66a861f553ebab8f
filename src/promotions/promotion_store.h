// The promotions' stored records and the coupons' use counters. Four tables:
//
//   promotions            KeyBuilder().str(id)                 -> Promotion (cereal, v2; v1 read)
//   coupons               KeyBuilder().str(CODE)               -> Coupon (cereal, v1; `used` is not stored)
//   coupon_uses           KeyBuilder().str(CODE)               -> counters {used}
//   coupon_customer_uses  KeyBuilder().str(CODE).str(customer) -> counters {used}
//
// The use counters are counters records (storage.h, EncodeCounters) that the writer itself
// changes (ChangeSet::add) with the coupon's limit as the bound, in the same change set as
// the order that uses the coupon: the limit is a condition on the count current when the
// order commits, as `available >= q` is for stock (CouponUseChange).
//
// Thread safety: functions over one ReadView, on that view's thread.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "commerce/promotions.h"
#include "commerce/storage.h"
#include "engine/engine_core.h"

namespace commerce {

std::string PromotionKey(std::string_view id);
std::string CouponKey(std::string_view code);  // REQUIRES: code normalized (upper case)
std::string CouponCustomerUseKey(std::string_view code, std::string_view customer_id);

std::string EncodePromotion(const Promotion& p);
Status DecodePromotion(std::string_view key, std::string_view bytes, Promotion* out);
std::string EncodeCoupon(const Coupon& c);
Status DecodeCoupon(std::string_view key, std::string_view bytes, Coupon* out);

// NotFound "no promotion with id 'x'".
Result<Promotion> GetPromotion(ReadView& view, const Tables& t, std::string_view id);
// Every promotion, by id: one range read, PromotionsRange (a caller that gathers its reads
// into a PrefetchView's batch adds it there).
RangeRead PromotionsRange(const Tables& t);
Result<std::vector<Promotion>> ListPromotions(ReadView& view, const Tables& t);
// NotFound "no coupon with id 'CODE'". `used` filled from coupon_uses.
Result<Coupon> GetCoupon(ReadView& view, const Tables& t, std::string_view code);

// A use counter's value (0 when the record is absent).
Result<int64_t> ReadUses(ReadView& view, Table table, std::string_view key);

// One more use, bounded by `limit` on the count current when the writer applies it (0: no
// limit, only counted).
CounterChange CouponUseChange(int64_t limit);

}  // namespace commerce
