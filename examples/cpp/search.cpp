// Search: a few products, then free text with facets, a misspelt query, the some-of-the-words
// fall-back, a filtered browse, multi-select facets with own price buckets and the category
// tree, synonyms, read-your-writes after an edit, search analytics (a click recorded, the top,
// zero-result and unused queries) and search-as-you-type suggestions.
//   build/bin/example_search /tmp/search-shop
#include <commerce/commerce.h>

#include <cstdlib>
#include <iostream>

template <class T>
T must(commerce::Result<T> r) {
  if (!r.ok()) { std::cerr << r.status().ToString() << "\n"; std::exit(1); }
  return std::move(r).value();
}
void must(const commerce::Status& s) {
  if (!s.ok()) { std::cerr << s.ToString() << "\n"; std::exit(1); }
}

void Show(const char* what, const commerce::SearchResult& r) {
  std::cout << "-- " << what << ": " << r.total << " found";
  if (r.used_correction) std::cout << " (showing results for '" << r.corrected_query << "')";
  if (r.relaxed) std::cout << " (matching some of the words)";
  std::cout << "\n";
  for (const auto& h : r.hits)
    std::cout << "   " << h.product_id << "  " << h.highlighted_title << "  "
              << commerce::FormatMoney(h.price) << "\n";
  for (const auto& f : r.facets) {
    std::cout << "   " << f.field << ":";
    for (const auto& v : f.values) std::cout << " " << v.label << " (" << v.count << ")";
    std::cout << "\n";
  }
}

int main(int argc, char** argv) {
  auto engine = must(commerce::Engine::open({.path = argc > 1 ? argv[1] : "./search-shop"}));
  auto& catalog = engine->catalog();
  must(catalog.upsert_category({.id = "audio", .name = "Audio"}));
  must(catalog.upsert_category({.id = "audio/headphones", .name = "Headphones"}));
  struct { const char* id; const char* title; const char* brand; int64_t cents; } items[] = {
      {"hp-1", "Wireless Noise Cancelling Headphones", "Sony", 29999},
      {"hp-2", "QuietComfort Bluetooth Headphones", "Bose", 34900},
      {"hp-3", "Wired Studio Headphones", "Audio-Technica", 14900},
  };
  for (const auto& it : items)
    must(catalog.upsert({.id = it.id, .title = it.title, .brand = it.brand,
                         .categories = {"audio/headphones"},
                         .variants = {{.sku = std::string(it.id) + "-sku", .price = {it.cents, "USD"}}}}));

  // The index follows the event log in the background; wait for what we just wrote.
  auto& search = engine->search();
  must(search.wait_for(must(engine->events().last_seq())));

  Show("headphones, with facets",
       must(search.query({.text = "headphones", .facets = {"brand", "price"}})));
  Show("a typo", must(search.query({.text = "wireles hedphones"})));
  // No product has all four words: the fall-back needs half of them (the default is 75%),
  // and ranks a product matching more words first.
  Show("some of the words",
       must(search.query({.text = "sony wired studio speakers ", .minimum_should_match = 50})));
  Show("browse the category under $200, cheapest first",
       must(search.query({.categories = {"audio"}, .price_max = 20000, .sort = "price_asc"})));
  // Multi-select: Sony ticked, the brand facet still counts the other brands; the price facet
  // in the shop's own buckets; the category tree from the departments down.
  Show("Sony ticked, other brands still counted; own price buckets; the category tree",
       must(search.query({.brands = {"Sony"},
                          .facets = {"brand", "price", "category_tree"},
                          .disjunctive_facets = {"brand"},
                          .price_buckets = {20000, 30000}})));

  // Category intent (on by default): the category the query's first matches lead with goes
  // first; off, BM25 order alone.
  Show("headphones, BM25 order alone (category intent off)",
       must(search.query({.text = "headphones", .category_intent = false})));

  must(search.set_synonyms({{"earphones", "headphones", "cans"}}));
  Show("a synonym", must(search.query({.text = "cans"})));

  // Read-your-writes: pass the write's event sequence with the query.
  auto p = must(catalog.get("hp-3"));
  p.title = "Wired Studio Monitor Headphones";
  must(catalog.upsert(p));
  Show("after an edit",
       must(search.query({.text = "monitor", .min_index_seq = must(engine->events().last_seq())})));

  // Search analytics: every search above was recorded (in memory, added to the store every 5 s and at close). The shopper
  // clicks the first hit of one more search; a search that finds nothing shows up too. The search id carries its search,
  // signed with the store's key: any engine sharing the store (a fleet's other servers, this one after a restart) takes it.
  auto clicked = must(search.query({.text = "headphones"}));
  must(search.record_use({.search_id = clicked.search_id, .product_id = clicked.hits[0].product_id,
                          .kind = "click"}));
  must(search.query({.text = "turntable", .typo_tolerance = false}));
  auto report = must(search.analytics({.limit = 3}));
  auto list = [](const char* what, const std::vector<commerce::QueryStats>& v) {
    std::cout << "   " << what << ":";
    for (const auto& q : v) std::cout << " '" << q.query << "' (" << q.searches << " searches, " << q.used << " used)";
    std::cout << "\n";
  };
  std::cout << "-- search analytics: " << report.searches << " searches recorded\n";
  list("top", report.top_queries);
  list("found nothing", report.zero_result_queries);
  list("never used", report.unused_queries);

  // Search-as-you-type: popular queries first, then the products' words and title phrases
  // (a trailing space offers the words that follow in titles); typos tolerated.
  for (const char* typed : {"head", "wireles no", "blutooth", "wireless "}) {
    std::cout << "-- suggestions for '" << typed << "':";
    for (const auto& x : must(search.suggest({.text = typed, .limit = 4})).suggestions)
      std::cout << " '" << x.text << "' (" << x.source << (x.corrected ? ", corrected" : "") << ")";
    std::cout << "\n";
  }
}
