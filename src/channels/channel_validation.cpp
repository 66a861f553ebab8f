#include "channels/channel_validation.h"

#include <algorithm>
#include <set>
#include <string>

#include "commerce/money.h"
#include "common/ids.h"
#include "catalog/product_validation.h"
#include "common/selector_key.h"

namespace commerce {

namespace {

Status CheckCurrency(const std::string& field, const std::string& code) {
  if (!IsKnownCurrency(code))
    return Status::InvalidArgument(field + ": '" + code.substr(0, 16) +
                                   "' is not an active ISO 4217 code (e.g. EUR)");
  return Status::OK();
}

// At most `max` entries, each an identifier given once.
Status CheckIds(const std::string& field, const std::vector<std::string>& ids, size_t max) {
  if (ids.size() > max)
    return Status::InvalidArgument(field + ": " + std::to_string(ids.size()) + " given, at most " +
                                   std::to_string(max));
  std::set<std::string_view> seen;
  for (size_t i = 0; i < ids.size(); ++i) {
    const std::string at = field + "[" + std::to_string(i) + "]";
    COMMERCE_RETURN_IF_ERROR(CheckIdentifier(at, ids[i], field == "category_ids" ? kMaxCategoryIdBytes : 64));
    if (!seen.insert(ids[i]).second)
      return Status::InvalidArgument(at + ": '" + ids[i] + "' is given twice");
  }
  return Status::OK();
}

}  // namespace

Status ValidateChannel(const Channel& c) {
  if (c.id.empty()) return Status::InvalidArgument("id: required (1..64 of A-Z a-z 0-9 '-' '_')");
  COMMERCE_RETURN_IF_ERROR(CheckSelectorKey("id", c.id));
  COMMERCE_RETURN_IF_ERROR(CheckIdentifier("name", c.name, 200));
  COMMERCE_RETURN_IF_ERROR(CheckCurrency("default_currency", c.default_currency));
  COMMERCE_RETURN_IF_ERROR(CheckIds("currencies", c.currencies, kMaxChannelCurrencies));
  for (size_t i = 0; i < c.currencies.size(); ++i)
    COMMERCE_RETURN_IF_ERROR(CheckCurrency("currencies[" + std::to_string(i) + "]", c.currencies[i]));
  if (!c.currencies.empty() &&
      std::find(c.currencies.begin(), c.currencies.end(), c.default_currency) == c.currencies.end())
    return Status::InvalidArgument("currencies: must hold default_currency '" + c.default_currency +
                                   "' (or be empty: the default alone)");
  COMMERCE_RETURN_IF_ERROR(CheckIds("warehouse_ids", c.warehouse_ids, kMaxChannelWarehouses));
  COMMERCE_RETURN_IF_ERROR(CheckIds("category_ids", c.category_ids, kMaxChannelCategories));
  COMMERCE_RETURN_IF_ERROR(CheckIds("product_ids", c.product_ids, kMaxChannelProducts));
  COMMERCE_RETURN_IF_ERROR(
      CheckIds("excluded_product_ids", c.excluded_product_ids, kMaxChannelProducts));
  return Status::OK();
}

}  // namespace commerce
