// A small JSON tree for import records that keeps every number exactly as written.
//
// rapidjson's DOM turns 49.99 into a double, and a double cannot hold 49.99; prices must be
// parsed from their digits (money.h). So the importer builds this tree with rapidjson's SAX
// Reader and kParseNumbersAsStringsFlag: a number node keeps its text ("49.99", "4999",
// "1e3") and is still distinguishable from the string "49.99", which the strict native
// schema needs to tell a type error from a value.
//
// One tree holds one record (a line, a CSV row, an array element), so its size is bounded by
// the record, never by the file.
//
// Thread safety: values.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "commerce/status.h"

namespace commerce {

struct JsonNode {
  enum class Type : uint8_t { kNull, kBool, kNumber, kString, kArray, kObject };

  Type type = Type::kNull;
  bool boolean = false;
  std::string text;                                       // a string, or a number's exact text
  std::vector<JsonNode> items;                            // kArray
  std::vector<std::pair<std::string, JsonNode>> members;  // kObject, in document order

  bool is_null() const { return type == Type::kNull; }
  bool is_string() const { return type == Type::kString; }
  bool is_number() const { return type == Type::kNumber; }
  bool is_array() const { return type == Type::kArray; }
  bool is_object() const { return type == Type::kObject; }

  // The first member named `key`, or nullptr (also when this is not an object).
  const JsonNode* find(std::string_view key) const;
  // "string", "number", "object", ...: for messages such as "expected a string, got a number".
  const char* type_name() const;

  // Declared here, defaulted in json_node.cpp: clang (with libstdc++ 12) cannot define the
  // implicit one where it is first used, because std::pair<std::string, JsonNode> needs it
  // while it is being defined — and the libFuzzer build (clang-14, tools/fuzz) failed.
  JsonNode();

  static JsonNode String(std::string s) {
    JsonNode n;
    n.type = Type::kString;
    n.text = std::move(s);
    return n;
  }
};

// Nesting deeper than this is rejected: no product needs it, and it bounds the work an
// adversarial record can cause.
inline constexpr size_t kMaxJsonDepth = 64;
// Values (scalars, arrays, objects) one record may hold. A node costs about 90 bytes however
// small its text, so "[0,0,0,...]" would grow 40-fold in the tree; the bound keeps one
// record's tree under ~10 MB. A product at every limit of ValidateProduct (1000 variants with
// their options and attributes) stays well below it.
inline constexpr size_t kMaxJsonValues = 100'000;

// Parses exactly one JSON value (whitespace around it allowed) from `text`. Strings must be
// valid UTF-8; at most kMaxJsonValues values and kMaxJsonDepth levels, refused as soon as the
// parser passes them. InvalidArgument "offset 17: Missing a colon after a name of object member."
// on malformed input; never throws.
Result<JsonNode> ParseJson(std::string_view text);

}  // namespace commerce
