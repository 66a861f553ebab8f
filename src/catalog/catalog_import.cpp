// Bulk import: parse records (import_parser.h), validate each, and hand each valid one to
// the writer as its own mutation with sync=false, many in flight at once. Group commit
// batches them (hundreds per group), a bad record fails alone, and one sync() at the end
// makes the whole import durable. Memory stays bounded by the in-flight window.
#include <chrono>
#include <condition_variable>
#include <mutex>

#include "catalog/catalog_store.h"
#include "catalog/import_parser.h"
#include "catalog/product_validation.h"
#include "commerce/catalog.h"
#include "engine/engine_core.h"

namespace commerce {

namespace {

// Records submitted and not yet acknowledged. Large enough to keep groups full, small
// enough to bound memory on a huge file.
constexpr size_t kInFlight = 4096;

struct ImportState {
  std::mutex mu;
  std::condition_variable cv;
  size_t in_flight = 0;
  uint64_t imported = 0;
  uint64_t rejected = 0;
  uint64_t categories_created = 0;
  std::vector<Rejection> rejections;
  size_t max_rejections = 0;

  void Reject(Rejection r) {
    ++rejected;
    if (rejections.size() < max_rejections) rejections.push_back(std::move(r));
  }
};

}  // namespace

Result<ImportReport> Catalog::import_file(const std::string& path, const ImportOptions& options) {
  if (options.max_rejections > 1'000'000)
    return Status::InvalidArgument("max_rejections must be at most 1000000");
  COMMERCE_ASSIGN_OR_RETURN(auto parser, ImportParser::Open(path, options));
  const auto start = std::chrono::steady_clock::now();
  const Tables& t = core_->tables;
  ImportState st;
  st.max_rejections = options.max_rejections;
  uint64_t records = 0;

  auto report_progress = [&] {
    if (!options.progress) return;
    ImportProgress p;
    p.bytes_read = parser->bytes_read();
    p.bytes_total = parser->bytes_total();
    p.records = records;
    {
      std::lock_guard<std::mutex> lock(st.mu);
      p.imported = st.imported;
      p.rejected = st.rejected;
    }
    p.elapsed_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    options.progress(p);
  };

  ParsedRecord rec;
  while (parser->next(&rec)) {
    ++records;
    if (records % 1000 == 0) report_progress();
    if (!rec.product) {
      std::lock_guard<std::mutex> lock(st.mu);
      st.Reject(std::move(rec.rejection));
      continue;
    }
    // Validate what does not need the store before anything is written; categories are
    // filled in inside the mutation.
    Status valid = ValidateProduct(rec.product->product);
    if (!valid.ok()) {
      std::lock_guard<std::mutex> lock(st.mu);
      st.Reject(RejectionFromStatus(rec.line, valid));
      continue;
    }
    {
      std::unique_lock<std::mutex> lock(st.mu);
      st.cv.wait(lock, [&] { return st.in_flight < kInFlight; });
      ++st.in_flight;
    }
    auto parsed = std::make_shared<ParsedProduct>(std::move(*rec.product));
    const uint64_t line = rec.line;
    const int64_t now = EngineCore::NowMs();
    auto created = std::make_shared<uint64_t>(0);
    core_->storage->write_async(
        [parsed, created, &t, now](WriteTxn& txn) -> Status {
          *created = 0;  // a mutation may run more than once
          Product p = parsed->product;
          p.categories = parsed->category_ids;
          for (const auto& path : parsed->category_paths) {
            COMMERCE_ASSIGN_OR_RETURN(std::string leaf,
                                      EnsureCategoryPathInTxn(txn, t, path, now, created.get()));
            p.categories.push_back(std::move(leaf));
          }
          return UpsertProductInTxn(txn, t, p, WriteCondition{}, now);
        },
        WriteOptions{.sync = false},
        [this, &st, line, created](Status s) {
          if (s.ok()) core_->notifier.Notify();  // wake event waiters as records land
          std::lock_guard<std::mutex> lock(st.mu);
          if (s.ok()) {
            ++st.imported;
            st.categories_created += *created;
          } else {
            st.Reject(RejectionFromStatus(line, s));
          }
          --st.in_flight;
          st.cv.notify_all();
        });
  }
  {
    std::unique_lock<std::mutex> lock(st.mu);
    st.cv.wait(lock, [&] { return st.in_flight == 0; });
  }
  // One sync makes every record acknowledged above durable — also when the file ends badly,
  // so that what was imported before the problem is not left half-durable.
  COMMERCE_RETURN_IF_ERROR(core_->storage->sync().WithContext("import " + path));
  COMMERCE_RETURN_IF_ERROR(parser->status().WithContext(
      "import " + path + " stopped after " + std::to_string(st.imported) +
      " imported records (they are kept)"));
  report_progress();

  ImportReport r;
  r.records = records;
  r.imported = st.imported;
  r.rejected = st.rejected;
  r.categories_created = st.categories_created;
  r.rejections = std::move(st.rejections);
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return r;
}

}  // namespace commerce
