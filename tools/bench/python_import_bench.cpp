// Suite `python-import`: importing products from Python against the C++ import of the same
// file (issue 5: "importing 100,000 products from Python must not be more than 1.5x slower
// than the C++ import of the same file").
//
// One JSON Lines file of N sample products (SampleCatalog, N = 100,000; --quick 10,000;
// --records N) is written once. Then, each into a fresh LMDB store with the category tree
// created first and background work off (so that only the import is timed):
//   - peer `cpp-import`: Catalog::import_file(file) from this process;
//   - `commerce` rows: a /usr/bin/python3 subprocess with the bindings on PYTHONPATH
//     (COMMERCE_PYTHONPATH, else <dir of commerce-bench>/../python, where the normal build
//     puts the package), timing inside Python:
//       case python-import-file:  engine.catalog.import_file(path)
//       case python-import-dicts: engine.catalog.import_products(records), records being the
//                                 file's lines already parsed into dicts (json.loads) before
//                                 the clock starts — the data-team path: dicts in hand.
// ratio = Python products/s / C++ products/s (>= 0.667 meets the 1.5x target); `slowdown` is
// its inverse. Each row is one import (threads 1; p50/p99 are its duration). The systems
// take turns per round (--rounds, default 1 here: a round is a full import) and the
// fastest round of each is kept.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "commerce/commerce.h"
#include "harness.h"
#include "report.h"

namespace commerce::bench {
namespace {

constexpr char kPythonScript[] = R"PY(
import json, sys, time
import commerce
store, path, mode = sys.argv[1], sys.argv[2], sys.argv[3]
with commerce.Engine(store, run_background=False, search={"run_indexer": False}) as e:
    for c in commerce.SampleCatalog(products=1).categories():
        e.catalog.upsert_category(c)
    if mode == "dicts":
        with open(path, encoding="utf-8") as f:
            records = [json.loads(line) for line in f]
        t0 = time.perf_counter()
        report = e.catalog.import_products(records)
    else:
        t0 = time.perf_counter()
        report = e.catalog.import_file(path)
    seconds = time.perf_counter() - t0
print(json.dumps({"seconds": seconds, "imported": report.imported, "rejected": report.rejected}))
)PY";

std::string PythonPath() {
  if (const char* p = std::getenv("COMMERCE_PYTHONPATH")) return p;
  std::error_code ec;
  auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  return (exe.parent_path().parent_path() / "python").string();
}

std::string ShellQuote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

// Runs the Python import; returns its seconds, or < 0 with *error set.
double RunPython(const std::string& store, const std::string& file, const std::string& mode, uint64_t n,
                 std::string* error) {
  const char* python = std::getenv("COMMERCE_PYTHON");
  std::string cmd = "PYTHONPATH=" + ShellQuote(PythonPath()) + " " + (python ? python : "/usr/bin/python3") +
                    " -c " + ShellQuote(kPythonScript) + " " + ShellQuote(store) + " " + ShellQuote(file) + " " +
                    mode;
  FILE* pipe = ::popen(cmd.c_str(), "r");
  if (!pipe) return *error = "popen failed", -1;
  std::string out;
  char buf[4096];
  size_t got;
  while ((got = std::fread(buf, 1, sizeof buf, pipe)) > 0) out.append(buf, got);
  int rc = ::pclose(pipe);
  if (rc != 0) return *error = "python exited with " + std::to_string(rc) + " (PYTHONPATH " + PythonPath() + ")", -1;
  // {"seconds": S, "imported": I, "rejected": R}
  auto field = [&](const std::string& key) -> double {
    auto at = out.find("\"" + key + "\": ");
    return at == std::string::npos ? -1 : std::atof(out.c_str() + at + key.size() + 4);
  };
  if (static_cast<uint64_t>(field("imported")) != n)
    return *error = "python imported " + std::to_string(field("imported")) + " of " + std::to_string(n) + ": " + out,
           -1;
  return field("seconds");
}

double RunCpp(const std::string& store, const std::string& file, const SampleCatalog& sample, uint64_t n,
              std::string* error) {
  EngineOptions eo;
  eo.path = store;
  eo.run_background = false;
  eo.search.run_indexer = false;
  auto engine = Engine::open(eo);
  if (!engine.ok()) return *error = engine.status().ToString(), -1;
  for (const Category& c : sample.categories()) {
    Status s = (*engine)->catalog().upsert_category(c);
    if (!s.ok()) return *error = s.ToString(), -1;
  }
  const auto t0 = std::chrono::steady_clock::now();
  auto report = (*engine)->catalog().import_file(file);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (!report.ok()) return *error = report.status().ToString(), -1;
  if (report->imported != n) return *error = "imported " + std::to_string(report->imported), -1;
  (void)(*engine)->close();
  return seconds;
}

Row ImportRow(const std::string& case_name, const std::string& system, uint64_t n, double seconds) {
  Row r;
  r.suite = "python-import";
  r.case_name = case_name;
  r.system = system;
  r.driver = "lmdb";
  r.threads = 1;
  r.ops_per_s = Div(static_cast<double>(n), seconds);
  r.p50_ms = r.p99_ms = seconds * 1000;
  r.add("records", n);
  r.add("seconds", seconds);
  return r;
}

int RunPythonImport(const BenchOptions& o, Reporter& reporter) {
  const uint64_t n = o.records ? o.records : (o.quick ? 10'000 : 100'000);
  const int rounds = o.rounds ? o.rounds : 1;
  WorkDir work(o.dir);
  SampleCatalog sample({.products = n});
  const std::string file = work.path() + "/products.jsonl";
  {
    std::ofstream out(file, std::ios::binary);
    sample.write_jsonl(out);
  }
  Log("python-import: " + std::to_string(n) + " products in " + file + "; PYTHONPATH " + PythonPath());

  const char* cases[][2] = {{"python-import-file", "file"}, {"python-import-dicts", "dicts"}};
  double cpp_best = -1;
  std::vector<double> py_best(2, -1);
  for (int round = 0; round < rounds; ++round) {
    std::string error;
    std::string dir = work.Fresh("cpp-" + std::to_string(round));
    double s = RunCpp(dir, file, sample, n, &error);
    work.Discard(dir);
    if (s < 0) return Log("python-import: C++ import: " + error), 1;
    Log("python-import: C++ import_file: " + FormatSeconds(s));
    if (cpp_best < 0 || s < cpp_best) cpp_best = s;
    for (int c = 0; c < 2; ++c) {
      if (!o.WantCase(cases[c][0])) continue;
      dir = work.Fresh(std::string("py-") + cases[c][1] + "-" + std::to_string(round));
      double p = RunPython(dir, file, cases[c][1], n, &error);
      work.Discard(dir);
      if (p < 0) return Log(std::string("python-import: ") + cases[c][0] + ": " + error), 1;
      Log(std::string("python-import: ") + cases[c][0] + ": " + FormatSeconds(p));
      if (py_best[c] < 0 || p < py_best[c]) py_best[c] = p;
    }
  }
  for (int c = 0; c < 2; ++c) {
    if (py_best[c] < 0) continue;
    Row py = ImportRow(cases[c][0], kEngineSystem, n, py_best[c]);
    py.add("binding", "python");
    py.add("slowdown", Div(py_best[c], cpp_best));
    reporter.Emit({py, ImportRow(cases[c][0], "cpp-import", n, cpp_best)});
  }
  return 0;
}

}  // namespace

COMMERCE_BENCH_SUITE(python_import, "python-import",
                     "Python bindings: importing N products from Python (a path, and dicts) against the C++ "
                     "import_file of the same file",
                     RunPythonImport);

}  // namespace commerce::bench
