// ListReturns (return_list.h): one walk of the returns table from the cursor, on one read
// view, bounded by kReturnListScanBudget records looked at.
#include "commerce/return_list.h"

#include <algorithm>

#include "common/ids.h"
#include "returns/return_store.h"

namespace commerce {

Result<Page<Return>> ListReturns(Engine& engine, const ReturnFilter& filter, const ReturnListOptions& o) {
  for (ReturnStatus s : filter.statuses)
    if (static_cast<uint8_t>(s) > static_cast<uint8_t>(ReturnStatus::kCancelled))
      return Status::InvalidArgument("statuses: " + std::to_string(static_cast<int>(s)) + " is not a return status");
  if (o.limit < 1 || o.limit > 1000)
    return Status::InvalidArgument("limit: " + std::to_string(o.limit) + "; expected 1..1000");
  if (!o.cursor.empty()) COMMERCE_RETURN_IF_ERROR(CheckIdentifier("cursor", o.cursor, 64));
  if (!filter.customer_id.empty()) {
    COMMERCE_RETURN_IF_ERROR(CheckIdentifier("customer_id", filter.customer_id, 64));
    COMMERCE_RETURN_IF_ERROR(engine.customers().get(filter.customer_id).status());
  }
  Storage& storage = engine.storage();
  COMMERCE_ASSIGN_OR_RETURN(Table returns, storage.table("returns"));
  COMMERCE_ASSIGN_OR_RETURN(auto view, storage.read());
  const std::string begin = o.cursor.empty() ? std::string() : ReturnKey(o.cursor);
  // The cursor's own row (when it still exists), the budget, and one more to tell whether the
  // walk ended with the table.
  COMMERCE_ASSIGN_OR_RETURN(auto rows, view->scan(returns, begin, "", kReturnListScanBudget + 2));
  Page<Return> page;
  size_t looked = 0;
  for (size_t i = 0; i < rows.size(); ++i) {
    if (!begin.empty() && rows[i].key == begin) continue;
    Return r;
    COMMERCE_RETURN_IF_ERROR(DecodeReturn(rows[i].key, rows[i].value, &r));
    const bool more = i + 1 < rows.size();
    const bool wanted =
        (filter.statuses.empty() ||
         std::find(filter.statuses.begin(), filter.statuses.end(), r.status) != filter.statuses.end()) &&
        (filter.customer_id.empty() || r.customer_id == filter.customer_id);
    if (wanted) page.items.push_back(std::move(r));
    // Full, or the budget spent: the next page starts after this return.
    if (more && (page.items.size() == o.limit || ++looked == kReturnListScanBudget)) {
      page.next_cursor = wanted ? page.items.back().id : r.id;
      break;
    }
  }
  return page;
}

}  // namespace commerce
