// The catalog: products with variants (SKUs), options, attributes, a brand, categories in a
// tree, prices in integer minor units, a status and a version for optimistic concurrency.
//
// Every write is one durable, group-committed mutation that also appends its event
// (ProductUpserted, ProductArchived, CategoryUpserted) to the event log in the same
// transaction. Bad input is rejected before anything is written.
//
// Thread safety: a Catalog (from Engine::catalog()) is safe to use from any number of
// threads. Reads see a consistent snapshot and never wait for writers.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "commerce/export.h"
#include "commerce/money.h"
#include "commerce/status.h"

namespace commerce {

class EngineCore;

enum class ProductStatus : uint8_t { kDraft = 0, kActive = 1, kArchived = 2 };
COMMERCE_EXPORT const char* ProductStatusName(ProductStatus s);  // "draft", "active", "archived"
COMMERCE_EXPORT Result<ProductStatus> ParseProductStatus(std::string_view name);

// One sellable item: what a cart line and a stock record refer to.
struct Variant {
  std::string sku;                             // unique across the catalog; 1..64 printable chars
  std::map<std::string, std::string> options;  // option name -> value, e.g. {"colour": "black"}
  Money price;                                 // > 0 minor units... or 0 for free items
  std::string barcode;                         // GTIN / UPC / model number, optional
  std::map<std::string, std::string> attributes;

  friend bool operator==(const Variant&, const Variant&) = default;
};

struct Product {
  std::string id;            // 1..64 printable chars, no spaces at the ends
  std::string title;         // 1..1000 chars
  std::string description;   // up to 100,000 chars
  std::string brand;         // up to 200 chars
  std::vector<std::string> categories;  // category ids; each must exist (see upsert_category)
  std::vector<std::string> options;     // option names the variants use, e.g. {"size", "colour"}
  std::map<std::string, std::string> attributes;
  std::vector<Variant> variants;        // at least one; all in one currency
  ProductStatus status = ProductStatus::kActive;
  int64_t popularity = 0;               // a sort key for listings and search tie-breaks

  // Set by the engine on write; ignored on input.
  int64_t created_at_ms = 0;
  int64_t updated_at_ms = 0;
  uint64_t version = 0;  // 1 on creation, +1 on every change

  friend bool operator==(const Product&, const Product&) = default;
};

// A node of the category tree. Ids are lower-case slugs joined by '/', root first:
// "cell-phones/prepaid-phones". The parent of "a/b" is "a"; a root has parent "".
struct Category {
  std::string id;
  std::string name;       // as shown to people: "Prepaid Phones"
  std::string parent_id;  // derived from id

  friend bool operator==(const Category&, const Category&) = default;
};

// The product as one JSON object in the native import schema (docs/catalog.md), so that it
// imports back unchanged. Engine-set fields (version, created_at_ms, updated_at_ms) are
// included when `with_engine_fields`; import_file rejects them, so leave them out for files
// meant to be imported (ProductFromJson accepts them).
COMMERCE_EXPORT std::string ProductToJson(const Product& p, bool with_engine_fields = true);

struct ProductJsonOptions {
  // The currency of a variant that names none.
  std::string default_currency = "USD";
  // false: "id" may be left out (the caller sets it, e.g. from a URL path).
  bool id_required = true;
  // Put before the field in error messages ("body." -> "body.variants[0].price: ...").
  std::string field_prefix;
};

// One product from JSON in the native import schema, read by the same reader as import_file,
// so a product reads the same from a file, an HTTP body or Python. Category paths
// ("categories": ["Shoes > Running"]) become the ids of their leaves (CategoryIdFromPath),
// beside "category_ids"; those categories must exist when the product is upserted.
// ProductToJson's engine fields are accepted and ignored, so an exported product reads back.
// Errors: InvalidArgument naming the field (malformed JSON: its offset). Pure: no storage.
COMMERCE_EXPORT Result<Product> ProductFromJson(std::string_view json,
                                                const ProductJsonOptions& options = {});

// The id a category path gets: {"Cell Phones", "Prepaid Phones"} -> "cell-phones/prepaid-phones".
COMMERCE_EXPORT std::string CategoryIdFromPath(const std::vector<std::string>& names);

struct WriteCondition {
  // When set, the write succeeds only if the stored version equals it (Conflict otherwise;
  // 0 means "must not exist yet").
  std::optional<uint64_t> if_version;
};

// A page of a listing: pass next_cursor back to get the next page; empty when done.
template <typename T>
struct Page {
  std::vector<T> items;
  std::string next_cursor;
};

struct ListOptions {
  std::string cursor;     // from a previous Page, or empty for the first page
  size_t limit = 50;      // 1..1000
  bool include_archived = false;
  // "": every product. Else a channel's id (channels.h): only the products visible in it, read
  // through the channel's own rules (its categories' index ranges and product ids, merged by
  // product id), so a page costs reads in proportion to the page, not to the catalog
  // (docs/channels.md, "Listing a channel's products"). NotFound for an unknown channel.
  std::string channel;
};

struct CatalogStats {
  uint64_t products = 0;  // including archived
  uint64_t skus = 0;
  uint64_t categories = 0;
};

struct ImportProgress {
  uint64_t bytes_read = 0;
  uint64_t bytes_total = 0;
  uint64_t records = 0;   // records (lines, rows, array elements) read so far
  uint64_t imported = 0;  // acknowledged by storage
  uint64_t unchanged = 0;  // of those, equal to the stored product: nothing written
  uint64_t rejected = 0;
  double elapsed_s = 0;
};

struct Rejection {
  uint64_t line = 0;      // 1-based line (JSON Lines, CSV) or element index (JSON array)
  std::string field;      // the field at fault, or "" for the whole record
  std::string reason;
};

struct ImportReport {
  uint64_t records = 0;
  uint64_t imported = 0;   // records now stored as the input has them
  uint64_t unchanged = 0;  // of the imported, those already stored so: no write, no event
  uint64_t rejected = 0;
  uint64_t categories_created = 0;
  std::vector<Rejection> rejections;  // the first ImportOptions::max_rejections of them
  double seconds = 0;
  bool cancelled = false;  // ImportStream::cancel() stopped it; what was imported is kept
};

struct ImportOptions {
  // "auto" (by extension: .jsonl/.ndjson, .json, .csv), "jsonl", "json" (an array), "csv".
  std::string format = "auto";
  // A field-mapping file (JSON, see docs/catalog.md) that maps another schema — a retailer's
  // export — onto products; empty for the native schema.
  std::string mapping_path;
  // Currency for records that name none.
  std::string default_currency = "USD";
  // Called about every 1,000 records and at the end, on the importing thread.
  std::function<void(const ImportProgress&)> progress;
  size_t max_rejections = 1000;
  // The size of the input when known (a stream's Content-Length), for
  // ImportProgress::bytes_total; import_file takes the file's size instead.
  uint64_t expected_bytes = 0;
};

// A bulk import fed by the caller, chunk by chunk: what Catalog::import_file reads a file
// with, and what imports from memory and over HTTP use, so that every import parses,
// validates, reports and commits the same way (docs/catalog.md).
//
//   auto import = engine->catalog().start_import({.format = "jsonl"});
//   if (!import.ok()) ...;
//   while (have_more) {
//     Status s = (*import)->write(next_chunk);   // any split: mid-line, mid-character
//     if (!s.ok()) break;                        // the input is broken beyond one record
//   }
//   Result<ImportReport> report = (*import)->finish();
//
// write() parses the records the chunk completes, rejects the invalid ones (into the
// report) and hands each valid one to the storage writer as its own mutation, many in flight;
// it blocks while 4,096 of them await their group commit, so memory stays bounded by that
// window plus the largest record (16 MiB) plus the chunk, however large the input. finish()
// ends the input, waits for every record and makes them durable with one sync.
//
// Thread safety: write() and finish() are called by one thread at a time (the importing
// thread; it may change between calls). progress(), rejections() and cancel() may be called
// from any thread at any time, e.g. by a job watcher.
class COMMERCE_EXPORT ImportStream {
 public:
  // An unfinished stream is cancelled: records already handed to the writer stay imported
  // and are made durable before the destructor returns.
  ~ImportStream();
  ImportStream(const ImportStream&) = delete;
  ImportStream& operator=(const ImportStream&) = delete;

  // More input. OK also when records in it were rejected (they are in the report).
  // InvalidArgument when the input is broken beyond single records — a bad CSV header, a JSON
  // array that does not start with '[' or has data after its ']', no data at all — naming
  // where; the stream then takes no more input and finish() returns the same error.
  // FailedPrecondition after cancel() or finish().
  Status write(std::string_view chunk);
  // The end of input: parses what remains, waits for every record in flight, makes every
  // imported record durable (also after a cancel() or a broken input), and returns the
  // report. The error of a broken input (see write()) says how many records were imported
  // before it; they are kept. FailedPrecondition when called twice.
  Result<ImportReport> finish();

  // Counts so far. Thread-safe.
  ImportProgress progress() const;
  // The rejections so far (up to ImportOptions::max_rejections), in input order. Thread-safe.
  std::vector<Rejection> rejections() const;
  // Stops the import: records not yet handed to the writer are dropped, later write()s fail
  // with FailedPrecondition, and finish() returns the report of what was imported with
  // cancelled = true. Thread-safe; idempotent.
  void cancel();

  struct Impl;  // catalog_import.cpp

 private:
  friend class Catalog;
  explicit ImportStream(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

class COMMERCE_EXPORT Catalog {
 public:
  // Handed out by Engine (engine.h), which owns it; not copyable.
  Catalog(const Catalog&) = delete;
  Catalog& operator=(const Catalog&) = delete;

  // Creates or replaces the product with product.id; returns it as stored (version,
  // timestamps). A product equal to the stored one (engine-set fields aside) writes nothing:
  // no new version, no event; the stored product is returned. Errors: InvalidArgument (names the field), AlreadyExists (a SKU belongs to
  // another product), Conflict (if_version stale), NotFound (a category does not exist).
  Result<Product> upsert(const Product& product, WriteCondition cond = {});
  Result<Product> get(std::string_view product_id);
  Result<Product> get_by_sku(std::string_view sku);
  // Sets status archived (kept for order history; SKUs stay reserved to it).
  Result<Product> archive(std::string_view product_id, WriteCondition cond = {});

  // Products in a category or any of its sub-categories, by product id (with
  // options.channel: those of them the channel shows).
  Result<Page<Product>> list_by_category(std::string_view category_id, ListOptions options = {});
  // All products (with options.channel: those the channel shows), by product id. Each
  // product appears at most once however products are added or removed between pages: the
  // cursor is the last product id of the page.
  Result<Page<Product>> list(ListOptions options = {});

  // Creates or renames a category; its parent must exist (or it is a root).
  Status upsert_category(const Category& category);
  Result<Category> get_category(std::string_view category_id);
  // The direct children of `parent_id` ("" for the roots), by id.
  Result<std::vector<Category>> list_categories(std::string_view parent_id = "");

  Result<CatalogStats> stats();

  // Bulk import; see docs/catalog.md for the schemas. Valid records are imported, invalid
  // ones reported in ImportReport::rejections with line, field and reason; the import as a
  // whole fails only for a problem with the file itself (missing, unreadable, mapping
  // invalid). Every imported record is durable when this returns.
  Result<ImportReport> import_file(const std::string& path, const ImportOptions& options = {});
  // A streaming import (ImportStream above). options.format "auto" is decided by the first
  // byte that is not blank: '[' a JSON array, '{' JSON Lines, anything else CSV.
  // options.mapping_path and default_currency as for import_file. Errors: InvalidArgument
  // (unknown format or currency, a bad mapping file), NotFound (no mapping file).
  Result<std::unique_ptr<ImportStream>> start_import(const ImportOptions& options = {});
  // import_file with format "jsonl" / "csv" and a progress callback.
  Result<ImportReport> import_jsonl(const std::string& path,
                                    std::function<void(const ImportProgress&)> progress = {});
  Result<ImportReport> import_csv(const std::string& path,
                                  std::function<void(const ImportProgress&)> progress = {});

 private:
  friend class Engine;
  explicit Catalog(EngineCore* core) : core_(core) {}
  EngineCore* core_;
};

}  // namespace commerce
