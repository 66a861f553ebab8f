#include "search/share_filter.h"

#include <algorithm>
#include <cstdint>
#include <functional>
#include <map>

namespace commerce::search {

namespace {

// The units of one weight, in index order.
struct WeightGroup {
  double words = 0;
  std::vector<size_t> units;
};

// Ascending by weight: a set takes its lightest units' group first.
std::vector<WeightGroup> GroupsByWeight(const std::vector<double>& words) {
  std::map<double, std::vector<size_t>> by_weight;
  for (size_t i = 0; i < words.size(); ++i)
    if (words[i] > 0) by_weight[words[i]].push_back(i);
  std::vector<WeightGroup> groups;
  for (auto& [w, units] : by_weight) groups.push_back({w, std::move(units)});
  return groups;
}

// Calls `shape` with the units taken of each group, for every shape whose sets are smallest
// sets reaching `minimum`, until it returns false. Groups go lightest first, so once a shape
// reaches the minimum one more unit of any later group (or of its own) would leave a set
// that still reaches it without its lightest unit: no smallest set goes on from there.
void ForEachShape(const std::vector<WeightGroup>& groups, double minimum,
                  const std::function<bool(const std::vector<size_t>&)>& shape) {
  std::vector<double> rest(groups.size() + 1, 0);  // words of groups g.. together
  for (size_t g = groups.size(); g-- > 0;)
    rest[g] = rest[g + 1] + groups[g].words * static_cast<double>(groups[g].units.size());
  std::vector<size_t> taken(groups.size(), 0);
  std::function<bool(size_t, double, double)> step = [&](size_t g, double sum, double lightest) {
    if (sum >= minimum) return sum - lightest >= minimum || shape(taken);
    if (g == groups.size() || sum + rest[g] < minimum) return true;
    bool go_on = true;
    for (size_t c = 0; c <= groups[g].units.size() && go_on; ++c) {
      taken[g] = c;
      const double s = sum + groups[g].words * static_cast<double>(c);
      go_on = step(g + 1, s, lightest == 0 && c > 0 ? groups[g].words : lightest);
      if (s >= minimum) break;
    }
    taken[g] = 0;
    return go_on;
  };
  step(0, 0, 0);
}

// n choose k, or more than `limit` (limit + 1) when it is.
size_t Choose(size_t n, size_t k, size_t limit) {
  k = std::min(k, n - k);
  uint64_t c = 1;
  for (size_t i = 1; i <= k; ++i) {
    c = c * (n - k + i) / i;  // exact: c * (n-k+i) is divisible by i at each step
    if (c > limit) return limit + 1;
  }
  return static_cast<size_t>(c);
}

}  // namespace

size_t CountShareSets(const std::vector<double>& words, double minimum, size_t limit) {
  const std::vector<WeightGroup> groups = GroupsByWeight(words);
  size_t count = 0;
  ForEachShape(groups, minimum, [&](const std::vector<size_t>& taken) {
    size_t sets = 1;
    for (size_t g = 0; g < groups.size() && sets <= limit; ++g)
      sets = std::min(limit + 1, sets * Choose(groups[g].units.size(), taken[g], limit));
    count = std::min(limit + 1, count + sets);
    return count <= limit;
  });
  return count;
}

std::optional<std::vector<std::vector<size_t>>> ShareSets(const std::vector<double>& words, double minimum,
                                                          size_t limit) {
  if (CountShareSets(words, minimum, limit) > limit) return std::nullopt;
  const std::vector<WeightGroup> groups = GroupsByWeight(words);
  std::vector<std::vector<size_t>> sets;
  ForEachShape(groups, minimum, [&](const std::vector<size_t>& taken) {
    // Every choice of taken[g] units of each group g: one combination per group at a time,
    // as ascending positions into the group, advanced like an odometer.
    std::vector<std::vector<size_t>> pick(groups.size());
    for (size_t g = 0; g < groups.size(); ++g)
      for (size_t k = 0; k < taken[g]; ++k) pick[g].push_back(k);
    for (;;) {
      std::vector<size_t> set;
      for (size_t g = 0; g < groups.size(); ++g)
        for (size_t k : pick[g]) set.push_back(groups[g].units[k]);
      std::sort(set.begin(), set.end());
      sets.push_back(std::move(set));
      // The next combination: the last group that has one, earlier groups' reset.
      size_t g = groups.size();
      bool advanced = false;
      while (g-- > 0 && !advanced) {
        auto& p = pick[g];
        const size_t n = groups[g].units.size(), k = p.size();
        size_t i = k;
        while (i-- > 0 && p[i] == n - k + i) {
        }
        if (i < k) {
          ++p[i];
          for (size_t j = i + 1; j < k; ++j) p[j] = p[j - 1] + 1;
          advanced = true;
          for (size_t later = g + 1; later < groups.size(); ++later)
            for (size_t j = 0; j < pick[later].size(); ++j) pick[later][j] = j;
        }
      }
      if (!advanced) break;
    }
    return true;
  });
  return sets;
}

Xapian::Query ShareFilter(const std::vector<Xapian::Query>& units, const std::vector<double>& words,
                          double minimum) {
  const auto sets = ShareSets(words, minimum, kMaxShareSets);
  if (!sets || sets->empty()) return Xapian::Query();
  std::vector<Xapian::Query> ors;
  for (const auto& set : *sets) {
    std::vector<Xapian::Query> parts;
    for (size_t i : set) parts.push_back(units[i]);
    ors.push_back(Xapian::Query(Xapian::Query::OP_AND, parts.begin(), parts.end()));
  }
  return Xapian::Query(Xapian::Query::OP_OR, ors.begin(), ors.end());
}

}  // namespace commerce::search
