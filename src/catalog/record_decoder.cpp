// RecordDecoder and CheckParsedProduct (record_decoder.h).
//
// Map of this file:
//   helpers             MakeRejection, TrimSpaces
//   native schema       DecodeNative: a JSON object -> ParsedProduct, strict
//   CheckParsedProduct  the checks every product gets
//   RecordDecoder       native or mapped decoding + those checks
#include "catalog/record_decoder.h"

#include <set>

#include "catalog/product_validation.h"
#include "commerce/money.h"

namespace commerce {

Rejection MakeRejection(uint64_t line, std::string field, std::string reason) {
  Rejection r;
  r.line = line;
  r.field = std::move(field);
  r.reason = std::move(reason);
  return r;
}

std::string_view TrimSpaces(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

namespace {

// ---------------------------------------------------------------------------------------
// Native schema
// ---------------------------------------------------------------------------------------

Status WrongType(std::string_view field, const char* expected, const JsonNode& got) {
  return Invalid(field, std::string("expected ") + expected + ", got " +
                            (got.is_array() || got.is_object() ? "an " : "a ") + got.type_name());
}

Status GetString(std::string_view field, const JsonNode& n, std::string* out) {
  if (!n.is_string()) return WrongType(field, "a string", n);
  *out = n.text;
  return Status::OK();
}

// Attribute and option values: strings, or numbers kept exactly as written ("size": 42).
Status GetStringMap(std::string_view field, const JsonNode& n, std::map<std::string, std::string>* out) {
  if (!n.is_object()) return WrongType(field, "an object of strings", n);
  for (const auto& [key, value] : n.members) {
    if (!value.is_string() && !value.is_number()) {
      return WrongType(std::string(field) + "." + key, "a string", value);
    }
    if (!out->emplace(key, value.text).second) {
      return Invalid(std::string(field) + "." + key, "appears twice");
    }
  }
  return Status::OK();
}

Status GetStringList(std::string_view field, const JsonNode& n, std::vector<std::string>* out) {
  if (!n.is_array()) return WrongType(field, "an array of strings", n);
  for (size_t i = 0; i < n.items.size(); ++i) {
    if (!n.items[i].is_string()) {
      return WrongType(std::string(field) + "[" + std::to_string(i) + "]", "a string", n.items[i]);
    }
    out->push_back(n.items[i].text);
  }
  return Status::OK();
}

Status GetInteger(std::string_view field, const JsonNode& n, int64_t* out) {
  if (!n.is_number()) return WrongType(field, "an integer", n);
  if (!ParseInteger(n.text, out)) return Invalid(field, n.text + " is not an integer in range");
  return Status::OK();
}

// More category entries than a product may have are refused before any is split or
// checked: the limit bounds the work, not only the result.
Status CheckCategoryCount(std::string_view field, size_t n) {
  if (n <= kMaxCategoriesPerProduct) return Status::OK();
  return Invalid(field, std::to_string(n) + " entries; expected at most " +
                            std::to_string(kMaxCategoriesPerProduct) + " categories a product");
}

Status GetCategoryPaths(const JsonNode& n, std::vector<std::vector<std::string>>* out) {
  if (!n.is_array()) return WrongType("categories", "an array of paths", n);
  COMMERCE_RETURN_IF_ERROR(CheckCategoryCount("categories", n.items.size()));
  for (size_t i = 0; i < n.items.size(); ++i) {
    const std::string field = "categories[" + std::to_string(i) + "]";
    const JsonNode& item = n.items[i];
    if (item.is_string()) {
      out->push_back(SplitCategoryPath(item.text));
    } else if (item.is_array()) {
      std::vector<std::string> path;
      COMMERCE_RETURN_IF_ERROR(GetStringList(field, item, &path));
      out->push_back(std::move(path));
    } else {
      return WrongType(field, "a path \"A > B\" or an array of names", item);
    }
  }
  return Status::OK();
}

Status DecodeVariant(const std::string& prefix, const JsonNode& n, std::string_view default_currency,
                     Variant* v) {
  if (!n.is_object()) return WrongType(prefix, "an object", n);
  const JsonNode* price = nullptr;
  const JsonNode* price_decimal = nullptr;
  std::string currency(default_currency);
  std::set<std::string_view> seen;
  for (const auto& [key, value] : n.members) {
    const std::string field = prefix + "." + key;
    if (!seen.insert(key).second) return Invalid(field, "appears twice");
    if (value.is_null()) continue;
    if (key == "sku") {
      COMMERCE_RETURN_IF_ERROR(GetString(field, value, &v->sku));
    } else if (key == "price") {
      price = &value;
    } else if (key == "price_decimal") {
      price_decimal = &value;
    } else if (key == "currency") {
      COMMERCE_RETURN_IF_ERROR(GetString(field, value, &currency));
    } else if (key == "options") {
      COMMERCE_RETURN_IF_ERROR(GetStringMap(field, value, &v->options));
    } else if (key == "barcode") {
      COMMERCE_RETURN_IF_ERROR(GetString(field, value, &v->barcode));
    } else if (key == "attributes") {
      COMMERCE_RETURN_IF_ERROR(GetStringMap(field, value, &v->attributes));
    } else {
      return Invalid(field, "unknown field; expected sku, price, price_decimal, currency, options, "
                            "barcode, attributes");
    }
  }
  if (!seen.count("sku")) return Invalid(prefix + ".sku", "missing; every variant needs one");
  if (!IsKnownCurrency(currency)) {
    return Invalid(prefix + ".currency", "unknown currency '" + currency.substr(0, 16) +
                                             "'; expected an ISO 4217 code such as USD");
  }
  if (price && price_decimal) {
    return Invalid(prefix + ".price", "given with price_decimal; expected one of them");
  }
  if (price) {
    if (!price->is_number()) return WrongType(prefix + ".price", "an integer of minor units", *price);
    int64_t minor = 0;
    if (!ParseInteger(price->text, &minor)) {
      return Invalid(prefix + ".price", price->text + " is not an integer; expected minor units (4999 for "
                                                      "49.99 USD), or \"price_decimal\": \"49.99\"");
    }
    v->price = Money{minor, currency};
  } else if (price_decimal) {
    // A string per the schema; a bare number is taken too, from its exact text.
    if (!price_decimal->is_string() && !price_decimal->is_number()) {
      return WrongType(prefix + ".price_decimal", "a decimal string such as \"49.99\"", *price_decimal);
    }
    Result<Money> money = ParseMoney(price_decimal->text, currency);
    if (!money.ok()) return Invalid(prefix + ".price_decimal", money.error().message());
    v->price = std::move(*money);
  } else {
    return Invalid(prefix + ".price", "missing; expected price (minor units) or price_decimal");
  }
  return Status::OK();
}

Status DecodeNative(const JsonNode& root, std::string_view default_currency, bool engine_fields,
                    ParsedProduct* out) {
  Product& p = out->product;
  std::set<std::string_view> seen;
  for (const auto& [key, value] : root.members) {
    if (!seen.insert(key).second) return Invalid(key, "appears twice");
    if (value.is_null()) continue;
    if (key == "id") {
      COMMERCE_RETURN_IF_ERROR(GetString(key, value, &p.id));
    } else if (key == "title") {
      COMMERCE_RETURN_IF_ERROR(GetString(key, value, &p.title));
    } else if (key == "description") {
      COMMERCE_RETURN_IF_ERROR(GetString(key, value, &p.description));
    } else if (key == "brand") {
      COMMERCE_RETURN_IF_ERROR(GetString(key, value, &p.brand));
    } else if (key == "categories") {
      COMMERCE_RETURN_IF_ERROR(GetCategoryPaths(value, &out->category_paths));
    } else if (key == "category_ids") {
      if (value.is_array()) COMMERCE_RETURN_IF_ERROR(CheckCategoryCount(key, value.items.size()));
      COMMERCE_RETURN_IF_ERROR(GetStringList(key, value, &out->category_ids));
    } else if (key == "attributes") {
      COMMERCE_RETURN_IF_ERROR(GetStringMap(key, value, &p.attributes));
    } else if (key == "options") {
      COMMERCE_RETURN_IF_ERROR(GetStringList(key, value, &p.options));
    } else if (key == "variants") {
      if (!value.is_array()) return WrongType(key, "an array of variants", value);
      if (value.items.size() > kMaxVariants) {
        return Invalid(key, std::to_string(value.items.size()) + " variants; expected at most " +
                                std::to_string(kMaxVariants));
      }
      for (size_t i = 0; i < value.items.size(); ++i) {
        COMMERCE_RETURN_IF_ERROR(DecodeVariant("variants[" + std::to_string(i) + "]", value.items[i],
                                               default_currency, &p.variants.emplace_back()));
      }
    } else if (key == "status") {
      std::string name;
      COMMERCE_RETURN_IF_ERROR(GetString(key, value, &name));
      Result<ProductStatus> status = ParseProductStatus(name);
      if (!status.ok()) return Invalid(key, status.error().message());
      p.status = *status;
    } else if (key == "popularity") {
      COMMERCE_RETURN_IF_ERROR(GetInteger(key, value, &p.popularity));
    } else if (engine_fields && (key == "version" || key == "created_at_ms" || key == "updated_at_ms")) {
      continue;  // set by the engine on every write: what a reader says is not used
    } else {
      return Invalid(key, "unknown field; expected id, title, description, brand, categories, "
                          "category_ids, attributes, options, variants, status, popularity");
    }
  }
  for (const char* required : {"id", "title", "variants"}) {
    if (!seen.count(required) || root.find(required)->is_null()) {
      return Invalid(required, "missing; it is required");
    }
  }
  return Status::OK();
}

}  // namespace

Status CheckParsedProduct(ParsedProduct* pp) {
  std::set<std::string> ids;
  std::vector<std::vector<std::string>> paths;
  for (size_t i = 0; i < pp->category_paths.size(); ++i) {
    const std::string field = "categories[" + std::to_string(i) + "]";
    std::vector<std::string>& path = pp->category_paths[i];
    if (path.empty()) return Invalid(field, "empty path; expected names root first");
    std::vector<std::string> prefix;
    for (size_t k = 0; k < path.size(); ++k) {
      prefix.push_back(path[k]);
      Category node{CategoryIdFromPath(prefix), path[k], ""};
      if (node.id.empty()) {
        return Invalid(field, "name " + std::to_string(k) + " ('" + path[k].substr(0, 64) +
                                  "') has no letter or digit to make a category id from");
      }
      Status s = ValidateCategory(node);
      if (!s.ok()) return Invalid(field, "name " + std::to_string(k) + " " + s.message());
    }
    if (ids.insert(CategoryIdFromPath(path)).second) paths.push_back(std::move(path));
  }
  pp->category_paths = std::move(paths);

  std::vector<std::string> given;
  for (size_t i = 0; i < pp->category_ids.size(); ++i) {
    const std::string& id = pp->category_ids[i];
    Status s = ValidateCategory(Category{id, "-", ""});
    if (!s.ok()) {
      return Invalid("category_ids[" + std::to_string(i) + "]", RejectionFromStatus(0, s).reason);
    }
    if (ids.insert(id).second) given.push_back(id);
  }
  pp->category_ids = std::move(given);
  if (ids.size() > kMaxCategoriesPerProduct) {
    return Invalid("categories", std::to_string(ids.size()) + " distinct categories; expected at most " +
                                     std::to_string(kMaxCategoriesPerProduct));
  }
  return ValidateProduct(pp->product);
}

Status DecodeNativeRecord(const JsonNode& node, std::string_view default_currency,
                          bool engine_fields, ParsedProduct* out) {
  if (!node.is_object())
    return Status::InvalidArgument(std::string("expected a JSON object, got ") +
                                   (node.is_array() ? "an " : "a ") + node.type_name());
  COMMERCE_RETURN_IF_ERROR(DecodeNative(node, default_currency, engine_fields, out));
  return CheckParsedProduct(out);
}

// ---------------------------------------------------------------------------------------
// RecordDecoder: native or mapped
// ---------------------------------------------------------------------------------------

void RecordDecoder::decode(const JsonNode& node, uint64_t line, ParsedRecord* out) const {
  out->line = line;
  out->product.reset();
  out->rejection = Rejection{};
  ParsedProduct pp;
  if (mapping_) {
    if (!mapping_->apply(node, line, default_currency_, &pp, &out->rejection)) return;
  } else {
    if (!node.is_object()) {
      out->rejection = MakeRejection(line, "", std::string("expected a JSON object, got ") +
                                                   (node.is_array() ? "an " : "a ") + node.type_name());
      return;
    }
    Status s = DecodeNative(node, default_currency_, /*engine_fields=*/false, &pp);
    if (!s.ok()) {
      out->rejection = RejectionFromStatus(line, s);
      return;
    }
  }
  Status s = CheckParsedProduct(&pp);
  if (!s.ok()) {
    out->rejection = RejectionFromStatus(line, s);
    if (mapping_) out->rejection.field = mapping_->source_of(out->rejection.field);
    return;
  }
  out->product = std::move(pp);
}

void RecordDecoder::decode_text(std::string_view text, uint64_t line, ParsedRecord* out) const {
  Result<JsonNode> node = ParseJson(text);
  if (!node.ok()) {
    out->line = line;
    out->product.reset();
    out->rejection = MakeRejection(line, "", "invalid JSON at " + node.error().message());
    return;
  }
  decode(*node, line, out);
}

}  // namespace commerce
