// What every engine shares inside one Engine: the storage, the tables, the clock and the
// event notifier. Not installed; engines receive an EngineCore* from Engine.
#pragma once

#include <chrono>
#include <memory>

#include "commerce/storage.h"
#include "events/event_log.h"

namespace commerce {

struct Tables {
  Table meta;               // counters, consumer cursors
  Table events;             // seq -> event
  Table products;           // product id -> Product
  Table skus;               // sku -> product id
  Table categories;         // category id -> Category
  Table category_children;  // (parent id, child id) -> ""
  Table category_products;  // (category id, product id) -> "", also for every ancestor
};

class EngineCore {
 public:
  std::unique_ptr<Storage> storage;
  Tables tables;
  EventNotifier notifier;

  static int64_t NowMs() {
    using namespace std::chrono;
    return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
  }

  // storage->write, then wakes event waiters: every engine write goes through here.
  Status Write(Mutation m, WriteOptions o = {}) {
    Status s = storage->write(std::move(m), o);
    if (s.ok()) notifier.Notify();
    return s;
  }
};

}  // namespace commerce
