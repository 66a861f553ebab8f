#include "commerce/engine.h"

#include "commerce/channels.h"
#include "commerce/price_lists.h"

#include "cart/cart_expiry.h"
#include "engine/background.h"
#include "engine/engine_core.h"
#include "engine/lease.h"
#include "engine/replica_id.h"
#include "engine/store_format.h"
#include "inventory/stock_home_slot.h"
#include "payments/payment_service.h"
#include "search/search_service.h"
#include "storage/postgres/pg_storage.h"
#include "webhooks/webhook_service.h"

namespace commerce {

namespace {

Status OpenTables(Storage& s, Tables& t) {
  for (const auto& [table, name] : kTableNames) {
    COMMERCE_ASSIGN_OR_RETURN(t.*table, s.table(name));
  }
  return Status::OK();
}

}  // namespace

Result<std::unique_ptr<Engine>> Engine::open(const EngineOptions& options) {
  if (options.cart_ttl.count() <= 0)
    return Status::InvalidArgument("cart_ttl must be positive");
  if (options.background_tick.count() <= 0)
    return Status::InvalidArgument("background_tick must be positive");
  // Below 200 ms a holder's renewal (every third of the ttl) is a write every few dozen
  // milliseconds and one slow commit loses the lease.
  if (options.consumer_lease_ttl < std::chrono::milliseconds(200) ||
      options.consumer_lease_ttl > std::chrono::hours(1))
    return Status::InvalidArgument("consumer_lease_ttl must be 200 ms .. 1 hour, not " +
                                   std::to_string(options.consumer_lease_ttl.count()) + " ms");
  COMMERCE_RETURN_IF_ERROR(WebhookService::CheckOptions(options.webhooks));
  COMMERCE_RETURN_IF_ERROR(PaymentService::CheckOptions(options.payments));
  const EventRetention& retention = options.event_retention;
  if (retention.max_age.count() < 0)
    return Status::InvalidArgument("event_retention.max_age must not be negative");
  if (retention.interval < std::chrono::seconds(1) || retention.interval > std::chrono::hours(24))
    return Status::InvalidArgument("event_retention.interval must be 1 s .. 1 day, not " +
                                   std::to_string(retention.interval.count()) + " ms");
  StorageOptions so;
  static_cast<StorageTuning&>(so) = options.storage;
  so.path = options.path;
  so.driver = options.driver;
  so.create_if_missing = options.create_if_missing;
  auto core = std::make_unique<EngineCore>();
  COMMERCE_ASSIGN_OR_RETURN(core->storage, OpenStorage(so));
  COMMERCE_RETURN_IF_ERROR(OpenTables(*core->storage, core->tables));
  COMMERCE_ASSIGN_OR_RETURN(core->replica_id, LoadReplicaId(*core, options.path));
  // Before any engine writes: a change set refuses stock rows of an older format.
  COMMERCE_RETURN_IF_ERROR(UpgradeStore(*core));
  core->pricing = options.pricing ? options.pricing : MakeDefaultPricing();
  core->cart_ttl = options.cart_ttl;
  if (options.payments.provider) core->payment_provider = options.payments.provider->name();
  if (core->storage->capabilities() & kRemote) {
    COMMERCE_ASSIGN_OR_RETURN(core->slot_home,
                              TakeSlotHomeNumber(*core->storage, core->tables.meta));
  }
  std::unique_ptr<Engine> engine(new Engine(std::move(core)));
  if (engine->core_->storage->capabilities() & kRemote) {
    // Other processes' commits wake this one's waiters and listeners (long-polls, the
    // indexer) at once. Where the server cannot (NotSupported) they are seen by polling:
    // Events::wait every 100 ms, the consumers every background_tick.
    EventNotifier* notifier = &engine->core_->notifier;
    (void)ListenForCommits(*engine->core_->storage, [notifier] { notifier->Notify(); });
  }
  engine->background_ = std::make_unique<Background>(engine->core_.get(), engine->events_.get(),
                                                     options.background_tick);
  engine->background_->Add(MakeCartExpiryConsumer(engine->core_.get()));
  engine->events_->registered_ = engine->background_->ConsumerNames();
  if (retention.max_age.count() > 0 || retention.max_count > 0)
    engine->background_->UseRetention(retention);
  SearchOptions search = options.search;
  if (!options.run_background) search.run_indexer = false;
  EngineCore& shared = *engine->core_;
  engine->search_service_ = std::make_unique<SearchService>(
      shared.storage.get(), &shared.notifier, engine->catalog_.get(), engine->inventory_.get(),
      engine->events_.get(), engine->price_lists_.get(), engine->channels_.get(),
      options.path + "/search", search);
  COMMERCE_RETURN_IF_ERROR(engine->search_service_->Open());
  engine->search_.reset(new Search(engine->search_service_.get()));
  if (search.run_indexer) {
    // A running indexer holds the log's horizon; one that does not run (or another
    // process's) rebuilds from the catalog when it finds itself behind it (indexer.h).
    SearchService* service = engine->search_service_.get();
    engine->events_->index_seq_ = [service] { return service->IndexedSeq(); };
  }
  SearchService::Register(engine->search_.get(), engine->search_service_.get());
  engine->webhook_service_ = std::make_unique<WebhookService>(engine->core_.get(), options.webhooks);
  engine->webhooks_.reset(new Webhooks(engine->webhook_service_.get()));
  engine->payment_service_ = std::make_unique<PaymentService>(engine->core_.get(), options.payments);
  engine->payments_.reset(new Payments(engine->payment_service_.get()));
  if (engine->core_->storage->capabilities() & kRemote) {
    // Other processes may share the store: one of them at a time runs each durable consumer.
    Storage* storage = engine->core_->storage.get();
    const Table meta = engine->core_->tables.meta;
    engine->background_->UseLease(
        std::make_unique<Lease>(storage, meta, "background", options.consumer_lease_ttl));
    engine->webhook_service_->UseLease(
        std::make_unique<Lease>(storage, meta, "webhooks", options.consumer_lease_ttl));
    engine->payment_service_->UseLease(
        std::make_unique<Lease>(storage, meta, "payments", options.consumer_lease_ttl));
  }
  if (options.run_background) engine->background_->Start();
  engine->search_service_->Start();
  // Its own thread: a slow receiver must not delay cart expiry, nor cart expiry a delivery.
  if (options.run_background && options.webhooks.deliver) engine->webhook_service_->Start();
  // Its own thread too: a provider that answers slowly delays no other consumer.
  if (options.run_background && options.payments.run_worker) engine->payment_service_->Start();
  return engine;
}

Engine::Engine(std::unique_ptr<EngineCore> core)
    : core_(std::move(core)),
      catalog_(new Catalog(core_.get())),
      inventory_(new Inventory(core_.get())),
      carts_(new Carts(core_.get())),
      orders_(new Orders(core_.get())),
      customers_(new Customers(core_.get())),
      events_(new Events(core_.get())),
      promotions_(new Promotions(core_.get())),
      returns_(new Returns(core_.get(), orders_.get())),
      price_lists_(new PriceLists(core_.get())),
      channels_(new Channels(core_.get())) {}

Engine::~Engine() {
  (void)close();
  if (search_) SearchService::Unregister(search_.get());
}

Catalog& Engine::catalog() { return *catalog_; }
Inventory& Engine::inventory() { return *inventory_; }
Carts& Engine::carts() { return *carts_; }
Orders& Engine::orders() { return *orders_; }
Promotions& Engine::promotions() { return *promotions_; }
Customers& Engine::customers() { return *customers_; }
Events& Engine::events() { return *events_; }
Search& Engine::search() { return *search_; }
Webhooks& Engine::webhooks() { return *webhooks_; }
Payments& Engine::payments() { return *payments_; }
Returns& Engine::returns() { return *returns_; }
PriceLists& Engine::price_lists() { return *price_lists_; }
Channels& Engine::channels() { return *channels_; }
Storage& Engine::storage() { return *core_->storage; }

Status Engine::backup(const std::string& dir, const BackupOptions& options) {
  return core_->storage->backup(dir, options);
}

Status Engine::run_background_once() {
  if (!background_) return Status::FailedPrecondition("engine is closed");
  Status s = background_->RunOnce();
  Status indexed = search_service_->RunOnce();
  Status delivered = webhook_service_->RunOnce();  // a no-op while its thread runs
  Status paid = payment_service_->RunOnce();        // likewise
  if (!s.ok()) return s;
  if (!indexed.ok()) return indexed;
  return delivered.ok() ? paid : delivered;
}

Status Engine::close() {
  // Background consumers and the indexer stop before the store closes under them.
  if (background_) background_->Stop();
  if (search_service_) search_service_->Stop();
  if (webhook_service_) webhook_service_->Stop();
  if (payment_service_) payment_service_->Stop();
  return core_->storage->close();
}

}  // namespace commerce
