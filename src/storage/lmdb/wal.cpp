#include "storage/lmdb/wal.h"

#include <fcntl.h>
#include <sys/uio.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "storage/dir_lock.h"

namespace fs = std::filesystem;

namespace commerce {

namespace {

constexpr size_t kHeader = 16;  // length, crc, lsn

void PutU32(char* p, uint32_t v) { std::memcpy(p, &v, 4); }  // little-endian hosts only
void PutU64(char* p, uint64_t v) { std::memcpy(p, &v, 8); }
uint32_t GetU32(const char* p) { uint32_t v; std::memcpy(&v, p, 4); return v; }
uint64_t GetU64(const char* p) { uint64_t v; std::memcpy(&v, p, 8); return v; }

uint32_t RecordCrc(uint64_t lsn, std::string_view payload) {
  char lsn_bytes[8];
  PutU64(lsn_bytes, lsn);
  uLong crc = crc32(0L, reinterpret_cast<const Bytef*>(lsn_bytes), 8);
  // zlib takes uInt lengths: feed large payloads in pieces.
  const char* p = payload.data();
  size_t n = payload.size();
  while (n > 0) {
    uInt chunk = static_cast<uInt>(std::min<size_t>(n, 1u << 30));
    crc = crc32(crc, reinterpret_cast<const Bytef*>(p), chunk);
    p += chunk;
    n -= chunk;
  }
  return static_cast<uint32_t>(crc);
}

Status Errno(const std::string& what, const std::string& path) {
  return Status::Unavailable(what + " " + path + ": " + std::strerror(errno));
}

std::string SegmentName(uint64_t first_lsn) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%020llu.log", static_cast<unsigned long long>(first_lsn));
  return buf;
}

Status ReadWholeFile(const std::string& path, std::string* out) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Errno("cannot open log segment", path);
  out->clear();
  char buf[1 << 16];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof(buf));
    if (n < 0) {
      if (errno == EINTR) continue;
      Status s = Errno("cannot read log segment", path);
      ::close(fd);
      return s;
    }
    if (n == 0) break;
    out->append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return Status::OK();
}

}  // namespace

Result<std::unique_ptr<Wal>> Wal::Open(const std::string& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return Status::Unavailable("cannot create log directory " + dir + ": " + ec.message());
  return std::unique_ptr<Wal>(new Wal(dir));
}

Wal::~Wal() {
  if (fd_ >= 0) ::close(fd_);
}

std::vector<std::string> Wal::SegmentPaths() const {
  std::vector<std::string> paths;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir_, ec)) {
    auto name = e.path().filename().string();
    if (name.size() == 24 && name.ends_with(".log")) paths.push_back(e.path().string());
  }
  std::sort(paths.begin(), paths.end());  // zero-padded names sort by first lsn
  return paths;
}

Status Wal::Replay(uint64_t after, const std::function<Status(uint64_t, std::string_view)>& fn,
                   uint64_t* last) {
  *last = 0;
  auto paths = SegmentPaths();
  std::string data;
  uint64_t expect = 0;  // next lsn expected, once one has been seen
  for (size_t i = 0; i < paths.size(); ++i) {
    const bool newest = i + 1 == paths.size();
    COMMERCE_RETURN_IF_ERROR(ReadWholeFile(paths[i], &data));
    size_t pos = 0;
    while (pos < data.size()) {
      bool intact = data.size() - pos >= kHeader;
      uint32_t len = 0;
      uint64_t lsn = 0;
      if (intact) {
        len = GetU32(data.data() + pos);
        lsn = GetU64(data.data() + pos + 8);
        intact = data.size() - pos - kHeader >= len &&
                 GetU32(data.data() + pos + 4) ==
                     RecordCrc(lsn, std::string_view(data.data() + pos + kHeader, len)) &&
                 (expect == 0 || lsn == expect);
      }
      if (!intact) {
        if (!newest)
          return Status::Corruption("log segment " + paths[i] + " is damaged at offset " +
                                    std::to_string(pos) + " and is not the newest: records after it would be lost");
        // A torn tail: the write that was in flight when the process died. It was never
        // acknowledged (the caller waits for the fdatasync that follows the write).
        if (::truncate(paths[i].c_str(), static_cast<off_t>(pos)) != 0)
          return Errno("cannot cut torn tail of", paths[i]);
        break;
      }
      if (lsn > after) {
        if (expect == 0 && lsn != after + 1)
          return Status::Corruption("log " + dir_ + " resumes at lsn " + std::to_string(lsn) +
                                    " but the store has applied only up to " +
                                    std::to_string(after) + ": a log segment is missing");
        COMMERCE_RETURN_IF_ERROR(fn(lsn, std::string_view(data.data() + pos + kHeader, len)));
      }
      *last = lsn;
      expect = lsn + 1;
      pos += kHeader + len;
    }
  }
  return Status::OK();
}

Status Wal::OpenSegment(uint64_t first_lsn) {
  std::string path = dir_ + "/" + SegmentName(first_lsn);
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) return Errno("cannot create log segment", path);
  if (fd_ >= 0) ::close(fd_);
  fd_ = fd;
  path_ = path;
  segment_bytes_ = 0;
  return SyncDirectory(dir_);
}

Status Wal::Reset(uint64_t next_lsn) {
  auto old = SegmentPaths();
  if (fd_ >= 0) {
    ::close(fd_);
    fd_ = -1;
  }
  COMMERCE_RETURN_IF_ERROR(Remove(old, dir_));
  return OpenSegment(next_lsn);
}

Status Wal::Append(uint64_t lsn, std::string_view payload) {
  if (payload.size() > UINT32_MAX)
    return Status::ResourceExhausted("a group's log record exceeds 4 GiB: write smaller mutations");
  char header[kHeader];
  PutU32(header, static_cast<uint32_t>(payload.size()));
  PutU32(header + 4, RecordCrc(lsn, payload));
  PutU64(header + 8, lsn);
  struct iovec iov[2] = {{header, kHeader}, {const_cast<char*>(payload.data()), payload.size()}};
  const size_t want = kHeader + payload.size();
  struct iovec* v = iov;
  int count = 2;
  for (size_t left = want; left > 0;) {
    ssize_t n = ::writev(fd_, v, count);
    if (n < 0) {
      if (errno == EINTR) continue;
      return Errno("cannot append to log", path_);
    }
    // A short write (rare): step past what went out and write the rest.
    left -= static_cast<size_t>(n);
    for (size_t done = static_cast<size_t>(n); done > 0 && count > 0;) {
      if (done >= v->iov_len) {
        done -= v->iov_len;
        ++v;
        --count;
      } else {
        v->iov_base = static_cast<char*>(v->iov_base) + done;
        v->iov_len -= done;
        done = 0;
      }
    }
  }
  segment_bytes_ += want;
  return Status::OK();
}

Status Wal::Sync() {
  if (::fdatasync(fd_) != 0) return Errno("fdatasync failed on", path_);
  return Status::OK();
}

Status Wal::Truncate(uint64_t bytes) {
  if (::ftruncate(fd_, static_cast<off_t>(bytes)) != 0) return Errno("cannot truncate", path_);
  segment_bytes_ = bytes;
  return Status::OK();
}

Status Wal::Rotate(uint64_t next_lsn, std::vector<std::string>* retired) {
  COMMERCE_RETURN_IF_ERROR(Sync());
  *retired = SegmentPaths();
  return OpenSegment(next_lsn);
}

Status Wal::Remove(const std::vector<std::string>& paths, const std::string& dir) {
  for (const auto& p : paths) {
    if (::unlink(p.c_str()) != 0 && errno != ENOENT) return Errno("cannot remove log segment", p);
  }
  return paths.empty() ? Status::OK() : SyncDirectory(dir);
}

}  // namespace commerce
