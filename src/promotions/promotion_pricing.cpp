#include "promotions/promotion_pricing.h"

#include <map>

#include "catalog/catalog_store.h"
#include "promotions/promotion_store.h"

namespace commerce {

namespace {

bool NeedsCategories(const Promotion& p) {
  return !p.categories.empty() || !p.get_categories.empty();
}

struct UsedCoupon {
  Coupon coupon;
  std::string path;  // "coupon_codes[1]"
};

}  // namespace

Result<DiscountOutcome> PrepareDiscounts(ReadView& view, const Tables& t, const DiscountRequest& r,
                                         ChangeSet* changes) {
  std::vector<DiscountCandidate> candidates;
  COMMERCE_ASSIGN_OR_RETURN(std::vector<Promotion> all, ListPromotions(view, t));
  std::map<std::string, const Promotion*> by_id;
  for (const auto& p : all) {
    by_id.emplace(p.id, &p);
    // Automatic promotions: those needing no coupon, active, in the currency (the rules
    // check the rest; these never fail the request).
    if (!p.requires_coupon && p.active && p.currency == r.currency) candidates.push_back({p, ""});
  }
  std::vector<UsedCoupon> used;
  for (size_t i = 0; i < r.coupon_codes.size(); ++i) {
    const std::string& code = r.coupon_codes[i];
    const std::string path = "coupon_codes[" + std::to_string(i) + "]";
    auto got = GetCoupon(view, t, code);
    if (got.status().IsNotFound()) return Status::NotFound(path + ": no coupon '" + code + "'");
    COMMERCE_RETURN_IF_ERROR(got.status());
    Coupon c = std::move(got).value();
    if (!c.active) return Status::NotFound(path + ": coupon '" + code + "' is not active");
    auto p = by_id.find(c.promotion_id);
    if (p == by_id.end())
      return Status::Corruption("coupon '" + code + "' names promotion '" + c.promotion_id +
                                "', which does not exist");
    if (c.usage_limit > 0 && c.used >= c.usage_limit)
      return Status::FailedPrecondition(path + ": coupon '" + code + "' has been used " +
                                        std::to_string(c.used) + " times, its limit");
    if (c.per_customer_limit > 0) {
      if (r.customer_id.empty())
        return Status::FailedPrecondition(path + ": coupon '" + code +
                                          "' is limited per customer; a guest cannot use it");
      COMMERCE_ASSIGN_OR_RETURN(
          int64_t mine, ReadUses(view, t.coupon_customer_uses, CouponCustomerUseKey(code, r.customer_id)));
      if (mine >= c.per_customer_limit)
        return Status::FailedPrecondition(path + ": coupon '" + code + "' has been used " +
                                          std::to_string(mine) + " times by customer '" +
                                          r.customer_id + "', its limit per customer");
    }
    candidates.push_back({*p->second, code});
    used.push_back({std::move(c), path});
  }
  DiscountInput in{r.currency, r.customer_id, r.customer_group, r.channel, r.now_ms, {}};
  if (candidates.empty()) {
    DiscountOutcome none;
    none.lines.resize(r.lines.size());
    return none;
  }
  bool categories = false;
  for (const auto& c : candidates) categories = categories || NeedsCategories(c.promotion);
  std::map<std::string, std::set<std::string>> listed;  // product id -> categories
  for (const auto& l : r.lines) {
    DiscountLine d{l.sku, {}, l.quantity, l.unit_minor, l.total_minor};
    if (categories && !l.product_id.empty()) {
      auto it = listed.find(l.product_id);
      if (it == listed.end()) {
        COMMERCE_ASSIGN_OR_RETURN(Product product, GetProduct(view, t, l.product_id));
        it = listed.emplace(l.product_id, ListedUnder(product)).first;
      }
      d.categories = it->second;
    }
    in.lines.push_back(std::move(d));
  }
  COMMERCE_ASSIGN_OR_RETURN(DiscountOutcome out, ApplyPromotions(std::move(candidates), in));
  if (changes) {
    // Every coupon given applied (ApplyPromotions fails otherwise): each use is counted.
    for (const auto& u : used) {
      const std::string key = CouponKey(u.coupon.code);
      changes->add(t.coupon_uses, key, CouponUseChange(u.coupon.usage_limit));
      if (!r.customer_id.empty())
        changes->add(t.coupon_customer_uses, CouponCustomerUseKey(u.coupon.code, r.customer_id),
                     CouponUseChange(u.coupon.per_customer_limit));
    }
  }
  return out;
}

}  // namespace commerce
