// The cart record and the cart's work inside a transaction, shared by the Carts API
// (carts.cpp), the expiry consumer (cart_expiry.cpp) and order placement (src/order/), so
// that every writer of a cart keeps the same record, indexes and events.
//
// Record layout (table `carts`, key = KeyBuilder().str(cart id)): a CartRecord, cereal,
// versioned. Index `customer_carts`: (customer id, cart id) -> "" while the cart belongs to
// the customer. Index `cart_expiry` belongs to the expiry consumer (cart_expiry.cpp).
//
// Every writer of a cart (the Carts edits, the guest cart at login, expiry, order placement)
// writes into a ChangeSet prepared against a snapshot (docs/storage.md, "Checked changes"):
// the set expects the cart's bytes as read, so a cart written by someone else in between
// fails the check and the write is prepared again over the newer cart.
//
// Thread safety: these functions run on the thread of the one transaction or change set
// they are given.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "commerce/cart.h"
#include "commerce/storage.h"
#include "engine/engine_core.h"

namespace commerce {

// What is stored per cart: the mergeable state plus when it was last written.
struct CartRecord {
  CartState state;
  // Fixed at creation (NewCart::channel), so not part of the mergeable state: "" for none,
  // and for every cart written before channels (record version 1).
  std::string channel;
  int64_t created_at_ms = 0;
  int64_t updated_at_ms = 0;
};

// The key of a cart in the `carts` table, and of its entry in `customer_carts`.
std::string CartKey(std::string_view cart_id);
std::string CustomerCartKey(std::string_view customer_id, std::string_view cart_id);

// NotFound ("no cart with id '<id>'": callers add the field, e.g. WithContext("cart_id")) when
// absent; Corruption when the record fails to decode.
Result<CartRecord> ReadCartRecord(ReadView& view, const Tables& t, std::string_view cart_id);
// As ReadCartRecord, and adds to `changes` an expect of the cart's bytes as read: the set then
// applies only over that very cart (a cart written since fails the check).
Result<CartRecord> ReadCartRecord(ReadView& view, const Tables& t, std::string_view cart_id,
                                  ChangeSet& changes);
// Writes the record (overwrite) and keeps `customer_carts` in step with its customer:
// `previous_customer` is the customer the stored record had ("" for none / new cart).
void WriteCartRecord(ChangeSet& changes, const Tables& t, const CartRecord& r,
                     std::string_view previous_customer);
// Deletes the record and its customer_carts row (the expiry index row, if any, is left to
// the expiry consumer, which drops rows of carts that no longer exist).
void DeleteCartRecord(ChangeSet& changes, const Tables& t, const CartRecord& r);

// The lines a caller sees: live lines sorted by SKU, unit price from the newest live add,
// line_total = quantity x unit price. A line whose merged adds sum past kMaxQuantity shows
// kMaxQuantity. InvalidArgument (naming the SKU) when a line total passes kMaxMoneyMinor:
// writes check this before they commit, so a stored cart always has its totals.
// REQUIRES: `s` is canonical (cart_state.cpp), as every CartState function and the codec
// return it.
Result<std::vector<CartLine>> LiveCartLines(const CartState& s);
// The cart as callers see it: LiveCartLines plus subtotal, item count and time.
Result<Cart> CartFromRecord(const CartRecord& r);

// Appends a Cart* event ({"cart_id":..., "customer_id":..., "updated_at_ms":...}, then the
// `extra` members in order, e.g. {{"op", "add"}}) with subject = cart id.
struct CartEventMember {
  std::string_view name;
  std::variant<std::string_view, int64_t> value;
};
using CartEventExtra = std::initializer_list<CartEventMember>;
void AppendCartEvent(ChangeSet& changes, const Tables& t, std::string_view type,
                     const CartRecord& r, int64_t time_ms, CartEventExtra extra = {});

}  // namespace commerce
