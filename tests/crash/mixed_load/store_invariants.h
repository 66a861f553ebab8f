// The store's invariants the crash harness checks after each reopen.
//
// Most are `commerce verify`'s (include/commerce/verify.h), and the harness runs it twice: on
// the reopened engine's snapshot (Engine::verify: every record and the invariants across them,
// among them the event log without a gap and stock reserved by exactly the live orders), and,
// once the engine is closed, on the store's files (VerifyStore: pages or SQLite's
// integrity_check, the log, the search index besides). A problem either reports is a violation.
//
// What verify cannot know, because it needs the workload's shape, is checked here:
//   - one OrderPlaced per order, one OrderStatusChanged per move in the orders' histories
//     (verify checks that each order's placement names its own event, not that no event
//     is left over);
//   - per SKU and warehouse, on hand = every StockReceived (restocked returns included) minus
//     the units of orders that shipped (verify checks that the stock events chain up, not that
//     what they shipped is what the orders did).
#pragma once

#include <string>
#include <vector>

#include "commerce/engine.h"

namespace commerce::crash {

// Engine::verify() on the open engine and the checks above.
void CheckStoreInvariants(Engine& engine, std::vector<std::string>* violations);
// VerifyStore on the closed store's files.
void VerifyClosedStore(const std::string& path, std::vector<std::string>* violations);

}  // namespace commerce::crash
