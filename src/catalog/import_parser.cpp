// ImportParser: the file formats of import_parser.h.
//
// Map of this file:
//   FileReader          buffered reading with a byte count, shared by every format
//   native schema       DecodeNative: a JSON object -> ParsedProduct, strict
//   RecordDecoder       native or mapped decoding + the checks every product gets
//   JsonLinesSource     one record per line
//   JsonArraySource     splits "[ {...}, {...} ]" into elements without holding the file
//   CsvSource           header, rows grouped into products by product_id
//   ImportParser::Open  picks the format and the source
#include "catalog/import_parser.h"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <deque>
#include <set>
#include <unordered_set>

#include "catalog/csv_reader.h"
#include "catalog/field_mapping.h"
#include "catalog/json_node.h"
#include "catalog/product_validation.h"
#include "commerce/money.h"

namespace commerce {

// ---------------------------------------------------------------------------------------
// Shared helpers
// ---------------------------------------------------------------------------------------

Rejection RejectionFromStatus(uint64_t line, const Status& status) {
  Rejection r;
  r.line = line;
  const std::string& m = status.message();
  const size_t colon = m.find(": ");
  if (colon == std::string::npos) {
    r.reason = m;
  } else {
    r.field = m.substr(0, colon);
    r.reason = m.substr(colon + 2);
  }
  return r;
}

bool ParseInteger(std::string_view text, int64_t* out) {
  size_t i = 0;
  const bool negative = !text.empty() && text[0] == '-';
  if (negative) i = 1;
  if (i == text.size()) return false;
  uint64_t magnitude = 0;
  const uint64_t limit = negative ? uint64_t{1} << 63 : (uint64_t{1} << 63) - 1;
  for (; i < text.size(); ++i) {
    const char c = text[i];
    if (c < '0' || c > '9') return false;
    const auto digit = static_cast<uint64_t>(c - '0');
    if (magnitude > (limit - digit) / 10) return false;
    magnitude = magnitude * 10 + digit;
  }
  *out = negative ? static_cast<int64_t>(uint64_t{0} - magnitude) : static_cast<int64_t>(magnitude);
  return true;
}

namespace {

std::string_view TrimSpaces(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool IsBlank(std::string_view s) {
  for (char c : s) {
    if (c != ' ' && c != '\t' && c != '\r' && c != '\n') return false;
  }
  return true;
}

std::string_view StripLineEnd(std::string_view line) {
  if (!line.empty() && line.back() == '\n') line.remove_suffix(1);
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  return line;
}

std::string_view StripBom(std::string_view s) {
  if (s.substr(0, 3) == "\xEF\xBB\xBF") s.remove_prefix(3);
  return s;
}

Status Invalid(std::string_view field, std::string_view reason) {
  std::string m(field);
  m += ": ";
  m += reason;
  return Status::InvalidArgument(m);
}

Rejection MakeRejection(uint64_t line, std::string field, std::string reason) {
  Rejection r;
  r.line = line;
  r.field = std::move(field);
  r.reason = std::move(reason);
  return r;
}

std::string MiB(size_t bytes) { return std::to_string(bytes >> 20) + " MiB"; }

}  // namespace

std::vector<std::string> SplitCategoryPath(std::string_view text, std::string_view separator) {
  std::vector<std::string> names;
  while (true) {
    const size_t at = text.find(separator);
    names.emplace_back(TrimSpaces(text.substr(0, at)));
    if (at == std::string_view::npos) break;
    text.remove_prefix(at + separator.size());
  }
  return names;
}

namespace {

// ---------------------------------------------------------------------------------------
// FileReader
// ---------------------------------------------------------------------------------------

class FileReader {
 public:
  FileReader(std::FILE* f, std::string path, uint64_t size)
      : f_(f), path_(std::move(path)), size_(size), buf_(kBufferBytes) {}
  ~FileReader() { std::fclose(f_); }
  FileReader(const FileReader&) = delete;
  FileReader& operator=(const FileReader&) = delete;

  // The next byte, or -1 at the end of input (or on a read error: status()).
  int get() {
    if (pos_ == end_ && !refill()) return -1;
    return static_cast<unsigned char>(buf_[pos_++]);
  }
  int peek() {
    if (pos_ == end_ && !refill()) return -1;
    return static_cast<unsigned char>(buf_[pos_]);
  }

  // Reads through the next '\n' (kept) or to the end of input; false when nothing was left.
  // Past `max` bytes the rest of the line is consumed but not kept, and *too_long is set.
  bool read_line(std::string* line, size_t max, bool* too_long) {
    line->clear();
    *too_long = false;
    bool any = false;
    while (pos_ < end_ || refill()) {
      any = true;
      const char* start = buf_.data() + pos_;
      const auto* nl = static_cast<const char*>(std::memchr(start, '\n', end_ - pos_));
      const size_t n = nl ? static_cast<size_t>(nl - start) + 1 : end_ - pos_;
      if (!*too_long && line->size() + n <= max) {
        line->append(start, n);
      } else {
        *too_long = true;
      }
      pos_ += n;
      if (nl) break;
    }
    return any;
  }

  uint64_t consumed() const { return base_ + pos_; }
  uint64_t size() const { return size_; }
  const Status& status() const { return status_; }
  const std::string& path() const { return path_; }

 private:
  static constexpr size_t kBufferBytes = 256 << 10;

  bool refill() {
    base_ += end_;
    pos_ = end_ = 0;
    if (eof_) return false;
    const size_t n = std::fread(buf_.data(), 1, buf_.size(), f_);
    if (n == 0) {
      if (std::ferror(f_)) {
        status_ = Status::Unavailable("read " + path_ + ": " + std::strerror(errno));
      }
      eof_ = true;
      return false;
    }
    end_ = n;
    return true;
  }

  std::FILE* f_;
  std::string path_;
  uint64_t size_;
  std::vector<char> buf_;
  size_t pos_ = 0;
  size_t end_ = 0;
  uint64_t base_ = 0;  // file offset of buf_[0]
  bool eof_ = false;
  Status status_;
};

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

Status GetCategoryPaths(const JsonNode& n, std::vector<std::vector<std::string>>* out) {
  if (!n.is_array()) return WrongType("categories", "an array of paths", n);
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

Status DecodeNative(const JsonNode& root, std::string_view default_currency, ParsedProduct* out) {
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

// The checks every parsed product gets, whatever its source: category paths that make
// valid ids, and ValidateProduct. Duplicate paths and ids collapse silently: a feed listing a
// category twice means it once.
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

// ---------------------------------------------------------------------------------------
// RecordDecoder: native or mapped
// ---------------------------------------------------------------------------------------

class RecordDecoder {
 public:
  RecordDecoder(std::string default_currency, std::optional<FieldMapping> mapping)
      : default_currency_(std::move(default_currency)), mapping_(std::move(mapping)) {}

  bool mapped() const { return mapping_.has_value(); }

  void decode(const JsonNode& node, uint64_t line, ParsedRecord* out) const {
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
      Status s = DecodeNative(node, default_currency_, &pp);
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

  // Parses `text` as one JSON record and decodes it.
  void decode_text(std::string_view text, uint64_t line, ParsedRecord* out) const {
    Result<JsonNode> node = ParseJson(text);
    if (!node.ok()) {
      out->line = line;
      out->product.reset();
      out->rejection = MakeRejection(line, "", "invalid JSON at " + node.error().message());
      return;
    }
    decode(*node, line, out);
  }

  const std::string& default_currency() const { return default_currency_; }

 private:
  std::string default_currency_;
  std::optional<FieldMapping> mapping_;
};

}  // namespace

// ---------------------------------------------------------------------------------------
// Sources
// ---------------------------------------------------------------------------------------

class ImportParser::Source {
 public:
  Source(std::unique_ptr<FileReader> file, RecordDecoder decoder)
      : file_(std::move(file)), decoder_(std::move(decoder)) {}
  virtual ~Source() = default;

  // Reads what must be right before the first record; InvalidArgument otherwise.
  virtual Status start() { return Status::OK(); }
  virtual bool next(ParsedRecord* out) = 0;

  uint64_t bytes_read() const { return file_->consumed(); }
  uint64_t bytes_total() const { return file_->size(); }
  Status status() const { return file_->status().ok() ? status_ : file_->status(); }

 protected:
  std::unique_ptr<FileReader> file_;
  RecordDecoder decoder_;
  Status status_;
};

namespace {

class JsonLinesSource : public ImportParser::Source {
 public:
  using Source::Source;

  bool next(ParsedRecord* out) override {
    std::string line;
    bool too_long = false;
    while (file_->read_line(&line, kMaxImportRecordBytes, &too_long)) {
      ++line_no_;
      std::string_view text = StripLineEnd(line);
      if (line_no_ == 1) text = StripBom(text);
      if (too_long) {
        *out = ParsedRecord{};
        out->line = line_no_;
        out->rejection = MakeRejection(line_no_, "", "line longer than " + MiB(kMaxImportRecordBytes));
        return true;
      }
      if (IsBlank(text)) continue;
      decoder_.decode_text(text, line_no_, out);
      return true;
    }
    return false;
  }

 private:
  uint64_t line_no_ = 0;
};

class JsonArraySource : public ImportParser::Source {
 public:
  using Source::Source;

  Status start() override {
    int c = skip_space();
    if (c == 0xEF) {  // UTF-8 byte-order mark
      file_->get();
      if (file_->get() != 0xBB || file_->get() != 0xBF) return not_array("an incomplete byte-order mark");
      c = skip_space();
    }
    if (c == -1) return not_array("an empty file");
    if (c != '[') {
      return not_array(c == '{' ? "'{' (for one object per line, use format \"jsonl\")"
                                : "'" + std::string(1, static_cast<char>(c)) + "'");
    }
    file_->get();
    return Status::OK();
  }

  bool next(ParsedRecord* out) override {
    if (done_) return false;
    std::string element;
    bool too_big = false;
    const int end = scan_element(&element, &too_big);
    const bool blank = IsBlank(element);
    if (end == ']' && blank && index_ == 0) {  // "[]"
      finish();
      return false;
    }
    ++index_;
    *out = ParsedRecord{};
    out->line = index_;
    if (end == -1) {
      done_ = true;
      if (status_.ok()) {
        status_ = Status::InvalidArgument(file_->path() + ": the file ends before the JSON array's closing ']'");
      }
      if (blank) return false;
      out->rejection = MakeRejection(index_, "", "the file ends inside this element");
      return true;
    }
    if (end == ']') finish();
    if (blank) {
      out->rejection = MakeRejection(index_, "", "empty element (two commas, or a comma before ']')");
    } else if (too_big) {
      out->rejection = MakeRejection(index_, "", "element larger than " + MiB(kMaxImportRecordBytes));
    } else {
      decoder_.decode_text(element, index_, out);
    }
    return true;
  }

 private:
  Status not_array(const std::string& found) const {
    return Status::InvalidArgument(file_->path() + ": expected a JSON array ('[') at the start, found " + found);
  }

  int skip_space() {
    int c = file_->peek();
    while (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
      file_->get();
      c = file_->peek();
    }
    return c;
  }

  // Reads one element up to the ',' or ']' that ends it at nesting depth 0, outside strings;
  // returns that delimiter, or -1 at the end of input. Brackets are only counted, not
  // matched: a malformed element may swallow the ones after it, but the rejected text is
  // then handed to the JSON parser, which reports it.
  int scan_element(std::string* element, bool* too_big) {
    int depth = 0;
    bool in_string = false;
    bool escaped = false;
    for (int c = file_->get(); c != -1; c = file_->get()) {
      if (in_string) {
        if (escaped) {
          escaped = false;
        } else if (c == '\\') {
          escaped = true;
        } else if (c == '"') {
          in_string = false;
        }
      } else if (c == '"') {
        in_string = true;
      } else if (c == '{' || c == '[') {
        ++depth;
      } else if (c == '}' || c == ']') {
        if (depth == 0 && c == ']') return c;
        if (depth > 0) --depth;
      } else if (c == ',' && depth == 0) {
        return c;
      }
      if (element->size() < kMaxImportRecordBytes) {
        element->push_back(static_cast<char>(c));
      } else {
        *too_big = true;
      }
    }
    return -1;
  }

  // After the closing ']': only whitespace may follow.
  void finish() {
    done_ = true;
    const int c = skip_space();
    if (c != -1) {
      status_ = Status::InvalidArgument(file_->path() + ": unexpected data after the JSON array's closing "
                                        "']' at byte " + std::to_string(file_->consumed()));
    }
  }

  bool done_ = false;
  uint64_t index_ = 0;
};

// The columns of the native CSV schema.
enum Column : int {
  kProductId, kSku, kTitle, kDescription, kBrand, kCategories, kPrice, kCurrency,
  kOptions, kAttributes, kStatus, kPopularity, kBarcode, kColumnCount
};
constexpr const char* kColumnNames[kColumnCount] = {
    "product_id", "sku", "title", "description", "brand", "categories", "price",
    "currency", "options", "attributes", "status", "popularity", "barcode"};

// "name=value;name=value" -> map; InvalidArgument naming `column`.
Status ParsePairs(const char* column, std::string_view text, std::map<std::string, std::string>* out) {
  while (!text.empty()) {
    const size_t semi = text.find(';');
    const std::string_view pair = TrimSpaces(text.substr(0, semi));
    text.remove_prefix(semi == std::string_view::npos ? text.size() : semi + 1);
    if (pair.empty()) continue;
    const size_t eq = pair.find('=');
    if (eq == std::string_view::npos) {
      return Invalid(column, "'" + std::string(pair.substr(0, 64)) + "' has no '='; expected name=value;name=value");
    }
    std::string name(TrimSpaces(pair.substr(0, eq)));
    if (!out->emplace(name, std::string(TrimSpaces(pair.substr(eq + 1)))).second) {
      return Invalid(column, "'" + name.substr(0, 64) + "' appears twice");
    }
  }
  return Status::OK();
}

// A 64-bit FNV-1a hash. Product ids already seen are remembered by hash, not by text, so a
// million-product file costs a few megabytes; a false "reappears" needs a 64-bit collision.
uint64_t Fnv1a(std::string_view s) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : s) h = (h ^ c) * 1099511628211ull;
  return h;
}

class CsvSource : public ImportParser::Source {
 public:
  using Source::Source;

  Status start() override {
    CsvRow header;
    if (!read_row(&header)) {
      return file_->status().ok() ? Status::InvalidArgument(file_->path() + ": no header row; expected a "
                                                                            "first line naming the columns")
                                  : file_->status();
    }
    if (!header.error.empty()) return Status::InvalidArgument(file_->path() + ": header row: " + header.error);
    header_ = std::move(header.fields);
    if (!header_.empty()) header_[0] = std::string(StripBom(header_[0]));
    std::fill(std::begin(col_), std::end(col_), -1);
    for (size_t i = 0; i < header_.size(); ++i) {
      const std::string& name = header_[i];
      for (size_t k = 0; k < i; ++k) {
        if (header_[k] == name) return bad_column(name, "appears twice");
      }
      if (decoder_.mapped()) continue;  // the mapping decides what columns mean
      int found = -1;
      for (int c = 0; c < kColumnCount; ++c) {
        if (name == kColumnNames[c]) found = c;
      }
      if (found < 0) {
        return bad_column(name, "unknown column; expected product_id, sku, title, description, brand, "
                                "categories, price, currency, options, attributes, status, popularity, barcode");
      }
      col_[found] = static_cast<int>(i);
    }
    if (!decoder_.mapped()) {
      for (int required : {kProductId, kSku, kTitle, kPrice}) {
        if (col_[required] < 0) return bad_column(kColumnNames[required], "missing; it is required");
      }
    }
    return Status::OK();
  }

  bool next(ParsedRecord* out) override {
    while (ready_.empty()) {
      CsvRow row;
      if (read_row(&row)) {
        handle_row(std::move(row));
      } else {
        flush_group();
        if (ready_.empty()) return false;
      }
    }
    *out = std::move(ready_.front());
    ready_.pop_front();
    return true;
  }

 private:
  // One product being assembled from consecutive rows.
  struct Group {
    bool open = false;
    std::string product_id;
    uint64_t line = 0;
    std::vector<uint64_t> variant_lines;
    ParsedProduct product;
    std::optional<Rejection> error;  // the first problem; later rows of the product are absorbed
  };

  Status bad_column(const std::string& name, const std::string& reason) const {
    return Status::InvalidArgument(file_->path() + ": column '" + name.substr(0, 64) + "': " + reason);
  }

  bool read_row(CsvRow* row) {
    std::string line;
    bool too_long = false;
    while (!csv_.pop(row)) {
      if (at_end_) return false;
      if (!file_->read_line(&line, kMaxImportRecordBytes, &too_long)) {
        csv_.finish();
        at_end_ = true;
        continue;
      }
      ++line_no_;
      if (too_long) {
        csv_.skip_line(line_no_, "line longer than " + MiB(kMaxImportRecordBytes));
      } else {
        csv_.feed(line, line_no_);
      }
    }
    return true;
  }

  const std::string& cell(const CsvRow& row, Column c) const {
    static const std::string kEmpty;
    return col_[c] < 0 ? kEmpty : row.fields[static_cast<size_t>(col_[c])];
  }

  void handle_row(CsvRow row) {
    if (!row.error.empty()) {
      ready_.push_back(rejected(MakeRejection(row.line, "", row.error)));
      return;
    }
    if (row.fields.size() != header_.size()) {
      ready_.push_back(rejected(MakeRejection(row.line, "", std::to_string(row.fields.size()) +
                                                                " fields; expected " + std::to_string(header_.size()) +
                                                                " as in the header")));
      return;
    }
    if (decoder_.mapped()) {
      JsonNode record;
      record.type = JsonNode::Type::kObject;
      for (size_t i = 0; i < header_.size(); ++i) {
        record.members.emplace_back(header_[i], JsonNode::String(std::move(row.fields[i])));
      }
      decoder_.decode(record, row.line, &ready_.emplace_back());
      return;
    }
    const std::string& id = cell(row, kProductId);
    if (group_.open && id == group_.product_id) {
      add_variant(row);
      return;
    }
    flush_group();
    start_group(row);
  }

  static ParsedRecord rejected(Rejection r) {
    ParsedRecord rec;
    rec.line = r.line;
    rec.rejection = std::move(r);
    return rec;
  }

  void fail(uint64_t line, const Status& s) {
    if (!group_.error) group_.error = RejectionFromStatus(line, s);
  }

  void start_group(const CsvRow& row) {
    group_ = Group{};
    group_.open = true;
    group_.product_id = cell(row, kProductId);
    group_.line = row.line;
    if (group_.product_id.empty()) {
      fail(row.line, Invalid("product_id", "empty; every row needs its product's id"));
      return;
    }
    if (!seen_ids_.insert(Fnv1a(group_.product_id)).second) {
      fail(row.line, Invalid("product_id", "'" + group_.product_id.substr(0, 64) +
                                               "' reappears after other products; expected all rows of a "
                                               "product to be consecutive"));
      return;
    }
    Product& p = group_.product.product;
    p.id = group_.product_id;
    p.title = cell(row, kTitle);
    p.description = cell(row, kDescription);
    p.brand = cell(row, kBrand);
    std::string_view categories = cell(row, kCategories);
    while (!IsBlank(categories)) {
      const size_t bar = categories.find('|');
      group_.product.category_paths.push_back(SplitCategoryPath(categories.substr(0, bar)));
      categories.remove_prefix(bar == std::string_view::npos ? categories.size() : bar + 1);
    }
    Status s = ParsePairs("attributes", cell(row, kAttributes), &p.attributes);
    if (!s.ok()) return fail(row.line, s);
    if (!cell(row, kStatus).empty()) {
      Result<ProductStatus> status = ParseProductStatus(cell(row, kStatus));
      if (!status.ok()) return fail(row.line, Invalid("status", status.error().message()));
      p.status = *status;
    }
    if (!cell(row, kPopularity).empty() && !ParseInteger(cell(row, kPopularity), &p.popularity)) {
      return fail(row.line, Invalid("popularity", "'" + cell(row, kPopularity).substr(0, 64) +
                                                      "' is not an integer"));
    }
    add_variant(row);
  }

  void add_variant(const CsvRow& row) {
    if (group_.error) return;
    Product& p = group_.product.product;
    if (p.variants.size() >= kMaxVariants) {
      return fail(row.line, Invalid("sku", "more than " + std::to_string(kMaxVariants) +
                                               " rows (variants) for product '" + p.id.substr(0, 64) + "'"));
    }
    Variant v;
    v.sku = cell(row, kSku);
    v.barcode = cell(row, kBarcode);
    const std::string currency = cell(row, kCurrency).empty() ? decoder_.default_currency() : cell(row, kCurrency);
    if (!IsKnownCurrency(currency)) {
      return fail(row.line, Invalid("currency", "unknown currency '" + currency.substr(0, 16) +
                                                    "'; expected an ISO 4217 code such as USD"));
    }
    Result<Money> price = ParseMoney(cell(row, kPrice), currency);
    if (!price.ok()) return fail(row.line, Invalid("price", price.error().message()));
    v.price = std::move(*price);
    Status s = ParsePairs("options", cell(row, kOptions), &v.options);
    if (!s.ok()) return fail(row.line, s);
    for (const auto& [name, value] : v.options) {
      if (std::find(p.options.begin(), p.options.end(), name) == p.options.end()) p.options.push_back(name);
    }
    p.variants.push_back(std::move(v));
    group_.variant_lines.push_back(row.line);
  }

  void flush_group() {
    if (!group_.open) return;
    group_.open = false;
    if (group_.error) {
      ready_.push_back(rejected(std::move(*group_.error)));
      return;
    }
    Status s = CheckParsedProduct(&group_.product);
    if (!s.ok()) {
      ready_.push_back(rejected(to_row(RejectionFromStatus(group_.line, s))));
      return;
    }
    ParsedRecord rec;
    rec.line = group_.line;
    rec.product = std::move(group_.product);
    ready_.push_back(std::move(rec));
  }

  // Points a product-level validation failure at the CSV row and column it came from:
  // "variants[2].price" -> the third row of the product, column price.
  Rejection to_row(Rejection r) const {
    std::string_view f = r.field;
    if (f.rfind("variants[", 0) == 0) {
      const size_t close = f.find(']');
      const size_t i = std::strtoul(r.field.c_str() + 9, nullptr, 10);
      if (i < group_.variant_lines.size()) r.line = group_.variant_lines[i];
      f.remove_prefix(close == std::string_view::npos ? f.size() : close + 1);
      if (!f.empty() && f[0] == '.') f.remove_prefix(1);
    }
    std::string column(f.substr(0, f.find_first_of(".[")));
    if (column == "id") column = "product_id";
    if (column.empty()) column = "sku";
    r.field = column;
    return r;
  }

  CsvReader csv_;
  bool at_end_ = false;
  uint64_t line_no_ = 0;
  std::vector<std::string> header_;
  int col_[kColumnCount] = {};
  Group group_;
  std::unordered_set<uint64_t> seen_ids_;
  std::deque<ParsedRecord> ready_;
};

std::string Lower(std::string s) {
  for (char& c : s) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return s;
}

Result<std::string> ChooseFormat(const std::string& path, const ImportOptions& options,
                                 const std::optional<FieldMapping>& mapping) {
  const std::string& given = options.format;
  if (given != "auto" && given != "jsonl" && given != "json" && given != "csv") {
    return Status::InvalidArgument("format '" + given.substr(0, 32) + "': expected auto, jsonl, json or csv");
  }
  const std::string from_mapping = mapping ? mapping->format() : "";
  if (given != "auto") {
    if (!from_mapping.empty() && from_mapping != given) {
      return Status::InvalidArgument("format '" + given + "' conflicts with the mapping's format '" +
                                     from_mapping + "' (" + options.mapping_path + ")");
    }
    return given;
  }
  if (!from_mapping.empty()) return from_mapping;
  const size_t slash = path.rfind('/');
  const size_t dot = path.rfind('.');
  const std::string ext = dot == std::string::npos || (slash != std::string::npos && dot < slash)
                              ? ""
                              : Lower(path.substr(dot));
  if (ext == ".jsonl" || ext == ".ndjson") return std::string("jsonl");
  if (ext == ".json") return std::string("json");
  if (ext == ".csv") return std::string("csv");
  return Status::InvalidArgument(path + ": cannot tell the format from the file name; expected a "
                                        ".jsonl, .ndjson, .json or .csv extension, or set format");
}

Result<std::unique_ptr<FileReader>> OpenFile(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) {
    const int err = errno;
    if (err == ENOENT || err == ENOTDIR) return Status::NotFound(path + ": no such file");
    return Status::Unavailable(path + ": " + std::strerror(err));
  }
  if (S_ISDIR(st.st_mode)) return Status::InvalidArgument(path + ": is a directory; expected a file");
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) return Status::Unavailable(path + ": cannot be opened: " + std::strerror(errno));
  const uint64_t size = S_ISREG(st.st_mode) ? static_cast<uint64_t>(st.st_size) : 0;
  return std::make_unique<FileReader>(f, path, size);
}

}  // namespace

// ---------------------------------------------------------------------------------------
// ImportParser
// ---------------------------------------------------------------------------------------

ImportParser::ImportParser(std::unique_ptr<Source> source) : source_(std::move(source)) {}
ImportParser::~ImportParser() = default;

Result<std::unique_ptr<ImportParser>> ImportParser::Open(const std::string& path, const ImportOptions& options) {
  try {
    std::optional<FieldMapping> mapping;
    if (!options.mapping_path.empty()) {
      Result<FieldMapping> m = FieldMapping::Load(options.mapping_path);
      if (!m.ok()) return m.error();
      mapping = std::move(*m);
    }
    COMMERCE_ASSIGN_OR_RETURN(std::string format, ChooseFormat(path, options, mapping));
    if (!IsKnownCurrency(options.default_currency)) {
      return Status::InvalidArgument("default_currency '" + options.default_currency.substr(0, 16) +
                                     "': expected an ISO 4217 code such as USD");
    }
    COMMERCE_ASSIGN_OR_RETURN(std::unique_ptr<FileReader> file, OpenFile(path));
    RecordDecoder decoder(options.default_currency, std::move(mapping));
    std::unique_ptr<Source> source;
    if (format == "jsonl") {
      source = std::make_unique<JsonLinesSource>(std::move(file), std::move(decoder));
    } else if (format == "json") {
      source = std::make_unique<JsonArraySource>(std::move(file), std::move(decoder));
    } else {
      source = std::make_unique<CsvSource>(std::move(file), std::move(decoder));
    }
    COMMERCE_RETURN_IF_ERROR(source->start());
    return std::unique_ptr<ImportParser>(new ImportParser(std::move(source)));
  } catch (const std::exception& e) {
    return Status::Internal(std::string("opening import ") + path + ": " + e.what());
  }
}

bool ImportParser::next(ParsedRecord* out) {
  try {
    return source_->next(out);
  } catch (const std::bad_alloc&) {
    // A record too big for memory: reported against the record, the import goes on.
    *out = ParsedRecord{};
    out->rejection.reason = "out of memory reading this record";
    return true;
  }
}

uint64_t ImportParser::bytes_read() const { return source_->bytes_read(); }
uint64_t ImportParser::bytes_total() const { return source_->bytes_total(); }
Status ImportParser::status() const { return source_->status(); }

}  // namespace commerce
