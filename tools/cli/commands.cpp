#include "commands.h"

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <tuple>

#include "commerce/commerce.h"
#include "commerce/sample.h"
#include "progress.h"

namespace commerce::cli {

int Fail(const Status& s) {
  std::fprintf(stderr, "error: %s\n", s.ToString().c_str());
  return 1;
}

Result<std::unique_ptr<Engine>> OpenStore(const StoreArgs& s, StoreUse use,
                                          std::shared_ptr<PricingPolicy> pricing) {
  EngineOptions o;
  o.path = s.data;
  o.driver = s.driver;
  o.create_if_missing = use == StoreUse::kWrite;
  o.storage.postgres_schema = s.pg_schema;
  o.pricing = std::move(pricing);
  auto engine = Engine::open(o);
  if (engine.status().IsNotFound() && use == StoreUse::kRead)
    return Status::NotFound(engine.status().message() +
                            " (give a store's directory with --data; `commerce import` makes one)");
  return engine;
}

namespace {

std::string Human(double v) {
  char buf[32];
  if (v >= 1e6) std::snprintf(buf, sizeof buf, "%.2fM", v / 1e6);
  else if (v >= 1e3) std::snprintf(buf, sizeof buf, "%.1fk", v / 1e3);
  else std::snprintf(buf, sizeof buf, "%.0f", v);
  return buf;
}

Result<ImportReport> ImportWithProgress(Engine& engine, const std::string& file,
                                        ImportOptions o) {
  ProgressBar bar("importing " + std::filesystem::path(file).filename().string());
  o.progress = [&bar](const ImportProgress& p) {
    std::string detail = Human(static_cast<double>(p.imported)) + " imported, " +
                         std::to_string(p.rejected) + " rejected";
    if (p.elapsed_s > 0) detail += ", " + Human(p.imported / p.elapsed_s) + "/s";
    bar.update(p.bytes_read, p.bytes_total, detail);
  };
  auto r = engine.catalog().import_file(file, o);
  if (r.ok())
    bar.finish(std::to_string(r->imported) + " imported (" + std::to_string(r->unchanged) +
               " unchanged), " + std::to_string(r->rejected) + " rejected in " + std::to_string(r->seconds).substr(0, 5) + " s");
  return r;
}

void PrintReport(const ImportReport& r, size_t show) {
  std::printf("records %llu  imported %llu  unchanged %llu  rejected %llu  "
              "categories created %llu  %.2f s  (%s products/s)\n",
              (unsigned long long)r.records, (unsigned long long)r.imported,
              (unsigned long long)r.unchanged, (unsigned long long)r.rejected, (unsigned long long)r.categories_created, r.seconds,
              Human(r.seconds > 0 ? r.imported / r.seconds : 0).c_str());
  for (size_t i = 0; i < r.rejections.size() && i < show; ++i) {
    const auto& j = r.rejections[i];
    std::printf("  rejected line %llu%s%s: %s\n", (unsigned long long)j.line,
                j.field.empty() ? "" : " field ", j.field.c_str(), j.reason.c_str());
  }
  if (r.rejected > show && show > 0)
    std::printf("  ... and %llu more rejected\n", (unsigned long long)(r.rejected - show));
}

// At most `width` bytes of `s`, cut at a UTF-8 character boundary, padded to `width`
// columns (approximately: multi-byte characters count one column each).
std::string Column(const std::string& s, size_t width) {
  std::string out;
  size_t columns = 0;
  for (size_t i = 0; i < s.size() && columns < width;) {
    size_t len = 1;
    auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0xf0) len = 4; else if (c >= 0xe0) len = 3; else if (c >= 0xc0) len = 2;
    if (i + len > s.size()) break;
    out.append(s, i, len);
    i += len;
    ++columns;
  }
  out.append(width - columns, ' ');
  return out;
}

std::string Price(const Variant& v) { return FormatMoney(v.price) + " " + v.price.currency; }

// A store directory made by this tool may be wiped by `demo`; anything else is left alone.
bool LooksLikeStore(const std::filesystem::path& dir) {
  return std::filesystem::exists(dir / "LOCK") &&
         (std::filesystem::exists(dir / "data.mdb") || std::filesystem::exists(dir / "commerce.sqlite"));
}


// The flow of the card: stock in warehouses, a customer, a cart, an order placed from it
// (twice with the same idempotency key: one order), then paid, fulfilled, shipped, delivered.
int DemoCartToOrder(Engine& engine, const std::vector<Product>& products) {
  if (products.size() < 2) return 0;
  auto& inv = engine.inventory();
  struct { const char* id; const char* name; const char* region; int priority; } whs[] = {
      {"wh-east", "Newark DC", "us-east", 10},
      {"wh-west", "Reno DC", "us-west", 5},
      {"wh-eu", "Rotterdam DC", "eu-west", 1},
  };
  for (const auto& w : whs) {
    auto r = inv.upsert_warehouse(Warehouse{w.id, w.name, w.region, w.priority, true});
    if (!r.ok()) return Fail(r.status());
  }
  const std::string sku_a = products[0].variants.front().sku;
  const std::string sku_b = products[1].variants.front().sku;
  // sku_a only in the east, sku_b in both: an order shipping west still prefers one parcel.
  for (auto [sku, wh, qty] : {std::tuple{sku_a, "wh-east", 5}, {sku_b, "wh-east", 3}, {sku_b, "wh-west", 20}}) {
    auto r = inv.receive(sku, wh, qty);
    if (!r.ok()) return Fail(r.status());
  }
  auto stock = inv.get(sku_b);
  if (!stock.ok()) return Fail(stock.status());
  std::printf("-- inventory: %zu warehouses; %s: %lld available in %zu warehouses\n", std::size(whs),
              sku_b.c_str(), (long long)stock->available, stock->levels.size());

  auto customer = engine.customers().get_by_email("ada@example.com");
  if (!customer.ok()) {
    Customer c;
    c.email = "ada@example.com";
    c.name = "Ada Lovelace";
    c.addresses.push_back(Address{"Ada Lovelace", "12 St James's Square", "", "Portland", "97201", "us-west", "US"});
    customer = engine.customers().create(c);
    if (!customer.ok()) return Fail(customer.status());
  }
  std::printf("-- customer: %s <%s>\n", customer->id.c_str(), customer->email.c_str());

  auto cart = engine.carts().create(NewCart{"", customer->id, products[0].variants.front().price.currency});
  if (!cart.ok()) return Fail(cart.status());
  if (auto r = engine.carts().add(cart->id, sku_a, 2); !r.ok()) return Fail(r.status());
  auto filled = engine.carts().add(cart->id, sku_b, 1);
  if (!filled.ok()) return Fail(filled.status());
  std::printf("-- cart %s: %lld items, subtotal %s %s\n", filled->id.c_str(),
              (long long)filled->item_count, FormatMoney(filled->subtotal).c_str(),
              filled->subtotal.currency.c_str());
  for (const auto& l : filled->lines)
    std::printf("   %-14s x%lld  %10s\n", l.sku.c_str(), (long long)l.quantity, FormatMoney(l.line_total).c_str());

  PlaceOrder req;
  req.idempotency_key = "demo-" + cart->id;
  req.customer_id = customer->id;
  req.cart_id = cart->id;
  req.shipping_address = customer->addresses.front();
  auto order = engine.orders().place(req);
  if (!order.ok()) return Fail(order.status());
  auto again = engine.orders().place(req);  // a client retrying after a timeout
  if (!again.ok()) return Fail(again.status());
  std::printf("-- order %s placed: total %s %s (tax %s, shipping %s); retry with the same key -> %s\n",
              order->id.c_str(), FormatMoney(order->total).c_str(), order->total.currency.c_str(),
              FormatMoney(order->tax).c_str(), FormatMoney(order->shipping).c_str(),
              again->id == order->id ? "the same order" : "A SECOND ORDER (bug)");
  for (const auto& sh : order->shipments) {
    std::printf("   shipment from %s:", sh.warehouse_id.c_str());
    for (const auto& it : sh.items) std::printf(" %s x%lld", it.sku.c_str(), (long long)it.quantity);
    std::printf("\n");
  }
  for (OrderStatus next : {OrderStatus::kPaid, OrderStatus::kFulfilling, OrderStatus::kShipped,
                           OrderStatus::kDelivered}) {
    auto moved = engine.orders().transition(order->id, next);
    if (!moved.ok()) return Fail(moved.status());
  }
  auto after = inv.get(sku_a);
  if (!after.ok()) return Fail(after.status());
  std::printf("   paid -> fulfilling -> shipped -> delivered; %s now %lld on hand, %lld reserved\n",
              sku_a.c_str(), (long long)after->on_hand, (long long)after->reserved);
  return 0;
}

}  // namespace

int RunImport(const ImportArgs& a) {
  auto engine = OpenStore(a.store, StoreUse::kWrite);
  if (!engine.ok()) return Fail(engine.status());
  ImportOptions o;
  o.format = a.format;
  o.mapping_path = a.mapping;
  o.default_currency = a.currency;
  auto r = ImportWithProgress(**engine, a.file, o);
  if (!r.ok()) return Fail(r.status());
  PrintReport(*r, a.show_rejections);
  Status s = (*engine)->close();
  return s.ok() ? 0 : Fail(s);
}

int RunGet(const StoreArgs& s, const std::string& sku, const std::string& id) {
  auto engine = OpenStore(s, StoreUse::kRead);
  if (!engine.ok()) return Fail(engine.status());
  auto p = sku.empty() ? (*engine)->catalog().get(id) : (*engine)->catalog().get_by_sku(sku);
  if (!p.ok()) return Fail(p.status());
  std::printf("%s\n", ProductToJson(*p).c_str());
  return 0;
}

int RunStats(const StoreArgs& s) {
  auto engine = OpenStore(s, StoreUse::kRead);
  if (!engine.ok()) return Fail(engine.status());
  auto c = (*engine)->catalog().stats();
  if (!c.ok()) return Fail(c.status());
  auto last = (*engine)->events().last_seq();
  if (!last.ok()) return Fail(last.status());
  auto first = (*engine)->events().first_seq();
  if (!first.ok()) return Fail(first.status());
  std::printf("store       %s (%s)\n", s.data.c_str(), s.driver.c_str());
  std::printf("products    %llu\nskus        %llu\ncategories  %llu\nevents      %llu\n",
              (unsigned long long)c->products, (unsigned long long)c->skus,
              (unsigned long long)c->categories, (unsigned long long)*last);
  if (*first > 1)  // trimmed (docs/events.md, "Retention")
    std::printf("first event %llu (older ones trimmed)\n", (unsigned long long)*first);
  return 0;
}

int RunEvents(const StoreArgs& s, uint64_t from, size_t limit) {
  auto engine = OpenStore(s, StoreUse::kRead);
  if (!engine.ok()) return Fail(engine.status());
  if (from == 0) {
    auto first = (*engine)->events().first_seq();
    if (!first.ok()) return Fail(first.status());
    from = *first;
  }
  auto events = (*engine)->events().tail(from, limit);
  if (!events.ok()) return Fail(events.status());
  for (const auto& e : *events)
    std::printf("%llu\t%s\t%s\t%s\n", (unsigned long long)e.seq, e.type.c_str(), e.subject.c_str(),
                e.data.c_str());
  return 0;
}

int RunGenerate(const GenerateArgs& a) {
  std::ofstream out(a.out, std::ios::binary | std::ios::trunc);
  if (!out) {
    std::fprintf(stderr, "error: cannot write %s\n", a.out.c_str());
    return 1;
  }
  SampleCatalogOptions o;
  o.products = a.products;
  o.seed = a.seed;
  SampleCatalog catalog(o);
  ProgressBar bar("generating");
  catalog.write_jsonl(out, [&](uint64_t done) {
    if (done % 1000 == 0) bar.update(done, a.products, std::to_string(done) + " products");
  });
  out.close();
  if (!out) {
    std::fprintf(stderr, "error: writing %s failed\n", a.out.c_str());
    return 1;
  }
  bar.finish(std::to_string(a.products) + " products -> " + a.out);
  return 0;
}

int RunDemo(const DemoArgs& a) {
  namespace fs = std::filesystem;
  fs::path dir(a.store.data);
  if (!a.keep && fs::exists(dir)) {
    if (!LooksLikeStore(dir) && !fs::is_empty(dir)) {
      std::fprintf(stderr, "error: %s exists and is not a commerce store: choose another --data\n",
                   a.store.data.c_str());
      return 2;
    }
    fs::remove_all(dir);
  }

  std::printf("== commerce demo: an embedded %s store at %s\n", a.store.driver.c_str(),
              a.store.data.c_str());
  // The demo shop charges sales tax on the US west coast and a flat fee per parcel, so the
  // order shows the pricing hooks at work.
  DefaultPricingOptions pricing;
  pricing.tax_bp_by_region = {{"us-west", 825}, {"us-east", 663}};
  pricing.shipping_per_shipment_minor = 599;
  auto engine_r = OpenStore(a.store, StoreUse::kWrite, MakeDefaultPricing(pricing));
  if (!engine_r.ok()) return Fail(engine_r.status());
  Engine& engine = **engine_r;

  std::string file = a.file;
  std::string tmp;
  if (file.empty()) {
    char name[] = "/tmp/commerce-sample-XXXXXX.jsonl";
    int fd = ::mkstemps(name, 6);
    if (fd < 0) return Fail(Status::Unavailable("cannot create a temporary file in /tmp"));
    ::close(fd);
    tmp = file = name;
    std::printf("-- generating a sample catalog of %llu products (seed %llu)\n",
                (unsigned long long)a.products, (unsigned long long)a.seed);
    GenerateArgs g{a.products, a.seed, file};
    if (int rc = RunGenerate(g); rc != 0) return rc;
  }

  std::printf("-- importing %s\n", a.file.empty() ? "the sample catalog" : file.c_str());
  ImportOptions o;
  o.mapping_path = a.mapping;
  auto report = ImportWithProgress(engine, file, o);
  if (!tmp.empty()) fs::remove(tmp);
  if (!report.ok()) return Fail(report.status());
  PrintReport(*report, 5);

  auto stats = engine.catalog().stats();
  if (!stats.ok()) return Fail(stats.status());
  std::printf("-- stored: %llu products, %llu SKUs, %llu categories\n",
              (unsigned long long)stats->products, (unsigned long long)stats->skus,
              (unsigned long long)stats->categories);

  // Point reads: the first few products of the first page, then by SKU.
  ListOptions lo;
  lo.limit = 3;
  auto page = engine.catalog().list(lo);
  if (!page.ok()) return Fail(page.status());
  std::printf("-- get by SKU:\n");
  for (const auto& p : page->items) {
    const auto& sku = p.variants.front().sku;
    auto t0 = std::chrono::steady_clock::now();
    auto got = engine.catalog().get_by_sku(sku);
    double us = std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count();
    if (!got.ok()) return Fail(got.status());
    std::printf("   %-14s %s %10s  (%.0f us)\n", sku.c_str(), Column(got->title, 60).c_str(),
                Price(got->variants.front()).c_str(), us);
  }

  // Browse: the first root category and a page of products below it.
  auto roots = engine.catalog().list_categories("");
  if (!roots.ok()) return Fail(roots.status());
  if (!roots->empty()) {
    const auto& root = roots->front();
    ListOptions bo;
    bo.limit = 5;
    auto in_cat = engine.catalog().list_by_category(root.id, bo);
    if (!in_cat.ok()) return Fail(in_cat.status());
    std::printf("-- browse category '%s' (%zu root categories):\n", root.name.c_str(), roots->size());
    for (const auto& p : in_cat->items)
      std::printf("   %-14s %s %10s\n", p.id.c_str(), Column(p.title, 60).c_str(),
                  Price(p.variants.front()).c_str());
  }

  auto found = DemoSearch(engine);
  if (!found.ok()) return Fail(found.status());
  if (int rc = DemoCartToOrder(engine, found->size() >= 2 ? *found : page->items); rc != 0) return rc;

  auto last = engine.events().last_seq();
  if (!last.ok()) return Fail(last.status());
  std::printf("-- event log: %llu events; the newest:\n", (unsigned long long)*last);
  auto events = engine.events().tail(*last > 2 ? *last - 2 : 1, 3);
  if (!events.ok()) return Fail(events.status());
  for (const auto& e : *events)
    std::printf("   #%llu %s %s\n", (unsigned long long)e.seq, e.type.c_str(), e.data.c_str());

  Status s = engine.close();
  if (!s.ok()) return Fail(s);
  std::printf("== done: the store is at %s (try: build/bin/commerce stats --data %s)\n",
              a.store.data.c_str(), a.store.data.c_str());
  return 0;
}

}  // namespace commerce::cli
