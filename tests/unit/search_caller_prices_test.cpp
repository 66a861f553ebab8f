// The caller's prices in search (src/search/caller_prices.cpp) against a brute-force
// resolution: a generated catalog of mixed currencies and variants, price lists for guests, a
// group and a channel (some not applying at one unit or not yet started), searched page by
// page at 1 and 3 shards by several callers. Every page, total, hit price, list and price
// bucket must be what PriceLists::price gives each product's variants. Then the same with
// documents indexed before the currency slot (answered from their data), and with every
// document's data holding a wrong price (the caller's prices must come from slots alone).
#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <tuple>
#include <vector>

#include <catch2/catch.hpp>
#include <xapian.h>

#include "commerce/channels.h"
#include "commerce/engine.h"
#include "commerce/price_lists.h"
#include "search/caller_prices.h"
#include "search/index_schema.h"
#include "test_dir.h"
#include "test_search.h"

namespace search_caller_prices_test {

namespace {

using namespace commerce;
using commerce::testing::Find;
using commerce::testing::kHourMs;
using commerce::testing::NowMs;
using commerce::testing::OpenSearchEngine;
using commerce::testing::TempDir;
using commerce::testing::WaitIndexed;

struct Item {
  std::string id;
  std::string brand;
  int64_t popularity = 0;
  std::vector<std::string> skus;
};

// The price facet's bounds the checks ask for (SearchRequest::price_buckets), as its values write them.
const std::vector<std::string> kBounds = {"1000", "2500", "5000"};

// 150 products: 1-3 variants in one currency each (USD, EUR or GBP), prices 1.00..80.00,
// popularity in 0..9 (many ties, so the id decides); lists pricing about a third of them.
std::vector<Item> MakeShop(Engine& e) {
  std::mt19937 rng(18);
  const char* currencies[] = {"USD", "USD", "EUR", "GBP"};
  Category all;
  all.id = "all";
  all.name = "all";
  REQUIRE(e.catalog().upsert_category(all).ok());
  std::vector<Item> items;
  for (int i = 0; i < 150; ++i) {
    Item it;
    it.id = "g" + std::to_string(1000 + (i * 7919) % 1000);  // not in index order
    it.brand = "brand" + std::to_string(i % 3);
    it.popularity = static_cast<int64_t>(rng() % 10);
    Product p;
    p.id = it.id;
    p.title = it.id + " gadget";
    p.brand = it.brand;
    p.categories = {"all"};
    p.popularity = it.popularity;
    p.options = {"size"};
    const std::string currency = currencies[rng() % 4];
    const int variants = 1 + static_cast<int>(rng() % 3);
    for (int v = 0; v < variants; ++v) {
      Variant var;
      var.sku = "S-" + it.id + "-" + std::to_string(v);
      var.price = Money{100 + static_cast<int64_t>(rng() % 80) * 100, currency};
      var.options = {{"size", std::to_string(v)}};
      p.variants.push_back(var);
      it.skus.push_back(var.sku);
    }
    auto r = e.catalog().upsert(p);
    INFO(r.status().ToString());
    REQUIRE(r.ok());
    items.push_back(std::move(it));
  }
  Channel web;
  web.id = "web";
  web.name = "Web";
  web.default_currency = "USD";
  web.currencies = {"USD", "EUR"};
  web.category_ids = {"all"};
  REQUIRE(e.channels().create(web).ok());
  // name, currency, group, channel, starts in the future, every k-th product, tier
  struct Spec {
    const char* id;
    const char* currency;
    const char* group;
    const char* channel;
    bool later;
    int every;
    int64_t min_quantity;
  };
  const Spec specs[] = {
      {"guests", "USD", "", "", false, 5, 1},    {"vip", "USD", "vip", "", false, 4, 1},
      {"vip-eur", "EUR", "vip", "", false, 6, 1}, {"web", "USD", "", "web", false, 7, 1},
      {"bulk", "USD", "", "", false, 3, 2},       {"soon", "USD", "", "", true, 2, 1},
  };
  for (const Spec& s : specs) {
    PriceList l;
    l.id = s.id;
    l.name = s.id;
    l.currency = s.currency;
    l.customer_group = s.group;
    l.channel = s.channel;
    if (s.later) l.starts_at_ms = NowMs() + kHourMs;
    for (size_t i = 0; i < items.size(); i += static_cast<size_t>(s.every)) {
      // The last variant: sometimes the product's cheapest, sometimes not.
      const std::string& sku = items[i].skus.back();
      l.entries.push_back({sku, 50 + static_cast<int64_t>((i * 131) % 7000), s.min_quantity});
    }
    auto r = e.price_lists().create(l);
    INFO(r.status().ToString());
    REQUIRE(r.ok());
  }
  WaitIndexed(e);
  return items;
}

struct Expected {
  std::string id;
  bool priced = false;
  int64_t minor = 0;
  std::string list_id;
  int64_t popularity = 0;
};

// Each product's price for the caller: its cheapest variant by PriceLists::price.
std::vector<Expected> Resolve(Engine& e, const std::vector<Item>& items, const PriceContext& ctx) {
  std::vector<Expected> out;
  for (const Item& it : items) {
    Expected x{it.id, false, 0, "", it.popularity};
    for (const auto& sku : it.skus) {
      auto p = e.price_lists().price(sku, ctx);
      if (!p.ok()) {
        REQUIRE(p.status().IsFailedPrecondition());
        continue;
      }
      if (!x.priced || p->price.minor < x.minor) x = {it.id, true, p->price.minor, p->price_list_id, it.popularity};
    }
    out.push_back(std::move(x));
  }
  return out;
}

struct Caller {
  std::string currency, group, channel;
};

// Every caller and request shape against the brute force, page by page.
void CheckAgainstBruteForce(Engine& e, const std::vector<Item>& items) {
  const Caller callers[] = {{"USD", "", ""}, {"USD", "vip", ""}, {"EUR", "vip", ""},
                            {"GBP", "", ""}, {"USD", "", "web"}, {"EUR", "", "web"}};
  const std::tuple<std::optional<int64_t>, std::optional<int64_t>> ranges[] = {
      {std::nullopt, std::nullopt}, {1000, 4000}, {2500, std::nullopt}, {std::nullopt, 1500}, {4321, 4321}};
  for (const Caller& caller : callers) {
    CAPTURE(caller.currency, caller.group, caller.channel);
    const auto prices = Resolve(e, items, {.currency = caller.currency, .customer_group = caller.group,
                                           .channel = caller.channel});
    for (const auto& [lo, hi] : ranges) {
      CAPTURE(lo.value_or(-1), hi.value_or(-1));
      for (const bool descending : {false, true}) {
        for (const std::string& brand : {std::string(), std::string("brand1")}) {
          CAPTURE(descending, brand);
          std::vector<Expected> want;
          for (const Expected& x : prices) {
            const Item& it = *std::find_if(items.begin(), items.end(), [&](const Item& i) { return i.id == x.id; });
            if (!brand.empty() && it.brand != brand) continue;
            if ((lo || hi) && (!x.priced || (lo && x.minor < *lo) || (hi && x.minor > *hi))) continue;
            want.push_back(x);
          }
          std::sort(want.begin(), want.end(), [&](const Expected& a, const Expected& b) {
            if (a.priced != b.priced) return a.priced;
            if (a.minor != b.minor) return descending ? a.minor > b.minor : a.minor < b.minor;
            if (a.popularity != b.popularity) return a.popularity > b.popularity;
            return a.id < b.id;
          });
          std::vector<uint64_t> buckets(kBounds.size() + 1, 0);
          for (const Expected& x : want)
            if (x.priced)
              ++buckets[x.minor < 1000 ? 0 : x.minor < 2500 ? 1 : x.minor < 5000 ? 2 : 3];
          SearchRequest r;
          r.currency = caller.currency;
          r.customer_group = caller.group;
          r.channel = caller.channel;
          r.price_min = lo;
          r.price_max = hi;
          r.sort = descending ? "price_desc" : "price_asc";
          if (!brand.empty()) r.brands = {brand};
          r.facets = {"price"};
          r.price_buckets = {1000, 2500, 5000};
          r.limit = 7;
          for (size_t offset = 0;; offset += 7) {
            r.offset = offset;
            const SearchResult res = Find(e, r);
            CAPTURE(offset);
            CHECK(res.total == want.size());
            REQUIRE(res.facets.size() == 1);
            std::vector<uint64_t> got(buckets.size(), 0);
            for (const auto& v : res.facets[0].values) {
              // "lo..hi" or "lo..": the bucket whose lower bound is lo.
              const std::string lo = v.value.substr(0, v.value.find(".."));
              const size_t at = lo == "0" ? 0 : static_cast<size_t>(std::find(kBounds.begin(), kBounds.end(), lo) - kBounds.begin()) + 1;
              REQUIRE(at < got.size());
              got[at] = v.count;
            }
            CHECK(got == buckets);
            for (size_t k = 0; k < res.hits.size(); ++k) {
              REQUIRE(offset + k < want.size());
              const Expected& x = want[offset + k];
              const SearchHit& h = res.hits[k];
              CAPTURE(k, x.id);
              CHECK(h.product_id == x.id);
              CHECK(h.price.currency == (x.priced ? caller.currency : ""));
              if (x.priced) CHECK(h.price.minor == x.minor);
              CHECK(h.price_list_id == x.list_id);
            }
            CHECK(res.hits.size() == std::min<size_t>(7, want.size() > offset ? want.size() - offset : 0));
            if (offset + 7 >= want.size()) break;
          }
        }
      }
    }
  }
}

// Changes every document of every shard of the (closed) engine at `path` with `change`.
template <typename Change>
void EditShards(const std::string& path, Change change) {
  int shards = 0;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(path + "/search")) {
    if (!entry.is_directory() || entry.path().filename().string().rfind("shard-", 0) != 0) continue;
    Xapian::WritableDatabase db(entry.path().string(), Xapian::DB_OPEN);
    std::vector<Xapian::docid> ids;
    for (auto it = db.postlist_begin(""); it != db.postlist_end(""); ++it) ids.push_back(*it);
    for (Xapian::docid did : ids) {
      Xapian::Document doc = db.get_document(did);
      change(did, doc);
      db.replace_document(did, doc);
    }
    db.commit();
    ++shards;
  }
  REQUIRE(shards > 0);
}

// The shop at 1 and 3 shards, each document changed by `change` while the engine is closed,
// then checked against the brute force.
template <typename Change>
void CheckChangedShop(Change change) {
  for (const uint32_t shards : {1u, 3u}) {
    CAPTURE(shards);
    TempDir dir;
    auto engine = OpenSearchEngine(dir.path(), shards);
    const std::vector<Item> items = MakeShop(*engine);
    engine.reset();
    EditShards(dir.path(), change);
    engine = OpenSearchEngine(dir.path(), shards);
    CheckAgainstBruteForce(*engine, items);
  }
}

}  // namespace

TEST_CASE("search per caller: pages totals and price buckets are a brute-force resolution's",
          "[search][caller][prices]") {
  for (const uint32_t shards : {1u, 3u}) {
    CAPTURE(shards);
    TempDir dir;
    auto engine = OpenSearchEngine(dir.path(), shards);
    const std::vector<Item> items = MakeShop(*engine);
    CheckAgainstBruteForce(*engine, items);
  }
}

// Documents indexed before kSlotPriceCurrency (every other one here) are answered from their
// data: the same pages as a brute-force resolution, beside documents that have the slot.
TEST_CASE("search per caller: documents indexed before the currency slot answer alike",
          "[search][caller][prices]") {
  CheckChangedShop([](Xapian::docid did, Xapian::Document& doc) {
    REQUIRE(!doc.get_value(search::kSlotPriceCurrency).empty());
    if (did % 2 == 0) doc.remove_value(search::kSlotPriceCurrency);
  });
}

// The filter, the sort, the facet and the hits' prices come from value slots and the
// overridden products' document ids: with a wrong price in every document's data, nothing
// changes (before issue 18's change they read each match's data: every product unpriced).
TEST_CASE("search per caller: the caller's prices read no document's data", "[search][caller][prices]") {
  CheckChangedShop([](Xapian::docid, Xapian::Document& doc) {
    search::HitData h;
    REQUIRE(search::DecodeHitData(doc.get_data(), &h));
    h.price = Money{1, "XXX"};
    doc.set_data(search::EncodeHitData(h));
  });
}

// A caller's price range guesses how many documents it passes as Xapian's own value range
// does (the share of the price slot's span it covers), not as every priced document: the
// matcher scales a total and the facets' counts from it when it stops early. Before, a
// caller's browse of 100k products in a price range said 100,000 matches where 46,820 did
// (a plain search: 60,000), and its price buckets were scaled alike.
TEST_CASE("search per caller: a price range's estimate is its share of the price slot's span",
          "[search][caller][prices]") {
  TempDir dir;
  Xapian::WritableDatabase db(dir.path() + "/shard", Xapian::DB_CREATE_OR_OPEN);
  for (int i = 0; i < 1000; ++i) {  // prices 0, 10, ..., 9990
    Xapian::Document doc;
    doc.add_value(search::kSlotPrice, Xapian::sortable_serialise(i * 10.0));
    doc.add_value(search::kSlotPriceCurrency, "USD");
    db.add_document(doc);
  }
  db.commit();
  auto prices = std::make_shared<search::CallerPrices>();
  prices->currency = "USD";
  for (const auto& [lo, hi, want] : std::vector<std::tuple<std::optional<int64_t>, std::optional<int64_t>, int>>{
           {0, 999, 100}, {5000, std::nullopt, 500}, {std::nullopt, 2497, 250}, {-50, 20000, 1000},
           {4321, 4321, 1}, {20000, 30000, 0}}) {
    CAPTURE(lo.value_or(-1), hi.value_or(-1));
    search::CallerBasePriceFilter filter(prices, lo, hi);
    filter.init(db);
    CHECK(static_cast<int>(filter.get_termfreq_est()) >= want - 2);
    CHECK(static_cast<int>(filter.get_termfreq_est()) <= want + 2);
    CHECK(filter.get_termfreq_max() == 1000);
    // And what it passes is the range's (the estimate changes no answer).
    int passed = 0;
    for (filter.next(0); !filter.at_end(); filter.next(0)) {
      const int64_t price = static_cast<int64_t>(Xapian::sortable_unserialise(filter.get_value()));
      CHECK((!lo || price >= *lo));
      CHECK((!hi || price <= *hi));
      ++passed;
    }
    CHECK(std::abs(passed - want) <= 1);
  }
}

}  // namespace search_caller_prices_test
