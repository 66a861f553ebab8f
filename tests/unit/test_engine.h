// Test helpers: a plain product, and an Engine on a given driver or the test fails at once with
// the open error. Background consumers are off (tests that need them call run_background_once()
// or open their own engine), so what a test counts is only what it did.
#pragma once

#include <catch2/catch.hpp>
#include <memory>
#include <string>
#include <vector>

#include "commerce/engine.h"
#include "pg_test_cluster.h"

namespace commerce::testing {

// One variant ("SKU-<id>", $19.99), brand "Acme".
inline Product PlainProduct(const std::string& id, const std::string& title) {
  Product p;
  p.id = id;
  p.title = title;
  p.brand = "Acme";
  Variant v;
  v.sku = "SKU-" + id;
  v.price = Money{1999, "USD"};
  p.variants.push_back(v);
  return p;
}

// Options of a local engine at `path` with no background thread and no search indexer: what a
// test of a remote tier (Redis, NATS) writes and reads is all there is.
inline EngineOptions QuietEngineOptions(const std::string& path) {
  EngineOptions o;
  o.path = path;
  o.run_background = false;
  o.search.run_indexer = false;
  return o;
}

// Points `o` at `driver`; for postgres, at the test server (PgTestUrl) in a schema of its own,
// so that a suite written for the local drivers runs unchanged on PostgreSQL too
// (TestStorageDrivers chooses the drivers; ctest's postgres stage runs postgres alone).
inline void UseTestDriver(EngineOptions& o, const std::string& driver, std::string_view schema_prefix = "") {
  o.driver = driver;
  if (driver == "postgres") {
    o.storage.postgres_url = PgTestUrl();
    o.storage.postgres_schema = UniquePgSchema(schema_prefix);
  }
}

// The types of the events in `engine`'s log whose type starts with `prefix`, oldest first: what
// a test of a state machine compares with the moves it made.
inline std::vector<std::string> EventTypesWithPrefix(Engine& engine, const std::string& prefix) {
  std::vector<std::string> out;
  auto events = engine.events().tail(1, 10000);
  REQUIRE(events.ok());
  for (const auto& ev : *events)
    if (ev.type.rfind(prefix, 0) == 0) out.push_back(ev.type);
  return out;
}

inline std::unique_ptr<Engine> OpenTestEngine(const std::string& path, const std::string& driver) {
  EngineOptions options;
  options.path = path;
  options.driver = driver;
  options.run_background = false;
  // FillStore's (test_store.h) webhook aims at a closed port of this machine, to fail.
  options.webhooks.allowed_networks = {"127.0.0.1/32"};
  auto engine = Engine::open(options);
  INFO("open " << path << " (" << driver << "): " << engine.status().ToString());
  REQUIRE(engine.ok());
  return std::move(engine).value();
}

}  // namespace commerce::testing
