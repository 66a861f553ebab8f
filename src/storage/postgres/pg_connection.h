// The PostgreSQL driver's connections: the parsed connection settings (ConnSettings, which
// never show the password), one libpq connection with its prepared statements
// (PgConnection), results (PgResult), the pool that ReadTxns borrow from (PgPool), and the
// mapping of SQLSTATEs to Status codes (PgStatus).
//
// Every statement is parameterised: values travel as binary parameters, never inside SQL
// text; the only names in SQL text are the schema and table names, which are checked
// ([a-z0-9_]) before use.
//
// Thread safety: a PgConnection belongs to one thread at a time (libpq's rule for a PGconn):
// the writer connection to the writer thread, a read connection to the thread holding the
// ReadTxn that borrowed it. ConnSettings is immutable; PgPool locks internally and is shared
// with ReadTxns through shared_ptr, so a ReadTxn that outlives close() is still safe.
#pragma once

#include <libpq-fe.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_set>
#include <utility>
#include <vector>

#include "commerce/storage.h"

namespace commerce::postgres {

// How a failure should be handled, beyond its Status code.
enum class Failure : uint8_t {
  kNone,
  kStatement,      // this statement failed; the connection and transaction may go on (after
                   // a rollback to a savepoint)
  kRetry,          // serialization failure or deadlock: run the whole transaction again
  kConnection,     // the connection is gone or unusable: reconnect
};

// Connection settings from a libpq connection string (URL or key=value, multi-host allowed),
// with the driver's defaults added where the string is silent. The password stays inside the
// keyword arrays handed to libpq: describe() and every message name hosts, ports, database
// and user only.
class ConnSettings {
 public:
  // InvalidArgument when libpq cannot parse `conninfo` (the message does not quote it).
  static Result<ConnSettings> Parse(std::string_view conninfo, int connect_timeout_s);
  // "host 127.0.0.1:5432,127.0.0.1:5433 database commerce user commerce"
  const std::string& describe() const { return describe_; }
  // The same settings with `key` set to `value` (e.g. target_session_attrs=any for a replica).
  ConnSettings with(std::string_view key, std::string_view value) const;

  const std::vector<std::pair<std::string, std::string>>& params() const { return params_; }

 private:
  std::vector<std::pair<std::string, std::string>> params_;
  std::string describe_;
};

struct PgResultFree {
  void operator()(PGresult* r) const { PQclear(r); }
};
using PgResult = std::unique_ptr<PGresult, PgResultFree>;

// A bound parameter: bytes sent in binary format. int64 values are sent as int8 (8 bytes,
// big-endian) through Int8Param.
struct Param {
  std::string_view bytes;
  Oid type = 17;  // bytea
};
std::string Int8Bytes(int64_t v);
int64_t Int8FromBytes(const char* p);

// SQLSTATE of a failed result, "" when there is none (a lost connection).
std::string SqlState(const PGresult* r);

// A Status for a failed result or connection, and how to handle it: classes 08 and 57P0x
// (connection, shutdown) -> Unavailable/kConnection; 40001/40P01 -> Unavailable/kRetry;
// 23505 -> AlreadyExists; 53xxx/54xxx -> ResourceExhausted; 57014 -> DeadlineExceeded;
// XX001/XX002 -> Corruption; 25006 (read-only: a standby after failover) -> Unavailable/
// kConnection; anything else -> Internal. `what` says what was being done.
Status PgStatus(PGconn* conn, const PGresult* r, std::string_view what, Failure* failure);

class PgConnection {
 public:
  // Connects to the first host of `settings` that accepts (libpq's multi-host rules).
  // Unavailable when none does, naming the hosts but not the password.
  static Result<std::unique_ptr<PgConnection>> Connect(const ConnSettings& settings);
  ~PgConnection();
  PgConnection(const PgConnection&) = delete;
  PgConnection& operator=(const PgConnection&) = delete;

  PGconn* raw() const { return conn_; }
  bool ok() const { return PQstatus(conn_) == CONNECTION_OK; }
  const std::string& where() const { return where_; }

  // Simple-protocol SQL without parameters (transaction control, DDL). Several statements
  // separated by ';' run in one round trip; the Status is the first failure's.
  Status exec(const std::string& sql, Failure* failure = nullptr);

  // Runs the statement prepared under `name` (preparing it from `sql` on first use on this
  // connection) with binary parameters and binary results. On failure returns null and sets
  // *status (and *failure).
  PgResult run(const std::string& name, const std::string& sql, const std::vector<Param>& params,
               Status* status, Failure* failure);

  // One statement of a pipeline(): the prepared statement's name on this connection, its SQL
  // (prepared in the same pipeline on first use) and its binary parameters.
  struct Piped {
    const std::string* name;
    const std::string* sql;
    std::vector<Param> params;
  };
  // Sends every statement in libpq's pipeline mode, then one Sync, and reads every result:
  // one round trip for all of them. (*results)[i] is statement i's result. A failing
  // statement makes the server skip the rest up to the Sync: the first failure is returned
  // (with *failure) and the later results are null.
  Status pipeline(const std::vector<Piped>& statements, std::vector<PgResult>* results, Failure* failure);

  // Queues `sql` (simple protocol) without waiting: its result is read and discarded by the
  // next call on this connection. Used to end a read transaction without a round trip.
  void send_and_forget(const std::string& sql);

  // The last failure that broke this connection (for messages), "" while it is fine.
  std::string last_error() const;

 private:
  PgConnection(PGconn* conn, std::string where) : conn_(conn), where_(std::move(where)) {}
  Status drain();  // reads the results of send_and_forget()

  PGconn* conn_;
  std::string where_;
  std::unordered_set<std::string> prepared_;
  int pending_ = 0;  // statements sent by send_and_forget whose results are unread
};

// Read connections handed out to ReadTxns and given back when they end: at most max_size at
// once (take() waits up to wait for one to come back), at most max_size idle.
class PgPool {
 public:
  PgPool(ConnSettings settings, size_t max_size, std::chrono::milliseconds wait)
      : settings_(std::move(settings)), max_size_(max_size), wait_(wait) {}

  // An idle connection (one that is still fine), or a new one. FailedPrecondition after
  // close(); Unavailable when the server cannot be reached or every connection stays busy.
  Result<std::unique_ptr<PgConnection>> take();
  // Returns a connection whose transaction has been ended (or queued to end); broken ones
  // are closed.
  void give_back(std::unique_ptr<PgConnection> conn);
  // Closes idle connections; those still out close when given back.
  void close();
  // Closes idle connections but keeps the pool open (after one of them turned out dead).
  void discard_idle();
  const ConnSettings& settings() const { return settings_; }

 private:
  const ConnSettings settings_;
  const size_t max_size_;
  const std::chrono::milliseconds wait_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::unique_ptr<PgConnection>> idle_;  // GUARDED_BY(mu_)
  size_t out_ = 0;                                   // GUARDED_BY(mu_)
  bool closed_ = false;                              // GUARDED_BY(mu_)
};

}  // namespace commerce::postgres
