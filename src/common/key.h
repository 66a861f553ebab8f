// Order-preserving tuple encoding of keys, shared by every engine and every driver.
//
// A key is a sequence of typed elements; comparing two encoded keys bytewise (memcmp, then
// length) orders them as the tuples they encode, element by element. That is what lets one
// range scan serve LMDB, SQLite (BLOB keys compare with memcmp) and PostgreSQL (bytea too).
//
//   string  bytes with 0x00 escaped as 0x00 0xFF, then the terminator 0x00 0x01; so "ab" <
//           "ab\0" < "abc", and a string is never a prefix-collision of another element.
//   u64     8 bytes big-endian.
//   i64     8 bytes big-endian with the sign bit flipped (negatives sort first).
//
// Every key starts with its table's own elements; a prefix scan over "all keys whose first
// elements are X" is [KeyBuilder().str(X).key(), PrefixEnd(that)).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace commerce {

class KeyBuilder {
 public:
  KeyBuilder& str(std::string_view s);
  KeyBuilder& u64(uint64_t v);
  KeyBuilder& i64(int64_t v);
  const std::string& key() const& { return key_; }
  std::string key() && { return std::move(key_); }

 private:
  std::string key_;
};

// Reads back the elements of an encoded key, in order. Each read returns nullopt when the
// next element is missing or malformed.
class KeyReader {
 public:
  explicit KeyReader(std::string_view key) : rest_(key) {}
  std::optional<std::string> str();
  std::optional<uint64_t> u64();
  std::optional<int64_t> i64();
  bool done() const { return rest_.empty(); }
  // What is left to read.
  std::string_view rest() const { return rest_; }

 private:
  std::string_view rest_;
};

// The smallest key greater than every key starting with `prefix` ("" if there is none,
// meaning "to the end").
std::string PrefixEnd(std::string_view prefix);

// An encoded key as a person reads it, for error messages and reports: its elements in
// parentheses, strings quoted ("SKU-1", "wh-1"), 8-byte numbers in decimal (42), anything
// else in hex. The encoding does not say which element is which type, so this reads a
// string where one parses and a number otherwise; a number below 2^56 never parses as a
// string (it starts 00 00).
std::string DescribeKey(std::string_view key);

}  // namespace commerce
