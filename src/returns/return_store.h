// Returns inside a transaction: the stored record, its indexes and the per-order tally that
// keeps an order's returns within what it holds (returns.h, docs/returns.md).
//
// Tables (keys in common/key.h's tuple encoding):
//   returns        return id                   -> Return (checksummed cereal, version 1)
//   order_returns  (order id, return id)       -> ""   an order's returns
//   return_keys    (order id, idempotency key) -> return id
//
// Thread safety: these functions run inside one transaction, on that transaction's thread.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "commerce/returns.h"
#include "commerce/storage.h"
#include "engine/engine_core.h"

namespace commerce {

std::string ReturnKey(std::string_view return_id);
std::string OrderReturnKey(std::string_view order_id, std::string_view return_id);
std::string OrderReturnPrefix(std::string_view order_id);
std::string ReturnIdempotencyKey(std::string_view order_id, std::string_view key);

std::string EncodeReturn(const Return& r);
// Corruption naming the table and key for a record that does not decode.
Status DecodeReturn(std::string_view key, std::string_view bytes, Return* r);

// NotFound "no return with id '...'"; Corruption for a damaged record.
Result<Return> ReadReturn(ReadView& view, const Tables& t, std::string_view return_id);
// The order's returns, oldest first (by creation time, then id).
Result<std::vector<Return>> ReadOrderReturns(ReadView& view, const Tables& t, std::string_view order_id);

// Whether a return's units count against the order (every status but rejected, cancelled).
bool HoldsUnits(ReturnStatus s);
// Whether a return is still open (requested, approved, received).
bool IsOpen(ReturnStatus s);
// Units of each SKU held by the order's returns that HoldsUnits.
std::map<std::string, int64_t> ReturnedUnits(const std::vector<Return>& returns);

// For the order's own delivered -> returned move (order_state.cpp): FailedPrecondition when
// a return of the order holds units (not rejected or cancelled), since the move would restock
// and refund the same units again.
Status CheckNoReturnHoldsUnits(ReadView& view, const Tables& t, std::string_view order_id);

// Writes `r` with its version bumped and updated_at_ms = now_ms.
Status PutReturnInTxn(WriteTxn& txn, const Tables& t, Return& r, int64_t now_ms);

// Appends the event `type` ("ReturnRequested", ...) about `r`.
Status AppendReturnEvent(WriteTxn& txn, const Tables& t, std::string_view type, const Return& r,
                         int64_t now_ms);

}  // namespace commerce
