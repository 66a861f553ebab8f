// Reading imports into products, record by record: the parsing half of Catalog::import_file
// and Catalog::start_import (catalog.h). No storage here; the catalog engine drives an
// ImportParser, creates the categories the paths name and upserts the products.
//
// Memory is bounded by the largest record (at most kMaxImportRecordBytes), never by the input:
// input arrives in chunks, a JSON array is split into its elements by a scanner, and each
// record is parsed on its own (json_node.h bounds the values and the nesting of one record).
//
// ---------------------------------------------------------------------------------------
// Native JSON schema: one object per JSON Lines line, or per element of a JSON array
// ---------------------------------------------------------------------------------------
//   {
//     "id": "p-1",                      required; 1..64 bytes, no '/', no edge spaces
//     "title": "Trail Runner 2",        required; 1..1000 bytes, one line
//     "description": "...",             optional; up to 100,000 bytes, may have line breaks
//     "brand": "Acme",                  optional; up to 200 bytes
//     "categories": [                   optional; paths of display names, root first:
//       "Shoes > Running",                a string with " > " between names, or
//       ["Shoes", "Trail"]                an array of names
//     ],
//     "category_ids": ["shoes/running"],  optional; ids of categories that must exist
//     "attributes": {"material": "mesh"}, optional; string (or number) values
//     "options": ["size", "colour"],      optional; the option names variants may use
//     "variants": [                     required; 1..1000
//       {"sku": "P1-42-BLK",            required; unique within the product
//        "price": 4999,                 minor units as a JSON integer, or instead
//        "price_decimal": "49.99",      major units as a decimal string (exact, never a float)
//        "currency": "USD",             optional; ImportOptions::default_currency otherwise
//        "options": {"size": "42"},     optional; names from the product's "options"
//        "barcode": "0123456789012",    optional
//        "attributes": {}}              optional
//     ],
//     "status": "active",               optional; draft | active | archived (default active)
//     "popularity": 10                  optional; integer >= 0 (default 0)
//   }
// The schema is strict: an unknown field, at the top or in a variant, rejects the record and
// names the field, so a typo ("titel") is caught instead of silently dropped. `null` counts
// as absent for optional fields. Each record is also checked with ValidateProduct, so a
// parsed product is valid except for what needs the store (categories exist, SKUs free).
//
// ---------------------------------------------------------------------------------------
// CSV (RFC 4180, header row required)
// ---------------------------------------------------------------------------------------
//   product_id,sku,title,description,brand,categories,price,currency,options,attributes,
//   status,popularity,barcode
// Columns in any order; product_id, sku, title and price required; an unknown or repeated
// column fails Open() (or stops a push parser before any record); a row of more than kMaxCsvFields
// fields is rejected as it is read. One row per variant: consecutive rows with the same product_id form one
// product, whose product-level fields (title, description, brand, categories, attributes,
// status, popularity) come from its first row. price is in major units ("49.99", exact, see
// ParseMoney); categories is paths separated by '|', names within a path by " > ";
// options and attributes are "name=value;name=value" (so names and values cannot contain
// ';', and names cannot contain '='). A product_id that reappears after other products is
// rejected (its rows would otherwise silently replace the earlier product).
//
// ---------------------------------------------------------------------------------------
// Other schemas: ImportOptions::mapping_path names a field-mapping file (field_mapping.h).
// ---------------------------------------------------------------------------------------
//
// Thread safety: an ImportParser is used by one thread at a time.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "commerce/catalog.h"
#include "commerce/status.h"

namespace commerce {

class RecordDecoder;

// The largest record (line, CSV row, array element) the parser holds; a longer one is
// rejected and skipped. A product at every limit of ValidateProduct stays far below it.
inline constexpr size_t kMaxImportRecordBytes = 16u << 20;

struct ParsedProduct {
  Product product;                                       // categories left EMPTY here
  std::vector<std::vector<std::string>> category_paths;  // each root->leaf display names
  std::vector<std::string> category_ids;                 // ids given directly; must exist
};

struct ParsedRecord {
  uint64_t line = 0;  // 1-based line (jsonl/csv) or 1-based array element index (json)
  std::optional<ParsedProduct> product;
  Rejection rejection;  // set when !product (field + reason)
};

// Records from bytes, in one of two modes over the same parsers:
//
//   push (Create): the caller feed()s chunks as they come — split anywhere, inside a record
//     or a UTF-8 sequence alike — then finish()es; next() hands out the records completed so
//     far and returns false when none is ready yet. Catalog::start_import and the server's
//     import route feed it.
//   pull (Open): a file; next() reads it as needed and returns false at its end.
//
// Memory is bounded by the largest record (kMaxImportRecordBytes) plus the chunk being fed,
// never by the input: a longer record is rejected while it is skipped, not held.
class ImportParser {
 public:
  // A push parser. options.format is "jsonl", "json", "csv", or "auto": the mapping's format
  // if it names one, else the first byte that is not blank tells ('[' json, '{' jsonl,
  // anything else csv). `name` names the input in messages (a path, "body"); `bytes_total`
  // is its size for progress, 0 when unknown. Errors: InvalidArgument (an unknown format or
  // default currency, a bad mapping naming the mapping file and the key), NotFound (no
  // mapping file).
  static Result<std::unique_ptr<ImportParser>> Create(const ImportOptions& options,
                                                      std::string name, uint64_t bytes_total = 0);
  // Opens `path` (format "auto": by its extension) and reads what must be right before any
  // record: the CSV header, the '[' of a JSON array, the mapping file. Errors: NotFound (no
  // such file), Unavailable (cannot be read), InvalidArgument (a directory, an unknown
  // format, a bad CSV header naming the column, a bad mapping naming the mapping file and
  // the key, an unknown default currency).
  static Result<std::unique_ptr<ImportParser>> Open(const std::string& path,
                                                    const ImportOptions& options);
  ~ImportParser();
  ImportParser(const ImportParser&) = delete;
  ImportParser& operator=(const ImportParser&) = delete;

  // Push mode: more input, and its end. Input after status() turned non-OK is ignored.
  void feed(std::string_view bytes);
  void finish();
  // True once what precedes every record (the CSV header, a JSON array's '[', the byte that
  // tells the format) has been read.
  bool started() const;

  // The next record. A record that cannot be parsed comes back with a rejection and never
  // stops the import. CSV records come out when their product is complete, so a rejected row
  // may come out before the product whose rows surround it.
  bool next(ParsedRecord* out);

  // Bytes consumed so far, and the input's size (0 when unknown): for progress.
  uint64_t bytes_read() const;
  uint64_t bytes_total() const;
  // OK, or what ended the input early: a read error (Unavailable), a bad CSV header or a JSON
  // array that does not start with '[' (InvalidArgument, before any record), or input cut
  // short or followed by garbage (InvalidArgument, e.g. a JSON array without its closing ']').
  Status status() const;

  class Source;  // one per format; import_parser.cpp

 private:
  struct File;   // pull mode's file
  ImportParser() = default;
  void choose_source(char first);
  Status read_more();  // pull mode: one chunk of the file fed, or finish() at its end

  std::string format_;     // "auto": the source is made when a byte tells the format
  std::string name_;
  uint64_t bytes_total_ = 0;
  uint64_t bytes_read_ = 0;
  std::string undecided_;  // "auto": blank bytes seen before the one that tells the format
  std::unique_ptr<RecordDecoder> decoder_;  // until a source takes it
  std::unique_ptr<Source> source_;
  std::unique_ptr<File> file_;
  bool finished_ = false;
  Status status_;          // before a source exists, or the file's read error
};

// Splits a "field: reason" message (ValidateProduct's convention) into a Rejection.
Rejection RejectionFromStatus(uint64_t line, const Status& status);

// Strict base-10 integer: an optional '-' then digits, nothing else (no '+', '.', exponent or
// spaces); false also on overflow.
bool ParseInteger(std::string_view text, int64_t* out);

// "Shoes > Running" -> {"Shoes", "Running"}; names are trimmed of
// spaces, and empty names are kept so that validation can point at them.
std::vector<std::string> SplitCategoryPath(std::string_view text, std::string_view separator = " > ");

}  // namespace commerce
