#include "storage/lmdb/wal.h"

#include <fcntl.h>
#include <sys/uio.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include "storage/file_io.h"

namespace fs = std::filesystem;

namespace commerce {

namespace {

constexpr size_t kHeader = 16;  // length, crc, lsn
// Zeros written ahead of the records at a time (wal.h, "Preallocation"): one fdatasync in this
// many bytes of records pays for the file's new size.
constexpr uint64_t kPreallocBytes = uint64_t{1} << 20;

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

std::string SegmentName(uint64_t first_lsn) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%020llu.log", static_cast<unsigned long long>(first_lsn));
  return buf;
}

// The first LSN a segment was started with, from its name (0 if the name does not say).
uint64_t SegmentFirstLsn(const std::string& path) {
  std::string name = fs::path(path).filename().string();
  return std::strtoull(name.c_str(), nullptr, 10);
}

Status ReadWholeFile(const std::string& path, std::string* out) {
  int fd = file_io::Open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return file_io::Errno("cannot open log segment", path);
  out->clear();
  char buf[1 << 16];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof(buf));
    if (n < 0) {
      if (errno == EINTR) continue;
      Status s = file_io::Errno("cannot read log segment", path);
      ::close(fd);
      return s;
    }
    if (n == 0) break;
    out->append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return Status::OK();
}

// A record as found at an offset of a segment's bytes.
struct Found {
  bool intact = false;  // whole, with a matching CRC
  uint32_t len = 0;
  uint64_t lsn = 0;
};

Found RecordAt(std::string_view data, size_t pos) {
  Found r;
  if (data.size() - pos < kHeader) return r;
  r.len = GetU32(data.data() + pos);
  r.lsn = GetU64(data.data() + pos + 8);
  if (data.size() - pos - kHeader < r.len) return r;
  r.intact = GetU32(data.data() + pos + 4) ==
             RecordCrc(r.lsn, std::string_view(data.data() + pos + kHeader, r.len));
  return r;
}

// Whether an intact record that could follow a damaged one at `pos` starts anywhere after
// it: a valid CRC and an LSN in [first_lsn, first_lsn + the records that could fit]. This is
// what tells damage from a torn tail; the LSN window keeps the CRC checks to a handful even
// over megabytes of garbage.
bool IntactRecordAfter(std::string_view data, size_t pos, uint64_t first_lsn) {
  const uint64_t span = (data.size() - pos) / kHeader + 1;
  for (size_t q = pos + 1; q + kHeader <= data.size(); ++q) {
    uint64_t lsn = GetU64(data.data() + q + 8);
    if (lsn < first_lsn || lsn - first_lsn > span) continue;
    if (RecordAt(data, q).intact) return true;
  }
  return false;
}

// Whether every byte from `pos` to the end is zero: the preallocated space after the last
// record of the newest segment.
bool ZerosToEnd(std::string_view data, size_t pos) {
  return std::all_of(data.begin() + static_cast<std::ptrdiff_t>(pos), data.end(),
                     [](char c) { return c == 0; });
}

// The first byte at or after `pos` that is not zero (data.size() if none).
size_t SkipZeros(std::string_view data, size_t pos) {
  while (pos < data.size() && data[pos] == 0) ++pos;
  return pos;
}

}  // namespace

Result<std::unique_ptr<Wal>> Wal::Open(const std::string& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return Status::Unavailable("cannot create log directory " + dir + ": " + ec.message());
  return std::unique_ptr<Wal>(new Wal(dir));
}

Wal::~Wal() {
  if (fd_ < 0) return;
  // A log closed in order ends at its last record, as one that was never preallocated. Past
  // the injector (file_io.h) on purpose: a destructor cannot report a failure, and leaving the
  // zeros is harmless (they read as the segment's end).
  if (allocated_ > segment_bytes_) (void)::ftruncate(fd_, static_cast<off_t>(segment_bytes_));
  ::close(fd_);
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
  return Scan(after, fn, last, nullptr);
}

Status Wal::Check(uint64_t after, const std::function<Status(uint64_t, std::string_view)>& fn,
                  uint64_t* last, std::string* torn_tail) {
  torn_tail->clear();
  return Scan(after, fn, last, torn_tail);
}

Status Wal::Scan(uint64_t after, const std::function<Status(uint64_t, std::string_view)>& fn,
                 uint64_t* last, std::string* torn_tail) {
  *last = 0;
  auto paths = SegmentPaths();
  std::string data;
  uint64_t expect = 0;  // next lsn expected, once one has been seen
  for (size_t i = 0; i < paths.size(); ++i) {
    const bool newest = i + 1 == paths.size();
    COMMERCE_RETURN_IF_ERROR(ReadWholeFile(paths[i], &data));
    size_t pos = 0;
    while (pos < data.size()) {
      Found r = RecordAt(data, pos);
      const std::string where = "log segment " + paths[i] + " at offset " + std::to_string(pos);
      if (!r.intact) {
        // The newest segment's preallocated zeros: the log ends here.
        if (newest && ZerosToEnd(data, pos)) break;
        if (!newest)
          return Status::Corruption(where + " is damaged and is not the newest segment: the "
                                    "records after it would be lost; restore the store from a backup");
        if (IntactRecordAfter(data, pos, expect != 0 ? expect : SegmentFirstLsn(paths[i])))
          return Status::Corruption(where + " is damaged, and intact records follow it, so it "
                                    "is not a write cut short by a crash: cutting it would drop "
                                    "acknowledged writes; restore the store from a backup");
        // A torn tail: the write that was in flight when the process died. It was never
        // acknowledged (the caller waits for the fdatasync that follows the write). Described
        // from its first byte that is not a zero of the preallocated space before it.
        if (torn_tail != nullptr) {
          const size_t torn = SkipZeros(data, pos);
          *torn_tail = "log segment " + paths[i] + " at offset " + std::to_string(torn) + ": " +
                       std::to_string(data.size() - torn) + " bytes";
        } else if (file_io::Truncate(paths[i], static_cast<off_t>(pos)) != 0) {
          return file_io::Errno("cannot cut torn tail of", paths[i]);
        }
        break;
      }
      if (expect != 0 && r.lsn != expect)
        return Status::Corruption(where + " holds lsn " + std::to_string(r.lsn) + " where " +
                                  std::to_string(expect) +
                                  " should follow: the log is out of sequence; restore the store from a backup");
      if (r.lsn > after) {
        if (expect == 0 && r.lsn != after + 1)
          return Status::Corruption("log " + dir_ + " resumes at lsn " + std::to_string(r.lsn) +
                                    " but the store has applied only up to " +
                                    std::to_string(after) + ": a log segment is missing");
        COMMERCE_RETURN_IF_ERROR(fn(r.lsn, std::string_view(data.data() + pos + kHeader, r.len)));
      }
      *last = r.lsn;
      expect = r.lsn + 1;
      pos += kHeader + r.len;
    }
  }
  return Status::OK();
}

Status Wal::OpenSegment(uint64_t first_lsn) {
  std::string path = dir_ + "/" + SegmentName(first_lsn);
  // Not O_APPEND: records are written over the zeros preallocated ahead of them.
  int fd = file_io::Open(path, O_WRONLY | O_CREAT | O_CLOEXEC);
  if (fd < 0) return file_io::Errno("cannot create log segment", path);
  // A segment is named by its first record, so one that exists already holds none (an empty
  // segment opened again): write after whatever it holds, as an append would.
  const off_t end = ::lseek(fd, 0, SEEK_END);
  if (end < 0) {
    Status s = file_io::Errno("cannot seek in log segment", path);
    ::close(fd);
    return s;
  }
  // The new file's name must be durable before a record in it is acknowledged.
  Status s = file_io::SyncDirectory(dir_);
  if (!s.ok()) {
    ::close(fd);
    return s;
  }
  if (fd_ >= 0) ::close(fd_);
  fd_ = fd;
  path_ = path;
  segment_bytes_ = allocated_ = static_cast<uint64_t>(end);
  return Status::OK();
}

Status Wal::Preallocate(uint64_t end) {
  static const char kZeros[1 << 16] = {};
  const uint64_t target = std::max(end, allocated_ + kPreallocBytes);
  if (::lseek(fd_, static_cast<off_t>(allocated_), SEEK_SET) < 0)
    return file_io::Errno("cannot seek in log segment", path_);
  Status s;
  for (uint64_t at = allocated_; at < target && s.ok();) {
    const size_t n = static_cast<size_t>(std::min<uint64_t>(sizeof(kZeros), target - at));
    struct iovec iov = {const_cast<char*>(kZeros), n};
    if (file_io::WritevAll(fd_, path_, &iov, 1) != 0) s = file_io::Errno("cannot preallocate log", path_);
    at += n;
  }
  if (s.ok()) allocated_ = target;
  else if (file_io::Ftruncate(fd_, path_, static_cast<off_t>(allocated_)) != 0)
    s = Status::Unavailable(s.message() + "; zeros may remain at its end (taken as its end when the store is reopened)");
  if (::lseek(fd_, static_cast<off_t>(segment_bytes_), SEEK_SET) < 0 && s.ok())
    s = file_io::Errno("cannot seek in log segment", path_);
  return s;
}

int Wal::CutBack(uint64_t bytes) {
  if (file_io::Ftruncate(fd_, path_, static_cast<off_t>(bytes)) != 0) return -1;
  allocated_ = segment_bytes_ = bytes;
  return ::lseek(fd_, static_cast<off_t>(bytes), SEEK_SET) < 0 ? -1 : 0;
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
  if (fd_ < 0) return Status::FailedPrecondition("log " + dir_ + " has no open segment");
  char header[kHeader];
  PutU32(header, static_cast<uint32_t>(payload.size()));
  PutU32(header + 4, RecordCrc(lsn, payload));
  PutU64(header + 8, lsn);
  const uint64_t end = segment_bytes_ + kHeader + payload.size();
  if (end > allocated_) COMMERCE_RETURN_IF_ERROR(Preallocate(end));
  struct iovec iov[2] = {{header, kHeader}, {const_cast<char*>(payload.data()), payload.size()}};
  size_t written = 0;
  if (file_io::WritevAll(fd_, path_, iov, 2, &written) != 0) {
    Status s = file_io::Errno("cannot append to log", path_);
    // Part of the record went out, or the file position moved: cut the segment back so that
    // it ends where it did (its zeros ahead go too).
    if (CutBack(segment_bytes_) != 0)
      return Status::Unavailable(s.message() + "; a partial record remains at its end (cut off "
                                 "as a torn tail when the store is reopened)");
    return s;
  }
  segment_bytes_ += written;
  return Status::OK();
}

Status Wal::Sync() {
  if (fd_ < 0) return Status::FailedPrecondition("log " + dir_ + " has no open segment");
  if (file_io::Fdatasync(fd_, path_) != 0) return file_io::Errno("fdatasync failed on", path_);
  return Status::OK();
}

Status Wal::Truncate(uint64_t bytes) {
  if (fd_ < 0) return Status::FailedPrecondition("log " + dir_ + " has no open segment");
  if (CutBack(bytes) != 0) return file_io::Errno("cannot truncate", path_);
  if (file_io::Fdatasync(fd_, path_) != 0) return file_io::Errno("fdatasync after truncating failed on", path_);
  return Status::OK();
}

Status Wal::Rotate(uint64_t next_lsn, std::vector<std::string>* retired) {
  // An older segment ends at its last record (the torn-tail rule reads zeros there as damage);
  // the sync below makes the cut durable before the next segment exists.
  if (fd_ >= 0 && allocated_ > segment_bytes_ && CutBack(segment_bytes_) != 0)
    return file_io::Errno("cannot cut the preallocated end of", path_);
  COMMERCE_RETURN_IF_ERROR(Sync());
  *retired = SegmentPaths();
  return OpenSegment(next_lsn);
}

Status Wal::Remove(const std::vector<std::string>& paths, const std::string& dir) {
  for (const auto& p : paths) {
    if (file_io::Unlink(p) != 0 && errno != ENOENT) return file_io::Errno("cannot remove log segment", p);
  }
  return paths.empty() ? Status::OK() : file_io::SyncDirectory(dir);
}

}  // namespace commerce
