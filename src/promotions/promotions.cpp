// The Promotions API (promotions.h): promotion and coupon records written as checked change
// sets, each with its PromotionUpserted or CouponUpserted event, and cart pricing over one
// snapshot.
#include "commerce/promotions.h"

#include <array>

#include "cart/cart_store.h"
#include "common/ids.h"
#include "customer/customer_store.h"
#include "engine/engine_core.h"
#include "engine/replaced_record.h"
#include "events/event_json.h"
#include "events/event_log.h"
#include "inventory/stock_store.h"
#include "promotions/promotion_pricing.h"
#include "promotions/promotion_store.h"
#include "promotions/promotion_validation.h"

namespace commerce {

namespace {

constexpr std::array<const char*, 7> kActionNames = {
    "percent_off_lines", "fixed_off_lines", "percent_off_order", "fixed_off_order",
    "buy_x_get_y",       "free_shipping",   "tiered"};
constexpr std::array<const char*, 2> kTierBasisNames = {"subtotal", "quantity"};


// PromotionUpserted: what decides where the promotion applies and what it takes, not its
// target lists (skus, categories, customer_ids: counted), which a consumer reads when it needs.
std::string EventData(const Promotion& p, bool created) {
  EventJson d;
  d.str("promotion_id", p.id).str("name", p.name).boolean("active", p.active);
  d.str("currency", p.currency).str("action", PromotionActionName(p.action));
  d.boolean("requires_coupon", p.requires_coupon).i64("priority", p.priority);
  d.boolean("exclusive", p.exclusive).i64("starts_at_ms", p.starts_at_ms).i64("ends_at_ms", p.ends_at_ms);
  d.u64("skus", p.skus.size()).u64("categories", p.categories.size());
  d.u64("customer_ids", p.customer_ids.size());
  d.strings("customer_groups", p.customer_groups);
  d.strings("channels", p.channels);
  if (p.action == PromotionAction::kTiered) {
    d.str("tier_basis", PromotionTierBasisName(p.tier_basis)).begin_array("tiers");
    for (const PromotionTier& tier : p.tiers)
      d.begin_object().i64("threshold", tier.threshold).i64("percent_bp", tier.percent_bp)
          .i64("amount_minor", tier.amount_minor).end_object();
    d.end_array();
  }
  return d.u64("version", p.version).boolean("created", created).done();
}

// CouponUpserted: the code's record (not its uses: those change with every order).
std::string EventData(const Coupon& c, bool created) {
  EventJson d;
  d.str("code", c.code).str("promotion_id", c.promotion_id).boolean("active", c.active);
  d.i64("usage_limit", c.usage_limit).i64("per_customer_limit", c.per_customer_limit);
  return d.u64("version", c.version).boolean("created", created).done();
}

}  // namespace

const char* PromotionActionName(PromotionAction a) {
  const auto i = static_cast<size_t>(a);
  return i < kActionNames.size() ? kActionNames[i] : "unknown";
}

Result<PromotionAction> ParsePromotionAction(std::string_view name) {
  for (size_t i = 0; i < kActionNames.size(); ++i)
    if (name == kActionNames[i]) return static_cast<PromotionAction>(i);
  return Status::InvalidArgument("action: '" + std::string(name) +
                                 "' is not one of percent_off_lines, fixed_off_lines, "
                                 "percent_off_order, fixed_off_order, buy_x_get_y, free_shipping, "
                                 "tiered");
}

const char* PromotionTierBasisName(PromotionTierBasis b) {
  const auto i = static_cast<size_t>(b);
  return i < kTierBasisNames.size() ? kTierBasisNames[i] : "unknown";
}

Result<PromotionTierBasis> ParsePromotionTierBasis(std::string_view name) {
  for (size_t i = 0; i < kTierBasisNames.size(); ++i)
    if (name == kTierBasisNames[i]) return static_cast<PromotionTierBasis>(i);
  return Status::InvalidArgument("tier_basis: '" + std::string(name) + "' is not one of subtotal, quantity");
}

Result<Promotion> Promotions::create(const Promotion& p) {
  COMMERCE_RETURN_IF_ERROR(ValidatePromotion(p));
  const Tables& t = core_->tables;
  Promotion stored = p;
  if (stored.id.empty()) stored.id = RandomId("promo-");
  stored.created_at_ms = stored.updated_at_ms = EngineCore::NowMs();
  stored.version = 1;
  const std::string key = PromotionKey(stored.id);
  auto applied = core_->Apply([&](ReadView& view, ChangeSet& changes) -> Status {
    std::string_view unused;
    Status s = view.get(t.promotions, key, &unused);
    if (s.ok()) return Status::AlreadyExists("id: promotion '" + stored.id + "' exists");
    if (!s.IsNotFound()) return s;
    COMMERCE_ASSIGN_OR_RETURN(auto all, ListPromotions(view, t));
    if (all.size() >= kMaxPromotions)
      return Status::ResourceExhausted("a store holds at most " + std::to_string(kMaxPromotions) +
                                       " promotions; make an old one inactive and edit it");
    changes.insert(t.promotions, key, EncodePromotion(stored));
    AppendEvent(changes, t.events, "PromotionUpserted", stored.id, EventData(stored, true),
                stored.created_at_ms);
    return changes.status();
  });
  COMMERCE_RETURN_IF_ERROR(applied.status());
  return stored;
}

Result<Promotion> Promotions::update(const Promotion& p, std::optional<uint64_t> if_version) {
  COMMERCE_RETURN_IF_ERROR(CheckIdentifier("id", p.id));
  COMMERCE_RETURN_IF_ERROR(ValidatePromotion(p));
  const Tables& t = core_->tables;
  const std::string key = PromotionKey(p.id);
  const int64_t now = EngineCore::NowMs();
  Promotion stored;
  auto applied = core_->Apply([&](ReadView& view, ChangeSet& changes) -> Status {
    COMMERCE_ASSIGN_OR_RETURN(auto replaced, ReadReplaced<Promotion>(view, t.promotions, key, "promotion",
                                                                    p.id, if_version, DecodePromotion));
    const std::string& old_bytes = replaced.bytes;
    const Promotion& old = replaced.record;
    stored = p;
    stored.created_at_ms = old.created_at_ms;
    stored.updated_at_ms = now;
    stored.version = old.version + 1;
    changes.expect(t.promotions, key, old_bytes);
    changes.put(t.promotions, key, EncodePromotion(stored));
    AppendEvent(changes, t.events, "PromotionUpserted", stored.id, EventData(stored, false), now);
    return changes.status();
  });
  COMMERCE_RETURN_IF_ERROR(applied.status());
  return stored;
}

Result<Promotion> Promotions::get(std::string_view id) {
  COMMERCE_RETURN_IF_ERROR(CheckIdentifier("id", id));
  COMMERCE_ASSIGN_OR_RETURN(auto txn, core_->storage->read());
  return GetPromotion(*txn, core_->tables, id);
}

Result<std::vector<Promotion>> Promotions::list() {
  COMMERCE_ASSIGN_OR_RETURN(auto txn, core_->storage->read());
  return ListPromotions(*txn, core_->tables);
}

Result<Coupon> Promotions::create_coupon(const Coupon& c) {
  COMMERCE_RETURN_IF_ERROR(ValidateCoupon(c));
  const Tables& t = core_->tables;
  Coupon stored = c;
  COMMERCE_ASSIGN_OR_RETURN(stored.code, NormalizeCouponCode("code", c.code));
  stored.used = 0;
  stored.created_at_ms = stored.updated_at_ms = EngineCore::NowMs();
  stored.version = 1;
  const std::string key = CouponKey(stored.code);
  auto applied = core_->Apply([&](ReadView& view, ChangeSet& changes) -> Status {
    std::string_view bytes;
    Status s = view.get(t.coupons, key, &bytes);
    if (s.ok()) return Status::AlreadyExists("code: coupon '" + stored.code + "' exists");
    if (!s.IsNotFound()) return s;
    // The promotion must exist; promotions are never deleted, so no check at commit.
    auto p = GetPromotion(view, t, c.promotion_id);
    if (!p.ok()) return p.status().WithContext("promotion_id");
    changes.insert(t.coupons, key, EncodeCoupon(stored));
    AppendEvent(changes, t.events, "CouponUpserted", stored.code, EventData(stored, true),
                stored.created_at_ms);
    return changes.status();
  });
  COMMERCE_RETURN_IF_ERROR(applied.status());
  return stored;
}

Result<Coupon> Promotions::update_coupon(const Coupon& c, std::optional<uint64_t> if_version) {
  COMMERCE_RETURN_IF_ERROR(ValidateCoupon(c));
  const Tables& t = core_->tables;
  COMMERCE_ASSIGN_OR_RETURN(const std::string code, NormalizeCouponCode("code", c.code));
  const std::string key = CouponKey(code);
  const int64_t now = EngineCore::NowMs();
  Coupon stored;
  auto applied = core_->Apply([&](ReadView& view, ChangeSet& changes) -> Status {
    COMMERCE_ASSIGN_OR_RETURN(auto replaced, ReadReplaced<Coupon>(view, t.coupons, key, "coupon", code,
                                                                 if_version, DecodeCoupon));
    const std::string& old_bytes = replaced.bytes;
    const Coupon& old = replaced.record;
    if (c.promotion_id != old.promotion_id)
      return Status::InvalidArgument("promotion_id: coupon '" + code + "' belongs to promotion '" +
                                     old.promotion_id + "'; make a new code for another");
    stored = old;
    stored.active = c.active;
    stored.usage_limit = c.usage_limit;
    stored.per_customer_limit = c.per_customer_limit;
    stored.updated_at_ms = now;
    stored.version = old.version + 1;
    COMMERCE_ASSIGN_OR_RETURN(stored.used, ReadUses(view, t.coupon_uses, key));
    changes.expect(t.coupons, key, old_bytes);
    changes.put(t.coupons, key, EncodeCoupon(stored));
    AppendEvent(changes, t.events, "CouponUpserted", stored.code, EventData(stored, false), now);
    return changes.status();
  });
  COMMERCE_RETURN_IF_ERROR(applied.status());
  return stored;
}

Result<Coupon> Promotions::get_coupon(std::string_view code) {
  COMMERCE_ASSIGN_OR_RETURN(const std::string normal, NormalizeCouponCode("code", code));
  COMMERCE_ASSIGN_OR_RETURN(auto txn, core_->storage->read());
  return GetCoupon(*txn, core_->tables, normal);
}

Result<std::vector<Coupon>> Promotions::list_coupons(std::string_view promotion_id) {
  if (!promotion_id.empty()) COMMERCE_RETURN_IF_ERROR(CheckIdentifier("promotion_id", promotion_id));
  const Tables& t = core_->tables;
  COMMERCE_ASSIGN_OR_RETURN(auto txn, core_->storage->read());
  if (!promotion_id.empty())
    COMMERCE_RETURN_IF_ERROR(GetPromotion(*txn, t, promotion_id).status());
  COMMERCE_ASSIGN_OR_RETURN(auto rows, txn->scan(t.coupons, "", "", 0));
  std::vector<Coupon> out;
  for (const KeyValue& kv : rows) {
    Coupon c;
    COMMERCE_RETURN_IF_ERROR(DecodeCoupon(kv.key, kv.value, &c));
    if (!promotion_id.empty() && c.promotion_id != promotion_id) continue;
    COMMERCE_ASSIGN_OR_RETURN(c.used, ReadUses(*txn, t.coupon_uses, kv.key));
    out.push_back(std::move(c));
  }
  return out;
}

Result<int64_t> Promotions::coupon_uses(std::string_view code, std::string_view customer_id) {
  COMMERCE_ASSIGN_OR_RETURN(const std::string normal, NormalizeCouponCode("code", code));
  COMMERCE_RETURN_IF_ERROR(CheckIdentifier("customer_id", customer_id));
  COMMERCE_ASSIGN_OR_RETURN(auto txn, core_->storage->read());
  COMMERCE_RETURN_IF_ERROR(GetCoupon(*txn, core_->tables, normal).status());
  return ReadUses(*txn, core_->tables.coupon_customer_uses, CouponCustomerUseKey(normal, customer_id));
}

Result<PricedCart> Promotions::price_cart(std::string_view cart_id, const CartPricingOptions& o) {
  COMMERCE_RETURN_IF_ERROR(CheckIdentifier("cart_id", cart_id));
  if (!o.customer_id.empty()) COMMERCE_RETURN_IF_ERROR(CheckIdentifier("customer_id", o.customer_id));
  if (o.now_ms < 0) return Status::InvalidArgument("now_ms: must not be negative");
  DiscountRequest r;
  COMMERCE_ASSIGN_OR_RETURN(r.coupon_codes, NormalizeCouponCodes(o.coupon_codes));
  const Tables& t = core_->tables;
  COMMERCE_ASSIGN_OR_RETURN(auto txn, core_->storage->read());
  auto record = ReadCartRecord(*txn, t, cart_id);
  if (!record.ok()) return record.status().WithContext("cart_id");
  PricedCart out;
  COMMERCE_ASSIGN_OR_RETURN(out.cart, CartFromRecord(*record));
  const Cart& cart = out.cart;
  r.currency = cart.currency;
  r.customer_id = o.customer_id.empty() ? cart.customer_id : o.customer_id;
  if (!o.customer_id.empty() && !cart.customer_id.empty() && o.customer_id != cart.customer_id)
    return Status::FailedPrecondition("customer_id: cart '" + cart.id +
                                      "' belongs to another customer");
  r.now_ms = o.now_ms > 0 ? o.now_ms : EngineCore::NowMs();
  r.channel = cart.channel;
  if (!r.customer_id.empty()) {
    // The group the order would be placed for now. A customer id without a record (a cart
    // may name one) is in no group, as before groups: pricing a cart never failed on it.
    auto customer = GetCustomerInTxn(*txn, t, r.customer_id);
    if (customer.ok()) r.customer_group = customer->group;
    else if (!customer.status().IsNotFound()) return customer.status();
  }
  for (const auto& l : cart.lines) {
    auto owner = SkuOwner(*txn, t, l.sku);
    // A line whose SKU left the catalog is priced as the cart shows it, in no category.
    std::string product_id = owner.ok() ? *owner : std::string();
    if (!owner.ok() && !owner.status().IsNotFound()) return owner.status();
    r.lines.push_back({l.sku, product_id, l.quantity, l.unit_price.minor, l.line_total.minor});
  }
  COMMERCE_ASSIGN_OR_RETURN(DiscountOutcome d, PrepareDiscounts(*txn, t, r, nullptr));
  out.subtotal = cart.subtotal;
  out.discount = Money{d.discount_minor, cart.currency};
  out.total = Money{cart.subtotal.minor - d.discount_minor, cart.currency};
  out.free_shipping = d.free_shipping;
  out.promotions = std::move(d.applied);
  for (size_t i = 0; i < cart.lines.size(); ++i) {
    PricedCartLine pl{cart.lines[i], Money{0, cart.currency}, std::move(d.lines[i]), {}};
    for (const auto& x : pl.discounts) pl.discount.minor += x.amount.minor;
    pl.total = Money{pl.line.line_total.minor - pl.discount.minor, cart.currency};
    out.lines.push_back(std::move(pl));
  }
  return out;
}

}  // namespace commerce
