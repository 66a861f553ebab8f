#include "catalog/field_mapping.h"

#include <algorithm>
#include <fstream>
#include <sstream>

#include "catalog/product_validation.h"
#include "commerce/money.h"

namespace commerce {

namespace {

// std::regex in libstdc++ recurses per character; past a few thousand characters a
// pathological pattern can exhaust the stack. Source values that long are not ids.
constexpr size_t kMaxPatternInputBytes = 4096;

// True when `item` is one of the comma-separated words of `list`.
bool InList(std::string_view list, std::string_view item) {
  while (!list.empty()) {
    const size_t comma = list.find(',');
    if (list.substr(0, comma) == item) return true;
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
  return false;
}

std::string Join(const std::vector<std::string>& parts, char sep) {
  std::string out;
  for (const std::string& p : parts) {
    if (!out.empty()) out += sep;
    out += p;
  }
  return out;
}

std::vector<std::string> SplitDots(std::string_view s) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (true) {
    const size_t dot = s.find('.', start);
    parts.emplace_back(s.substr(start, dot == std::string_view::npos ? dot : dot - start));
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  return parts;
}

bool AllDigits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

std::string Shorten(std::string_view s) {
  if (s.size() <= 80) return std::string(s);
  return std::string(s.substr(0, 77)) + "...";
}

// The value at `path` in `record`; nullptr when any step is missing or the value is null.
const JsonNode* Resolve(const JsonNode& record, const std::vector<std::string>& path) {
  const JsonNode* n = &record;
  for (const std::string& part : path) {
    if (n->is_object()) {
      n = n->find(part);
    } else if (n->is_array() && AllDigits(part) && part.size() < 10) {
      const size_t i = std::stoul(part);
      n = i < n->items.size() ? &n->items[i] : nullptr;
    } else {
      return nullptr;
    }
    if (n == nullptr) return nullptr;
  }
  return n->is_null() ? nullptr : n;
}

// A scalar as text: strings as they are, numbers exactly as written, booleans as words.
bool ScalarText(const JsonNode& n, std::string* out) {
  switch (n.type) {
    case JsonNode::Type::kString:
    case JsonNode::Type::kNumber:
      *out = n.text;
      return true;
    case JsonNode::Type::kBool:
      *out = n.boolean ? "true" : "false";
      return true;
    default:
      return false;
  }
}

// U+0080..U+009F, read as Windows-1252 bytes 0x80..0x9F: the code points those bytes mean.
// 0 for the five bytes Windows-1252 leaves undefined.
constexpr char16_t kCp1252High[32] = {
    0x20AC, 0, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160,
    0x2039, 0x0152, 0, 0x017D, 0, 0, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022,
    0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0, 0x017E, 0x0178};

void RepairCp1252(std::string* s) {
  if (s->find('\xC2') == std::string::npos) return;  // the lead byte of every C1 character
  std::string out;
  out.reserve(s->size() + 8);
  for (size_t i = 0; i < s->size(); ++i) {
    const auto b = static_cast<unsigned char>((*s)[i]);
    const auto next = i + 1 < s->size() ? static_cast<unsigned char>((*s)[i + 1]) : 0;
    const char16_t cp = (b == 0xC2 && next >= 0x80 && next <= 0x9F) ? kCp1252High[next - 0x80] : 0;
    if (cp == 0) {
      out += static_cast<char>(b);
      continue;
    }
    if (cp < 0x800) {
      out += static_cast<char>(0xC0 | (cp >> 6));
    } else {
      out += static_cast<char>(0xE0 | (cp >> 12));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    }
    out += static_cast<char>(0x80 | (cp & 0x3F));
    ++i;
  }
  *s = std::move(out);
}

// The first group `pattern` captures in `text` (or the whole match when it has no group);
// nullopt when it does not match.
std::optional<std::string> FirstGroup(const std::string& text, const std::regex& pattern) {
  if (text.size() > kMaxPatternInputBytes) return std::nullopt;
  std::smatch match;
  try {
    if (!std::regex_search(text, match, pattern)) return std::nullopt;
  } catch (const std::regex_error&) {
    return std::nullopt;  // too complex for this input (error_complexity, error_stack)
  }
  return match.size() > 1 && match[1].matched ? match[1].str() : match[0].str();
}

// Names of one category path: an array of names, or a string cut at `separator`.
bool PathNames(const JsonNode& n, const std::string& separator, std::vector<std::string>* path) {
  if (n.is_string()) {
    *path = SplitCategoryPath(n.text, separator);
    return true;
  }
  if (!n.is_array()) return false;
  for (const JsonNode& name : n.items) {
    if (!name.is_string()) return false;
    path->push_back(name.text);
  }
  return true;
}

// Appends the category paths in `node` to `out`: one path (an array of names, or with `split`
// a string cut at `separator`), or with `many` an array of paths. "" or what is wrong.
std::string ReadCategoryPaths(const JsonNode& node, bool many, bool split, const std::string& separator,
                              bool repair, std::vector<std::vector<std::string>>* out) {
  auto add = [&](std::vector<std::string> path) {
    if (path.empty()) return;
    if (repair) {
      for (std::string& name : path) RepairCp1252(&name);
    }
    out->push_back(std::move(path));
  };
  if (!many) {
    std::vector<std::string> path;
    const bool shape_ok = split ? node.is_string() : node.is_array();
    if (!shape_ok || !PathNames(node, separator, &path)) {
      return split ? "expected a string such as \"A > B\", got " + std::string(node.type_name())
                   : "expected an array of category names, root first";
    }
    add(std::move(path));
    return "";
  }
  if (!node.is_array()) return "expected an array of category paths";
  if (node.items.size() > kMaxCategoriesPerProduct)  // refused before any path is split
    return std::to_string(node.items.size()) + " paths; expected at most " +
           std::to_string(kMaxCategoriesPerProduct) + " categories a product";
  for (const JsonNode& item : node.items) {
    std::vector<std::string> path;
    if (!PathNames(item, separator, &path)) return "expected each path to be a string or an array of names";
    add(std::move(path));
  }
  return "";
}

std::string ReadCategoryIds(const JsonNode& node, std::vector<std::string>* out) {
  if (node.is_string()) {
    out->push_back(node.text);
    return "";
  }
  if (!node.is_array()) return "expected a category id or an array of them";
  for (const JsonNode& id : node.items) {
    if (!id.is_string()) return "expected an array of category id strings";
    out->push_back(id.text);
  }
  return "";
}

}  // namespace

// What the rules produced for one record, before the cross-field steps (id/sku defaults,
// currency, price).
struct FieldMapping::Values {
  ParsedProduct* product = nullptr;
  std::optional<std::string> text[static_cast<int>(Target::kPopularity) + 1];
  std::optional<std::string>& at(Target t) { return text[static_cast<int>(t)]; }
};

Result<FieldMapping> FieldMapping::Load(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::InvalidArgument("mapping file " + path + ": cannot be opened");
  // A mapping is a page of JSON; anything far bigger is a data file passed by mistake.
  constexpr std::streamoff kMaxMappingBytes = 1 << 20;
  in.seekg(0, std::ios::end);
  if (in.tellg() > kMaxMappingBytes) {
    return Status::InvalidArgument("mapping file " + path + ": larger than 1 MiB; expected a small JSON object");
  }
  in.seekg(0, std::ios::beg);
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return Status::InvalidArgument("mapping file " + path + ": read error");
  return Parse(text.str(), path);
}

Result<FieldMapping> FieldMapping::Parse(std::string_view json, std::string_view name) {
  const std::string file(name);
  auto bad = [&](const std::string& key, const std::string& reason) {
    return Status::InvalidArgument(file + ": " + key + ": " + reason);
  };
  Result<JsonNode> parsed = ParseJson(json);
  if (!parsed.ok()) {
    return Status::InvalidArgument(file + ": not valid JSON: " + parsed.error().message());
  }
  const JsonNode& root = *parsed;
  if (!root.is_object()) return Status::InvalidArgument(file + ": expected a JSON object");

  FieldMapping m;
  const JsonNode* fields = nullptr;
  for (const auto& [key, value] : root.members) {
    if (key == "comment") continue;
    if (key == "format") {
      if (!value.is_string() || (value.text != "json" && value.text != "jsonl" && value.text != "csv")) {
        return bad(key, "expected one of \"json\", \"jsonl\", \"csv\"");
      }
      m.format_ = value.text;
    } else if (key == "currency") {
      if (!value.is_string() || !IsKnownCurrency(value.text)) {
        return bad(key, "expected an ISO 4217 currency code such as \"USD\"");
      }
      m.currency_ = value.text;
    } else if (key == "ignore_unknown" || key == "repair_cp1252") {
      if (value.type != JsonNode::Type::kBool) return bad(key, "expected true or false");
      (key == "ignore_unknown" ? m.ignore_unknown_ : m.repair_cp1252_) = value.boolean;
    } else if (key == "fields") {
      if (!value.is_object() || value.members.empty()) {
        return bad(key, "expected an object of \"<target>\": {\"from\": ...} rules");
      }
      fields = &value;
    } else {
      return bad(key, "unknown key; expected comment, format, currency, ignore_unknown, repair_cp1252, fields");
    }
  }
  if (!fields) return bad("fields", "missing; it says where each product field comes from");

  for (const auto& [target, spec] : fields->members) {
    Rule rule;
    Status s = ParseRule(target, spec, &rule);
    if (!s.ok()) return Status::InvalidArgument(file + ": " + s.message());
    for (const Rule& other : m.rules_) {
      if (other.name == target) return bad("fields." + target, "mapped twice");
    }
    if (!rule.from.empty()) {
      bool known = false;
      for (const std::string& f : m.read_fields_) known |= f == rule.from[0];
      if (!known) m.read_fields_.push_back(rule.from[0]);
    }
    m.rules_.push_back(std::move(rule));
  }
  if (!m.rule_for(Target::kId) && !m.rule_for(Target::kSku)) {
    return bad("fields", "neither \"id\" nor \"sku\" is mapped; expected at least one");
  }
  if (!m.rule_for(Target::kTitle)) return bad("fields", "\"title\" is not mapped");
  if (!m.rule_for(Target::kPrice)) return bad("fields", "\"price\" is not mapped");
  return m;
}

Status FieldMapping::ParseRule(const std::string& name, const JsonNode& spec, Rule* rule) {
  // The "as" values each target takes, the first being the default.
  static const struct {
    const char* name;
    Target target;
    const char* as_allowed;
  } kTargets[] = {
      {"id", Target::kId, "string"},
      {"sku", Target::kSku, "string"},
      {"title", Target::kTitle, "string"},
      {"description", Target::kDescription, "string"},
      {"brand", Target::kBrand, "string"},
      {"barcode", Target::kBarcode, "string"},
      {"currency", Target::kCurrency, "string"},
      {"status", Target::kStatus, "string"},
      {"price", Target::kPrice, "decimal,minor"},
      {"popularity", Target::kPopularity, "integer"},
      {"categories", Target::kCategories, "path,split,paths"},
      {"category_ids", Target::kCategoryIds, ""},
  };
  const std::string field = "fields." + name;
  auto bad = [&](const std::string& key, const std::string& reason) {
    return Status::InvalidArgument((key.empty() ? field : field + "." + key) + ": " + reason);
  };

  std::string as_allowed;
  rule->name = name;
  if (name.rfind("attributes.", 0) == 0 || name.rfind("options.", 0) == 0) {
    const bool attribute = name[0] == 'a';
    rule->target = attribute ? Target::kAttribute : Target::kOption;
    rule->key = name.substr(attribute ? 11 : 8);
    if (rule->key.empty()) return bad("", "expected a name after the '.'");
    as_allowed = "string";
  } else {
    const auto* info = std::find_if(std::begin(kTargets), std::end(kTargets),
                                    [&](const auto& t) { return name == t.name; });
    if (info == std::end(kTargets)) info = nullptr;
    if (!info) {
      return bad("", "unknown target; expected id, sku, title, description, brand, barcode, "
                     "currency, status, price, popularity, categories, category_ids, "
                     "attributes.<key> or options.<name>");
    }
    rule->target = info->target;
    as_allowed = info->as_allowed;
  }
  if (!spec.is_object()) return bad("", "expected an object such as {\"from\": \"name\"}");

  static const struct { const char* name; As as; } kAs[] = {
      {"string", As::kString}, {"decimal", As::kDecimal}, {"minor", As::kMinor},
      {"integer", As::kInteger}, {"path", As::kPath}, {"split", As::kSplit},
      {"paths", As::kPaths},
  };
  std::string as_name = as_allowed.substr(0, as_allowed.find(','));
  for (const auto& [key, value] : spec.members) {
    if (key == "comment") continue;
    const bool is_string = value.is_string();
    if (key == "from") {
      if (!is_string || value.text.empty()) return bad(key, "expected a field name such as \"name\" or \"offers.price\"");
      rule->from = SplitDots(value.text);
      for (const std::string& part : rule->from) {
        if (part.empty()) return bad(key, "empty step in '" + value.text + "'");
      }
    } else if (key == "value") {
      if (!is_string) return bad(key, "expected a string");
      rule->value = value.text;
    } else if (key == "as") {
      if (!is_string) return bad(key, "expected a string");
      as_name = value.text;
      if (!InList(as_allowed, as_name)) {
        return bad(key, "'" + Shorten(as_name) + "' is not one of " +
                            (as_allowed.empty() ? std::string("(none: leave \"as\" out)") : as_allowed));
      }
    } else if (key == "pattern") {
      if (!is_string) return bad(key, "expected a regular expression string");
      try {
        rule->pattern = std::make_shared<const std::regex>(value.text, std::regex::ECMAScript);
      } catch (const std::regex_error& e) {
        return bad(key, std::string("invalid regular expression: ") + e.what());
      }
      rule->pattern_text = value.text;
    } else if (key == "fallback") {
      if (!is_string || value.text != "record") return bad(key, "expected \"record\" (use \"default\" for a constant)");
      rule->fallback_record = true;
    } else if (key == "default") {
      if (!is_string) return bad(key, "expected a string");
      rule->default_value = value.text;
    } else if (key == "separator") {
      if (!is_string || value.text.empty()) return bad(key, "expected a non-empty string such as \" > \"");
      rule->separator = value.text;
    } else {
      return bad(key, "unknown key; expected from, value, as, pattern, fallback, default, separator, comment");
    }
  }
  if (rule->from.empty() == !rule->value.has_value()) {
    return bad("", "expected exactly one of \"from\" (a source field) and \"value\" (a constant)");
  }
  for (const auto& a : kAs) {
    if (as_name == a.name) rule->as = a.as;
  }
  const bool structured = rule->target == Target::kCategories || rule->target == Target::kCategoryIds;
  if (structured && (rule->pattern || rule->fallback_record || rule->default_value)) {
    return bad("", "pattern, fallback and default apply to single values, not to " + name);
  }
  return Status::OK();
}

const FieldMapping::Rule* FieldMapping::rule_for(Target target) const {
  for (const Rule& r : rules_) {
    if (r.target == target) return &r;
  }
  return nullptr;
}

std::string FieldMapping::source_name(const Rule& rule) const {
  return rule.from.empty() ? rule.name + " (constant)" : Join(rule.from, '.');
}

std::string FieldMapping::source_of(std::string_view product_field) const {
  std::string_view f = product_field;
  if (f.rfind("variants[", 0) == 0) {
    const size_t dot = f.find("].");
    if (dot != std::string_view::npos) f.remove_prefix(dot + 2);
  }
  for (const Rule& r : rules_) {
    if (r.name == f) return source_name(r);
  }
  // "categories[2]" and "options[0]" come from the rule of their list.
  const std::string_view head = f.substr(0, f.find_first_of(".["));
  for (const Rule& r : rules_) {
    if (r.name == head) return source_name(r);
  }
  return std::string(product_field);
}

bool FieldMapping::apply_rule(const Rule& rule, const JsonNode& record, uint64_t line, Values* v,
                              Rejection* rejection) const {
  auto reject = [&](const std::string& reason) {
    rejection->line = line;
    rejection->field = source_name(rule);
    rejection->reason = reason + " (mapped to " + rule.name + ")";
    return false;
  };
  JsonNode constant;
  const JsonNode* node;
  if (rule.value) {
    constant = JsonNode::String(*rule.value);
    node = &constant;
  } else {
    node = Resolve(record, rule.from);
  }
  ParsedProduct* out = v->product;

  if (rule.target == Target::kCategories || rule.target == Target::kCategoryIds) {
    if (!node) return true;
    const std::string error =
        rule.target == Target::kCategoryIds
            ? ReadCategoryIds(*node, &out->category_ids)
            : ReadCategoryPaths(*node, rule.as == As::kPaths, rule.as == As::kSplit, rule.separator,
                                repair_cp1252_, &out->category_paths);
    return error.empty() || reject(error);
  }

  std::optional<std::string> text;
  if (node) {
    std::string t;
    if (!ScalarText(*node, &t)) return reject(std::string("expected a single value, got an ") + node->type_name());
    if (repair_cp1252_) RepairCp1252(&t);
    text = std::move(t);
  }
  if (text && rule.pattern) {
    std::optional<std::string> match = FirstGroup(*text, *rule.pattern);
    if (!match && !rule.fallback_record && !rule.default_value) {
      return reject("'" + Shorten(*text) + "' does not match /" + rule.pattern_text + "/");
    }
    text = std::move(match);
  }
  if (!text && rule.fallback_record) text = "rec-" + std::to_string(line);
  if (!text && rule.default_value) text = *rule.default_value;
  if (!text) return true;

  switch (rule.target) {
    case Target::kAttribute:
      if (!text->empty()) out->product.attributes[rule.key] = std::move(*text);
      return true;
    case Target::kOption:
      if (!text->empty()) {
        std::vector<std::string>& names = out->product.options;
        if (std::find(names.begin(), names.end(), rule.key) == names.end()) names.push_back(rule.key);
        out->product.variants[0].options[rule.key] = std::move(*text);
      }
      return true;
    default:
      v->at(rule.target) = std::move(text);
      return true;
  }
}

bool FieldMapping::apply(const JsonNode& record, uint64_t line, std::string_view default_currency,
                         ParsedProduct* out, Rejection* rejection) const {
  *out = ParsedProduct{};
  out->product.variants.emplace_back();
  rejection->line = line;
  if (!record.is_object()) {
    rejection->field = "";
    rejection->reason = std::string("expected a JSON object, got ") + (record.is_array() ? "an " : "a ") +
                        record.type_name();
    return false;
  }
  if (!ignore_unknown_) {
    for (const auto& [key, value] : record.members) {
      bool read = false;
      for (const std::string& f : read_fields_) read |= f == key;
      if (!read) {
        rejection->field = key;
        rejection->reason = "not read by any rule of the mapping; map it, or set \"ignore_unknown\": true";
        return false;
      }
    }
  }

  Values v;
  v.product = out;
  for (const Rule& rule : rules_) {
    if (!apply_rule(rule, record, line, &v, rejection)) return false;
  }

  auto missing = [&](Target t, const char* target) {
    const Rule* r = rule_for(t);
    rejection->field = r ? source_name(*r) : target;
    rejection->reason = std::string("missing (mapped to ") + target + "); it is required";
    return false;
  };
  std::optional<std::string>& id = v.at(Target::kId);
  std::optional<std::string>& sku = v.at(Target::kSku);
  if (!id && !sku) return missing(rule_for(Target::kId) ? Target::kId : Target::kSku, "id");
  if (!id) id = sku;
  if (!sku) sku = id;
  if (!v.at(Target::kTitle)) return missing(Target::kTitle, "title");
  if (!v.at(Target::kPrice)) return missing(Target::kPrice, "price");

  Product& p = out->product;
  Variant& variant = p.variants[0];
  p.id = std::move(*id);
  variant.sku = std::move(*sku);
  p.title = std::move(*v.at(Target::kTitle));
  p.description = v.at(Target::kDescription).value_or("");
  p.brand = v.at(Target::kBrand).value_or("");
  variant.barcode = v.at(Target::kBarcode).value_or("");

  auto reject_at = [&](Target t, const std::string& reason) {
    rejection->field = source_name(*rule_for(t));
    rejection->reason = reason;
    return false;
  };
  std::string currency = v.at(Target::kCurrency).value_or(currency_.empty() ? std::string(default_currency) : currency_);
  if (!IsKnownCurrency(currency)) {
    const std::string reason = "unknown currency '" + Shorten(currency) + "'; expected an ISO 4217 code such as USD";
    if (v.at(Target::kCurrency)) return reject_at(Target::kCurrency, reason);
    rejection->field = "currency";
    rejection->reason = reason;
    return false;
  }
  const std::string& price_text = *v.at(Target::kPrice);
  if (rule_for(Target::kPrice)->as == As::kMinor) {
    int64_t minor = 0;
    if (!ParseInteger(price_text, &minor)) {
      return reject_at(Target::kPrice, "'" + Shorten(price_text) + "' is not an integer number of minor units");
    }
    variant.price = Money{minor, currency};
  } else {
    Result<Money> money = ParseMoney(price_text, currency);
    if (!money.ok()) return reject_at(Target::kPrice, money.error().message());
    variant.price = std::move(*money);
  }
  if (const auto& pop = v.at(Target::kPopularity)) {
    if (!ParseInteger(*pop, &p.popularity)) {
      return reject_at(Target::kPopularity, "'" + Shorten(*pop) + "' is not an integer");
    }
  }
  if (const auto& status = v.at(Target::kStatus)) {
    Result<ProductStatus> s = ParseProductStatus(*status);
    if (!s.ok()) return reject_at(Target::kStatus, s.error().message());
    p.status = *s;
  }
  return true;
}

}  // namespace commerce
