// VerifyReport's text and JSON forms (verify.h).
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <cstdio>

#include "commerce/verify.h"
#include "common/utf8.h"

namespace commerce {

uint64_t VerifyReport::problem_total() const {
  uint64_t n = 0;
  for (const auto& [check, count] : problem_counts) n += count;
  return n;
}

std::string VerifyReport::ToText() const {
  std::string out = "commerce verify " + ToValidUtf8(path) + " (" + driver + "): ";
  const uint64_t total = problem_total();
  out += total == 0 ? "OK, no problems\n" : std::to_string(total) + (total == 1 ? " problem\n" : " problems\n");
  for (const auto& [check, count] : problem_counts) {
    out += "  " + check + ": " + std::to_string(count) + "\n";
    size_t shown = 0;
    for (const auto& p : problems) {
      if (p.check != check) continue;
      out += "    " + ToValidUtf8(p.where) + ": " + ToValidUtf8(p.what) + "\n";
      ++shown;
    }
    if (shown < count) out += "    ... and " + std::to_string(count - shown) + " more\n";
  }
  uint64_t records = 0;
  for (const auto& [table, n] : this->records) records += n;
  out += "read " + std::to_string(records) + " records in " + std::to_string(this->records.size()) +
         " tables (" + std::to_string(unchecksummed_records) +
         " written before record checksums); events up to " + std::to_string(events);
  out += "\n";
  for (const auto& n : notes) out += "note: " + ToValidUtf8(n) + "\n";
  char took[64];
  std::snprintf(took, sizeof took, "took %.2f s\n", seconds);
  return out + took;
}

std::string VerifyReport::ToJson() const {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  auto str = [&](const std::string& s) {
    const std::string v = ToValidUtf8(s);
    w.String(v.data(), static_cast<rapidjson::SizeType>(v.size()));
  };
  w.StartObject();
  w.Key("path");
  str(path);
  w.Key("driver");
  str(driver);
  w.Key("ok");
  w.Bool(ok());
  w.Key("problems");
  w.StartArray();
  for (const auto& p : problems) {
    w.StartObject();
    w.Key("check");
    str(p.check);
    w.Key("where");
    str(p.where);
    w.Key("what");
    str(p.what);
    w.EndObject();
  }
  w.EndArray();
  w.Key("problem_counts");
  w.StartObject();
  for (const auto& [check, n] : problem_counts) {
    str(check);
    w.Uint64(n);
  }
  w.EndObject();
  w.Key("records");
  w.StartObject();
  for (const auto& [table, n] : records) {
    str(table);
    w.Uint64(n);
  }
  w.EndObject();
  w.Key("unchecksummed_records");
  w.Uint64(unchecksummed_records);
  w.Key("events");
  w.Uint64(events);
  w.Key("notes");
  w.StartArray();
  for (const auto& n : notes) str(n);
  w.EndArray();
  w.Key("seconds");
  w.Double(seconds);
  w.EndObject();
  return buf.GetString();
}

}  // namespace commerce
