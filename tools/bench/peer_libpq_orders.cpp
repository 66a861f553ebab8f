#include "peer_libpq_orders.h"

#include <libpq-fe.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <type_traits>

namespace commerce::bench {

namespace {

// Unqualified: every connection of the peer sets search_path to its schema.
constexpr const char* kSchemaSql[] = {
    "CREATE TABLE products (sku text PRIMARY KEY, price bigint NOT NULL, currency text NOT NULL)",
    "CREATE TABLE warehouses (id text PRIMARY KEY, region text NOT NULL, priority bigint NOT NULL)",
    "CREATE TABLE stock (sku text NOT NULL, warehouse text NOT NULL, on_hand bigint NOT NULL, "
    "reserved bigint NOT NULL DEFAULT 0, PRIMARY KEY (sku, warehouse))",
    "CREATE TABLE customers (id text PRIMARY KEY, email text NOT NULL)",
    "CREATE TABLE orders (id text PRIMARY KEY, customer text NOT NULL, idempotency_key text NOT NULL "
    "UNIQUE, total bigint NOT NULL, currency text NOT NULL, created timestamptz NOT NULL DEFAULT now())",
    "CREATE INDEX ON orders (customer, created)",
    "CREATE TABLE order_lines (order_id text NOT NULL, line_no int NOT NULL, sku text NOT NULL, "
    "warehouse text NOT NULL, quantity bigint NOT NULL, unit_price bigint NOT NULL, "
    "PRIMARY KEY (order_id, line_no))",
};

// $1 sku, $2 quantity, $3 the shipping region.
constexpr char kReserveSql[] =
    "UPDATE stock SET reserved = reserved + $2 "
    "WHERE (sku, warehouse) = (SELECT s.sku, s.warehouse FROM stock s JOIN warehouses w ON w.id = s.warehouse "
    "WHERE s.sku = $1 AND s.on_hand - s.reserved >= $2 "
    "ORDER BY (w.region = $3) DESC, w.priority, w.id LIMIT 1) "
    "AND on_hand - reserved >= $2 "
    "RETURNING warehouse, (SELECT price FROM products WHERE sku = $1), "
    "(SELECT currency FROM products WHERE sku = $1)";
// $1 id, $2 customer, $3 key, $4 total, $5 currency: nothing inserted for an unknown customer.
constexpr char kInsertOrderSql[] =
    "INSERT INTO orders (id, customer, idempotency_key, total, currency) "
    "SELECT $1, $2, $3, $4, $5 WHERE EXISTS (SELECT 1 FROM customers WHERE id = $2) "
    "ON CONFLICT (idempotency_key) DO NOTHING";
// $1 order id, then arrays of skus, warehouses, quantities, prices.
constexpr char kInsertLinesSql[] =
    "INSERT INTO order_lines (order_id, line_no, sku, warehouse, quantity, unit_price) "
    "SELECT $1, n, sku, wh, q, p FROM unnest($2::text[], $3::text[], $4::bigint[], $5::bigint[]) "
    "WITH ORDINALITY AS l(sku, wh, q, p, n)";

std::string ErrorOf(PGconn* conn, const PGresult* r) {
  std::string s = r ? PQresultErrorMessage(r) : "";
  if (s.empty()) s = PQerrorMessage(conn);
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

bool Ok(PGconn* conn, PGresult* r, const std::string& what, std::string* error) {
  ExecStatusType st = PQresultStatus(r);
  if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) {
    PQclear(r);
    return true;
  }
  *error = "libpq-sql: " + what + ": " + ErrorOf(conn, r);
  PQclear(r);
  return false;
}

// A connection whose unqualified names are the schema's ("" : the server's default).
PGconn* Connect(const std::string& conninfo, const std::string& schema, std::string* error) {
  PGconn* conn = PQconnectdb(conninfo.c_str());
  if (PQstatus(conn) != CONNECTION_OK) {
    *error = "libpq-sql: connect: " + ErrorOf(conn, nullptr);
    PQfinish(conn);
    return nullptr;
  }
  if (!schema.empty() && !Ok(conn, PQexec(conn, ("SET search_path TO \"" + schema + "\"").c_str()), "search_path", error)) {
    PQfinish(conn);
    return nullptr;
  }
  return conn;
}

// A text[] / bigint[] literal of simple values (SKUs and warehouse ids are [A-Za-z0-9-]).
template <typename T>
std::string ArrayLiteral(const std::vector<T>& values) {
  std::string out = "{";
  for (size_t i = 0; i < values.size(); ++i) {
    if (i) out += ',';
    if constexpr (std::is_same_v<T, std::string>) out += "\"" + values[i] + "\"";
    else out += std::to_string(values[i]);
  }
  return out + "}";
}

}  // namespace

std::unique_ptr<LibpqOrdersPeer> LibpqOrdersPeer::Open(const std::string& conninfo, const std::string& schema,
                                                       std::string* error) {
  PGconn* conn = Connect(conninfo, "", error);
  if (!conn) return nullptr;
  std::unique_ptr<LibpqOrdersPeer> peer(new LibpqOrdersPeer(conninfo, schema, conn));
  const std::string q = "\"" + schema + "\"";
  if (!Ok(conn, PQexec(conn, ("DROP SCHEMA IF EXISTS " + q + " CASCADE").c_str()), "drop schema", error) ||
      !Ok(conn, PQexec(conn, ("CREATE SCHEMA " + q).c_str()), "create schema", error) ||
      !Ok(conn, PQexec(conn, ("SET search_path TO " + q).c_str()), "search_path", error))
    return nullptr;
  for (const char* sql : kSchemaSql)
    if (!Ok(conn, PQexec(conn, sql), "create table", error)) return nullptr;
  return peer;
}

LibpqOrdersPeer::~LibpqOrdersPeer() { PQfinish(conn_); }

bool LibpqOrdersPeer::Copy(const std::string& table, uint64_t n, const std::function<std::string(uint64_t)>& row,
                           std::string* error) {
  const std::string sql = "COPY " + table + " FROM STDIN";
  PGresult* r = PQexec(conn_, sql.c_str());
  if (PQresultStatus(r) != PGRES_COPY_IN) return Ok(conn_, r, sql, error) && false;
  PQclear(r);
  std::string buf;
  for (uint64_t i = 0; i < n; ++i) {
    buf += row(i);
    buf += '\n';
    if (buf.size() > (1 << 16) || i + 1 == n) {
      if (PQputCopyData(conn_, buf.data(), static_cast<int>(buf.size())) != 1) {
        *error = "libpq-sql: " + sql + ": " + ErrorOf(conn_, nullptr);
        return false;
      }
      buf.clear();
    }
  }
  if (PQputCopyEnd(conn_, nullptr) != 1) {
    *error = "libpq-sql: " + sql + ": " + ErrorOf(conn_, nullptr);
    return false;
  }
  return Ok(conn_, PQgetResult(conn_), sql, error);
}

bool LibpqOrdersPeer::LoadProducts(uint64_t n, const ProductGen& gen, std::string* error) {
  std::string sku, currency;
  int64_t price = 0;
  return Copy("products", n, [&](uint64_t i) {
    gen(i, &sku, &price, &currency);
    return sku + "\t" + std::to_string(price) + "\t" + currency;
  }, error);
}

bool LibpqOrdersPeer::LoadWarehouses(uint64_t n, const WarehouseGen& gen, std::string* error) {
  std::string id, region;
  int64_t priority = 0;
  return Copy("warehouses", n, [&](uint64_t i) {
    gen(i, &id, &region, &priority);
    return id + "\t" + region + "\t" + std::to_string(priority);
  }, error);
}

bool LibpqOrdersPeer::LoadStock(uint64_t n, const StockGen& gen, std::string* error) {
  std::string sku, warehouse;
  int64_t on_hand = 0;
  return Copy("stock (sku, warehouse, on_hand)", n, [&](uint64_t i) {
    gen(i, &sku, &warehouse, &on_hand);
    return sku + "\t" + warehouse + "\t" + std::to_string(on_hand);
  }, error);
}

bool LibpqOrdersPeer::LoadCustomers(uint64_t n, const CustomerGen& gen, std::string* error) {
  std::string id, email;
  return Copy("customers", n, [&](uint64_t i) {
    gen(i, &id, &email);
    return id + "\t" + email;
  }, error);
}

bool LibpqOrdersPeer::Analyze(std::string* error) {
  return Ok(conn_, PQexec(conn_, "ANALYZE products, warehouses, stock, customers"), "ANALYZE", error);
}

bool LibpqOrdersPeer::Available(const std::string& sku, int64_t* units, std::string* error) {
  const char* params[] = {sku.c_str()};
  PGresult* r = PQexecParams(conn_, "SELECT COALESCE(SUM(on_hand - reserved), 0)::bigint FROM stock WHERE sku = $1",
                             1, nullptr, params, nullptr, nullptr, 0);
  if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1) *units = std::strtoll(PQgetvalue(r, 0, 0), nullptr, 10);
  return Ok(conn_, r, "available units", error);
}

std::unique_ptr<LibpqOrdersPeer::Client> LibpqOrdersPeer::NewClient(uint64_t seed, std::string* error) {
  PGconn* conn = Connect(conninfo_, schema_, error);
  if (!conn) return nullptr;
  std::unique_ptr<Client> c(new Client(conn, schema_, seed));
  if (!c->Prepare(error)) return nullptr;
  return c;
}

LibpqOrdersPeer::Client::~Client() { PQfinish(conn_); }

bool LibpqOrdersPeer::Client::Prepare(std::string* error) {
  return Ok(conn_, PQprepare(conn_, "reserve", kReserveSql, 3, nullptr), "prepare", error) &&
         Ok(conn_, PQprepare(conn_, "order", kInsertOrderSql, 5, nullptr), "prepare", error) &&
         Ok(conn_, PQprepare(conn_, "lines", kInsertLinesSql, 5, nullptr), "prepare", error);
}

bool LibpqOrdersPeer::Client::Exec(const char* sql, std::string* error) {
  return Ok(conn_, PQexec(conn_, sql), sql, error);
}

bool LibpqOrdersPeer::Client::PlaceOrder(const OrderRequest& r, Outcome* outcome, std::string* error) {
  auto fail = [&](std::string what, PGresult* res) {
    *error = "libpq-sql: " + what + ": " + ErrorOf(conn_, res);
    PQclear(res);
    PQclear(PQexec(conn_, "ROLLBACK"));
    return false;
  };
  if (!Exec("BEGIN", error)) return false;
  warehouses_.clear();
  skus_.clear();
  quantities_.clear();
  prices_.clear();
  std::string currency;
  int64_t total = 0;
  // Stock rows locked in one order (by SKU) by every transaction, or two orders could each
  // hold a row the other waits for (a deadlock PostgreSQL would break by failing one).
  sorted_ = r.lines;
  std::sort(sorted_.begin(), sorted_.end(), [](const Line& a, const Line& b) { return a.sku < b.sku; });
  for (const Line& line : sorted_) {
    const std::string sku(line.sku), qty = std::to_string(line.quantity), region(r.region);
    const char* params[3] = {sku.c_str(), qty.c_str(), region.c_str()};
    PGresult* res = PQexecPrepared(conn_, "reserve", 3, params, nullptr, nullptr, 0);
    if (PQresultStatus(res) != PGRES_TUPLES_OK) return fail("reserve stock", res);
    if (PQntuples(res) == 0) {  // no warehouse holds it, or another order took it first
      PQclear(res);
      *outcome = Outcome::kOutOfStock;
      return Exec("ROLLBACK", error);
    }
    warehouses_.emplace_back(PQgetvalue(res, 0, 0));
    const int64_t price = std::stoll(PQgetvalue(res, 0, 1));
    if (currency.empty()) currency = PQgetvalue(res, 0, 2);
    PQclear(res);
    skus_.push_back(sku);
    quantities_.push_back(line.quantity);
    prices_.push_back(price);
    total += price * line.quantity;
  }
  char id[32];
  std::snprintf(id, sizeof id, "ord-%016llx", static_cast<unsigned long long>(rng_.next()));
  const std::string customer(r.customer), key(r.idempotency_key), total_text = std::to_string(total);
  const char* order_params[5] = {id, customer.c_str(), key.c_str(), total_text.c_str(), currency.c_str()};
  PGresult* res = PQexecPrepared(conn_, "order", 5, order_params, nullptr, nullptr, 0);
  if (PQresultStatus(res) != PGRES_COMMAND_OK) return fail("insert order", res);
  const bool inserted = std::string_view(PQcmdTuples(res)) == "1";
  PQclear(res);
  if (!inserted) {  // a replay of the key (or an unknown customer): nothing of it is kept
    *outcome = Outcome::kReplayed;
    return Exec("ROLLBACK", error);
  }
  const std::string skus = ArrayLiteral(skus_), whs = ArrayLiteral(warehouses_), qs = ArrayLiteral(quantities_),
                    ps = ArrayLiteral(prices_);
  const char* line_params[5] = {id, skus.c_str(), whs.c_str(), qs.c_str(), ps.c_str()};
  res = PQexecPrepared(conn_, "lines", 5, line_params, nullptr, nullptr, 0);
  if (PQresultStatus(res) != PGRES_COMMAND_OK) return fail("insert lines", res);
  PQclear(res);
  if (!Exec("COMMIT", error)) return false;
  *outcome = Outcome::kPlaced;
  return true;
}

std::string PgSyncStandbys(const std::string& conninfo) {
  std::string error;
  PGconn* conn = Connect(conninfo, "", &error);
  if (!conn) return "?";
  PGresult* r = PQexec(conn, "SHOW synchronous_standby_names");
  std::string out = PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1 ? PQgetvalue(r, 0, 0) : "?";
  PQclear(r);
  PQfinish(conn);
  return out;
}

bool PgDropSchema(const std::string& conninfo, const std::string& schema, std::string* error) {
  PGconn* conn = Connect(conninfo, "", error);
  if (!conn) return false;
  bool ok = Ok(conn, PQexec(conn, ("DROP SCHEMA IF EXISTS \"" + schema + "\" CASCADE").c_str()), "drop schema", error);
  PQfinish(conn);
  return ok;
}

}  // namespace commerce::bench
