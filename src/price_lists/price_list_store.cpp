// The price lists' stored records (price_list_store.h). Cereal archives, version 1, written
// field by field from private wrappers so that the public types get no serialize() of ours.
#include "price_lists/price_list_store.h"

#include <algorithm>
#include <stdexcept>

#include "common/codec.h"
#include "common/key.h"
#include "common/record.h"

namespace commerce {

namespace {

// A damaged length fails here rather than asking for gigabytes.
template <class Ar, class V, class Fn>
void IoBounded(Ar& ar, V& v, size_t max, Fn fn) {
  if constexpr (Ar::is_loading::value) {
    cereal::size_type n = 0;
    ar(cereal::make_size_tag(n));
    if (n > max) throw std::runtime_error("list of " + std::to_string(n) + " elements");
    v.resize(static_cast<size_t>(n));
  } else {
    ar(cereal::make_size_tag(static_cast<cereal::size_type>(v.size())));
  }
  for (auto& e : v) fn(ar, e);
}

template <class Ar, class L>
void IoPriceList(Ar& ar, L& l) {
  ar(l.id, l.name, l.currency, l.customer_group, l.channel, l.starts_at_ms, l.ends_at_ms);
  ar(l.priority, l.tax_inclusive, l.created_at_ms, l.updated_at_ms, l.version);
  IoBounded(ar, l.entries, kMaxPriceListEntries,
            [](Ar& a, auto& e) { a(e.sku, e.price_minor, e.min_quantity); });
}

struct StoredPriceList {
  PriceList l;
  template <class Archive>
  void save(Archive& ar, std::uint32_t /*version*/) const {
    IoPriceList(ar, l);
  }
  template <class Archive>
  void load(Archive& ar, std::uint32_t version) {
    if (version != 1) throw std::runtime_error("unknown price list record version " + std::to_string(version));
    IoPriceList(ar, l);
  }
};

struct StoredSkuPrices {
  SkuPrices rows;
  template <class Ar, class R>
  static void IoRow(Ar& ar, R& r) {
    ar(r.list_id, r.list_version, r.currency, r.customer_group, r.channel, r.starts_at_ms,
       r.ends_at_ms, r.priority, r.tax_inclusive, r.min_quantity, r.price_minor);
  }
  template <class Archive>
  void save(Archive& ar, std::uint32_t /*version*/) const {
    IoBounded(ar, rows, SIZE_MAX, [](Archive& a, const SkuPrice& r) { IoRow(a, r); });
  }
  template <class Archive>
  void load(Archive& ar, std::uint32_t version) {
    if (version != 1) throw std::runtime_error("unknown sku prices record version " + std::to_string(version));
    // At most one row per tier of every list.
    IoBounded(ar, rows, kMaxPriceLists * kMaxPriceListEntries,
              [](Archive& a, SkuPrice& r) { IoRow(a, r); });
  }
};

}  // namespace
}  // namespace commerce

CEREAL_CLASS_VERSION(commerce::StoredPriceList, 1);
CEREAL_CLASS_VERSION(commerce::StoredSkuPrices, 1);

namespace commerce {

std::string PriceListKey(std::string_view id) { return KeyBuilder().str(id).key(); }
std::string SkuPricesKey(std::string_view sku) { return KeyBuilder().str(sku).key(); }
std::string PriceListCountKey() { return KeyBuilder().str("counter").str("price_lists").key(); }

std::string EncodePriceList(const PriceList& l) { return Encode(StoredPriceList{l}); }
Status DecodePriceList(std::string_view key, std::string_view bytes, PriceList* out) {
  StoredPriceList s;
  COMMERCE_RETURN_IF_ERROR(Decode(bytes, &s, "price_lists", key));
  *out = std::move(s.l);
  return Status::OK();
}

std::string EncodeSkuPrices(const SkuPrices& rows) { return Encode(StoredSkuPrices{rows}); }
Status DecodeSkuPrices(std::string_view key, std::string_view bytes, SkuPrices* out) {
  StoredSkuPrices s;
  COMMERCE_RETURN_IF_ERROR(Decode(bytes, &s, "sku_prices", key));
  *out = std::move(s.rows);
  return Status::OK();
}

Result<PriceList> GetPriceList(ReadView& view, const Tables& t, std::string_view id) {
  return GetRecord<PriceList>(view, t.price_lists, PriceListKey(id), id, "price list",
                              DecodePriceList);
}

Result<Page<PriceList>> ListPriceLists(ReadView& view, const Tables& t, std::string_view after,
                                       size_t limit) {
  // One more than the page says whether another follows.
  const std::string begin = after.empty() ? std::string() : PrefixEnd(PriceListKey(after));
  COMMERCE_ASSIGN_OR_RETURN(ReadResults read,
                            view.read_many({}, {RangeRead{t.price_lists, begin, "", limit + 1}}));
  Page<PriceList> page;
  for (const KeyValue& kv : read.ranges[0]) {
    if (page.items.size() == limit) {
      page.next_cursor = page.items.back().id;
      break;
    }
    PriceList l;
    COMMERCE_RETURN_IF_ERROR(DecodePriceList(kv.key, kv.value, &l));
    page.items.push_back(std::move(l));
  }
  return page;
}

Result<SkuPrices> ReadSkuPrices(ReadView& view, const Tables& t, std::string_view sku,
                                ChangeSet* changes) {
  const std::string key = SkuPricesKey(sku);
  std::string_view bytes;
  Status s = view.get(t.sku_prices, key, &bytes);
  if (s.IsNotFound()) {
    if (changes) changes->expect_absent(t.sku_prices, key);
    return SkuPrices{};
  }
  COMMERCE_RETURN_IF_ERROR(s);
  SkuPrices rows;
  COMMERCE_RETURN_IF_ERROR(DecodeSkuPrices(key, bytes, &rows));
  if (changes) changes->expect(t.sku_prices, key, bytes);
  return rows;
}

SkuPrices RowsOf(const PriceList& l) {
  SkuPrices rows;
  rows.reserve(l.entries.size());
  for (const PriceEntry& e : l.entries)
    rows.push_back({l.id, l.version, l.currency, l.customer_group, l.channel, l.starts_at_ms,
                    l.ends_at_ms, l.priority, l.tax_inclusive, e.min_quantity, e.price_minor});
  return rows;
}

}  // namespace commerce
