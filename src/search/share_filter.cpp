#include "search/share_filter.h"

#include <cstdint>

namespace commerce::search {

Xapian::Query ShareFilter(const std::vector<Xapian::Query>& units, const std::vector<double>& words,
                          double minimum) {
  const size_t n = units.size();
  if (n == 0 || n > 16) return Xapian::Query();
  std::vector<Xapian::Query> sets;
  for (uint32_t mask = 1; mask < (uint32_t{1} << n); ++mask) {
    double sum = 0;
    for (size_t i = 0; i < n; ++i)
      if (mask & (uint32_t{1} << i)) sum += words[i];
    if (sum < minimum) continue;
    // Only the smallest sets: one that still reaches the minimum without some unit is
    // already covered by that smaller set.
    bool smallest = true;
    for (size_t i = 0; i < n && smallest; ++i)
      if ((mask & (uint32_t{1} << i)) && sum - words[i] >= minimum) smallest = false;
    if (!smallest) continue;
    if (sets.size() == kMaxShareSets) return Xapian::Query();
    std::vector<Xapian::Query> parts;
    for (size_t i = 0; i < n; ++i)
      if (mask & (uint32_t{1} << i)) parts.push_back(units[i]);
    sets.push_back(Xapian::Query(Xapian::Query::OP_AND, parts.begin(), parts.end()));
  }
  if (sets.empty()) return Xapian::Query();
  return Xapian::Query(Xapian::Query::OP_OR, sets.begin(), sets.end());
}

}  // namespace commerce::search
