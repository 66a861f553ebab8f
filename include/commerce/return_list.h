// Returns across orders (returns.h, docs/returns.md "Listing"): those in some statuses (a
// shop's work queue: every `requested` return to decide, every `approved` one to receive) or
// of one customer, a page at a time. Returns::list_by_order answers one order's.
//
// A page is a walk of the returns table in return id order (ids are random: neither oldest
// nor newest first), from the cursor, looking at no more than kReturnListScanBudget returns:
// it can hold fewer than `limit` (even none) while next_cursor is not empty. A return that
// changes status while a client pages keeps its place (its id), so it is listed at most once.
// There is no index by status or customer yet: each page costs the returns it looks at.
//
// Thread safety: safe from any number of threads, like the Engine it reads.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "commerce/catalog.h"  // Page
#include "commerce/engine.h"
#include "commerce/export.h"
#include "commerce/returns.h"
#include "commerce/status.h"

namespace commerce {

// Which returns ListReturns answers: each field that is set narrows the list.
struct ReturnFilter {
  std::vector<ReturnStatus> statuses;  // in any of these; empty: in any status
  std::string customer_id;             // of this customer's orders; "": of any customer
};

struct ReturnListOptions {
  std::string cursor;  // from a previous Page, or "" for the first page
  size_t limit = 50;   // 1..1000
};

inline constexpr size_t kReturnListScanBudget = 10'000;

// InvalidArgument for a bad status, customer id, cursor or limit; NotFound for an unknown
// customer.
COMMERCE_EXPORT Result<Page<Return>> ListReturns(Engine& engine, const ReturnFilter& filter,
                                                 const ReturnListOptions& options = {});

}  // namespace commerce
