#include "storage/postgres/pg_txn.h"

#include <algorithm>
#include <climits>
#include <cstring>
#include <map>

namespace commerce::postgres {

namespace {

constexpr int64_t kFirstPage = 16;
constexpr int64_t kMaxPage = 1024;

Status CheckKey(std::string_view key) {
  if (key.empty() || key.size() > kMaxKeySize)
    return Status::InvalidArgument("key of " + std::to_string(key.size()) + " bytes: keys are 1.." +
                                   std::to_string(kMaxKeySize) + " bytes");
  return Status::OK();
}

Status Ended() { return Status::FailedPrecondition("transaction has ended"); }

}  // namespace

// Pages of rows from range queries. The views key()/value() point into the current page's
// PGresult, which lives until the cursor moves past it.
class PgCursor final : public Cursor {
 public:
  PgCursor(TxnCore* core, Table table, bool reverse) : core_(core), table_(table), reverse_(reverse) {}
  ~PgCursor() override {
    if (core_) core_->forget(this);
  }

  bool valid() const override { return core_ != nullptr && page_ && row_ < PQntuples(page_.get()); }

  void seek(std::string_view target) override {
    // Any target length is fine for a seek: it is a bound, not a key.
    fetch(reverse_ ? TableStmt::kSeekReverse : TableStmt::kSeekForward, target, kFirstPage);
  }
  void seek_to_first() override {
    fetch(reverse_ ? TableStmt::kLast : TableStmt::kFirst, std::nullopt, kFirstPage);
  }
  void next() override {
    if (!valid()) return;
    if (++row_ < PQntuples(page_.get())) return;
    if (!more_) {
      page_.reset();
      return;
    }
    std::string last = std::string(PQgetvalue(page_.get(), row_ - 1, 0),
                                   PQgetlength(page_.get(), row_ - 1, 0));
    fetch(reverse_ ? TableStmt::kNextReverse : TableStmt::kNextForward, last,
          std::min(page_size_ * 2, kMaxPage));
  }
  std::string_view key() const override {
    return {PQgetvalue(page_.get(), row_, 0), static_cast<size_t>(PQgetlength(page_.get(), row_, 0))};
  }
  std::string_view value() const override {
    return {PQgetvalue(page_.get(), row_, 1), static_cast<size_t>(PQgetlength(page_.get(), row_, 1))};
  }
  Status status() const override { return status_; }

  void detach() {
    core_ = nullptr;
    page_.reset();
    if (status_.ok()) status_ = Ended();
  }

 private:
  void fetch(TableStmt which, std::optional<std::string_view> bound, int64_t page_size) {
    page_.reset();
    row_ = 0;
    if (core_ == nullptr) {
      if (status_.ok()) status_ = Ended();
      return;
    }
    page_size_ = page_size;
    std::string limit = Int8Bytes(page_size);
    std::vector<Param> params;
    if (bound) params.push_back(Param{*bound});
    params.push_back(Param{limit, 20});
    Status s;
    PgResult r = core_->run(table_, which, params, &s);
    if (!s.ok()) {
      status_ = s;
      return;
    }
    status_ = Status::OK();
    more_ = PQntuples(r.get()) == page_size;
    page_ = std::move(r);
  }

  TxnCore* core_;
  Table table_;
  bool reverse_;
  PgResult page_;
  int row_ = 0;
  int64_t page_size_ = kFirstPage;
  bool more_ = false;  // the page was full: there may be rows after it
  Status status_;
};

PgResult TxnCore::run(Table table, TableStmt which, const std::vector<Param>& params, Status* status) {
  if (conn_ == nullptr) {
    *status = Ended();
    return nullptr;
  }
  const std::string *name = nullptr, *sql = nullptr;
  *status = names_->statement(table, which, &name, &sql);
  if (!status->ok()) return nullptr;
  Failure f = Failure::kNone;
  PgResult r = conn_->run(*name, *sql, params, status, &f);
  note(f);
  return r;
}

void TxnCore::note(Failure f) {
  if (f == Failure::kConnection || (f == Failure::kRetry && failure_ != Failure::kConnection))
    failure_ = f;
}

Result<ReadResults> TxnCore::read_many(const std::vector<KeyRead>& keys,
                                       const std::vector<RangeRead>& ranges) {
  COMMERCE_RETURN_IF_ERROR(CheckReadBatch(keys, ranges));
  if (conn_ == nullptr) return Ended();
  ReadResults out;
  out.values.resize(keys.size());
  out.ranges.resize(ranges.size());
  if (keys.empty() && ranges.empty()) return out;

  // The keys by table, tables in the order first asked.
  std::vector<Table> tables;
  std::map<uint32_t, std::vector<std::string_view>> by_table;
  for (const KeyRead& k : keys) {
    auto [it, fresh] = by_table.try_emplace(k.table.id);
    if (fresh) tables.push_back(k.table);
    it->second.push_back(k.key);
  }
  StatementBatch batch;
  const std::string *name = nullptr, *sql = nullptr;
  for (Table t : tables) {
    COMMERCE_RETURN_IF_ERROR(names_->statement(t, TableStmt::kGetMany, &name, &sql));
    batch.add(name, sql, {batch.array(by_table[t.id])});
  }
  for (const RangeRead& r : ranges) {
    Param limit = batch.keep(Int8Bytes(r.limit ? static_cast<int64_t>(r.limit) : INT64_MAX), 20);
    const bool to_end = r.end.empty();
    COMMERCE_RETURN_IF_ERROR(
        names_->statement(r.table, to_end ? TableStmt::kSeekForward : TableStmt::kRange, &name, &sql));
    if (to_end) batch.add(name, sql, {Param{r.begin}, limit});
    else batch.add(name, sql, {Param{r.begin}, Param{r.end}, limit});
  }

  std::vector<PgResult> results;
  Failure f = Failure::kNone;
  Status s = conn_->pipeline(batch.piped(), &results, &f);
  note(f);
  if (!s.ok()) return s;

  auto bytes = [](const PGresult* r, int row, int col) {
    return std::string_view(PQgetvalue(r, row, col), static_cast<size_t>(PQgetlength(r, row, col)));
  };
  size_t at = 0;
  std::map<std::pair<uint32_t, std::string_view>, std::string_view> found;
  for (Table t : tables) {
    const PGresult* r = results[at++].get();
    for (int row = 0; row < PQntuples(r); ++row)
      found.emplace(std::pair(t.id, bytes(r, row, 0)), bytes(r, row, 1));
  }
  for (size_t i = 0; i < keys.size(); ++i) {
    auto it = found.find({keys[i].table.id, keys[i].key});
    if (it != found.end()) out.values[i] = std::string(it->second);
  }
  for (size_t i = 0; i < ranges.size(); ++i) {
    const PGresult* r = results[at++].get();
    out.ranges[i].reserve(static_cast<size_t>(PQntuples(r)));
    for (int row = 0; row < PQntuples(r); ++row)
      out.ranges[i].push_back({std::string(bytes(r, row, 0)), std::string(bytes(r, row, 1))});
  }
  return out;
}

Status TxnCore::get(Table table, std::string_view key, std::string_view* value) {
  COMMERCE_RETURN_IF_ERROR(CheckKey(key));
  Status s;
  PgResult r = run(table, TableStmt::kGet, {Param{key}}, &s);
  if (!s.ok()) return s;
  if (PQntuples(r.get()) == 0) return Status::NotFound("key not found");
  value_ = std::move(r);
  *value = std::string_view(PQgetvalue(value_.get(), 0, 0),
                            static_cast<size_t>(PQgetlength(value_.get(), 0, 0)));
  return Status::OK();
}

std::unique_ptr<Cursor> TxnCore::cursor(Table table, CursorOptions options) {
  auto c = std::make_unique<PgCursor>(this, table, options.reverse);
  cursors_.push_back(c.get());
  return c;
}

Status TxnCore::put(Table table, std::string_view key, std::string_view value, PutMode mode) {
  COMMERCE_RETURN_IF_ERROR(CheckKey(key));
  Status s;
  bool insert_only = mode == PutMode::kNoOverwrite;
  PgResult r = run(table, insert_only ? TableStmt::kInsert : TableStmt::kPut,
                   {Param{key}, Param{value}}, &s);
  if (!s.ok()) return s;
  if (insert_only && std::strcmp(PQcmdTuples(r.get()), "0") == 0)
    return Status::AlreadyExists("key already exists");
  return Status::OK();
}

Status TxnCore::del(Table table, std::string_view key) {
  COMMERCE_RETURN_IF_ERROR(CheckKey(key));
  Status s;
  (void)run(table, TableStmt::kDel, {Param{key}}, &s);
  return s;
}

void TxnCore::forget(PgCursor* cursor) { std::erase(cursors_, cursor); }

void TxnCore::end() {
  for (PgCursor* c : cursors_) c->detach();
  cursors_.clear();
  value_.reset();
  conn_ = nullptr;
}

namespace {

class PgReadTxn final : public ReadTxn {
 public:
  PgReadTxn(std::shared_ptr<PgPool> pool, std::shared_ptr<const SchemaNames> names,
            std::unique_ptr<PgConnection> conn)
      : pool_(std::move(pool)), names_(std::move(names)), conn_(std::move(conn)),
        core_(conn_.get(), names_.get()) {}
  ~PgReadTxn() override {
    core_.end();
    // Ends the snapshot without waiting for the answer: the next borrower reads it.
    conn_->send_and_forget("ROLLBACK");
    pool_->give_back(std::move(conn_));
  }
  using ReadView::get;
  Status get(Table table, std::string_view key, std::string_view* value) override {
    return core_.get(table, key, value);
  }
  Result<ReadResults> read_many(const std::vector<KeyRead>& keys,
                                const std::vector<RangeRead>& ranges) override {
    return core_.read_many(keys, ranges);
  }
  std::unique_ptr<Cursor> cursor(Table table, CursorOptions options) override {
    return core_.cursor(table, options);
  }

 private:
  std::shared_ptr<PgPool> pool_;
  std::shared_ptr<const SchemaNames> names_;
  std::unique_ptr<PgConnection> conn_;
  TxnCore core_;
};

}  // namespace

Result<std::unique_ptr<ReadTxn>> BeginRead(std::shared_ptr<PgPool> pool,
                                           std::shared_ptr<const SchemaNames> names) {
  // A pooled connection may have died since it was last used (a restarted server): one
  // more try on a fresh connection before giving up.
  Status s;
  for (int attempt = 0; attempt < 2; ++attempt) {
    COMMERCE_ASSIGN_OR_RETURN(std::unique_ptr<PgConnection> conn, pool->take());
    // The snapshot is taken by the first statement, not by BEGIN: run one in the same round
    // trip, so the snapshot is no older and no newer than this call.
    Failure f = Failure::kNone;
    s = conn->exec("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY; SELECT 1", &f);
    if (s.ok())
      return std::unique_ptr<ReadTxn>(new PgReadTxn(pool, std::move(names), std::move(conn)));
    conn->send_and_forget("ROLLBACK");
    pool->give_back(std::move(conn));
    if (f != Failure::kConnection) break;
    // The server went away under the pool (a restart, a failover): its other idle
    // connections are as dead as this one.
    pool->discard_idle();
  }
  return s.WithContext("starting a PostgreSQL read snapshot");
}

}  // namespace commerce::postgres
