// Carts::merge_guest_into_customer (cart.h): what happens to a guest's cart when the shopper
// logs in. One mutation: pick (or create) the customer's cart, fold the guest's live lines
// into it, delete the guest cart, append the events. All or nothing.
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

#include "cart/cart_store.h"
#include "commerce/cart.h"
#include "commerce/inventory.h"
#include "common/ids.h"
#include "common/key.h"
#include "customer/customer_store.h"
#include "engine/engine_core.h"

namespace commerce {

namespace {

// The customer's most recently updated cart other than `except`, if any.
Result<std::optional<CartRecord>> NewestCustomerCart(ReadView& view, const Tables& t,
                                                     std::string_view customer_id,
                                                     std::string_view except) {
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
  return best;
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
  COMMERCE_RETURN_IF_ERROR(core_->Write([&](WriteTxn& txn) -> Status {
    auto read_guest = ReadCartRecord(txn, t, guest_id);
    if (read_guest.status().IsNotFound())
      return Status::NotFound("guest_cart_id: no cart '" + guest_id + "'");
    COMMERCE_RETURN_IF_ERROR(read_guest.status());
    CartRecord guest = std::move(read_guest).value();
    COMMERCE_RETURN_IF_ERROR(CheckCustomerExistsInTxn(txn, t, customer).WithContext("customer_id"));
    if (guest.state.customer_id == customer) {
      COMMERCE_ASSIGN_OR_RETURN(out, CartFromRecord(guest));
      return Status::OK();
    }
    if (!guest.state.customer_id.empty())
      return Status::FailedPrecondition("guest_cart_id: cart '" + guest_id +
                                        "' belongs to another customer");
    COMMERCE_ASSIGN_OR_RETURN(auto found, NewestCustomerCart(txn, t, customer, guest_id));
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
    } else {
      std::string_view unused;
      if (txn.get(t.carts, CartKey(new_id), &unused).ok())
        return Status::Internal("generated cart id '" + new_id + "' is taken; retry");
      target.state.cart_id = new_id;
      target.state.currency = guest.state.currency;
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
    COMMERCE_RETURN_IF_ERROR(WriteCartRecord(txn, t, target, previous_customer));
    if (created)
      COMMERCE_RETURN_IF_ERROR(AppendCartEvent(txn, t, "CartCreated", target, now,
                                               {{"currency", target.state.currency}}));
    COMMERCE_RETURN_IF_ERROR(
        AppendCartEvent(txn, t, "CartMerged", target, now, {{"from_cart_id", guest_id}}));
    COMMERCE_RETURN_IF_ERROR(DeleteCartRecord(txn, t, guest));
    guest.updated_at_ms = now;
    return AppendCartEvent(txn, t, "CartDeleted", guest, now,
                           {{"reason", "merged"}, {"into_cart_id", target.state.cart_id}});
  }));
  return out;
}

}  // namespace commerce
