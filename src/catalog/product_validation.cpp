#include "catalog/product_validation.h"

#include <cstdio>
#include <set>
#include <string>
#include <unordered_set>

#include "commerce/money.h"

#include "common/utf8.h"

namespace commerce {

namespace {

// What a text field may contain beyond printable UTF-8.
enum class Lines : uint8_t {
  kSingle,    // no control character at all (ids, titles, names)
  kMultiple,  // tab, LF and CR allowed (descriptions, attribute values)
};

struct TextRule {
  size_t min_bytes = 0;
  size_t max_bytes = 0;
  Lines lines = Lines::kSingle;
  bool no_edge_space = false;  // ids: " A-1" and "A-1" must not be two SKUs
  bool no_slash = false;       // product ids appear in paths and URLs
};


bool IsControl(char32_t cp) { return cp < 0x20 || (cp >= 0x7F && cp <= 0x9F); }

bool IsEdgeSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'; }

std::string Bytes(size_t n) { return std::to_string(n) + (n == 1 ? " byte" : " bytes"); }

Status CheckText(std::string_view field, std::string_view value, const TextRule& rule) {
  if (value.size() < rule.min_bytes) {
    return Invalid(field, value.empty() ? "empty; expected " + std::to_string(rule.min_bytes) + ".." +
                                              std::to_string(rule.max_bytes) + " bytes"
                                        : "too short");
  }
  if (value.size() > rule.max_bytes) {
    return Invalid(field, Bytes(value.size()) + "; expected at most " + Bytes(rule.max_bytes));
  }
  for (size_t i = 0; i < value.size();) {
    char32_t cp = 0;
    const size_t len = DecodeUtf8(value, i, &cp);
    if (len == 0) return Invalid(field, "invalid UTF-8 at byte " + std::to_string(i));
    if (IsControl(cp)) {
      const bool line_break = cp == '\t' || cp == '\n' || cp == '\r';
      if (!(line_break && rule.lines == Lines::kMultiple)) {
        char code[8];
        std::snprintf(code, sizeof code, "U+%04X", static_cast<unsigned>(cp));
        return Invalid(field, "control character " + std::string(code) + " at byte " +
                                  std::to_string(i) +
                                  (rule.lines == Lines::kSingle
                                       ? "; expected printable text on one line"
                                       : "; only tab and line breaks are allowed"));
      }
    }
    if (rule.no_slash && cp == '/') return Invalid(field, "contains '/'; expected no '/'");
    i += len;
  }
  if (rule.no_edge_space && !value.empty() && (IsEdgeSpace(value.front()) || IsEdgeSpace(value.back()))) {
    return Invalid(field, "leading or trailing whitespace");
  }
  return Status::OK();
}

bool IsBlank(std::string_view s) {
  for (char c : s) {
    if (!IsEdgeSpace(c)) return false;
  }
  return true;
}

// `field` with a map key appended: attributes.material. Keys that would make the path
// ambiguous (containing ": ") or unreadable are shown by position instead.
std::string KeyPath(std::string_view prefix, std::string_view key, size_t index) {
  std::string path(prefix);
  const bool printable = IsValidUtf8(key) && key.size() <= kMaxAttributeKeyBytes &&
                         key.find(": ") == std::string_view::npos && !key.empty();
  bool has_control = false;
  for (char c : key) has_control |= static_cast<unsigned char>(c) < 0x20 || c == 0x7F;
  if (printable && !has_control) {
    path += '.';
    path += key;
  } else {
    path += '[' + std::to_string(index) + ']';
  }
  return path;
}

Status CheckAttributes(std::string_view prefix, const std::map<std::string, std::string>& attrs) {
  size_t index = 0;
  for (const auto& [key, value] : attrs) {
    const std::string field = KeyPath(prefix, key, index++);
    Status key_ok = CheckText("key", key, {1, kMaxAttributeKeyBytes});
    if (!key_ok.ok()) return Invalid(field, key_ok.message());
    COMMERCE_RETURN_IF_ERROR(
        CheckText(field, value, {0, kMaxAttributeValueBytes, Lines::kMultiple}));
  }
  return Status::OK();
}

Status CheckProductOptions(const Product& p) {
  std::set<std::string_view> seen;
  for (size_t i = 0; i < p.options.size(); ++i) {
    const std::string field = "options[" + std::to_string(i) + "]";
    COMMERCE_RETURN_IF_ERROR(CheckText(field, p.options[i], {1, kMaxOptionNameBytes}));
    if (!seen.insert(p.options[i]).second) {
      return Invalid(field, "duplicate option '" + p.options[i] + "'; expected each name once");
    }
  }
  return Status::OK();
}

Status CheckVariantOptions(std::string_view prefix, const Variant& v, const Product& p) {
  size_t index = 0;
  for (const auto& [name, value] : v.options) {
    const std::string field = KeyPath(prefix, name, index++);
    Status name_ok = CheckText("name", name, {1, kMaxOptionNameBytes});
    if (!name_ok.ok()) return Invalid(field, name_ok.message());
    bool declared = false;
    for (const std::string& o : p.options) declared |= o == name;
    if (!declared) {
      std::string known;
      for (const std::string& o : p.options) known += (known.empty() ? "" : ", ") + o;
      return Invalid(field, "option '" + name + "' is not in the product's options [" + known + "]");
    }
    COMMERCE_RETURN_IF_ERROR(CheckText(field, value, {1, kMaxOptionValueBytes}));
  }
  return Status::OK();
}

Status CheckPrice(std::string_view prefix, const Money& price) {
  if (price.minor < 0) {
    return Invalid(std::string(prefix) + ".price",
                   "negative (" + std::to_string(price.minor) + "); expected 0 or more minor units");
  }
  if (price.minor > kMaxMoneyMinor) {
    return Invalid(std::string(prefix) + ".price",
                   std::to_string(price.minor) + " minor units; expected at most 10^15");
  }
  if (!IsKnownCurrency(price.currency)) {
    std::string shown = IsValidUtf8(price.currency) ? price.currency.substr(0, 16) : "?";
    return Invalid(std::string(prefix) + ".currency",
                   "unknown currency '" + shown + "'; expected an ISO 4217 code such as USD");
  }
  return Status::OK();
}

Status CheckVariants(const Product& p) {
  if (p.variants.empty()) return Invalid("variants", "none; expected at least one variant");
  if (p.variants.size() > kMaxVariants) {
    return Invalid("variants", std::to_string(p.variants.size()) + " variants; expected at most " +
                                   std::to_string(kMaxVariants));
  }
  std::unordered_set<std::string_view> skus;
  for (size_t i = 0; i < p.variants.size(); ++i) {
    const Variant& v = p.variants[i];
    const std::string prefix = "variants[" + std::to_string(i) + "]";
    COMMERCE_RETURN_IF_ERROR(CheckText(prefix + ".sku", v.sku, {1, kMaxIdBytes, Lines::kSingle, true}));
    if (!skus.insert(v.sku).second) {
      return Invalid(prefix + ".sku", "duplicate SKU '" + v.sku + "' within the product");
    }
    COMMERCE_RETURN_IF_ERROR(CheckPrice(prefix, v.price));
    if (v.price.currency != p.variants[0].price.currency) {
      return Invalid(prefix + ".currency", "'" + v.price.currency + "' differs from variants[0]'s '" +
                                               p.variants[0].price.currency +
                                               "'; expected one currency per product");
    }
    COMMERCE_RETURN_IF_ERROR(CheckText(prefix + ".barcode", v.barcode, {0, kMaxBarcodeBytes}));
    COMMERCE_RETURN_IF_ERROR(CheckVariantOptions(prefix + ".options", v, p));
    COMMERCE_RETURN_IF_ERROR(CheckAttributes(prefix + ".attributes", v.attributes));
  }
  return Status::OK();
}

Status CheckCategoryIdText(std::string_view field, std::string_view id) {
  return CheckText(field, id, {1, kMaxCategoryIdBytes, Lines::kSingle, true});
}

Status CheckCategories(const Product& p) {
  if (p.categories.size() > kMaxCategoriesPerProduct) {
    return Invalid("categories", std::to_string(p.categories.size()) + " categories; expected at most " +
                                     std::to_string(kMaxCategoriesPerProduct));
  }
  std::set<std::string_view> seen;
  for (size_t i = 0; i < p.categories.size(); ++i) {
    const std::string field = "categories[" + std::to_string(i) + "]";
    COMMERCE_RETURN_IF_ERROR(CheckCategoryIdText(field, p.categories[i]));
    if (!seen.insert(p.categories[i]).second) {
      return Invalid(field, "duplicate category '" + p.categories[i] + "'");
    }
  }
  return Status::OK();
}

}  // namespace

Status Invalid(std::string_view field, std::string_view reason) {
  std::string m(field);
  m += ": ";
  m += reason;
  return Status::InvalidArgument(m);
}

std::string_view CategoryParentId(std::string_view id) {
  const size_t slash = id.rfind('/');
  return slash == std::string_view::npos ? std::string_view() : id.substr(0, slash);
}

Status ValidateProduct(const Product& p) {
  COMMERCE_RETURN_IF_ERROR(CheckText("id", p.id, {1, kMaxIdBytes, Lines::kSingle, true, true}));
  COMMERCE_RETURN_IF_ERROR(CheckText("title", p.title, {1, kMaxTitleBytes}));
  if (IsBlank(p.title)) return Invalid("title", "blank; expected some text");
  COMMERCE_RETURN_IF_ERROR(
      CheckText("description", p.description, {0, kMaxDescriptionBytes, Lines::kMultiple}));
  COMMERCE_RETURN_IF_ERROR(CheckText("brand", p.brand, {0, kMaxBrandBytes}));
  COMMERCE_RETURN_IF_ERROR(CheckCategories(p));
  COMMERCE_RETURN_IF_ERROR(CheckProductOptions(p));
  COMMERCE_RETURN_IF_ERROR(CheckAttributes("attributes", p.attributes));
  COMMERCE_RETURN_IF_ERROR(CheckVariants(p));
  switch (p.status) {
    case ProductStatus::kDraft:
    case ProductStatus::kActive:
    case ProductStatus::kArchived:
      break;
    default:
      return Invalid("status", "not one of draft, active, archived");
  }
  if (p.popularity < 0) {
    return Invalid("popularity", std::to_string(p.popularity) + "; expected 0 or more");
  }
  return Status::OK();
}

Status ValidateCategory(const Category& c) {
  COMMERCE_RETURN_IF_ERROR(CheckCategoryIdText("id", c.id));
  // Each element must already be in the form CategoryIdFromPath gives it, so an id typed by
  // hand and the id derived from the same names can never be two different categories.
  size_t start = 0;
  for (size_t index = 0;; ++index) {
    const size_t slash = c.id.find('/', start);
    const std::string element = c.id.substr(start, slash == std::string::npos ? slash : slash - start);
    if (element.empty() || CategoryIdFromPath({element}) != element) {
      return Invalid("id", "element " + std::to_string(index) + " ('" + element +
                               "') is not a slug; expected lower-case words joined by '-', "
                               "elements joined by '/', e.g. cell-phones/prepaid-phones");
    }
    if (slash == std::string::npos) break;
    start = slash + 1;
  }
  COMMERCE_RETURN_IF_ERROR(CheckText("name", c.name, {1, kMaxCategoryNameBytes}));
  if (IsBlank(c.name)) return Invalid("name", "blank; expected some text");
  if (!c.parent_id.empty() && c.parent_id != CategoryParentId(c.id)) {
    return Invalid("parent_id", "'" + c.parent_id + "' is not the parent of '" + c.id + "'; expected '" +
                                    std::string(CategoryParentId(c.id)) + "' (or empty)");
  }
  return Status::OK();
}

}  // namespace commerce
