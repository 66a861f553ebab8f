#include "storage/backup_dir.h"

#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <system_error>

#include "storage/file_io.h"

namespace commerce {

namespace fs = std::filesystem;

namespace {

// True when `path` is `dir` or below it (both made absolute, symlinks of existing parts
// resolved).
bool Within(const fs::path& path, const fs::path& dir) {
  auto p = path.begin(), d = dir.begin();
  for (; d != dir.end() && !d->empty(); ++d, ++p)
    if (p == path.end() || *p != *d) return false;
  return true;
}

Status SyncFile(const std::string& path) {
  int fd = file_io::Open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return file_io::Errno("cannot open", path);
  int rc = file_io::Fsync(fd, path);
  Status s = rc == 0 ? Status::OK() : file_io::Errno("fsync failed on", path);
  ::close(fd);
  return s;
}

}  // namespace

Status BackupDir::Check(const std::string& source, const std::string& dest) {
  std::error_code ec;
  if (source.empty() || !fs::is_directory(source, ec))
    return Status::NotFound("no store at " + source + ": the directory does not exist");
  if (dest.empty()) return Status::InvalidArgument("backup destination is empty: give a new directory");
  const fs::path src = fs::weakly_canonical(fs::absolute(source), ec);
  const fs::path dst = fs::weakly_canonical(fs::absolute(dest), ec);
  if (ec) return Status::InvalidArgument("backup destination " + dest + ": " + ec.message());
  if (Within(dst, src))
    return Status::InvalidArgument("backup destination " + dest + " is inside the store " + source +
                                   ": give a directory outside it");
  if (fs::exists(dst, ec)) {
    if (!fs::is_directory(dst, ec))
      return Status::AlreadyExists("backup destination " + dest + " exists and is not a directory");
    if (!fs::is_empty(dst, ec))
      return Status::AlreadyExists("backup destination " + dest +
                                   " exists and is not empty: give a new or empty directory");
  }
  if (!fs::is_directory(dst.parent_path(), ec))
    return Status::NotFound("the parent directory of the backup destination " + dest +
                            " does not exist: create it first");
  return Status::OK();
}

Result<std::unique_ptr<BackupDir>> BackupDir::Prepare(const std::string& source, const std::string& dest) {
  COMMERCE_RETURN_IF_ERROR(Check(source, dest));
  std::error_code ec;
  const fs::path dst = fs::weakly_canonical(fs::absolute(dest), ec);
  const fs::path parent = dst.parent_path();
  std::string staging = (parent / ("." + dst.filename().string() + ".backup-XXXXXX")).string();
  if (::mkdtemp(staging.data()) == nullptr)
    return file_io::Errno("cannot create the backup's staging directory in", parent.string());
  return std::unique_ptr<BackupDir>(new BackupDir(dst.string(), std::move(staging)));
}

BackupDir::~BackupDir() {
  if (committed_) return;
  std::error_code ec;
  fs::remove_all(staging_, ec);
}

Status BackupDir::Commit() {
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(staging_, ec))
    if (entry.is_regular_file()) COMMERCE_RETURN_IF_ERROR(SyncFile(entry.path().string()));
  if (ec) return Status::Unavailable("cannot list " + staging_ + ": " + ec.message());
  COMMERCE_RETURN_IF_ERROR(file_io::SyncDirectory(staging_));
  // rename(2) replaces an empty directory, and fails if the destination was filled since
  // Prepare (ENOTEMPTY): nothing a caller put there is overwritten.
  if (file_io::Rename(staging_, dest_) != 0) {
    if (errno == ENOTEMPTY || errno == EEXIST)
      return Status::AlreadyExists("backup destination " + dest_ + " was filled during the backup");
    return file_io::Errno("cannot move the backup into place at", dest_);
  }
  committed_ = true;
  return file_io::SyncDirectory(fs::path(dest_).parent_path().string());
}

Status WriteBackup(const std::string& source, const std::string& dest,
                   const std::function<Status(const std::string& staging)>& copy) {
  COMMERCE_ASSIGN_OR_RETURN(std::unique_ptr<BackupDir> dir, BackupDir::Prepare(source, dest));
  COMMERCE_RETURN_IF_ERROR(copy(dir->staging()));
  return dir->Commit();
}

}  // namespace commerce
