// Field mappings: importing another schema — a retailer's export — without writing code.
//
// A mapping is a JSON file, committed next to the data pipeline that uses it (see
// tools/mappings/bestbuy.json), that says where each product field comes from in a source
// record. Each source record (a JSON object, or a CSV row seen as an object of strings keyed
// by the header) becomes one product with ONE variant.
//
//   {
//     "comment": "anything; ignored",
//     "format": "json",          optional: json | jsonl | csv; otherwise from ImportOptions
//     "currency": "USD",         optional: the currency of records for which the "currency"
//                                rule below gives none (ImportOptions::default_currency
//                                when this is absent too)
//     "repair_cp1252": false,    optional (default false): replace C1 control characters
//                                (U+0080..U+009F) with the Windows-1252 characters they stand
//                                for (U+0099 -> ™), the trace of Windows-1252 text once decoded
//                                as Latin-1; without it such text is rejected as a control
//                                character
//     "ignore_unknown": false,   optional (default false): when false, a source record with a
//                                top-level field no rule reads is rejected, naming the field,
//                                so a change in the exporter's schema is noticed
//     "fields": {
//       "<target>": {
//         "from": "offers.price",  the source field; dots reach into nested objects, a number
//                                  indexes an array ("images.0"); or instead
//         "value": "active",       a constant
//         "as": "decimal",         how to read the value (per target, below)
//         "pattern": "/([0-9]+)_", optional ECMAScript std::regex searched in the value; its
//                                  first group (or the whole match) is taken
//         "fallback": "record",    optional: when the value is missing or the pattern does not
//                                  match, use "rec-<record number>"
//         "default": "...",        optional: ... or this constant
//         "separator": " > ",      for "as": "split" / "paths"
//         "comment": "..."
//       }
//     }
//   }
//
// Targets and their "as":
//   id, sku                      string. One may be omitted: it then equals the other.
//   title, description, brand, barcode, currency, status
//                                string (the default: strings; numbers and booleans as written)
//   price                        decimal (default: major units, a JSON number's exact text or
//                                a string, "49.99" -> 4999 for USD) | minor (integer minor units)
//   popularity                   integer
//   categories                   path (default: an array of names, root first) | split (one
//                                string cut at "separator") | paths (an array of paths, each
//                                an array of names or a string cut at "separator")
//   category_ids                 string or array of strings (ids that must already exist)
//   attributes.<key>             string: product attribute <key>
//   options.<name>               string: the variant's option <name> (added to the product's
//                                options)
// id (or sku), title and price are required: a record without them is rejected naming the
// source field. Keys containing '.' cannot be reached by "from".
//
// Errors in the mapping file itself fail ImportParser::Open with InvalidArgument naming the
// file and the key: "bestbuy.json: fields.price.as: 'float' is not one of decimal, minor".
//
// Thread safety: a loaded FieldMapping is immutable; apply() may run on many threads.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <regex>
#include <string>
#include <string_view>
#include <vector>

#include "catalog/import_parser.h"
#include "catalog/json_node.h"
#include "commerce/status.h"

namespace commerce {

class FieldMapping {
 public:
  // Reads and checks the mapping file at `path`.
  static Result<FieldMapping> Load(const std::string& path);
  // Checks a mapping given as text; `name` prefixes error messages (the file name).
  static Result<FieldMapping> Parse(std::string_view json, std::string_view name);

  // "json", "jsonl", "csv", or "" when the mapping leaves it to ImportOptions.
  const std::string& format() const { return format_; }

  // Maps source record number `line` into `out`. On failure returns false and fills
  // `rejection` (its line included) naming the source field.
  bool apply(const JsonNode& record, uint64_t line, std::string_view default_currency,
             ParsedProduct* out, Rejection* rejection) const;

  // The source field a product field was read from, for ValidateProduct's messages:
  // "title" -> "name", "variants[0].price" -> "price" (the source's); `field` itself when no
  // rule maps it.
  std::string source_of(std::string_view product_field) const;

 private:
  enum class Target : uint8_t {
    kId, kSku, kTitle, kDescription, kBrand, kBarcode, kCurrency, kStatus,
    kPrice, kPopularity, kCategories, kCategoryIds, kAttribute, kOption,
  };
  enum class As : uint8_t { kString, kDecimal, kMinor, kInteger, kPath, kSplit, kPaths };
  struct Rule {
    std::string name;               // the key under "fields", e.g. "attributes.image"
    Target target = Target::kTitle;
    std::string key;                // <key> of attributes.<key> / options.<name>
    std::vector<std::string> from;  // source path, split at '.'; empty with `value`
    std::optional<std::string> value;
    As as = As::kString;
    std::shared_ptr<const std::regex> pattern;  // shared: regexes are costly to copy
    std::string pattern_text;
    bool fallback_record = false;
    std::optional<std::string> default_value;
    std::string separator = " > ";
  };
  struct Values;  // what the rules produced for one record; field_mapping.cpp

  static Status ParseRule(const std::string& name, const JsonNode& spec, Rule* rule);
  bool apply_rule(const Rule& rule, const JsonNode& record, uint64_t line, Values* v,
                  Rejection* rejection) const;
  const Rule* rule_for(Target target) const;
  std::string source_name(const Rule& rule) const;

  std::string format_;
  std::string currency_;
  bool ignore_unknown_ = false;
  bool repair_cp1252_ = false;
  std::vector<Rule> rules_;
  std::vector<std::string> read_fields_;  // top-level source fields some rule reads
};

}  // namespace commerce
