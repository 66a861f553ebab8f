// The shared cache on Redis: product reads and search results answered from a Redis that
// every engine process of a store shares (products invalidated from the event log, search
// pages keyed by the index sequence they were answered from); what happens when Redis goes
// away.
//
//   redis-server --port 6390 --save '' &
//   build/bin/example_shared_cache /tmp/shop-cache redis://127.0.0.1:6390
//
// Prints each read's and search's source (the cache's counters move), then the endpoint's
// breaker state.
// Kill Redis while it sleeps at the end and the reads still answer, from the store.
#include <chrono>
#include <cstdio>
#include <thread>

#include "commerce/commerce.h"
#include "commerce/shared_cache.h"  // SharedCache and resilience.h (remote endpoints)

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: %s STORE_DIR redis://HOST:PORT\n", argv[0]);
    return 2;
  }
  // cache_entries = 0: no in-process result cache, so every search asks Redis first.
  auto engine = commerce::Engine::open({.path = argv[1], .search = {.cache_entries = 0}});
  if (!engine.ok()) {
    std::fprintf(stderr, "%s\n", engine.status().ToString().c_str());
    return 1;
  }
  commerce::SharedCacheOptions co;
  co.redis_url = argv[2];
  co.key_prefix = "example:";  // every process of this store uses the same prefix
  auto cache = commerce::SharedCache::open(**engine, co);
  if (!cache.ok()) {
    std::fprintf(stderr, "%s\n", cache.status().ToString().c_str());
    return 1;
  }
  commerce::Catalog& catalog = (*engine)->catalog();

  commerce::Product p;
  p.id = "mug";
  p.title = "Coffee mug";
  p.brand = "Acme";
  p.variants.push_back({.sku = "MUG-1", .price = {1200, "USD"}});
  if (auto w = catalog.upsert(p); !w.ok()) {
    std::fprintf(stderr, "%s\n", w.status().ToString().c_str());
    return 1;
  }
  auto show = [&](const char* what) {
    auto r = (*cache)->get_product("mug");
    commerce::SharedCacheStats s = (*cache)->stats();
    std::printf("%-28s %-22s v%llu  hits %llu misses %llu fills %llu bypassed %llu\n", what,
                r.ok() ? r->title.c_str() : r.status().ToString().c_str(),
                r.ok() ? static_cast<unsigned long long>(r->version) : 0ULL,
                static_cast<unsigned long long>(s.hits), static_cast<unsigned long long>(s.misses),
                static_cast<unsigned long long>(s.fills), static_cast<unsigned long long>(s.bypassed));
  };
  show("first read (a miss, filled)");
  show("second read (a hit)");
  p.title = "Coffee mug, large";
  if (auto w = catalog.upsert(p); w.ok()) (*cache)->written(*w);  // this process reads its write
  show("after an update");

  // Searches: the engine's own queries look in Redis while the cache is open. No in-process
  // result cache here, so the second search is Redis's answer (another instance's would be).
  (void)(*engine)->search().wait_for(*(*engine)->events().last_seq());
  commerce::SearchRequest req{.text = "mug"};
  for (const char* what : {"search (the index, stored)", "search again (from Redis)"}) {
    auto r = (*engine)->search().query(req);
    commerce::SharedCacheStats s = (*cache)->stats();
    std::printf("%-28s %llu hit(s) at index seq %llu, from_cache %d; search hits %llu misses %llu\n",
                what, r.ok() ? static_cast<unsigned long long>(r->total) : 0ULL,
                r.ok() ? static_cast<unsigned long long>(r->index_seq) : 0ULL,
                r.ok() && r->from_cache, static_cast<unsigned long long>(s.search_hits),
                static_cast<unsigned long long>(s.search_misses));
  }
  for (const commerce::EndpointStats& e : commerce::AllEndpointStats())
    std::printf("%s: breaker %s, %llu calls, P99 %.2f ms\n", e.name.c_str(),
                commerce::ToString(e.state), static_cast<unsigned long long>(e.calls),
                e.latency_p99_ms);
  return 0;
}
