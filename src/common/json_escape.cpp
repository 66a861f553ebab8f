#include "common/json_escape.h"

#include <cstdio>

#include "common/utf8.h"

namespace commerce {

std::string JsonEscape(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 2);
  for (size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      case '\r': out += "\\r"; break;
      default: {
        const auto b = static_cast<unsigned char>(c);
        if (b < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof(buf), "\\u%04x", static_cast<unsigned>(b));
          out += buf;
        } else if (b < 0x80) {
          out += c;
        } else {
          // Text checked on the way in is UTF-8 already; anything else (data written before
          // the checks existed) still comes out as valid JSON: a malformed byte becomes
          // U+FFFD rather than a byte no JSON parser accepts.
          char32_t cp = 0;
          const size_t n = DecodeUtf8(s, i, &cp);
          if (n == 0) {
            out += "\xEF\xBF\xBD";
          } else {
            out.append(s.substr(i, n));
            i += n - 1;
          }
        }
      }
    }
  }
  return out;
}

}  // namespace commerce
