// RFC 4180 rows from CSV text fed one physical line at a time, with the line each row
// starts on (libcsv does the quoting; this adds line numbers and error recovery).
//
// Quoted fields may hold commas, quotes ("") and line breaks, so one row can span several
// lines. Fields are taken exactly as written: no trimming of spaces (RFC 4180 makes them part
// of the field). Lines that are empty or only whitespace between rows are skipped.
//
// A row with malformed quoting (a quote inside an unquoted field, text after a closing quote,
// a quote still open at the end of input) comes out with `error` set and parsing resumes at
// the next line; a row longer than kMaxCsvRowBytes or of more than kMaxCsvFields fields
// likewise, so memory stays bounded.
//
// Thread safety: one reader per thread.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace commerce {

inline constexpr size_t kMaxCsvRowBytes = 16u << 20;
// Fields a row may have. Each costs a std::string however short, so a line of commas would
// otherwise grow 30-fold in memory; the native schema has 13 columns, mapped exports a few
// dozen.
inline constexpr size_t kMaxCsvFields = 1024;

struct CsvRow {
  uint64_t line = 0;  // 1-based line the row starts on
  std::vector<std::string> fields;
  std::string error;  // non-empty: the row could not be parsed; fields are unusable
};

class CsvReader {
 public:
  CsvReader();
  ~CsvReader();
  CsvReader(const CsvReader&) = delete;
  CsvReader& operator=(const CsvReader&) = delete;

  // Feeds line number `line_no`, including its line break (the last line may have none).
  void feed(std::string_view line, uint64_t line_no);
  // Gives up on the row in progress (or starts a failed one at `line_no`): for a line the
  // caller could not read whole. Parsing resumes with the next line fed.
  void skip_line(uint64_t line_no, std::string reason);
  // Ends the input: completes a last row without a line break, or reports an open quote.
  void finish();
  // The next complete row, in input order; false when none is ready yet.
  bool pop(CsvRow* row);

 private:
  struct Parser;
  void reset_parser();
  void fail_row(std::string reason);
  static void OnField(void* data, size_t len, void* self);
  static void OnRowEnd(int terminator, void* self);

  std::unique_ptr<Parser> parser_;
  std::vector<std::string> fields_;
  size_t row_bytes_ = 0;
  bool too_many_fields_ = false;  // the row in progress passed kMaxCsvFields
  uint64_t row_line_ = 0;
  bool in_row_ = false;
  std::deque<CsvRow> ready_;
};

}  // namespace commerce
