// Tests of the relaxed query's minimum share of words (QueryBuilder::Share, src/search/
// share_filter.h): every product with the minimum share is found, whatever the
// document ids, and the smallest sets of units are what the filter ORs.
#include <algorithm>
#include <cstdint>
#include <random>
#include <set>
#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <xapian.h>

#include "search/query_builder.h"
#include "search/share_filter.h"
#include "search/query_text.h"
#include "search/reader_pool.h"
#include "search/synonyms.h"
#include "test_dir.h"

namespace search_share_filter_test {

namespace {

using commerce::search::CountShareSets;
using commerce::search::kMaxShareSets;
using commerce::search::QueryBuilder;
using commerce::search::QueryPlan;
using commerce::search::ShareFilter;
using commerce::search::ShareSets;
using commerce::testing::TempDir;

// Two shards of a generated catalog (index_schema.h: stems without a prefix): shard,
// document id in the shard, document length, and the within-document frequencies of
// `audio`, `floor` and `speaker`. Most documents hold one of the words; about one in twelve
// holds two. Seed 4583 draws ten such, and over its ids Xapian 1.4.22, given
// Enquire::set_cutoff, finds only eight of them (most seeds lose one or two: the set is
// made by a seed found to show the defect, the numbers are no catalog's).
struct Doc {
  int shard;
  Xapian::docid id;
  Xapian::termcount length, audio, floor, speaker;
};
constexpr unsigned kSeed = 4583;

// std::mt19937's sequence is fixed by the standard, and only `rng() % n` is used (the
// distributions' are not), so every platform builds the same documents.
std::vector<Doc> Docs() {
  std::mt19937 rng(kSeed);
  std::vector<Doc> docs;
  for (int shard = 0; shard < 2; ++shard) {
    Xapian::docid id = 0;
    const unsigned n = 22 + rng() % 10;
    for (unsigned i = 0; i < n; ++i) {
      id += 1 + rng() % 60;
      Doc d{shard, id, 60 + static_cast<Xapian::termcount>(rng() % 110), 0, 0, 0};
      const unsigned kind = rng() % 100;
      if (kind < 45) {
        d.audio = 1 + (rng() % 3 == 0 ? rng() % 7 : 0);
      } else if (kind < 60) {
        d.floor = 1;
      } else if (kind < 92) {
        d.speaker = 1 + (rng() % 8 == 0 ? rng() % 6 : 0);
      } else {
        d.audio = 1 + rng() % 6;
        d.speaker = 1;
      }
      docs.push_back(d);
    }
  }
  return docs;
}

// The documents holding at least `least` of the words of `mask` (bits: audio, floor,
// speaker), as "shard-id".
std::set<std::string> Holding(unsigned mask, int least) {
  std::set<std::string> out;
  for (const Doc& d : Docs()) {
    const int held = ((mask & 1) && d.audio) + ((mask & 2) && d.floor) + ((mask & 4) && d.speaker);
    if (held >= least) out.insert(std::to_string(d.shard) + "-" + std::to_string(d.id));
  }
  return out;
}

// The two shards as one database, as a reader holds them.
Xapian::Database Shards(const TempDir& dir) {
  Xapian::Database all;
  for (int shard = 0; shard < 2; ++shard) {
    const std::string path = dir.path() + "/shard-" + std::to_string(shard);
    Xapian::WritableDatabase db(path, Xapian::DB_CREATE_OR_OVERWRITE);
    for (const Doc& d : Docs()) {
      if (d.shard != shard) continue;
      Xapian::Document doc;
      Xapian::termcount used = 0;
      const std::pair<const char*, Xapian::termcount> terms[] = {
          {"audio", d.audio}, {"floor", d.floor}, {"speaker", d.speaker}};
      for (const auto& [term, wdf] : terms) {
        if (wdf == 0) continue;
        doc.add_term(term, wdf);
        used += wdf;
      }
      doc.add_term("rest", d.length - used);  // the document's other words
      doc.add_boolean_term("Q" + std::to_string(shard) + "-" + std::to_string(d.id));
      db.replace_document(d.id, doc);
    }
    db.commit();
    all.add_database(Xapian::Database(path));
  }
  return all;
}

// The products a relaxed query finds, as "shard-id", run as query_runner.cpp runs it.
std::set<std::string> Found(commerce::search::Reader& reader, const std::string& text) {
  commerce::search::Synonyms synonyms;
  QueryBuilder builder(reader, synonyms);
  auto plan = builder.Share(commerce::search::ParseQueryText(text, true), text, 75);
  REQUIRE(plan.ok());
  REQUIRE(plan->relaxed);
  Xapian::Enquire enquire(reader.db);
  enquire.set_query(plan->query);
  enquire.set_weighting_scheme(Xapian::BM25Weight(1.2, 0, 1, 0.1, 0.5));
  if (plan->min_weight > 0) enquire.set_cutoff(0, plan->min_weight);
  std::set<std::string> found;
  Xapian::MSet mset = enquire.get_mset(0, 100);
  for (auto it = mset.begin(); it != mset.end(); ++it) {
    Xapian::Document doc = it.get_document();
    for (auto t = doc.termlist_begin(); t != doc.termlist_end(); ++t)
      if ((*t)[0] == 'Q') found.insert((*t).substr(1));
  }
  return found;
}

// The smallest sets by a walk of every subset of the units (what ShareFilter did before it
// counted them): the reference the count and the list are checked against.
std::vector<std::vector<size_t>> Walk(const std::vector<double>& words, double minimum) {
  const size_t n = words.size();
  std::vector<std::vector<size_t>> sets;
  for (uint32_t mask = 1; mask < (uint32_t{1} << n); ++mask) {
    double sum = 0, lightest = 1e9;
    std::vector<size_t> set;
    for (size_t i = 0; i < n; ++i)
      if (mask & (uint32_t{1} << i)) {
        sum += words[i];
        lightest = std::min(lightest, words[i]);
        set.push_back(i);
      }
    if (sum >= minimum && sum - lightest < minimum) sets.push_back(set);
  }
  std::sort(sets.begin(), sets.end());
  return sets;
}

// A relaxed query's plan for `text`, at `percent`.
QueryPlan Plan(commerce::search::Reader& reader, const std::string& text, int percent) {
  commerce::search::Synonyms synonyms;
  QueryBuilder builder(reader, synonyms);
  auto plan = builder.Share(commerce::search::ParseQueryText(text, true), text, percent);
  REQUIRE(plan.ok());
  REQUIRE(plan->relaxed);
  return *plan;
}

}  // namespace

TEST_CASE("relaxed query: every product with the minimum share of words is found whatever its document id",
          "[search][relax]") {
  TempDir dir;
  commerce::search::Reader reader;
  commerce::search::OpenReader(reader, Shards(dir));
  // Two of three words: the ten products with two of them, and no other.
  const std::set<std::string> two = Holding(7, 2);
  REQUIRE(two.size() == 10);
  CHECK(Found(reader, "audio floor speaker ") == two);
  // Two of two (75% of 2, rounded down, is 1): every product with either word.
  CHECK(Found(reader, "floor speaker ") == Holding(6, 1));
}

TEST_CASE("relaxed query: the filter is the smallest sets of units that reach the minimum", "[search][relax]") {
  const std::vector<Xapian::Query> units = {Xapian::Query("a"), Xapian::Query("b"), Xapian::Query("c"),
                                            Xapian::Query("d")};
  // Two of four whole words: the six pairs.
  Xapian::Query two = ShareFilter(units, {1, 1, 1, 1}, 2);
  REQUIRE_FALSE(two.empty());
  CHECK(two.get_num_subqueries() == 6);
  // A unit of two words (a synonym run) reaches the minimum alone, and a set holding it needs
  // nothing else; a whole word and the word being typed (half a word) fall short together.
  CHECK(ShareFilter({units[0], units[1], units[2]}, {2, 1, 0.5}, 2).get_description() ==
        units[0].get_description());
  // The word being typed never meets the minimum alone.
  CHECK(ShareFilter({units[1], units[2]}, {1, 0.5}, 1).get_description() == units[1].get_description());
  // Past kMaxShareSets sets (eight of sixteen words is 12,870 sets): empty, the weight cutoff.
  std::vector<Xapian::Query> many(16, Xapian::Query("w"));
  CHECK(ShareFilter(many, std::vector<double>(16, 1), 8).empty());
  CHECK(ShareFilter({}, {}, 1).empty());
}

TEST_CASE("relaxed query: the smallest sets are counted by their shapes and listed only when few",
          "[search][relax]") {
  // Against a walk of every subset: units of 0.5 (the word being typed), 1 and synonym runs
  // of 2 and 3 words, every reachable minimum.
  std::mt19937 rng(18);
  const double kWeights[] = {0.5, 1, 1, 1, 2, 3};
  for (int round = 0; round < 300; ++round) {
    std::vector<double> words(1 + rng() % 12);
    double total = 0;
    for (double& w : words) total += (w = kWeights[rng() % 6]);
    for (double minimum = 0.5; minimum <= total; minimum += 0.5) {
      const auto walked = Walk(words, minimum);
      INFO("round " << round << " units " << words.size() << " minimum " << minimum);
      CHECK(CountShareSets(words, minimum, 1'000'000) == walked.size());
      CHECK(CountShareSets(words, minimum, 5) == std::min<size_t>(walked.size(), 6));
      auto listed = ShareSets(words, minimum, kMaxShareSets);
      if (walked.size() > kMaxShareSets) {
        CHECK_FALSE(listed.has_value());
        continue;
      }
      REQUIRE(listed.has_value());
      std::sort(listed->begin(), listed->end());
      CHECK(*listed == walked);
    }
  }
  // Sixteen words, twelve needed: 1,820 sets, counted (not walked) and not listed; the
  // filter is empty, so Share() keeps the weight cutoff as before.
  const std::vector<double> sixteen(16, 1);
  CHECK(CountShareSets(sixteen, 12, 1'000'000) == 1820);
  CHECK(CountShareSets(sixteen, 12, kMaxShareSets) == kMaxShareSets + 1);
  CHECK_FALSE(ShareSets(sixteen, 12, kMaxShareSets).has_value());
  // Thirty-two units: a count of binomials where a walk would visit 2^32 subsets.
  const std::vector<double> many(32, 1);
  CHECK(CountShareSets(many, 16, 1'000'000'000'000) == 601'080'390);  // 32 choose 16
  CHECK(ShareSets(many, 32, kMaxShareSets) == std::vector<std::vector<size_t>>{
                                                  {0,  1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11, 12, 13, 14, 15,
                                                   16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31}});
}

TEST_CASE("relaxed query: a long query keeps the boolean filter when its sets are few", "[search][relax]") {
  TempDir dir;
  commerce::search::Reader reader;
  commerce::search::OpenReader(reader, Shards(dir));
  // Sixteen whole words at 75%: twelve of them, 1,820 sets: the weight cutoff, as before.
  std::string sixteen;
  for (int i = 0; i < 16; ++i) sixteen += "w" + std::to_string(i) + " ";
  const QueryPlan cut = Plan(reader, sixteen, 75);
  CHECK(cut.units == 16);
  CHECK(cut.required == 12);
  CHECK(cut.min_weight == Approx(12 * commerce::search::kWordTier - 0.5));
  // Twenty whole words, all needed, and the word being typed: one set (the twenty). It was
  // left to the cutoff for having more than sixteen units.
  const QueryPlan one = Plan(reader, sixteen + "w16 w17 w18 w19 zq", 100);
  CHECK(one.units == 21);
  CHECK(one.required == 20);
  CHECK(one.min_weight == 0);
}

}  // namespace search_share_filter_test
