#include "peer_sqlite_orders.h"

#include <sqlite3.h>

#include "sqlite_util.h"

#include <chrono>
#include <cstdio>

namespace commerce::bench {

namespace {

constexpr uint64_t kLoadBatch = 50'000;


void BindText(sqlite3_stmt* stmt, int i, std::string_view s) {
  sqlite3_bind_text(stmt, i, s.data(), static_cast<int>(s.size()), SQLITE_STATIC);
}

constexpr char kSchema[] = R"sql(
CREATE TABLE IF NOT EXISTS products (
  sku TEXT PRIMARY KEY, price INTEGER NOT NULL, currency TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS warehouses (
  id TEXT PRIMARY KEY, region TEXT NOT NULL, priority INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS stock (
  sku TEXT NOT NULL, warehouse TEXT NOT NULL,
  on_hand INTEGER NOT NULL, reserved INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (sku, warehouse)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS customers (id TEXT PRIMARY KEY, email TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS orders (
  id TEXT PRIMARY KEY, customer TEXT NOT NULL, idempotency_key TEXT NOT NULL UNIQUE,
  total INTEGER NOT NULL, currency TEXT NOT NULL, created INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS orders_by_customer ON orders (customer, created);
CREATE TABLE IF NOT EXISTS order_lines (
  order_id TEXT NOT NULL, line_no INTEGER NOT NULL, sku TEXT NOT NULL, warehouse TEXT NOT NULL,
  quantity INTEGER NOT NULL, unit_price INTEGER NOT NULL,
  PRIMARY KEY (order_id, line_no)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS cart_lines (
  cart_id TEXT NOT NULL, sku TEXT NOT NULL, quantity INTEGER NOT NULL, unit_price INTEGER NOT NULL,
  PRIMARY KEY (cart_id, sku)) WITHOUT ROWID;
)sql";

constexpr char kFindKeySql[] = "SELECT id FROM orders WHERE idempotency_key = ?1";
constexpr char kFindCustomerSql[] = "SELECT 1 FROM customers WHERE id = ?1";
constexpr char kPriceSql[] = "SELECT price, currency FROM products WHERE sku = ?1";
// The SKU's stock rows that can ship the whole line: the shipping region's first, then by
// priority, then by id (the engine's preference order).
constexpr char kPickWarehouseSql[] =
    "SELECT s.warehouse FROM stock s JOIN warehouses w ON w.id = s.warehouse "
    "WHERE s.sku = ?1 AND s.on_hand - s.reserved >= ?2 "
    "ORDER BY (w.region = ?3) DESC, w.priority DESC, s.warehouse LIMIT 1";
constexpr char kReserveSql[] =
    "UPDATE stock SET reserved = reserved + ?1 "
    "WHERE sku = ?2 AND warehouse = ?3 AND on_hand - reserved >= ?1";
constexpr char kInsertOrderSql[] =
    "INSERT INTO orders (id, customer, idempotency_key, total, currency, created) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6)";
constexpr char kInsertLineSql[] =
    "INSERT INTO order_lines (order_id, line_no, sku, warehouse, quantity, unit_price) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6)";
constexpr char kCartAddSql[] =
    "INSERT INTO cart_lines (cart_id, sku, quantity, unit_price) "
    "SELECT ?1, sku, ?3, price FROM products WHERE sku = ?2 "
    "ON CONFLICT (cart_id, sku) DO UPDATE SET quantity = quantity + excluded.quantity, "
    "unit_price = excluded.unit_price";
constexpr char kCartSetSql[] =
    "INSERT OR REPLACE INTO cart_lines (cart_id, sku, quantity, unit_price) "
    "SELECT ?1, sku, ?3, price FROM products WHERE sku = ?2";

// Runs `n` inserts of `sql`, kLoadBatch a transaction; `bind(i, stmt)` binds row i (any
// strings it binds must live until the step: it keeps them in its own captures).
bool LoadRows(const std::string& file, const char* sql, uint64_t n,
              const std::function<void(uint64_t, sqlite3_stmt*)>& bind, Progress* progress,
              std::string* error) {
  sqlite3* db = SqliteConnect(file, error);
  if (!db) return false;
  sqlite3_stmt* stmt = nullptr;
  bool ok = SqlitePrepare(db, sql, &stmt, error);
  for (uint64_t i = 0; ok && i < n;) {
    ok = SqliteExec(db, "BEGIN IMMEDIATE", error);
    const uint64_t end = std::min(n, i + kLoadBatch);
    for (; ok && i < end; ++i) {
      bind(i, stmt);
      std::string msg;
      if (SqliteStepDone(stmt, &msg) != SQLITE_OK) {
        *error = std::string("sqlite: ") + sql + ": " + msg;
        ok = false;
      }
    }
    if (ok) ok = SqliteExec(db, "COMMIT", error);
    if (ok && progress) progress->Update(i);
  }
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  return ok;
}

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

std::unique_ptr<SqliteOrdersPeer> SqliteOrdersPeer::Open(const std::string& dir, std::string* error) {
  std::unique_ptr<SqliteOrdersPeer> peer(new SqliteOrdersPeer);
  peer->file_ = dir + "/orders.sqlite";
  sqlite3* db = SqliteConnect(peer->file_, error);
  if (!db) return nullptr;
  bool ok = SqliteExec(db, kSchema, error);
  sqlite3_close(db);
  if (!ok) return nullptr;
  return peer;
}

bool SqliteOrdersPeer::LoadProducts(uint64_t n, const ProductGen& gen, Progress* progress,
                                    std::string* error) {
  std::string sku, currency;
  int64_t price = 0;
  return LoadRows(
      file_, "INSERT INTO products (sku, price, currency) VALUES (?1, ?2, ?3)", n,
      [&](uint64_t i, sqlite3_stmt* s) {
        gen(i, &sku, &price, &currency);
        BindText(s, 1, sku);
        sqlite3_bind_int64(s, 2, price);
        BindText(s, 3, currency);
      },
      progress, error);
}

bool SqliteOrdersPeer::LoadWarehouses(uint64_t n, const WarehouseGen& gen, std::string* error) {
  std::string id, region;
  int64_t priority = 0;
  return LoadRows(
      file_, "INSERT INTO warehouses (id, region, priority) VALUES (?1, ?2, ?3)", n,
      [&](uint64_t i, sqlite3_stmt* s) {
        gen(i, &id, &region, &priority);
        BindText(s, 1, id);
        BindText(s, 2, region);
        sqlite3_bind_int64(s, 3, priority);
      },
      nullptr, error);
}

bool SqliteOrdersPeer::LoadStock(uint64_t n, const StockGen& gen, Progress* progress, std::string* error) {
  std::string sku, warehouse;
  int64_t on_hand = 0;
  return LoadRows(
      file_, "INSERT INTO stock (sku, warehouse, on_hand, reserved) VALUES (?1, ?2, ?3, 0)", n,
      [&](uint64_t i, sqlite3_stmt* s) {
        gen(i, &sku, &warehouse, &on_hand);
        BindText(s, 1, sku);
        BindText(s, 2, warehouse);
        sqlite3_bind_int64(s, 3, on_hand);
      },
      progress, error);
}

bool SqliteOrdersPeer::LoadCustomers(uint64_t n, const CustomerGen& gen, std::string* error) {
  std::string id, email;
  return LoadRows(
      file_, "INSERT INTO customers (id, email) VALUES (?1, ?2)", n,
      [&](uint64_t i, sqlite3_stmt* s) {
        gen(i, &id, &email);
        BindText(s, 1, id);
        BindText(s, 2, email);
      },
      nullptr, error);
}

bool SqliteOrdersPeer::Checkpoint(std::string* error) {
  sqlite3* db = SqliteConnect(file_, error);
  if (!db) return false;
  bool ok = SqliteExec(db, "PRAGMA wal_checkpoint(TRUNCATE)", error);
  sqlite3_close(db);
  return ok;
}

bool SqliteOrdersPeer::Available(std::string_view sku, int64_t* units, std::string* error) {
  sqlite3* db = SqliteConnect(file_, error);
  if (!db) return false;
  sqlite3_stmt* s = nullptr;
  bool ok = SqlitePrepare(db, "SELECT COALESCE(SUM(on_hand - reserved), 0) FROM stock WHERE sku = ?1", &s, error);
  if (ok) {
    sqlite3_bind_text(s, 1, sku.data(), static_cast<int>(sku.size()), SQLITE_TRANSIENT);
    ok = sqlite3_step(s) == SQLITE_ROW;
    if (ok) *units = sqlite3_column_int64(s, 0);
    else SqliteFail(db, "available units", error);
  }
  sqlite3_finalize(s);
  sqlite3_close(db);
  return ok;
}

std::unique_ptr<SqliteOrdersPeer::Client> SqliteOrdersPeer::NewClient(uint64_t seed, std::string* error) {
  std::unique_ptr<Client> c(new Client);
  c->id_state_ = seed;
  c->db_ = SqliteConnect(file_, error);
  if (!c->db_) return nullptr;
  sqlite3* db = c->db_;
  if (!SqlitePrepare(db, "BEGIN IMMEDIATE", &c->begin_, error) || !SqlitePrepare(db, "COMMIT", &c->commit_, error) ||
      !SqlitePrepare(db, "ROLLBACK", &c->rollback_, error) || !SqlitePrepare(db, kFindKeySql, &c->find_key_, error) ||
      !SqlitePrepare(db, kFindCustomerSql, &c->find_customer_, error) ||
      !SqlitePrepare(db, kPriceSql, &c->price_, error) ||
      !SqlitePrepare(db, kPickWarehouseSql, &c->pick_warehouse_, error) ||
      !SqlitePrepare(db, kReserveSql, &c->reserve_, error) ||
      !SqlitePrepare(db, kInsertOrderSql, &c->insert_order_, error) ||
      !SqlitePrepare(db, kInsertLineSql, &c->insert_line_, error) ||
      !SqlitePrepare(db, kCartAddSql, &c->cart_add_, error) || !SqlitePrepare(db, kCartSetSql, &c->cart_set_, error))
    return nullptr;
  return c;
}

SqliteOrdersPeer::Client::~Client() {
  for (sqlite3_stmt* s : {begin_, commit_, rollback_, find_key_, find_customer_, price_, pick_warehouse_,
                          reserve_, insert_order_, insert_line_, cart_add_, cart_set_})
    sqlite3_finalize(s);
  sqlite3_close(db_);
}

bool SqliteOrdersPeer::Client::Rollback() {
  if (sqlite3_get_autocommit(db_)) return true;  // SQLite already rolled back
  return SqliteStepDone(rollback_) == SQLITE_OK;
}

bool SqliteOrdersPeer::Client::PlaceOrder(const OrderRequest& r, Outcome* outcome, std::string* error) {
  std::string msg;
  auto fail = [&](const std::string& what) {
    *error = "sqlite: " + what + ": " + msg;
    Rollback();
    return false;
  };
  if (SqliteStepDone(begin_, &msg) != SQLITE_OK) {
    *error = "sqlite: BEGIN IMMEDIATE: " + msg;
    return false;
  }

  // 1. Idempotency: the key's order, if any, is the answer.
  BindText(find_key_, 1, r.idempotency_key);
  int rc = sqlite3_step(find_key_);
  sqlite3_reset(find_key_);
  if (rc == SQLITE_ROW) {
    *outcome = Outcome::kReplayed;
    if (SqliteStepDone(commit_, &msg) != SQLITE_OK) return fail("COMMIT");
    return true;
  }
  if (rc != SQLITE_DONE) return msg = sqlite3_errmsg(db_), fail("find idempotency key");

  // 2. The customer must exist.
  BindText(find_customer_, 1, r.customer);
  rc = sqlite3_step(find_customer_);
  sqlite3_reset(find_customer_);
  if (rc == SQLITE_DONE) return msg = "no customer '" + std::string(r.customer) + "'", fail("NotFound");
  if (rc != SQLITE_ROW) return msg = sqlite3_errmsg(db_), fail("find customer");

  // 3. Price, pick a warehouse and reserve, line by line.
  struct Placed {
    std::string warehouse;
    int64_t unit_price = 0;
  };
  std::vector<Placed> placed(r.lines.size());
  std::string currency;
  int64_t total = 0;
  for (size_t i = 0; i < r.lines.size(); ++i) {
    const Line& line = r.lines[i];
    BindText(price_, 1, line.sku);
    rc = sqlite3_step(price_);
    if (rc == SQLITE_ROW) {
      placed[i].unit_price = sqlite3_column_int64(price_, 0);
      if (currency.empty())
        currency.assign(reinterpret_cast<const char*>(sqlite3_column_text(price_, 1)),
                        static_cast<size_t>(sqlite3_column_bytes(price_, 1)));
    }
    sqlite3_reset(price_);
    if (rc == SQLITE_DONE) return msg = "no product has sku '" + std::string(line.sku) + "'", fail("NotFound");
    if (rc != SQLITE_ROW) return msg = sqlite3_errmsg(db_), fail("read price");
    total += placed[i].unit_price * line.quantity;

    BindText(pick_warehouse_, 1, line.sku);
    sqlite3_bind_int64(pick_warehouse_, 2, line.quantity);
    BindText(pick_warehouse_, 3, r.region);
    rc = sqlite3_step(pick_warehouse_);
    if (rc == SQLITE_ROW)
      placed[i].warehouse.assign(reinterpret_cast<const char*>(sqlite3_column_text(pick_warehouse_, 0)),
                                 static_cast<size_t>(sqlite3_column_bytes(pick_warehouse_, 0)));
    sqlite3_reset(pick_warehouse_);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) return msg = sqlite3_errmsg(db_), fail("pick warehouse");
    if (rc == SQLITE_DONE) {
      *outcome = Outcome::kOutOfStock;
      if (!Rollback()) return msg = sqlite3_errmsg(db_), fail("ROLLBACK");
      return true;
    }

    sqlite3_bind_int64(reserve_, 1, line.quantity);
    BindText(reserve_, 2, line.sku);
    BindText(reserve_, 3, placed[i].warehouse);
    if (SqliteStepDone(reserve_, &msg) != SQLITE_OK) return fail("reserve stock");
    if (sqlite3_changes(db_) != 1) {  // the guard: never below zero available
      *outcome = Outcome::kOutOfStock;
      if (!Rollback()) return msg = sqlite3_errmsg(db_), fail("ROLLBACK");
      return true;
    }
  }

  // 4. The order and its lines.
  char id[32];
  uint64_t z = (id_state_ += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  z ^= z >> 31;
  const int id_len = std::snprintf(id, sizeof id, "ord-%016llx", static_cast<unsigned long long>(z));
  const std::string_view order_id(id, static_cast<size_t>(id_len));
  BindText(insert_order_, 1, order_id);
  BindText(insert_order_, 2, r.customer);
  BindText(insert_order_, 3, r.idempotency_key);
  sqlite3_bind_int64(insert_order_, 4, total);
  BindText(insert_order_, 5, currency);
  sqlite3_bind_int64(insert_order_, 6, NowMs());
  if (SqliteStepDone(insert_order_, &msg) != SQLITE_OK) return fail("insert order");
  for (size_t i = 0; i < r.lines.size(); ++i) {
    BindText(insert_line_, 1, order_id);
    sqlite3_bind_int64(insert_line_, 2, static_cast<int64_t>(i));
    BindText(insert_line_, 3, r.lines[i].sku);
    BindText(insert_line_, 4, placed[i].warehouse);
    sqlite3_bind_int64(insert_line_, 5, r.lines[i].quantity);
    sqlite3_bind_int64(insert_line_, 6, placed[i].unit_price);
    if (SqliteStepDone(insert_line_, &msg) != SQLITE_OK) return fail("insert order line");
  }
  if (SqliteStepDone(commit_, &msg) != SQLITE_OK) return fail("COMMIT");
  *outcome = Outcome::kPlaced;
  return true;
}

namespace {

bool CartStatement(sqlite3* db, sqlite3_stmt* stmt, const char* what, std::string_view cart_id,
                   std::string_view sku, int64_t quantity, std::string* error) {
  BindText(stmt, 1, cart_id);
  BindText(stmt, 2, sku);
  sqlite3_bind_int64(stmt, 3, quantity);
  std::string msg;
  if (SqliteStepDone(stmt, &msg) != SQLITE_OK) {
    *error = std::string("sqlite: ") + what + ": " + msg;
    return false;
  }
  if (sqlite3_changes(db) < 1) {
    *error = std::string("sqlite: ") + what + ": NotFound: no product has sku '" + std::string(sku) + "'";
    return false;
  }
  return true;
}

}  // namespace

bool SqliteOrdersPeer::Client::CartAdd(std::string_view cart_id, std::string_view sku, int64_t quantity,
                                       std::string* error) {
  return CartStatement(db_, cart_add_, "cart add", cart_id, sku, quantity, error);
}

bool SqliteOrdersPeer::Client::CartSet(std::string_view cart_id, std::string_view sku, int64_t quantity,
                                       std::string* error) {
  return CartStatement(db_, cart_set_, "cart set_quantity", cart_id, sku, quantity, error);
}

}  // namespace commerce::bench
