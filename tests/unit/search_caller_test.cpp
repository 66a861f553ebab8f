// Search per caller (SearchRequest::channel, currency, customer_group; src/search/caller_*.cpp)
// through the public API, on every storage driver: a table of callers and what each finds, in
// which order, at which price and in which price bucket; visibility by category, id and
// exclusion; bad input; a price-list change seen by the next search; threads searching while
// others change a list.
#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

#include "commerce/channels.h"
#include "commerce/engine.h"
#include "commerce/price_lists.h"
#include "test_dir.h"
#include "test_engine.h"
#include "test_search.h"

namespace search_caller_test {

namespace {

using namespace commerce;
using commerce::testing::Find;
using commerce::testing::Ids;
using commerce::testing::TempDir;
using commerce::testing::WaitIndexed;


using commerce::testing::kHourMs;
using commerce::testing::NowMs;

void Put(Engine& e, const std::string& id, const std::string& category, int64_t price,
         const std::string& currency = "USD", int64_t popularity = 0) {
  Product p;
  p.id = id;
  p.title = id + " widget";
  p.categories = {category};
  p.popularity = popularity;
  Variant v;
  v.sku = "SKU-" + id;
  v.price = Money{price, currency};
  p.variants.push_back(v);
  auto r = e.catalog().upsert(p);
  INFO(r.status().ToString());
  REQUIRE(r.ok());
}

void Cat(Engine& e, const std::string& id, const std::string& parent = "") {
  Category c;
  c.id = id;
  c.name = id;
  c.parent_id = parent;
  auto s = e.catalog().upsert_category(c);
  INFO(s.ToString());
  REQUIRE(s.ok());
}

PriceList List(const std::string& id, const std::string& sku, int64_t price) {
  PriceList l;
  l.id = id;
  l.name = id;
  l.currency = "USD";
  l.entries = {{sku, price, 1}};
  return l;
}

void Create(Engine& e, const PriceList& l) {
  auto r = e.price_lists().create(l);
  INFO(r.status().ToString());
  REQUIRE(r.ok());
}

// The shop of the table:
//   a  apparel/tees  10.00 USD
//   b  kitchen       20.00 USD; the "wholesale" group's list: 5.00
//   c  kitchen       30.00 USD; channel "us"'s list: 15.00
//   d  garden        40.00 USD; a sale from an hour ago to an hour ahead: 8.00
//   e  kitchen       50.00 EUR (no USD price)
// Channel "us" (USD): kitchen and product a, b excluded. Channel "style" (EUR, USD): apparel.
// A store of its own on `driver` (on PostgreSQL, a schema of its own).
std::unique_ptr<Engine> Open(const std::string& path, const std::string& driver) {
  EngineOptions o;
  o.path = path;
  o.run_background = false;
  commerce::testing::UseTestDriver(o, driver, "srchcaller");
  auto e = Engine::open(o);
  INFO(e.status().ToString());
  REQUIRE(e.ok());
  return std::move(e).value();
}

struct Shop {
  TempDir dir;
  std::unique_ptr<Engine> engine;
  int64_t sale_start = 0, sale_end = 0;

  explicit Shop(const std::string& driver) {
    engine = Open(dir.path(), driver);
    Engine& e = *engine;
    Cat(e, "apparel");
    Cat(e, "apparel/tees", "apparel");
    Cat(e, "kitchen");
    Cat(e, "garden");
    Put(e, "a", "apparel/tees", 1000, "USD", 5);
    Put(e, "b", "kitchen", 2000, "USD", 4);
    Put(e, "c", "kitchen", 3000, "USD", 3);
    Put(e, "d", "garden", 4000, "USD", 2);
    Put(e, "e", "kitchen", 5000, "EUR", 1);
    PriceList wholesale = List("wholesale", "SKU-b", 500);
    wholesale.customer_group = "wholesale";
    Create(e, wholesale);
    PriceList us = List("us-list", "SKU-c", 1500);
    us.channel = "us";
    Create(e, us);
    PriceList sale = List("sale", "SKU-d", 800);
    sale_start = NowMs() - kHourMs;
    sale_end = NowMs() + kHourMs;
    sale.starts_at_ms = sale_start;
    sale.ends_at_ms = sale_end;
    Create(e, sale);
    Channel ch;
    ch.id = "us";
    ch.name = "US";
    ch.default_currency = "USD";
    ch.category_ids = {"kitchen"};
    ch.product_ids = {"a"};
    ch.excluded_product_ids = {"b"};
    REQUIRE(e.channels().create(ch).ok());
    Channel style;
    style.id = "style";
    style.name = "Style";
    style.default_currency = "EUR";
    style.currencies = {"EUR", "USD"};
    style.category_ids = {"apparel"};
    REQUIRE(e.channels().create(style).ok());
    WaitIndexed(e);
  }
};

struct Row {
  const char* name;
  std::string channel, currency, group;
  int64_t now_offset_ms;  // from now; 0: now
  std::vector<std::string> asc;           // every product found, price_asc
  std::vector<std::string> desc;          // price_desc
  std::vector<int64_t> prices;            // the asc hits' prices (-1: none)
  std::vector<std::string> lists;         // the asc hits' price lists
  std::vector<uint64_t> buckets;          // the price facet's counts for bounds {1000, 2500}
  std::vector<std::string> under_1000;    // price_max 1000, price_asc
};

}  // namespace

TEST_CASE("search per caller: who finds what in which order at which price", "[search][caller]") {
  for (const std::string& driver : commerce::testing::TestStorageDrivers()) {
    CAPTURE(driver);
    Shop shop(driver);
    Engine& e = *shop.engine;
    const std::vector<Row> rows = {
        {"a guest in USD", "", "USD", "", 0,
         {"d", "a", "b", "c", "e"}, {"c", "b", "a", "d", "e"},
         {800, 1000, 2000, 3000, -1}, {"sale", "", "", "", ""}, {1, 2, 1}, {"d", "a"}},
        {"the wholesale group", "", "USD", "wholesale", 0,
         {"b", "d", "a", "c", "e"}, {"c", "a", "d", "b", "e"},
         {500, 800, 1000, 3000, -1}, {"wholesale", "sale", "", "", ""}, {2, 1, 1}, {"b", "d", "a"}},
        {"channel us (its default currency)", "us", "", "", 0,
         {"a", "c", "e"}, {"c", "a", "e"},
         {1000, 1500, -1}, {"", "us-list", ""}, {0, 2}, {"a"}},
        {"channel style in USD", "style", "USD", "", 0,
         {"a"}, {"a"}, {1000}, {""}, {0, 1}, {"a"}},
        {"channel style in EUR: a has no EUR price", "style", "", "", 0,
         {"a"}, {"a"}, {-1}, {""}, {}, {}},
        {"in EUR only e is priced", "", "EUR", "", 0,
         {"e", "a", "b", "c", "d"}, {"e", "a", "b", "c", "d"},
         {5000, -1, -1, -1, -1}, {"", "", "", "", ""}, {0, 0, 1}, {}},
        {"before the sale starts", "", "USD", "", -2 * kHourMs,
         {"a", "b", "c", "d", "e"}, {"d", "c", "b", "a", "e"},
         {1000, 2000, 3000, 4000, -1}, {"", "", "", "", ""}, {0, 2, 2}, {"a"}},
    };
    for (const Row& row : rows) {
      CAPTURE(row.name);
      SearchRequest r;
      r.channel = row.channel;
      r.currency = row.currency;
      r.customer_group = row.group;
      if (row.now_offset_ms != 0) r.now_ms = NowMs() + row.now_offset_ms;
      r.sort = "price_asc";
      r.facets = {"price"};
      r.price_buckets = {1000, 2500};
      SearchResult asc = Find(e, r);
      CHECK(Ids(asc) == row.asc);
      CHECK(asc.total == row.asc.size());
      std::vector<int64_t> prices;
      std::vector<std::string> lists;
      for (const auto& h : asc.hits) {
        prices.push_back(h.price.currency.empty() ? -1 : h.price.minor);
        lists.push_back(h.price_list_id);
        if (!h.price.currency.empty()) CHECK(h.price.currency == (row.currency.empty() ? (row.channel == "us" ? "USD" : "EUR") : row.currency));
      }
      CHECK(prices == row.prices);
      CHECK(lists == row.lists);
      REQUIRE(asc.facets.size() == 1);
      std::vector<uint64_t> buckets(3, 0);
      const std::vector<std::string> names = {"0..999", "1000..2499", "2500.."};
      for (const auto& v : asc.facets[0].values)
        for (size_t i = 0; i < names.size(); ++i)
          if (v.value == names[i]) buckets[i] = v.count;
      std::vector<uint64_t> want = row.buckets;
      want.resize(3, 0);
      CHECK(buckets == want);
      r.sort = "price_desc";
      CHECK(Ids(Find(e, r)) == row.desc);
      r.sort = "price_asc";
      r.price_max = 1000;
      SearchResult under = Find(e, r);
      CHECK(Ids(under) == row.under_1000);
      CHECK(under.total == row.under_1000.size());
    }

    SECTION("the sale just ended: base price again (ends_at_ms is exclusive)") {
      SearchRequest r{.sort = "price_asc", .now_ms = shop.sale_end, .currency = "USD"};
      SearchResult res = Find(e, r);
      CHECK(Ids(res) == std::vector<std::string>{"a", "b", "c", "d", "e"});
      r.now_ms = shop.sale_start;  // just started
      CHECK(Ids(Find(e, r)) == std::vector<std::string>{"d", "a", "b", "c", "e"});
    }
    SECTION("without a currency or a channel, prices are the index's as before") {
      SearchRequest r{.sort = "price_asc"};
      SearchResult res = Find(e, r);
      CHECK(Ids(res) == std::vector<std::string>{"a", "b", "c", "d", "e"});
      CHECK(res.hits[4].price == Money{5000, "EUR"});
      CHECK(res.hits[0].price_list_id.empty());
      r.customer_group = "wholesale";  // a group alone prices nothing
      CHECK(Ids(Find(e, r)) == std::vector<std::string>{"a", "b", "c", "d", "e"});
    }
    SECTION("a channel's visibility filters text searches and counts facets") {
      SearchRequest r{.text = "widget", .facets = {"category"}, .channel = "us"};
      SearchResult res = Find(e, r);
      CHECK(res.total == 3);
      REQUIRE(res.facets.size() == 1);
      uint64_t kitchen = 0, counted = 0;
      for (const auto& v : res.facets[0].values) {
        counted += v.count;
        if (v.value == "kitchen") kitchen = v.count;
      }
      CHECK(kitchen == 2);  // c and e; b is excluded
      CHECK(counted == 3);  // and a, by id, under apparel
      r.categories = {"kitchen"};
      CHECK(Ids(Find(e, r)).size() == 2);
    }
  }
}

TEST_CASE("search per caller: bad callers are refused naming the field", "[search][caller]") {
  Shop shop("lmdb");
  Engine& e = *shop.engine;
  auto code = [&](SearchRequest r) {
    auto res = e.search().query(r);
    REQUIRE_FALSE(res.ok());
    INFO(res.status().ToString());
    return res.status();
  };
  Status s = code(SearchRequest{.channel = "nowhere"});
  CHECK(s.IsNotFound());
  CHECK(s.message() == "search channel: no channel with id 'nowhere'");
  s = code(SearchRequest{.currency = "usd"});
  CHECK(s.IsInvalidArgument());
  CHECK(s.message().rfind("search currency: ", 0) == 0);
  s = code(SearchRequest{.currency = "XYZ"});
  CHECK(s.IsInvalidArgument());
  s = code(SearchRequest{.channel = "us", .currency = "EUR"});
  CHECK(s.IsInvalidArgument());
  CHECK(s.message() == "search currency: 'EUR' is not sold in channel 'us' (it sells USD)");
  s = code(SearchRequest{.currency = "USD", .customer_group = std::string(65, 'g')});
  CHECK(s.IsInvalidArgument());
  CHECK(s.message().rfind("search customer_group: ", 0) == 0);
  s = code(SearchRequest{.customer_group = "a b"});
  CHECK(s.message().rfind("search customer_group: ", 0) == 0);
  s = code(SearchRequest{.channel = "u/s"});
  CHECK(s.IsInvalidArgument());
  CHECK(s.message().rfind("search channel: ", 0) == 0);
}

TEST_CASE("search per caller: before a store's first channel a channel key only selects lists",
          "[search][caller]") {
  TempDir dir;
  auto e = Open(dir.path(), "lmdb");
  Cat(*e, "kitchen");
  Put(*e, "a", "kitchen", 1000);
  Put(*e, "b", "kitchen", 2000);
  PriceList web = List("web", "SKU-b", 100);
  web.channel = "web";
  Create(*e, web);
  WaitIndexed(*e);
  SearchRequest r{.sort = "price_asc", .channel = "web", .currency = "USD"};
  SearchResult res = Find(*e, r);
  CHECK(Ids(res) == std::vector<std::string>{"b", "a"});
  CHECK(res.hits[0].price_list_id == "web");
  r.channel = "app";
  CHECK(Ids(Find(*e, r)) == std::vector<std::string>{"a", "b"});
  r.currency.clear();  // an opaque key has no default currency: no prices of its own
  CHECK(Ids(Find(*e, r)) == std::vector<std::string>{"a", "b"});
}

TEST_CASE("search per caller: a price-list change is seen by the next search that waits for it",
          "[search][caller]") {
  for (const std::string& driver : commerce::testing::TestStorageDrivers()) {
    CAPTURE(driver);
    Shop shop(driver);
    Engine& e = *shop.engine;
    SearchRequest r{.sort = "price_asc", .limit = 2, .currency = "USD"};
    r.use_cache = true;
    auto first = e.search().query(r);
    REQUIRE(first.ok());
    CHECK(Ids(*first) == std::vector<std::string>{"d", "a"});
    // c falls below everything: the next search that waits for the write sees it, cache or not.
    PriceList cheap = List("cheap", "SKU-c", 1);
    Create(e, cheap);
    auto seq = e.events().last_seq();
    REQUIRE(seq.ok());
    r.min_index_seq = *seq;
    auto second = e.search().query(r);
    INFO(second.status().ToString());
    REQUIRE(second.ok());
    CHECK(Ids(*second) == std::vector<std::string>{"c", "d"});
    CHECK(second->hits[0].price == Money{1, "USD"});
    CHECK(second->hits[0].price_list_id == "cheap");
    // Removed: back to the base price.
    REQUIRE(e.price_lists().remove("cheap").ok());
    seq = e.events().last_seq();
    REQUIRE(seq.ok());
    r.min_index_seq = *seq;
    auto third = e.search().query(r);
    REQUIRE(third.ok());
    CHECK(Ids(*third) == std::vector<std::string>{"d", "a"});
    // A product change moves a priced product's price: a second variant under the list.
    Product d = *e.catalog().get("d");
    Variant v2;
    v2.sku = "SKU-d2";
    v2.price = Money{300, "USD"};
    d.variants.push_back(v2);
    REQUIRE(e.catalog().upsert(d).ok());
    seq = e.events().last_seq();
    REQUIRE(seq.ok());
    r.min_index_seq = *seq;
    auto fourth = e.search().query(r);
    REQUIRE(fourth.ok());
    REQUIRE(fourth->hits.size() == 2);
    CHECK(fourth->hits[0].product_id == "d");
    CHECK(fourth->hits[0].price == Money{300, "USD"});
    CHECK(fourth->hits[0].price_list_id.empty());
  }
}

TEST_CASE("search per caller: searches while lists change each see one version", "[search][caller][concurrency]") {
  Shop shop("lmdb");
  Engine& e = *shop.engine;
  // One list prices a and b together; each writer version v prices a at 100 + v and b at
  // 200 + v, so every answer has a below b and both from one version.
  PriceList both;
  both.id = "both";
  both.name = "both";
  both.currency = "USD";
  both.entries = {{"SKU-a", 100, 1}, {"SKU-b", 200, 1}};
  Create(e, both);
  WaitIndexed(e);
  std::atomic<bool> stop{false};
  std::atomic<int> answers{0}, bad{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 2; ++t)
    threads.emplace_back([&, t] {
      for (int n = 1; !stop.load(); ++n) {
        const int v = n % 100;  // a and b stay below d's 8.00
        PriceList l = both;
        l.entries = {{"SKU-a", 100 + v * 2 + t, 1}, {"SKU-b", 200 + v * 2 + t, 1}};
        (void)e.price_lists().update(l);
        (void)e.search().wait_for(*e.events().last_seq(), std::chrono::seconds(5));
      }
    });
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < 60; ++i) {
        SearchRequest r{.sort = "price_asc", .limit = 5, .currency = "USD"};
        r.use_cache = (i + t) % 2 == 0;
        auto res = e.search().query(r);
        if (!res.ok() || res->hits.size() != 5) {
          ++bad;
          continue;
        }
        ++answers;
        const auto& h = res->hits;
        // a, b from one version (b = a + 100), sorted by the prices shown, e unpriced last.
        const bool ok = h[0].product_id == "a" && h[1].product_id == "b" &&
                        h[1].price.minor == h[0].price.minor + 100 && h[0].price_list_id == "both" &&
                        h[2].product_id == "d" && h[3].product_id == "c" && h[4].product_id == "e" &&
                        h[4].price.currency.empty();
        if (!ok) ++bad;
      }
    });
  for (size_t i = 2; i < threads.size(); ++i) threads[i].join();
  stop = true;
  threads[0].join();
  threads[1].join();
  CHECK(answers.load() == 240);
  CHECK(bad.load() == 0);
}

// The caller's price range beside a selective filter (a brand): the matcher asks the range
// about the brand's documents one by one (check()), which must answer each alone and never
// skip one that passes. Checked against the products a scan of the shop's own prices finds.
TEST_CASE("search per caller: a price range beside a brand finds what a scan of the prices finds",
          "[search][caller]") {
  TempDir dir;
  auto engine = Open(dir.path(), "lmdb");
  Engine& e = *engine;
  Cat(e, "all");
  struct Item {
    std::string id, brand, currency;
    int64_t price;
  };
  std::vector<Item> items;
  for (int i = 0; i < 90; ++i) {
    Item it{"p" + std::to_string(100 + i), "brand" + std::to_string(i % 3), i % 7 == 0 ? "EUR" : "USD",
            100 + (i * 37) % 900};
    Product p;
    p.id = it.id;
    p.title = it.id + " thing";
    p.brand = it.brand;
    p.categories = {"all"};
    Variant v;
    v.sku = "SKU-" + it.id;
    v.price = Money{it.price, it.currency};
    p.variants.push_back(v);
    REQUIRE(e.catalog().upsert(p).ok());
    items.push_back(it);
  }
  // A list that prices every fifth product (in USD, whatever its base currency).
  PriceList l = List("fifths", "SKU-p100", 0);
  l.entries.clear();
  for (size_t i = 0; i < items.size(); i += 5) {
    const int64_t price = 50 + static_cast<int64_t>(i) * 11;
    l.entries.push_back({"SKU-" + items[i].id, price, 1});
    items[i].currency = "USD";
    items[i].price = price;
  }
  Create(e, l);
  WaitIndexed(e);
  for (const auto& [brand, lo, hi] : std::vector<std::tuple<std::string, int64_t, int64_t>>{
           {"brand0", 0, 300}, {"brand1", 250, 700}, {"brand2", 600, 2000}, {"brand0", 400, 401}, {"brand1", 0, 5000}}) {
    CAPTURE(brand, lo, hi);
    std::vector<std::string> want;
    for (const Item& it : items)
      if (it.brand == brand && it.currency == "USD" && it.price >= lo && it.price <= hi) want.push_back(it.id);
    std::sort(want.begin(), want.end());
    SearchRequest r;
    r.brands = {brand};
    r.currency = "USD";
    r.price_min = lo;
    r.price_max = hi;
    r.limit = 100;
    r.use_cache = false;
    std::vector<std::string> got = Ids(Find(e, r));
    std::sort(got.begin(), got.end());
    CHECK(got == want);
  }
}

}  // namespace search_caller_test
