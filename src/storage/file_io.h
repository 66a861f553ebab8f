// The file calls the local drivers make on their own files (the LMDB driver's log, backups),
// through one seam that fault_injection.h can fail. Each wrapper behaves as the POSIX call it
// names (a return of -1 with errno set on failure); `path` names the file for the injector
// and for error messages.
//
// Thread safety: as the POSIX calls.
#pragma once

#include <sys/types.h>
#include <sys/uio.h>

#include <string>

#include "commerce/status.h"

namespace commerce::file_io {

int Open(const std::string& path, int flags, mode_t mode = 0644);
// One write(2)/writev(2) call; it may be short (a full disk, or the injector).
ssize_t Writev(int fd, const std::string& path, const struct iovec* iov, int count);
// Writes all of iov, stepping past short writes; -1 with errno on the first failure.
// *written (optional) gets the bytes that went out, failure or not.
int WritevAll(int fd, const std::string& path, struct iovec* iov, int count,
              size_t* written = nullptr);
int Fdatasync(int fd, const std::string& path);
int Fsync(int fd, const std::string& path);
int Ftruncate(int fd, const std::string& path, off_t length);
int Truncate(const std::string& path, off_t length);
int Rename(const std::string& from, const std::string& to);
int Unlink(const std::string& path);

// fsync of a directory, so that a file created, renamed or removed in it survives a crash.
// Unavailable naming the directory on failure.
Status SyncDirectory(const std::string& dir);

// Unavailable("<what> <path>: <strerror(errno)>").
Status Errno(const std::string& what, const std::string& path);

}  // namespace commerce::file_io
