#include "search/analytics.h"

#include <algorithm>
#include <chrono>
#include <functional>

namespace commerce::search {

namespace {
constexpr int64_t kHourMs = 3600 * 1000;
constexpr size_t kMaxProductId = 200;
constexpr size_t kMaxReportLimit = 1000;

int64_t HourOf(int64_t ms) { return ms / kHourMs; }

static_assert(SearchIdCodec::kMaxQuery == AnalyticsStore::kMaxStoredQuery,
              "a search id carries the query as the store keys it");

bool IsHex(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
  });
}

// Sorts by `key` descending, then query; keeps `limit`.
void Rank(std::vector<QueryStats>& v, const std::function<uint64_t(const QueryStats&)>& key, size_t limit) {
  std::sort(v.begin(), v.end(), [&](const QueryStats& a, const QueryStats& b) {
    const uint64_t ka = key(a), kb = key(b);
    if (ka != kb) return ka > kb;
    return a.query < b.query;
  });
  if (v.size() > limit) v.resize(limit);
}
}  // namespace

Status Analytics::Check(double sample_rate, size_t max_queries, size_t max_searches,
                        uint32_t retention_hours) {
  if (!(sample_rate >= 0 && sample_rate <= 1))
    return Status::InvalidArgument("search.analytics_sample_rate must be 0..1");
  if (max_queries < 1 || max_queries > 1000000)
    return Status::InvalidArgument("search.analytics_max_queries must be 1..1000000");
  if (max_searches < 1 || max_searches > 1000000)
    return Status::InvalidArgument("search.analytics_max_searches must be 1..1000000");
  if (retention_hours < 1 || retention_hours > 720)
    return Status::InvalidArgument("search.analytics_retention_hours must be 1..720");
  return Status::OK();
}

Analytics::Analytics(double sample_rate, size_t max_queries, size_t max_searches, uint32_t retention_hours)
    : sample_rate_(sample_rate),
      max_queries_(max_queries),
      max_searches_(max_searches),
      retention_hours_(retention_hours),
      codec_(SearchIdCodec::Random()),
      rng_(std::random_device{}()) {}

int64_t Analytics::NowMs() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

std::string Analytics::Normalise(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  bool space = false;
  for (char c : text) {
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v') {
      space = !out.empty();
      continue;
    }
    if (space) out.push_back(' ');
    space = false;
    out.push_back(c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c);
  }
  return out;
}

std::string Analytics::Key(int64_t hour, std::string_view query) {
  std::string k = std::to_string(hour);
  k.push_back('\0');
  k.append(query);
  return k;
}

Analytics::Entry* Analytics::Find(int64_t hour, const std::string& query) {
  auto it = index_.find(Key(hour, query));
  return it == index_.end() ? nullptr : &entries_[it->second];
}

void Analytics::Erase(size_t i) {
  index_.erase(Key(entries_[i].hour, entries_[i].stats.query));
  if (i + 1 != entries_.size()) {
    entries_[i] = std::move(entries_.back());
    index_[Key(entries_[i].hour, entries_[i].stats.query)] = i;
  }
  entries_.pop_back();
}

Analytics::Entry& Analytics::EntryFor(int64_t hour, const std::string& query, int64_t now_hour) {
  if (Entry* e = Find(hour, query)) return *e;
  if (entries_.size() >= max_queries_ && now_hour != swept_hour_) {
    // Hours past the retention go first: one scan per hour at most (an hour older than the
    // retention cannot reappear within the same hour), so a flood costs O(1) per search.
    swept_hour_ = now_hour;
    const int64_t oldest = now_hour - static_cast<int64_t>(retention_hours_) + 1;
    for (size_t i = entries_.size(); i-- > 0;)
      if (entries_[i].hour < oldest) Erase(i);
  }
  if (entries_.size() >= max_queries_) {
    std::uniform_int_distribution<size_t> pick(0, entries_.size() - 1);
    size_t victim = pick(rng_);
    for (size_t k = 1; k < kEvictionSample; ++k) {
      const size_t i = pick(rng_);
      const Entry& a = entries_[i];
      const Entry& b = entries_[victim];
      if (a.stats.searches < b.stats.searches ||
          (a.stats.searches == b.stats.searches && a.hour < b.hour))
        victim = i;
    }
    evicted_ += entries_[victim].stats.searches;
    Erase(victim);
  }
  entries_.push_back({hour, {}, 0});
  entries_.back().stats.query = query;
  index_.emplace(Key(hour, query), entries_.size() - 1);
  return entries_.back();
}

std::string Analytics::Record(std::string_view text, uint64_t total, bool corrected,
                              const std::vector<SearchHit>& hits, int64_t now_ms) {
  if (sample_rate_ <= 0) return "";
  // Counted by the query as the id carries it and the store keys it (cut to kMaxQuery bytes),
  // so that a use recorded from the id adds to the same counts.
  std::string query = Normalise(text);
  query.resize(SearchIdCodec::CutQuery(query).size());
  const int64_t hour = HourOf(now_ms);
  uint64_t nonce = 0;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (sample_rate_ < 1 && std::uniform_real_distribution<double>(0, 1)(rng_) >= sample_rate_) {
      ++sampled_out_;
      return "";
    }
    Entry& e = EntryFor(hour, query, hour);
    ++e.stats.searches;
    if (total == 0) ++e.stats.zero_results;
    else if (!corrected) ++e.found_as_typed;
    nonce = rng_();
  }
  // Outside the lock: the fingerprints and the tag are the id's whole cost (search_id.h).
  return codec_.Encode(hour, nonce, query, hits);
}

Status Analytics::RecordUse(const SearchUse& use) {
  if (use.kind != "click" && use.kind != "add_to_cart" && use.kind != "order")
    return Status::InvalidArgument("record_use: kind must be \"click\", \"add_to_cart\" or \"order\", not \"" +
                                   use.kind.substr(0, 40) + "\"");
  if (use.product_id.empty() || use.product_id.size() > kMaxProductId)
    return Status::InvalidArgument("record_use: product_id must be 1.." + std::to_string(kMaxProductId) +
                                   " bytes");
  if (use.search_id.empty())
    return Status::InvalidArgument("record_use: search_id is empty (SearchResult::search_id; \"\" when the "
                                   "search was not recorded)");
  // The ids of versions before signed ids ("<16 hex digits>-<hex sequence>") were kept in the
  // memory of the process that made them: none is known any more.
  const size_t dash = use.search_id.find('-');
  const bool old_form = dash == 16 && use.search_id.size() <= dash + 17 &&
                        IsHex(std::string_view(use.search_id).substr(0, dash)) &&
                        IsHex(std::string_view(use.search_id).substr(dash + 1));
  Result<SearchIdFields> id = old_form ? Result<SearchIdFields>(Status::NotFound(
                                             "record_use: search " + use.search_id +
                                             " has the form of an earlier version's ids, which were kept in the "
                                             "memory of the process that made them"))
                                       : codec_.Decode(use.search_id);
  if (!id.ok() && id.status().IsInvalidArgument()) return id.status();
  if (sample_rate_ <= 0)
    return Status::FailedPrecondition("record_use: search analytics are off (search.analytics_sample_rate 0)");
  if (!id.ok()) return id.status();
  const std::string shown_id = use.search_id.size() > 64 ? use.search_id.substr(0, 64) + "..." : use.search_id;
  const int64_t now_hour = HourOf(NowMs());
  const int64_t oldest = now_hour - static_cast<int64_t>(retention_hours_) + 1;
  if (id->hour < oldest)
    return Status::NotFound("record_use: search " + shown_id + " was made more than " +
                            std::to_string(retention_hours_) +
                            " hours ago, beyond the counts kept (search.analytics_retention_hours)");
  const uint32_t fingerprint = codec_.Fingerprint(id->nonce, use.product_id);
  if (std::find(id->shown.begin(), id->shown.end(), fingerprint) == id->shown.end())
    return Status::InvalidArgument("record_use: product_id \"" + use.product_id + "\" was not among the " +
                                   std::to_string(id->shown.size()) + " hits search " + shown_id + " showed");
  std::lock_guard<std::mutex> lock(mu_);
  // The hour's entry may have been evicted, dropped or flushed, or the search made by another
  // process: the use is counted in a new one, and adds up with the search's in the store.
  Entry& e = EntryFor(id->hour, id->query, std::max(id->hour, now_hour));
  if (used_.insert(id->nonce).second) {
    ++e.stats.used;
    // The oldest nonce leaves when the ring is full: a later use of its search counts it used
    // again (search.analytics_max_searches).
    if (used_ring_.size() < max_searches_) {
      used_ring_.push_back(id->nonce);
    } else {
      used_.erase(used_ring_[used_next_]);
      used_ring_[used_next_] = id->nonce;
      used_next_ = (used_next_ + 1) % max_searches_;
    }
  }
  if (use.kind == "click") ++e.stats.clicks;
  else if (use.kind == "add_to_cart") ++e.stats.add_to_carts;
  else ++e.stats.orders;
  return Status::OK();
}

Result<SearchAnalytics> Analytics::Report(const AnalyticsRequest& request, int64_t now_ms) const {
  if (request.limit < 1 || request.limit > kMaxReportLimit)
    return Status::InvalidArgument("analytics: limit must be 1.." + std::to_string(kMaxReportLimit));
  if (request.since_ms < 0 || request.until_ms < 0)
    return Status::InvalidArgument("analytics: since_ms and until_ms must not be negative (0: the default)");
  const int64_t until = request.until_ms > 0 ? request.until_ms : now_ms;
  if (request.since_ms > until)
    return Status::InvalidArgument("analytics: since_ms is after until_ms");
  const int64_t oldest = HourOf(now_ms) - static_cast<int64_t>(retention_hours_) + 1;
  const int64_t first = request.since_ms > 0 ? HourOf(request.since_ms) : oldest;
  // until is exclusive: a window ending on an hour's first ms leaves that hour out.
  const int64_t last = until % kHourMs == 0 && until > 0 ? HourOf(until) - 1 : HourOf(until);
  SearchAnalytics out;
  out.since_ms = first * kHourMs;
  out.until_ms = (last + 1) * kHourMs;
  out.sample_rate = sample_rate_;
  std::unordered_map<std::string, QueryStats> sums;
  auto add = [&](const QueryStats& e) {
    QueryStats& s = sums[e.query];
    s.query = e.query;
    s.searches += e.searches;
    s.zero_results += e.zero_results;
    s.used += e.used;
    s.clicks += e.clicks;
    s.add_to_carts += e.add_to_carts;
    s.orders += e.orders;
  };
  std::unique_lock<std::mutex> flushing(flush_mu_, std::defer_lock);
  if (store_) {
    flushing.lock();
    COMMERCE_RETURN_IF_ERROR(store_->Read(std::max(first, oldest), last, [&](const HourCounts& h) { add(h.stats); }));
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    out.sampled_out = sampled_out_;
    out.evicted = evicted_;
    out.tracked = entries_.size();
    for (const Entry& e : entries_) {
      if (e.hour < first || e.hour > last || e.hour < oldest) continue;
      add(e.stats);
    }
  }
  if (flushing.owns_lock()) flushing.unlock();
  for (auto& [q, s] : sums) {
    out.searches += s.searches;
    out.top_queries.push_back(s);
    if (s.zero_results > 0) out.zero_result_queries.push_back(s);
    if (s.used == 0 && s.searches > s.zero_results) out.unused_queries.push_back(s);
  }
  Rank(out.top_queries, [](const QueryStats& s) { return s.searches; }, request.limit);
  Rank(out.zero_result_queries, [](const QueryStats& s) { return s.zero_results; }, request.limit);
  Rank(out.unused_queries, [](const QueryStats& s) { return s.searches - s.zero_results; }, request.limit);
  return out;
}

std::vector<std::pair<std::string, uint64_t>> Analytics::Popular(std::string_view prefix, size_t limit) const {
  const std::string p = Normalise(prefix);
  std::unordered_map<std::string, uint64_t> sums;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto starts = [&](const std::string& q) { return q.size() >= p.size() && q.compare(0, p.size(), p) == 0; };
    for (const Entry& e : entries_)
      if (e.found_as_typed > 0 && starts(e.stats.query)) sums[e.stats.query] += e.found_as_typed;
    for (const auto& [q, n] : stored_popular_)
      if (starts(q)) sums[q] += n;
  }
  std::vector<std::pair<std::string, uint64_t>> out(sums.begin(), sums.end());
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
    return a.second != b.second ? a.second > b.second : a.first < b.first;
  });
  if (out.size() > limit) out.resize(limit);
  return out;
}

Status Analytics::Flush(int64_t now_ms) {
  if (!store_) return Status::OK();
  std::lock_guard<std::mutex> flushing(flush_mu_);
  const int64_t now_hour = HourOf(now_ms);
  const int64_t oldest = now_hour - static_cast<int64_t>(retention_hours_) + 1;
  std::vector<HourCounts> deltas;
  {
    std::lock_guard<std::mutex> lock(mu_);
    deltas.reserve(entries_.size());
    for (Entry& e : entries_) {
      // Until the re-read below, suggestions see the flushed counts here.
      if (e.found_as_typed > 0) stored_popular_[e.stats.query] += e.found_as_typed;
      deltas.push_back({e.hour, std::move(e.stats), e.found_as_typed});
    }
    entries_.clear();
    index_.clear();
  }
  Status s = store_->Add(deltas);
  if (!s.ok()) {
    // Kept for the next flush: the counts go back into memory (under its budget).
    std::lock_guard<std::mutex> lock(mu_);
    for (const HourCounts& d : deltas) {
      Entry& e = EntryFor(d.hour, d.stats.query, now_hour);
      e.stats.searches += d.stats.searches;
      e.stats.zero_results += d.stats.zero_results;
      e.stats.used += d.stats.used;
      e.stats.clicks += d.stats.clicks;
      e.stats.add_to_carts += d.stats.add_to_carts;
      e.stats.orders += d.stats.orders;
      e.found_as_typed += d.found_as_typed;
    }
    return s;
  }
  // With nothing added and no hour aged out since the last trim there is nothing to trim: an
  // idle background round writes nothing (a write would be a group commit and an fsync).
  if (!deltas.empty() || now_hour != trimmed_hour_) {
    std::vector<int64_t> hours;
    for (const HourCounts& d : deltas) hours.push_back(d.hour);
    std::sort(hours.begin(), hours.end());
    hours.erase(std::unique(hours.begin(), hours.end()), hours.end());
    COMMERCE_ASSIGN_OR_RETURN(uint64_t dropped, store_->Trim(oldest, hours, max_queries_));
    trimmed_hour_ = now_hour;
    std::lock_guard<std::mutex> lock(mu_);
    evicted_ += dropped;
  }
  // The popular queries of every process: re-read once a minute at most (a read of every
  // hour kept), and at the first flush.
  if (popular_read_ms_ != 0 && now_ms - popular_read_ms_ < 60000) return Status::OK();
  popular_read_ms_ = now_ms;
  std::unordered_map<std::string, uint64_t> popular;
  COMMERCE_RETURN_IF_ERROR(store_->Read(oldest, now_hour, [&](const HourCounts& h) {
    if (h.found_as_typed > 0) popular[h.stats.query] += h.found_as_typed;
  }));
  if (popular.size() > max_queries_) {
    std::vector<std::pair<std::string, uint64_t>> v(popular.begin(), popular.end());
    std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(max_queries_), v.end(),
                     [](const auto& a, const auto& b) { return a.second > b.second; });
    v.resize(max_queries_);
    popular = std::unordered_map<std::string, uint64_t>(v.begin(), v.end());
  }
  std::lock_guard<std::mutex> lock(mu_);
  stored_popular_ = std::move(popular);
  return Status::OK();
}

}  // namespace commerce::search
