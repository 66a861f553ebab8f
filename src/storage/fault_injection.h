// Fault injection under the storage drivers' files, for tests: makes the Nth file call fail,
// the way SQLite's test_vfs.c and LevelDB's fault-injection Env do, so a test can walk every
// failure point of a workload (fail call 1, then call 2, ... until the workload completes).
//
// What is counted: the calls the drivers make through file_io.h (the LMDB driver's log
// and backups), the LMDB driver's commits and syncs of data.mdb (kLmdbCommit, kLmdbSync:
// LMDB does its own I/O, so the driver fails the call in its place), and, once
// RegisterFaultVfs() (sqlite/fault_vfs.h) has made the shim the default VFS, the SQLite
// driver's file calls. Only calls on paths under Plan::under are counted.
//
// Production code never arms it; a disarmed injector costs one relaxed atomic load per call.
//
// Thread safety: every function may be called from any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace commerce::fault {

enum class Op : uint8_t {
  kOpen,        // opening or creating a file (for reading too)
  kWrite,       // write/pwrite/writev
  kSync,        // fsync/fdatasync, of a file or a directory
  kTruncate,
  kRename,
  kRemove,      // unlink, rmdir
  kLmdbCommit,  // mdb_txn_commit of a write txn
  kLmdbSync,    // mdb_env_sync
  kCount_
};
const char* OpName(Op op);

constexpr uint32_t Bit(Op op) { return 1u << static_cast<unsigned>(op); }
constexpr uint32_t kAllOps = (1u << static_cast<unsigned>(Op::kCount_)) - 1;

enum class Kind : uint8_t {
  kEio,         // the call fails with EIO (a bad sector, a lost device)
  kEnospc,      // the call fails with ENOSPC (a full disk)
  kShortWrite,  // a write writes half its bytes and reports that; other calls fail with EIO
  kKill,        // the process kills itself (SIGKILL) instead of making the call: kill -9 at
                // a chosen point of a write, for crash tests that walk every such point
};
const char* KindName(Kind kind);

struct Plan {
  std::string under;        // only paths starting with this are counted
  uint32_t ops = kAllOps;   // which calls are counted (Bit(Op) values)
  uint64_t nth = 1;         // the nth counted call fails (1-based)
  Kind kind = Kind::kEio;
  // false: only the nth call fails (a transient error). true: every counted call from the
  // nth on fails, with ENOSPC after a short write (a disk that stays full or broken).
  bool persist = false;
};

// Arms the injector with `plan`, resetting the counters.
void Arm(const Plan& plan);
// Disarms it; counters keep their values until the next Arm.
void Disarm();
// Counted calls since Arm, and whether the planned fault has happened.
uint64_t Calls();
bool Fired();
// A description of the first injected fault ("write #12 of /tmp/x/wal/...log: EIO"), or "".
std::string FirstFault();

// Called by the seam before each real call. Returns 0 to go ahead, or the errno the call
// must fail with. For a kWrite of `*len` bytes it may instead shorten *len (a short write)
// and return 0: the caller writes that much and reports it.
int Check(Op op, const std::string& path, size_t* len = nullptr);

}  // namespace commerce::fault
