// What the fuzz targets share: a failed check that aborts with its reason (a crash to
// libFuzzer, a failed test to the standalone driver), and a reader that turns the fuzzer's
// bytes into choices and values.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#define FUZZ_CHECK(cond, why)                                                    \
  do {                                                                           \
    if (!(cond)) ::commerce::fuzz::Fail(__FILE__, __LINE__, #cond, (why));      \
  } while (0)

namespace commerce::fuzz {

[[noreturn]] inline void Fail(const char* file, int line, const char* cond, const std::string& why) {
  std::fprintf(stderr, "%s:%d: fuzz check failed: %s\n  %s\n", file, line, cond, why.c_str());
  std::fflush(stderr);
  std::abort();
}

// Consumes the input from the front: small choices first, then strings; past the end every
// read returns zeros and empty strings, so a target never needs to check the size.
class Bytes {
 public:
  Bytes(const uint8_t* data, size_t size) : rest_(reinterpret_cast<const char*>(data), size) {}

  uint8_t u8() {
    if (rest_.empty()) return 0;
    uint8_t v = static_cast<uint8_t>(rest_[0]);
    rest_.remove_prefix(1);
    return v;
  }
  uint64_t u64() {
    uint64_t v = 0;
    for (int i = 0; i < 8; ++i) v = (v << 8) | u8();
    return v;
  }
  bool flag() { return u8() & 1; }
  // A string of up to max_len bytes whose length is the next byte (so that the corpus can
  // hold several strings in a row).
  std::string str(size_t max_len = 255) {
    size_t n = u8();
    if (n > max_len) n = max_len;
    if (n > rest_.size()) n = rest_.size();
    std::string s(rest_.substr(0, n));
    rest_.remove_prefix(n);
    return s;
  }
  // Everything left.
  std::string_view rest() {
    std::string_view r = rest_;
    rest_ = {};
    return r;
  }
  bool empty() const { return rest_.empty(); }

 private:
  std::string_view rest_;
};

}  // namespace commerce::fuzz
