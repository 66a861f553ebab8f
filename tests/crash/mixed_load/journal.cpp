#include "crash/mixed_load/journal.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>

namespace commerce::crash {

namespace {

std::string Join(char kind, const std::vector<std::string>& head, const std::vector<std::string>& fields) {
  std::string line(1, kind);
  for (const auto& f : head) line += '\t' + f;
  for (const auto& f : fields) line += '\t' + f;
  return line;
}

}  // namespace

void JournalWriter::Write(std::string line) {
  line.push_back('\n');
  // Longer lines could interleave with another thread's; the workload never writes one.
  if (line.size() > 4000) line = "E\tjournal line too long: " + line.substr(0, 200) + "\n";
  for (;;) {
    ssize_t n = ::write(fd_, line.data(), line.size());
    if (n == static_cast<ssize_t>(line.size())) return;
    if (n < 0 && errno == EINTR) continue;
    _exit(5);  // the parent is gone or the pipe is broken: nothing left to report to
  }
}

void JournalWriter::Opened(int64_t open_ms) { Write(Join('O', {std::to_string(open_ms)}, {})); }

void JournalWriter::Intent(int thread, uint64_t opno, const std::vector<std::string>& fields) {
  Write(Join('I', {std::to_string(thread), std::to_string(opno)}, fields));
}

void JournalWriter::Ack(int thread, uint64_t opno, const std::vector<std::string>& fields) {
  Write(Join('A', {std::to_string(thread), std::to_string(opno)}, fields));
}

void JournalWriter::Failed(int thread, uint64_t opno, std::string_view code) {
  Write(Join('F', {std::to_string(thread), std::to_string(opno), std::string(code)}, {}));
}

void JournalWriter::Fatal(std::string_view message) {
  std::string m(message);
  std::replace(m.begin(), m.end(), '\n', ' ');
  std::replace(m.begin(), m.end(), '\t', ' ');
  Write("E\t" + m.substr(0, 3000));
  _exit(3);
}

bool JournalReader::Next(JournalEntry* e) {
  const size_t end = buffer_.find('\n');
  if (end == std::string::npos) return false;
  std::string line = buffer_.substr(0, end);
  buffer_.erase(0, end + 1);
  *e = JournalEntry{};
  std::vector<std::string> parts;
  size_t start = 0;
  for (;;) {
    size_t tab = line.find('\t', start);
    parts.push_back(line.substr(start, tab == std::string::npos ? std::string::npos : tab - start));
    if (tab == std::string::npos) break;
    start = tab + 1;
  }
  const std::string& kind = parts[0];
  auto bad = [&] {
    *e = JournalEntry{};
    e->kind = '?';
    e->fields = {line};
    return true;
  };
  if (kind.size() != 1) return bad();
  e->kind = kind[0];
  switch (e->kind) {
    case 'O':
    case 'E':
      e->fields.assign(parts.begin() + 1, parts.end());
      if (e->fields.empty()) return bad();
      return true;
    case 'I':
    case 'A':
    case 'F': {
      if (parts.size() < 4) return bad();
      char* endp = nullptr;
      e->thread = static_cast<int>(std::strtol(parts[1].c_str(), &endp, 10));
      if (*endp) return bad();
      e->opno = std::strtoull(parts[2].c_str(), &endp, 10);
      if (*endp) return bad();
      e->fields.assign(parts.begin() + 3, parts.end());
      return true;
    }
    default:
      return bad();
  }
}

std::string FormatLines(const std::vector<std::pair<std::string, int64_t>>& lines) {
  if (lines.empty()) return "-";
  auto sorted = lines;
  std::sort(sorted.begin(), sorted.end());
  std::string out;
  for (const auto& [sku, qty] : sorted) out += (out.empty() ? "" : ",") + sku + ":" + std::to_string(qty);
  return out;
}

std::vector<std::pair<std::string, int64_t>> ParseLines(std::string_view text) {
  std::vector<std::pair<std::string, int64_t>> out;
  if (text == "-" || text.empty()) return out;
  size_t start = 0;
  for (;;) {
    size_t comma = text.find(',', start);
    std::string_view item = text.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start);
    size_t colon = item.rfind(':');
    if (colon != std::string_view::npos)
      out.emplace_back(std::string(item.substr(0, colon)), std::atoll(std::string(item.substr(colon + 1)).c_str()));
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return out;
}

}  // namespace commerce::crash
