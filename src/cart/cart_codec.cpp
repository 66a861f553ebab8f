// The stored form of a cart (CartRecord, cart_store.h): a cereal binary archive, version 2
// (version 1, before channels, is read as a cart without one).
//
// Dots name their replica by an index into the record's replica table (the keys of the
// state's clock, which in canonical form lists every replica that made a dot) instead of repeating the
// replica id in every dot: a dot costs 12 bytes instead of about 34. Add prices are stored
// without their currency, which is the cart's (the CartState functions enforce it).
//
// Only CartRecord gets cereal functions; the public cart types are written field by field
// from here, so that no other translation unit's serialize() for them can clash with ours.
#include "cart/cart_codec.h"

#include <map>
#include <stdexcept>

#include "common/codec.h"

namespace commerce {

namespace {

struct ReplicaTable {
  std::vector<std::string> names;
  std::map<std::string, uint32_t, std::less<>> index;
};

template <class Archive>
void SaveDot(Archive& ar, const ReplicaTable& rt, const CartDot& d) {
  ar(rt.index.find(d.replica)->second, d.counter);  // every dot's replica is in the table
}

// The replica table: the clock's replicas, plus (for a state that is not canonical) any
// replica that appears only in a dot, with its highest counter, as canonical form has it.
void BuildReplicaTable(const CartState& s, ReplicaTable* rt, std::vector<uint64_t>* counters) {
  std::map<std::string, uint64_t, std::less<>> clock(s.clock.begin(), s.clock.end());
  auto see = [&](const CartDot& d) {
    uint64_t& c = clock[d.replica];
    c = std::max(c, d.counter);
  };
  for (const auto& [sku, line] : s.lines) {
    for (const auto& a : line.adds) see(a.dot);
    for (const auto& d : line.removed) see(d);
  }
  for (const auto& [replica, counter] : clock) {
    rt->index.emplace(replica, static_cast<uint32_t>(rt->names.size()));
    rt->names.push_back(replica);
    counters->push_back(counter);
  }
}

template <class Archive>
CartDot LoadDot(Archive& ar, const ReplicaTable& rt) {
  uint32_t idx = 0;
  CartDot d;
  ar(idx, d.counter);
  if (idx >= rt.names.size()) throw std::runtime_error("dot names replica #" + std::to_string(idx) + " of " + std::to_string(rt.names.size()));
  d.replica = rt.names[idx];
  return d;
}

}  // namespace

template <class Archive>
void save(Archive& ar, const CartRecord& r, std::uint32_t /*version*/) {
  const CartState& s = r.state;
  ReplicaTable rt;
  std::vector<uint64_t> counters;
  BuildReplicaTable(s, &rt, &counters);
  ar(r.created_at_ms, r.updated_at_ms, s.cart_id, s.currency, s.customer_id, s.customer_time_ms,
     s.customer_replica, rt.names, counters);
  ar(cereal::make_size_tag(static_cast<cereal::size_type>(s.lines.size())));
  for (const auto& [sku, line] : s.lines) {
    ar(sku);
    ar(cereal::make_size_tag(static_cast<cereal::size_type>(line.adds.size())));
    for (const auto& a : line.adds) {
      SaveDot(ar, rt, a.dot);
      ar(a.quantity, a.unit_price.minor, a.time_ms);
    }
    ar(cereal::make_size_tag(static_cast<cereal::size_type>(line.removed.size())));
    for (const auto& d : line.removed) SaveDot(ar, rt, d);
  }
  ar(r.channel);  // version 2
}

template <class Archive>
void load(Archive& ar, CartRecord& r, std::uint32_t version) {
  if (version != 1 && version != 2) throw std::runtime_error("unknown cart record version " + std::to_string(version));
  CartState& s = r.state;
  ReplicaTable rt;
  std::vector<uint64_t> counters;
  ar(r.created_at_ms, r.updated_at_ms, s.cart_id, s.currency, s.customer_id, s.customer_time_ms,
     s.customer_replica, rt.names, counters);
  if (counters.size() != rt.names.size()) throw std::runtime_error("replica table and clock differ in size");
  for (size_t i = 0; i < rt.names.size(); ++i) s.clock[rt.names[i]] = counters[i];
  cereal::size_type n_lines = 0;
  ar(cereal::make_size_tag(n_lines));
  for (cereal::size_type i = 0; i < n_lines; ++i) {
    std::string sku;
    ar(sku);
    CartLineState& line = s.lines[sku];
    cereal::size_type n = 0;
    ar(cereal::make_size_tag(n));
    line.adds.reserve(std::min<cereal::size_type>(n, 1 << 16));
    for (cereal::size_type j = 0; j < n; ++j) {
      CartAdd a;
      a.dot = LoadDot(ar, rt);
      ar(a.quantity, a.unit_price.minor, a.time_ms);
      a.unit_price.currency = s.currency;
      line.adds.push_back(std::move(a));
    }
    ar(cereal::make_size_tag(n));
    line.removed.reserve(std::min<cereal::size_type>(n, 1 << 16));
    for (cereal::size_type j = 0; j < n; ++j) line.removed.push_back(LoadDot(ar, rt));
  }
  if (version >= 2) ar(r.channel);
}

}  // namespace commerce

CEREAL_CLASS_VERSION(commerce::CartRecord, 2);

namespace commerce {

std::string EncodeCartRecord(const CartRecord& r) { return Encode(r); }

Status DecodeCartRecord(std::string_view key, std::string_view bytes, CartRecord* r) {
  return Decode(bytes, r, "carts", key);
}

}  // namespace commerce
