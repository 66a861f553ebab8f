// The Webhooks API (webhooks.h): a thin face over WebhookService, plus the signature and the
// list of event types a subscription may name.
#include "commerce/webhooks.h"

#include <openssl/evp.h>
#include <openssl/crypto.h>
#include <openssl/hmac.h>

#include <chrono>

#include "webhooks/webhook_service.h"

namespace commerce {

const std::vector<std::string>& WebhookEventTypes() {
  // The table in docs/events.md; a new event type is added here too.
  static const std::vector<std::string> types = {
      "ProductUpserted", "ProductArchived", "CategoryUpserted", "WarehouseUpserted",
      "StockReceived",   "StockAdjusted",   "StockReserved",    "StockReleased",
      "StockShipped",    "StockSplit",      "StockMerged",
      "OrderPlaced",     "OrderStatusChanged", "CartCreated",
      "CartUpdated",     "CartMerged",      "CartDeleted",      "CartExpired",
      "CustomerCreated", "CustomerUpdated",
      "PaymentAuthorized", "PaymentDeclined", "PaymentCaptured", "PaymentCaptureDeclined",
      "PaymentVoided", "PaymentVoidDeclined", "PaymentRefunded", "PaymentRefundDeclined",
      "PaymentAbandoned",
      "ReturnRequested", "ReturnApproved", "ReturnRejected", "ReturnCancelled", "ReturnReceived",
      "ReturnRefunded",
      "ChannelUpserted", "ChannelRemoved", "PriceListUpserted", "PriceListRemoved",
      "PromotionUpserted", "CouponUpserted",
  };
  return types;
}

namespace {

std::string HmacHex(std::string_view secret, std::string_view data) {
  static const unsigned char kEmpty = 0;
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  const void* key = secret.empty() ? static_cast<const void*>(&kEmpty) : secret.data();
  const auto* bytes = data.empty() ? &kEmpty : reinterpret_cast<const unsigned char*>(data.data());
  if (HMAC(EVP_sha256(), key, static_cast<int>(secret.size()), bytes, data.size(), mac, &len) == nullptr)
    return "";
  static const char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(2 * len);
  for (unsigned int i = 0; i < len; ++i) {
    out += kHex[mac[i] >> 4];
    out += kHex[mac[i] & 0xf];
  }
  return out;
}

std::string SignedPayload(int64_t timestamp_s, std::string_view body) {
  std::string p = std::to_string(timestamp_s);
  p += '.';
  p.append(body);
  return p;
}

}  // namespace

std::string WebhookSignature(std::string_view secret, int64_t timestamp_s, std::string_view body) {
  return "t=" + std::to_string(timestamp_s) + ",v1=" + HmacHex(secret, SignedPayload(timestamp_s, body));
}

Status VerifyWebhookSignature(std::string_view secret, std::string_view header, std::string_view body,
                              int64_t tolerance_s, int64_t now_s) {
  if (tolerance_s < 0) return Status::InvalidArgument("tolerance_s: must not be negative");
  // "t=<digits>" and any number of "v1=<64 hex>" (several while a secret is being rotated),
  // comma-separated; other schemes are skipped, as a later version may add them.
  int64_t t = -1;
  std::vector<std::string_view> v1s;
  size_t pos = 0;
  while (pos <= header.size()) {
    size_t comma = header.find(',', pos);
    if (comma == std::string_view::npos) comma = header.size();
    std::string_view item = header.substr(pos, comma - pos);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    pos = comma + 1;
    if (item.rfind("t=", 0) == 0) {
      std::string_view digits = item.substr(2);
      if (digits.empty() || digits.size() > 12 || digits.find_first_not_of("0123456789") != std::string_view::npos)
        return Status::InvalidArgument("X-Commerce-Signature: t= must be Unix seconds");
      t = std::stoll(std::string(digits));
    } else if (item.rfind("v1=", 0) == 0) {
      v1s.push_back(item.substr(3));
    }
  }
  if (t < 0 || v1s.empty())
    return Status::InvalidArgument("X-Commerce-Signature: expected t=<unix seconds>,v1=<hex>");
  if (now_s == 0)
    now_s = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
                .count();
  const std::string expected = HmacHex(secret, SignedPayload(t, body));
  bool match = false;
  for (std::string_view v : v1s)
    if (v.size() == expected.size() && CRYPTO_memcmp(v.data(), expected.data(), v.size()) == 0) match = true;
  if (!match) return Status::InvalidArgument("X-Commerce-Signature: no v1 signature matches the body");
  if (t < now_s - tolerance_s || t > now_s + tolerance_s)
    return Status::InvalidArgument("X-Commerce-Signature: timestamp " + std::to_string(t) + " is " +
                                    std::to_string(t < now_s ? now_s - t : t - now_s) + " s from now, past the " +
                                    std::to_string(tolerance_s) + " s tolerance (a replay, or a clock off)");
  return Status::OK();
}

Result<WebhookSubscription> Webhooks::subscribe(const WebhookSubscription& subscription) {
  return service_->Subscribe(subscription);
}

Result<WebhookSubscription> Webhooks::update(std::string_view id, const WebhookSubscriptionUpdate& update) {
  return service_->Update(id, update);
}

Status Webhooks::unsubscribe(std::string_view id) { return service_->Unsubscribe(id); }

Result<WebhookSubscription> Webhooks::get(std::string_view id) { return service_->Get(id); }

Result<std::vector<WebhookSubscription>> Webhooks::list() { return service_->List(); }

Result<std::vector<WebhookDelivery>> Webhooks::failures(std::string_view subscription_id, size_t limit) {
  return service_->Failures(subscription_id, limit);
}

}  // namespace commerce
