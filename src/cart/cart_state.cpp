// The pure functions over CartState (cart.h): an observed-remove multiset of adds per SKU.
//
// Canonical form. Every state these functions return is canonical, so that two states that
// mean the same thing compare equal with operator== whatever order the merges ran in:
//   - line.removed is sorted and without duplicates;
//   - line.adds is sorted by dot, one add per dot, and holds only live adds: an add whose dot
//     is in line.removed is dropped, because the tombstone alone suppresses that dot in every
//     later merge (the add's payload is never needed again);
//   - a line with neither adds nor tombstones is absent from the map;
//   - clock[r] >= every counter of replica r that appears in the state.
// Canonicalising is the join of a lattice: merge = (adds_a ∪ adds_b) \ (removed_a ∪ removed_b),
// removed_a ∪ removed_b, max of clocks, and last-writer-wins on the customer — each a
// commutative, associative, idempotent operation, so their product is too.
//
// One add per dot: a replica id used by two copies at once (a device restored from an old
// backup) could make the same dot twice with different payloads. The larger payload, by a
// total order, wins: a deterministic choice keeps merges commutative even then.
#include <algorithm>
#include <functional>
#include <tuple>

#include "commerce/cart.h"
#include "cart/cart_dots.h"
#include "cart/cart_quantity.h"
#include "commerce/cart.h"
#include "commerce/inventory.h"
#include "common/ids.h"

namespace commerce {

namespace {

auto PayloadKey(const CartAdd& a) {
  return std::tie(a.quantity, a.unit_price.minor, a.unit_price.currency, a.time_ms);
}

void CanonicalizeLine(CartLineState& line) {
  // Stored states are canonical already: the O(n) checks spare them the sorts.
  auto& r = line.removed;
  if (std::adjacent_find(r.begin(), r.end(), std::greater_equal<>()) != r.end()) {
    std::sort(r.begin(), r.end());
    r.erase(std::unique(r.begin(), r.end()), r.end());
  }
  auto& adds = line.adds;
  auto not_strictly_increasing = [](const CartAdd& a, const CartAdd& b) { return !(a.dot < b.dot); };
  if (std::adjacent_find(adds.begin(), adds.end(), not_strictly_increasing) != adds.end()) {
    // By dot, then by payload descending, so that the first of each dot is the one kept.
    std::sort(adds.begin(), adds.end(), [](const CartAdd& a, const CartAdd& b) {
      if (a.dot != b.dot) return a.dot < b.dot;
      return PayloadKey(a) > PayloadKey(b);
    });
    adds.erase(std::unique(adds.begin(), adds.end(),
                           [](const CartAdd& a, const CartAdd& b) { return a.dot == b.dot; }),
               adds.end());
  }
  if (!r.empty())
    std::erase_if(adds, [&](const CartAdd& a) { return std::binary_search(r.begin(), r.end(), a.dot); });
}

void RaiseClock(CartState& s, const CartDot& d) {
  uint64_t& c = s.clock[d.replica];
  c = std::max(c, d.counter);
}

void Canonicalize(CartState& s) {
  for (auto it = s.lines.begin(); it != s.lines.end();) {
    CanonicalizeLine(it->second);
    for (const auto& a : it->second.adds) RaiseClock(s, a.dot);
    for (const auto& d : it->second.removed) RaiseClock(s, d);
    if (it->second.adds.empty() && it->second.removed.empty()) it = s.lines.erase(it);
    else ++it;
  }
}

int64_t LineQuantity(const CartLineState& line) {
  int64_t q = 0;
  for (const auto& a : line.adds) q += a.quantity;  // canonical: every add is live
  return q;
}

size_t LiveLineCount(const CartState& s) {
  size_t n = 0;
  for (const auto& [sku, line] : s.lines) n += line.adds.empty() ? 0 : 1;
  return n;
}

// Every live dot of the line becomes a tombstone: the removal covers exactly what it saw.
// REQUIRES: the line is canonical (both vectors sorted), so a linear merge keeps it sorted.
void RemoveObserved(CartLineState& line) {
  auto& r = line.removed;
  const auto mid = static_cast<std::ptrdiff_t>(r.size());
  for (const auto& a : line.adds) r.push_back(a.dot);
  line.adds.clear();
  std::inplace_merge(r.begin(), r.begin() + mid, r.end());
  r.erase(std::unique(r.begin(), r.end()), r.end());
}

Status CheckPrice(const CartState& s, std::string_view sku, const Money& price) {
  if (price.currency != s.currency)
    return Status::InvalidArgument("currency: sku '" + std::string(sku) + "' is priced in '" +
                                   price.currency + "', the cart is in '" + s.currency + "'");
  if (price.minor < 0 || price.minor > kMaxMoneyMinor)
    return Status::InvalidArgument("unit_price: " + std::to_string(price.minor) +
                                   " minor units is outside 0..10^15");
  return Status::OK();
}

// Room for `new_dots` more dots and, when the line is not live yet, for one more line.
Status CheckRoom(const CartState& s, std::string_view sku, size_t new_dots) {
  auto it = s.lines.find(std::string(sku));
  bool live = it != s.lines.end() && !it->second.adds.empty();
  if (!live && LiveLineCount(s) >= kMaxCartLines)
    return Status::ResourceExhausted("sku: cart '" + s.cart_id + "' already has " +
                                     std::to_string(kMaxCartLines) +
                                     " lines, the most a cart holds");
  if (DotCount(s) + new_dots > kMaxCartDots)
    return Status::ResourceExhausted(
        "cart '" + s.cart_id + "' has recorded " + std::to_string(DotCount(s)) +
        " adds and removals, the most one cart keeps is " + std::to_string(kMaxCartDots) +
        ": start a new cart (removing lines still works)");
  return Status::OK();
}

// A fresh dot for `replica`: one past the highest counter it used in this cart.
Result<CartDot> NextDot(CartState& s, std::string_view replica) {
  uint64_t& c = s.clock[std::string(replica)];
  if (c == UINT64_MAX) return Status::ResourceExhausted("replica '" + std::string(replica) + "' has no counters left");
  ++c;
  return CartDot{std::string(replica), c};
}

void InsertAdd(CartLineState& line, CartAdd add) {
  auto pos = std::lower_bound(line.adds.begin(), line.adds.end(), add.dot,
                              [](const CartAdd& a, const CartDot& d) { return a.dot < d; });
  line.adds.insert(pos, std::move(add));
}

const CartAdd* NewestAdd(const CartLineState& line) {
  const CartAdd* newest = nullptr;
  for (const auto& a : line.adds)
    if (!newest || std::tie(a.time_ms, a.dot) > std::tie(newest->time_ms, newest->dot)) newest = &a;
  return newest;
}

Status CheckEditArgs(std::string_view replica, std::string_view sku) {
  COMMERCE_RETURN_IF_ERROR(CheckIdentifier("replica", replica));
  return CheckIdentifier("sku", sku);
}

}  // namespace

Status CheckCartQuantity(int64_t quantity, int64_t min) {
  if (quantity < min || quantity > kMaxQuantity)
    return Status::InvalidArgument("quantity: must be " + std::to_string(min) + ".." +
                                   std::to_string(kMaxQuantity) + ", got " +
                                   std::to_string(quantity));
  return Status::OK();
}

Status CartStateAdd(CartState& s, std::string_view replica, std::string_view sku,
                    int64_t quantity, const Money& unit_price, int64_t time_ms) {
  COMMERCE_RETURN_IF_ERROR(CheckEditArgs(replica, sku));
  COMMERCE_RETURN_IF_ERROR(CheckCartQuantity(quantity, 1));
  COMMERCE_RETURN_IF_ERROR(CheckPrice(s, sku, unit_price));
  Canonicalize(s);
  const int64_t have = CartStateQuantity(s, sku);
  if (have + quantity > kMaxQuantity)
    return Status::InvalidArgument("quantity: sku '" + std::string(sku) + "' would have " +
                                   std::to_string(have + quantity) + ", more than the " +
                                   std::to_string(kMaxQuantity) + " a line holds");
  COMMERCE_RETURN_IF_ERROR(CheckRoom(s, sku, 1));
  COMMERCE_ASSIGN_OR_RETURN(CartDot dot, NextDot(s, replica));
  InsertAdd(s.lines[std::string(sku)], CartAdd{std::move(dot), quantity, unit_price, time_ms});
  return Status::OK();
}

Status CartStateSetQuantity(CartState& s, std::string_view replica, std::string_view sku,
                            int64_t quantity, const Money& unit_price, int64_t time_ms) {
  COMMERCE_RETURN_IF_ERROR(CheckEditArgs(replica, sku));
  COMMERCE_RETURN_IF_ERROR(CheckCartQuantity(quantity, 0));
  if (quantity == 0) {
    CartStateRemove(s, sku);
    return Status::OK();
  }
  COMMERCE_RETURN_IF_ERROR(CheckPrice(s, sku, unit_price));
  Canonicalize(s);
  auto it = s.lines.find(std::string(sku));
  if (it != s.lines.end()) {
    // Already that quantity at that price: no new dot, no tombstone. Besides saving room,
    // this keeps a concurrent set on another copy from being summed with a no-op.
    const CartAdd* newest = NewestAdd(it->second);
    if (newest && LineQuantity(it->second) == quantity && newest->unit_price == unit_price)
      return Status::OK();
  }
  COMMERCE_RETURN_IF_ERROR(CheckRoom(s, sku, 1));
  COMMERCE_ASSIGN_OR_RETURN(CartDot dot, NextDot(s, replica));
  CartLineState& line = s.lines[std::string(sku)];
  RemoveObserved(line);
  InsertAdd(line, CartAdd{std::move(dot), quantity, unit_price, time_ms});
  return Status::OK();
}

void CartStateRemove(CartState& s, std::string_view sku) {
  auto it = s.lines.find(std::string(sku));
  if (it == s.lines.end()) return;
  CanonicalizeLine(it->second);
  RemoveObserved(it->second);
}

void CartStateClear(CartState& s) {
  for (auto& [sku, line] : s.lines) {
    CanonicalizeLine(line);
    RemoveObserved(line);
  }
}

int64_t CartStateQuantity(const CartState& s, std::string_view sku) {
  auto it = s.lines.find(std::string(sku));
  if (it == s.lines.end()) return 0;
  // The state may come from a caller, not canonical: count only adds without a tombstone.
  CartLineState line = it->second;
  CanonicalizeLine(line);
  return LineQuantity(line);
}

Result<CartState> MergeCartStates(const CartState& a, const CartState& b) {
  if (a.cart_id != b.cart_id)
    return Status::InvalidArgument("cart_id: cannot merge cart '" + b.cart_id + "' into cart '" +
                                   a.cart_id + "'");
  if (a.currency != b.currency)
    return Status::InvalidArgument("currency: cart '" + a.cart_id + "' is in '" + a.currency +
                                   "' on one copy and '" + b.currency + "' on the other");
  CartState out = a;
  for (const auto& [sku, theirs] : b.lines) {
    CartLineState& mine = out.lines[sku];
    mine.adds.insert(mine.adds.end(), theirs.adds.begin(), theirs.adds.end());
    mine.removed.insert(mine.removed.end(), theirs.removed.begin(), theirs.removed.end());
  }
  for (const auto& [replica, counter] : b.clock) {
    uint64_t& c = out.clock[replica];
    c = std::max(c, counter);
  }
  // Who the cart belongs to: last writer wins on (time, replica); the id breaks the one
  // remaining tie so that the choice never depends on the order of the arguments.
  if (std::tie(b.customer_time_ms, b.customer_replica, b.customer_id) >
      std::tie(out.customer_time_ms, out.customer_replica, out.customer_id)) {
    out.customer_id = b.customer_id;
    out.customer_time_ms = b.customer_time_ms;
    out.customer_replica = b.customer_replica;
  }
  Canonicalize(out);
  return out;
}

}  // namespace commerce
