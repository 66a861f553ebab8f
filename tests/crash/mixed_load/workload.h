// The crash harness's shop and the child that loads it (tests/crash/mixed_load/main.cpp).
//
// The shop: kProducts products of two variants each, three warehouses in two regions, four
// customers. The child opens the store, says so in the journal, and runs `threads` threads
// until it is killed. Each thread draws operations at random: catalog upserts, stock
// receipts, edits of its own cart (create, add, set, remove, clear), orders placed from its
// cart or from lines, every order transition (paid, fulfilling, shipped, delivered, returned
// with or without restock, refunded, cancelled) on the orders it owns, and retries of
// acknowledged placements with their idempotency key. Before each call it journals the
// intent, after it the outcome (journal.h).
//
// Ownership keeps every check exact under concurrency: a cart is edited and an order moved
// by one thread only (orders by a hash of their id), so the parent knows each one's history.
// Products, stock and keys are shared by every thread.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "commerce/engine.h"
#include "crash/mixed_load/journal.h"

namespace commerce::crash {

struct HarnessOptions {
  std::string driver = "lmdb";
  int rounds = 10;
  int threads = 4;
  uint64_t seed = 1;
  size_t lmdb_map_size = 0;                // 0: the engine's default
  std::string checkpoints = "default";     // LMDB: "default", "off" or "frequent"
  std::string sqlite_synchronous;          // SQLite: "" (the default, FULL) or "NORMAL"
  int verify_every = 3;                    // reopen and check after every Nth round (and the last)
  int max_load_ms = 300;                   // a round's kill lands this long after open, at most
  int open_kill_percent = 25;              // rounds whose kill is aimed at open (recovery)
  std::string dir;                         // the store; empty: a new temporary directory
  bool keep = false;                       // keep the store after the run
  bool verbose = false;
};

inline constexpr int kProducts = 24;
inline constexpr const char* kWarehouses[] = {"wh-a", "wh-b", "wh-c"};
inline constexpr const char* kCustomers[] = {"c0", "c1", "c2", "c3"};

std::string ProductId(int i);       // "p07"
std::string Sku(int i, int variant);  // "p07-a", "p07-b"
// Thread t's carts are "cart-t<t>-r<round>-n<opno>"; an order belongs to a hash of its id.
std::string CartId(int thread, int round, uint64_t opno);
int ThreadOfCart(const std::string& cart_id);
int ThreadOfOrder(const std::string& order_id, int threads);

// The engine options of the harness's store, for the child and for the checks.
EngineOptions MakeEngineOptions(const HarnessOptions& h);
// Warehouses, customers, products and their first stock, written once before round 0.
Status SetUpShop(Engine& engine);

// A placement request as the workload makes it: from a cart, or from lines.
PlaceOrder MakeRequest(const std::string& key, const std::string& customer, const std::string& cart_id,
                       const std::vector<std::pair<std::string, int64_t>>& lines, const std::string& region);

// What the parent hands a child (it is forked, so this is a copy of the parent's memory).
struct ChildPlan {
  int round = 0;
  std::vector<PlaceOrder> retries;        // placements whose outcome the parent does not know
  std::vector<PlaceOrder> acked;          // acknowledged placements, to retry as a client would
  std::vector<std::string> orders;        // orders that may still move
  std::vector<std::string> carts;         // each thread's current cart (it may not exist yet)
};

// Never returns: runs until killed, or exits 3 after journalling E.
[[noreturn]] void RunChild(const HarnessOptions& options, const ChildPlan& plan, int journal_fd);

}  // namespace commerce::crash
