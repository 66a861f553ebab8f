#include "report.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <tuple>

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

namespace commerce::bench {

namespace {

std::string FormatNumber(double v) {
  char buf[64];
  if (v == 0) return "0";
  double a = std::fabs(v);
  if (a >= 1000) std::snprintf(buf, sizeof buf, "%.0f", v);
  else if (a >= 100) std::snprintf(buf, sizeof buf, "%.1f", v);
  else if (a >= 1) std::snprintf(buf, sizeof buf, "%.2f", v);
  else if (a >= 0.01) std::snprintf(buf, sizeof buf, "%.3f", v);
  else std::snprintf(buf, sizeof buf, "%.4f", v);
  return buf;
}

std::string FormatExtra(const std::variant<double, int64_t, std::string>& v) {
  if (auto* d = std::get_if<double>(&v)) return FormatNumber(*d);
  if (auto* i = std::get_if<int64_t>(&v)) return std::to_string(*i);
  return std::get<std::string>(v);
}

}  // namespace

void Reporter::Emit(std::vector<Row> rows) {
  // Best peer per (suite, case, threads).
  std::map<std::tuple<std::string, std::string, int>, const Row*> best;
  for (const Row& r : rows) {
    if (IsEngineSystem(r.system)) continue;
    auto key = std::make_tuple(r.suite, r.case_name, r.threads);
    auto it = best.find(key);
    if (it == best.end() || r.ops_per_s > it->second->ops_per_s) best[key] = &r;
  }
  for (Row& r : rows) {
    if (!IsEngineSystem(r.system)) continue;
    auto it = best.find(std::make_tuple(r.suite, r.case_name, r.threads));
    if (it == best.end() || it->second->ops_per_s <= 0) continue;
    r.peer = it->second->system;
    r.ratio = r.ops_per_s / it->second->ops_per_s;
    r.has_ratio = true;
  }
  // Engine rows first, then peers; each group by threads.
  std::stable_sort(rows.begin(), rows.end(), [](const Row& a, const Row& b) {
    bool ea = IsEngineSystem(a.system), eb = IsEngineSystem(b.system);
    if (a.threads != b.threads) return a.threads < b.threads;
    return ea > eb;
  });
  for (Row& r : rows) {
    if (json_) {
      std::fputs((ToJson(r) + "\n").c_str(), stdout);
      std::fflush(stdout);
    }
    rows_.push_back(std::move(r));
  }
}

std::string Reporter::ToJson(const Row& r) {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  w.StartObject();
  w.Key("suite"); w.String(r.suite.c_str());
  w.Key("case"); w.String(r.case_name.c_str());
  w.Key("system"); w.String(r.system.c_str());
  w.Key("driver"); w.String(r.driver.c_str());
  w.Key("threads"); w.Int(r.threads);
  w.Key("ops_per_s"); w.Double(std::round(r.ops_per_s * 10) / 10);
  w.Key("p50_ms"); w.Double(r.p50_ms);
  w.Key("p99_ms"); w.Double(r.p99_ms);
  if (IsEngineSystem(r.system)) {
    if (r.has_ratio) {
      w.Key("peer"); w.String(r.peer.c_str());
      w.Key("ratio"); w.Double(std::round(r.ratio * 1000) / 1000);
    } else {
      w.Key("peer"); w.Null();
      w.Key("ratio"); w.Null();
    }
  }
  for (const auto& [key, value] : r.extra) {
    w.Key(key.c_str());
    if (auto* d = std::get_if<double>(&value)) {
      if (std::isfinite(*d)) w.Double(*d); else w.Null();
    } else if (auto* i = std::get_if<int64_t>(&value)) {
      w.Int64(*i);
    } else {
      w.String(std::get<std::string>(value).c_str());
    }
  }
  w.EndObject();
  return buf.GetString();
}

void Reporter::Finish() {
  if (json_ || rows_.empty()) return;
  // Fixed columns, then every extra key seen, in first-seen order.
  std::vector<std::string> extra_keys;
  for (const Row& r : rows_)
    for (const auto& [k, v] : r.extra)
      if (std::find(extra_keys.begin(), extra_keys.end(), k) == extra_keys.end())
        extra_keys.push_back(k);
  std::vector<std::string> header = {"suite", "case", "system", "driver", "threads",
                                     "ops/s", "p50_ms", "p99_ms", "peer", "ratio"};
  header.insert(header.end(), extra_keys.begin(), extra_keys.end());
  std::vector<std::vector<std::string>> cells;
  for (const Row& r : rows_) {
    std::vector<std::string> c = {r.suite, r.case_name, r.system, r.driver,
                                  std::to_string(r.threads), FormatNumber(r.ops_per_s),
                                  FormatNumber(r.p50_ms), FormatNumber(r.p99_ms),
                                  r.has_ratio ? r.peer : "",
                                  r.has_ratio ? FormatNumber(r.ratio) + "x" : ""};
    for (const auto& k : extra_keys) {
      std::string v;
      for (const auto& [ek, ev] : r.extra)
        if (ek == k) v = FormatExtra(ev);
      c.push_back(v);
    }
    cells.push_back(std::move(c));
  }
  std::vector<size_t> width(header.size());
  for (size_t i = 0; i < header.size(); ++i) width[i] = header[i].size();
  for (const auto& c : cells)
    for (size_t i = 0; i < c.size(); ++i) width[i] = std::max(width[i], c[i].size());
  auto print = [&](const std::vector<std::string>& c) {
    std::string line;
    for (size_t i = 0; i < c.size(); ++i) {
      // Text columns left-aligned, numbers right-aligned.
      bool left = i < 4 || i == 8;
      std::string pad(width[i] - c[i].size(), ' ');
      line += left ? c[i] + pad : pad + c[i];
      if (i + 1 < c.size()) line += "  ";
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    std::printf("%s\n", line.c_str());
  };
  print(header);
  std::string rule;
  for (size_t i = 0; i < width.size(); ++i) rule += std::string(width[i], '-') + (i + 1 < width.size() ? "  " : "");
  std::printf("%s\n", rule.c_str());
  std::string last_case;
  for (size_t i = 0; i < cells.size(); ++i) {
    std::string this_case = rows_[i].suite + "/" + rows_[i].case_name;
    if (!last_case.empty() && this_case != last_case) std::printf("\n");
    last_case = this_case;
    print(cells[i]);
  }
  std::fflush(stdout);
}

}  // namespace commerce::bench
