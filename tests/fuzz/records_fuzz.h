// The record types of records_fuzz.cpp: the first byte of an input picks one (modulo the
// count), and seeds.cpp writes each table's seed with its byte.
#pragma once

#include <cstdint>
#include <string_view>

namespace commerce::fuzz {

enum class RecordKind : uint8_t {
  kProduct, kCategory, kWarehouse, kStock, kCart, kOrder, kOrderKey, kEvent, kWebhookQueue,
  kWebhookFailure, kSynonyms, kCustomer, kWebhook, kWebhookState,
  // Added after the corpus's first inputs: appended, so that their first bytes keep their kinds.
  kRules, kPromotion, kCoupon, kPayment, kPaymentOperation, kReturn, kPriceList, kSkuPrices, kChannel,
  kSearchAnalytics, kSkuProduct, kSearchIdKey,
};
inline constexpr int kRecordKinds = 26;

// The table (or, for synonyms, search rules and the search id key, the meta record) each kind
// is stored in.
inline std::string_view RecordKindTable(RecordKind k) {
  constexpr std::string_view names[kRecordKinds] = {
      "products", "categories", "warehouses", "stock", "carts", "orders", "order_keys", "events",
      "webhook_queue", "webhook_failures", "synonyms", "customers", "webhooks", "webhook_state",
      "search_rules", "promotions", "coupons", "payments", "payment_outbox", "returns", "price_lists",
      "sku_prices", "channels", "search_analytics", "sku_products", "search_id_key"};
  return names[static_cast<int>(k)];
}

}  // namespace commerce::fuzz
