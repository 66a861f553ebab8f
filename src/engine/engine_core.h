// What every engine shares inside one Engine: the storage, the tables, the clock and the
// event notifier. Not installed; engines receive an EngineCore* from Engine.
#pragma once

#include <atomic>
#include <chrono>
#include <memory>

#include "commerce/pricing.h"
#include "commerce/storage.h"
#include "events/event_log.h"
#include "storage/change_apply.h"

namespace commerce {

struct Tables {
  Table meta;               // counters, consumer cursors
  Table events;             // seq -> event
  Table products;           // product id -> Product
  Table skus;               // sku -> product id
  Table categories;         // category id -> Category
  Table category_children;  // (parent id, child id) -> ""
  Table category_products;  // (category id, product id) -> "", also for every ancestor

  Table warehouses;          // warehouse id -> Warehouse
  Table stock;               // (sku, warehouse id) -> StockLevel
  Table customers;           // customer id -> Customer
  Table customer_emails;     // lower-cased email -> customer id
  Table carts;               // cart id -> CartState (+ updated time)
  Table customer_carts;      // (customer id, cart id) -> ""
  Table cart_expiry;         // (expires at ms, cart id) -> "": kept by the expiry consumer
  Table orders;              // order id -> Order
  Table order_keys;          // idempotency key -> (order id, request fingerprint)
  Table customer_orders;     // (customer id, inverted placement seq) -> order id: newest first
  Table status_orders;       // (status, placement seq) -> order id: oldest first
  Table webhooks;            // subscription id -> WebhookSubscription (src/webhooks/webhook_store.h)
  Table webhook_state;       // subscription id -> (log cursor, counts)
  Table webhook_queue;       // (subscription id, subject, seq) -> pending delivery
  Table webhook_failures;    // (subscription id, seq) -> WebhookDelivery: failed at least once
  Table promotions;          // promotion id -> Promotion (src/promotions/promotion_store.h)
  Table coupons;             // upper-cased code -> Coupon
  Table coupon_uses;         // code -> counters {used}: checked at commit, as stock
  Table coupon_customer_uses;  // (code, customer id) -> counters {used}
  Table payments;              // order id -> Payment (src/payments/payment_store.h)
  Table payment_outbox;        // (order id, u32 operation number) -> PaymentOperationEntry
  Table payment_webhooks;      // (provider, event id) -> time seen: each webhook once
  Table returns;               // return id -> Return (src/returns/return_store.h)
  Table order_returns;         // (order id, return id) -> "": an order's returns
  Table return_keys;           // (order id, idempotency key) -> return id
  Table price_lists;           // price list id -> PriceList (src/price_lists/price_list_store.h)
  Table sku_prices;            // sku -> every list's entries for it (what resolution reads)
  Table channels;              // channel id -> Channel (src/channels/channel_store.h)
  // sku -> the record of the product that has it, byte for byte what `products` holds, written
  // in the same commit: get_by_sku's one lookup (catalog/catalog_store.h, GetProductBySku).
  Table sku_products;
};

// Every table, with its name in the store: what Engine::open opens, and what commerce verify
// and the tests walk.
struct TableName {
  Table Tables::*table;
  const char* name;
};
inline constexpr TableName kTableNames[] = {
    {&Tables::meta, "meta"},
    {&Tables::events, "events"},
    {&Tables::products, "products"},
    {&Tables::skus, "skus"},
    {&Tables::categories, "categories"},
    {&Tables::category_children, "category_children"},
    {&Tables::category_products, "category_products"},
    {&Tables::warehouses, "warehouses"},
    {&Tables::stock, "stock"},
    {&Tables::customers, "customers"},
    {&Tables::customer_emails, "customer_emails"},
    {&Tables::carts, "carts"},
    {&Tables::customer_carts, "customer_carts"},
    {&Tables::cart_expiry, "cart_expiry"},
    {&Tables::orders, "orders"},
    {&Tables::order_keys, "order_keys"},
    {&Tables::customer_orders, "customer_orders"},
    {&Tables::status_orders, "status_orders"},
    {&Tables::webhooks, "webhooks"},
    {&Tables::webhook_state, "webhook_state"},
    {&Tables::webhook_queue, "webhook_queue"},
    {&Tables::webhook_failures, "webhook_failures"},
    {&Tables::promotions, "promotions"},
    {&Tables::coupons, "coupons"},
    {&Tables::coupon_uses, "coupon_uses"},
    {&Tables::coupon_customer_uses, "coupon_customer_uses"},
    {&Tables::payments, "payments"},
    {&Tables::payment_outbox, "payment_outbox"},
    {&Tables::payment_webhooks, "payment_webhooks"},
    {&Tables::returns, "returns"},
    {&Tables::order_returns, "order_returns"},
    {&Tables::return_keys, "return_keys"},
    {&Tables::price_lists, "price_lists"},
    {&Tables::sku_prices, "sku_prices"},
    {&Tables::channels, "channels"},
    {&Tables::sku_products, "sku_products"},
};

class EngineCore {
 public:
  std::unique_ptr<Storage> storage;
  Tables tables;
  EventNotifier notifier;
  // Tax and shipping for orders (EngineOptions::pricing, or the default policy).
  std::shared_ptr<PricingPolicy> pricing;
  // This engine's replica id for cart dots: stored in the meta table on first open.
  std::string replica_id;
  // The payment provider's name (PaymentProvider::name()); "" when payments are off, and
  // orders are placed without a payment (payments.h).
  std::string payment_provider;
  // This process's number among the engines opened on the store, whose home slot its orders
  // reserve a split stock from first (stock_home_slot.h): taken from the store on open when
  // other processes may share it, 0 on a local store.
  uint64_t slot_home = 0;
  // Carts untouched for this long expire (EngineOptions::cart_ttl).
  std::chrono::milliseconds cart_ttl{std::chrono::hours(24 * 30)};

  static int64_t NowMs() {
    using namespace std::chrono;
    return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
  }

  // storage->write, then wakes event waiters: the engines that still write with mutations.
  Status Write(Mutation m, WriteOptions o = {}) {
    Status s = storage->write(std::move(m), o);
    if (s.ok()) notifier.Notify();
    return s;
  }

  // The engines' write path with checked changes (docs/architecture.md, "The flow of one
  // write"): `prepare` reads a fresh snapshot on the calling thread and fills a ChangeSet; the
  // writer applies it. When a check fails (what the snapshot showed has changed, an insert
  // found its key taken), the write is prepared again against a newer snapshot -- which then
  // sees the change and decides anew (AlreadyExists, a version Conflict, or a write that
  // fits). After kMaxPrepareAttempts such rounds the record is one that many callers write at
  // once, and waiting for a lucky round would be an error storm: the write is then prepared
  // on the writer itself, as a mutation over the group's transaction, where what it reads is
  // current -- it applies, or answers the error the current data gives. So no write is lost
  // and none fails for having been unlucky.
  //   prepare(ReadView& view, ChangeSet& changes) -> Status: an error is returned as is; OK
  //   with an empty set means there is nothing to write. It may run several times, and its
  //   outputs must be set anew by each run.
  // Returns the ApplyResult of the run that was applied (empty when nothing was written).
  static constexpr int kMaxPrepareAttempts = 4;
  template <typename Prepare>
  Result<ApplyResult> Apply(Prepare&& prepare, WriteOptions options = {}) {
    for (int attempt = 0; attempt < kMaxPrepareAttempts; ++attempt) {
      ChangeSet changes;
      {
        COMMERCE_ASSIGN_OR_RETURN(auto snapshot, storage->read());
        COMMERCE_RETURN_IF_ERROR(prepare(static_cast<ReadView&>(*snapshot), changes));
      }  // the snapshot ends before the write is queued: no reader slot held while waiting
      if (changes.empty()) return ApplyResult{};
      ApplyResult r = storage->apply(std::move(changes), options);
      if (r.status.ok()) {
        if (!r.seqs.empty()) notifier.Notify();
        return r;
      }
      if (!r.check_failed()) return r.status;
      prepare_retries.fetch_add(1, std::memory_order_relaxed);
    }
    prepared_on_writer.fetch_add(1, std::memory_order_relaxed);
    ApplyResult applied;
    Status s = storage->write([&](WriteTxn& txn) -> Status {
      applied = ApplyResult{};
      ChangeSet changes;
      COMMERCE_RETURN_IF_ERROR(prepare(static_cast<ReadView&>(txn), changes));
      if (changes.empty()) return Status::OK();
      COMMERCE_RETURN_IF_ERROR(changes.status());
      COMMERCE_RETURN_IF_ERROR(ApplyChangeSet(txn, changes, &applied));
      return applied.status;  // a check that fails on what it just read: Conflict
    }, options);
    COMMERCE_RETURN_IF_ERROR(s);
    if (!applied.seqs.empty()) notifier.Notify();
    return applied;
  }
  // Writes prepared again because a check failed, and writes prepared on the writer after
  // kMaxPrepareAttempts (for tests and stats).
  std::atomic<uint64_t> prepare_retries{0};
  std::atomic<uint64_t> prepared_on_writer{0};
};

}  // namespace commerce
