// `commerce backup --data DIR --to DIR2`: a consistent copy of a store while it is in use —
// in a running server or another process (copied read-only beside it), or in none (opened,
// recovered, copied, closed). Restore = open the copy (docs/storage.md, "Backup and restore").
//
//   commerce backup --data ./shop --to /backups/shop-2026-12-03
#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>

#include "commands.h"
#include "progress.h"

namespace commerce::cli {

CLI::App* AddBackupCommand(CLI::App* app, BackupArgs* a) {
  auto* backup = app->add_subcommand(
      "backup", "copy a store, consistent, while it is in use (by a server or another process)");
  backup->add_option("--data", a->data, "the store's directory")->capture_default_str();
  backup->add_option("--driver", a->driver, "the store's driver")
      ->check(CLI::IsMember({"lmdb", "sqlite"}))
      ->capture_default_str();
  backup->add_option("--to", a->to, "a new (or empty) directory for the copy; its parent must exist")
      ->required();
  return backup;
}

int RunBackup(const BackupArgs& a) {
  StorageOptions o;
  o.driver = a.driver;
  o.path = a.data;
  ProgressBar bar("backup");
  auto last = std::chrono::steady_clock::now() - std::chrono::seconds(1);
  uint64_t bytes = 0;
  BackupOptions b;
  b.progress = [&](uint64_t done, uint64_t total) {
    bytes = done;
    auto now = std::chrono::steady_clock::now();
    if (now - last < std::chrono::milliseconds(200)) return;  // a line, not a flood
    last = now;
    bar.update(done, total, std::to_string(done >> 20) + " MiB");
  };
  Status s = BackupStore(o, a.to, b);
  if (!s.ok()) return Fail(s);
  bar.finish(std::to_string(bytes >> 20) + " MiB");
  std::printf("backup of %s (%s) written to %s; to restore, open it: --data %s\n", a.data.c_str(),
              a.driver.c_str(), a.to.c_str(), a.to.c_str());
  return 0;
}

}  // namespace commerce::cli
