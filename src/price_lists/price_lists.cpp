// The PriceLists API (price_lists.h): each write is one checked change set holding the list's
// record, the rewritten price row of every SKU it touches (price_list_store.h) and a
// PriceListUpserted or PriceListRemoved event naming those SKUs; price()
// resolves over one snapshot with the rule shared by carts and orders (price_resolution.h).
#include "commerce/price_lists.h"

#include <algorithm>
#include <map>
#include <set>
#include <tuple>

#include "catalog/catalog_store.h"
#include "common/ids.h"
#include "common/key.h"
#include "engine/engine_core.h"
#include "engine/meta_count.h"
#include "engine/replaced_record.h"
#include "events/event_json.h"
#include "events/event_log.h"
#include "inventory/stock_store.h"
#include "price_lists/price_list_store.h"
#include "price_lists/price_list_validation.h"
#include "price_lists/price_resolution.h"

namespace commerce {

namespace {

// Every entry's SKU must be a variant of the catalog: a price for a SKU that does not exist
// is a typo that would otherwise stay silent until the product is created.
Status CheckSkusExist(ReadView& view, const Tables& t, const PriceList& l) {
  std::set<std::string_view> checked;
  for (size_t i = 0; i < l.entries.size(); ++i) {
    const std::string& sku = l.entries[i].sku;
    if (!checked.insert(sku).second) continue;
    std::string_view unused;
    Status s = view.get(t.skus, KeyBuilder().str(sku).key(), &unused);
    if (s.IsNotFound())
      return Status::InvalidArgument("entries[" + std::to_string(i) + "].sku: no product has sku '" +
                                     sku + "'");
    COMMERCE_RETURN_IF_ERROR(s);
  }
  return Status::OK();
}

// The store's price-list count, expected as read. A store written before the count has none:
// its lists are counted here and the count written with this write, expected absent, so that
// a concurrent create or removal (which writes it too) makes this write be prepared again.
Result<uint64_t> ReadListCount(ReadView& view, const Tables& t, ChangeSet& changes) {
  COMMERCE_ASSIGN_OR_RETURN(std::optional<uint64_t> n,
                            ReadExpectedCount(view, t.meta, PriceListCountKey(), "price-list count", changes));
  if (n) return *n;
  COMMERCE_ASSIGN_OR_RETURN(ReadResults all, view.read_many({}, {RangeRead{t.price_lists, "", ""}}));
  return static_cast<uint64_t>(all.ranges[0].size());
}

// The SKUs whose prices a write changes: those `old` priced and those `now` prices, sorted,
// each once. A consumer keeping prices elsewhere (a search index, a cache) re-reads these;
// after a removal the list is gone, so the event is the only place that names them.
std::set<std::string> TouchedSkus(const PriceList* old, const PriceList* now) {
  std::set<std::string> skus;
  for (const PriceList* l : {old, now})
    if (l)
      for (const PriceEntry& e : l->entries) skus.insert(e.sku);
  return skus;
}

std::string EventData(const PriceList& l, const std::set<std::string>& skus, bool created) {
  EventJson d;
  d.str("price_list_id", l.id).str("name", l.name).str("currency", l.currency);
  d.str("customer_group", l.customer_group).str("channel", l.channel);
  d.i64("starts_at_ms", l.starts_at_ms).i64("ends_at_ms", l.ends_at_ms).i64("priority", l.priority);
  d.boolean("tax_inclusive", l.tax_inclusive).u64("entries", l.entries.size());
  d.begin_array("skus");
  for (const std::string& sku : skus) d.element(sku);
  d.end_array();
  return d.u64("version", l.version).boolean("created", created).done();
}

// Rewrites the row of every SKU that `old` priced or `now` prices: `old`'s rows out, `now`'s
// in, each row expected as read. Either may be null (a create, a remove).
Status RewriteSkuRows(ReadView& view, const Tables& t, const PriceList* old, const PriceList* now,
                      ChangeSet& changes) {
  const std::string& id = old ? old->id : now->id;
  std::map<std::string, SkuPrices> added;
  if (now) {
    SkuPrices rows = RowsOf(*now);  // one per entry, in the entries' order
    for (size_t i = 0; i < rows.size(); ++i) added[now->entries[i].sku].push_back(std::move(rows[i]));
  }
  std::set<std::string> skus;
  if (old)
    for (const PriceEntry& e : old->entries) skus.insert(e.sku);
  for (const auto& [sku, rows] : added) skus.insert(sku);
  for (const std::string& sku : skus) {
    COMMERCE_ASSIGN_OR_RETURN(SkuPrices rows, ReadSkuPrices(view, t, sku, &changes));
    std::erase_if(rows, [&](const SkuPrice& r) { return r.list_id == id; });
    auto it = added.find(sku);
    if (it != added.end()) rows.insert(rows.end(), it->second.begin(), it->second.end());
    std::sort(rows.begin(), rows.end(), [](const SkuPrice& a, const SkuPrice& b) {
      return std::tie(a.list_id, a.min_quantity) < std::tie(b.list_id, b.min_quantity);
    });
    if (rows.empty())
      changes.del(t.sku_prices, SkuPricesKey(sku));
    else
      changes.put(t.sku_prices, SkuPricesKey(sku), EncodeSkuPrices(rows));
  }
  return changes.status();
}

}  // namespace

Result<PriceList> PriceLists::create(const PriceList& l) {
  COMMERCE_RETURN_IF_ERROR(ValidatePriceList(l));
  const Tables& t = core_->tables;
  PriceList stored = l;
  if (stored.id.empty()) stored.id = RandomId("pl-");
  stored.created_at_ms = stored.updated_at_ms = EngineCore::NowMs();
  stored.version = 1;
  const std::string key = PriceListKey(stored.id);
  auto applied = core_->Apply([&](ReadView& view, ChangeSet& changes) -> Status {
    std::string_view unused;
    Status s = view.get(t.price_lists, key, &unused);
    if (s.ok()) return Status::AlreadyExists("id: price list '" + stored.id + "' exists");
    if (!s.IsNotFound()) return s;
    COMMERCE_ASSIGN_OR_RETURN(uint64_t count, ReadListCount(view, t, changes));
    if (count >= kMaxPriceLists)
      return Status::ResourceExhausted("a store holds at most " + std::to_string(kMaxPriceLists) +
                                       " price lists; remove or reuse an old one");
    COMMERCE_RETURN_IF_ERROR(CheckSkusExist(view, t, stored));
    changes.insert(t.price_lists, key, EncodePriceList(stored));
    PutCount(t.meta, PriceListCountKey(), count + 1, changes);
    AppendEvent(changes, t.events, "PriceListUpserted", stored.id,
                EventData(stored, TouchedSkus(nullptr, &stored), true), stored.created_at_ms);
    return RewriteSkuRows(view, t, nullptr, &stored, changes);
  });
  COMMERCE_RETURN_IF_ERROR(applied.status());
  return stored;
}

Result<PriceList> PriceLists::update(const PriceList& l, std::optional<uint64_t> if_version) {
  COMMERCE_RETURN_IF_ERROR(CheckIdentifier("id", l.id));
  COMMERCE_RETURN_IF_ERROR(ValidatePriceList(l));
  const Tables& t = core_->tables;
  const std::string key = PriceListKey(l.id);
  const int64_t now = EngineCore::NowMs();
  PriceList stored;
  auto applied = core_->Apply([&](ReadView& view, ChangeSet& changes) -> Status {
    COMMERCE_ASSIGN_OR_RETURN(auto replaced, ReadReplaced<PriceList>(view, t.price_lists, key, "price list", l.id,
                                                          if_version, DecodePriceList));
    const std::string& old_bytes = replaced.bytes;
    const PriceList& old = replaced.record;
    COMMERCE_RETURN_IF_ERROR(CheckSkusExist(view, t, l));
    stored = l;
    stored.created_at_ms = old.created_at_ms;
    stored.updated_at_ms = now;
    stored.version = old.version + 1;
    changes.expect(t.price_lists, key, old_bytes);
    changes.put(t.price_lists, key, EncodePriceList(stored));
    AppendEvent(changes, t.events, "PriceListUpserted", stored.id,
                EventData(stored, TouchedSkus(&old, &stored), false), now);
    return RewriteSkuRows(view, t, &old, &stored, changes);
  });
  COMMERCE_RETURN_IF_ERROR(applied.status());
  return stored;
}

Result<PriceList> PriceLists::get(std::string_view id) {
  COMMERCE_RETURN_IF_ERROR(CheckIdentifier("id", id));
  COMMERCE_ASSIGN_OR_RETURN(auto txn, core_->storage->read());
  return GetPriceList(*txn, core_->tables, id);
}

Result<Page<PriceList>> PriceLists::list(const PriceListPageOptions& options) {
  if (options.limit < 1 || options.limit > kMaxPriceListPage)
    return Status::InvalidArgument("limit: 1.." + std::to_string(kMaxPriceListPage) + ", got " +
                                   std::to_string(options.limit));
  // A cursor is a list's id: anything else was not made here.
  if (!options.cursor.empty() && !CheckIdentifier("cursor", options.cursor).ok())
    return Status::InvalidArgument("cursor: not one this engine made (pass a page's next_cursor)");
  COMMERCE_ASSIGN_OR_RETURN(auto txn, core_->storage->read());
  return ListPriceLists(*txn, core_->tables, options.cursor, options.limit);
}

Status PriceLists::remove(std::string_view id, std::optional<uint64_t> if_version) {
  COMMERCE_RETURN_IF_ERROR(CheckIdentifier("id", id));
  const Tables& t = core_->tables;
  const std::string key = PriceListKey(id);
  const int64_t now = EngineCore::NowMs();
  auto applied = core_->Apply([&](ReadView& view, ChangeSet& changes) -> Status {
    COMMERCE_ASSIGN_OR_RETURN(auto replaced, ReadReplaced<PriceList>(view, t.price_lists, key, "price list", id,
                                                          if_version, DecodePriceList));
    const std::string& old_bytes = replaced.bytes;
    const PriceList& old = replaced.record;
    COMMERCE_ASSIGN_OR_RETURN(uint64_t count, ReadListCount(view, t, changes));
    changes.expect(t.price_lists, key, old_bytes);
    changes.del(t.price_lists, key);
    PutCount(t.meta, PriceListCountKey(), count > 0 ? count - 1 : 0, changes);
    EventJson d;
    d.str("price_list_id", old.id).str("currency", old.currency);
    d.begin_array("skus");
    for (const std::string& sku : TouchedSkus(&old, nullptr)) d.element(sku);
    d.end_array();
    AppendEvent(changes, t.events, "PriceListRemoved", old.id, d.u64("version", old.version).done(), now);
    return RewriteSkuRows(view, t, &old, nullptr, changes);
  });
  return applied.status();
}

Result<ResolvedPrice> PriceLists::price(std::string_view sku, const PriceContext& ctx) {
  COMMERCE_RETURN_IF_ERROR(CheckIdentifier("sku", sku));
  COMMERCE_RETURN_IF_ERROR(ValidatePriceContext(ctx));
  PriceContext at = ctx;
  if (at.now_ms == 0) at.now_ms = EngineCore::NowMs();
  const Tables& t = core_->tables;
  COMMERCE_ASSIGN_OR_RETURN(auto txn, core_->storage->read());
  auto owner = SkuOwner(*txn, t, sku);
  if (!owner.ok()) return owner.status();
  COMMERCE_ASSIGN_OR_RETURN(Product p, GetProduct(*txn, t, *owner));
  const Variant* v = nullptr;
  for (const Variant& candidate : p.variants)
    if (candidate.sku == sku) v = &candidate;
  if (!v)
    return Status::Corruption("sku index names product '" + p.id + "' for sku '" +
                              std::string(sku) + "', which has no such variant");
  COMMERCE_ASSIGN_OR_RETURN(SkuPrices rows, ReadSkuPrices(*txn, t, sku));
  return ChoosePrice(sku, rows, v->price, at);
}

}  // namespace commerce
