// Bringing a store written by an older version up to the format this version writes, when the
// engine opens it, before any engine writes to it.
//
// Formats (meta key ("format", "stock") -> u64, 8 bytes big-endian; absent means 1):
//   stock 1  cereal stock rows (inventory_codec.h)
//   stock 2  counters records, which the writer changes by itself with ChangeSet::add: a
//            reservation is a condition on the current counts, not on a snapshot's. The writer
//            refuses to add to a row that is not a counters record, so every row must be
//            rewritten before an order is placed with a change set.
//
// The rewrite runs in batches (kUpgradeBatch rows a write), each recording in the meta table
// (("upgrade", "stock") -> the last key done) how far it got, so an upgrade cut short (the
// process killed, the disk full) resumes where it stopped the next time the store opens. Rows
// are rewritten with the same counts and time, and no event: their history does not change.
// Rows already in format 2 (written by this version while the upgrade was cut short) are kept.
// A new, empty store is marked format 2 at once.
//
// Thread safety: called by Engine::open on its thread, before the engines are handed out.
// On a store that several processes share (PostgreSQL), each may run it at the same time: the
// rewrite of a row is the same whoever does it.
#pragma once

#include <cstdint>
#include <string>

#include "commerce/status.h"

namespace commerce {

class EngineCore;

inline constexpr uint64_t kStockFormat = 2;
inline constexpr size_t kUpgradeBatch = 2000;

// The meta keys above.
std::string FormatKey(const char* what);
std::string UpgradeKey(const char* what);

struct UpgradeStats {
  uint64_t rows_rewritten = 0;
  uint64_t batches = 0;
};

// Errors: those of the storage (the upgrade is resumed at the next open), Corruption for a row
// that does not decode (commerce verify names every one).
Status UpgradeStore(EngineCore& core, UpgradeStats* stats = nullptr);

}  // namespace commerce
