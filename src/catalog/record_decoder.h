// One import record into a checked product: the native schema (import_parser.h describes it)
// or a field mapping (field_mapping.h), then the checks every product gets. The parsing half
// of an import is format-specific (import_parser.cpp); this half is shared by every format.
//
// Thread safety: a RecordDecoder is immutable after construction; decode() may run on many
// threads.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "catalog/field_mapping.h"
#include "catalog/import_parser.h"
#include "catalog/json_node.h"
#include "commerce/status.h"

namespace commerce {

class RecordDecoder {
 public:
  RecordDecoder(std::string default_currency, std::optional<FieldMapping> mapping)
      : default_currency_(std::move(default_currency)), mapping_(std::move(mapping)) {}

  bool mapped() const { return mapping_.has_value(); }
  const std::string& default_currency() const { return default_currency_; }

  // Record number `line` into *out: a product, or a rejection naming the field.
  void decode(const JsonNode& node, uint64_t line, ParsedRecord* out) const;
  // Parses `text` as one JSON record (json_node.h, with its limits) and decodes it.
  void decode_text(std::string_view text, uint64_t line, ParsedRecord* out) const;

 private:
  std::string default_currency_;
  std::optional<FieldMapping> mapping_;
};

// The checks every parsed product gets, whatever its source: at most
// kMaxCategoriesPerProduct categories, paths that make valid ids, and ValidateProduct.
// Duplicate paths and ids collapse silently: a feed listing a category twice means it once.
Status CheckParsedProduct(ParsedProduct* pp);

// The native schema's reader of one record (the object itself) with CheckParsedProduct: what
// imports and ProductFromJson (catalog.h) share. `engine_fields` accepts and ignores
// version, created_at_ms and updated_at_ms (ProductToJson writes them). InvalidArgument
// "field: reason" naming the first bad field.
Status DecodeNativeRecord(const JsonNode& node, std::string_view default_currency,
                          bool engine_fields, ParsedProduct* out);

// Small helpers shared by the decoder and the sources.
Rejection MakeRejection(uint64_t line, std::string field, std::string reason);
std::string_view TrimSpaces(std::string_view s);  // spaces and tabs at both ends

}  // namespace commerce
