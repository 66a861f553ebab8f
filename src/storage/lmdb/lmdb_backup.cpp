#include "storage/lmdb/lmdb_backup.h"

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <thread>
#include <vector>

#include "storage/dir_lock.h"
#include "storage/file_io.h"
#include "storage/lmdb/lmdb_status.h"
#include "storage/lmdb/lmdb_tables.h"

namespace commerce::lmdb {

Status CopyEnv(MDB_env* env, const std::string& file, const BackupOptions& o, int* lmdb_rc) {
  if (lmdb_rc) *lmdb_rc = 0;
  MDB_envinfo info;
  MDB_stat stat;
  uint64_t total = 0;
  if (mdb_env_info(env, &info) == 0 && mdb_env_stat(env, &stat) == 0)
    total = (static_cast<uint64_t>(info.me_last_pgno) + 1) * stat.ms_psize;  // compaction shrinks it

  int out = file_io::Open(file, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (out < 0) return file_io::Errno("cannot create the backup file", file);
  // LMDB writes the copy into a pipe; this thread writes the pipe into the file, so the
  // file's writes go through the fault-injection seam and the bytes can be counted.
  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0) {
    Status s = file_io::Errno("cannot create a pipe for the backup of", file);
    ::close(out);
    return s;
  }
  int copy_rc = 0;
  std::thread copier([&] {
    // If this side stops reading (the file cannot be written), LMDB's writes get EPIPE
    // rather than a SIGPIPE for the process; LMDB's own copy thread inherits the mask.
    sigset_t pipe_signal;
    sigemptyset(&pipe_signal);
    sigaddset(&pipe_signal, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe_signal, nullptr);
    copy_rc = mdb_env_copyfd2(env, pipe_fds[1], MDB_CP_COMPACT);
    ::close(pipe_fds[1]);
  });
  Status written;
  uint64_t done = 0;
  std::vector<char> buf(size_t{1} << 20);
  for (;;) {
    ssize_t n = ::read(pipe_fds[0], buf.data(), buf.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      written = file_io::Errno("cannot read the copy of the store for", file);
      break;
    }
    if (n == 0) break;
    struct iovec iov = {buf.data(), static_cast<size_t>(n)};
    if (file_io::WritevAll(out, file, &iov, 1) != 0) {
      written = file_io::Errno("cannot write the backup file", file);
      break;
    }
    done += static_cast<uint64_t>(n);
    if (o.progress) o.progress(done, std::max(total, done));
  }
  ::close(pipe_fds[0]);  // LMDB's writes, if any are left, now fail with EPIPE
  copier.join();
  ::close(out);
  if (!written.ok()) return written;
  if (copy_rc != 0) {
    if (lmdb_rc) *lmdb_rc = copy_rc;
    return LmdbError(copy_rc, "cannot copy the store into " + file);
  }
  return Status::OK();
}

namespace {

size_t FileSize(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 ? static_cast<size_t>(st.st_size) : 0;
}

// Waits (a bounded time) until the holder of the store has finished opening it.
Status AwaitOpened(const std::string& path) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  for (;;) {
    DirLock::State state = DirLock::ReadState(path);
    if (state.opened) return Status::OK();
    if (std::chrono::steady_clock::now() >= deadline)
      return Status::Unavailable("store " + path + " is still being opened by process " +
                                 std::to_string(state.pid) +
                                 " (it may be recovering its log): back it up once it has opened");
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

// Maps four times what the holder maps. The holder doubles its map as it fills (GrowMap), and
// a map only as large as the holder's was outgrown by its next doubling before the copy's read
// transaction began: 'backup while another process has the store open and writes' failed so
// with MDB_MAP_RESIZED after six attempts, in a clean-clone CI run. A read-only map larger than
// the file costs address space only: LMDB reads no page past the last one committed.
Status MapAhead(MDB_env* env, const std::string& data) {
  int rc = mdb_env_set_mapsize(env, 0);  // 0: the size the holder's last commit recorded
  MDB_envinfo info;
  if (rc == 0) rc = mdb_env_info(env, &info);
  if (rc == 0) rc = mdb_env_set_mapsize(env, info.me_mapsize * 4);
  if (rc != 0) return LmdbError(rc, "cannot map LMDB store " + data + " to back it up");
  return Status::OK();
}

}  // namespace

Status CopyHeldStore(const std::string& path, const std::string& file, const BackupOptions& o) {
  COMMERCE_RETURN_IF_ERROR(AwaitOpened(path));
  const DirLock::State before = DirLock::ReadState(path);
  MDB_env* env = nullptr;
  int rc = mdb_env_create(&env);
  if (rc != 0) return LmdbError(rc, "mdb_env_create");
  const std::string data = path + "/data.mdb";
  mdb_env_set_maxdbs(env, kMaxTables);
  mdb_env_set_mapsize(env, std::max<size_t>(FileSize(data), size_t{1} << 20));
  // Read-only beside the holder: LMDB's lock file (lock.mdb) lets processes share one
  // environment, readers never blocking the writer.
  rc = mdb_env_open(env, path.c_str(), MDB_RDONLY | MDB_NOTLS | MDB_NORDAHEAD, 0644);
  if (rc != 0) {
    mdb_env_close(env);
    return LmdbError(rc, "cannot open LMDB store " + data + " to back it up");
  }
  // Map ahead of the holder, which grows its map while the copy is taken (MapAhead).
  Status s = MapAhead(env, data);
  for (int attempt = 0; s.ok(); ++attempt) {
    int lmdb_rc = 0;
    s = CopyEnv(env, file, o, &lmdb_rc);
    // The holder grew its map since: take its new size and copy again.
    if (lmdb_rc != MDB_MAP_RESIZED || attempt == 5) break;
    (void)file_io::Unlink(file);
    s = MapAhead(env, data);
  }
  mdb_env_close(env);
  COMMERCE_RETURN_IF_ERROR(s);
  // The same holder, opened all along: the snapshot was not taken during a recovery.
  const DirLock::State after = DirLock::ReadState(path);
  if (after.pid != before.pid || !after.opened)
    return Status::Unavailable("store " + path + " was closed or reopened by another process "
                               "during the backup: take it again");
  return Status::OK();
}

}  // namespace commerce::lmdb
