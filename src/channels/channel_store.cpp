// The channels' stored records (channel_store.h). A cereal archive, version 1, written field by
// field from a private wrapper so that the public type gets no serialize() of ours.
#include "channels/channel_store.h"

#include <algorithm>
#include <stdexcept>

#include "catalog/catalog_store.h"
#include "common/codec.h"
#include "common/key.h"
#include "common/record.h"
#include "common/record_fields.h"

namespace commerce {

namespace {

// Each list bounded on load (record_fields.h): a damaged length is Corruption, not gigabytes.
template <class Ar, class V>
void IoStrings(Ar& ar, V& v, size_t max, const char* what) {
  IoListSize(ar, v, max, what);
  for (auto& e : v) ar(e);
}

template <class Ar, class C>
void IoChannel(Ar& ar, C& c) {
  ar(c.id, c.name, c.default_currency, c.created_at_ms, c.updated_at_ms, c.version);
  IoStrings(ar, c.currencies, kMaxChannelCurrencies, "currencies");
  IoStrings(ar, c.warehouse_ids, kMaxChannelWarehouses, "warehouse ids");
  IoStrings(ar, c.category_ids, kMaxChannelCategories, "category ids");
  IoStrings(ar, c.product_ids, kMaxChannelProducts, "product ids");
  IoStrings(ar, c.excluded_product_ids, kMaxChannelProducts, "excluded product ids");
}

struct StoredChannel {
  Channel c;
  template <class Archive>
  void save(Archive& ar, std::uint32_t /*version*/) const {
    IoChannel(ar, c);
  }
  template <class Archive>
  void load(Archive& ar, std::uint32_t version) {
    if (version != 1) throw std::runtime_error("unknown channel record version " + std::to_string(version));
    IoChannel(ar, c);
  }
};

bool Contains(const std::vector<std::string>& v, std::string_view s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

}  // namespace
}  // namespace commerce

CEREAL_CLASS_VERSION(commerce::StoredChannel, 1);

namespace commerce {

std::string ChannelKey(std::string_view id) { return KeyBuilder().str(id).key(); }
std::string ChannelCountKey() { return KeyBuilder().str("counter").str("channels").key(); }

std::string EncodeChannel(const Channel& c) { return Encode(StoredChannel{c}); }
Status DecodeChannel(std::string_view key, std::string_view bytes, Channel* out) {
  StoredChannel s;
  COMMERCE_RETURN_IF_ERROR(Decode(bytes, &s, "channels", key));
  *out = std::move(s.c);
  return Status::OK();
}

Result<Channel> GetChannel(ReadView& view, const Tables& t, std::string_view id) {
  return GetRecord<Channel>(view, t.channels, ChannelKey(id), id, "channel", DecodeChannel);
}

Result<std::vector<Channel>> ListChannels(ReadView& view, const Tables& t) {
  COMMERCE_ASSIGN_OR_RETURN(ReadResults read, view.read_many({}, {RangeRead{t.channels, "", ""}}));
  std::vector<Channel> out;
  for (const KeyValue& kv : read.ranges[0]) {
    Channel c;
    COMMERCE_RETURN_IF_ERROR(DecodeChannel(kv.key, kv.value, &c));
    out.push_back(std::move(c));
  }
  return out;
}

Result<std::optional<Channel>> ReadChannelOf(ReadView& view, const Tables& t,
                                             std::string_view id, ChangeSet* changes) {
  if (id.empty()) return std::optional<Channel>();
  const std::string key = ChannelKey(id);
  std::string_view bytes;
  Status s = view.get(t.channels, key, &bytes);
  if (s.ok()) {
    Channel c;
    Status decoded = DecodeChannel(key, bytes, &c);
    if (!decoded.ok()) return decoded.WithContext("channel '" + std::string(id) + "'");
    if (changes) changes->expect(t.channels, key, bytes);
    return std::optional<Channel>(std::move(c));
  }
  if (!s.IsNotFound()) return s;
  std::string_view count;
  Status marked = view.get(t.meta, ChannelCountKey(), &count);
  if (marked.ok())
    return Status::NotFound("channel: no channel with id '" + std::string(id) + "'");
  if (!marked.IsNotFound()) return marked;
  // Opaque, as before channels: expected so when the set applies, so that an order does not
  // commit unchecked past the store's first channel.
  if (changes) {
    changes->expect_absent(t.channels, key);
    changes->expect_absent(t.meta, ChannelCountKey());
  }
  return std::optional<Channel>();
}

std::vector<std::string> ChannelCurrencies(const Channel& c) {
  if (c.currencies.empty()) return {c.default_currency};
  return c.currencies;
}

Status CheckChannelCurrency(const Channel& c, std::string_view currency, std::string_view field) {
  const std::vector<std::string> allowed = ChannelCurrencies(c);
  if (Contains(allowed, currency)) return Status::OK();
  std::string list;
  for (const std::string& a : allowed) list += (list.empty() ? "" : ", ") + a;
  return Status::InvalidArgument(std::string(field) + ": channel '" + c.id + "' sells in " + list +
                                 ", not '" + std::string(currency.substr(0, 16)) + "'");
}

bool VisibleIn(const Channel& c, const Product& p) {
  if (Contains(c.excluded_product_ids, p.id)) return false;
  if (c.category_ids.empty() && c.product_ids.empty()) return true;
  if (Contains(c.product_ids, p.id)) return true;
  if (c.category_ids.empty()) return false;
  for (const std::string& listed : ListedUnder(p))
    if (Contains(c.category_ids, listed)) return true;
  return false;
}

Status CheckVisible(const Channel& c, const Product& p, std::string_view sku, std::string_view field) {
  if (VisibleIn(c, p)) return Status::OK();
  return Status::FailedPrecondition(std::string(field) + ": product '" + p.id + "' (sku '" +
                                    std::string(sku) + "') is not sold in channel '" + c.id + "'");
}

bool SellsFrom(const Channel& c, std::string_view warehouse_id) {
  return c.warehouse_ids.empty() || Contains(c.warehouse_ids, warehouse_id);
}

}  // namespace commerce
