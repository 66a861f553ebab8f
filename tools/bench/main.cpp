// commerce-bench: the benchmarks every performance claim of commerce comes from.
//
//   commerce-bench <suite> [--json] [--quick] [--dir DIR] [--records N] [--seconds S]
//                          [--threads LIST] [--rounds R] [--case NAME]...
//
// Each suite lives in its own file (storage_bench.cpp, ...) and registers itself with
// COMMERCE_BENCH_SUITE (harness.h); this file only parses the command line and dispatches.
// Results go to stdout (a table, or JSON Lines with --json: report.h); progress and
// diagnostics go to stderr.
#include <CLI/CLI.hpp>
#include <string_view>

#include <cstdio>
#include <sstream>

#include "harness.h"
#include "report.h"

namespace {

// "1,4,16,64" -> {1, 4, 16, 64}.
bool ParseThreads(const std::string& list, std::vector<int>* out, std::string* error) {
  std::stringstream in(list);
  std::string item;
  while (std::getline(in, item, ',')) {
    try {
      size_t used = 0;
      int n = std::stoi(item, &used);
      if (used != item.size() || n < 1 || n > 4096) throw std::invalid_argument(item);
      out->push_back(n);
    } catch (const std::exception&) {
      *error = "--threads: '" + item + "' is not a thread count (1..4096); expected e.g. 1,4,16,64";
      return false;
    }
  }
  if (out->empty()) {
    *error = "--threads: empty list; expected e.g. 1,4,16,64";
    return false;
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  using commerce::bench::Suites;
  CLI::App app{"commerce-bench: benchmarks of the commerce engine beside peer baselines, same run"};
  app.require_subcommand(1, 1);

  commerce::bench::BenchOptions options;
  std::string threads;
  std::vector<CLI::App*> subcommands;
  for (const auto& suite : Suites()) {
    CLI::App* sub = app.add_subcommand(suite.name, suite.help);
    sub->add_flag("--json", options.json, "one JSON object per line per measurement on stdout");
    sub->add_flag("--quick", options.quick, "small stores and short runs: the whole suite in < 1 minute");
    CLI::Option* dir = sub->add_option("--dir", options.dir,
                                       "scratch directory for the stores (default: a fresh one under /tmp, removed at the end)");
    sub->add_option("--records", options.records, "records (products) per store, overriding the case's default")
        ->check(CLI::Range(uint64_t{1}, uint64_t{1'000'000'000}));
    sub->add_option("--seconds", options.seconds, "measured seconds per point (default 5, --quick 1)")
        ->check(CLI::Range(0.05, 3600.0));
    sub->add_option("--threads", threads, "comma-separated thread counts, overriding each case's own");
    sub->add_option("--rounds", options.rounds,
                    "measure each point in this many slices, the systems taking turns (default 5, --quick 1)")
        ->check(CLI::Range(1, 100));
    sub->add_option("--case", options.cases, "run only this case (repeatable)");
    if (std::string_view(suite.name) == "orders") {
      sub->add_option("--skus", options.skus, "SKUs in the shop (default 1000000, --quick 100000)")
          ->check(CLI::Range(uint64_t{1}, uint64_t{100'000'000}));
      sub->add_option("--warehouses", options.warehouses, "warehouses (default 200; 20 with --driver postgres)")
          ->check(CLI::Range(1, 100'000));
      sub->add_option("--driver", options.drivers,
                      "engine drivers, repeatable: lmdb, sqlite (beside the SQLite peer; the default is "
                      "both) or postgres (two engine processes beside the libpq-sql peer, on the server "
                      "COMMERCE_PG_URL names; orders-place only; 20,000 SKUs by default)")
          ->check(CLI::IsMember({"lmdb", "sqlite", "postgres"}));
      sub->add_option("--pg-writers", options.pg_writers,
                      "--driver postgres: groups each engine process has in flight at once "
                      "(StorageTuning::postgres_writers; default: the engine's)")
          ->check(CLI::Range(1, 64));
    }
    if (std::string_view(suite.name) == "storage") {
      sub->add_option("--driver", options.drivers,
                      "engine drivers of durable-write, repeatable: lmdb, sqlite (the default is both; "
                      "the raw-lmdb and sqlite peers always run)")
          ->check(CLI::IsMember({"lmdb", "sqlite"}));
    }
    if (std::string_view(suite.name) == "http") {
      sub->add_option("--target", options.targets,
                      "NAME=http://127.0.0.1:PORT of a running server or load balancer to measure "
                      "instead of a server of its own (repeatable: side by side in one run); "
                      "admin key from COMMERCE_BENCH_KEY");
    }
    if (std::string_view(suite.name) == "search") {
      sub->add_flag("--keep", options.keep,
                    "keep the loaded stores in --dir; a later run with the same --records reopens them "
                    "instead of loading again (index-import is then not measured, index-lag not run)")
          ->needs(dir);
    }
    if (std::string_view(suite.name) == "search-quality") {
      sub->add_option("--data", options.data,
                      "the Best Buy sample directory (default: <repo>/../shared/data/bestbuy-algolia)");
      sub->add_option("--per-query", options.per_query,
                      "write each query's NDCG@10 and top 10 per system to FILE (TSV; derived from the "
                      "sample: keep it outside the repository)");
    }
    subcommands.push_back(sub);
  }
  CLI11_PARSE(app, argc, argv);

  if (!threads.empty()) {
    std::string error;
    if (!ParseThreads(threads, &options.threads, &error)) {
      std::fprintf(stderr, "commerce-bench: %s\n", error.c_str());
      return 2;
    }
  }
  for (size_t i = 0; i < subcommands.size(); ++i) {
    if (!subcommands[i]->parsed()) continue;
    commerce::bench::Reporter reporter(options.json);
    int rc = Suites()[i].run(options, reporter);
    reporter.Finish();
    return rc;
  }
  return 2;
}
