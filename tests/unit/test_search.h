// Test helpers for search through the public API: wait until every write so far is
// searchable, run a request past the result cache (failing the test on an error), and the
// hits' product ids.
#pragma once

#include <catch2/catch.hpp>
#include <chrono>
#include <string>
#include <vector>

#include "commerce/engine.h"

namespace commerce::testing {

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

inline std::vector<std::string> Ids(const SearchResult& r) {
  std::vector<std::string> ids;
  for (const auto& h : r.hits) ids.push_back(h.product_id);
  return ids;
}

}  // namespace commerce::testing
