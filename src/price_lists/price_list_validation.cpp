#include "price_lists/price_list_validation.h"

#include <set>
#include <string>
#include <utility>

#include "commerce/inventory.h"
#include "commerce/money.h"
#include "common/ids.h"
#include "common/range_check.h"
#include "common/selector_key.h"

namespace commerce {

namespace {

Status CheckCurrency(const std::string& code) {
  if (!IsKnownCurrency(code))
    return Status::InvalidArgument("currency: '" + code.substr(0, 16) +
                                   "' is not an active ISO 4217 code (e.g. EUR)");
  return Status::OK();
}

}  // namespace

Status ValidatePriceList(const PriceList& l) {
  if (!l.id.empty()) COMMERCE_RETURN_IF_ERROR(CheckIdentifier("id", l.id));
  COMMERCE_RETURN_IF_ERROR(CheckIdentifier("name", l.name, 200));
  COMMERCE_RETURN_IF_ERROR(CheckCurrency(l.currency));
  COMMERCE_RETURN_IF_ERROR(CheckSelectorKey("customer_group", l.customer_group));
  COMMERCE_RETURN_IF_ERROR(CheckSelectorKey("channel", l.channel));
  COMMERCE_RETURN_IF_ERROR(CheckRange("starts_at_ms", l.starts_at_ms, 0, INT64_MAX));
  COMMERCE_RETURN_IF_ERROR(CheckRange("ends_at_ms", l.ends_at_ms, 0, INT64_MAX));
  if (l.ends_at_ms > 0 && l.ends_at_ms <= l.starts_at_ms)
    return Status::InvalidArgument("ends_at_ms: must be after starts_at_ms");
  COMMERCE_RETURN_IF_ERROR(CheckRange("priority", l.priority, -1'000'000, 1'000'000));
  if (l.entries.size() > kMaxPriceListEntries)
    return Status::InvalidArgument("entries: " + std::to_string(l.entries.size()) +
                                   " given, at most " + std::to_string(kMaxPriceListEntries));
  std::set<std::pair<std::string_view, int64_t>> seen;
  for (size_t i = 0; i < l.entries.size(); ++i) {
    const PriceEntry& e = l.entries[i];
    const std::string at = "entries[" + std::to_string(i) + "]";
    COMMERCE_RETURN_IF_ERROR(CheckIdentifier(at + ".sku", e.sku));
    COMMERCE_RETURN_IF_ERROR(CheckRange(at + ".price_minor", e.price_minor, 0, kMaxMoneyMinor));
    COMMERCE_RETURN_IF_ERROR(CheckRange(at + ".min_quantity", e.min_quantity, 1, kMaxQuantity));
    if (!seen.emplace(e.sku, e.min_quantity).second)
      return Status::InvalidArgument(at + ": sku '" + e.sku + "' at min_quantity " +
                                     std::to_string(e.min_quantity) +
                                     " is given twice; give each tier once");
  }
  return Status::OK();
}

Status ValidatePriceContext(const PriceContext& ctx) {
  COMMERCE_RETURN_IF_ERROR(CheckCurrency(ctx.currency));
  COMMERCE_RETURN_IF_ERROR(CheckSelectorKey("customer_group", ctx.customer_group));
  COMMERCE_RETURN_IF_ERROR(CheckSelectorKey("channel", ctx.channel));
  COMMERCE_RETURN_IF_ERROR(CheckRange("quantity", ctx.quantity, 1, kMaxQuantity));
  return CheckRange("now_ms", ctx.now_ms, 0, INT64_MAX);
}

}  // namespace commerce
