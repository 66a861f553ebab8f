#include "order/order_validation.h"

#include <map>
#include <string>

#include "commerce/inventory.h"
#include "commerce/money.h"
#include "common/ids.h"
#include "common/selector_key.h"
#include "common/utf8.h"
#include "customer/customer_validation.h"
#include "inventory/stock_store.h"
#include "promotions/promotion_validation.h"

namespace commerce {

Status ValidatePlaceOrder(const PlaceOrder& r) {
  COMMERCE_RETURN_IF_ERROR(
      CheckIdentifier("idempotency_key", r.idempotency_key, kMaxIdempotencyKeyBytes));
  COMMERCE_RETURN_IF_ERROR(CheckIdentifier("customer_id", r.customer_id, 64));
  if (!r.cart_id.empty() && !r.lines.empty())
    return Status::InvalidArgument("lines: given with cart_id '" + r.cart_id +
                                   "'; give a cart or lines, not both");
  if (!r.cart_id.empty()) {
    COMMERCE_RETURN_IF_ERROR(CheckIdentifier("cart_id", r.cart_id, 64));
  } else if (r.lines.empty() || r.lines.size() > kMaxOrderLines) {
    return Status::InvalidArgument("lines: " + std::to_string(r.lines.size()) +
                                   " lines; expected 1.." + std::to_string(kMaxOrderLines) +
                                   " (or a cart_id)");
  }
  std::map<std::string_view, size_t> seen;
  for (size_t i = 0; i < r.lines.size(); ++i) {
    const std::string path = "lines[" + std::to_string(i) + "]";
    COMMERCE_RETURN_IF_ERROR(CheckIdentifier(path + ".sku", r.lines[i].sku, 64));
    COMMERCE_RETURN_IF_ERROR(CheckQuantity(path + ".quantity", r.lines[i].quantity));
    auto [it, fresh] = seen.emplace(r.lines[i].sku, i);
    if (!fresh)
      return Status::InvalidArgument(path + ".sku: '" + r.lines[i].sku + "' repeats lines[" +
                                     std::to_string(it->second) +
                                     "]; give each SKU once with its total quantity");
  }
  COMMERCE_RETURN_IF_ERROR(ValidateAddress(r.shipping_address, "shipping_address"));
  COMMERCE_RETURN_IF_ERROR(CheckUtf8("currency", r.currency));
  if (!r.currency.empty() && !IsKnownCurrency(r.currency))
    return Status::InvalidArgument("currency: '" + r.currency +
                                   "' is not an ISO 4217 code; expected e.g. USD, or empty");
  COMMERCE_RETURN_IF_ERROR(NormalizeCouponCodes(r.coupon_codes).status());
  return CheckSelectorKey("channel", r.channel);
}

Status ValidateTransition(OrderStatus to, const TransitionOptions& o) {
  if (o.note.size() > kMaxTransitionNoteBytes)
    return Status::InvalidArgument("note: " + std::to_string(o.note.size()) +
                                   " bytes; expected at most " +
                                   std::to_string(kMaxTransitionNoteBytes));
  COMMERCE_RETURN_IF_ERROR(CheckUtf8("note", o.note));
  if (o.restock && to != OrderStatus::kReturned)
    return Status::InvalidArgument(std::string("restock: only a transition to returned puts "
                                               "units back on hand, not one to ") +
                                   OrderStatusName(to));
  return Status::OK();
}

Status ValidateListOptions(const OrderListOptions& o) {
  if (o.limit < 1 || o.limit > 1000)
    return Status::InvalidArgument("limit: " + std::to_string(o.limit) + "; expected 1..1000");
  return Status::OK();
}

}  // namespace commerce
