#include "promotions/discount_rules.h"

#include <algorithm>
#include <map>

#include "commerce/money.h"

namespace commerce {

namespace {

bool Listed(const std::vector<std::string>& v, const std::string& x) {
  return std::find(v.begin(), v.end(), x) != v.end();
}

// A line is in a target when its SKU is listed or its product is in a listed category; an
// empty target holds every line.
bool InTarget(const DiscountLine& l, const std::vector<std::string>& skus,
              const std::vector<std::string>& categories) {
  if (skus.empty() && categories.empty()) return true;
  if (Listed(skus, l.sku)) return true;
  for (const auto& c : categories)
    if (l.categories.count(c)) return true;
  return false;
}

int64_t PercentOf(int64_t amount, int32_t bp) {
  const __int128 x = static_cast<__int128>(amount) * bp;
  return static_cast<int64_t>((x + 5000) / 10000);  // half up; amount, bp >= 0
}

// `amount` (<= sum of weights) spread over the weights in proportion, exactly.
std::vector<int64_t> Spread(int64_t amount, const std::vector<int64_t>& weights) {
  std::vector<int64_t> out(weights.size(), 0);
  __int128 total = 0;
  for (int64_t w : weights) total += w;
  if (total == 0 || amount <= 0) return out;
  std::vector<std::pair<__int128, size_t>> rests;  // (fractional part, index)
  int64_t given = 0;
  for (size_t i = 0; i < weights.size(); ++i) {
    const __int128 x = static_cast<__int128>(amount) * weights[i];
    out[i] = static_cast<int64_t>(x / total);
    given += out[i];
    rests.push_back({x % total, i});
  }
  std::stable_sort(rests.begin(), rests.end(),
                   [](const auto& a, const auto& b) { return a.first > b.first; });
  for (size_t k = 0; given < amount && k < rests.size(); ++k, ++given) ++out[rests[k].second];
  return out;
}

std::string Minor(int64_t minor, const std::string& currency) {
  return FormatMoney(Money{minor, currency}) + " " + currency;
}

std::string Joined(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& x : v) out += (out.empty() ? "'" : ", '") + x + "'";
  return out;
}

// Why the customer's group or the channel keeps the promotion from applying, or "".
std::string GroupOrChannelFails(const Promotion& p, const DiscountInput& in) {
  if (!p.customer_groups.empty() && !Listed(p.customer_groups, in.customer_group)) {
    const std::string only = "its promotion is for customer groups " + Joined(p.customer_groups) + " only";
    if (in.customer_id.empty()) return only + "; a guest is in none";
    if (in.customer_group.empty()) return only + "; customer '" + in.customer_id + "' is in none";
    return only + "; customer '" + in.customer_id + "' is in '" + in.customer_group + "'";
  }
  if (!p.channels.empty() && !Listed(p.channels, in.channel)) {
    const std::string only = "its promotion is for channels " + Joined(p.channels) + " only";
    if (in.channel.empty()) return only + "; the cart is in no channel";
    return only + "; the cart is in '" + in.channel + "'";
  }
  return "";
}

// A tiered promotion's highest tier that `value` reaches, or null.
const PromotionTier* TierReached(const Promotion& p, int64_t value) {
  const PromotionTier* reached = nullptr;
  for (const auto& tier : p.tiers)
    if (value >= tier.threshold) reached = &tier;  // ascending (ValidatePromotion)
  return reached;
}

// Buy X get Y: how many "get" units each line gives at the discount. A unit may be bought or
// got, not both; units in both sets go where they allow the most applications, and the got
// units are the cheapest that leave enough to buy.
std::vector<int64_t> FreeUnits(const Promotion& p, const std::vector<DiscountLine>& lines,
                               const std::vector<bool>& buy, const std::vector<bool>& get,
                               int64_t* applications) {
  int64_t only_buy = 0, only_get = 0, both = 0;
  for (size_t i = 0; i < lines.size(); ++i) {
    if (buy[i] && get[i]) both += lines[i].quantity;
    else if (buy[i]) only_buy += lines[i].quantity;
    else if (get[i]) only_get += lines[i].quantity;
  }
  const int64_t x = p.buy_quantity, y = p.get_quantity;
  int64_t apps = std::min({(only_buy + only_get + both) / (x + y), (only_buy + both) / x,
                           (only_get + both) / y});
  if (p.max_applications > 0) apps = std::min(apps, p.max_applications);
  *applications = apps;
  std::vector<int64_t> out(lines.size(), 0);
  if (apps <= 0) return out;
  // Shared units the "get" side may take: those the "buy" side does not need.
  int64_t shared_left = both - std::max<int64_t>(0, apps * x - only_buy);
  int64_t wanted = apps * y;
  std::vector<size_t> order;
  for (size_t i = 0; i < lines.size(); ++i)
    if (get[i]) order.push_back(i);
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return lines[a].unit_minor < lines[b].unit_minor;
  });
  for (size_t i : order) {
    if (wanted == 0) break;
    int64_t take = std::min(wanted, lines[i].quantity);
    if (buy[i]) take = std::min(take, shared_left);
    if (take <= 0) continue;
    if (buy[i]) shared_left -= take;
    out[i] = take;
    wanted -= take;
  }
  return out;
}

}  // namespace

Result<DiscountOutcome> ApplyPromotions(std::vector<DiscountCandidate> candidates,
                                        const DiscountInput& in) {
  // A promotion brought by a coupon is considered once, as the coupon's.
  std::map<std::string, std::string> by_coupon;  // promotion id -> code
  for (const auto& c : candidates) {
    if (c.coupon_code.empty()) continue;
    auto [it, fresh] = by_coupon.emplace(c.promotion.id, c.coupon_code);
    if (!fresh)
      return Status::InvalidArgument("coupon_codes: '" + it->second + "' and '" + c.coupon_code +
                                     "' are codes of the same promotion '" + c.promotion.id +
                                     "'; give one");
  }
  std::erase_if(candidates, [&](const DiscountCandidate& c) {
    return c.coupon_code.empty() && by_coupon.count(c.promotion.id);
  });
  std::stable_sort(candidates.begin(), candidates.end(), [](const auto& a, const auto& b) {
    if (a.promotion.priority != b.promotion.priority)
      return a.promotion.priority > b.promotion.priority;
    return a.promotion.id < b.promotion.id;
  });

  DiscountOutcome out;
  out.lines.resize(in.lines.size());
  std::vector<int64_t> left;
  int64_t subtotal = 0;
  for (const auto& l : in.lines) {
    left.push_back(l.total_minor);
    subtotal += l.total_minor;
  }
  std::string exclusive;  // the name of an exclusive promotion applied
  for (const auto& c : candidates) {
    const Promotion& p = c.promotion;
    const bool coupon = !c.coupon_code.empty();
    // Why the promotion does not apply, or "" when it does.
    auto why_not = [&]() -> std::string {
      if (!p.active) return "its promotion '" + p.id + "' is not active";
      if (p.currency != in.currency)
        return "its promotion is in " + p.currency + "; the cart is in " + in.currency;
      if (p.starts_at_ms > 0 && in.now_ms < p.starts_at_ms) return "its promotion has not started";
      if (p.ends_at_ms > 0 && in.now_ms >= p.ends_at_ms) return "its promotion has ended";
      if (!p.customer_ids.empty() && !Listed(p.customer_ids, in.customer_id))
        return in.customer_id.empty() ? "its promotion is for named customers only"
                                      : "its promotion is not for customer '" + in.customer_id + "'";
      if (std::string group_or_channel = GroupOrChannelFails(p, in); !group_or_channel.empty())
        return group_or_channel;
      if (subtotal < p.min_subtotal_minor)
        return "the subtotal is " + Minor(subtotal, in.currency) + "; its promotion needs " +
               Minor(p.min_subtotal_minor, in.currency);
      return "";
    };
    std::string why = why_not();
    std::vector<bool> qualifies(in.lines.size(), false);
    int64_t units = 0;
    if (why.empty()) {
      for (size_t i = 0; i < in.lines.size(); ++i)
        if (InTarget(in.lines[i], p.skus, p.categories)) {
          qualifies[i] = true;
          units += in.lines[i].quantity;
        }
      if (units == 0) why = "no line of the cart qualifies for its promotion";
      else if (units < p.min_quantity)
        why = std::to_string(units) + " qualifying units; its promotion needs " +
              std::to_string(p.min_quantity);
    }
    std::vector<int64_t> off(in.lines.size(), 0);
    if (why.empty()) {
      switch (p.action) {
        case PromotionAction::kPercentOffLines:
          for (size_t i = 0; i < off.size(); ++i)
            if (qualifies[i]) off[i] = std::min(left[i], PercentOf(left[i], p.percent_bp));
          break;
        case PromotionAction::kFixedOffLines:
          for (size_t i = 0; i < off.size(); ++i)
            if (qualifies[i]) {
              const __int128 want = static_cast<__int128>(p.amount_minor) * in.lines[i].quantity;
              off[i] = want < left[i] ? static_cast<int64_t>(want) : left[i];
            }
          break;
        case PromotionAction::kTiered: {
          // The thresholds count the qualifying lines before any discount (as
          // min_subtotal_minor does the cart's); the tier's amount comes off what is left.
          int64_t reached_by = 0;
          std::vector<int64_t> weights(off.size(), 0);
          int64_t base = 0;
          for (size_t i = 0; i < off.size(); ++i)
            if (qualifies[i]) {
              reached_by += p.tier_basis == PromotionTierBasis::kQuantity ? in.lines[i].quantity
                                                                           : in.lines[i].total_minor;
              base += (weights[i] = left[i]);
            }
          const PromotionTier* tier = TierReached(p, reached_by);
          if (tier == nullptr) {
            why = p.tier_basis == PromotionTierBasis::kQuantity
                      ? std::to_string(reached_by) + " qualifying units; its promotion's first tier needs " +
                            std::to_string(p.tiers.front().threshold)
                      : "the qualifying subtotal is " + Minor(reached_by, in.currency) +
                            "; its promotion's first tier needs " +
                            Minor(p.tiers.front().threshold, in.currency);
            break;
          }
          const int64_t amount = tier->percent_bp != 0 ? PercentOf(base, tier->percent_bp)
                                                       : std::min(tier->amount_minor, base);
          off = Spread(std::min(amount, base), weights);
          break;
        }
        case PromotionAction::kPercentOffOrder:
        case PromotionAction::kFixedOffOrder: {
          std::vector<int64_t> weights(off.size(), 0);
          int64_t base = 0;
          for (size_t i = 0; i < off.size(); ++i)
            if (qualifies[i]) base += (weights[i] = left[i]);
          const int64_t amount = p.action == PromotionAction::kPercentOffOrder
                                     ? PercentOf(base, p.percent_bp)
                                     : std::min(p.amount_minor, base);
          off = Spread(std::min(amount, base), weights);
          break;
        }
        case PromotionAction::kBuyXGetY: {
          std::vector<bool> get(in.lines.size(), false);
          const bool same = p.get_skus.empty() && p.get_categories.empty();
          for (size_t i = 0; i < in.lines.size(); ++i)
            get[i] = same ? qualifies[i] : InTarget(in.lines[i], p.get_skus, p.get_categories);
          int64_t apps = 0;
          std::vector<int64_t> free = FreeUnits(p, in.lines, qualifies, get, &apps);
          if (apps == 0) {
            why = "buy " + std::to_string(p.buy_quantity) + " get " +
                  std::to_string(p.get_quantity) + " needs more units in the cart";
            break;
          }
          for (size_t i = 0; i < off.size(); ++i) {
            if (free[i] == 0) continue;
            const __int128 full = static_cast<__int128>(in.lines[i].unit_minor) * free[i];
            const int64_t amount = PercentOf(static_cast<int64_t>(full), p.percent_bp);
            off[i] = std::min(left[i], amount);
          }
          break;
        }
        case PromotionAction::kFreeShipping:
          break;
      }
    }
    if (why.empty() && !exclusive.empty())
      why = "it cannot be combined with the exclusive promotion '" + exclusive + "'";
    if (why.empty() && p.exclusive && !out.applied.empty())
      why = "its promotion is exclusive and '" + out.applied.front().name + "' applies already";
    if (!why.empty()) {
      if (coupon) return Status::FailedPrecondition("coupon '" + c.coupon_code + "': " + why);
      continue;  // an automatic promotion that does not apply
    }
    AppliedPromotion a{p.id, p.name, c.coupon_code, Money{0, in.currency},
                       p.action == PromotionAction::kFreeShipping};
    for (size_t i = 0; i < off.size(); ++i) {
      if (off[i] <= 0) continue;
      left[i] -= off[i];
      a.amount.minor += off[i];
      out.lines[i].push_back({p.id, Money{off[i], in.currency}});
    }
    out.discount_minor += a.amount.minor;
    out.free_shipping = out.free_shipping || a.free_shipping;
    out.applied.push_back(std::move(a));
    if (p.exclusive) exclusive = p.name;
  }
  return out;
}

}  // namespace commerce
