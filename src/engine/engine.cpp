#include "commerce/engine.h"

#include "cart/cart_expiry.h"
#include "engine/background.h"
#include "engine/engine_core.h"
#include "engine/lease.h"
#include "engine/replica_id.h"
#include "search/search_service.h"
#include "webhooks/webhook_service.h"

namespace commerce {

namespace {

// How long a silent holder of a durable consumer's lease keeps it on a shared store
// (docs/scaling.md, "Durable consumers"): how long expiry and deliveries pause when it dies.
constexpr auto kConsumerLeaseTtl = std::chrono::seconds(10);

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
  COMMERCE_RETURN_IF_ERROR(WebhookService::CheckOptions(options.webhooks));
  StorageOptions so;
  static_cast<StorageTuning&>(so) = options.storage;
  so.path = options.path;
  so.driver = options.driver;
  auto core = std::make_unique<EngineCore>();
  COMMERCE_ASSIGN_OR_RETURN(core->storage, OpenStorage(so));
  COMMERCE_RETURN_IF_ERROR(OpenTables(*core->storage, core->tables));
  COMMERCE_ASSIGN_OR_RETURN(core->replica_id, LoadReplicaId(*core, options.path));
  core->pricing = options.pricing ? options.pricing : MakeDefaultPricing();
  core->cart_ttl = options.cart_ttl;
  std::unique_ptr<Engine> engine(new Engine(std::move(core)));
  engine->background_ = std::make_unique<Background>(engine->core_.get(), engine->events_.get(),
                                                     options.background_tick);
  engine->background_->Add(MakeCartExpiryConsumer(engine->core_.get()));
  SearchOptions search = options.search;
  if (!options.run_background) search.run_indexer = false;
  EngineCore& shared = *engine->core_;
  engine->search_service_ = std::make_unique<SearchService>(
      shared.storage.get(), &shared.notifier, engine->catalog_.get(), engine->inventory_.get(),
      engine->events_.get(), options.path + "/search", search);
  COMMERCE_RETURN_IF_ERROR(engine->search_service_->Open());
  engine->search_.reset(new Search(engine->search_service_.get()));
  engine->webhook_service_ = std::make_unique<WebhookService>(engine->core_.get(), options.webhooks);
  engine->webhooks_.reset(new Webhooks(engine->webhook_service_.get()));
  if (engine->core_->storage->capabilities() & kRemote) {
    // Other processes may share the store: one of them at a time runs each durable consumer.
    engine->background_->UseLease(
        std::make_unique<Lease>(engine->core_.get(), "background", kConsumerLeaseTtl));
    engine->webhook_service_->UseLease(
        std::make_unique<Lease>(engine->core_.get(), "webhooks", kConsumerLeaseTtl));
  }
  if (options.run_background) engine->background_->Start();
  engine->search_service_->Start();
  // Its own thread: a slow receiver must not delay cart expiry, nor cart expiry a delivery.
  if (options.run_background && options.webhooks.deliver) engine->webhook_service_->Start();
  return engine;
}

Engine::Engine(std::unique_ptr<EngineCore> core)
    : core_(std::move(core)),
      catalog_(new Catalog(core_.get())),
      inventory_(new Inventory(core_.get())),
      carts_(new Carts(core_.get())),
      orders_(new Orders(core_.get())),
      customers_(new Customers(core_.get())),
      events_(new Events(core_.get())) {}

Engine::~Engine() { (void)close(); }

Catalog& Engine::catalog() { return *catalog_; }
Inventory& Engine::inventory() { return *inventory_; }
Carts& Engine::carts() { return *carts_; }
Orders& Engine::orders() { return *orders_; }
Customers& Engine::customers() { return *customers_; }
Events& Engine::events() { return *events_; }
Search& Engine::search() { return *search_; }
Webhooks& Engine::webhooks() { return *webhooks_; }
Storage& Engine::storage() { return *core_->storage; }

Status Engine::backup(const std::string& dir, const BackupOptions& options) {
  return core_->storage->backup(dir, options);
}

Status Engine::run_background_once() {
  if (!background_) return Status::FailedPrecondition("engine is closed");
  Status s = background_->RunOnce();
  Status indexed = search_service_->RunOnce();
  Status delivered = webhook_service_->RunOnce();  // a no-op while its thread runs
  if (!s.ok()) return s;
  return indexed.ok() ? delivered : indexed;
}

Status Engine::close() {
  // Background consumers and the indexer stop before the store closes under them.
  if (background_) background_->Stop();
  if (search_service_) search_service_->Stop();
  if (webhook_service_) webhook_service_->Stop();
  return core_->storage->close();
}

}  // namespace commerce
