// What the checks of commerce verify share (verify.h): the report they add problems to, the
// snapshot they read, and small helpers for reading it.
//
// Every check reads through the storage seam (ReadView), so the same checks run on an LMDB
// file read page by page without liblmdb (LmdbFileView), on SQLite, and on an open engine's
// snapshot (Engine::verify). A read error — a damaged page, SQLITE_CORRUPT — is a problem of
// the check that met it, and that check goes on with its next table.
//
// Thread safety: one CheckContext per verifying thread.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "commerce/storage.h"
#include "commerce/verify.h"
#include "engine/engine_core.h"

namespace commerce::verify {

// What one check learns that a later one needs (RunRecordChecks' order).
struct Facts {
  uint64_t first_event = 0, last_event = 0;  // 0, 0: no events
  bool log_from_start = false;               // the log starts at 1 with no gap
  // Per (sku, warehouse id): the state the last stock event left, and the holds whose ref is
  // not an order id (Inventory::reserve) still outstanding — from the event log.
  struct StockFromEvents {
    int64_t on_hand = 0, reserved = 0;
    int64_t held_by_refs = 0;
    uint64_t last_seq = 0;
    // A split stock (StockSplit until StockMerged): each slot's counts by the events seen
    // since; a slot absent here has an unknown state (its split is before the log).
    bool split = false;
    struct Slot {
      int64_t on_hand = 0, reserved = 0;
      uint64_t last_seq = 0;
    };
    std::map<int64_t, Slot> slots;
  };
  std::map<std::pair<std::string, std::string>, StockFromEvents> stock_events;
  // Per (sku, warehouse id): units reserved by orders that are placed, paid or fulfilling.
  std::map<std::pair<std::string, std::string>, int64_t> reserved_by_orders;
  // Per cart id: the seq of its newest CartCreated/CartUpdated/CartMerged event.
  std::map<std::string, uint64_t, std::less<>> cart_last_event;
  // Consumer cursors (meta), by name.
  std::map<std::string, uint64_t, std::less<>> cursors;
};

class CheckContext {
 public:
  // `tables`: the engine's tables in `view` (a missing one reads as empty there).
  CheckContext(ReadView* view, const Tables& tables, VerifyReport* report,
               const VerifyOptions& options);

  // Records a problem; at most options.max_problems_per_check are kept per check, all are
  // counted.
  void Problem(std::string_view check, std::string where, std::string what);
  uint64_t problems(std::string_view check) const;

  void Progress(std::string_view stage, std::string_view table, uint64_t done) const;
  void Note(std::string note) { report_->notes.push_back(std::move(note)); }

  // Calls fn(key, value) for every entry of `table` in key order; false from fn stops. A read
  // error is a problem of `check` naming the table. Counts the table's records in the report
  // when `count` is set (each table is counted by the one check that owns it).
  void Scan(std::string_view check, std::string_view table,
            const std::function<bool(std::string_view key, std::string_view value)>& fn,
            bool count = false);
  // The value under `key`, nullopt when absent. A read error is a problem of `check` and
  // reads as absent.
  std::optional<std::string> Get(std::string_view check, std::string_view table,
                                 std::string_view key);
  bool Has(std::string_view check, std::string_view table, std::string_view key) {
    return Get(check, table, key).has_value();
  }

  // A table outside kTableNames (search_analytics, opened by the search service), for Scan.
  void AddTable(std::string name, Table table) { by_name_.emplace(std::move(name), table); }

  ReadView* view() { return view_; }
  const Tables& tables() const { return tables_; }
  VerifyReport& report() { return *report_; }
  const VerifyOptions& options() const { return options_; }
  Facts facts;

 private:
  ReadView* view_;
  Tables tables_;
  std::map<std::string, Table, std::less<>> by_name_;
  VerifyReport* report_;
  const VerifyOptions& options_;
};

// "<table> (<key as DescribeKey shows it>)": where a record is, in problems.
std::string Where(std::string_view table, std::string_view key);

// Decodes one record with the engine's own decoder, under a UTF-8 audit (memory_archive.h):
// a record that does not decode (bad checksum, bad archive) is a "records" problem, one with
// a string that is not UTF-8 a "utf8" problem. Counts records of codec version 1. True when
// *out is usable.
bool DecodeRecord(CheckContext& c, std::string_view table, std::string_view key,
                  std::string_view value, const std::function<Status()>& decode);

// The checks, in the order RunRecordChecks runs them; each reads whole tables and may look
// up others. What each checks is said where it is defined.
void CheckMeta(CheckContext& c);
void CheckEvents(CheckContext& c);      // also gathers what the stock and cart checks need
void CheckCatalog(CheckContext& c);
void CheckCustomers(CheckContext& c);
void CheckOrders(CheckContext& c);      // also gathers the live orders' reservations
void CheckInventory(CheckContext& c);
void CheckCarts(CheckContext& c);
void CheckWebhooks(CheckContext& c);
void CheckPayments(CheckContext& c);
void CheckReturns(CheckContext& c);
void CheckPriceLists(CheckContext& c);
void CheckChannels(CheckContext& c);
void CheckPromotions(CheckContext& c);
void CheckSearchAnalytics(CheckContext& c);

// Every check above, in order, over one snapshot.
void RunRecordChecks(CheckContext& c);

}  // namespace commerce::verify
