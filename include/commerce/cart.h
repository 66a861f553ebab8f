// Carts: always writable, and mergeable without losing an add.
//
// A cart is a set of lines keyed by SKU. Underneath, each line records its adds and removals
// (CartState below): every add is a "dot" (replica, counter) carrying a quantity; a removal
// or a set-quantity records the dots it saw as removed. A line's quantity is the sum of its
// live dots (added and not removed). Two copies of a cart edited apart — two devices, two
// replicas, a store that was unreachable — merge by union of dots and union of removals:
// commutative, associative and idempotent, so copies converge whatever the order of merges.
// An add the other copy never saw survives the merge (no lost adds, as in the Dynamo paper's
// cart); a removal removes exactly what it saw, so a removed item does not come back when an
// old copy is merged in (Dynamo's known flaw). See docs/carts.md for a worked example.
//
// A cart write is one small checked change set, prepared on the caller's thread, touching only
// the cart's own record: concurrent edits of one cart all apply, none is lost (docs/carts.md).
// Carts untouched for CartOptions::ttl are removed by a background consumer of the event
// log (never by the caller), which writes a CartExpired event.
//
// Thread safety: a Carts (from Engine::carts()) is safe from any number of threads.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "commerce/export.h"
#include "commerce/money.h"
#include "commerce/status.h"

namespace commerce {

class EngineCore;

// --- The mergeable state (what replicas exchange) -------------------------------------

struct CartDot {
  std::string replica;  // who made the add: the engine's replica id, or a device's id
  uint64_t counter = 0; // per replica, increasing
  friend auto operator<=>(const CartDot&, const CartDot&) = default;
};

struct CartAdd {
  CartDot dot;
  int64_t quantity = 0;  // > 0
  Money unit_price;      // the price seen when added
  int64_t time_ms = 0;
  friend bool operator==(const CartAdd&, const CartAdd&) = default;
};

struct CartLineState {
  std::vector<CartAdd> adds;     // sorted by dot
  std::vector<CartDot> removed;  // sorted; dots seen as removed
  friend bool operator==(const CartLineState&, const CartLineState&) = default;
};

struct CartState {
  std::string cart_id;
  std::string currency;
  // Last writer wins on (time, replica): who the cart belongs to.
  std::string customer_id;
  int64_t customer_time_ms = 0;
  std::string customer_replica;
  std::map<std::string, CartLineState> lines;  // by SKU
  std::map<std::string, uint64_t> clock;       // replica -> highest counter it used

  friend bool operator==(const CartState&, const CartState&) = default;
};

// Limits of one cart (docs/carts.md, "Tombstones and their cap"). Live lines: a 501st SKU is
// ResourceExhausted. Dots (adds plus removed dots, which are never dropped: dropping one would
// let an old copy merged in later bring a removed add back) that local edits may grow a cart
// to: an add or set past it is ResourceExhausted, while removals, clears and merges still
// work. Carts::merge stores at most kMaxMergedCartDots (two copies that each obeyed
// kMaxCartDots always fit).
inline constexpr size_t kMaxCartLines = 500;
inline constexpr size_t kMaxCartDots = 10'000;
inline constexpr size_t kMaxMergedCartDots = 2 * kMaxCartDots;

// Pure functions over CartState: the engine uses them, and so can a device editing a copy
// offline before merging it back. InvalidArgument for quantities outside 1..kMaxQuantity
// (0 allowed for set_quantity, meaning remove), a line past kMaxQuantity or a price in
// another currency; ResourceExhausted past kMaxCartLines or kMaxCartDots. Every state they
// return is canonical (sorted, deduplicated), so equal states compare equal.
COMMERCE_EXPORT Status CartStateAdd(CartState& s, std::string_view replica, std::string_view sku,
                                    int64_t quantity, const Money& unit_price, int64_t time_ms);
COMMERCE_EXPORT Status CartStateSetQuantity(CartState& s, std::string_view replica,
                                            std::string_view sku, int64_t quantity,
                                            const Money& unit_price, int64_t time_ms);
COMMERCE_EXPORT void CartStateRemove(CartState& s, std::string_view sku);
COMMERCE_EXPORT void CartStateClear(CartState& s);
// The live quantity of a line (0 when absent or removed).
COMMERCE_EXPORT int64_t CartStateQuantity(const CartState& s, std::string_view sku);
// a ⊔ b. InvalidArgument when the two are different carts or in different currencies.
COMMERCE_EXPORT Result<CartState> MergeCartStates(const CartState& a, const CartState& b);

// --- The cart as callers see it --------------------------------------------------------

struct CartLine {
  std::string sku;
  int64_t quantity = 0;
  Money unit_price;  // from the newest live add: the price that applied then (price_lists.h)
  Money line_total;
  friend bool operator==(const CartLine&, const CartLine&) = default;
};

struct Cart {
  std::string id;
  std::string customer_id;  // empty for a guest cart
  std::string currency;
  std::vector<CartLine> lines;  // by SKU
  Money subtotal;
  int64_t item_count = 0;
  int64_t updated_at_ms = 0;
  std::string channel;  // as created ("": none); selects price lists (price_lists.h)
  friend bool operator==(const Cart&, const Cart&) = default;
};

// The currency of a cart that names neither a currency nor a channel.
inline constexpr const char* kDefaultCartCurrency = "USD";

struct NewCart {
  // Given (1..64 printable), or generated: "cart-" + 32 hex digits, 128 bits from the OS
  // random source, because whoever knows a cart's id can edit it and order from it.
  std::string id;
  std::string customer_id;  // optional; must exist when given
  // The cart's one currency, for good: every line is priced in it (from a price list in it,
  // or the variant's base price when that is in it), and its order is in it. "" (the
  // default): the channel's default_currency for a cart in a channel, else kDefaultCartCurrency
  // (as before channels). A currency the channel does not sell is InvalidArgument.
  std::string currency;
  // Optional, fixed at creation: the channel (channels.h) whose products, currencies and
  // price lists apply. "" or 1..64 of A-Z a-z 0-9 '-' '_'; must exist once channels do.
  std::string channel;
};

class COMMERCE_EXPORT Carts {
 public:
  // Handed out by Engine (engine.h), which owns it; not copyable.
  Carts(const Carts&) = delete;
  Carts& operator=(const Carts&) = delete;

  // AlreadyExists for a taken id; NotFound for an unknown customer.
  Result<Cart> create(const NewCart& c);
  Result<Cart> get(std::string_view cart_id);

  // quantity more of `sku` (1..kMaxQuantity), at the price that applies now (price_lists.h:
  // the cart's currency and channel, its customer's group, the line's new quantity for
  // tiers). InvalidArgument for an archived or draft product or a SKU with no price in the
  // cart's currency; NotFound for an unknown SKU or cart. A line's total quantity is capped
  // at kMaxQuantity.
  Result<Cart> add(std::string_view cart_id, std::string_view sku, int64_t quantity);
  // The line's quantity becomes `quantity` (0 removes it).
  Result<Cart> set_quantity(std::string_view cart_id, std::string_view sku, int64_t quantity);
  Result<Cart> remove(std::string_view cart_id, std::string_view sku);
  Result<Cart> clear(std::string_view cart_id);

  // The mergeable state, to hand to another replica or a device.
  Result<CartState> state(std::string_view cart_id);
  // Merges a diverged copy of this cart into the stored one. InvalidArgument for a state of
  // another cart or currency or with an invalid add; ResourceExhausted past
  // kMaxMergedCartDots; NotFound when the merged customer does not exist.
  Result<Cart> merge(std::string_view cart_id, const CartState& other);

  // Login: the guest cart's lines move into the customer's newest cart (created if the
  // customer has none), then the guest cart is deleted. Rule: a SKU in both carts gets the
  // sum of the two quantities (capped at kMaxQuantity), at the guest line's price; lines only
  // in one cart are kept as they are. Returns the customer's cart. A guest cart already the
  // customer's is returned unchanged; another customer's is FailedPrecondition; a customer
  // cart in another currency or channel is InvalidArgument (nothing written).
  Result<Cart> merge_guest_into_customer(std::string_view guest_cart_id,
                                         std::string_view customer_id);

  // Deletes the cart (orders placed from it keep their copy of the lines).
  Status remove_cart(std::string_view cart_id);

 private:
  friend class Engine;
  explicit Carts(EngineCore* core) : core_(core) {}
  EngineCore* core_;
};

}  // namespace commerce
