// Merchandising search without a reindex: a one-way synonym, then a rule that pins a product,
// boosts a brand, buries refurbished stock and hides a recalled item for "tv" searches, and
// an explained result that says why each hit is where it is; then a sale rule with a schedule
// and a redirect, previewed at three times (docs/search.md).
//   build/bin/example_merchandising /tmp/merch-shop
#include <commerce/commerce.h>

#include <cstdlib>
#include <iostream>
#include <utility>

template <class T>
T must(commerce::Result<T> r) {
  if (!r.ok()) { std::cerr << r.status().ToString() << "\n"; std::exit(1); }
  return std::move(r).value();
}
void must(const commerce::Status& s) {
  if (!s.ok()) { std::cerr << s.ToString() << "\n"; std::exit(1); }
}

void Show(const char* what, const commerce::SearchResult& r) {
  std::cout << "-- " << what << ": " << r.total << " found (rules v" << r.rules_version
            << ", synonyms v" << r.synonyms_version << ")\n";
  for (const auto& h : r.hits) {
    std::cout << "   " << h.product_id << "  " << h.title;
    if (h.explanation) {
      const auto& e = *h.explanation;
      std::cout << "  [" << (e.tier.empty() ? "ranked" : e.tier);
      for (const auto& rule : e.rules) std::cout << " by " << rule;
      if (e.tier != "pinned") std::cout << ", weight " << e.weight;
      for (const auto& t : e.terms) std::cout << ", " << t.term << "=" << t.weight;
      std::cout << "]";
    }
    std::cout << "\n";
  }
}

int main(int argc, char** argv) {
  auto engine = must(commerce::Engine::open({.path = argc > 1 ? argv[1] : "./merch-shop"}));
  auto& catalog = engine->catalog();
  must(catalog.upsert_category({.id = "tv", .name = "Televisions"}));
  struct { const char* id; const char* title; const char* brand; const char* refurb; int64_t cents; } items[] = {
      {"tv-1", "55 inch OLED TV", "LG", "no", 129900},   {"tv-2", "65 inch LED TV", "Samsung", "no", 89900},
      {"tv-3", "55 inch Bravia TV", "Sony", "no", 99900}, {"tv-4", "50 inch LED TV", "Samsung", "yes", 39900},
      {"tv-5", "43 inch TV (recalled)", "Acme", "no", 19900}, {"tv-6", "TV wall mount", "Acme", "no", 4900},
  };
  for (const auto& it : items)
    must(catalog.upsert({.id = it.id, .title = it.title, .brand = it.brand, .categories = {"tv"},
                         .attributes = {{"refurbished", it.refurb}},
                         .variants = {{.sku = std::string(it.id) + "-sku", .price = {it.cents, "USD"}}}}));
  auto& search = engine->search();
  must(search.wait_for(must(engine->events().last_seq())));
  Show("tv, as ranked", must(search.query({.text = "tv"})));

  // One-way: "television" also finds "tv", but "tv" does not bring up every "television".
  must(search.set_synonym_groups({{.root = "television", .synonyms = {"tv"}}}));
  Show("television (a one-way synonym)", must(search.query({.text = "television"})));

  auto version = must(search.put_rule({
      .id = "tv-week",
      .query = "tv",
      .match = "contains",
      .pins = {{"tv-6", 1}},
      .boost = {.brands = {"Sony"}},
      .bury = {.attributes = {{"refurbished", "yes"}}},
      .hide = {.product_ids = {"tv-5"}},
  }));
  std::cout << "rule set version " << version << "\n";
  Show("tv, merchandised and explained", must(search.query({.text = "tv", .explain = true})));

  // A conditional change: the version read must still be the set's, or Conflict.
  auto stale = search.delete_rule("tv-week", version + 1);
  std::cout << "delete with a stale version: " << stale.status().ToString() << "\n";
  must(search.delete_rule("tv-week", version));
  Show("tv, the rule deleted", must(search.query({.text = "tv"})));

  // A weekend sale put ahead of time: "tv deals" sends shoppers to the sale's page from
  // Friday 27 November 2026 (UTC) for three days. The hits come all the same; now_ms previews
  // a search at another time.
  constexpr int64_t kFriday = 1'795'737'600'000, kDay = 86'400'000;
  must(search.put_rule({.id = "tv-sale",
                        .query = "tv deals",
                        .redirect = "https://shop.example/tv-sale",
                        .starts_at_ms = kFriday,
                        .ends_at_ms = kFriday + 3 * kDay}));
  for (auto [when, at] : {std::pair{"the Thursday before", kFriday - kDay}, {"the Saturday", kFriday + kDay},
                          {"the Monday after", kFriday + 3 * kDay}}) {
    auto r = must(search.query({.text = "tv deals", .now_ms = at}));
    std::cout << "tv deals, " << when << ": " << r.total << " found, redirect "
              << (r.redirect.empty() ? "none" : r.redirect) << "\n";
  }
  must(search.delete_rule("tv-sale"));
}
