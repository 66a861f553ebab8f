#include "storage/postgres/pg_connection.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cstring>

namespace commerce::postgres {

namespace {

std::string Describe(const std::vector<std::pair<std::string, std::string>>& params) {
  std::string host, port, db, user, hostaddr;
  for (const auto& [k, v] : params) {
    if (k == "host") host = v;
    if (k == "hostaddr") hostaddr = v;
    if (k == "port") port = v;
    if (k == "dbname") db = v;
    if (k == "user") user = v;
  }
  if (host.empty()) host = hostaddr;
  // host and port are comma-separated lists of equal length, or one port for every host.
  std::string out = "host ";
  std::vector<std::string> hosts, ports;
  auto split = [](const std::string& s, std::vector<std::string>* out_list) {
    size_t start = 0;
    for (;;) {
      size_t comma = s.find(',', start);
      out_list->push_back(s.substr(start, comma - start));
      if (comma == std::string::npos) break;
      start = comma + 1;
    }
  };
  split(host.empty() ? "(default)" : host, &hosts);
  if (!port.empty()) split(port, &ports);
  for (size_t i = 0; i < hosts.size(); ++i) {
    if (i) out += ',';
    out += hosts[i];
    const std::string& p = ports.empty() ? "" : ports[std::min(i, ports.size() - 1)];
    if (!p.empty()) out += ":" + p;
  }
  if (!db.empty()) out += " database " + db;
  if (!user.empty()) out += " user " + user;
  return out;
}

// libpq's messages end with a newline; ours do not.
std::string Trim(const char* msg) {
  std::string s = msg ? msg : "";
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  for (char& c : s)
    if (c == '\n') c = ' ';
  return s;
}

}  // namespace

Result<ConnSettings> ConnSettings::Parse(std::string_view conninfo, int connect_timeout_s) {
  char* err = nullptr;
  std::string text(conninfo);
  PQconninfoOption* opts = PQconninfoParse(text.c_str(), &err);
  if (opts == nullptr) {
    // libpq's message names the syntax problem; it does not echo the string, which may hold
    // a password, and neither do we.
    std::string why = err ? Trim(err) : "out of memory";
    if (err) PQfreemem(err);
    return Status::InvalidArgument("the PostgreSQL connection string does not parse (" + why +
                                   "): expected a URL postgresql://user:password@host:port/db or "
                                   "key=value pairs");
  }
  ConnSettings s;
  for (PQconninfoOption* o = opts; o->keyword != nullptr; ++o)
    if (o->val != nullptr && *o->val != '\0') s.params_.emplace_back(o->keyword, o->val);
  PQconninfoFree(opts);
  auto has = [&s](std::string_view key) {
    for (const auto& [k, v] : s.params_)
      if (k == key) return true;
    return false;
  };
  // Defaults where the string is silent: fail fast when a host is down (a failover's gap),
  // notice a vanished peer (keepalives), and show up as "commerce" in pg_stat_activity.
  if (!has("connect_timeout")) s.params_.emplace_back("connect_timeout", std::to_string(connect_timeout_s));
  if (!has("application_name")) s.params_.emplace_back("application_name", "commerce");
  if (!has("keepalives_idle")) s.params_.emplace_back("keepalives_idle", "10");
  if (!has("keepalives_interval")) s.params_.emplace_back("keepalives_interval", "3");
  if (!has("keepalives_count")) s.params_.emplace_back("keepalives_count", "3");
  // The writer needs the primary: with several hosts, libpq skips standbys.
  if (!has("target_session_attrs")) s.params_.emplace_back("target_session_attrs", "read-write");
  s.describe_ = Describe(s.params_);
  return s;
}

ConnSettings ConnSettings::with(std::string_view key, std::string_view value) const {
  ConnSettings s = *this;
  for (auto& [k, v] : s.params_)
    if (k == key) {
      v = std::string(value);
      return s;
    }
  s.params_.emplace_back(std::string(key), std::string(value));
  return s;
}

std::string Int8Bytes(int64_t v) {
  uint64_t u = static_cast<uint64_t>(v);
  std::string out(8, '\0');
  for (int i = 7; i >= 0; --i) {
    out[i] = static_cast<char>(u & 0xff);
    u >>= 8;
  }
  return out;
}

int64_t Int8FromBytes(const char* p) {
  uint64_t u = 0;
  for (int i = 0; i < 8; ++i) u = (u << 8) | static_cast<unsigned char>(p[i]);
  return static_cast<int64_t>(u);
}

std::string SqlState(const PGresult* r) {
  if (r == nullptr) return "";
  const char* s = PQresultErrorField(r, PG_DIAG_SQLSTATE);
  return s ? s : "";
}

Status PgStatus(PGconn* conn, const PGresult* r, std::string_view what, Failure* failure) {
  Failure f = Failure::kStatement;
  std::string state = SqlState(r);
  std::string detail = r ? Trim(PQresultErrorMessage(r)) : "";
  if (detail.empty() && conn) detail = Trim(PQerrorMessage(conn));
  std::string msg = std::string(what) + ": " + detail;
  Status s;
  bool lost = conn != nullptr && PQstatus(conn) != CONNECTION_OK;
  if (lost || state.empty() || state.starts_with("08") || state == "57P01" || state == "57P02" ||
      state == "57P03" || state == "25006") {
    f = Failure::kConnection;
    s = Status::Unavailable(msg + (state == "25006" ? " (the server is a read-only standby)" : ""));
  } else if (state == "40001" || state == "40P01") {
    f = Failure::kRetry;
    s = Status::Unavailable(msg);
  } else if (state == "23505") {
    s = Status::AlreadyExists(msg);
  } else if (state.starts_with("53") || state.starts_with("54")) {
    s = Status::ResourceExhausted(msg);
  } else if (state == "57014") {
    s = Status::DeadlineExceeded(msg);
  } else if (state == "XX001" || state == "XX002") {
    s = Status::Corruption(msg + ": the database reports damaged data; restore from a backup");
  } else {
    s = Status::Internal(msg + " (SQLSTATE " + state + ")");
  }
  if (failure) *failure = f;
  return s;
}

Result<std::unique_ptr<PgConnection>> PgConnection::Connect(const ConnSettings& settings) {
  std::vector<const char*> keys, values;
  for (const auto& [k, v] : settings.params()) {
    keys.push_back(k.c_str());
    values.push_back(v.c_str());
  }
  keys.push_back(nullptr);
  values.push_back(nullptr);
  PGconn* conn = PQconnectdbParams(keys.data(), values.data(), /*expand_dbname=*/0);
  if (conn == nullptr) return Status::ResourceExhausted("libpq could not allocate a connection");
  if (PQstatus(conn) != CONNECTION_OK) {
    // libpq's message names hosts and the reason (refused, timeout, authentication failed);
    // it never contains the password.
    std::string why = Trim(PQerrorMessage(conn));
    PQfinish(conn);
    return Status::Unavailable("cannot connect to PostgreSQL (" + settings.describe() + "): " + why);
  }
  std::string where = std::string(PQhost(conn) ? PQhost(conn) : "?") + ":" +
                      (PQport(conn) ? PQport(conn) : "?");
  // Server notices ("relation already exists, skipping" from IF NOT EXISTS) are not errors
  // and would otherwise go to the embedding program's stderr.
  PQsetNoticeProcessor(conn, [](void*, const char*) {}, nullptr);
  return std::unique_ptr<PgConnection>(new PgConnection(conn, where));
}

PgConnection::~PgConnection() { PQfinish(conn_); }

std::string PgConnection::last_error() const { return ok() ? "" : Trim(PQerrorMessage(conn_)); }

Status PgConnection::drain() {
  while (pending_ > 0) {
    // Each queued simple-protocol command yields results up to a null.
    while (PGresult* r = PQgetResult(conn_)) PQclear(r);
    --pending_;
  }
  if (!ok()) return Status::Unavailable("PostgreSQL connection to " + where_ + " lost: " + last_error());
  return Status::OK();
}

void PgConnection::send_and_forget(const std::string& sql) {
  if (PQsendQuery(conn_, sql.c_str()) == 1) ++pending_;
}

Status PgConnection::exec(const std::string& sql, Failure* failure) {
  if (failure) *failure = Failure::kNone;
  Status drained = drain();
  if (!drained.ok()) {
    if (failure) *failure = Failure::kConnection;
    return drained;
  }
  if (PQsendQuery(conn_, sql.c_str()) != 1)
    return PgStatus(conn_, nullptr, "send to " + where_, failure);
  Status first;
  while (PGresult* r = PQgetResult(conn_)) {
    ExecStatusType st = PQresultStatus(r);
    if (first.ok() && st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK && st != PGRES_EMPTY_QUERY)
      first = PgStatus(conn_, r, "on " + where_, failure);
    PQclear(r);
  }
  if (first.ok() && !ok()) first = PgStatus(conn_, nullptr, "on " + where_, failure);
  return first;
}

PgResult PgConnection::run(const std::string& name, const std::string& sql,
                           const std::vector<Param>& params, Status* status, Failure* failure) {
  *failure = Failure::kNone;
  *status = drain();
  if (!status->ok()) {
    *failure = Failure::kConnection;
    return nullptr;
  }
  if (!prepared_.contains(name)) {
    std::vector<Oid> types;
    for (const Param& p : params) types.push_back(p.type);
    PgResult r(PQprepare(conn_, name.c_str(), sql.c_str(), static_cast<int>(types.size()), types.data()));
    if (!r || PQresultStatus(r.get()) != PGRES_COMMAND_OK) {
      *status = PgStatus(conn_, r.get(), "prepare on " + where_, failure);
      return nullptr;
    }
    prepared_.insert(name);
  }
  std::vector<const char*> values;
  std::vector<int> lengths, formats;
  values.reserve(params.size());
  for (const Param& p : params) {
    // libpq reads a binary parameter as (pointer, length): an empty value still needs a
    // non-null pointer, or it would be SQL NULL.
    values.push_back(p.bytes.data() ? p.bytes.data() : "");
    lengths.push_back(static_cast<int>(p.bytes.size()));
    formats.push_back(1);
  }
  PgResult r(PQexecPrepared(conn_, name.c_str(), static_cast<int>(params.size()), values.data(),
                            lengths.data(), formats.data(), /*resultFormat=*/1));
  ExecStatusType st = r ? PQresultStatus(r.get()) : PGRES_FATAL_ERROR;
  if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
    *status = PgStatus(conn_, r.get(), "on " + where_, failure);
    return nullptr;
  }
  *status = Status::OK();
  return r;
}

Status PgConnection::pipeline(const std::vector<Piped>& statements, std::vector<PgResult>* results,
                              Failure* failure) {
  *failure = Failure::kNone;
  results->clear();
  results->resize(statements.size());
  Status s = drain();
  if (!s.ok()) {
    *failure = Failure::kConnection;
    return s;
  }
  if (statements.empty()) return Status::OK();
  if (PQenterPipelineMode(conn_) != 1) return PgStatus(conn_, nullptr, "pipeline mode on " + where_, failure);
  // What each result read back belongs to: statement i (>= 0), or the preparation of the
  // statement named newly_prepared[-1 - owner].
  std::vector<int> expected;
  std::vector<std::string> newly_prepared;
  bool sent = true;
  std::vector<const char*> values;
  std::vector<int> lengths, formats;
  for (size_t i = 0; i < statements.size() && sent; ++i) {
    const Piped& st = statements[i];
    if (!prepared_.contains(*st.name) &&
        std::find(newly_prepared.begin(), newly_prepared.end(), *st.name) == newly_prepared.end()) {
      std::vector<Oid> types;
      for (const Param& p : st.params) types.push_back(p.type);
      sent = PQsendPrepare(conn_, st.name->c_str(), st.sql->c_str(), static_cast<int>(types.size()), types.data()) == 1;
      newly_prepared.push_back(*st.name);
      expected.push_back(-static_cast<int>(newly_prepared.size()));
    }
    values.clear();
    lengths.clear();
    formats.clear();
    for (const Param& p : st.params) {
      values.push_back(p.bytes.data() ? p.bytes.data() : "");  // empty, not NULL
      lengths.push_back(static_cast<int>(p.bytes.size()));
      formats.push_back(1);
    }
    sent = sent && PQsendQueryPrepared(conn_, st.name->c_str(), static_cast<int>(st.params.size()), values.data(),
                                       lengths.data(), formats.data(), /*resultFormat=*/1) == 1;
    expected.push_back(static_cast<int>(i));
  }
  sent = sent && PQpipelineSync(conn_) == 1;
  if (!sent) {
    // What the server received is unknown: the connection is not used again.
    Status lost = PgStatus(conn_, nullptr, "send to " + where_, failure);
    *failure = Failure::kConnection;
    return lost;
  }
  // Every queued command yields its result(s) and a null; then the Sync yields PIPELINE_SYNC.
  Status first;
  for (int owner : expected) {
    PGresult* r;
    while ((r = PQgetResult(conn_)) != nullptr) {
      ExecStatusType st = PQresultStatus(r);
      if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) {
        if (owner >= 0) (*results)[static_cast<size_t>(owner)].reset(r);
        else {
          prepared_.insert(newly_prepared[static_cast<size_t>(-1 - owner)]);
          PQclear(r);
        }
        continue;
      }
      if (st != PGRES_PIPELINE_ABORTED && first.ok()) first = PgStatus(conn_, r, "on " + where_, failure);
      PQclear(r);
    }
    if (!ok()) break;
  }
  bool in_sync = ok();
  if (in_sync) {
    PgResult sync(PQgetResult(conn_));
    in_sync = sync && PQresultStatus(sync.get()) == PGRES_PIPELINE_SYNC;
    for (int i = 0; in_sync && PQexitPipelineMode(conn_) != 1 && i < 3; ++i) PQclear(PQgetResult(conn_));
    in_sync = in_sync && PQpipelineStatus(conn_) == PQ_PIPELINE_OFF;
  }
  if (!in_sync) {
    // Lost, or out of step with the server: the caller must not use this connection again.
    Status lost = PgStatus(conn_, nullptr, "pipeline on " + where_, failure);
    *failure = Failure::kConnection;
    return first.ok() ? lost : first;
  }
  for (size_t i = 0; first.ok() && i < statements.size(); ++i)
    if (!(*results)[i]) first = Status::Internal("pipeline: no result for statement " + std::to_string(i));
  return first;
}

Result<std::unique_ptr<PgConnection>> PgPool::take() {
  {
    std::unique_lock<std::mutex> lock(mu_);
    auto deadline = std::chrono::steady_clock::now() + wait_;
    for (;;) {
      if (closed_) return Status::FailedPrecondition("storage is closed: reopen it");
      while (!idle_.empty()) {
        auto conn = std::move(idle_.back());
        idle_.pop_back();
        if (conn->ok()) {
          ++out_;
          return conn;
        }
      }
      if (out_ < max_size_) break;
      if (cv_.wait_until(lock, deadline) == std::cv_status::timeout && out_ >= max_size_ &&
          idle_.empty())
        return Status::Unavailable("all " + std::to_string(max_size_) +
                                   " PostgreSQL read connections stayed busy for " +
                                   std::to_string(wait_.count()) +
                                   " ms: raise postgres_pool_size or end read transactions sooner");
    }
    ++out_;
  }
  auto conn = PgConnection::Connect(settings_);
  if (!conn.ok()) {
    std::lock_guard<std::mutex> lock(mu_);
    --out_;
    cv_.notify_one();
  }
  return conn;
}

void PgPool::give_back(std::unique_ptr<PgConnection> conn) {
  std::lock_guard<std::mutex> lock(mu_);
  --out_;
  if (!closed_ && conn && conn->ok() && idle_.size() < max_size_) idle_.push_back(std::move(conn));
  cv_.notify_one();
}

void PgPool::close() {
  std::vector<std::unique_ptr<PgConnection>> closing;
  {
    std::lock_guard<std::mutex> lock(mu_);
    closed_ = true;
    closing.swap(idle_);
    cv_.notify_all();
  }
}

}  // namespace commerce::postgres

namespace commerce::postgres {

void PgPool::discard_idle() {
  std::vector<std::unique_ptr<PgConnection>> closing;
  std::lock_guard<std::mutex> lock(mu_);
  closing.swap(idle_);
}

}  // namespace commerce::postgres
