// The Carts API (cart.h). Every edit is prepared on the caller's thread against a snapshot
// and applied by the writer as a checked change set (EngineCore::Apply; docs/storage.md,
// "Checked changes"): read the cart, edit its CartState with the pure functions of
// cart_state.cpp (dots made with the engine's replica id), encode the record, its customer
// index rows and its event. The set expects the cart's bytes as read: an edit that meets a
// cart written in between (another edit, a merge, an order, expiry) is prepared again over
// the newer cart, and after EngineCore::kMaxPrepareAttempts on the writer itself, so a cart
// stays always writable and no edit is lost. The product a price comes from is read, not
// checked: an add keeps the price it saw, as if made just before a concurrent price change.
// Arguments are checked before any storage is touched; a check that needs storage (the SKU's
// product, the cart's currency) fails while preparing: nothing written.
//
// Map: create/get/state, then the edits (add, set_quantity, remove, clear), then merge and
// remove_cart. merge_guest_into_customer is in cart_login.cpp, expiry in cart_expiry.cpp.
#include <algorithm>
#include <functional>

#include "commerce/cart.h"
#include "cart/cart_codec.h"
#include "cart/cart_dots.h"
#include "cart/cart_quantity.h"
#include "cart/cart_store.h"
#include "catalog/catalog_store.h"
#include "channels/channel_store.h"
#include "commerce/cart.h"
#include "commerce/inventory.h"
#include "common/ids.h"
#include "common/key.h"
#include "common/selector_key.h"
#include "common/utf8.h"
#include "customer/customer_store.h"
#include "price_lists/price_list_store.h"
#include "price_lists/price_resolution.h"
#include "engine/engine_core.h"
#include "storage/prefetch_view.h"

namespace commerce {

namespace {

// The price of `sku` that applies now to the cart (price_lists.h): its currency and channel,
// its customer's group, and `quantity`, the line's units after the edit (for tiers). NotFound
// for an unknown SKU or a channel that no longer exists; InvalidArgument for a product that is
// not active, a SKU with no price in the cart's currency or a currency the channel no longer
// sells in; FailedPrecondition for a product not visible in the cart's channel (channels.h).
Result<Money> CurrentPrice(ReadView& view, const Tables& t, std::string_view sku,
                           const CartRecord& cart, int64_t quantity, int64_t now_ms) {
  const std::string& currency = cart.state.currency;
  std::string_view owner;
  Status s = view.get(t.skus, KeyBuilder().str(sku).key(), &owner);
  if (s.IsNotFound()) return Status::NotFound("sku: no product has sku '" + std::string(sku) + "'");
  COMMERCE_RETURN_IF_ERROR(s);
  std::string product_id(owner);
  COMMERCE_ASSIGN_OR_RETURN(Product p, GetProduct(view, t, product_id));
  if (p.status != ProductStatus::kActive)
    return Status::InvalidArgument("sku: '" + std::string(sku) + "' belongs to product '" + p.id +
                                   "', which is " + ProductStatusName(p.status) +
                                   ": only active products can be added to a cart");
  const Variant* v = nullptr;
  for (const auto& candidate : p.variants)
    if (candidate.sku == sku) v = &candidate;
  if (!v)
    return Status::Corruption("sku index names product '" + p.id + "' for sku '" +
                              std::string(sku) + "', which has no such variant");
  COMMERCE_ASSIGN_OR_RETURN(std::optional<Channel> channel, ReadChannelOf(view, t, cart.channel));
  if (channel) {
    COMMERCE_RETURN_IF_ERROR(CheckChannelCurrency(*channel, currency, "currency"));
    COMMERCE_RETURN_IF_ERROR(CheckVisible(*channel, p, sku, "sku"));
  }
  PriceContext ctx{currency, "", cart.channel, quantity, now_ms};
  if (!cart.state.customer_id.empty()) {
    COMMERCE_ASSIGN_OR_RETURN(Customer c, GetCustomerInTxn(view, t, cart.state.customer_id));
    ctx.customer_group = c.group;
  }
  COMMERCE_ASSIGN_OR_RETURN(SkuPrices rows, ReadSkuPrices(view, t, sku));
  auto chosen = ChoosePrice(sku, rows, v->price, ctx);
  // InvalidArgument, as before price lists: the cart asks for what the shop does not sell.
  if (chosen.status().IsFailedPrecondition())
    return Status::InvalidArgument("currency: sku '" + std::string(sku) + "' is priced in '" +
                                   v->price.currency + "', the cart is in '" + currency +
                                   "', and no price list that applies prices it in '" + currency + "'");
  COMMERCE_RETURN_IF_ERROR(chosen.status());
  return chosen->price;
}

// The cart named by the caller's cart_id argument: errors name that field.
Result<CartRecord> ReadCartArg(ReadView& view, const Tables& t, std::string_view cart_id) {
  auto r = ReadCartRecord(view, t, cart_id);
  if (!r.ok()) return r.status().WithContext("cart_id");
  return r;
}

// The same, for a write: `changes` expects the cart as read.
Result<CartRecord> ReadCartArg(ReadView& view, const Tables& t, std::string_view cart_id,
                               ChangeSet& changes) {
  auto r = ReadCartRecord(view, t, cart_id, changes);
  if (!r.ok()) return r.status().WithContext("cart_id");
  return r;
}

// One edit of a stored cart: read, edit, check the totals, encode, event. `op` goes into the
// CartUpdated event so that consumers can tell edits apart. `edit` may run several times
// (EngineCore::Apply), each time on a freshly read record.
// `priced_sku`, when the edit prices one: on a remote store its index entry and its price row
// (price lists) are read in the same round trip as the cart (PrefetchView), leaving the
// product (and the customer's group) to a second.
using Edit = std::function<Status(ReadView&, CartRecord&, int64_t now)>;

Result<Cart> EditCart(EngineCore* core, std::string_view cart_id, const char* op, const Edit& edit,
                      std::string_view priced_sku = {}) {
  COMMERCE_RETURN_IF_ERROR(CheckIdentifier("cart_id", cart_id));
  const Tables& t = core->tables;
  const int64_t now = EngineCore::NowMs();
  const bool read_ahead = (core->storage->capabilities() & kRemote) != 0;
  Cart out;
  std::string id(cart_id);
  auto prepare = [&](ReadView& snapshot, ChangeSet& changes) -> Status {
    PrefetchView view(snapshot, read_ahead);
    if (!priced_sku.empty()) {
      const std::string cart_key = CartKey(id), sku_key = KeyBuilder().str(priced_sku).key();
      const std::string price_key = SkuPricesKey(priced_sku);
      COMMERCE_RETURN_IF_ERROR(
          view.prefetch({{t.carts, cart_key}, {t.skus, sku_key}, {t.sku_prices, price_key}}));
    }
    COMMERCE_ASSIGN_OR_RETURN(CartRecord r, ReadCartArg(view, t, id, changes));
    COMMERCE_RETURN_IF_ERROR(edit(view, r, now));
    r.updated_at_ms = now;
    COMMERCE_ASSIGN_OR_RETURN(out, CartFromRecord(r));
    WriteCartRecord(changes, t, r, r.state.customer_id);
    AppendCartEvent(changes, t, "CartUpdated", r, now, {{"op", op}});
    return changes.status();
  };
  COMMERCE_RETURN_IF_ERROR(core->Apply(prepare).status());
  return out;
}

Status CheckMergedSize(size_t dots) {
  if (dots > kMaxMergedCartDots)
    return Status::ResourceExhausted("the merged cart would hold " + std::to_string(dots) +
                                     " adds and removals, more than the " +
                                     std::to_string(kMaxMergedCartDots) + " one cart can store");
  return Status::OK();
}

// Checks every field of a state that came from outside (a device, another replica) before
// it is merged: the same rules the pure functions apply to each edit.
Status CheckForeignState(const CartState& s, std::string_view cart_id, std::string_view currency) {
  // Quoted in the messages below: checked first.
  COMMERCE_RETURN_IF_ERROR(CheckUtf8("cart_id", s.cart_id));
  COMMERCE_RETURN_IF_ERROR(CheckUtf8("currency", s.currency));
  if (s.cart_id != cart_id)
    return Status::InvalidArgument("cart_id: the state is of cart '" + s.cart_id + "', not '" +
                                   std::string(cart_id) + "'");
  if (s.currency != currency)
    return Status::InvalidArgument("currency: the state is in '" + s.currency +
                                   "', the cart is in '" + std::string(currency) + "'");
  if (!s.customer_id.empty()) COMMERCE_RETURN_IF_ERROR(CheckIdentifier("customer_id", s.customer_id));
  size_t dots = 0;
  for (const auto& [sku, line] : s.lines) {
    COMMERCE_RETURN_IF_ERROR(CheckIdentifier("sku", sku));
    dots += line.adds.size() + line.removed.size();
    for (const auto& a : line.adds) {
      const std::string where = "lines['" + sku + "']: ";
      COMMERCE_RETURN_IF_ERROR(CheckIdentifier(where + "dot replica", a.dot.replica));
      if (a.quantity < 1 || a.quantity > kMaxQuantity)
        return Status::InvalidArgument(where + "quantity: must be 1.." + std::to_string(kMaxQuantity) +
                                       ", got " + std::to_string(a.quantity));
      COMMERCE_RETURN_IF_ERROR(CheckUtf8(where + "currency", a.unit_price.currency));
      if (a.unit_price.currency != currency)
        return Status::InvalidArgument(where + "currency: an add is priced in '" +
                                       a.unit_price.currency + "', the cart is in '" +
                                       std::string(currency) + "'");
      if (a.unit_price.minor < 0 || a.unit_price.minor > kMaxMoneyMinor)
        return Status::InvalidArgument(where + "unit_price: outside 0..10^15 minor units");
    }
    for (const auto& d : line.removed)
      COMMERCE_RETURN_IF_ERROR(CheckIdentifier("lines['" + sku + "']: removed replica", d.replica));
  }
  for (const auto& [replica, counter] : s.clock) COMMERCE_RETURN_IF_ERROR(CheckIdentifier("clock replica", replica));
  return CheckMergedSize(dots);
}

}  // namespace

Result<Cart> Carts::create(const NewCart& c) {
  std::string id = c.id.empty() ? RandomId("cart-", kCapabilityBytes) : c.id;
  COMMERCE_RETURN_IF_ERROR(CheckIdentifier("id", id));
  // "" takes the channel's default currency (read below), or kDefaultCartCurrency.
  if (!c.currency.empty()) {
    COMMERCE_RETURN_IF_ERROR(CheckUtf8("currency", c.currency));
    if (!IsKnownCurrency(c.currency))
      return Status::InvalidArgument("currency: '" + c.currency.substr(0, 16) +
                                     "' is not an active ISO 4217 code (e.g. USD)");
  }
  if (!c.customer_id.empty()) COMMERCE_RETURN_IF_ERROR(CheckIdentifier("customer_id", c.customer_id));
  COMMERCE_RETURN_IF_ERROR(CheckSelectorKey("channel", c.channel));
  const Tables& t = core_->tables;
  const int64_t now = EngineCore::NowMs();
  Cart out;
  // The id is inserted, not put: a concurrent create of the same id fails the check and is
  // prepared again, which then answers AlreadyExists.
  auto prepare = [&](ReadView& view, ChangeSet& changes) -> Status {
    std::string_view unused;
    Status s = view.get(t.carts, CartKey(id), &unused);
    if (s.ok()) return Status::AlreadyExists("id: cart '" + id + "' already exists");
    if (!s.IsNotFound()) return s;
    // Customers are never deleted: the read needs no check.
    if (!c.customer_id.empty())
      COMMERCE_RETURN_IF_ERROR(CheckCustomerExistsInTxn(view, t, c.customer_id).WithContext("customer_id"));
    // The channel, as the cart is created: a later change of it is checked at each add and
    // when the cart is ordered.
    COMMERCE_ASSIGN_OR_RETURN(std::optional<Channel> channel, ReadChannelOf(view, t, c.channel, &changes));
    std::string currency = c.currency;
    if (currency.empty()) currency = channel ? channel->default_currency : kDefaultCartCurrency;
    if (channel) COMMERCE_RETURN_IF_ERROR(CheckChannelCurrency(*channel, currency, "currency"));
    CartRecord r;
    r.state.cart_id = id;
    r.state.currency = currency;
    r.channel = c.channel;
    if (!c.customer_id.empty()) {
      r.state.customer_id = c.customer_id;
      r.state.customer_time_ms = now;
      r.state.customer_replica = core_->replica_id;
    }
    r.created_at_ms = r.updated_at_ms = now;
    COMMERCE_ASSIGN_OR_RETURN(out, CartFromRecord(r));
    changes.insert(t.carts, CartKey(id), EncodeCartRecord(r));
    if (!r.state.customer_id.empty())
      changes.put(t.customer_carts, CustomerCartKey(r.state.customer_id, id), "");
    AppendCartEvent(changes, t, "CartCreated", r, now, {{"currency", r.state.currency}});
    return changes.status();
  };
  COMMERCE_RETURN_IF_ERROR(core_->Apply(prepare).status());
  return out;
}

Result<Cart> Carts::get(std::string_view cart_id) {
  COMMERCE_RETURN_IF_ERROR(CheckIdentifier("cart_id", cart_id));
  COMMERCE_ASSIGN_OR_RETURN(auto txn, core_->storage->read());
  COMMERCE_ASSIGN_OR_RETURN(CartRecord r, ReadCartArg(*txn, core_->tables, cart_id));
  return CartFromRecord(r);
}

Result<CartState> Carts::state(std::string_view cart_id) {
  COMMERCE_RETURN_IF_ERROR(CheckIdentifier("cart_id", cart_id));
  COMMERCE_ASSIGN_OR_RETURN(auto txn, core_->storage->read());
  COMMERCE_ASSIGN_OR_RETURN(CartRecord r, ReadCartArg(*txn, core_->tables, cart_id));
  return std::move(r.state);
}

Result<Cart> Carts::add(std::string_view cart_id, std::string_view sku, int64_t quantity) {
  COMMERCE_RETURN_IF_ERROR(CheckIdentifier("sku", sku));
  COMMERCE_RETURN_IF_ERROR(CheckCartQuantity(quantity, 1));
  std::string s(sku);
  return EditCart(core_, cart_id, "add", [&](ReadView& view, CartRecord& r, int64_t now) -> Status {
    // The tier is the line's quantity after the add (capped as the add caps it).
    const int64_t units = std::min(CartStateQuantity(r.state, s) + quantity, kMaxQuantity);
    COMMERCE_ASSIGN_OR_RETURN(Money price, CurrentPrice(view, core_->tables, s, r, units, now));
    return CartStateAdd(r.state, core_->replica_id, s, quantity, price, now);
  }, s);
}

Result<Cart> Carts::set_quantity(std::string_view cart_id, std::string_view sku, int64_t quantity) {
  COMMERCE_RETURN_IF_ERROR(CheckIdentifier("sku", sku));
  COMMERCE_RETURN_IF_ERROR(CheckCartQuantity(quantity, 0));
  if (quantity == 0) return remove(cart_id, sku);  // no price needed: the SKU may be gone
  std::string s(sku);
  return EditCart(core_, cart_id, "set_quantity", [&](ReadView& view, CartRecord& r, int64_t now) -> Status {
    COMMERCE_ASSIGN_OR_RETURN(Money price, CurrentPrice(view, core_->tables, s, r, quantity, now));
    return CartStateSetQuantity(r.state, core_->replica_id, s, quantity, price, now);
  }, s);
}

Result<Cart> Carts::remove(std::string_view cart_id, std::string_view sku) {
  COMMERCE_RETURN_IF_ERROR(CheckIdentifier("sku", sku));
  // Removing a line that is not there is not an error (a retried request is harmless), and
  // it still counts as a touch of the cart.
  std::string s(sku);
  return EditCart(core_, cart_id, "remove", [&](ReadView&, CartRecord& r, int64_t) {
    CartStateRemove(r.state, s);
    return Status::OK();
  });
}

Result<Cart> Carts::clear(std::string_view cart_id) {
  return EditCart(core_, cart_id, "clear", [&](ReadView&, CartRecord& r, int64_t) {
    CartStateClear(r.state);
    return Status::OK();
  });
}

Result<Cart> Carts::merge(std::string_view cart_id, const CartState& other) {
  COMMERCE_RETURN_IF_ERROR(CheckIdentifier("cart_id", cart_id));
  const Tables& t = core_->tables;
  const int64_t now = EngineCore::NowMs();
  std::string id(cart_id);
  Cart out;
  auto prepare = [&](ReadView& view, ChangeSet& changes) -> Status {
    COMMERCE_ASSIGN_OR_RETURN(CartRecord r, ReadCartArg(view, t, id, changes));
    COMMERCE_RETURN_IF_ERROR(CheckForeignState(other, id, r.state.currency));
    const std::string previous_customer = r.state.customer_id;
    COMMERCE_ASSIGN_OR_RETURN(r.state, MergeCartStates(r.state, other));
    COMMERCE_RETURN_IF_ERROR(CheckMergedSize(DotCount(r.state)));
    if (!r.state.customer_id.empty() && r.state.customer_id != previous_customer)
      COMMERCE_RETURN_IF_ERROR(CheckCustomerExistsInTxn(view, t, r.state.customer_id).WithContext("customer_id"));
    r.updated_at_ms = now;
    COMMERCE_ASSIGN_OR_RETURN(out, CartFromRecord(r));
    WriteCartRecord(changes, t, r, previous_customer);
    AppendCartEvent(changes, t, "CartMerged", r, now);
    return changes.status();
  };
  COMMERCE_RETURN_IF_ERROR(core_->Apply(prepare).status());
  return out;
}

Status Carts::remove_cart(std::string_view cart_id) {
  COMMERCE_RETURN_IF_ERROR(CheckIdentifier("cart_id", cart_id));
  const Tables& t = core_->tables;
  const int64_t now = EngineCore::NowMs();
  std::string id(cart_id);
  auto prepare = [&](ReadView& view, ChangeSet& changes) -> Status {
    COMMERCE_ASSIGN_OR_RETURN(CartRecord r, ReadCartArg(view, t, id, changes));
    DeleteCartRecord(changes, t, r);
    AppendCartEvent(changes, t, "CartDeleted", r, now, {{"reason", "removed"}});
    return changes.status();
  };
  return core_->Apply(prepare).status();
}

}  // namespace commerce
