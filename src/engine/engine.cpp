#include "commerce/engine.h"

#include "engine/engine_core.h"

namespace commerce {

Result<std::unique_ptr<Engine>> Engine::open(const EngineOptions& options) {
  StorageOptions so = options.storage;
  so.path = options.path;
  so.driver = options.driver;
  auto core = std::make_unique<EngineCore>();
  COMMERCE_ASSIGN_OR_RETURN(core->storage, OpenStorage(so));
  Storage& s = *core->storage;
  Tables& t = core->tables;
  struct { Table* table; const char* name; } all[] = {
      {&t.meta, "meta"},
      {&t.events, "events"},
      {&t.products, "products"},
      {&t.skus, "skus"},
      {&t.categories, "categories"},
      {&t.category_children, "category_children"},
      {&t.category_products, "category_products"},
  };
  for (auto& [table, name] : all) {
    COMMERCE_ASSIGN_OR_RETURN(*table, s.table(name));
  }
  return std::unique_ptr<Engine>(new Engine(std::move(core)));
}

Engine::Engine(std::unique_ptr<EngineCore> core)
    : core_(std::move(core)),
      catalog_(std::make_unique<Catalog>(core_.get())),
      events_(std::make_unique<Events>(core_.get())) {}

Engine::~Engine() { (void)close(); }

Catalog& Engine::catalog() { return *catalog_; }
Events& Engine::events() { return *events_; }
Storage& Engine::storage() { return *core_->storage; }

Status Engine::close() { return core_->storage->close(); }

}  // namespace commerce
