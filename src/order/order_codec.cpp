// Nested types (Money, Address, lines, shipments) are written field by field through the
// Io* helpers below rather than through free serialize() overloads: other engines store
// Money and Address too, and two different overloads of the same template in two files
// would break the one-definition rule without a diagnostic. Only the top-level records,
// which no other file stores, get cereal overloads (and with them a version).
#include "order/order_codec.h"

#include <type_traits>

#include "common/codec.h"
#include "common/record_tail.h"

namespace commerce {

namespace {

// A length then each element, as cereal writes a vector. A damaged length fails here
// rather than asking for gigabytes: no order holds a million of anything.
template <class Ar, class V, class Fn>
void IoVector(Ar& ar, V& v, Fn fn) {
  if constexpr (Ar::is_loading::value) {
    cereal::size_type n = 0;
    ar(cereal::make_size_tag(n));
    if (n > 1'000'000) throw std::runtime_error("list of " + std::to_string(n) + " elements");
    v.resize(static_cast<size_t>(n));
  } else {
    ar(cereal::make_size_tag(static_cast<cereal::size_type>(v.size())));
  }
  for (auto& e : v) fn(ar, e);
}

// Field-by-field I/O that works for both directions: M is T (loading) or const T (saving).
template <class Ar, class M>
void IoMoney(Ar& ar, M& m) {
  ar(m.minor, m.currency);
}

template <class Ar, class A>
void IoAddress(Ar& ar, A& a) {
  ar(a.name, a.line1, a.line2, a.city, a.postal_code, a.region, a.country);
}

template <class Ar, class L>
void IoLine(Ar& ar, L& l) {
  ar(l.sku, l.product_id, l.title, l.quantity);
  IoMoney(ar, l.unit_price);
  IoMoney(ar, l.line_total);
}

template <class Ar, class S>
void IoShipment(Ar& ar, S& s) {
  ar(s.warehouse_id);
  IoVector(ar, s.items, [](Ar& a, auto& item) { a(item.sku, item.quantity); });
}

// A status byte, checked on load so a damaged record is Corruption, not a bad enum.
template <class Ar, class St>
void IoStatus(Ar& ar, St& status) {
  if constexpr (Ar::is_loading::value) {
    uint8_t b = 0;
    ar(b);
    if (b > static_cast<uint8_t>(kLastOrderStatus))
      throw std::runtime_error("unknown order status " + std::to_string(b));
    status = static_cast<OrderStatus>(b);
  } else {
    ar(static_cast<uint8_t>(status));
  }
}

template <class Ar, class T>
void IoTransition(Ar& ar, T& tr) {
  IoStatus(ar, tr.from);
  IoStatus(ar, tr.to);
  ar(tr.time_ms, tr.note);
}

template <class Ar, class D>
void IoLineDiscount(Ar& ar, D& d) {
  ar(d.promotion_id);
  IoMoney(ar, d.amount);
}

template <class Ar, class P>
void IoAppliedPromotion(Ar& ar, P& p) {
  ar(p.promotion_id, p.name, p.coupon_code);
  IoMoney(ar, p.amount);
  ar(p.free_shipping);
}

// Version 3: the discounts (promotions.h), after the token: the order's discount and
// promotions, then each line's discounts (a line's discount is their sum). Records written
// before have none: zero in the order's currency.
template <class Ar, class O>
void IoDiscounts(Ar& ar, O& o, std::uint32_t version) {
  if (version >= 3) {
    IoMoney(ar, o.discount);
    IoVector(ar, o.promotions, [](Ar& a, auto& p) { IoAppliedPromotion(a, p); });
    for (auto& l : o.lines)
      IoVector(ar, l.discounts, [](Ar& a, auto& d) { IoLineDiscount(a, d); });
  }
  if constexpr (Ar::is_loading::value) {
    if (version < 3) o.discount = Money{0, o.currency};
    for (auto& l : o.lines) {
      l.discount = Money{0, o.currency};
      for (const auto& d : l.discounts)
        if (d.amount.minor < 0 ||
            __builtin_add_overflow(l.discount.minor, d.amount.minor, &l.discount.minor))
          throw std::runtime_error("a line's discounts are negative or past any amount");
    }
  }
}

// Version 4: price lists (price_lists.h), after the discounts: the order's channel and the tax
// inside tax-inclusive prices, then each line's price list and whether its price includes tax.
// Records written before have none: no channel, base prices, no tax included.
template <class Ar, class O>
void IoPriceLists(Ar& ar, O& o, std::uint32_t version) {
  if (version >= 4) {
    ar(o.channel);
    IoMoney(ar, o.tax_included);
    for (auto& l : o.lines) ar(l.price_list_id, l.tax_inclusive);
  } else if constexpr (Ar::is_loading::value) {
    o.tax_included = Money{0, o.currency};
  }
}

// Version 2 added the access token, written last; a version-1 record has none ("").
template <class Ar, class O>
void IoOrder(Ar& ar, O& so, std::uint32_t version) {
  auto& o = so.order;
  ar(so.seq, o.id, o.customer_id, o.idempotency_key);
  IoStatus(ar, o.status);
  ar(o.currency);
  IoVector(ar, o.lines, [](Ar& a, auto& l) { IoLine(a, l); });
  IoVector(ar, o.shipments, [](Ar& a, auto& s) { IoShipment(a, s); });
  IoMoney(ar, o.subtotal);
  IoMoney(ar, o.tax);
  IoMoney(ar, o.shipping);
  IoMoney(ar, o.total);
  IoAddress(ar, o.shipping_address);
  IoVector(ar, o.history, [](Ar& a, auto& tr) { IoTransition(a, tr); });
  ar(o.created_at_ms, o.updated_at_ms, o.version);
  if (version >= 2) ar(o.access_token);
  IoDiscounts(ar, o, version);
  IoPriceLists(ar, o, version);
}
}  // namespace

template <class Archive>
void save(Archive& ar, const StoredOrder& o, std::uint32_t version) {
  IoOrder(ar, o, version);
}

template <class Archive>
void load(Archive& ar, StoredOrder& o, std::uint32_t version) {
  if (version < 1 || version > 4)
    throw std::runtime_error("unknown order record version " + std::to_string(version));
  IoOrder(ar, o, version);
}

template <class Archive>
void serialize(Archive& ar, OrderKeyRecord& r, std::uint32_t /*version*/) {
  ar(r.order_id, r.fingerprint);
}

}  // namespace commerce

CEREAL_CLASS_VERSION(commerce::StoredOrder, 4);
CEREAL_CLASS_VERSION(commerce::OrderKeyRecord, 1);

namespace commerce {

std::string EncodeOrder(const StoredOrder& o) { return Encode(o); }

// Either form: a record whose placement sequence is inside it (EncodeOrder), or a new order as
// a change set writes it (order_placement.cpp): seq 0 inside, the sequence after the record in
// a tailed envelope (common/record_tail.h), filled in by the writer.
Status DecodeOrder(std::string_view key, std::string_view bytes, StoredOrder* o) {
  if (!IsTailed(bytes)) return Decode(bytes, o, "orders", key);
  COMMERCE_ASSIGN_OR_RETURN(TailedParts parts, SplitTailed(bytes, "orders", key));
  COMMERCE_RETURN_IF_ERROR(Decode(parts.framed, o, "orders", key));
  if (parts.numbers.size() != 1 || o->seq != 0 || parts.numbers[0] <= 0)
    return RecordCorruption("orders", key, "the placement sequence after the record is not one "
                                           "positive number");
  o->seq = static_cast<uint64_t>(parts.numbers[0]);
  return Status::OK();
}
std::string EncodeOrderKey(const OrderKeyRecord& r) { return Encode(r); }
Status DecodeOrderKey(std::string_view key, std::string_view bytes, OrderKeyRecord* r) {
  return Decode(bytes, r, "order_keys", key);
}

}  // namespace commerce
