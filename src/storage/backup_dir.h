// The destination of a backup, shared by the local drivers: checks it before anything is
// copied, has the copy written into a staging directory beside it, and moves that into place
// only when the copy is complete and synced, so a failed backup leaves nothing at the
// destination (and at most a staging directory that the next backup there removes).
//
// Thread safety: one object per backup; not shared.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "commerce/status.h"

namespace commerce {

class BackupDir {
 public:
  // Checks `dest` for a backup of the store at `source`:
  //   NotFound         `source` is not a directory;
  //   InvalidArgument  `dest` is empty, or is `source` or inside it;
  //   AlreadyExists    `dest` exists and is not an empty directory;
  //   NotFound         the parent of `dest` does not exist;
  //   Unavailable      the staging directory cannot be created (the parent is not writable).
  static Result<std::unique_ptr<BackupDir>> Prepare(const std::string& source, const std::string& dest);
  // The checks of Prepare, creating nothing.
  static Status Check(const std::string& source, const std::string& dest);
  // Removes the staging directory unless Commit() succeeded.
  ~BackupDir();
  BackupDir(const BackupDir&) = delete;
  BackupDir& operator=(const BackupDir&) = delete;

  // Where the copy is written: a fresh directory on the same file system as the destination.
  const std::string& staging() const { return staging_; }
  // fsyncs the files the copy wrote into staging() and the directory, then renames it to
  // the destination and syncs the parent: from then on the backup survives a crash.
  Status Commit();

 private:
  BackupDir(std::string dest, std::string staging) : dest_(std::move(dest)), staging_(std::move(staging)) {}
  std::string dest_;
  std::string staging_;
  bool committed_ = false;
};

// The frame of every local driver's backup: Prepare, `copy` into the staging directory (the
// argument), Commit; the staging directory is removed when any step fails.
Status WriteBackup(const std::string& source, const std::string& dest,
                   const std::function<Status(const std::string& staging)>& copy);

}  // namespace commerce
