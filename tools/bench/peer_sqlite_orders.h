// Peer baseline "sqlite" of suite `orders`: order placement and cart edits written by hand
// against SQLite the way a competent user would, with nothing of commerce in between.
//
// Schema (one database file):
//   products(sku PRIMARY KEY, price, currency)                       WITHOUT ROWID
//   warehouses(id PRIMARY KEY, region, priority)                      WITHOUT ROWID
//   stock(sku, warehouse, on_hand, reserved, PRIMARY KEY(sku, warehouse))  WITHOUT ROWID
//   customers(id PRIMARY KEY, email)                                  WITHOUT ROWID
//   orders(id PRIMARY KEY, customer, idempotency_key UNIQUE, total, currency, created),
//     with an index on (customer, created) to list a customer's orders newest first
//   order_lines(order_id, line_no, sku, warehouse, quantity, unit_price,
//               PRIMARY KEY(order_id, line_no))                       WITHOUT ROWID
//   cart_lines(cart_id, sku, quantity, unit_price, PRIMARY KEY(cart_id, sku)) WITHOUT ROWID
//
// Durability and concurrency: WAL, PRAGMA synchronous=FULL (the WAL is fsynced at every
// commit, as durable as the engine's writes), one connection per client thread
// (SQLITE_OPEN_NOMUTEX) with busy_timeout so that writers queue on SQLite's write lock,
// prepared statements reused, the engine's SQLite driver's page cache (64 MiB), SQLite's
// default auto-checkpoint.
//
// One order = one `BEGIN IMMEDIATE` transaction:
//   1. the idempotency key: an order with it already exists -> answered with that order;
//   2. the customer must exist;
//   3. per line: its price from products; a warehouse that holds the line's quantity, the
//      shipping region's warehouses first, then priority, then id (one SELECT over the SKU's
//      few stock rows joined to warehouses); then
//        UPDATE stock SET reserved = reserved + ?qty
//         WHERE sku = ? AND warehouse = ? AND on_hand - reserved >= ?qty     (stock guard)
//      no warehouse, or the guard matching no row -> ROLLBACK, out of stock;
//   4. INSERT the order and its lines; COMMIT.
// It does not split a line across warehouses (the engine does, when it must) nor keep an
// event log or a status index (the engine does both): a user's simplest correct code.
//
// One cart edit = one statement in autocommit mode (its own durable transaction), priced
// from products in the same statement:
//   add:          INSERT INTO cart_lines ... SELECT ... FROM products WHERE sku = ?
//                 ON CONFLICT(cart_id, sku) DO UPDATE SET quantity = quantity + excluded.quantity
//   set_quantity: INSERT OR REPLACE INTO cart_lines ... SELECT ... FROM products WHERE sku = ?
//
// Thread safety: loading runs on one thread; a Client belongs to the thread that made it.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "harness.h"

struct sqlite3;
struct sqlite3_stmt;

namespace commerce::bench {

class SqliteOrdersPeer {
 public:
  // Creates the database file in `dir` and its schema.
  static std::unique_ptr<SqliteOrdersPeer> Open(const std::string& dir, std::string* error);

  const std::string& file() const { return file_; }

  // Loading, in batches of many rows a transaction. Each generator fills row i.
  using ProductGen = std::function<void(uint64_t i, std::string* sku, int64_t* price, std::string* currency)>;
  using WarehouseGen = std::function<void(uint64_t i, std::string* id, std::string* region, int64_t* priority)>;
  using StockGen = std::function<void(uint64_t i, std::string* sku, std::string* warehouse, int64_t* on_hand)>;
  using CustomerGen = std::function<void(uint64_t i, std::string* id, std::string* email)>;
  bool LoadProducts(uint64_t n, const ProductGen& gen, Progress* progress, std::string* error);
  bool LoadWarehouses(uint64_t n, const WarehouseGen& gen, std::string* error);
  bool LoadStock(uint64_t n, const StockGen& gen, Progress* progress, std::string* error);
  bool LoadCustomers(uint64_t n, const CustomerGen& gen, std::string* error);
  // Folds the WAL into the database file (after loading, as a long-running store would have).
  bool Checkpoint(std::string* error);
  // The SKU's units available (on hand less reserved) over every warehouse, read on a
  // connection of its own: what the hot-SKU case checks against the orders it placed.
  bool Available(std::string_view sku, int64_t* units, std::string* error);

  struct Line {
    std::string_view sku;
    int64_t quantity = 0;
  };
  struct OrderRequest {
    std::string_view idempotency_key;
    std::string_view customer;
    std::string_view region;  // the shipping address's region
    std::vector<Line> lines;  // distinct SKUs
  };
  enum class Outcome { kPlaced, kReplayed, kOutOfStock };

  class Client {
   public:
    ~Client();
    // The order in one BEGIN IMMEDIATE transaction, durable when it returns true with
    // kPlaced. kOutOfStock: rolled back, nothing written. false: an error (*error says).
    bool PlaceOrder(const OrderRequest& r, Outcome* outcome, std::string* error);
    // One durable statement each; false (NotFound) for an unknown SKU.
    bool CartAdd(std::string_view cart_id, std::string_view sku, int64_t quantity, std::string* error);
    bool CartSet(std::string_view cart_id, std::string_view sku, int64_t quantity, std::string* error);

   private:
    friend class SqliteOrdersPeer;
    Client() = default;
    bool Rollback();
    sqlite3* db_ = nullptr;
    uint64_t id_state_ = 0;  // order ids: "ord-" + 16 hex digits of a per-client sequence
    // Prepared once, reused for every call.
    sqlite3_stmt* begin_ = nullptr;
    sqlite3_stmt* commit_ = nullptr;
    sqlite3_stmt* rollback_ = nullptr;
    sqlite3_stmt* find_key_ = nullptr;
    sqlite3_stmt* find_customer_ = nullptr;
    sqlite3_stmt* price_ = nullptr;
    sqlite3_stmt* pick_warehouse_ = nullptr;
    sqlite3_stmt* reserve_ = nullptr;
    sqlite3_stmt* insert_order_ = nullptr;
    sqlite3_stmt* insert_line_ = nullptr;
    sqlite3_stmt* cart_add_ = nullptr;
    sqlite3_stmt* cart_set_ = nullptr;
  };
  // A connection for the calling thread. `seed` makes its order ids distinct from every
  // other client's.
  std::unique_ptr<Client> NewClient(uint64_t seed, std::string* error);

 private:
  SqliteOrdersPeer() = default;
  std::string file_;
};

}  // namespace commerce::bench
