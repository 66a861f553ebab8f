// A channel's product listing (src/channels/channel_listing.cpp, Catalog::list and
// list_by_category with ListOptions::channel): on every driver, every page size and every
// shape of channel gives exactly the visible products in id order, each once; bad input is a
// clear error; paging while products are added lists none twice; and a page of a category
// channel reads in proportion to the page, not to the catalog (counted on a store in memory).
#include <algorithm>
#include <atomic>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

#include "catalog/catalog_store.h"
#include "catalog/product_codec.h"
#include "channels/channel_listing.h"
#include "channels/channel_store.h"
#include "commerce/channels.h"
#include "commerce/engine.h"
#include "common/key.h"
#include "test_dir.h"
#include "test_engine.h"

namespace channels_channel_listing_test {

namespace {

using namespace commerce;
using commerce::testing::TempDir;

struct Shop {
  TempDir dir;
  std::unique_ptr<Engine> engine;

  explicit Shop(const std::string& driver) {
    EngineOptions o = commerce::testing::QuietEngineOptions(dir.path());
    commerce::testing::UseTestDriver(o, driver, "chlist");
    auto e = Engine::open(o);
    INFO(e.status().ToString());
    REQUIRE(e.ok());
    engine = std::move(e).value();
    for (const char* c : {"apparel", "apparel/tees", "apparel/hats", "kitchen"}) {
      Category cat;
      cat.id = c;
      cat.name = c;
      REQUIRE(engine->catalog().upsert_category(cat).ok());
    }
  }
  void Add(const std::string& id, std::vector<std::string> categories,
           ProductStatus status = ProductStatus::kActive) {
    Product p = commerce::testing::PlainProduct(id, id);
    p.categories = std::move(categories);
    p.status = status;
    auto r = engine->catalog().upsert(p);
    INFO(r.status().ToString());
    REQUIRE(r.ok());
  }
  Channel Make(const std::string& id, std::vector<std::string> cats, std::vector<std::string> ids,
               std::vector<std::string> excluded) {
    Channel c;
    c.id = id;
    c.name = id;
    c.default_currency = "USD";
    c.category_ids = std::move(cats);
    c.product_ids = std::move(ids);
    c.excluded_product_ids = std::move(excluded);
    auto r = engine->channels().create(c);
    INFO(r.status().ToString());
    REQUIRE(r.ok());
    return *r;
  }
};

// Every page of the listing, joined; REQUIREs that no id repeats.
std::vector<std::string> AllPages(Catalog& catalog, const std::string& category, ListOptions o) {
  std::vector<std::string> out;
  for (int guard = 0; guard < 10000; ++guard) {
    auto page = category.empty() ? catalog.list(o) : catalog.list_by_category(category, o);
    INFO(page.status().ToString());
    REQUIRE(page.ok());
    REQUIRE(page->items.size() <= o.limit);
    for (const auto& p : page->items) out.push_back(p.id);
    if (page->next_cursor.empty()) return out;
    // A cursor is given only when another visible product follows.
    CHECK(page->items.size() == o.limit);
    o.cursor = page->next_cursor;
  }
  FAIL("the listing did not end");
  return out;
}

}  // namespace

TEST_CASE("channel listing: every shape of channel and page size lists exactly what it shows",
          "[channels][listing]") {
  for (const std::string& driver : commerce::testing::TestStorageDrivers()) {
    CAPTURE(driver);
    Shop shop(driver);
    // 40 products over the tree, some in two categories, some in none; drafts and archived.
    for (int i = 0; i < 40; ++i) {
      char id[16];
      std::snprintf(id, sizeof id, "p%02d", i);
      std::vector<std::string> cats;
      if (i % 5 == 0) cats = {"apparel/tees"};
      else if (i % 5 == 1) cats = {"apparel/hats", "kitchen"};
      else if (i % 5 == 2) cats = {"kitchen"};
      else if (i % 5 == 3) cats = {"apparel"};
      ProductStatus st = i % 7 == 3 ? ProductStatus::kArchived
                         : i % 11 == 4 ? ProductStatus::kDraft : ProductStatus::kActive;
      shop.Add(id, cats, st);
    }
    std::vector<Channel> channels = {
        shop.Make("all", {}, {}, {"p05", "p06", "p39"}),
        shop.Make("tees", {"apparel/tees"}, {}, {}),
        shop.Make("apparel", {"apparel"}, {}, {"p10"}),
        shop.Make("named", {}, {"p33", "p02", "nope", "p04", "p17"}, {"p17"}),
        shop.Make("mixed", {"apparel/hats", "kitchen", "apparel/tees"}, {"p03", "p39", "zz"},
                  {"p01", "p12"}),
    };
    Catalog& catalog = shop.engine->catalog();
    ListOptions every;
    every.limit = 1000;
    every.include_archived = true;
    auto everything = catalog.list(every);
    REQUIRE(everything.ok());
    REQUIRE(everything->items.size() == 40);
    for (const Channel& c : channels) {
      for (const std::string category : {"", "apparel", "apparel/tees", "apparel/hats", "kitchen"}) {
        for (bool archived : {false, true}) {
          std::vector<std::string> want;
          for (const Product& p : everything->items) {
            if (!VisibleIn(c, p)) continue;
            if (!category.empty() && !ListedUnder(p).count(category)) continue;
            if (p.status == ProductStatus::kArchived && !archived) continue;
            want.push_back(p.id);
          }
          for (size_t limit : {1, 2, 3, 7, 1000}) {
            CAPTURE(c.id, category, archived, limit);
            ListOptions o;
            o.channel = c.id;
            o.limit = limit;
            o.include_archived = archived;
            CHECK(AllPages(catalog, category, o) == want);
          }
        }
      }
    }
    // A page that ends on the last visible product gives no cursor, even when products the
    // channel hides follow it.
    ListOptions o;
    o.channel = "tees";
    o.limit = 1;
    o.cursor = "p30";
    auto last = catalog.list(o);
    REQUIRE(last.ok());
    REQUIRE(last->items.size() == 1);
    CHECK(last->items[0].id == "p35");
    CHECK(last->next_cursor.empty());
  }
}

TEST_CASE("channel listing: bad input is a clear error", "[channels][listing]") {
  for (const std::string& driver : commerce::testing::TestStorageDrivers()) {
    CAPTURE(driver);
    Shop shop(driver);
    shop.Add("tee", {"apparel/tees"});
    Catalog& catalog = shop.engine->catalog();
    ListOptions o;
    o.channel = "eu";
    // Before the store has channels too: a listing asks for the channel's rules.
    auto none = catalog.list(o);
    INFO(none.status().ToString());
    CHECK(none.status().IsNotFound());
    CHECK(none.status().message() == "channel: no channel with id 'eu'");
    shop.Make("eu", {"apparel"}, {}, {});
    CHECK(catalog.list(o).ok());
    o.channel = "e u";
    auto bad = catalog.list(o);
    CHECK(bad.status().IsInvalidArgument());
    CHECK(bad.status().message().rfind("channel:", 0) == 0);
    o.channel = "eu";
    o.cursor = std::string("\xff\xfe", 2);
    CHECK(catalog.list(o).status().IsInvalidArgument());
    o.cursor.clear();
    o.limit = 0;
    CHECK(catalog.list(o).status().IsInvalidArgument());
    o.limit = 10;
    CHECK(catalog.list_by_category("nowhere", o).status().IsNotFound());
  }
}

TEST_CASE("channel listing: paging while products are added lists each product at most once",
          "[channels][listing][concurrency]") {
  for (const std::string& driver : commerce::testing::TestStorageDrivers()) {
    CAPTURE(driver);
    Shop shop(driver);
    for (int i = 0; i < 30; ++i) shop.Add("a" + std::to_string(100 + i), {"apparel/tees"});
    for (int i = 0; i < 30; ++i) shop.Add("k" + std::to_string(100 + i), {"kitchen"});
    shop.Make("eu", {"apparel"}, {"k105"}, {"a107"});
    std::atomic<bool> stop{false};
    std::atomic<int> added{0}, failed{0};
    // Two writers add products on both sides of every cursor, in and out of the channel.
    std::vector<std::thread> writers;
    for (int w = 0; w < 2; ++w)
      writers.emplace_back([&, w] {
        for (int i = 0; !stop.load() && i < 400; ++i) {
          Product p = commerce::testing::PlainProduct(
              std::string(1, "ak"[i % 2]) + std::to_string(100 + (i * 7 + w * 3) % 97) + "-" +
                  std::to_string(w) + "-" + std::to_string(i),
              "x");
          p.categories = {i % 2 == 0 ? "apparel/hats" : "kitchen"};
          (shop.engine->catalog().upsert(p).ok() ? added : failed).fetch_add(1);
        }
      });
    std::vector<std::string> seen;
    // Pages read until the writers have added products between them (and 5 listings at least).
    for (int round = 0; round < 5 || (added.load() < 50 && round < 1000); ++round) {
      ListOptions o;
      o.channel = "eu";
      o.limit = 3;
      seen = AllPages(shop.engine->catalog(), "", o);
      std::set<std::string> unique(seen.begin(), seen.end());
      CHECK(unique.size() == seen.size());
      CHECK(std::is_sorted(seen.begin(), seen.end()));
      // What was there before the listing began and stays visible is listed.
      for (int i = 0; i < 30; ++i)
        if (i != 7) CHECK(unique.count("a" + std::to_string(100 + i)) == 1);
      CHECK(unique.count("k105") == 1);
      CHECK(unique.count("a107") == 0);
      for (const auto& id : seen) CHECK((id[0] == 'a' || id == "k105"));
    }
    stop = true;
    for (auto& t : writers) t.join();
    CHECK(added.load() >= 50);
    CHECK(failed.load() == 0);
  }
}

namespace {

// A store in memory that counts what it is asked for: enough of ReadView for the listing
// (read_many and get_many use the default bodies over get() and cursors).
class CountingView : public ReadView {
 public:
  std::map<std::pair<uint32_t, std::string>, std::string> rows;
  size_t keys_read = 0;  // entries a cursor stood on, and point reads

  Status get(Table table, std::string_view key, std::string_view* value) override {
    ++keys_read;
    auto it = rows.find({table.id, std::string(key)});
    if (it == rows.end()) return Status::NotFound("absent");
    *value = it->second;
    return Status::OK();
  }

  class MapCursor : public Cursor {
   public:
    MapCursor(CountingView* v, uint32_t table) : v_(v), table_(table) {}
    bool valid() const override { return it_ != v_->rows.end() && it_->first.first == table_; }
    void seek(std::string_view target) override { Count(v_->rows.lower_bound({table_, std::string(target)})); }
    void seek_to_first() override { seek(""); }
    void next() override { Count(std::next(it_)); }
    std::string_view key() const override { return it_->first.second; }
    std::string_view value() const override { return it_->second; }
    Status status() const override { return Status::OK(); }

   private:
    void Count(std::map<std::pair<uint32_t, std::string>, std::string>::iterator it) {
      it_ = it;
      if (valid()) ++v_->keys_read;
    }
    CountingView* v_;
    uint32_t table_;
    std::map<std::pair<uint32_t, std::string>, std::string>::iterator it_;
  };

  std::unique_ptr<Cursor> cursor(Table table, CursorOptions) override {
    return std::make_unique<MapCursor>(this, table.id);
  }

  void AddProduct(const Tables& t, const std::string& id, const std::string& category) {
    Product p = commerce::testing::PlainProduct(id, id);
    p.categories = {category};
    p.version = 1;
    rows[{t.products.id, KeyBuilder().str(id).key()}] = EncodeProduct(p);
    for (const std::string& c : ListedUnder(p))
      rows[{t.category_products.id, KeyBuilder().str(c).str(id).key()}] = "";
  }
};

}  // namespace

TEST_CASE("channel listing: a page of a category channel reads in proportion to the page",
          "[channels][listing]") {
  Tables t;
  t.products.id = 1;
  t.category_products.id = 2;
  CountingView view;
  // 20,000 products in kitchen, interleaved by id with 400 in apparel/tees and 400 in apparel/hats.
  for (int i = 0; i < 20000; ++i) {
    const std::string id = "p" + std::to_string(100000 + i);
    view.AddProduct(t, id, i % 50 == 0 ? "apparel/tees" : i % 50 == 25 ? "apparel/hats" : "kitchen");
  }
  Channel c;
  c.id = "eu";
  c.category_ids = {"apparel/tees", "apparel/hats"};
  c.product_ids = {"p100007", "p119999"};
  ListOptions o;
  o.limit = 20;
  size_t pages = 0, listed = 0, most = 0;
  for (;;) {
    view.keys_read = 0;
    auto page = ListChannelProducts(view, t, c, "", o);
    REQUIRE(page.ok());
    ++pages;
    listed += page->items.size();
    most = std::max(most, view.keys_read);
    if (page->next_cursor.empty()) break;
    o.cursor = page->next_cursor;
  }
  CHECK(listed == 802);
  CHECK(pages == 41);
  // Per page: at most limit + 1 index keys from each of the two ranges and the id list, and
  // the products of the page (and one more): about 3 x 21 + 21, never the 20,000 of kitchen.
  CAPTURE(most);
  CHECK(most <= 3 * 21 + 21 + 3);
  // Filtering the whole catalog instead would read ~500 products a page (20,000 / 40).
}

}  // namespace channels_channel_listing_test
