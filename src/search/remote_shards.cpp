#include "search/remote_shards.h"

#include <algorithm>
#include <charconv>

#include "search/index_schema.h"
#include "search/reader_pool.h"

namespace commerce::search {

namespace {

Result<ShardEndpoint> ParseEndpoint(const std::string& s) {
  ShardEndpoint e;
  std::string_view port;
  if (!s.empty() && s[0] == '[') {
    const size_t close = s.find(']');
    if (close == std::string::npos || close + 1 >= s.size() || s[close + 1] != ':')
      return Status::InvalidArgument("search.remote_shards: '" + s + "' is not [host]:port");
    e.host = s.substr(1, close - 1);
    port = std::string_view(s).substr(close + 2);
  } else {
    const size_t colon = s.rfind(':');
    if (colon == std::string::npos || colon == 0)
      return Status::InvalidArgument("search.remote_shards: '" + s + "' is not host:port");
    e.host = s.substr(0, colon);
    port = std::string_view(s).substr(colon + 1);
  }
  unsigned value = 0;
  auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (ec != std::errc() || end != port.data() + port.size() || value == 0 || value > 65535)
    return Status::InvalidArgument("search.remote_shards: '" + s + "': the port must be 1..65535");
  e.port = value;
  return e;
}

}  // namespace

Result<std::unique_ptr<RemoteShards>> RemoteShards::Make(
    const std::vector<std::vector<std::string>>& shards, std::chrono::milliseconds timeout,
    std::chrono::milliseconds connect_timeout, std::chrono::milliseconds refresh) {
  if (shards.size() > 16) return Status::InvalidArgument("search.remote_shards: at most 16 shards");
  if (timeout.count() <= 0 || connect_timeout.count() <= 0 || refresh.count() < 0)
    return Status::InvalidArgument(
        "search.remote_timeout and remote_connect_timeout must be positive, remote_refresh not negative");
  std::unique_ptr<RemoteShards> r(new RemoteShards());
  for (size_t i = 0; i < shards.size(); ++i) {
    if (shards[i].empty())
      return Status::InvalidArgument("search.remote_shards: shard " + std::to_string(i) + " has no server");
    std::vector<ShardEndpoint> endpoints;
    std::vector<std::unique_ptr<Endpoint>> breakers;
    for (const auto& s : shards[i]) {
      COMMERCE_ASSIGN_OR_RETURN(ShardEndpoint e, ParseEndpoint(s));
      // admit()/record() only (Xapian keeps the connection and its timeouts): the deadline
      // and retries are unused; the breaker opens after 5 failed connects for 1 s.
      breakers.push_back(std::make_unique<Endpoint>("search shard " + e.ToString()));
      endpoints.push_back(std::move(e));
    }
    r->shards_.push_back(std::move(endpoints));
    r->breakers_.push_back(std::move(breakers));
  }
  r->timeout_ms_ = static_cast<unsigned>(timeout.count());
  r->connect_timeout_ms_ = static_cast<unsigned>(connect_timeout.count());
  r->refresh_ = refresh;
  r->preferred_.assign(shards.size(), 0);
  for (const auto& s : shards) r->word_entries_.emplace_back(s.size(), 0);
  r->last_error_.assign(shards.size(), "");
  for (const auto& s : shards) r->beats_.emplace_back(s.size());
  return r;
}

Result<uint64_t> RemoteShards::IndexedSeq(const std::vector<Xapian::Database>& shards) {
  uint64_t seq = UINT64_MAX;
  for (const auto& db : shards) {
    const std::string v = db.get_metadata(kLastSeqKey);  // Xapian errors propagate
    seq = std::min<uint64_t>(seq, v.empty() ? 0 : std::strtoull(v.c_str(), nullptr, 10));
  }
  return shards.empty() ? 0 : seq;
}

void RemoteShards::LoadNewWords(uint32_t shard, size_t at, const Xapian::Database& db) {
  uint64_t next;
  {
    std::lock_guard<std::mutex> lock(mu_);
    next = word_entries_[shard][at];
  }
  std::vector<std::string> words;
  uint64_t n = next;
  for (;; ++n) {
    const std::string value = db.get_metadata(WordsKey(n));
    if (value.empty()) break;
    size_t start = 0;
    while (start < value.size()) {
      size_t nl = value.find('\n', start);
      if (nl == std::string::npos) nl = value.size();
      words.emplace_back(value, start, nl - start);
      start = nl + 1;
    }
  }
  if (n == next) return;
  words_->Add(std::move(words));
  std::lock_guard<std::mutex> lock(mu_);
  word_entries_[shard][at] = std::max(word_entries_[shard][at], n);
}

bool RemoteShards::SilentLocked(uint32_t shard, size_t at, Clock::time_point now) const {
  // The same value seen over kSilentAfter, and lately: what was seen long ago says nothing of
  // now (a server no reader has looked at since may be beating).
  const Beat& b = beats_[shard][at];
  return !b.value.empty() && b.seen - b.since >= kSilentAfter && now - b.seen < kSilentAfter;
}

bool RemoteShards::NoteBeat(uint32_t shard, size_t at, const Xapian::Database& db) {
  const std::string value = db.get_metadata(kBeatKey);  // Xapian errors propagate
  const auto now = Clock::now();
  std::lock_guard<std::mutex> lock(mu_);
  Beat& b = beats_[shard][at];
  if (value != b.value) {
    b.value = value;
    b.since = now;
    b.seen = now;
    return false;
  }
  b.seen = now;
  if (!SilentLocked(shard, at, now)) return false;
  for (size_t k = 0; k < beats_[shard].size(); ++k)
    if (k != at && !SilentLocked(shard, k, now) && breakers_[shard][k]->state() != BreakerState::kOpen)
      return true;
  return false;
}

Status RemoteShards::Connect(Reader& r) {
  r.shards.clear();
  r.connected.clear();
  r.endpoint_of.clear();
  r.missing_shards.clear();
  std::string why;
  for (uint32_t i = 0; i < size(); ++i) {
    const auto& endpoints = shards_[i];
    // From the server that answered last, those serving a silent copy after the others.
    std::vector<size_t> order;
    {
      std::lock_guard<std::mutex> lock(mu_);
      const auto now = Clock::now();
      for (size_t k = 0; k < endpoints.size(); ++k) order.push_back((preferred_[i] + k) % endpoints.size());
      std::stable_partition(order.begin(), order.end(),
                            [&](size_t at) { return !SilentLocked(i, at, now); });
    }
    std::string errors;
    bool ok = false;
    for (size_t k = 0; k < order.size() && !ok; ++k) {
      const size_t at = order[k];
      const ShardEndpoint& e = endpoints[at];
      Endpoint& breaker = *breakers_[i][at];
      if (!breaker.admit()) {
        errors += (errors.empty() ? "" : "; ") + e.ToString() + ": circuit open (it failed just before)";
        continue;
      }
      const auto started = Clock::now();
      bool recorded = false;  // every admit() is followed by one record()
      try {
        Xapian::Database db = Xapian::Remote::open(e.host, e.port, timeout_ms_, connect_timeout_ms_);
        breaker.record(Status::OK(), Clock::now() - started);
        recorded = true;
        LoadNewWords(i, at, db);
        NoteBeat(i, at, db);
        r.shards.push_back(std::move(db));
        r.connected.push_back(i);
        r.endpoint_of.push_back(at);
        std::lock_guard<std::mutex> lock(mu_);
        preferred_[i] = at;
        ok = true;
      } catch (const Xapian::Error& err) {
        if (!recorded) breaker.record(Status::Unavailable(err.get_msg()), Clock::now() - started);
        errors += (errors.empty() ? "" : "; ") + e.ToString() + ": " + err.get_msg();
      }
    }
    if (!ok) {
      r.missing_shards.push_back(i);
      std::lock_guard<std::mutex> lock(mu_);
      last_error_[i] = errors;
      why += (why.empty() ? "" : "; ") + std::string("shard ") + std::to_string(i) + " (" + errors + ")";
    }
  }
  r.remote_connected = true;
  r.connect_after = Clock::now() + kRetryInterval;
  if (r.shards.empty()) {
    r.remote_connected = false;
    return Status::Unavailable("search: no remote shard answers: " + why);
  }
  Xapian::Database all;
  for (const auto& db : r.shards) all.add_database(db);
  OpenReader(r, all);
  try {
    COMMERCE_ASSIGN_OR_RETURN(r.index_seq, IndexedSeq(r.shards));
  } catch (const Xapian::Error& e) {
    r.remote_connected = false;
    return Status::Unavailable("search: reading the remote shards: " + e.get_description());
  }
  r.refreshed_at = Clock::now();
  return Status::OK();
}

Status RemoteShards::Reread(Reader& r) {
  try {
    r.db.reopen();  // reopens every remote sub-database
    ++r.opens;
    bool silent = false;
    for (size_t k = 0; k < r.shards.size(); ++k) {
      r.shards[k].reopen();
      LoadNewWords(r.connected[k], r.endpoint_of[k], r.shards[k]);
      if (NoteBeat(r.connected[k], r.endpoint_of[k], r.shards[k])) silent = true;
    }
    if (silent) {
      // Connect() again: it tries the servers of live copies first.
      Disconnect(r);
      return Status::Unavailable("search: a remote shard's copy is no longer written");
    }
    COMMERCE_ASSIGN_OR_RETURN(r.index_seq, IndexedSeq(r.shards));
  } catch (const Xapian::Error& e) {
    Disconnect(r);
    return Status::Unavailable("search: re-reading the remote shards: " + e.get_description());
  }
  r.refreshed_at = Clock::now();
  return Status::OK();
}

bool RemoteShards::UsesOpenBreaker(const Reader& r) const {
  for (size_t k = 0; k < r.connected.size(); ++k)
    if (breakers_[r.connected[k]][r.endpoint_of[k]]->state() == BreakerState::kOpen) return true;
  return false;
}

void RemoteShards::RecordQuery(const Reader& r, const Status& outcome, bool lost,
                               Clock::duration latency) {
  if (outcome.ok()) {
    for (size_t k = 0; k < r.connected.size(); ++k)
      breakers_[r.connected[k]][r.endpoint_of[k]]->record(outcome, latency);
    return;
  }
  if (!lost) return;
  // Xapian names the connection in the error's context: "remote:tcp(HOST:PORT)".
  const std::string& msg = outcome.message();
  const size_t at = msg.find("remote:tcp(");
  if (at == std::string::npos) return;
  const size_t start = at + 11, close = msg.find(')', start);
  if (close == std::string::npos) return;
  const std::string server = msg.substr(start, close - start);
  for (size_t k = 0; k < r.connected.size(); ++k) {
    const ShardEndpoint& e = shards_[r.connected[k]][r.endpoint_of[k]];
    if (e.host + ":" + std::to_string(e.port) == server) {
      breakers_[r.connected[k]][r.endpoint_of[k]]->record(outcome, latency);
      std::lock_guard<std::mutex> lock(mu_);
      last_error_[r.connected[k]] = e.ToString() + ": " + msg;
      return;
    }
  }
}

Status RemoteShards::Prepare(Reader& r, uint64_t min_seq) {
  const auto now = Clock::now();
  if (!r.remote_connected || (!r.missing_shards.empty() && now >= r.connect_after) ||
      UsesOpenBreaker(r)) {
    Status s = Connect(r);
    if (!s.ok()) return s;
    return Status::OK();
  }
  if (now - r.refreshed_at >= refresh_ || r.index_seq < min_seq) {
    Status s = Reread(r);
    if (!s.ok()) {
      // A server went away since the last query: connect again (a replica, or without it).
      return Connect(r);
    }
  }
  return Status::OK();
}

void RemoteShards::Disconnect(Reader& r) {
  r.remote_connected = false;
  r.shards.clear();
  r.connected.clear();
  r.endpoint_of.clear();
  r.db = Xapian::Database();
  r.parser = Xapian::QueryParser();
}

Status RemoteShards::MissingError(const Reader& r) const {
  std::string msg = "search: remote shard";
  msg += r.missing_shards.size() > 1 ? "s " : " ";
  std::lock_guard<std::mutex> lock(mu_);
  for (size_t k = 0; k < r.missing_shards.size(); ++k) {
    const uint32_t i = r.missing_shards[k];
    msg += (k ? ", " : "") + std::to_string(i) + " (" + last_error_[i] + ")";
  }
  msg += " did not answer; ask with allow_partial for the other shards' results";
  return Status::Unavailable(msg);
}

}  // namespace commerce::search
