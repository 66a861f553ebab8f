#include "catalog/csv_reader.h"

#include <csv.h>

namespace commerce {

struct CsvReader::Parser {
  csv_parser p;
};

namespace {

// libcsv trims spaces and tabs around unquoted fields by default; RFC 4180 keeps them.
int NoSpace(unsigned char) { return 0; }

bool IsBlankLine(std::string_view line) {
  for (char c : line) {
    if (c != ' ' && c != '\t' && c != '\r' && c != '\n') return false;
  }
  return true;
}

}  // namespace

CsvReader::CsvReader() : parser_(std::make_unique<Parser>()) {
  csv_init(&parser_->p, CSV_STRICT | CSV_STRICT_FINI);
  csv_set_space_func(&parser_->p, NoSpace);
}

CsvReader::~CsvReader() { csv_free(&parser_->p); }

void CsvReader::reset_parser() {
  csv_free(&parser_->p);
  csv_init(&parser_->p, CSV_STRICT | CSV_STRICT_FINI);
  csv_set_space_func(&parser_->p, NoSpace);
}

void CsvReader::fail_row(std::string reason) {
  CsvRow row;
  row.line = row_line_;
  row.error = std::move(reason);
  ready_.push_back(std::move(row));
  fields_.clear();
  row_bytes_ = 0;
  too_many_fields_ = false;
  in_row_ = false;
  // libcsv cannot resume mid-row after an error; start clean at the next line.
  reset_parser();
}

void CsvReader::OnField(void* data, size_t len, void* self) {
  auto* r = static_cast<CsvReader*>(self);
  if (r->fields_.size() >= kMaxCsvFields) {  // counted, not kept; the row fails after this line
    r->too_many_fields_ = true;
    return;
  }
  r->fields_.emplace_back(static_cast<const char*>(data), len);
  r->row_bytes_ += len;
}

void CsvReader::OnRowEnd(int, void* self) {
  auto* r = static_cast<CsvReader*>(self);
  CsvRow row;
  row.line = r->row_line_;
  if (r->too_many_fields_) {
    row.error = "more than " + std::to_string(kMaxCsvFields) + " fields (the limit of a CSV row)";
    r->too_many_fields_ = false;
  } else {
    row.fields = std::move(r->fields_);
  }
  r->fields_.clear();
  r->ready_.push_back(std::move(row));
  r->row_bytes_ = 0;
  r->in_row_ = false;
}

void CsvReader::feed(std::string_view line, uint64_t line_no) {
  if (!in_row_) {
    if (IsBlankLine(line)) return;
    in_row_ = true;
    row_line_ = line_no;
  }
  const size_t used = csv_parse(&parser_->p, line.data(), line.size(), OnField, OnRowEnd, this);
  if (used != line.size()) {
    const int err = csv_error(&parser_->p);
    fail_row(err == CSV_EPARSE
                 ? "malformed quoting on line " + std::to_string(line_no) +
                       ": a '\"' inside an unquoted field, or text after a closing '\"'; "
                       "expected a field wholly in double quotes, with \"\" for a quote"
                 : std::string("CSV parser: ") + csv_strerror(err));
    return;
  }
  // entry_pos is the length of the field libcsv is still accumulating (csv.h documents the
  // struct; csv_get_buffer_size would give its capacity, which never shrinks).
  if (in_row_ && row_bytes_ + parser_->p.entry_pos > kMaxCsvRowBytes) {
    fail_row("row longer than " + std::to_string(kMaxCsvRowBytes >> 20) +
             " MiB (an unclosed quote?)");
  }
}

void CsvReader::skip_line(uint64_t line_no, std::string reason) {
  if (!in_row_) row_line_ = line_no;
  fail_row(std::move(reason));
}

void CsvReader::finish() {
  if (csv_fini(&parser_->p, OnField, OnRowEnd, this) != 0) {
    fail_row("unterminated quoted field: the file ends inside a '\"'");
    return;
  }
  // csv_fini leaves the parser reusable; nothing more will come.
}

bool CsvReader::pop(CsvRow* row) {
  if (ready_.empty()) return false;
  *row = std::move(ready_.front());
  ready_.pop_front();
  return true;
}

}  // namespace commerce
