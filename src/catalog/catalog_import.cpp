// Bulk import: parse records (import_parser.h), validate each, and hand each valid one to
// the writer as its own mutation with sync=false, many in flight at once. Group commit
// batches them (hundreds per group), a bad record fails alone, and one sync() at the end
// makes the whole import durable. Memory stays bounded by the in-flight window.
//
// ImportStream::Impl is the one importer: start_import() feeds it chunks from its caller,
// import_file() lets its parser pull the file.
#include <algorithm>
#include <atomic>
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
// enough to bound memory on a huge input.
constexpr size_t kInFlight = 4096;

// write() feeds the parser at most this much at a time before handing the records on, so a
// huge chunk does not turn into a huge queue of parsed records.
constexpr size_t kFeedSlice = 1 << 20;

}  // namespace

struct ImportStream::Impl {
  EngineCore* core = nullptr;
  ImportOptions options;
  std::string name;  // the file's path, or "input" for a stream: for messages
  std::unique_ptr<ImportParser> parser;
  std::chrono::steady_clock::time_point start = std::chrono::steady_clock::now();

  mutable std::mutex mu;
  std::condition_variable cv;
  size_t in_flight = 0;              // GUARDED_BY(mu)
  uint64_t records = 0;              // GUARDED_BY(mu)
  uint64_t imported = 0;             // GUARDED_BY(mu)
  uint64_t unchanged = 0;            // GUARDED_BY(mu)
  uint64_t rejected = 0;             // GUARDED_BY(mu)
  uint64_t categories_created = 0;   // GUARDED_BY(mu)
  uint64_t bytes_read = 0;           // GUARDED_BY(mu)
  std::vector<Rejection> rejections;  // GUARDED_BY(mu)
  std::atomic<bool> cancelled{false};
  bool finished = false;  // touched by the importing thread only

  ~Impl() { WaitIdle(); }

  void Reject(Rejection r) {  // REQUIRES(mu)
    ++rejected;
    if (rejections.size() < options.max_rejections) rejections.push_back(std::move(r));
  }

  ImportProgress Progress() const {
    ImportProgress p;
    std::lock_guard<std::mutex> lock(mu);
    p.bytes_read = bytes_read;
    p.bytes_total = parser->bytes_total();
    p.records = records;
    p.imported = imported;
    p.unchanged = unchanged;
    p.rejected = rejected;
    p.elapsed_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return p;
  }

  void ReportProgress() {
    if (options.progress) options.progress(Progress());
  }

  void WaitIdle() {
    std::unique_lock<std::mutex> lock(mu);
    cv.wait(lock, [&] { return in_flight == 0; });
  }

  // Takes every record the parser has ready and hands the valid ones to the writer.
  void Drain() {
    const Tables& t = core->tables;
    ParsedRecord rec;
    while (!cancelled.load() && parser->next(&rec)) {
      uint64_t n;
      {
        std::lock_guard<std::mutex> lock(mu);
        n = ++records;
        bytes_read = parser->bytes_read();
      }
      if (n % 1000 == 0) ReportProgress();
      if (!rec.product) {
        std::lock_guard<std::mutex> lock(mu);
        Reject(std::move(rec.rejection));
        continue;
      }
      // Validate what does not need the store before anything is written; categories are
      // filled in inside the mutation.
      Status valid = ValidateProduct(rec.product->product);
      if (!valid.ok()) {
        std::lock_guard<std::mutex> lock(mu);
        Reject(RejectionFromStatus(rec.line, valid));
        continue;
      }
      {
        std::unique_lock<std::mutex> lock(mu);
        cv.wait(lock, [&] { return in_flight < kInFlight; });
        ++in_flight;
      }
      auto parsed = std::make_shared<ParsedProduct>(std::move(*rec.product));
      const uint64_t line = rec.line;
      const int64_t now = EngineCore::NowMs();
      auto created = std::make_shared<uint64_t>(0);
      auto same = std::make_shared<bool>(false);
      core->storage->write_async(
          [parsed, created, same, &t, now](WriteTxn& txn) -> Status {
            *created = 0;  // a mutation may run more than once
            Product p = parsed->product;
            p.categories = parsed->category_ids;
            for (const auto& path : parsed->category_paths) {
              COMMERCE_ASSIGN_OR_RETURN(std::string leaf,
                                        EnsureCategoryPathInTxn(txn, t, path, now, created.get()));
              p.categories.push_back(std::move(leaf));
            }
            return UpsertProductInTxn(txn, t, p, WriteCondition{}, now, same.get());
          },
          WriteOptions{.sync = false},
          [this, line, created, same](Status s) {
            if (s.ok()) core->notifier.Notify();  // wake event waiters as records land
            std::lock_guard<std::mutex> lock(mu);
            if (s.ok()) {
              ++imported;
              if (*same) ++unchanged;
              categories_created += *created;
            } else {
              Reject(RejectionFromStatus(line, s));
            }
            --in_flight;
            cv.notify_all();
          });
    }
    std::lock_guard<std::mutex> lock(mu);
    bytes_read = parser->bytes_read();
  }

  Result<ImportReport> Finish() {
    if (finished) return Status::FailedPrecondition("import " + name + ": finish() was called already");
    finished = true;
    if (!cancelled.load()) {
      parser->finish();
      Drain();
    }
    WaitIdle();
    // One sync makes every record acknowledged above durable — also when the input ends badly
    // or was cancelled, so that what was imported is not left half-durable.
    COMMERCE_RETURN_IF_ERROR(core->storage->sync().WithContext("import " + name));
    ReportProgress();
    std::lock_guard<std::mutex> lock(mu);
    if (!cancelled.load()) {
      COMMERCE_RETURN_IF_ERROR(parser->status().WithContext(
          "import " + name + " stopped after " + std::to_string(imported) +
          " imported records (they are kept)"));
    }
    ImportReport r;
    r.records = records;
    r.imported = imported;
    r.unchanged = unchanged;
    r.rejected = rejected;
    r.categories_created = categories_created;
    r.rejections = rejections;
    r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    r.cancelled = cancelled.load();
    return r;
  }

};

ImportStream::ImportStream(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

ImportStream::~ImportStream() {
  if (!impl_ || impl_->finished) return;
  impl_->cancelled.store(true);
  impl_->WaitIdle();
  (void)impl_->core->storage->sync();  // best effort: an error has no one to go to
}

Status ImportStream::write(std::string_view chunk) {
  Impl& m = *impl_;
  if (m.finished) return Status::FailedPrecondition("import " + m.name + ": write() after finish()");
  if (m.cancelled.load()) return Status::FailedPrecondition("import " + m.name + ": cancelled");
  COMMERCE_RETURN_IF_ERROR(m.parser->status());
  while (!chunk.empty() && !m.cancelled.load()) {
    const size_t n = std::min(chunk.size(), kFeedSlice);
    m.parser->feed(chunk.substr(0, n));
    chunk.remove_prefix(n);
    m.Drain();
    COMMERCE_RETURN_IF_ERROR(m.parser->status());
  }
  if (m.cancelled.load()) return Status::FailedPrecondition("import " + m.name + ": cancelled");
  return Status::OK();
}

Result<ImportReport> ImportStream::finish() { return impl_->Finish(); }

ImportProgress ImportStream::progress() const { return impl_->Progress(); }

std::vector<Rejection> ImportStream::rejections() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->rejections;
}

void ImportStream::cancel() {
  impl_->cancelled.store(true);
  impl_->cv.notify_all();
}

namespace {

Status CheckImportOptions(const ImportOptions& options) {
  if (options.max_rejections > 1'000'000)
    return Status::InvalidArgument("max_rejections must be at most 1000000");
  return Status::OK();
}

}  // namespace

Result<std::unique_ptr<ImportStream>> Catalog::start_import(const ImportOptions& options) {
  COMMERCE_RETURN_IF_ERROR(CheckImportOptions(options));
  auto impl = std::make_unique<ImportStream::Impl>();
  impl->core = core_;
  impl->options = options;
  impl->name = "input";
  COMMERCE_ASSIGN_OR_RETURN(impl->parser, ImportParser::Create(options, impl->name, options.expected_bytes));
  return std::unique_ptr<ImportStream>(new ImportStream(std::move(impl)));
}

Result<ImportReport> Catalog::import_file(const std::string& path, const ImportOptions& options) {
  COMMERCE_RETURN_IF_ERROR(CheckImportOptions(options));
  auto impl = std::make_unique<ImportStream::Impl>();
  impl->core = core_;
  impl->options = options;
  impl->name = path;
  COMMERCE_ASSIGN_OR_RETURN(impl->parser, ImportParser::Open(path, options));
  impl->Drain();  // the parser pulls the file
  return impl->Finish();
}

}  // namespace commerce
