// Every stored record type, decoded from arbitrary bytes: the decoder answers OK or
// Corruption, never anything else, never a crash; a record it accepts encodes again to bytes
// that decode to the same record (the encoding is stable).
//
// Input: a byte choosing the table (kKinds, by its index modulo the count), then the value's
// bytes. Records whose decoder is private to its store (customers, webhook subscriptions and
// their state) are read through the store's own reader from a real LMDB store made once per
// process, under the key a real write gave them. The seeds are the values a real engine wrote
// (gen-<table>, seeds.cpp).
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "cart/cart_codec.h"
#include "catalog/catalog_store.h"
#include "catalog/product_codec.h"
#include "channels/channel_store.h"
#include "commerce/storage.h"
#include "common/checksum.h"
#include "common/key.h"
#include "common/record_frame.h"
#include "customer/customer_store.h"
#include "engine/engine_core.h"
#include "events/event_log.h"
#include "fuzz_support.h"
#include "inventory/inventory_codec.h"
#include "order/order_codec.h"
#include "payments/payment_store.h"
#include "price_lists/price_list_store.h"
#include "promotions/promotion_store.h"
#include "records_fuzz.h"
#include "returns/return_store.h"
#include "search/analytics_store.h"
#include "common/base64url.h"
#include "search/rules.h"
#include "search/search_id.h"
#include "search/synonyms.h"
#include "webhooks/webhook_store.h"

using namespace commerce;
using namespace commerce::fuzz;

namespace {

void CheckStatus(const Status& s, std::string_view table) {
  FUZZ_CHECK(s.ok() || s.IsCorruption(),
             std::string(table) + ": a damaged record must be Corruption, not " + s.ToString());
}

// The key a decoder names in its Corruption message.
constexpr std::string_view kKey = "fuzz";

// The same bytes with their frame's checksum made right, or "" when they are not a framed
// record. A mutated record almost never passes its checksum, so without this the fuzzer would
// only ever test the checksum; resealed, the damage reaches each record's own decoding, as
// damage the checksum misses (or a writer's bug before it) would: still Corruption, never a
// crash or a record that does not encode back.
std::string Resealed(std::string_view bytes) {
  if (FramingOf(bytes) != RecordFraming::kFramed || bytes.size() < kFrameHeader) return {};
  std::string out(bytes);
  const uint32_t sum = RecordChecksum(std::string_view(out).substr(kFrameHeader));
  for (int i = 0; i < 4; ++i) out[2 + i] = static_cast<char>(sum >> (8 * i));
  return out == bytes ? std::string() : out;
}

// Decodes, and when that succeeds checks that the record encodes to bytes that decode and
// encode to the same bytes again; then the same with the bytes resealed.
template <typename T, typename DecodeFn, typename EncodeFn>
void StableOnce(std::string_view table, std::string_view bytes, T fresh, DecodeFn decode, EncodeFn encode) {
  T value = fresh;
  Status s = decode(kKey, bytes, &value);
  CheckStatus(s, table);
  if (!s.ok()) return;
  const std::string once = encode(value);
  T again = fresh;
  Status s2 = decode(kKey, once, &again);
  FUZZ_CHECK(s2.ok(), std::string(table) + ": a decoded record, encoded again, does not decode: " + s2.ToString());
  FUZZ_CHECK(encode(again) == once, std::string(table) + ": encoding a decoded record is not stable");
}

template <typename T, typename DecodeFn, typename EncodeFn>
void Stable(std::string_view table, std::string_view bytes, T fresh, DecodeFn decode, EncodeFn encode) {
  StableOnce(table, bytes, fresh, decode, encode);
  const std::string resealed = Resealed(bytes);
  if (!resealed.empty()) StableOnce(table, resealed, fresh, decode, encode);
}

// A real store for the tables read through their stores' readers, and the key each reader
// looks for ("fuzz"), found by writing a real record first.
struct Store {
  std::string dir;
  std::unique_ptr<Storage> storage;
  Tables tables;
  std::string customer_key, webhook_key, state_key;
};
Store* g_store = nullptr;

std::string OnlyKey(Storage& s, Table t) {
  auto r = s.read();
  FUZZ_CHECK(r.ok(), r.status().ToString());
  auto rows = (*r)->scan(t, "", "", 2);
  FUZZ_CHECK(rows.ok() && rows->size() == 1, "expected the one record written at start");
  return (*rows)[0].key;
}

void OpenStore() {
  char tmpl[] = "/tmp/commerce-fuzz-records-XXXXXX";
  FUZZ_CHECK(::mkdtemp(tmpl) != nullptr, "mkdtemp");
  g_store = new Store;
  g_store->dir = tmpl;
  std::atexit([] { std::filesystem::remove_all(g_store->dir); });
  StorageOptions o;
  o.driver = "lmdb";
  o.path = g_store->dir + "/store";
  auto s = OpenStorage(o);
  FUZZ_CHECK(s.ok(), "opening the store: " + s.status().ToString());
  g_store->storage = std::move(*s);
  Storage& st = *g_store->storage;
  Tables& t = g_store->tables;
  t.customers = *st.table("customers");
  t.customer_emails = *st.table("customer_emails");
  t.webhooks = *st.table("webhooks");
  t.webhook_state = *st.table("webhook_state");
  t.sku_products = *st.table("sku_products");
  t.skus = *st.table("skus");
  t.products = *st.table("products");
  Status w = st.write([&](WriteTxn& txn) {
    Customer c;
    c.id = "fuzz";
    c.email = "fuzz@example.com";
    COMMERCE_RETURN_IF_ERROR(txn.put(t.customers, CustomerKey(c.id), EncodeCustomer(c)));
    WebhookSubscription sub;
    sub.id = "fuzz";
    sub.url = "http://127.0.0.1:9/";
    sub.secret = "fuzz-secret-0123456789";
    COMMERCE_RETURN_IF_ERROR(PutWebhookInTxn(txn, t, sub));
    return PutWebhookStateInTxn(txn, t, "fuzz", WebhookState{});
  });
  FUZZ_CHECK(w.ok(), "writing the first records: " + w.ToString());
  g_store->customer_key = OnlyKey(st, t.customers);
  g_store->webhook_key = OnlyKey(st, t.webhooks);
  g_store->state_key = OnlyKey(st, t.webhook_state);
}

// A search analytics record under each of its two parts' keys, read through
// AnalyticsStore::Read, which must agree with AnalyticsStore::Problem (commerce verify's
// check): Corruption exactly when the check names a problem.
void SearchAnalyticsRecord(std::string_view bytes) {
  Storage& st = *g_store->storage;
  static Table table = [&] {
    auto t = st.table(search::AnalyticsStore::kTableName);
    FUZZ_CHECK(t.ok(), t.status().ToString());
    return *t;
  }();
  auto store = search::AnalyticsStore::Open(&st);
  FUZZ_CHECK(store.ok(), store.status().ToString());
  for (char part : {'a', 'b'}) {
    const std::string key = std::string("\0\0\0\0\0\0\0\1", 8) + part + "fuzz";
    Status w = st.write([&](WriteTxn& txn) {
      for (std::string_view other : {"a", "b"}) {
        Status d = txn.del(table, std::string("\0\0\0\0\0\0\0\1", 8) + std::string(other) + "fuzz");
        if (!d.ok() && !d.IsNotFound()) return d;
      }
      return txn.put(table, key, bytes);
    }, WriteOptions{.sync = false});
    FUZZ_CHECK(w.ok(), "storing the record: " + w.ToString());
    Status r = store->Read(0, 2, [](const search::HourCounts&) {});
    CheckStatus(r, "search_analytics");
    const std::string problem = search::AnalyticsStore::Problem(key, bytes);
    FUZZ_CHECK(problem.empty() == r.ok(), "search_analytics: Read says " + r.ToString() + ", verify's check \"" +
                                              problem + "\"");
  }
}

// The key that signs search ids (meta search.id_key, search/search_id.h): the codec takes the
// bytes exactly when verify's check finds nothing wrong. The same bytes as a search id, as a
// client may send anything, raw and past the base64url layer: refused with InvalidArgument or
// NotFound, never a crash, never taken (a tag checks only by a 2^-64 guess).
void SearchIdKey(std::string_view bytes) {
  auto codec = search::SearchIdCodec::FromHex(bytes);
  const std::string problem = search::SearchIdCodec::KeyProblem(bytes);
  FUZZ_CHECK(codec.ok() == problem.empty(), "search id key: FromHex says " + codec.status().ToString() +
                                                ", verify's check \"" + problem + "\"");
  static const search::SearchIdCodec ids = search::SearchIdCodec::Random();
  for (const std::string& id : {std::string(bytes), "s" + Base64UrlEncode(bytes)}) {
    auto f = ids.Decode(id);
    FUZZ_CHECK(!f.ok() && (f.status().IsInvalidArgument() || f.status().IsNotFound()),
               "search id: Decode says " + f.status().ToString());
  }
}

// Puts the bytes under the reader's key, then reads them back through the store's reader.
template <typename Reader>
void ThroughStore(std::string_view table, Table t, const std::string& key, std::string_view bytes, Reader read) {
  Storage& st = *g_store->storage;
  Status w = st.write([&](WriteTxn& txn) { return txn.put(t, key, bytes); }, WriteOptions{.sync = false});
  FUZZ_CHECK(w.ok(), "storing the record: " + w.ToString());
  auto r = st.read();
  FUZZ_CHECK(r.ok(), r.status().ToString());
  CheckStatus(read(**r), table);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const auto kind = static_cast<RecordKind>(data[0] % kRecordKinds);
  const std::string_view bytes(reinterpret_cast<const char*>(data + 1), size - 1);
  const std::string_view table = RecordKindTable(kind);
  if (!g_store && (kind == RecordKind::kCustomer || kind == RecordKind::kWebhook || kind == RecordKind::kWebhookState ||
                   kind == RecordKind::kSearchAnalytics || kind == RecordKind::kSkuProduct))
    OpenStore();
  switch (kind) {
    case RecordKind::kProduct:
      Stable(table, bytes, Product{}, DecodeProduct, EncodeProduct);
      break;
    case RecordKind::kCategory:
      Stable(table, bytes, Category{}, DecodeCategory, EncodeCategory);
      break;
    case RecordKind::kWarehouse:
      Stable(table, bytes, Warehouse{}, DecodeWarehouse, EncodeWarehouse);
      break;
    case RecordKind::kStock: {
      StockLevel fresh;
      fresh.sku = "SKU-1";
      fresh.warehouse_id = "wh-1";
      Stable(table, bytes, fresh, DecodeStockLevel, EncodeStockLevel);
      break;
    }
    case RecordKind::kCart:
      Stable(table, bytes, CartRecord{}, DecodeCartRecord, EncodeCartRecord);
      break;
    case RecordKind::kOrder:
      Stable(table, bytes, StoredOrder{}, DecodeOrder, EncodeOrder);
      break;
    case RecordKind::kOrderKey:
      Stable(table, bytes, OrderKeyRecord{}, DecodeOrderKey, EncodeOrderKey);
      break;
    case RecordKind::kEvent: {
      Event e;
      CheckStatus(DecodeEvent(KeyBuilder().u64(7).key(), bytes, &e), table);
      break;
    }
    case RecordKind::kWebhookQueue: {
      const std::string key = WebhookQueueKey("wh-1", "order/1", 7);
      Stable(table, bytes, WebhookQueueEntry{},
             [&](std::string_view, std::string_view b, WebhookQueueEntry* out) { return DecodeWebhookQueueEntry(key, b, out); },
             EncodeWebhookQueueEntry);
      break;
    }
    case RecordKind::kWebhookFailure:
      Stable(table, bytes, WebhookDelivery{}, DecodeWebhookDelivery, EncodeWebhookDelivery);
      break;
    case RecordKind::kSynonyms: {
      auto syn = search::Synonyms::Decode(bytes);
      CheckStatus(syn.status(), table);
      if (syn.ok()) {
        auto again = search::Synonyms::Decode(syn->Encode());
        FUZZ_CHECK(again.ok() && again->groups() == syn->groups(), "synonyms: not stable through Encode");
      }
      break;
    }
    case RecordKind::kRules:
      Stable(table, bytes, RuleSet{}, [](std::string_view, std::string_view b, RuleSet* out) { return search::DecodeRuleSet(b, out); },
             search::EncodeRuleSet);
      break;
    case RecordKind::kPromotion:
      Stable(table, bytes, Promotion{}, DecodePromotion, EncodePromotion);
      break;
    case RecordKind::kCoupon:
      Stable(table, bytes, Coupon{}, DecodeCoupon, EncodeCoupon);
      break;
    case RecordKind::kPayment:
      Stable(table, bytes, Payment{}, DecodePayment, EncodePayment);
      break;
    case RecordKind::kPaymentOperation:
      Stable(table, bytes, PaymentOperationEntry{}, DecodeOperation, EncodeOperation);
      break;
    case RecordKind::kReturn:
      Stable(table, bytes, Return{}, DecodeReturn, EncodeReturn);
      break;
    case RecordKind::kPriceList:
      Stable(table, bytes, PriceList{}, DecodePriceList, EncodePriceList);
      break;
    case RecordKind::kSkuPrices:
      Stable(table, bytes, SkuPrices{}, DecodeSkuPrices, EncodeSkuPrices);
      break;
    case RecordKind::kChannel:
      Stable(table, bytes, Channel{}, DecodeChannel, EncodeChannel);
      break;
    case RecordKind::kSearchAnalytics:
      SearchAnalyticsRecord(bytes);
      break;
    case RecordKind::kSearchIdKey:
      SearchIdKey(bytes);
      break;
    case RecordKind::kCustomer:
      ThroughStore(table, g_store->tables.customers, g_store->customer_key,
                   bytes, [](ReadView& v) { return GetCustomerInTxn(v, g_store->tables, "fuzz").status(); });
      break;
    case RecordKind::kWebhook:
      ThroughStore(table, g_store->tables.webhooks, g_store->webhook_key,
                   bytes, [](ReadView& v) { return GetWebhookInTxn(v, g_store->tables, "fuzz").status(); });
      break;
    case RecordKind::kSkuProduct: {
      // get_by_sku's read (catalog_store.h): Corruption for a damaged record or one without
      // the SKU; resealed too, so that the damage reaches the decoding.
      Stable(table, bytes, Product{}, DecodeSkuProduct, EncodeProduct);
      const auto read = [](ReadView& v) { return GetProductBySku(v, g_store->tables, "fuzz-sku").status(); };
      const std::string key = KeyBuilder().str("fuzz-sku").key();
      ThroughStore(table, g_store->tables.sku_products, key, bytes, read);
      if (std::string resealed = Resealed(bytes); !resealed.empty())
        ThroughStore(table, g_store->tables.sku_products, key, resealed, read);
      break;
    }
    case RecordKind::kWebhookState:
      ThroughStore(table, g_store->tables.webhook_state, g_store->state_key,
                   bytes, [](ReadView& v) { return GetWebhookStateInTxn(v, g_store->tables, "fuzz").status(); });
      break;
  }
  return 0;
}
