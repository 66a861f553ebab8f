// The Webhooks API (webhooks.h): a thin face over WebhookService, plus the signature and the
// list of event types a subscription may name.
#include "commerce/webhooks.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "webhooks/webhook_service.h"

namespace commerce {

const std::vector<std::string>& WebhookEventTypes() {
  // The table in docs/events.md; a new event type is added here too.
  static const std::vector<std::string> types = {
      "ProductUpserted", "ProductArchived", "CategoryUpserted", "WarehouseUpserted",
      "StockReceived",   "StockAdjusted",   "StockReserved",    "StockReleased",
      "StockShipped",    "OrderPlaced",     "OrderStatusChanged", "CartCreated",
      "CartUpdated",     "CartMerged",      "CartDeleted",      "CartExpired",
      "CustomerCreated", "CustomerUpdated",
  };
  return types;
}

std::string WebhookSignature(std::string_view secret, std::string_view body) {
  static const unsigned char kEmpty = 0;
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  const void* key = secret.empty() ? static_cast<const void*>(&kEmpty) : secret.data();
  const auto* data = body.empty() ? &kEmpty : reinterpret_cast<const unsigned char*>(body.data());
  if (HMAC(EVP_sha256(), key, static_cast<int>(secret.size()), data, body.size(), mac, &len) == nullptr)
    return "";
  static const char kHex[] = "0123456789abcdef";
  std::string out = "sha256=";
  out.reserve(7 + 2 * len);
  for (unsigned int i = 0; i < len; ++i) {
    out += kHex[mac[i] >> 4];
    out += kHex[mac[i] & 0xf];
  }
  return out;
}

Result<WebhookSubscription> Webhooks::subscribe(const WebhookSubscription& subscription) {
  return service_->Subscribe(subscription);
}

Status Webhooks::unsubscribe(std::string_view id) { return service_->Unsubscribe(id); }

Result<WebhookSubscription> Webhooks::get(std::string_view id) { return service_->Get(id); }

Result<std::vector<WebhookSubscription>> Webhooks::list() { return service_->List(); }

Result<std::vector<WebhookDelivery>> Webhooks::failures(std::string_view subscription_id, size_t limit) {
  return service_->Failures(subscription_id, limit);
}

}  // namespace commerce
