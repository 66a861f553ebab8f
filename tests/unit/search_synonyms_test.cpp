// Tests of the synonym list (src/search/synonyms.cpp and its versioned record in
// search_service.cpp) through the public API: one-way and multi-way groups changing what a
// query finds on the next query (no reindex), the list's version and optimistic concurrency,
// the older multi-way call beside the new one, the version on results, and bad lists.
#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "commerce/engine.h"
#include "test_dir.h"
#include "test_engine.h"
#include "test_search.h"

namespace search_synonyms_test {

namespace {

using commerce::Code;
using commerce::Engine;
using commerce::SearchRequest;
using commerce::SynonymGroup;
using commerce::testing::Find;
using commerce::testing::Ids;
using commerce::testing::PutTitled;
using commerce::testing::TempDir;
using commerce::testing::WaitIndexed;

std::unique_ptr<Engine> Shop(const TempDir& dir) {
  auto e = commerce::testing::OpenTestEngine(dir.path(), "lmdb");
  PutTitled(*e, "phone", "Basic Phone");
  PutTitled(*e, "smart", "Smartphone Pro");
  PutTitled(*e, "hood", "Zip Hoodie");
  WaitIndexed(*e);
  return e;
}

// Exactly the words typed: no correction, no fall-back to some of the words.
SearchRequest Exact(const std::string& text) {
  return {.text = text, .prefix = false, .typo_tolerance = false, .relax = false};
}

}  // namespace

TEST_CASE("synonyms: a one-way group widens its root only, on the next query", "[search][synonyms]") {
  TempDir dir;
  auto e = Shop(dir);
  CHECK(Ids(Find(*e, Exact("phone"))) == std::vector<std::string>{"phone"});
  auto v = e->search().set_synonym_groups({{.root = "phone", .synonyms = {"smartphone"}}});
  REQUIRE(v.ok());
  CHECK(*v == 1);
  // The next query, with no reindex: "phone" also finds the smartphone...
  auto widened = Ids(Find(*e, Exact("phone")));
  std::sort(widened.begin(), widened.end());
  CHECK(widened == std::vector<std::string>{"phone", "smart"});
  // ... but not the reverse.
  CHECK(Ids(Find(*e, Exact("smartphone"))) == std::vector<std::string>{"smart"});
  CHECK(Find(*e, Exact("phone")).synonyms_version == 1);
  auto set = e->search().synonym_groups();
  REQUIRE(set.ok());
  CHECK(set->version == 1);
  REQUIRE(set->groups.size() == 1);
  CHECK(set->groups[0] == SynonymGroup{.root = "phone", .synonyms = {"smartphone"}});
  // The older call lists multi-way groups only.
  CHECK(e->search().synonyms()->empty());
}

TEST_CASE("synonyms: versions, conflicts, persistence and the result cache", "[search][synonyms]") {
  TempDir dir;
  auto e = Shop(dir);
  const SearchRequest cached{.text = "sweatshirt", .prefix = false, .typo_tolerance = false, .relax = false};
  auto before = e->search().query(cached);  // through the result cache
  REQUIRE(before.ok());
  CHECK(before->hits.empty());
  REQUIRE(e->search().set_synonym_groups({{.synonyms = {"sweatshirt", "hoodie"}}}).ok());
  // The cached empty page is not served under the new list.
  auto after = e->search().query(cached);
  REQUIRE(after.ok());
  CHECK(Ids(*after) == std::vector<std::string>{"hood"});
  CHECK(after->synonyms_version == 1);
  // A stale version changes nothing.
  auto stale = e->search().set_synonym_groups({}, 5);
  CHECK(stale.status().code() == Code::kConflict);
  CHECK(Ids(Find(*e, cached)) == std::vector<std::string>{"hood"});
  // The older call bumps the version too.
  REQUIRE(e->search().set_synonyms({{"sweatshirt", "hoodie"}, {"cell", "phone"}}).ok());
  CHECK(e->search().synonym_groups()->version == 2);
  CHECK(e->search().synonyms()->size() == 2);
  // Durable with its version.
  e.reset();
  e = commerce::testing::OpenTestEngine(dir.path(), "lmdb");
  CHECK(e->search().synonym_groups()->version == 2);
  CHECK(Ids(Find(*e, cached)) == std::vector<std::string>{"hood"});
  auto cleared = e->search().set_synonym_groups({}, 2);
  REQUIRE(cleared.ok());
  CHECK(*cleared == 3);
  CHECK(Find(*e, cached).hits.empty());
  CHECK(e->search().synonym_groups()->groups.empty());
}

TEST_CASE("synonyms: bad groups are refused naming the group and change nothing", "[search][synonyms]") {
  TempDir dir;
  auto e = Shop(dir);
  auto refused = [&](const std::vector<SynonymGroup>& groups, const std::string& says) {
    auto v = e->search().set_synonym_groups(groups);
    INFO(v.status().ToString());
    CHECK(v.status().code() == Code::kInvalidArgument);
    CHECK(v.status().message().find(says) != std::string::npos);
  };
  refused({{.root = "phone"}}, "group 1");                                   // a root without synonyms
  refused({{.synonyms = {"alone"}}}, "group 1");                             // one entry
  refused({{.synonyms = {"a", "b"}}, {.root = "x", .synonyms = {" "}}}, "group 2");  // no word
  refused({{.root = std::string(101, 'r'), .synonyms = {"s"}}}, "longer than");
  refused({{.root = "ok", .synonyms = {"bad\x01"}}}, "control character");
  refused({{.root = "ok", .synonyms = {"\xc3\x28"}}}, "UTF-8");
  CHECK(e->search().synonym_groups()->version == 0);
}

}  // namespace search_synonyms_test
