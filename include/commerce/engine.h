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

#include "commerce/catalog.h"
#include "commerce/events.h"
#include "commerce/export.h"
#include "commerce/status.h"
#include "commerce/storage.h"

namespace commerce {

struct EngineOptions {
  // Directory of the store; created if absent.
  std::string path;
  // "lmdb" (default) or "sqlite".
  std::string driver = "lmdb";
  // Tuning of the storage driver; its path and driver fields are taken from above.
  StorageOptions storage;
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
  Events& events();
  Storage& storage();

  // Finishes queued writes and closes the store. Later calls fail with FailedPrecondition.
  Status close();

 private:
  explicit Engine(std::unique_ptr<EngineCore> core);
  std::unique_ptr<EngineCore> core_;
  std::unique_ptr<Catalog> catalog_;
  std::unique_ptr<Events> events_;
};

}  // namespace commerce
