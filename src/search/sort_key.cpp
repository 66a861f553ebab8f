#include "search/sort_key.h"

namespace commerce::search {

namespace {

// Non-negative v: 0x80 + n, then v's n significant bytes, big-endian. Negative v: with
// w = ~v (>= 0), 0x7f - n, then w's n bytes complemented, so that a larger magnitude sorts
// first. Headers run 0x77..0x88: every negative sorts before every non-negative.
void AppendOrdered(std::string& out, int64_t v, bool complement) {
  const bool negative = v < 0;
  uint64_t w = negative ? ~static_cast<uint64_t>(v) : static_cast<uint64_t>(v);
  unsigned char bytes[8];
  int n = 0;
  for (; w != 0; w >>= 8) bytes[n++] = static_cast<unsigned char>(w & 0xff);
  unsigned char header = negative ? static_cast<unsigned char>(0x7f - n) : static_cast<unsigned char>(0x80 + n);
  const unsigned char flip = complement ? 0xff : 0x00;
  out += static_cast<char>(header ^ flip);
  for (int i = n - 1; i >= 0; --i) {
    unsigned char b = negative ? static_cast<unsigned char>(~bytes[i]) : bytes[i];
    out += static_cast<char>(b ^ flip);
  }
}

}  // namespace

std::string_view AfterSortKeyPart(std::string_view key) {
  if (key.empty()) return {};
  // Headers run 0x77..0x88, complemented or not; the distance from the middle is the length.
  const auto header = static_cast<unsigned char>(key[0]);
  if (header < 0x77 || header > 0x88) return {};
  const size_t n = header >= 0x80 ? header - 0x80u : 0x7fu - header;
  if (key.size() < 1 + n) return {};
  return key.substr(1 + n);
}

SortKey& SortKey::Ascending(int64_t v) {
  AppendOrdered(key_, v, false);
  return *this;
}

SortKey& SortKey::Descending(int64_t v) {
  AppendOrdered(key_, v, true);
  return *this;
}

}  // namespace commerce::search
