// BackupStore: a backup of a store by path, whether or not a process has it open.
#include <unistd.h>

#include <filesystem>

#include "commerce/storage.h"
#include "storage/backup_dir.h"
#include "storage/dir_lock.h"
#include "storage/lmdb/lmdb_backup.h"
#include "storage/sqlite/sqlite_backup.h"

namespace commerce {

namespace {

const char* DataFile(const std::string& driver) { return driver == "lmdb" ? "data.mdb" : "commerce.sqlite"; }

// NotFound unless `path` holds a store of `driver`, naming the other driver when it is that.
Status CheckStore(const StorageOptions& o) {
  std::error_code ec;
  if (std::filesystem::exists(o.path + "/" + DataFile(o.driver), ec)) return Status::OK();
  const std::string other = o.driver == "lmdb" ? "sqlite" : "lmdb";
  if (std::filesystem::exists(o.path + "/" + DataFile(other), ec))
    return Status::NotFound("no " + o.driver + " store at " + o.path + ": it holds a " + other +
                            " store (--driver " + other + ")");
  return Status::NotFound("no " + o.driver + " store at " + o.path + " (no " + DataFile(o.driver) +
                          " there)");
}

}  // namespace

Status BackupStore(const StorageOptions& options, const std::string& dir, const BackupOptions& backup) {
  if (options.driver != "lmdb" && options.driver != "sqlite")
    return Status::InvalidArgument("backup: driver '" + options.driver +
                                   "' has no file copy here (lmdb and sqlite do; for postgres, "
                                   "back up the database with pg_dump or pg_basebackup)");
  COMMERCE_RETURN_IF_ERROR(CheckStore(options));
  COMMERCE_RETURN_IF_ERROR(BackupDir::Check(options.path, dir));  // before opening anything
  // The holder may let go of the store between the two checks below: then look again.
  for (int attempt = 0;; ++attempt) {
    if (DirLock::IsHeld(options.path)) {
      if (DirLock::ReadState(options.path).pid == ::getpid())
        return Status::FailedPrecondition("store " + options.path +
                                          " is open in this process: back it up through it "
                                          "(Storage::backup, Engine::backup)");
      const std::string file = DataFile(options.driver);
      return WriteBackup(options.path, dir, [&](const std::string& staging) {
        return options.driver == "lmdb"
                   ? lmdb::CopyHeldStore(options.path, staging + "/" + file, backup)
                   : sqlite::CopyDatabase(options.path + "/" + file, staging + "/" + file, backup);
      });
    }
    auto store = OpenStorage(options);
    if (!store.ok()) {
      if (store.status().IsUnavailable() && DirLock::IsHeld(options.path) && attempt < 3) continue;
      return store.status();
    }
    Status s = (*store)->backup(dir, backup);
    Status closed = (*store)->close();
    return s.ok() ? closed : s;
  }
}

}  // namespace commerce
