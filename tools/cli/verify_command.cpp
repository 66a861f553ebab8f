// `commerce verify --data DIR`: checks a closed store (include/commerce/verify.h) and prints
// what is wrong, where and how many — as text, or as one JSON object with --json.
//
// Exit status: 0 no problems, 1 problems found, 3 the store could not be
// checked (no store there, or in use by another process: verify a copy of the store
// instead); bad usage is CLI11's own status (neither of these).
#include <CLI/CLI.hpp>
#include <unistd.h>

#include <cstdio>

#include "commands.h"
#include "commerce/verify.h"

namespace commerce::cli {

CLI::App* AddVerifyCommand(CLI::App* app, VerifyArgs* a) {
  auto* cmd = app->add_subcommand(
      "verify",
      "check a closed store: every page, record, checksum and invariant across records; exit 0 "
      "when sound, 1 with problems, 3 when it cannot be checked");
  cmd->add_option("--data", a->data, "store directory")->required();
  cmd->add_option("--driver", a->driver, "lmdb or sqlite (default: tell from the files)")
      ->check(CLI::IsMember({"lmdb", "sqlite"}));
  cmd->add_flag("--json", a->json, "print the report as one JSON object");
  cmd->add_flag("--no-search", a->no_search, "skip the search index");
  cmd->add_option("--max-problems", a->max_problems, "problems listed per check")
      ->check(CLI::Range(size_t{1}, size_t{1'000'000}))
      ->capture_default_str();
  return cmd;
}

int RunVerify(const VerifyArgs& a) {
  VerifyOptions o;
  o.path = a.data;
  o.driver = a.driver;
  o.search = !a.no_search;
  o.max_problems_per_check = a.max_problems;
  const bool tty = ::isatty(2);
  std::string last;
  o.progress = [&](const VerifyProgress& p) {
    std::string line = "verify: " + p.stage + (p.table.empty() ? "" : " " + p.table);
    if (tty) {
      std::fprintf(stderr, "\r%s %llu\033[K", line.c_str(), static_cast<unsigned long long>(p.done));
    } else if (line != last) {
      std::fprintf(stderr, "%s\n", line.c_str());  // one line per table in a log
    }
    last = line;
  };
  auto report = VerifyStore(o);
  if (tty) std::fprintf(stderr, "\r\033[K");
  if (!report.ok()) {
    std::fprintf(stderr, "error: %s\n", report.status().ToString().c_str());
    return 3;
  }
  const std::string out = a.json ? report->ToJson() + "\n" : report->ToText();
  std::fwrite(out.data(), 1, out.size(), stdout);
  return report->ok() ? 0 : 1;
}

}  // namespace commerce::cli
