// Engine: the entry point. Opens a store and gives access to the engines over it.
//
//   auto engine = commerce::Engine::open({.path = "./shop"});   // LMDB by default
//   if (!engine.ok()) { std::cerr << engine.status().ToString() << "\n"; return 1; }
//   auto p = (*engine)->catalog().get_by_sku("SKU-123");
//
// Thread safety: an Engine and the engines it hands out are safe to use from any number of
// threads. Destroy the Engine after every thread has stopped using it.
#pragma once

#include <memory>
#include <string>

#include <chrono>

#include "commerce/cart.h"
#include "commerce/catalog.h"
#include "commerce/customer.h"
#include "commerce/events.h"
#include "commerce/inventory.h"
#include "commerce/order.h"
#include "commerce/payments.h"
#include "commerce/pricing.h"
#include "commerce/promotions.h"
#include "commerce/returns.h"
#include "commerce/search.h"
#include "commerce/export.h"
#include "commerce/status.h"
#include "commerce/storage.h"
#include "commerce/verify.h"
#include "commerce/webhooks.h"

namespace commerce {

class Background;
class Channels;  // channels.h (not included here, as price_lists.h)
class PaymentService;
class PriceLists;  // price_lists.h (not included here: only its users rebuild when it changes)
class SearchService;
class WebhookService;

struct EngineOptions {
  // Directory of the store; created if absent.
  std::string path;
  // "lmdb" (default) or "sqlite".
  std::string driver = "lmdb";
  // false: open an existing store only; NotFound, creating nothing, when `path` holds none
  // (StorageOptions::create_if_missing). For programs that only read, so that a typo in the
  // path is an error instead of an empty catalog.
  bool create_if_missing = true;
  // Tuning of the storage driver (group size, LMDB map and checkpoints, SQLite sync level).
  StorageTuning storage;
  // Tax and shipping of orders; null means MakeDefaultPricing() (no tax, free shipping).
  std::shared_ptr<PricingPolicy> pricing;
  // Carts untouched for this long are removed by the background expiry consumer.
  std::chrono::milliseconds cart_ttl = std::chrono::hours(24 * 30);
  // How often background consumers look for time-based work (cart expiry) when no event
  // wakes them.
  std::chrono::milliseconds background_tick = std::chrono::seconds(1);
  // false: no background thread (consumers run only through run_background_once(); tests).
  bool run_background = true;
  // On a store that several processes share (the postgres driver): the lease under which one
  // process at a time runs cart expiry and webhook delivery (docs/scaling.md, "Durable
  // consumers"). Its holder renews it every third of this; when the holder dies the others
  // take over after about this long, so expiry and deliveries pause that long. Shorter means
  // a quicker take-over and more lease writes. 200 ms .. 1 hour.
  std::chrono::milliseconds consumer_lease_ttl = std::chrono::seconds(10);
  // Event log retention (events.h, docs/events.md "Retention"): the background thread trims
  // events every consumer has passed that are older than max_age or beyond max_count, every
  // interval, in batches. Off by default (every event kept).
  EventRetention event_retention;
  // The search index (<path>/search/): shards, result cache, indexer thread.
  SearchOptions search;
  // Webhook delivery (docs/webhooks.md): its thread, attempts, backoff, timeouts, bounds.
  WebhookOptions webhooks;
  // Payments (payments.h, docs/payments.md): off unless payments.provider is set; then orders
  // are placed in payment_pending and a worker thread asks the provider.
  PaymentOptions payments;
};

class COMMERCE_EXPORT Engine {
 public:
  // Errors as OpenStorage (storage.h), plus Corruption when the store's records fail to
  // decode.
  static Result<std::unique_ptr<Engine>> open(const EngineOptions& options);
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  Catalog& catalog();
  Inventory& inventory();
  Carts& carts();
  Orders& orders();
  Promotions& promotions();
  PriceLists& price_lists();  // price_lists.h, docs/prices.md
  Channels& channels();       // channels.h, docs/channels.md
  Customers& customers();
  Events& events();
  Search& search();
  Webhooks& webhooks();
  Payments& payments();
  Returns& returns();  // returns.h, docs/returns.md
  Storage& storage();

  // One round of every background consumer (cart expiry, ...), of the search indexer, of the
  // payment worker (when PaymentOptions::run_worker or run_background is false) and of
  // webhook delivery (when WebhookOptions::deliver is false or run_background is false: the
  // round's POSTs are waited for, each bounded by request_timeout), on the calling thread.
  Status run_background_once();

  // A consistent copy of the store, taken while writes go on, into `dir` (absent or empty);
  // opening it is the restore. As Storage::backup (storage.h): the copy holds every write
  // acknowledged before the call, each whole; the search index is not copied (a restored
  // engine rebuilds it from the event log). NotSupported on the postgres driver.
  Status backup(const std::string& dir, const BackupOptions& options = {});

  // Checks every record and every invariant across records (verify.h) on one snapshot,
  // while the engine keeps serving; options.path only labels the report. Files, pages, the
  // log and the search index are checked by VerifyStore, on a closed store.
  Result<VerifyReport> verify(const VerifyOptions& options = {});

  // Finishes queued writes and closes the store. Later calls fail with FailedPrecondition.
  Status close();

 private:
  explicit Engine(std::unique_ptr<EngineCore> core);
  std::unique_ptr<EngineCore> core_;
  std::unique_ptr<Catalog> catalog_;
  std::unique_ptr<Inventory> inventory_;
  std::unique_ptr<Carts> carts_;
  std::unique_ptr<Orders> orders_;
  std::unique_ptr<Customers> customers_;
  std::unique_ptr<Events> events_;
  std::unique_ptr<Background> background_;
  std::unique_ptr<SearchService> search_service_;
  std::unique_ptr<Search> search_;
  std::unique_ptr<WebhookService> webhook_service_;
  std::unique_ptr<Webhooks> webhooks_;
  std::unique_ptr<Promotions> promotions_;
  std::unique_ptr<PaymentService> payment_service_;
  std::unique_ptr<Payments> payments_;
  std::unique_ptr<Returns> returns_;
  std::unique_ptr<PriceLists> price_lists_;
  std::unique_ptr<Channels> channels_;
};

}  // namespace commerce
