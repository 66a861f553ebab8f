#include "common/key.h"

#include <cstdio>

#include "common/utf8.h"

namespace commerce {

KeyBuilder& KeyBuilder::str(std::string_view s) {
  for (char c : s) {
    key_.push_back(c);
    if (c == '\0') key_.push_back('\xff');
  }
  key_.push_back('\0');
  key_.push_back('\x01');
  return *this;
}

KeyBuilder& KeyBuilder::u64(uint64_t v) {
  for (int shift = 56; shift >= 0; shift -= 8) key_.push_back(static_cast<char>(v >> shift));
  return *this;
}

KeyBuilder& KeyBuilder::i64(int64_t v) {
  return u64(static_cast<uint64_t>(v) ^ (uint64_t{1} << 63));
}

std::optional<std::string> KeyReader::str() {
  std::string out;
  for (size_t i = 0; i < rest_.size(); ++i) {
    if (rest_[i] != '\0') {
      out.push_back(rest_[i]);
      continue;
    }
    if (i + 1 >= rest_.size()) return std::nullopt;
    if (rest_[i + 1] == '\x01') {
      rest_.remove_prefix(i + 2);
      return out;
    }
    if (rest_[i + 1] != '\xff') return std::nullopt;
    out.push_back('\0');
    ++i;
  }
  return std::nullopt;
}

std::optional<uint64_t> KeyReader::u64() {
  if (rest_.size() < 8) return std::nullopt;
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | static_cast<unsigned char>(rest_[i]);
  rest_.remove_prefix(8);
  return v;
}

std::optional<int64_t> KeyReader::i64() {
  auto v = u64();
  if (!v) return std::nullopt;
  return static_cast<int64_t>(*v ^ (uint64_t{1} << 63));
}

std::string PrefixEnd(std::string_view prefix) {
  std::string end(prefix);
  while (!end.empty()) {
    auto& last = reinterpret_cast<unsigned char&>(end.back());
    if (last != 0xff) {
      ++last;
      return end;
    }
    end.pop_back();
  }
  return end;
}

namespace {

// Quotes a string for a message: control characters and bytes that are not well-formed UTF-8
// (a damaged key) become \xNN, so the message stays valid UTF-8 and valid inside JSON.
void AppendQuoted(std::string_view s, std::string* out) {
  out->push_back('"');
  char buf[8];
  for (size_t i = 0; i < s.size();) {
    auto u = static_cast<unsigned char>(s[i]);
    char32_t cp;
    size_t len = DecodeUtf8(s, i, &cp);
    if (s[i] == '"' || s[i] == '\\') {
      out->push_back('\\');
      out->push_back(s[i]);
    } else if (len == 0 || u < 0x20 || u == 0x7f) {
      std::snprintf(buf, sizeof buf, "\\x%02x", u);
      out->append(buf);
      len = 1;
    } else {
      out->append(s.substr(i, len));
    }
    i += len == 0 ? 1 : len;
  }
  out->push_back('"');
}

}  // namespace

std::string DescribeKey(std::string_view key) {
  std::string out = "(";
  KeyReader reader(key);
  while (!reader.done()) {
    if (out.size() > 1) out += ", ";
    const std::string_view before = reader.rest();
    if (auto s = reader.str()) {
      AppendQuoted(*s, &out);
      continue;
    }
    reader = KeyReader(before);
    if (auto n = reader.u64()) {
      out += std::to_string(*n);
      continue;
    }
    out += "0x";
    char buf[4];
    for (char c : before) {
      std::snprintf(buf, sizeof buf, "%02x", static_cast<unsigned char>(c));
      out += buf;
    }
    break;
  }
  return out + ")";
}

}  // namespace commerce
