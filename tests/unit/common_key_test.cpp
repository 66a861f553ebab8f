// Tests for src/common/key.h: the order-preserving tuple encoding every driver's range scans
// rely on. The central property: comparing two encoded keys bytewise (std::string compares
// as unsigned bytes, then length — memcmp order) orders them as the tuples they encode.
#include <catch2/catch.hpp>

#include <cstdint>
#include <limits>
#include <string>
#include <tuple>
#include <vector>

#include "common/key.h"

namespace common_key_test {

using namespace std::string_literals;
using commerce::KeyBuilder;
using commerce::KeyReader;
using commerce::PrefixEnd;

namespace {

// Every string of length 0..3 over an alphabet holding the bytes the escaping cares about.
std::vector<std::string> TrickyStrings() {
  const std::string alphabet = "\x00\x01\x61\xff"s;
  std::vector<std::string> out = {""};
  for (size_t begin = 0, len = 1; len <= 3; ++len) {
    size_t end = out.size();
    for (size_t i = begin; i < end; ++i)
      for (char c : alphabet) out.push_back(out[i] + c);
    begin = end;
  }
  return out;
}

int Sign(int x) { return (x > 0) - (x < 0); }

}  // namespace

TEST_CASE("key: exact encodings", "[key]") {
  CHECK(KeyBuilder().str("ab").key() == "ab\x00\x01"s);
  CHECK(KeyBuilder().str("").key() == "\x00\x01"s);
  CHECK(KeyBuilder().str("a\0b"s).key() == "a\x00\xff" "b\x00\x01"s);
  CHECK(KeyBuilder().u64(1).key() == "\0\0\0\0\0\0\0\x01"s);
  CHECK(KeyBuilder().u64(0x0102030405060708).key() == "\x01\x02\x03\x04\x05\x06\x07\x08"s);
  CHECK(KeyBuilder().i64(0).key() == "\x80\0\0\0\0\0\0\0"s);
  CHECK(KeyBuilder().i64(-1).key() == "\x7f\xff\xff\xff\xff\xff\xff\xff"s);
  CHECK(KeyBuilder().i64(std::numeric_limits<int64_t>::min()).key() == std::string(8, '\0'));
  CHECK(KeyBuilder().str("t").u64(2).key() == "t\x00\x01\0\0\0\0\0\0\0\x02"s);
}

TEST_CASE("key: the documented string order \"ab\" < \"ab\" + NUL < \"abc\"", "[key]") {
  std::string ab = KeyBuilder().str("ab").key();
  std::string ab0 = KeyBuilder().str("ab\0"s).key();
  std::string abc = KeyBuilder().str("abc").key();
  CHECK(ab < ab0);
  CHECK(ab0 < abc);
  // And an element boundary never collides: ("a", "b") differs from ("ab") and ("a\0b").
  std::string a_b = KeyBuilder().str("a").str("b").key();
  CHECK(a_b != KeyBuilder().str("ab").key());
  CHECK(a_b != KeyBuilder().str("a\0b"s).key());
}

TEST_CASE("key: encoded order is tuple order for strings", "[key]") {
  std::vector<std::string> strings = TrickyStrings();
  REQUIRE(strings.size() == 85);
  std::vector<std::pair<std::string, std::string>> tuples;
  for (const auto& a : strings)
    for (const std::string& b : {""s, "\0"s, "z"s}) tuples.emplace_back(a, b);
  tuples.emplace_back("a", "\0"s);
  std::vector<std::string> encoded;
  for (const auto& [a, b] : tuples) encoded.push_back(KeyBuilder().str(a).str(b).key());
  int mismatches = 0;
  for (size_t i = 0; i < tuples.size(); ++i) {
    for (size_t j = 0; j < tuples.size(); ++j) {
      int want = tuples[i] < tuples[j] ? -1 : (tuples[j] < tuples[i] ? 1 : 0);
      int got = Sign(encoded[i].compare(encoded[j]));
      if (want != got) ++mismatches;
    }
  }
  CHECK(mismatches == 0);
}

TEST_CASE("key: encoded order is numeric order for u64 and i64", "[key]") {
  std::vector<uint64_t> u = {0, 1, 255, 256, 65535, 1ull << 32, (1ull << 63) - 1, 1ull << 63,
                             std::numeric_limits<uint64_t>::max()};
  for (size_t i = 0; i + 1 < u.size(); ++i) {
    INFO(u[i] << " < " << u[i + 1]);
    CHECK(KeyBuilder().u64(u[i]).key() < KeyBuilder().u64(u[i + 1]).key());
  }
  std::vector<int64_t> s = {std::numeric_limits<int64_t>::min(), -(1ll << 32), -256, -1, 0, 1,
                            255, 1ll << 32, std::numeric_limits<int64_t>::max()};
  for (size_t i = 0; i + 1 < s.size(); ++i) {
    INFO(s[i] << " < " << s[i + 1]);
    CHECK(KeyBuilder().i64(s[i]).key() < KeyBuilder().i64(s[i + 1]).key());
  }
  // A string element then a number: the string decides first.
  CHECK(KeyBuilder().str("a").u64(999).key() < KeyBuilder().str("b").u64(0).key());
  CHECK(KeyBuilder().str("a").u64(1).key() < KeyBuilder().str("a").u64(2).key());
  CHECK(KeyBuilder().str("a").u64(std::numeric_limits<uint64_t>::max()).key() <
        KeyBuilder().str("a\0"s).u64(0).key());
}

TEST_CASE("key: KeyReader reads back what KeyBuilder wrote", "[key]") {
  for (const std::string& s : TrickyStrings()) {
    std::string key = KeyBuilder().str(s).u64(42).i64(-7).str("tail").key();
    KeyReader r(key);
    INFO("string of " << s.size() << " bytes");
    CHECK(r.str() == s);
    CHECK(r.u64() == uint64_t{42});
    CHECK(r.i64() == int64_t{-7});
    CHECK_FALSE(r.done());
    CHECK(r.str() == "tail");
    CHECK(r.done());
  }
  std::string key = KeyBuilder()
                        .u64(std::numeric_limits<uint64_t>::max())
                        .i64(std::numeric_limits<int64_t>::min())
                        .i64(std::numeric_limits<int64_t>::max())
                        .key();
  KeyReader extremes(key);  // a reader views the key: it must outlive the reader
  CHECK(extremes.u64() == std::numeric_limits<uint64_t>::max());
  CHECK(extremes.i64() == std::numeric_limits<int64_t>::min());
  CHECK(extremes.i64() == std::numeric_limits<int64_t>::max());
  CHECK(extremes.done());
}

TEST_CASE("key: KeyReader rejects missing and malformed elements", "[key]") {
  CHECK_FALSE(KeyReader("").str().has_value());
  CHECK_FALSE(KeyReader("ab").str().has_value());          // no terminator
  CHECK_FALSE(KeyReader("ab\0"s).str().has_value());       // terminator cut short
  CHECK_FALSE(KeyReader("a\0\x02"s).str().has_value());    // neither escape nor terminator
  CHECK_FALSE(KeyReader("1234567").u64().has_value());     // 7 of 8 bytes
  CHECK_FALSE(KeyReader("1234567").i64().has_value());
  CHECK(KeyReader("").done());

  std::string five = KeyBuilder().u64(5).key();
  KeyReader r(five);
  CHECK(r.u64() == uint64_t{5});
  CHECK_FALSE(r.u64().has_value());  // nothing left
}

TEST_CASE("key: PrefixEnd bounds a prefix scan", "[key]") {
  CHECK(PrefixEnd("") == "");
  CHECK(PrefixEnd("a") == "b");
  CHECK(PrefixEnd("a\xff"s) == "b");
  CHECK(PrefixEnd("ab\xff\xff"s) == "ac");
  CHECK(PrefixEnd("\xff\xff"s) == "");  // no key bounds it: scan to the end
  CHECK(PrefixEnd("\x00"s) == "\x01"s);

  // Keys whose first element is "ab" are inside [prefix, end); no other key is.
  std::string prefix = KeyBuilder().str("ab").key();
  std::string end = PrefixEnd(prefix);
  auto inside = [&](const std::string& key) { return key >= prefix && key < end; };
  CHECK(inside(KeyBuilder().str("ab").key()));
  CHECK(inside(KeyBuilder().str("ab").u64(0).key()));
  CHECK(inside(KeyBuilder().str("ab").u64(std::numeric_limits<uint64_t>::max()).key()));
  CHECK(inside(KeyBuilder().str("ab").str("\xff\xff"s).key()));
  CHECK_FALSE(inside(KeyBuilder().str("a").key()));
  CHECK_FALSE(inside(KeyBuilder().str("abc").u64(1).key()));
  CHECK_FALSE(inside(KeyBuilder().str("ab\0"s).u64(1).key()));
  CHECK_FALSE(inside(KeyBuilder().str("aa\xff"s).key()));
  CHECK_FALSE(inside(KeyBuilder().str("b").key()));
}

TEST_CASE("key: DescribeKey shows strings, numbers and the rest", "[key]") {
  using commerce::DescribeKey;
  CHECK(DescribeKey(KeyBuilder().str("SKU-1").str("wh-1").key()) == R"(("SKU-1", "wh-1"))");
  CHECK(DescribeKey(KeyBuilder().u64(42).key()) == "(42)");
  CHECK(DescribeKey(KeyBuilder().str("cus").u64(7).key()) == R"(("cus", 7))");
  CHECK(DescribeKey(KeyBuilder().str("a\0b"s).key()) == R"(("a\x00b"))");
  CHECK(DescribeKey(KeyBuilder().str("say \"hi\"").key()) == R"(("say \"hi\""))");
  CHECK(DescribeKey(KeyBuilder().str("café").key()) == "(\"café\")");
  // Bytes that are not UTF-8 (a damaged key) are escaped: the message stays valid UTF-8.
  CHECK(DescribeKey(KeyBuilder().str("a\xff\xc3").key()) == R"(("a\xff\xc3"))");
  // Neither a string nor a number: hex.
  CHECK(DescribeKey("\x05\x06"s) == "(0x0506)");
  CHECK(DescribeKey(KeyBuilder().str("x").key() + "\x07"s) == R"(("x", 0x07))");
  CHECK(DescribeKey("") == "()");
}

}  // namespace common_key_test
