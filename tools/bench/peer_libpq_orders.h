// Peer baseline "libpq-sql" of suite `orders --driver postgres`: order placement written by
// hand against PostgreSQL with libpq, the way a competent user would, with nothing of commerce
// in between: one transaction per order at PostgreSQL's default READ COMMITTED, where a
// guarded UPDATE waits for a row another order holds and re-checks its condition.
//
// Schema (one PostgreSQL schema, made afresh by Open):
//   products(sku PRIMARY KEY, price, currency)
//   warehouses(id PRIMARY KEY, region, priority)
//   stock(sku, warehouse, on_hand, reserved, PRIMARY KEY(sku, warehouse))
//   customers(id PRIMARY KEY, email)
//   orders(id PRIMARY KEY, customer, idempotency_key UNIQUE, total, currency, created),
//     with an index on (customer, created) to list a customer's orders newest first
//   order_lines(order_id, line_no, sku, warehouse, quantity, unit_price, PRIMARY KEY(order_id, line_no))
//
// One order = BEGIN; per line (in SKU order, so that two orders never deadlock) one statement that picks the warehouse (the shipping region's
// first, then priority, then id, among those holding the quantity), reserves the quantity
// under the stock guard and returns the warehouse and the price:
//     UPDATE stock SET reserved = reserved + $q
//      WHERE (sku, warehouse) = (SELECT ... ORDER BY ... LIMIT 1)
//        AND on_hand - reserved >= $q RETURNING warehouse, (SELECT price ...)
// (the guard is checked again on the current row once another order's lock on it is gone; no
// row: another order took the stock first, or none is left -> ROLLBACK, out of stock);
// then one INSERT of the order (ON CONFLICT on the idempotency key: a replay), one INSERT of
// its lines (unnest of arrays), COMMIT. Prepared statements, binary-free text parameters,
// synchronous_commit as the server has it (on: durable, and on the synchronous replica when
// one is attached) -- as durable as the engine's writes. It does not split a line across
// warehouses, nor keep an event log or a status index (the engine does all three).
//
// Thread safety: loading runs on one thread; a Client (one connection) belongs to the thread
// that made it.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "harness.h"
#include "peer_sqlite_orders.h"

struct pg_conn;

namespace commerce::bench {

class LibpqOrdersPeer {
 public:
  // Connects with `conninfo` (libpq's), drops the schema `schema` if present and creates it
  // with the tables above.
  static std::unique_ptr<LibpqOrdersPeer> Open(const std::string& conninfo, const std::string& schema,
                                               std::string* error);
  ~LibpqOrdersPeer();

  // Loading with COPY. Each generator fills row i.
  using ProductGen = std::function<void(uint64_t i, std::string* sku, int64_t* price, std::string* currency)>;
  using WarehouseGen = std::function<void(uint64_t i, std::string* id, std::string* region, int64_t* priority)>;
  using StockGen = std::function<void(uint64_t i, std::string* sku, std::string* warehouse, int64_t* on_hand)>;
  using CustomerGen = std::function<void(uint64_t i, std::string* id, std::string* email)>;
  bool LoadProducts(uint64_t n, const ProductGen& gen, std::string* error);
  bool LoadWarehouses(uint64_t n, const WarehouseGen& gen, std::string* error);
  bool LoadStock(uint64_t n, const StockGen& gen, std::string* error);
  bool LoadCustomers(uint64_t n, const CustomerGen& gen, std::string* error);
  // ANALYZE, so that the planner knows the tables' sizes.
  bool Analyze(std::string* error);
  // The SKU's units available (on hand less reserved) over every warehouse.
  bool Available(const std::string& sku, int64_t* units, std::string* error);

  // The same orders as the SQLite peer's.
  using Line = SqliteOrdersPeer::Line;
  using OrderRequest = SqliteOrdersPeer::OrderRequest;
  using Outcome = SqliteOrdersPeer::Outcome;

  class Client {
   public:
    ~Client();
    // False with *error on a database failure (the transaction rolled back).
    bool PlaceOrder(const OrderRequest& r, Outcome* outcome, std::string* error);

   private:
    friend class LibpqOrdersPeer;
    Client(pg_conn* conn, std::string schema, uint64_t seed) : conn_(conn), schema_(std::move(schema)), rng_(seed) {}
    bool Prepare(std::string* error);
    bool Exec(const char* sql, std::string* error);

    pg_conn* conn_;
    std::string schema_;
    Rng rng_;
    std::vector<Line> sorted_;
    std::vector<std::string> warehouses_, skus_;
    std::vector<int64_t> quantities_, prices_;
  };
  // A new connection with its statements prepared; null with *error when that fails.
  std::unique_ptr<Client> NewClient(uint64_t seed, std::string* error);

 private:
  LibpqOrdersPeer(std::string conninfo, std::string schema, pg_conn* conn)
      : conninfo_(std::move(conninfo)), schema_(std::move(schema)), conn_(conn) {}
  bool Copy(const std::string& table, uint64_t n, const std::function<std::string(uint64_t)>& row,
            std::string* error);

  std::string conninfo_;
  std::string schema_;
  pg_conn* conn_;  // loading
};

// The server's synchronous_standby_names ("" when no synchronous replica is configured), for
// the report; "?" when it cannot be read.
std::string PgSyncStandbys(const std::string& conninfo);

// DROP SCHEMA ... CASCADE (the bench's own schemas, at the end of a run); false with *error.
bool PgDropSchema(const std::string& conninfo, const std::string& schema, std::string* error);

}  // namespace commerce::bench
