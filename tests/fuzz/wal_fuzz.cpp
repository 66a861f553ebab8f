// The LMDB driver's log replay (src/storage/lmdb/wal.h) over arbitrary segment bytes, and the
// redo records of every replayed group (redo_record.h). What replay promises, checked:
//   - it answers OK or Corruption, never another error, never a crash;
//   - the records it hands over have consecutive LSNs after `after`, and `last` is the
//     highest LSN seen;
//   - cutting a torn tail is final: replaying the same directory again answers OK with the
//     same records, and cuts nothing more;
//   - a replayed payload decodes into redo operations, or is Corruption.
//
// Input: a byte of layout (bit 0: two segments instead of one; bits 1-2: `after`, 0..3), two
// bytes of split position when there are two segments, then the segments' bytes. The files
// live in a directory under /dev/shm when it exists (no disk per input).
#include <fcntl.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_support.h"
#include "storage/lmdb/redo_record.h"
#include "storage/lmdb/wal.h"

using namespace commerce;
namespace fs = std::filesystem;

namespace {

std::string* g_dir = nullptr;

const std::string& Dir() {
  if (!g_dir) {
    std::string tmpl = (fs::is_directory("/dev/shm") ? "/dev/shm" : "/tmp") + std::string("/commerce-fuzz-wal-XXXXXX");
    FUZZ_CHECK(::mkdtemp(tmpl.data()) != nullptr, "mkdtemp");
    g_dir = new std::string(tmpl);
    std::atexit([] { fs::remove_all(*g_dir); });
  }
  return *g_dir;
}

void WriteFile(const std::string& path, std::string_view bytes) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  FUZZ_CHECK(fd >= 0, "creating " + path);
  for (size_t done = 0; done < bytes.size();) {
    ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    FUZZ_CHECK(n > 0, "writing " + path);
    done += static_cast<size_t>(n);
  }
  ::close(fd);
}

struct Replayed {
  Status status;
  std::vector<std::pair<uint64_t, std::string>> records;
  uint64_t last = 0;
  uintmax_t bytes = 0;  // the log's size after replay
};

Replayed Replay(const std::string& dir, uint64_t after) {
  Replayed r;
  auto wal = Wal::Open(dir);
  FUZZ_CHECK(wal.ok(), "opening the log: " + wal.status().ToString());
  r.status = (*wal)->Replay(
      after,
      [&](uint64_t lsn, std::string_view payload) {
        r.records.emplace_back(lsn, std::string(payload));
        return lmdb::ForEachRedoOp(payload, "fuzz", [](const lmdb::RedoOp& op) {
          FUZZ_CHECK(!op.table.empty(), "a redo operation without a table");
          FUZZ_CHECK(op.put || op.value.empty(), "a delete with a value");
          return Status::OK();
        });
      },
      &r.last);
  for (const auto& e : fs::directory_iterator(dir)) r.bytes += e.file_size();
  return r;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  commerce::fuzz::Bytes in(data, size);
  const uint8_t layout = in.u8();
  const bool two = layout & 1;
  const uint64_t after = (layout >> 1) & 3;
  const size_t split = two ? (static_cast<size_t>(in.u8()) << 8 | in.u8()) : 0;
  std::string_view rest = in.rest();

  const std::string dir = Dir() + "/log";
  fs::remove_all(dir);
  fs::create_directories(dir);
  // Segment names only order the segments: replay reads the LSNs from the records.
  if (two) {
    const size_t cut = split < rest.size() ? split : rest.size();
    WriteFile(dir + "/00000000000000000001.log", rest.substr(0, cut));
    WriteFile(dir + "/00000000000001000000.log", rest.substr(cut));
  } else {
    WriteFile(dir + "/00000000000000000001.log", rest);
  }

  const Replayed first = Replay(dir, after);
  FUZZ_CHECK(first.status.ok() || first.status.IsCorruption(),
             "replay must answer OK or Corruption, not " + first.status.ToString());
  uint64_t expect = after + 1;
  for (const auto& [lsn, payload] : first.records) {
    FUZZ_CHECK(lsn == expect, "replayed LSNs are not consecutive after `after`");
    ++expect;
  }
  if (!first.status.ok()) return 0;
  if (!first.records.empty()) FUZZ_CHECK(first.last == first.records.back().first, "last is not the newest LSN");

  const Replayed again = Replay(dir, after);
  FUZZ_CHECK(again.status.ok(), "a log replayed once does not replay again: " + again.status.ToString());
  FUZZ_CHECK(again.records == first.records && again.last == first.last,
             "replaying the same log twice gave different records");
  FUZZ_CHECK(again.bytes == first.bytes, "the second replay cut more off the log");
  return 0;
}
