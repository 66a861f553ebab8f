// INTERIM: the store-wide invariants the crash harness checks after each reopen, written
// here until commerce::VerifyStore (include/commerce/verify.h) is on main; the harness then
// calls that instead and this file goes.
//
//   - the event log has no gap: sequences 1..last_seq, each once;
//   - per SKU and warehouse, reserved = the units of live orders (placed, paid, fulfilling)
//     allocated there, and on hand = every StockReceived (restocked returns included) minus
//     the units of orders that shipped; 0 <= reserved <= on hand;
//   - one OrderPlaced per order, one OrderStatusChanged per move in the orders' histories.
#pragma once

#include <string>
#include <vector>

#include "commerce/engine.h"

namespace commerce::crash {

void CheckStoreInvariants(Engine& engine, std::vector<std::string>* violations);

}  // namespace commerce::crash
