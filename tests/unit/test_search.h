// Test helpers for search through the public API: an engine on a number of index shards, wait
// until every write so far is searchable, run a request past the result cache (failing the
// test on an error), the hits' product ids, a product with a title alone, and an index shard
// marked as written by an older format.
#pragma once

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "commerce/engine.h"
#include "search/analytics.h"

#include <xapian.h>

namespace commerce::testing {

// The clock search analytics and search ids stamp with (ms since the Unix epoch), and an hour
// of it: what a test's times are made against.
inline int64_t NowMs() { return search::Analytics::NowMs(); }
constexpr int64_t kHourMs = 3'600'000;

// An engine at `path` (LMDB) whose index has `shards` shards, with no background work, or the
// test fails with the open error. Without `run_indexer` nothing is indexed until the test
// waits for it (Search::wait_for then catches up on the caller's thread): a test that loads
// in batches decides what each commit of the index holds.
inline std::unique_ptr<Engine> OpenSearchEngine(const std::string& path, uint32_t shards, bool run_indexer = true) {
  EngineOptions o;
  o.path = path;
  o.run_background = false;
  o.search.shards = shards;
  o.search.run_indexer = run_indexer;
  auto e = Engine::open(o);
  INFO("open " << path << ": " << e.status().ToString());
  REQUIRE(e.ok());
  return std::move(e).value();
}

inline void WaitIndexed(Engine& e) {
  auto seq = e.events().last_seq();
  REQUIRE(seq.ok());
  auto s = e.search().wait_for(*seq, std::chrono::seconds(30));
  INFO(s.ToString());
  REQUIRE(s.ok());
}

inline SearchResult Find(Engine& e, SearchRequest r) {
  r.use_cache = false;
  auto res = e.search().query(r);
  INFO(res.status().ToString());
  REQUIRE(res.ok());
  return *res;
}

// Upserts product `id` with `title` and one variant (SKU-<id>, 10.00 USD), failing the test on
// an error.
inline void PutTitled(Engine& e, const std::string& id, const std::string& title) {
  Product p;
  p.id = id;
  p.title = title;
  Variant v;
  v.sku = "SKU-" + id;
  v.price = Money{1000, "USD"};
  p.variants.push_back(v);
  auto r = e.catalog().upsert(p);
  INFO(r.status().ToString());
  REQUIRE(r.ok());
}

inline std::vector<std::string> Ids(const SearchResult& r) {
  std::vector<std::string> ids;
  for (const auto& h : r.hits) ids.push_back(h.product_id);
  return ids;
}

// Marks shard 0 of the (closed) engine at `path` as written by index format `format`, as an
// older build left it: the next open must find it and rebuild.
inline void MarkShardFormat(const std::string& path, const std::string& format) {
  std::string shard;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(path + "/search"))
    if (entry.is_directory() && entry.path().filename() == "shard-0") shard = entry.path().string();
  REQUIRE(!shard.empty());
  Xapian::WritableDatabase db(shard, Xapian::DB_OPEN);
  db.set_metadata("commerce.format", format);
  db.commit();
}

}  // namespace commerce::testing
