// Search requests (Search::query, src/search/): the text through the query parser, the
// spelling correction, the highlighter, the filters, sorts and facets, on a small index of
// sample products built once per process.
//
// Checks: no request crashes or hangs; an error is InvalidArgument (a request that cannot be
// run) and nothing else; a result keeps to its limit, its strings are valid UTF-8 (so every
// JSON writer can write them), the <b> marks of each highlighted title are balanced, and the
// same request asked twice (the second from the result cache) gives the same hits.
//
// Input: a byte of switches, a byte of sort and facets, a byte of limit, a brand filter
// string, then the text (everything left).
#include <stdlib.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>

#include "catalog/product_validation.h"
#include "commerce/engine.h"
#include "commerce/sample.h"
#include "fuzz_support.h"

using namespace commerce;
using commerce::fuzz::Bytes;

namespace {

std::unique_ptr<Engine> g_engine;
std::string g_dir;

void RemoveStore() {
  if (g_engine) (void)g_engine->close();
  g_engine.reset();
  if (!g_dir.empty()) std::filesystem::remove_all(g_dir);
}

void Open() {
  char tmpl[] = "/tmp/commerce-fuzz-search-XXXXXX";
  FUZZ_CHECK(::mkdtemp(tmpl) != nullptr, "mkdtemp failed");
  g_dir = tmpl;
  std::atexit(RemoveStore);
  EngineOptions options;
  options.path = g_dir;
  options.search.shards = 1;
  auto engine = Engine::open(options);
  FUZZ_CHECK(engine.ok(), "opening the store: " + engine.status().ToString());
  g_engine = std::move(*engine);
  SampleCatalog sample({.products = 300, .seed = 7});
  for (const auto& c : sample.categories())
    FUZZ_CHECK(g_engine->catalog().upsert_category(c).ok(), "category " + c.id);
  FUZZ_CHECK(g_engine->inventory().upsert_warehouse({.id = "wh-1", .name = "One", .region = "east"}).ok(), "warehouse");
  for (uint64_t i = 0; i < sample.size(); ++i) {
    Product p = sample.product(i);
    FUZZ_CHECK(g_engine->catalog().upsert(p).ok(), "product " + p.id);
    if (i % 3 == 0) FUZZ_CHECK(g_engine->inventory().receive(p.variants[0].sku, "wh-1", 5).ok(), "stock");
  }
  FUZZ_CHECK(g_engine->search().set_synonyms({{"sneakers", "trainers", "running shoes"}, {"tv", "television"}}).ok(),
             "synonyms");
  auto last = g_engine->events().last_seq();
  FUZZ_CHECK(last.ok(), "last_seq");
  Status s = g_engine->search().wait_for(*last, std::chrono::seconds(60));
  FUZZ_CHECK(s.ok(), "indexing the sample: " + s.ToString());
}

void CheckText(const std::string& s, const char* what) {
  FUZZ_CHECK(IsValidUtf8(s), std::string(what) + " is not valid UTF-8: " + s);
}

void CheckHighlight(const std::string& h) {
  CheckText(h, "a highlighted title");
  int open = 0;
  for (size_t i = 0; i < h.size(); ++i) {
    if (h.compare(i, 3, "<b>") == 0) {
      FUZZ_CHECK(open == 0, "nested <b> in " + h);
      ++open;
    } else if (h.compare(i, 4, "</b>") == 0) {
      FUZZ_CHECK(open == 1, "</b> without <b> in " + h);
      --open;
    }
  }
  FUZZ_CHECK(open == 0, "<b> left open in " + h);
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  Open();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Bytes in(data, size);
  const uint8_t switches = in.u8(), shape = in.u8(), limit = in.u8();
  SearchRequest r;
  r.prefix = switches & 1;
  r.typo_tolerance = switches & 2;
  r.relax = switches & 4;
  r.in_stock = switches & 8;
  if (switches & 16) r.price_min = 1000;
  if (switches & 32) r.price_max = 20000;
  const bool twice = switches & 64;
  static const char* const kSorts[] = {"", "relevance", "popularity", "price_asc", "price_desc", "newest", "bogus", "Relevance"};
  r.sort = kSorts[shape % 8];
  if (shape & 8) r.facets.push_back("brand");
  if (shape & 16) r.facets.push_back("category");
  if (shape & 32) r.facets.push_back("price");
  if (shape & 64) r.facets.push_back("colour");  // not a facet: InvalidArgument
  if (switches & 128) {  // the facets asked for multi-select, own price buckets, the tree
    for (const auto& f : r.facets)
      if (f != "colour") r.disjunctive_facets.push_back(f);
    r.facets.push_back("category_tree");
    r.price_buckets = {1500, 5000};
  }
  r.limit = limit % 101;                          // 0 is InvalidArgument
  std::string brand = in.str(60);
  if (!brand.empty()) r.brands.push_back(brand);
  r.text = std::string(in.rest());
  r.use_cache = twice;
  r.wait_timeout = std::chrono::milliseconds(0);

  auto result = g_engine->search().query(r);
  if (!result.ok()) {
    FUZZ_CHECK(result.status().IsInvalidArgument(),
               "a request failed other than InvalidArgument: " + result.status().ToString());
    return 0;
  }
  FUZZ_CHECK(result->hits.size() <= r.limit, "more hits than the limit");
  for (const auto& hit : result->hits) {
    CheckText(hit.title, "a title");
    CheckHighlight(hit.highlighted_title);
  }
  for (const auto& facet : result->facets)
    for (const auto& v : facet.values) {
      CheckText(v.value, "a facet value");
      CheckText(v.label, "a facet label");
    }
  CheckText(result->corrected_query, "the corrected query");
  if (twice) {
    auto again = g_engine->search().query(r);
    FUZZ_CHECK(again.ok(), "the same request failed the second time: " + again.status().ToString());
    FUZZ_CHECK(again->hits.size() == result->hits.size(), "the same request found other hits");
    for (size_t i = 0; i < again->hits.size(); ++i)
      FUZZ_CHECK(again->hits[i].product_id == result->hits[i].product_id, "the same request found other hits");
  }
  return 0;
}
