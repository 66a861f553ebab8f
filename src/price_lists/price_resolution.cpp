#include "price_lists/price_resolution.h"

#include <string>
#include <tuple>

namespace commerce {

namespace {

bool Applies(const SkuPrice& r, const PriceContext& ctx) {
  return r.currency == ctx.currency && r.starts_at_ms <= ctx.now_ms &&
         (r.ends_at_ms == 0 || ctx.now_ms < r.ends_at_ms) &&
         (r.customer_group.empty() || r.customer_group == ctx.customer_group) &&
         (r.channel.empty() || r.channel == ctx.channel) && r.min_quantity <= ctx.quantity;
}

int Specificity(const SkuPrice& r) {
  return (r.customer_group.empty() ? 0 : 1) + (r.channel.empty() ? 0 : 1);
}

// True when `a` wins over `b`: they are different lists (a list's own tiers are settled
// before, by the largest min_quantity).
bool Wins(const SkuPrice& a, const SkuPrice& b) {
  return std::make_tuple(-int64_t{a.priority}, -Specificity(a), a.price_minor, std::string_view(a.list_id)) <
         std::make_tuple(-int64_t{b.priority}, -Specificity(b), b.price_minor, std::string_view(b.list_id));
}

}  // namespace

Result<ResolvedPrice> ChoosePrice(std::string_view sku, const SkuPrices& rows, const Money& base,
                                  const PriceContext& ctx) {
  // Rows are sorted by (list id, min_quantity): each list's applicable tier with the largest
  // min_quantity is the last applicable row of its run.
  const SkuPrice* best = nullptr;
  for (size_t i = 0; i < rows.size(); ++i) {
    const SkuPrice& r = rows[i];
    if (!Applies(r, ctx)) continue;
    const bool later_tier_of_same_list = i + 1 < rows.size() && rows[i + 1].list_id == r.list_id &&
                                         Applies(rows[i + 1], ctx);
    if (later_tier_of_same_list) continue;
    if (!best || Wins(r, *best)) best = &r;
  }
  ResolvedPrice out;
  out.sku = std::string(sku);
  if (best) {
    out.price = Money{best->price_minor, ctx.currency};
    out.price_list_id = best->list_id;
    out.price_list_version = best->list_version;
    out.min_quantity = best->min_quantity;
    out.tax_inclusive = best->tax_inclusive;
    return out;
  }
  if (base.currency == ctx.currency) {
    out.price = base;
    return out;
  }
  return Status::FailedPrecondition("sku '" + std::string(sku) + "' has no price in " +
                                    ctx.currency + " for this caller: its base price is in " +
                                    base.currency + " and no price list that applies prices it in " +
                                    ctx.currency + " (prices are never converted)");
}

}  // namespace commerce
