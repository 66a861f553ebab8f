// commerce verify: the search analytics counts (src/search/analytics_store.h). Every record's
// key is (hour, 'a' or 'b', query) with a query of valid UTF-8, and its value a counters record
// of 4 ('a') or 3 ('b') counts, none negative: what AnalyticsStore reads, which answers a
// damaged record with Corruption.
#include "common/utf8.h"
#include "search/analytics_store.h"
#include "verify/check_context.h"

namespace commerce::verify {

void CheckSearchAnalytics(CheckContext& c) {
  constexpr std::string_view kTable = search::AnalyticsStore::kTableName;
  c.Scan(
      kTable, kTable,
      [&](std::string_view key, std::string_view value) {
        std::string what = search::AnalyticsStore::Problem(key, value);
        if (what.empty() && !IsValidUtf8(key.substr(9))) what = "a query that is not UTF-8";
        if (!what.empty()) c.Problem(kTable, Where(kTable, key), std::move(what));
        return true;
      },
      true);
}

}  // namespace commerce::verify
