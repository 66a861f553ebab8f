// ImportParser: the formats of import_parser.h, fed bytes.
//
// Map of this file:
//   shared helpers      RejectionFromStatus, ParseInteger, SplitCategoryPath, ...
//   LineSplitter        bytes -> lines however the chunks fall, overlong lines skipped
//   Source              what every format's parser has: the decoder, ready records, status
//   JsonLinesSource     one record per line
//   JsonArraySource     splits "[ {...}, {...} ]" into elements, byte by byte
//   CsvSource           header, rows grouped into products by product_id
//   ImportParser        push (Create) and pull (Open) over a source
#include "catalog/import_parser.h"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <deque>
#include <unordered_set>

#include "catalog/csv_reader.h"
#include "catalog/field_mapping.h"
#include "catalog/json_node.h"
#include "catalog/product_validation.h"
#include "catalog/record_decoder.h"
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

bool IsBlank(std::string_view s) {
  for (char c : s) {
    if (c != ' ' && c != '\t' && c != '\r' && c != '\n') return false;
  }
  return true;
}

bool IsSpace(unsigned char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

std::string_view StripLineEnd(std::string_view line) {
  if (!line.empty() && line.back() == '\n') line.remove_suffix(1);
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  return line;
}

std::string_view StripBom(std::string_view s) {
  if (s.substr(0, 3) == "\xEF\xBB\xBF") s.remove_prefix(3);
  return s;
}

std::string MiB(size_t bytes) { return std::to_string(bytes >> 20) + " MiB"; }

ParsedRecord Rejected(Rejection r) {
  ParsedRecord rec;
  rec.line = r.line;
  rec.rejection = std::move(r);
  return rec;
}

// ---------------------------------------------------------------------------------------
// LineSplitter
// ---------------------------------------------------------------------------------------

// Cuts bytes into lines, each handed over with its '\n' (the last one may have none), however
// the chunks fall. A line that lies whole in one chunk is handed over in place; one that spans
// chunks is gathered. A line longer than `max` is consumed but not kept: on_line gets
// too_long and an empty view.
class LineSplitter {
 public:
  template <typename F>
  void feed(std::string_view bytes, size_t max, F&& on_line) {
    while (!bytes.empty()) {
      const auto* nl = static_cast<const char*>(std::memchr(bytes.data(), '\n', bytes.size()));
      const size_t n = nl ? static_cast<size_t>(nl - bytes.data()) + 1 : bytes.size();
      const std::string_view part = bytes.substr(0, n);
      bytes.remove_prefix(n);
      if (nl && !begun_ && part.size() <= max) {
        on_line(part, false);
        continue;
      }
      begun_ = true;
      if (!too_long_ && pending_.size() + part.size() <= max) {
        pending_.append(part);
      } else if (!too_long_) {
        too_long_ = true;
        std::string().swap(pending_);  // give the memory back at once
      }
      if (nl) emit(on_line);
    }
  }

  // The end of input: a last line without '\n'.
  template <typename F>
  void finish(F&& on_line) {
    if (begun_) emit(on_line);
  }

 private:
  template <typename F>
  void emit(F& on_line) {
    on_line(std::string_view(pending_), too_long_);
    pending_.clear();
    too_long_ = false;
    begun_ = false;
  }

  std::string pending_;
  bool too_long_ = false;
  bool begun_ = false;  // a line spanning chunks has begun
};

}  // namespace

// ---------------------------------------------------------------------------------------
// Sources
// ---------------------------------------------------------------------------------------

class ImportParser::Source {
 public:
  Source(std::string name, RecordDecoder decoder) : name_(std::move(name)), decoder_(std::move(decoder)) {}
  virtual ~Source() = default;

  // More input; ignored once status_ is not OK.
  virtual void feed(std::string_view bytes) = 0;
  // The end of input.
  virtual void finish() = 0;
  // What precedes every record has been read (the CSV header, a JSON array's '[').
  virtual bool started() const { return true; }

  bool pop(ParsedRecord* out) {
    if (ready_.empty()) return false;
    *out = std::move(ready_.front());
    ready_.pop_front();
    return true;
  }
  const Status& status() const { return status_; }

 protected:
  std::string name_;
  RecordDecoder decoder_;
  std::deque<ParsedRecord> ready_;
  Status status_;
};

namespace {

class JsonLinesSource : public ImportParser::Source {
 public:
  using Source::Source;

  void feed(std::string_view bytes) override {
    lines_.feed(bytes, kMaxImportRecordBytes, [&](std::string_view line, bool too_long) {
      on_line(line, too_long);
    });
  }

  void finish() override {
    lines_.finish([&](std::string_view line, bool too_long) { on_line(line, too_long); });
  }

 private:
  void on_line(std::string_view line, bool too_long) {
    ++line_no_;
    if (too_long) {
      ready_.push_back(Rejected(MakeRejection(line_no_, "", "line longer than " + MiB(kMaxImportRecordBytes))));
      return;
    }
    std::string_view text = StripLineEnd(line);
    if (line_no_ == 1) text = StripBom(text);
    if (IsBlank(text)) return;
    decoder_.decode_text(text, line_no_, &ready_.emplace_back());
  }

  LineSplitter lines_;
  uint64_t line_no_ = 0;
};

// A JSON array, element by element: a scanner finds each element's end (the ',' or ']' at
// depth 0, outside strings) byte by byte, so chunks may end anywhere.
class JsonArraySource : public ImportParser::Source {
 public:
  using Source::Source;

  void feed(std::string_view bytes) override {
    for (size_t i = 0; i < bytes.size() && status_.ok(); ++i) step(static_cast<unsigned char>(bytes[i]));
  }

  void finish() override {
    if (!status_.ok()) return;
    switch (state_) {
      case State::kStart:
        status_ = not_array("an empty file");
        break;
      case State::kBom1:
      case State::kBom2:
        status_ = not_array("an incomplete byte-order mark");
        break;
      case State::kElements:
        status_ = Status::InvalidArgument(name_ + ": the input ends before the JSON array's closing ']'");
        if (too_big_ || !IsBlank(element_)) {
          ++index_;
          ready_.push_back(Rejected(MakeRejection(index_, "", "the input ends inside this element")));
        }
        break;
      case State::kAfter:
        break;
    }
    if (started()) state_ = State::kAfter;
  }

  bool started() const override { return state_ == State::kElements || state_ == State::kAfter; }

 private:
  enum class State : uint8_t { kStart, kBom1, kBom2, kElements, kAfter };

  Status not_array(const std::string& found) const {
    return Status::InvalidArgument(name_ + ": expected a JSON array ('[') at the start, found " + found);
  }

  void step(unsigned char c) {
    ++offset_;
    switch (state_) {
      case State::kStart:
        if (IsSpace(c)) return;
        if (c == 0xEF && !bom_seen_) {
          state_ = State::kBom1;
        } else if (c == '[') {
          state_ = State::kElements;
        } else {
          status_ = not_array(c == '{' ? "'{' (for one object per line, use format \"jsonl\")"
                                       : "'" + std::string(1, static_cast<char>(c)) + "'");
        }
        return;
      case State::kBom1:
        if (c == 0xBB) {
          state_ = State::kBom2;
        } else {
          status_ = not_array("an incomplete byte-order mark");
        }
        return;
      case State::kBom2:
        if (c == 0xBF) {
          state_ = State::kStart;
          bom_seen_ = true;
        } else {
          status_ = not_array("an incomplete byte-order mark");
        }
        return;
      case State::kElements:
        scan(c);
        return;
      case State::kAfter:
        if (!IsSpace(c)) {
          status_ = Status::InvalidArgument(name_ + ": unexpected data after the JSON array's closing ']' at byte " +
                                            std::to_string(offset_ - 1));
        }
        return;
    }
  }

  // Brackets are only counted, not matched: a malformed element may swallow the ones after
  // it, but the rejected text is then handed to the JSON parser, which reports it.
  void scan(unsigned char c) {
    if (in_string_) {
      if (escaped_) {
        escaped_ = false;
      } else if (c == '\\') {
        escaped_ = true;
      } else if (c == '"') {
        in_string_ = false;
      }
    } else if (c == '"') {
      in_string_ = true;
    } else if (c == '{' || c == '[') {
      ++depth_;
    } else if (c == '}' || c == ']') {
      if (depth_ == 0 && c == ']') return end_element(c);
      if (depth_ > 0) --depth_;
    } else if (c == ',' && depth_ == 0) {
      return end_element(c);
    }
    if (too_big_) return;  // counted from here on, not kept
    if (element_.size() < kMaxImportRecordBytes) {
      element_.push_back(static_cast<char>(c));
    } else {
      too_big_ = true;
      std::string().swap(element_);
    }
  }

  void end_element(unsigned char end) {
    const bool blank = !too_big_ && IsBlank(element_);
    if (end == ']') state_ = State::kAfter;
    if (!(end == ']' && blank && index_ == 0)) {  // "[]" is an empty array, not an element
      ++index_;
      if (blank) {
        ready_.push_back(Rejected(MakeRejection(index_, "", "empty element (two commas, or a comma before ']')")));
      } else if (too_big_) {
        ready_.push_back(Rejected(MakeRejection(index_, "", "element larger than " + MiB(kMaxImportRecordBytes))));
      } else {
        decoder_.decode_text(element_, index_, &ready_.emplace_back());
      }
    }
    element_.clear();
    too_big_ = false;
  }

  State state_ = State::kStart;
  bool bom_seen_ = false;
  uint64_t offset_ = 0;  // bytes stepped through
  uint64_t index_ = 0;   // elements so far
  int64_t depth_ = 0;
  bool in_string_ = false;
  bool escaped_ = false;
  bool too_big_ = false;
  std::string element_;
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

  void feed(std::string_view bytes) override {
    lines_.feed(bytes, kMaxImportRecordBytes, [&](std::string_view line, bool too_long) {
      on_line(line, too_long);
    });
  }

  void finish() override {
    lines_.finish([&](std::string_view line, bool too_long) { on_line(line, too_long); });
    if (!status_.ok()) return;
    csv_.finish();
    drain();
    if (!status_.ok()) return;
    if (!started_) {
      status_ = Status::InvalidArgument(name_ + ": no header row; expected a first line naming the columns");
      return;
    }
    flush_group();
  }

  bool started() const override { return started_; }

 private:
  void on_line(std::string_view line, bool too_long) {
    if (!status_.ok()) return;
    ++line_no_;
    if (too_long) {
      csv_.skip_line(line_no_, "line longer than " + MiB(kMaxImportRecordBytes));
    } else {
      csv_.feed(line, line_no_);
    }
    drain();
  }

  void drain() {
    CsvRow row;
    while (status_.ok() && csv_.pop(&row)) {
      if (started_) {
        handle_row(std::move(row));
      } else {
        status_ = read_header(std::move(row));
        started_ = status_.ok();
      }
    }
  }

  Status read_header(CsvRow header) {
    if (!header.error.empty()) return Status::InvalidArgument(name_ + ": header row: " + header.error);
    header_ = std::move(header.fields);
    if (!header_.empty()) header_[0] = std::string(StripBom(header_[0]));
    std::fill(std::begin(col_), std::end(col_), -1);
    std::unordered_set<std::string_view> seen;
    for (size_t i = 0; i < header_.size(); ++i) {
      const std::string& name = header_[i];
      if (!seen.insert(name).second) return bad_column(name, "appears twice");
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
    return Status::InvalidArgument(name_ + ": column '" + name.substr(0, 64) + "': " + reason);
  }

  const std::string& cell(const CsvRow& row, Column c) const {
    static const std::string kEmpty;
    return col_[c] < 0 ? kEmpty : row.fields[static_cast<size_t>(col_[c])];
  }

  void handle_row(CsvRow row) {
    if (!row.error.empty()) {
      ready_.push_back(Rejected(MakeRejection(row.line, "", row.error)));
      return;
    }
    if (row.fields.size() != header_.size()) {
      ready_.push_back(Rejected(MakeRejection(row.line, "", std::to_string(row.fields.size()) +
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
    const size_t paths = 1 + static_cast<size_t>(std::count(categories.begin(), categories.end(), '|'));
    if (paths > kMaxCategoriesPerProduct) {  // refused before any path is split
      fail(row.line, Invalid("categories", std::to_string(paths) + " paths; expected at most " +
                                               std::to_string(kMaxCategoriesPerProduct) + " categories a product"));
      return;
    }
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
      ready_.push_back(Rejected(std::move(*group_.error)));
      return;
    }
    Status s = CheckParsedProduct(&group_.product);
    if (!s.ok()) {
      ready_.push_back(Rejected(to_row(RejectionFromStatus(group_.line, s))));
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

  LineSplitter lines_;
  CsvReader csv_;
  bool started_ = false;  // the header has been read
  uint64_t line_no_ = 0;
  std::vector<std::string> header_;
  int col_[kColumnCount] = {};
  Group group_;
  std::unordered_set<uint64_t> seen_ids_;
};

std::string Lower(std::string s) {
  for (char& c : s) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return s;
}

// The format of an import: the one given, the mapping's, or from the file name's extension
// (`path` empty: a stream, "auto" is decided later from its first byte).
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
  if (path.empty()) return std::string("auto");
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

}  // namespace

// ---------------------------------------------------------------------------------------
// ImportParser
// ---------------------------------------------------------------------------------------

struct ImportParser::File {
  std::FILE* f = nullptr;
  std::vector<char> buf = std::vector<char>(256 << 10);
  bool eof = false;
  ~File() {
    if (f) std::fclose(f);
  }
};

ImportParser::~ImportParser() = default;

Result<std::unique_ptr<ImportParser>> ImportParser::Create(const ImportOptions& options, std::string name,
                                                           uint64_t bytes_total) {
  try {
    std::optional<FieldMapping> mapping;
    if (!options.mapping_path.empty()) {
      Result<FieldMapping> m = FieldMapping::Load(options.mapping_path);
      if (!m.ok()) return m.error();
      mapping = std::move(*m);
    }
    COMMERCE_ASSIGN_OR_RETURN(std::string format, ChooseFormat("", options, mapping));
    if (!IsKnownCurrency(options.default_currency)) {
      return Status::InvalidArgument("default_currency '" + options.default_currency.substr(0, 16) +
                                     "': expected an ISO 4217 code such as USD");
    }
    std::unique_ptr<ImportParser> p(new ImportParser);
    p->format_ = format;
    p->name_ = std::move(name);
    p->bytes_total_ = bytes_total;
    p->decoder_ = std::make_unique<RecordDecoder>(options.default_currency, std::move(mapping));
    if (format != "auto") p->choose_source(0);
    return p;
  } catch (const std::exception& e) {
    return Status::Internal("starting import " + name + ": " + e.what());
  }
}

void ImportParser::choose_source(char first) {
  std::string format = format_;
  if (format == "auto") format = first == '[' ? "json" : first == '{' ? "jsonl" : "csv";
  if (format == "jsonl") {
    source_ = std::make_unique<JsonLinesSource>(name_, std::move(*decoder_));
  } else if (format == "json") {
    source_ = std::make_unique<JsonArraySource>(name_, std::move(*decoder_));
  } else {
    source_ = std::make_unique<CsvSource>(name_, std::move(*decoder_));
  }
  decoder_.reset();
}

void ImportParser::feed(std::string_view bytes) {
  if (finished_ || !status_.ok()) return;
  bytes_read_ += bytes.size();
  if (!source_) {
    // "auto": blank bytes and a byte-order mark are kept until a byte tells the format.
    size_t i = 0;
    while (i < bytes.size()) {
      const auto c = static_cast<unsigned char>(bytes[i]);
      const bool bom_byte = (c == 0xEF || c == 0xBB || c == 0xBF) && undecided_.size() + i < 3;
      if (!IsSpace(c) && !bom_byte) break;
      ++i;
    }
    if (i == bytes.size()) {
      if (undecided_.size() + bytes.size() > kMaxImportRecordBytes) {
        status_ = Status::InvalidArgument(name_ + ": nothing but blank space in the first " +
                                          MiB(kMaxImportRecordBytes));
        return;
      }
      undecided_.append(bytes);
      return;
    }
    choose_source(bytes[i]);
    const std::string before = std::move(undecided_);
    if (!before.empty()) source_->feed(before);
  }
  source_->feed(bytes);
}

void ImportParser::finish() {
  if (finished_) return;
  finished_ = true;
  if (!status_.ok()) return;
  if (!source_) {
    status_ = Status::InvalidArgument(name_ + ": nothing to import (the input is empty or blank)");
    return;
  }
  source_->finish();
}

bool ImportParser::started() const { return source_ && source_->started(); }

Status ImportParser::read_more() {
  File& f = *file_;
  const size_t n = std::fread(f.buf.data(), 1, f.buf.size(), f.f);
  if (n > 0) {
    feed(std::string_view(f.buf.data(), n));
    return Status::OK();
  }
  f.eof = true;
  if (std::ferror(f.f)) return Status::Unavailable("read " + name_ + ": " + std::strerror(errno));
  finish();
  return Status::OK();
}

bool ImportParser::next(ParsedRecord* out) {
  try {
    while (true) {
      if (source_ && source_->pop(out)) return true;
      if (!file_ || file_->eof || !status().ok()) return false;
      Status s = read_more();
      if (!s.ok()) {
        status_ = s;
        return false;
      }
    }
  } catch (const std::bad_alloc&) {
    // A record too big for memory: reported against the record, the import goes on.
    *out = ParsedRecord{};
    out->rejection.reason = "out of memory reading this record";
    return true;
  }
}

uint64_t ImportParser::bytes_read() const { return bytes_read_; }
uint64_t ImportParser::bytes_total() const { return bytes_total_; }
Status ImportParser::status() const {
  if (!status_.ok()) return status_;
  return source_ ? source_->status() : Status::OK();
}

Result<std::unique_ptr<ImportParser>> ImportParser::Open(const std::string& path, const ImportOptions& options) {
  try {
    ImportOptions o = options;
    if (o.format == "auto") {
      std::optional<FieldMapping> mapping;
      if (!o.mapping_path.empty()) {
        Result<FieldMapping> m = FieldMapping::Load(o.mapping_path);
        if (!m.ok()) return m.error();
        mapping = std::move(*m);
      }
      COMMERCE_ASSIGN_OR_RETURN(o.format, ChooseFormat(path, o, mapping));
    }
    struct stat st;
    if (::stat(path.c_str(), &st) != 0) {
      const int err = errno;
      if (err == ENOENT || err == ENOTDIR) return Status::NotFound(path + ": no such file");
      return Status::Unavailable(path + ": " + std::strerror(err));
    }
    if (S_ISDIR(st.st_mode)) return Status::InvalidArgument(path + ": is a directory; expected a file");
    const uint64_t size = S_ISREG(st.st_mode) ? static_cast<uint64_t>(st.st_size) : 0;
    COMMERCE_ASSIGN_OR_RETURN(std::unique_ptr<ImportParser> p, Create(o, path, size));
    p->file_ = std::make_unique<File>();
    p->file_->f = std::fopen(path.c_str(), "rb");
    if (!p->file_->f) return Status::Unavailable(path + ": cannot be opened: " + std::strerror(errno));
    // What must be right before any record fails Open, not the first next(); a problem
    // found later (in the same chunk) is left to status().
    while (!p->started() && !p->file_->eof && p->status().ok()) {
      COMMERCE_RETURN_IF_ERROR(p->read_more());
    }
    if (!p->started()) COMMERCE_RETURN_IF_ERROR(p->status());
    return p;
  } catch (const std::exception& e) {
    return Status::Internal(std::string("opening import ") + path + ": " + e.what());
  }
}

}  // namespace commerce
