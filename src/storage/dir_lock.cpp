#include "storage/dir_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>

namespace commerce {

Result<std::unique_ptr<DirLock>> DirLock::Acquire(const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  struct stat st;
  if (::stat(dir.c_str(), &st) != 0)
    return Status::Unavailable("cannot create store directory " + dir + ": " +
                               (ec ? ec.message() : std::strerror(errno)));
  if (!S_ISDIR(st.st_mode))
    return Status::Unavailable("store path " + dir + " is not a directory");
  if (::access(dir.c_str(), W_OK | X_OK) != 0)
    return Status::Unavailable("store directory " + dir + " is not writable: " +
                               std::strerror(errno));
  std::string path = dir + "/LOCK";
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0)
    return Status::Unavailable("cannot open lock file " + path + ": " + std::strerror(errno));
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    int err = errno;
    ::close(fd);
    const long pid = ReadState(dir).pid;
    std::string holder = pid > 0 ? " (held by pid " + std::to_string(pid) + ")" : "";
    if (err == EWOULDBLOCK)
      return Status::Unavailable("store " + dir + " is in use by another process" + holder +
                                 ": close it there first");
    return Status::Unavailable("cannot lock " + path + ": " + std::strerror(err));
  }
  std::string pid = std::to_string(::getpid());
  if (::ftruncate(fd, 0) == 0) {
    ssize_t ignored = ::pwrite(fd, pid.data(), pid.size(), 0);
    (void)ignored;
  }
  return std::unique_ptr<DirLock>(new DirLock(fd));
}

void DirLock::MarkOpened() {
  std::string line = std::to_string(::getpid()) + " opened";
  ssize_t ignored = ::pwrite(fd_, line.data(), line.size(), 0);
  (void)ignored;
}

DirLock::State DirLock::ReadState(const std::string& dir) {
  State state;
  int fd = ::open((dir + "/LOCK").c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return state;
  char buf[64] = {0};
  ssize_t n = ::pread(fd, buf, sizeof(buf) - 1, 0);
  ::close(fd);
  if (n <= 0) return state;
  state.pid = std::strtol(buf, nullptr, 10);
  state.opened = std::strstr(buf, " opened") != nullptr;
  return state;
}

bool DirLock::IsHeld(const std::string& dir) {
  int fd = ::open((dir + "/LOCK").c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  bool held = ::flock(fd, LOCK_EX | LOCK_NB) != 0 && errno == EWOULDBLOCK;
  ::close(fd);  // releases it if taken
  return held;
}

DirLock::~DirLock() {
  if (fd_ >= 0) ::close(fd_);  // closing releases the flock
}

}  // namespace commerce
