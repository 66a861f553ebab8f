// Results of commerce-bench: one Row per measurement, printed as a human table (default) or
// as JSON Lines (--json), one object per row.
//
// The JSON contract every suite keeps (docs and CI read it):
//   suite, case, system ("commerce" or a peer: "raw-lmdb", "sqlite", ...), driver, threads,
//   ops_per_s, p50_ms, p99_ms; and on the engine's rows also peer (the best peer's system at
//   the same case and threads, same run) and ratio (engine ops_per_s / that peer's).
// Anything else a case knows goes into `extra` (avg_group_size, pages_per_commit, ...).
//
// Thread safety: a Reporter is used by the main thread only.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace commerce::bench {

inline constexpr char kEngineSystem[] = "commerce";
// The engine's rows, including a variant of it ("commerce-split": orders-hot-sku on split
// stock): never a peer, and compared with the best peer like the engine's own.
inline bool IsEngineSystem(std::string_view system) {
  return system == kEngineSystem ||
         (system.size() > sizeof kEngineSystem && system.substr(0, sizeof kEngineSystem) == "commerce-");
}

struct Row {
  std::string suite;
  std::string case_name;
  std::string system;  // kEngineSystem, or the peer's name
  std::string driver;  // the storage the system ran on: "lmdb", "sqlite"
  int threads = 0;
  double ops_per_s = 0;
  double p50_ms = 0;
  double p99_ms = 0;
  // Engine rows only, filled by Reporter::CompareWithPeers: the best peer and the ratio.
  std::string peer;
  double ratio = 0;
  bool has_ratio = false;
  // Extra fields in insertion order; a number or a string each.
  std::vector<std::pair<std::string, std::variant<double, int64_t, std::string>>> extra;

  void add(std::string key, double v) { extra.emplace_back(std::move(key), v); }
  void add(std::string key, int64_t v) { extra.emplace_back(std::move(key), v); }
  void add(std::string key, uint64_t v) { extra.emplace_back(std::move(key), static_cast<int64_t>(v)); }
  void add(std::string key, int v) { extra.emplace_back(std::move(key), static_cast<int64_t>(v)); }
  void add(std::string key, std::string v) { extra.emplace_back(std::move(key), std::move(v)); }
  void add(std::string key, const char* v) { extra.emplace_back(std::move(key), std::string(v)); }
};

class Reporter {
 public:
  explicit Reporter(bool json) : json_(json) {}

  // Sets peer and ratio on every engine row of `rows` from the best non-engine row with the
  // same suite, case and threads, then emits the rows: as JSON Lines on stdout at once with
  // --json, else kept for the table printed by Finish(). Call once per case, after the
  // engine and its peers have all run, so the ratio compares measurements of the same run.
  void Emit(std::vector<Row> rows);

  // Prints the human table (nothing more with --json). Call once at the end.
  void Finish();

  static std::string ToJson(const Row& row);

 private:
  bool json_;
  std::vector<Row> rows_;
};

}  // namespace commerce::bench
