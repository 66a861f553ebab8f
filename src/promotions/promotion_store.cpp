// The promotions' stored records (promotion_store.h). Cereal archives written field by field
// from private wrappers so that the public types get no serialize() of ours. A promotion is
// version 2 (version 1, still read, has no customer groups, channels or tiers: it means what
// it meant, an empty list being no condition and a tiered action unknown to it).
#include "promotions/promotion_store.h"

#include <stdexcept>

#include "common/codec.h"
#include "common/key.h"
#include "common/record.h"

namespace commerce {

namespace {

template <class Ar, class P>
void IoPromotion(Ar& ar, P& p) {
  ar(p.id, p.name, p.active, p.currency, p.skus, p.categories, p.customer_ids);
  ar(p.min_subtotal_minor, p.min_quantity, p.starts_at_ms, p.ends_at_ms, p.requires_coupon);
  if constexpr (Ar::is_loading::value) {
    uint8_t action = 0;
    ar(action);
    if (action > static_cast<uint8_t>(PromotionAction::kTiered))
      throw std::runtime_error("unknown promotion action " + std::to_string(action));
    p.action = static_cast<PromotionAction>(action);
  } else {
    ar(static_cast<uint8_t>(p.action));
  }
  ar(p.percent_bp, p.amount_minor, p.buy_quantity, p.get_quantity, p.get_skus, p.get_categories);
  ar(p.max_applications, p.priority, p.exclusive, p.created_at_ms, p.updated_at_ms, p.version);
}

// Version 2's fields, after version 1's.
template <class Ar, class P>
void IoPromotionConditions(Ar& ar, P& p) {
  ar(p.customer_groups, p.channels);
  if constexpr (Ar::is_loading::value) {
    uint8_t basis = 0;
    uint32_t n = 0;
    ar(basis, n);
    if (basis > static_cast<uint8_t>(PromotionTierBasis::kQuantity))
      throw std::runtime_error("unknown promotion tier basis " + std::to_string(basis));
    if (n > kMaxPromotionTiers) throw std::runtime_error("promotion with " + std::to_string(n) + " tiers");
    p.tier_basis = static_cast<PromotionTierBasis>(basis);
    p.tiers.resize(n);
  } else {
    ar(static_cast<uint8_t>(p.tier_basis), static_cast<uint32_t>(p.tiers.size()));
  }
  for (auto& tier : p.tiers) ar(tier.threshold, tier.percent_bp, tier.amount_minor);
}

struct StoredPromotion {
  Promotion p;
  template <class Archive>
  void save(Archive& ar, std::uint32_t /*version*/) const {
    IoPromotion(ar, p);
    IoPromotionConditions(ar, p);
  }
  template <class Archive>
  void load(Archive& ar, std::uint32_t version) {
    if (version != 1 && version != 2)
      throw std::runtime_error("unknown promotion record version " + std::to_string(version));
    IoPromotion(ar, p);
    if (version == 1 && p.action == PromotionAction::kTiered)
      throw std::runtime_error("a version 1 promotion cannot be tiered");
    if (version >= 2) IoPromotionConditions(ar, p);
  }
};

struct StoredCoupon {
  Coupon c;
  template <class Archive>
  void save(Archive& ar, std::uint32_t /*version*/) const {
    ar(c.code, c.promotion_id, c.active, c.usage_limit, c.per_customer_limit, c.created_at_ms,
       c.updated_at_ms, c.version);
  }
  template <class Archive>
  void load(Archive& ar, std::uint32_t version) {
    if (version != 1) throw std::runtime_error("unknown coupon record version " + std::to_string(version));
    ar(c.code, c.promotion_id, c.active, c.usage_limit, c.per_customer_limit, c.created_at_ms,
       c.updated_at_ms, c.version);
  }
};

}  // namespace
}  // namespace commerce

CEREAL_CLASS_VERSION(commerce::StoredPromotion, 2);
CEREAL_CLASS_VERSION(commerce::StoredCoupon, 1);

namespace commerce {

std::string PromotionKey(std::string_view id) { return KeyBuilder().str(id).key(); }
std::string CouponKey(std::string_view code) { return KeyBuilder().str(code).key(); }
std::string CouponCustomerUseKey(std::string_view code, std::string_view customer_id) {
  return KeyBuilder().str(code).str(customer_id).key();
}

std::string EncodePromotion(const Promotion& p) { return Encode(StoredPromotion{p}); }
Status DecodePromotion(std::string_view key, std::string_view bytes, Promotion* out) {
  StoredPromotion s;
  COMMERCE_RETURN_IF_ERROR(Decode(bytes, &s, "promotions", key));
  *out = std::move(s.p);
  return Status::OK();
}
std::string EncodeCoupon(const Coupon& c) { return Encode(StoredCoupon{c}); }
Status DecodeCoupon(std::string_view key, std::string_view bytes, Coupon* out) {
  StoredCoupon s;
  COMMERCE_RETURN_IF_ERROR(Decode(bytes, &s, "coupons", key));
  *out = std::move(s.c);
  out->used = 0;
  return Status::OK();
}

Result<Promotion> GetPromotion(ReadView& view, const Tables& t, std::string_view id) {
  return GetRecord<Promotion>(view, t.promotions, PromotionKey(id), id, "promotion", DecodePromotion);
}

RangeRead PromotionsRange(const Tables& t) { return RangeRead{t.promotions, "", ""}; }

Result<std::vector<Promotion>> ListPromotions(ReadView& view, const Tables& t) {
  // One range read (not a cursor), so that a PrefetchView can answer it (PromotionsRange).
  COMMERCE_ASSIGN_OR_RETURN(ReadResults read, view.read_many({}, {PromotionsRange(t)}));
  std::vector<Promotion> out;
  for (const KeyValue& kv : read.ranges[0]) {
    Promotion p;
    COMMERCE_RETURN_IF_ERROR(DecodePromotion(kv.key, kv.value, &p));
    out.push_back(std::move(p));
  }
  return out;
}

Result<int64_t> ReadUses(ReadView& view, Table table, std::string_view key) {
  std::string_view bytes;
  Status s = view.get(table, key, &bytes);
  if (s.IsNotFound()) return int64_t{0};
  COMMERCE_RETURN_IF_ERROR(s);
  auto c = DecodeCounters(bytes);
  if (!c.ok()) return c.status().WithContext("coupon uses");
  return c->v[0];
}

Result<Coupon> GetCoupon(ReadView& view, const Tables& t, std::string_view code) {
  const std::string key = CouponKey(code);
  COMMERCE_ASSIGN_OR_RETURN(Coupon c, GetRecord<Coupon>(view, t.coupons, key, code, "coupon", DecodeCoupon));
  COMMERCE_ASSIGN_OR_RETURN(c.used, ReadUses(view, t.coupon_uses, key));
  return c;
}

CounterChange CouponUseChange(int64_t limit) {
  CounterChange c;
  c.size = 1;
  c.delta[0] = 1;
  c.bound_count = 1;
  c.bounds[0] = CounterBound{0, -1, 0, limit > 0 ? limit : INT64_MAX};
  return c;
}

}  // namespace commerce
