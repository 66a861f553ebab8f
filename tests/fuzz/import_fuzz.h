// The import parser (src/catalog/import_parser.h) over the fuzzer's bytes as a whole file of
// one format, held in memory (a memfd, so no disk is touched per input). Checks what the
// parser promises of every record it returns:
//   - a rejection names a reason; a product passes ValidateProduct;
//   - the product written back with ProductToJson imports back unchanged (catalog.h);
//   - bytes_read never goes backwards nor past the size.
#pragma once

#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "catalog/import_parser.h"
#include "catalog/product_validation.h"
#include "fuzz_support.h"

namespace commerce::fuzz {

// A file in memory; its path is /proc/self/fd/N.
class MemFile {
 public:
  explicit MemFile(std::string_view bytes) : fd_(::memfd_create("commerce-fuzz", 0)) {
    FUZZ_CHECK(fd_ >= 0, "memfd_create failed");
    size_t done = 0;
    while (done < bytes.size()) {
      ssize_t n = ::write(fd_, bytes.data() + done, bytes.size() - done);
      FUZZ_CHECK(n > 0, "writing the memfd failed");
      done += static_cast<size_t>(n);
    }
  }
  ~MemFile() { ::close(fd_); }
  MemFile(const MemFile&) = delete;
  MemFile& operator=(const MemFile&) = delete;
  std::string path() const { return "/proc/self/fd/" + std::to_string(fd_); }

 private:
  int fd_;
};

inline std::string Describe(const Product& p) { return ProductToJson(p, false); }

// The product as ProductToJson writes it, imported again as one JSON Lines record.
inline void CheckImportsBack(const ParsedProduct& parsed) {
  Product p = parsed.product;
  p.categories = parsed.category_ids;  // ProductToJson writes categories as category_ids
  const std::string line = ProductToJson(p, false);
  FUZZ_CHECK(line.find('\n') == std::string::npos, "ProductToJson wrote a line break: " + line);
  MemFile file(line + "\n");
  ImportOptions options;
  options.format = "jsonl";
  auto parser = ImportParser::Open(file.path(), options);
  FUZZ_CHECK(parser.ok(), "reopening the written product: " + parser.status().ToString());
  ParsedRecord again;
  FUZZ_CHECK((*parser)->next(&again), "the written product did not come back");
  FUZZ_CHECK(again.product.has_value(),
             "the written product was rejected: " + again.rejection.field + ": " +
                 again.rejection.reason + "\n  " + line);
  FUZZ_CHECK(again.product->product == parsed.product,
             "the product changed on the way back:\n  " + Describe(parsed.product) + "\n  " +
                 Describe(again.product->product));
  FUZZ_CHECK(again.product->category_ids == parsed.category_ids, "category_ids changed on the way back");
  FUZZ_CHECK(again.product->category_paths.empty(), "category paths appeared on the way back");
}

inline void RunImport(const char* format, const uint8_t* data, size_t size) {
  MemFile file(std::string_view(reinterpret_cast<const char*>(data), size));
  ImportOptions options;
  options.format = format;
  auto parser = ImportParser::Open(file.path(), options);
  if (!parser.ok()) {
    FUZZ_CHECK(parser.status().IsInvalidArgument(),
               "Open failed other than InvalidArgument: " + parser.status().ToString());
    return;
  }
  uint64_t last_read = 0;
  ParsedRecord rec;
  while ((*parser)->next(&rec)) {
    const uint64_t read = (*parser)->bytes_read();
    FUZZ_CHECK(read >= last_read && read <= size, "bytes_read went backwards or past the end");
    last_read = read;
    if (!rec.product) {
      FUZZ_CHECK(!rec.rejection.reason.empty(), "a rejection without a reason");
      continue;
    }
    Status valid = ValidateProduct(rec.product->product);
    FUZZ_CHECK(valid.ok(), "a parsed product fails validation: " + valid.ToString() + "\n  " +
                               Describe(rec.product->product));
    CheckImportsBack(*rec.product);
  }
  Status s = (*parser)->status();
  FUZZ_CHECK(s.ok() || s.IsInvalidArgument(), "the input ended with " + s.ToString());
}

}  // namespace commerce::fuzz
