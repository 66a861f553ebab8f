#include "storage/file_io.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "storage/fault_injection.h"

namespace commerce::file_io {

namespace {
// Fails the call with `err` when the injector says so.
bool Injected(fault::Op op, const std::string& path) {
  int err = fault::Check(op, path);
  if (err == 0) return false;
  errno = err;
  return true;
}
}  // namespace

int Open(const std::string& path, int flags, mode_t mode) {
  if (Injected(fault::Op::kOpen, path)) return -1;
  return ::open(path.c_str(), flags, mode);
}

ssize_t Writev(int fd, const std::string& path, const struct iovec* iov, int count) {
  size_t want = 0;
  for (int i = 0; i < count; ++i) want += iov[i].iov_len;
  size_t allowed = want;
  if (int err = fault::Check(fault::Op::kWrite, path, &allowed)) {
    errno = err;
    return -1;
  }
  if (allowed >= want) return ::writev(fd, iov, count);
  // A short write: what fits in `allowed` goes out, as a full disk would do it.
  ssize_t total = 0;
  for (int i = 0; i < count && allowed > 0; ++i) {
    size_t n = std::min(allowed, iov[i].iov_len);
    ssize_t w = ::write(fd, iov[i].iov_base, n);
    if (w < 0) return total > 0 ? total : -1;
    total += w;
    allowed -= static_cast<size_t>(w);
    if (static_cast<size_t>(w) < n) break;
  }
  return total;
}

int WritevAll(int fd, const std::string& path, struct iovec* iov, int count, size_t* written) {
  size_t done_total = 0;
  size_t left = 0;
  for (int i = 0; i < count; ++i) left += iov[i].iov_len;
  int rc = 0;
  while (left > 0) {
    ssize_t n = Writev(fd, path, iov, count);
    if (n < 0) {
      if (errno == EINTR) continue;
      rc = -1;
      break;
    }
    if (n == 0) {  // no progress and no error: treat as a full disk rather than spin
      errno = ENOSPC;
      rc = -1;
      break;
    }
    left -= static_cast<size_t>(n);
    done_total += static_cast<size_t>(n);
    for (size_t done = static_cast<size_t>(n); done > 0 && count > 0;) {
      if (done >= iov->iov_len) {
        done -= iov->iov_len;
        ++iov;
        --count;
      } else {
        iov->iov_base = static_cast<char*>(iov->iov_base) + done;
        iov->iov_len -= done;
        done = 0;
      }
    }
  }
  if (written) *written = done_total;
  return rc;
}

int Fdatasync(int fd, const std::string& path) {
  if (Injected(fault::Op::kSync, path)) return -1;
  return ::fdatasync(fd);
}

int Fsync(int fd, const std::string& path) {
  if (Injected(fault::Op::kSync, path)) return -1;
  return ::fsync(fd);
}

int Ftruncate(int fd, const std::string& path, off_t length) {
  if (Injected(fault::Op::kTruncate, path)) return -1;
  return ::ftruncate(fd, length);
}

int Truncate(const std::string& path, off_t length) {
  if (Injected(fault::Op::kTruncate, path)) return -1;
  return ::truncate(path.c_str(), length);
}

int Rename(const std::string& from, const std::string& to) {
  if (Injected(fault::Op::kRename, to)) return -1;
  return ::rename(from.c_str(), to.c_str());
}

int Unlink(const std::string& path) {
  if (Injected(fault::Op::kRemove, path)) return -1;
  return ::unlink(path.c_str());
}

Status SyncDirectory(const std::string& dir) {
  int fd = Open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return Errno("cannot open directory", dir);
  int rc = Fsync(fd, dir);
  int err = errno;
  ::close(fd);
  errno = err;
  if (rc != 0) return Errno("fsync failed on directory", dir);
  return Status::OK();
}

Status Errno(const std::string& what, const std::string& path) {
  return Status::Unavailable(what + " " + path + ": " + std::strerror(errno));
}

}  // namespace commerce::file_io
