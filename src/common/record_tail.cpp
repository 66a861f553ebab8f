#include "common/record_tail.h"

#include "common/record_frame.h"

namespace commerce {

std::string Tailed(std::string_view framed, uint8_t n, bool placeholder) {
  std::string out;
  out.reserve(2 + framed.size() + (placeholder ? 8u * n : 0u));
  out.push_back(static_cast<char>(kTailedRecord));
  out.push_back(static_cast<char>(n));
  out.append(framed);
  if (placeholder) out.append(8u * n, '\0');
  return out;
}

bool IsTailed(std::string_view bytes) {
  return !bytes.empty() && static_cast<unsigned char>(bytes[0]) == kTailedRecord;
}

Result<TailedParts> SplitTailed(std::string_view bytes, std::string_view table,
                                std::string_view key) {
  if (bytes.size() < 2 || !IsTailed(bytes))
    return RecordCorruption(table, key, "not a record with a tail");
  const size_t n = static_cast<unsigned char>(bytes[1]);
  if (n == 0 || n > kMaxTailNumbers)
    return RecordCorruption(table, key, "a tail of " + std::to_string(n) + " numbers");
  if (bytes.size() < 2 + 8 * n)
    return RecordCorruption(table, key, "record of " + std::to_string(bytes.size()) +
                                            " bytes is shorter than its tail of " + std::to_string(n) +
                                            " numbers");
  TailedParts parts;
  parts.framed = bytes.substr(2, bytes.size() - 2 - 8 * n);
  const std::string_view tail = bytes.substr(bytes.size() - 8 * n);
  for (size_t i = 0; i < n; ++i) {
    uint64_t v = 0;
    for (size_t b = 0; b < 8; ++b) v = (v << 8) | static_cast<unsigned char>(tail[8 * i + b]);
    parts.numbers.push_back(static_cast<int64_t>(v));
  }
  return parts;
}

}  // namespace commerce
