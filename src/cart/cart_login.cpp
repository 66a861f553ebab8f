// Carts::merge_guest_into_customer (cart.h): what happens to a guest's cart when the shopper
// logs in. One checked change set prepared on the caller's thread (EngineCore::Apply; the
// checked reads in docs/storage.md): pick (or create) the customer's cart, fold the guest's
// live lines into it, delete the guest cart, append the events. All or nothing. The set
// expects the guest cart and the target as read, and, when it makes the customer's first
// cart, the customer's login-cart record (LoginCartKey); a refusal, or a guest cart that is
// already the customer's, writes nothing at all.
//
// The rule (docs/carts.md, "Guest cart at login"):
//   - the target is the customer's most recently updated cart (ties: the larger cart id), or
//     a new cart in the guest cart's currency when the customer has none;
//   - a SKU in both carts gets the sum of the two quantities, capped at kMaxQuantity, at the
//     guest line's price (the price the shopper saw last); a SKU in one cart stays as it is;
//   - the guest cart is deleted (CartDeleted, reason "merged");
//   - a guest cart that already belongs to this customer is returned unchanged; one that
//     belongs to another customer is FailedPrecondition; a target in another currency is
//     InvalidArgument (nothing is converted).
// Unlike merge(), this is not a CRDT merge of two copies of one cart: it is an edit of the
// target made with the engine's replica id (a set_quantity per guest line), so the target
// stays mergeable with its own copies elsewhere.
#include <algorithm>

#include "cart/cart_codec.h"
#include "cart/cart_store.h"
#include "commerce/cart.h"
#include "commerce/inventory.h"
#include "common/ids.h"
#include "common/key.h"
#include "customer/customer_store.h"
#include "engine/engine_core.h"

namespace commerce {

namespace {

// The customer's most recently updated cart other than `except`, if any; `changes` then
// expects it as read (an edit, order or expiry of it in between prepares the login again).
// The other carts are read, not checked: one edited meanwhile may become the newest, and the
// login still lands in the one that was newest when it read them, as if it came first.
Result<std::optional<CartRecord>> NewestCustomerCart(ReadView& view, const Tables& t,
                                                     std::string_view customer_id,
                                                     std::string_view except, ChangeSet& changes) {
  const std::string prefix = KeyBuilder().str(customer_id).key();
  COMMERCE_ASSIGN_OR_RETURN(auto rows, view.scan(t.customer_carts, prefix, PrefixEnd(prefix), 0));
  std::optional<CartRecord> best;
  for (const auto& kv : rows) {
    KeyReader reader(std::string_view(kv.key).substr(prefix.size()));
    auto cart_id = reader.str();
    if (!cart_id) return Status::Corruption("customer_carts key does not decode");
    if (*cart_id == except) continue;
    auto read = ReadCartRecord(view, t, *cart_id);
    // The index row and the cart are written and deleted together; should one ever dangle,
    // skipping it is better than refusing every login of this customer.
    if (read.status().IsNotFound()) continue;
    COMMERCE_RETURN_IF_ERROR(read.status());
    CartRecord r = std::move(read).value();
    if (!best || std::tie(r.updated_at_ms, r.state.cart_id) >
                     std::tie(best->updated_at_ms, best->state.cart_id))
      best = std::move(r);
  }
  if (!best) return best;
  // Read again into the set: the expect holds the stored bytes, not a re-encoding.
  COMMERCE_ASSIGN_OR_RETURN(CartRecord target, ReadCartRecord(view, t, best->state.cart_id, changes));
  return std::optional<CartRecord>(std::move(target));
}

// The meta record ("login-cart", customer id) -> the id of the cart the customer's last login
// made. Two logins of one customer that has no cart would each make one; each expects this
// record as read and writes its new cart's id into it, so the second fails that check, is
// prepared again, finds the first's cart and merges into it -- one cart, as when logins ran
// one after the other. Logins that find a cart do not touch it.
std::string LoginCartKey(std::string_view customer_id) {
  return KeyBuilder().str("login-cart").str(customer_id).key();
}

Status ClaimLoginCart(ReadView& view, const Tables& t, std::string_view customer_id,
                      std::string_view new_id, ChangeSet& changes) {
  const std::string key = LoginCartKey(customer_id);
  std::string_view last;
  Status s = view.get(t.meta, key, &last);
  if (s.IsNotFound()) changes.expect_absent(t.meta, key);
  else if (s.ok()) changes.expect(t.meta, key, last);
  else return s;
  changes.put(t.meta, key, new_id);
  return Status::OK();
}

}  // namespace

Result<Cart> Carts::merge_guest_into_customer(std::string_view guest_cart_id,
                                              std::string_view customer_id) {
  COMMERCE_RETURN_IF_ERROR(CheckIdentifier("guest_cart_id", guest_cart_id));
  COMMERCE_RETURN_IF_ERROR(CheckIdentifier("customer_id", customer_id));
  const Tables& t = core_->tables;
  const int64_t now = EngineCore::NowMs();
  const std::string guest_id(guest_cart_id), customer(customer_id);
  const std::string new_id = RandomId("cart-", kCapabilityBytes);  // used only when the customer has no cart
  Cart out;
  auto prepare = [&](ReadView& view, ChangeSet& changes) -> Status {
    auto read_guest = ReadCartRecord(view, t, guest_id, changes);
    if (read_guest.status().IsNotFound())
      return Status::NotFound("guest_cart_id: no cart '" + guest_id + "'");
    COMMERCE_RETURN_IF_ERROR(read_guest.status());
    CartRecord guest = std::move(read_guest).value();
    // Customers are never deleted: the read needs no check.
    COMMERCE_RETURN_IF_ERROR(CheckCustomerExistsInTxn(view, t, customer).WithContext("customer_id"));
    if (guest.state.customer_id == customer) {
      COMMERCE_ASSIGN_OR_RETURN(out, CartFromRecord(guest));
      changes = ChangeSet();  // nothing to write: the guest's expect goes too
      return Status::OK();
    }
    if (!guest.state.customer_id.empty())
      return Status::FailedPrecondition("guest_cart_id: cart '" + guest_id +
                                        "' belongs to another customer");
    COMMERCE_ASSIGN_OR_RETURN(auto found, NewestCustomerCart(view, t, customer, guest_id, changes));
    const bool created = !found;
    CartRecord target;
    std::string previous_customer;
    if (found) {
      target = std::move(*found);
      previous_customer = target.state.customer_id;
      if (target.state.currency != guest.state.currency)
        return Status::InvalidArgument("currency: guest cart '" + guest_id + "' is in '" +
                                       guest.state.currency + "', customer cart '" +
                                       target.state.cart_id + "' is in '" +
                                       target.state.currency + "'");
      if (target.channel != guest.channel)
        return Status::InvalidArgument("channel: guest cart '" + guest_id + "' is in channel '" +
                                       guest.channel + "', customer cart '" +
                                       target.state.cart_id + "' in '" + target.channel + "'");
    } else {
      std::string_view unused;
      if (view.get(t.carts, CartKey(new_id), &unused).ok())
        return Status::Internal("generated cart id '" + new_id + "' is taken; retry");
      COMMERCE_RETURN_IF_ERROR(ClaimLoginCart(view, t, customer, new_id, changes));
      target.state.cart_id = new_id;
      target.state.currency = guest.state.currency;
      target.channel = guest.channel;
      target.state.customer_id = customer;
      target.state.customer_time_ms = now;
      target.state.customer_replica = core_->replica_id;
      target.created_at_ms = now;
    }
    COMMERCE_ASSIGN_OR_RETURN(auto guest_lines, LiveCartLines(guest.state));
    for (const CartLine& g : guest_lines) {
      const int64_t sum = std::min(CartStateQuantity(target.state, g.sku) + g.quantity, kMaxQuantity);
      COMMERCE_RETURN_IF_ERROR(CartStateSetQuantity(target.state, core_->replica_id, g.sku, sum,
                                                    g.unit_price, now)
                                   .WithContext("merging guest cart '" + guest_id + "'"));
    }
    target.updated_at_ms = now;
    COMMERCE_ASSIGN_OR_RETURN(out, CartFromRecord(target));
    if (created) {
      // Inserted, not put: an id taken since the snapshot fails the check; prepared again,
      // the answer is the Internal above.
      changes.insert(t.carts, CartKey(new_id), EncodeCartRecord(target));
      changes.put(t.customer_carts, CustomerCartKey(customer, new_id), "");
      AppendCartEvent(changes, t, "CartCreated", target, now, {{"currency", target.state.currency}});
    } else {
      WriteCartRecord(changes, t, target, previous_customer);
    }
    AppendCartEvent(changes, t, "CartMerged", target, now, {{"from_cart_id", guest_id}});
    DeleteCartRecord(changes, t, guest);
    guest.updated_at_ms = now;
    AppendCartEvent(changes, t, "CartDeleted", guest, now,
                    {{"reason", "merged"}, {"into_cart_id", target.state.cart_id}});
    return changes.status();
  };
  COMMERCE_RETURN_IF_ERROR(core_->Apply(prepare).status());
  return out;
}

}  // namespace commerce
