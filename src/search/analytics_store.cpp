#include "search/analytics_store.h"

#include <algorithm>
#include <map>
#include <utility>

namespace commerce::search {

namespace {
std::string HourKey(int64_t hour) {
  std::string k(8, '\0');
  const uint64_t h = static_cast<uint64_t>(hour);
  for (int i = 0; i < 8; ++i) k[i] = static_cast<char>(h >> (56 - 8 * i));
  return k;
}

int64_t HourOfKey(std::string_view key) {
  uint64_t h = 0;
  for (int i = 0; i < 8; ++i) h = h << 8 | static_cast<uint8_t>(key[i]);
  return static_cast<int64_t>(h);
}

std::string Key(int64_t hour, char part, std::string_view query) {
  std::string k = HourKey(hour);
  k.push_back(part);
  k.append(query.substr(0, AnalyticsStore::kMaxStoredQuery));
  return k;
}

Status Damaged(std::string_view key, const Status& s) {
  std::string printable;
  for (char c : key.substr(9)) printable.push_back(c >= ' ' && c <= '~' ? c : '?');
  return Status::Corruption("search analytics: the record of hour " + std::to_string(HourOfKey(key)) +
                            ", query \"" + printable + "\" is damaged: " + s.message());
}

CounterChange Deltas(std::initializer_list<uint64_t> v) {
  CounterChange c;
  c.size = static_cast<uint8_t>(v.size());
  size_t i = 0;
  for (uint64_t d : v) c.delta[i++] = static_cast<int64_t>(d);
  return c;
}
}  // namespace

std::string AnalyticsStore::Problem(std::string_view key, std::string_view value) {
  if (key.size() < 9 || (key[8] != 'a' && key[8] != 'b')) return "not an analytics key (hour, 'a' or 'b', query)";
  auto counters = DecodeCounters(value);
  if (!counters.ok()) return "a counters record that does not decode: " + counters.status().message();
  if (counters->size != (key[8] == 'a' ? 4 : 3))
    return "holds " + std::to_string(counters->size) + " counters, not " + (key[8] == 'a' ? "4" : "3");
  for (size_t i = 0; i < counters->size; ++i)
    if (counters->v[i] < 0) return "a negative count";
  return "";
}

Result<AnalyticsStore> AnalyticsStore::Open(Storage* storage) {
  COMMERCE_ASSIGN_OR_RETURN(Table t, storage->table(kTableName));
  return AnalyticsStore(storage, t);
}

Status AnalyticsStore::Add(const std::vector<HourCounts>& deltas) {
  if (deltas.empty()) return Status::OK();
  ChangeSet set;
  for (const HourCounts& d : deltas) {
    const QueryStats& s = d.stats;
    set.add(table_, Key(d.hour, 'a', s.query), Deltas({s.searches, s.zero_results, s.used, d.found_as_typed}));
    if (s.clicks || s.add_to_carts || s.orders)
      set.add(table_, Key(d.hour, 'b', s.query), Deltas({s.clicks, s.add_to_carts, s.orders}));
  }
  return storage_->apply(std::move(set)).status;
}

Status AnalyticsStore::Read(int64_t first, int64_t last,
                            const std::function<void(const HourCounts&)>& each) const {
  if (first > last) return Status::OK();
  COMMERCE_ASSIGN_OR_RETURN(auto txn, storage_->read());
  auto c = txn->cursor(table_);
  // A query's 'a' record sorts before its 'b' (same hour, 'a' < 'b', then the query), so the
  // two are not adjacent: gather an hour's, then hand them out.
  std::map<std::string, HourCounts> hour_rows;
  int64_t at = first;
  auto emit = [&] {
    for (auto& [q, h] : hour_rows) each(h);
    hour_rows.clear();
  };
  for (c->seek(HourKey(first)); c->valid(); c->next()) {
    const std::string_view key = c->key();
    if (key.size() < 9 || (key[8] != 'a' && key[8] != 'b'))
      return Damaged(key.size() < 9 ? std::string_view("?????????") : key, Status::Corruption("not an analytics key"));
    const int64_t hour = HourOfKey(key);
    if (hour > last) break;
    if (hour != at) {
      emit();
      at = hour;
    }
    auto counters = DecodeCounters(c->value());
    const bool a = key[8] == 'a';
    if (!counters.ok()) return Damaged(key, counters.status());
    if (counters->size != (a ? 4 : 3)) return Damaged(key, Status::Corruption("wrong number of counters"));
    // Only additions of counts reach a record: a negative one is damage, as Problem says.
    for (size_t i = 0; i < counters->size; ++i)
      if (counters->v[i] < 0) return Damaged(key, Status::Corruption("a negative count"));
    HourCounts& h = hour_rows[std::string(key.substr(9))];
    h.hour = hour;
    h.stats.query = std::string(key.substr(9));
    auto u = [&](size_t i) { return static_cast<uint64_t>(counters->v[i]); };
    if (a) {
      h.stats.searches += u(0);
      h.stats.zero_results += u(1);
      h.stats.used += u(2);
      h.found_as_typed += u(3);
    } else {
      h.stats.clicks += u(0);
      h.stats.add_to_carts += u(1);
      h.stats.orders += u(2);
    }
  }
  COMMERCE_RETURN_IF_ERROR(c->status());
  emit();
  return Status::OK();
}

Result<uint64_t> AnalyticsStore::Trim(int64_t oldest, const std::vector<int64_t>& hours, size_t max_rows) {
  uint64_t dropped = 0;
  const Table t = table_;
  Status s = storage_->write([&](WriteTxn& txn) -> Status {
    dropped = 0;
    std::vector<std::string> doomed;
    auto c = txn.cursor(t);
    // The hours past the retention: the table's first keys.
    for (c->seek_to_first(); c->valid() && c->key().size() >= 8 && HourOfKey(c->key()) < oldest; c->next())
      doomed.emplace_back(c->key());
    COMMERCE_RETURN_IF_ERROR(c->status());
    for (int64_t hour : hours) {
      if (hour < oldest) continue;
      std::vector<std::pair<int64_t, std::string>> rows;  // (searches, query) of its 'a' records
      for (c->seek(HourKey(hour)); c->valid(); c->next()) {
        const std::string_view key = c->key();
        if (key.size() < 9) return Damaged("?????????", Status::Corruption("not an analytics key"));
        if (HourOfKey(key) != hour) break;
        if (key[8] != 'a') continue;
        auto counters = DecodeCounters(c->value());
        if (!counters.ok()) return Damaged(key, counters.status());
        rows.emplace_back(counters->v[0], std::string(key.substr(9)));
      }
      COMMERCE_RETURN_IF_ERROR(c->status());
      if (rows.size() <= max_rows) continue;
      std::sort(rows.begin(), rows.end(), [](const auto& x, const auto& y) {
        return x.first != y.first ? x.first < y.first : x.second > y.second;
      });
      for (size_t i = 0; i + max_rows < rows.size(); ++i) {
        dropped += static_cast<uint64_t>(std::max<int64_t>(0, rows[i].first));
        doomed.push_back(Key(hour, 'a', rows[i].second));
        doomed.push_back(Key(hour, 'b', rows[i].second));
      }
    }
    for (const std::string& k : doomed) {
      Status d = txn.del(t, k);
      if (!d.ok() && !d.IsNotFound()) return d;
    }
    return Status::OK();
  });
  if (!s.ok()) return s;
  return dropped;
}

}  // namespace commerce::search
