#include "search/caller_cache.h"

#include <algorithm>
#include <climits>
#include <tuple>

#include "price_lists/price_resolution.h"

namespace commerce::search {

namespace {

bool Sells(const Channel& c, const std::string& currency) {
  if (c.currencies.empty()) return c.default_currency == currency;
  return std::find(c.currencies.begin(), c.currencies.end(), currency) != c.currencies.end();
}

std::string Sold(const Channel& c) {
  if (c.currencies.empty()) return c.default_currency;
  std::string out;
  for (const auto& cur : c.currencies) out += (out.empty() ? "" : ", ") + cur;
  return out;
}

}  // namespace

Result<Caller> CallerCache::Resolve(const SearchRequest& r, int64_t now_ms) {
  Caller out;
  std::string currency = r.currency;
  if (!r.channel.empty()) {
    COMMERCE_ASSIGN_OR_RETURN(ChannelEntry entry, ChannelOf(r.channel));
    if (!entry.channel && !entry.opaque)
      return Status::NotFound("search channel: no channel with id '" + r.channel + "'");
    out.channel = entry.channel;
    if (out.channel) {
      if (currency.empty()) currency = out.channel->default_currency;
      else if (!Sells(*out.channel, currency))
        return Status::InvalidArgument("search currency: '" + currency + "' is not sold in channel '" +
                                       r.channel + "' (it sells " + Sold(*out.channel) + ")");
    }
  }
  uint64_t generation;
  {
    std::lock_guard<std::mutex> lock(mu_);
    generation = generation_;
  }
  out.key_suffix = "|caller:" + std::to_string(generation) + ":" +
                   (out.channel ? std::to_string(out.channel->version) : "-");
  if (currency.empty()) return out;
  COMMERCE_ASSIGN_OR_RETURN(out.prices, PricesOf(currency, r.customer_group, r.channel, now_ms));
  out.key_suffix += ":" + currency + ":" + std::to_string(out.prices->from_ms);
  return out;
}

Result<CallerCache::ChannelEntry> CallerCache::ChannelOf(const std::string& id) {
  uint64_t generation;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = channels_seen_.find(id);
    if (it != channels_seen_.end()) return it->second;
    generation = generation_;
  }
  ChannelEntry entry;
  auto c = channels_->get(id);
  if (c.ok()) {
    entry.channel = std::make_shared<const Channel>(std::move(*c));
  } else if (c.status().IsNotFound()) {
    // Before a store's first channel, channel keys are opaque (channels.h).
    COMMERCE_ASSIGN_OR_RETURN(auto all, channels_->list());
    entry.opaque = all.empty();
  } else {
    return c.status();
  }
  std::lock_guard<std::mutex> lock(mu_);
  if (generation == generation_) channels_seen_[id] = entry;
  return entry;
}

Result<std::shared_ptr<const CallerPrices>> CallerCache::PricesOf(const std::string& currency,
                                                                  const std::string& group,
                                                                  const std::string& channel,
                                                                  int64_t now_ms) {
  const auto key = std::make_tuple(currency, group, channel);
  uint64_t generation;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = prices_.find(key);
    if (it != prices_.end() && it->second->from_ms <= now_ms && now_ms < it->second->until_ms)
      return it->second;
    generation = generation_;
  }
  COMMERCE_ASSIGN_OR_RETURN(Made made, Make(currency, group, channel, now_ms));
  std::lock_guard<std::mutex> lock(mu_);
  // Made before a change was seen: used by this request (a version of the prices that held
  // while it ran), not kept.
  if (generation != generation_) return made.prices;
  // Another request's time (a preview, now_ms) replaces the span kept; the present's comes
  // back at the next request.
  prices_[key] = made.prices;
  skus_.insert(made.skus.begin(), made.skus.end());
  for (const auto& [id, o] : made.prices->overrides) products_.insert(id);
  return made.prices;
}

Result<CallerCache::Made> CallerCache::Make(const std::string& currency, const std::string& group,
                                            const std::string& channel, int64_t now_ms) {
  auto prices = std::make_shared<CallerPrices>();
  prices->currency = currency;
  prices->from_ms = 0;
  prices->until_ms = INT64_MAX;
  Made made;
  // Every list, a page (kMaxPriceListPage) per read: each list as one version of it.
  std::vector<PriceList> lists;
  for (PriceListPageOptions page{.limit = kMaxPriceListPage};;) {
    COMMERCE_ASSIGN_OR_RETURN(auto got, price_lists_->list(page));
    for (auto& l : got.items) lists.push_back(std::move(l));
    if (got.next_cursor.empty()) break;
    page.cursor = got.next_cursor;
  }
  std::map<std::string, SkuPrices> rows;  // SKU -> the rows of the lists that may apply
  for (const PriceList& l : lists) {
    if (l.currency != currency) continue;
    if (!l.customer_group.empty() && l.customer_group != group) continue;
    if (!l.channel.empty() && l.channel != channel) continue;
    // Its window's ends bound the span these prices hold over.
    for (int64_t edge : {l.starts_at_ms, l.ends_at_ms}) {
      if (edge <= 0) continue;
      if (edge <= now_ms) prices->from_ms = std::max(prices->from_ms, edge);
      else prices->until_ms = std::min(prices->until_ms, edge);
    }
    for (const PriceEntry& e : l.entries) {
      rows[e.sku].push_back({l.id, l.version, l.currency, l.customer_group, l.channel, l.starts_at_ms,
                             l.ends_at_ms, l.priority, l.tax_inclusive, e.min_quantity, e.price_minor});
      made.skus.insert(e.sku);
    }
  }
  const PriceContext ctx{.currency = currency, .customer_group = group, .channel = channel,
                         .quantity = 1, .now_ms = now_ms};
  for (auto& [sku, r] : rows)  // as ChoosePrice reads them: by list, then tier
    std::sort(r.begin(), r.end(), [](const SkuPrice& a, const SkuPrice& b) {
      return std::tie(a.list_id, a.min_quantity) < std::tie(b.list_id, b.min_quantity);
    });
  static const SkuPrices kNone;
  for (const auto& [sku, r] : rows) {
    // Only a list that applies at one unit, now, changes the index's price.
    auto listed = ChoosePrice(sku, r, Money{}, ctx);
    if (!listed.ok() || listed->price_list_id.empty()) continue;
    auto p = catalog_->get_by_sku(sku);
    if (p.status().IsNotFound()) continue;  // a SKU no product sells any more
    COMMERCE_RETURN_IF_ERROR(p.status());
    if (prices->overrides.count(p->id)) continue;
    CallerPrices::Override best;
    // The product's price is its lowest variant's, each priced as a cart line of one unit
    // (price_resolution.h, as PriceLists::price).
    for (const auto& v : p->variants) {
      auto it = rows.find(v.sku);
      auto price = ChoosePrice(v.sku, it == rows.end() ? kNone : it->second, v.price, ctx);
      if (!price.ok()) continue;  // no price in the currency
      if (!best.priced || price->price.minor < best.minor)
        best = {true, price->price.minor, price->price_list_id};
    }
    prices->overrides.emplace(p->id, std::move(best));
  }
  made.prices = std::move(prices);
  return made;
}

void CallerCache::Seen(const std::vector<Event>& batch) {
  bool has_prices;
  {
    std::lock_guard<std::mutex> lock(mu_);
    has_prices = !prices_.empty();
    if (prices_.empty() && channels_seen_.empty()) return;
  }
  std::set<std::string> read;  // products of the batch already looked at
  for (const Event& e : batch) {
    if (e.type == "PriceListUpserted" || e.type == "PriceListRemoved" || e.type == "ChannelUpserted" ||
        e.type == "ChannelRemoved")
      return Clear();
    if (!has_prices || (e.type != "ProductUpserted" && e.type != "ProductArchived")) continue;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (products_.count(e.subject)) {
        ClearLocked();
        return;
      }
    }
    // A product not priced by a list may have taken a SKU one prices (one more catalog read
    // per changed product while prices are kept).
    if (!read.insert(e.subject).second) continue;
    auto p = catalog_->get(e.subject);
    if (!p.ok()) {
      if (!p.status().IsNotFound()) return Clear();  // cannot tell: forget
      continue;
    }
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& v : p->variants)
      if (skus_.count(v.sku)) {
        ClearLocked();
        return;
      }
  }
}

void CallerCache::Clear() {
  std::lock_guard<std::mutex> lock(mu_);
  ClearLocked();
}

void CallerCache::ClearLocked() {
  ++generation_;
  channels_seen_.clear();
  prices_.clear();
  skus_.clear();
  products_.clear();
}

}  // namespace commerce::search
