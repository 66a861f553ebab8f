// The key codec (src/common/key.h): reading arbitrary bytes as keys never fails other than
// with nullopt; tuples come back as they went in; encoded keys order as their tuples; every
// key with a prefix sorts below PrefixEnd(prefix).
//
// Input: a byte of mode, then either raw key bytes (mode even: read them as a key, element
// by element, the element types coming from the mode) or two tuples (mode odd: each a byte
// of length, then per element a type byte and its value).
#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "common/key.h"
#include "fuzz_support.h"

using namespace commerce;
using commerce::fuzz::Bytes;

namespace {

using Element = std::variant<std::string, uint64_t, int64_t>;

std::vector<Element> ReadTuple(Bytes& in) {
  std::vector<Element> t;
  const int n = in.u8() % 5;
  for (int i = 0; i < n; ++i) {
    switch (in.u8() % 3) {
      case 0: t.emplace_back(in.str(40)); break;
      case 1: t.emplace_back(in.u64()); break;
      default: t.emplace_back(static_cast<int64_t>(in.u64())); break;
    }
  }
  return t;
}

std::string EncodeTuple(const std::vector<Element>& t) {
  KeyBuilder b;
  for (const auto& e : t) {
    if (auto* s = std::get_if<std::string>(&e)) b.str(*s);
    else if (auto* u = std::get_if<uint64_t>(&e)) b.u64(*u);
    else b.i64(std::get<int64_t>(e));
  }
  return b.key();
}

// -1, 0, 1 as the tuples compare element by element (a prefix first); nullopt when they hold
// different types at the same position, which the codec does not promise to order.
std::optional<int> CompareTuples(const std::vector<Element>& a, const std::vector<Element>& b) {
  for (size_t i = 0; i < a.size() && i < b.size(); ++i) {
    if (a[i].index() != b[i].index()) return std::nullopt;
    if (a[i] < b[i]) return -1;  // std::string compares bytes as unsigned char, as memcmp does
    if (b[i] < a[i]) return 1;
  }
  return a.size() < b.size() ? -1 : a.size() > b.size() ? 1 : 0;
}

int Sign(int v) { return v < 0 ? -1 : v > 0 ? 1 : 0; }

void RoundTrip(const std::vector<Element>& t, const std::string& key) {
  KeyReader r(key);
  for (const auto& e : t) {
    if (auto* s = std::get_if<std::string>(&e)) {
      auto got = r.str();
      FUZZ_CHECK(got && *got == *s, "a string element did not come back");
    } else if (auto* u = std::get_if<uint64_t>(&e)) {
      auto got = r.u64();
      FUZZ_CHECK(got && *got == *u, "a u64 element did not come back");
    } else {
      auto got = r.i64();
      FUZZ_CHECK(got && *got == std::get<int64_t>(e), "an i64 element did not come back");
    }
  }
  FUZZ_CHECK(r.done(), "bytes left after the last element");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Bytes in(data, size);
  const uint8_t mode = in.u8();
  if (mode % 2 == 0) {
    // Arbitrary bytes read as a key: each read consumes or reports nullopt, never more.
    KeyReader r(in.rest());
    for (int i = 0; i < 64 && !r.done(); ++i) {
      bool ok;
      switch ((mode >> (1 + (i % 3) * 2)) % 3) {
        case 0: ok = r.str().has_value(); break;
        case 1: ok = r.u64().has_value(); break;
        default: ok = r.i64().has_value(); break;
      }
      if (!ok) break;
    }
    return 0;
  }
  const auto a = ReadTuple(in), b = ReadTuple(in);
  const std::string ka = EncodeTuple(a), kb = EncodeTuple(b);
  RoundTrip(a, ka);
  RoundTrip(b, kb);
  if (auto want = CompareTuples(a, b))
    FUZZ_CHECK(Sign(ka.compare(kb)) == *want, "encoded keys order unlike their tuples");
  // Every key that starts with ka sorts below PrefixEnd(ka); ka itself too.
  const std::string end = PrefixEnd(ka);
  if (!end.empty()) {
    FUZZ_CHECK(ka < end, "a prefix does not sort below its PrefixEnd");
    std::string longer = ka + kb;
    FUZZ_CHECK(longer < end, "a key with the prefix sorts at or past PrefixEnd");
  } else {
    for (char c : ka) FUZZ_CHECK(static_cast<unsigned char>(c) == 0xff, "PrefixEnd empty for a prefix that is not all 0xff");
  }
  return 0;
}
