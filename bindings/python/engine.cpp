// Binds include/commerce/engine.h: the Engine (a context manager) and its options, and the
// engines it hands out as properties. Each engine object keeps its Engine alive
// (reference_internal), so `cat = Engine(p).catalog` is safe; after close() every call raises
// FailedPrecondition, as in C++.
#include "commerce/engine.h"
#include "commerce/channels.h"
#include "commerce/price_lists.h"

#include <pybind11/stl/filesystem.h>

#include <filesystem>
#include <functional>
#include <optional>

#include "bind.h"
#include "commerce/version.h"

namespace commerce::python {

namespace {

// Runs backup(o) without the GIL; progress(done_bytes, total_bytes), a Python callable or
// None, is called as it copies. An exception progress raises stops its later calls and is
// raised once the copy has ended (the copy itself is not stopped half-way).
Status BackupWithProgress(const std::function<Status(const BackupOptions&)>& backup,
                          py::object progress) {
  BackupOptions o;
  std::optional<PyCallback> cb;
  if (!progress.is_none()) {
    cb.emplace(std::move(progress));
    o.progress = [cb = *cb](uint64_t done, uint64_t total) { cb(done, total); };
  }
  Status s;
  {
    py::gil_scoped_release release;
    s = backup(o);
    o.progress = nullptr;
  }
  if (cb) cb->Rethrow();
  return s;
}

}  // namespace

void BindEngine(py::module_& m) {
  Value<StorageTuning>(m, "StorageTuning", "Tuning of the storage driver (EngineOptions.storage).")
      .field("max_group_size", &StorageTuning::max_group_size, "Most mutations per group commit.")
      .field("max_group_wait_us", &StorageTuning::max_group_wait_us, "Wait for more before committing.")
      .field("lmdb_map_size", &StorageTuning::lmdb_map_size, "LMDB starting map size.")
      .field("lmdb_max_map_size", &StorageTuning::lmdb_max_map_size, "LMDB largest map size.")
      .field("lmdb_checkpoint_bytes", &StorageTuning::lmdb_checkpoint_bytes, "Checkpoint at this log size.")
      .field("lmdb_checkpoint_interval_ms", &StorageTuning::lmdb_checkpoint_interval_ms, "Or after this long.")
      .field("lmdb_sync_each_commit", &StorageTuning::lmdb_sync_each_commit, "LMDB's own synced commit per group.")
      .field("lmdb_max_readers", &StorageTuning::lmdb_max_readers, "Concurrent read transactions.")
      .field("sqlite_synchronous", &StorageTuning::sqlite_synchronous, "'FULL' or 'NORMAL'.")
      .field("sqlite_cache_kib", &StorageTuning::sqlite_cache_kib, "SQLite page cache, KiB.")
      .field("postgres_url", &StorageTuning::postgres_url,
             "libpq connection string; empty: the COMMERCE_PG_URL environment variable.")
      .field("postgres_schema", &StorageTuning::postgres_schema, "PostgreSQL schema of the store.")
      .field("postgres_pool_size", &StorageTuning::postgres_pool_size, "Most PostgreSQL read connections.")
      .field("postgres_connect_timeout_s", &StorageTuning::postgres_connect_timeout_s,
             "Seconds to wait for a PostgreSQL server to accept a connection.")
      .field("postgres_max_attempts", &StorageTuning::postgres_max_attempts,
             "Attempts of a group meeting serialization failures or lost connections.")
      .field("postgres_in_doubt_timeout_ms", &StorageTuning::postgres_in_doubt_timeout_ms,
             "How long a group whose COMMIT went unanswered may stay unresolved.")
      .field("postgres_key_locks", &StorageTuning::postgres_key_locks,
             "Groups of change sets run side by side under per-key locks; False: one group at a time.")
      .field("postgres_writers", &StorageTuning::postgres_writers,
             "Groups of change sets one process has in flight at once (1..64), a connection each.");

  Value<EngineOptions>(m, "EngineOptions",
                       "How to open an Engine; Engine(path, **fields) sets these by keyword.")
      .field("path", &EngineOptions::path, "Directory of the store; created if absent.")
      .field("driver", &EngineOptions::driver, "'lmdb' (default), 'sqlite' or 'postgres'.")
      .field("create_if_missing", &EngineOptions::create_if_missing,
             "False: open an existing store only (NotFound otherwise, nothing created).")
      .field("storage", &EngineOptions::storage, "StorageTuning.")
      .field("pricing", &EngineOptions::pricing, "A PricingPolicy (make_default_pricing()) or None.")
      .field("cart_ttl", &EngineOptions::cart_ttl, "Carts untouched this long expire.")
      .field("background_tick", &EngineOptions::background_tick, "How often background consumers look for work.")
      .field("run_background", &EngineOptions::run_background,
             "False: no background thread (consumers run in run_background_once()).")
      .field("consumer_lease_ttl", &EngineOptions::consumer_lease_ttl,
             "Shared stores: the lease of cart expiry and webhook delivery (take-over time).")
      .field("event_retention", &EngineOptions::event_retention,
             "EventRetention: the background trimming of the event log (off by default).")
      .field("search", &EngineOptions::search, "SearchOptions.")
      .field("webhooks", &EngineOptions::webhooks, "WebhookOptions.")
      .field("payments", &EngineOptions::payments, "PaymentOptions: off unless payments.provider is set.");

  py::class_<Engine, std::unique_ptr<Engine>>(
      m, "Engine",
      "The entry point: opens a store and gives access to the engines over it.\n\n"
      "    with commerce.Engine('./shop') as engine:        # LMDB by default\n"
      "        engine.catalog.get_by_sku('SKU-1')\n\n"
      "Engine(path, **options) takes EngineOptions fields as keywords (driver='sqlite', "
      "run_background=False, search=SearchOptions(shards=1), pricing=make_default_pricing(...)),"
      " or Engine(options=EngineOptions(...)). Safe to use from any number of threads; "
      "close() (or leaving the with block) finishes queued writes and closes the store.")
      .def(py::init([](const EngineOptions& options) {
             Result<std::unique_ptr<Engine>> r = Status::Internal("not opened");
             {
               py::gil_scoped_release release;
               r = Engine::open(options);
             }
             ThrowIfError(r.status());
             return std::move(r).value();
           }),
           py::kw_only(), py::arg("options"), "Opens the store described by options.")
      .def_property_readonly("catalog", &Engine::catalog, py::return_value_policy::reference_internal,
                             "Catalog: products, variants, categories, import.")
      .def_property_readonly("inventory", &Engine::inventory, py::return_value_policy::reference_internal,
                             "Inventory: warehouses and stock.")
      .def_property_readonly("carts", &Engine::carts, py::return_value_policy::reference_internal,
                             "Carts.")
      .def_property_readonly("orders", &Engine::orders, py::return_value_policy::reference_internal,
                             "Orders.")
      .def_property_readonly("promotions", &Engine::promotions, py::return_value_policy::reference_internal,
                             "Promotions: discount rules and coupon codes.")
      .def_property_readonly("price_lists", &Engine::price_lists, py::return_value_policy::reference_internal,
                             "PriceLists: prices per currency, customer group and channel.")
      .def_property_readonly("channels", &Engine::channels, py::return_value_policy::reference_internal,
                             "Channels: storefronts (visible products, currencies, warehouses).")
      .def_property_readonly("customers", &Engine::customers, py::return_value_policy::reference_internal,
                             "Customers.")
      .def_property_readonly("events", &Engine::events, py::return_value_policy::reference_internal,
                             "Events: the event log.")
      .def_property_readonly("search", &Engine::search, py::return_value_policy::reference_internal,
                             "Search: the product index.")
      .def_property_readonly("webhooks", &Engine::webhooks, py::return_value_policy::reference_internal,
                             "Webhooks: subscriptions and delivery failures.")
      .def_property_readonly("payments", &Engine::payments, py::return_value_policy::reference_internal,
                             "Payments: orders' payments, refunds, provider webhooks.")
      .def_property_readonly("returns", &Engine::returns, py::return_value_policy::reference_internal,
                             "Returns: returns (RMA), exchanges and their refunds.")
      .def("run_background_once", &Engine::run_background_once, ReleaseGil(),
           "One round of every background consumer and the search indexer, on this thread.")
      .def("checkpoint", [](Engine& e) { return e.storage().checkpoint(); }, ReleaseGil(),
           "Syncs the store and trims the LMDB driver's log (NotSupported on drivers without one).")
      .def(
          "verify",
          [](Engine& e) {
            Result<VerifyReport> r = Status::Internal("not run");
            {
              py::gil_scoped_release release;
              r = e.verify();
            }
            return r;
          },
          "Checks every record and every invariant across records on one snapshot of this open "
          "engine (VerifyReport; commerce.verify(path) checks a closed store's files too).")
      .def("backup",
           [](Engine& e, const std::filesystem::path& dir, py::object progress) {
             ThrowIfError(BackupWithProgress([&](const BackupOptions& o) { return e.backup(dir.string(), o); }, progress));
           },
           py::arg("dir"), py::kw_only(), py::arg("progress") = py::none(),
           "A consistent copy of the store into dir (absent or empty), taken while writes go on; "
           "open it to restore. progress(done_bytes, total_bytes) is called as it copies; an "
           "exception it raises is raised once the copy has ended.")
      .def("close", &Engine::close, ReleaseGil(),
           "Finishes queued writes and closes the store; later calls raise FailedPrecondition. "
           "Raises FailedPrecondition when already closed.")
      .def_property_readonly(
          "driver", [](Engine& e) { return std::string(e.storage().driver()); }, "'lmdb', 'sqlite' or 'postgres'.");

  m.def(
      "backup_store",
      [](const std::filesystem::path& data, const std::filesystem::path& to, const std::string& driver,
         py::object progress) {
        StorageOptions o;
        o.driver = driver;
        o.path = data.string();
        ThrowIfError(BackupWithProgress([&](const BackupOptions& b) { return BackupStore(o, to.string(), b); }, progress));
      },
      py::arg("data"), py::arg("to"), py::kw_only(), py::arg("driver") = "lmdb", py::arg("progress") = py::none(),
      "Backs up the store at data into to (as `commerce backup`), whether a process has it open "
      "(a running server: copied read-only beside it) or none does. lmdb and sqlite drivers.");

  m.attr("__version__") = COMMERCE_VERSION_STRING;
}

}  // namespace commerce::python
