// The journal between the crash harness's child and its parent: one line per event, written
// with one write(2) to a pipe, so that lines of several threads never interleave (each is
// shorter than PIPE_BUF) and every line the child wrote before SIGKILL reaches the parent.
//
//   O <open_ms>                           the child opened the store (recovery included)
//   I <thread> <opno> <op> <args...>      an operation is about to be called
//   A <thread> <opno> <op> <results...>   it returned OK: acknowledged
//   F <thread> <opno> <code>              it failed as the workload allows (out of stock...)
//   E <message>                           something no operation may do; the child exits
//
// Fields are separated by tabs; the workload's ids, titles and lists never hold a tab or a
// line break. A thread writes I before calling and A or F after, so at a kill each thread
// has at most one operation whose outcome is unknown: its last I.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace commerce::crash {

struct JournalEntry {
  char kind = 0;                    // 'O', 'I', 'A', 'F' or 'E'
  int thread = -1;                  // I, A, F
  uint64_t opno = 0;                // I, A, F: the thread's operation number
  std::vector<std::string> fields;  // I, A: op then its arguments or results; F: the code;
                                    // O: open_ms; E: the message
};

// The child's side. Thread-safe: each Write is one write(2).
class JournalWriter {
 public:
  explicit JournalWriter(int fd) : fd_(fd) {}
  void Opened(int64_t open_ms);
  void Intent(int thread, uint64_t opno, const std::vector<std::string>& fields);
  void Ack(int thread, uint64_t opno, const std::vector<std::string>& fields);
  void Failed(int thread, uint64_t opno, std::string_view code);
  // Writes E and ends the child (exit status 3).
  [[noreturn]] void Fatal(std::string_view message);

 private:
  void Write(std::string line);
  int fd_;
};

// The parent's side: feed it what the pipe gives, take whole lines out.
class JournalReader {
 public:
  void Feed(std::string_view bytes) { buffer_.append(bytes); }
  // The next whole line, parsed; false when none is complete yet. A line that does not
  // parse comes back with kind '?' and the line in fields[0].
  bool Next(JournalEntry* entry);

 private:
  std::string buffer_;
};

// "sku:qty,sku:qty" (sorted by SKU) or "-" for none: how lines travel in the journal.
std::string FormatLines(const std::vector<std::pair<std::string, int64_t>>& lines);
std::vector<std::pair<std::string, int64_t>> ParseLines(std::string_view text);

}  // namespace commerce::crash
