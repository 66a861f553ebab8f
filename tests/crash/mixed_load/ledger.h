// The crash harness's ledger: what the children's journals say was acknowledged, and the
// check of a reopened store against it.
//
// Every acknowledged operation must be found after any crash:
//   upsert      the product at that version or later, with that title at that version;
//   receive     a StockReceived event with that quantity and the levels the call returned;
//   cart edits  the cart as the last acknowledged edit returned it, or as the one edit whose
//               outcome is unknown (in flight at the kill) would leave it;
//   place       the order, with its idempotency key and lines; its key never answered with
//               another order (by a retry in a later round, or a client retry of an
//               acknowledged request);
//   transition  the order at that version or later, with that move at that version.
// An operation whose outcome is unknown may or may not be there, but nothing else may: a
// placement in flight is retried with its key by the next child, which must find the first
// order if it was committed.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "commerce/engine.h"
#include "crash/mixed_load/journal.h"
#include "crash/mixed_load/workload.h"

namespace commerce::crash {

// What a check found: acknowledged operations missing, and anything else wrong.
struct Findings {
  std::vector<std::string> lost;
  std::vector<std::string> violations;
};

class Ledger {
 public:
  explicit Ledger(int threads);

  // One journal line of the running child.
  void Apply(const JournalEntry& e, Findings* f);
  // The child is dead: each thread's operation in flight becomes a possibility.
  void EndRound();
  // Checks the reopened store; returns how many acknowledged operations it checked.
  uint64_t Check(Engine& engine, Findings* f);
  ChildPlan Plan(int round) const;

  uint64_t acked() const { return acked_; }
  uint64_t unknown() const { return unknown_; }

 private:
  struct ProductAck {
    uint64_t version = 0;
    std::string title;
  };
  struct OrderAck {
    std::string key;
    std::string lines;
    bool checked = false;
    std::map<uint64_t, std::string> moves;  // version -> status moved to, not yet checked
    bool done = false;                      // cancelled or refunded when last seen
  };
  struct Receipt {
    std::string sku, wh;
    int64_t qty = 0, on_hand = 0, reserved = 0;
  };

  void ApplyAck(const JournalEntry& e, Findings* f);
  void AnswerKey(const std::string& key, const std::string& order_id, Findings* f);
  static std::string ApplyCartOp(const std::vector<std::string>& intent, const std::string& lines);

  int threads_;
  uint64_t acked_ = 0, unknown_ = 0;
  std::map<int, JournalEntry> in_flight_;           // thread -> its last intent without outcome
  std::map<std::string, ProductAck> products_;      // the newest acknowledged version
  std::vector<Receipt> receipts_;                   // not yet checked
  std::map<std::string, std::set<std::string>> carts_;  // cart -> possible lines ("!" = absent)
  std::vector<std::string> current_cart_;           // per thread
  std::map<std::string, PlaceOrder> requests_;      // every placement asked, by key
  std::map<std::string, std::string> key_order_;    // key -> the order it answered
  std::vector<std::string> acked_keys_;
  std::set<std::string> unresolved_;                // keys placed with an unknown outcome
  std::map<std::string, OrderAck> orders_;
  uint64_t pending_checks_ = 0;                     // acknowledged operations not yet checked
};

}  // namespace commerce::crash
