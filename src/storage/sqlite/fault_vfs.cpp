// The shim follows SQLite's vfstrace.c: each sqlite3_file it opens is followed in memory by
// the real VFS's file, and every method forwards to it after asking the injector.
#include "storage/sqlite/fault_vfs.h"

#include <sqlite3.h>

#include <cerrno>
#include <mutex>
#include <string>

#include "storage/fault_injection.h"

namespace commerce::sqlite {

namespace {

struct FaultFile {
  sqlite3_file base;
  sqlite3_file* real;
  const char* path;  // owned by SQLite for the life of the file
};

sqlite3_file* Real(sqlite3_file* f) { return reinterpret_cast<FaultFile*>(f)->real; }
std::string PathOf(sqlite3_file* f) {
  const char* p = reinterpret_cast<FaultFile*>(f)->path;
  return p ? p : "";
}

// The SQLite code for an injected errno on a call of kind `op`.
int Code(int err, int io_code) { return err == ENOSPC ? SQLITE_FULL : io_code; }

int Close(sqlite3_file* f) {
  int rc = Real(f)->pMethods->xClose(Real(f));
  return rc;
}
int Read(sqlite3_file* f, void* buf, int n, sqlite3_int64 off) {
  return Real(f)->pMethods->xRead(Real(f), buf, n, off);
}
int Write(sqlite3_file* f, const void* buf, int n, sqlite3_int64 off) {
  size_t allowed = static_cast<size_t>(n);
  if (int err = fault::Check(fault::Op::kWrite, PathOf(f), &allowed))
    return Code(err, SQLITE_IOERR_WRITE);
  if (allowed < static_cast<size_t>(n)) {
    // A short write: part goes out, and SQLite hears what its unix VFS reports for one.
    (void)Real(f)->pMethods->xWrite(Real(f), buf, static_cast<int>(allowed), off);
    return SQLITE_FULL;
  }
  return Real(f)->pMethods->xWrite(Real(f), buf, n, off);
}
int Truncate(sqlite3_file* f, sqlite3_int64 size) {
  if (int err = fault::Check(fault::Op::kTruncate, PathOf(f))) return Code(err, SQLITE_IOERR_TRUNCATE);
  return Real(f)->pMethods->xTruncate(Real(f), size);
}
int Sync(sqlite3_file* f, int flags) {
  if (int err = fault::Check(fault::Op::kSync, PathOf(f))) return Code(err, SQLITE_IOERR_FSYNC);
  return Real(f)->pMethods->xSync(Real(f), flags);
}
int FileSize(sqlite3_file* f, sqlite3_int64* size) { return Real(f)->pMethods->xFileSize(Real(f), size); }
int Lock(sqlite3_file* f, int level) { return Real(f)->pMethods->xLock(Real(f), level); }
int Unlock(sqlite3_file* f, int level) { return Real(f)->pMethods->xUnlock(Real(f), level); }
int CheckReservedLock(sqlite3_file* f, int* out) {
  return Real(f)->pMethods->xCheckReservedLock(Real(f), out);
}
int FileControl(sqlite3_file* f, int op, void* arg) {
  return Real(f)->pMethods->xFileControl(Real(f), op, arg);
}
int SectorSize(sqlite3_file* f) { return Real(f)->pMethods->xSectorSize(Real(f)); }
int DeviceCharacteristics(sqlite3_file* f) {
  return Real(f)->pMethods->xDeviceCharacteristics(Real(f));
}
int ShmMap(sqlite3_file* f, int region, int size, int extend, void volatile** out) {
  return Real(f)->pMethods->xShmMap(Real(f), region, size, extend, out);
}
int ShmLock(sqlite3_file* f, int offset, int n, int flags) {
  return Real(f)->pMethods->xShmLock(Real(f), offset, n, flags);
}
void ShmBarrier(sqlite3_file* f) { Real(f)->pMethods->xShmBarrier(Real(f)); }
int ShmUnmap(sqlite3_file* f, int del) { return Real(f)->pMethods->xShmUnmap(Real(f), del); }
int Fetch(sqlite3_file* f, sqlite3_int64 off, int n, void** out) {
  return Real(f)->pMethods->xFetch(Real(f), off, n, out);
}
int Unfetch(sqlite3_file* f, sqlite3_int64 off, void* p) {
  return Real(f)->pMethods->xUnfetch(Real(f), off, p);
}

// Version 3 methods; the unix VFS has all of them.
const sqlite3_io_methods kMethods = {
    3,         Close,      Read,     Write,      Truncate, Sync,
    FileSize,  Lock,       Unlock,   CheckReservedLock,   FileControl,
    SectorSize, DeviceCharacteristics, ShmMap, ShmLock, ShmBarrier, ShmUnmap,
    Fetch,     Unfetch,
};

sqlite3_vfs* Root(sqlite3_vfs* vfs) { return static_cast<sqlite3_vfs*>(vfs->pAppData); }

int Open(sqlite3_vfs* vfs, const char* name, sqlite3_file* f, int flags, int* out_flags) {
  auto* p = reinterpret_cast<FaultFile*>(f);
  p->base.pMethods = nullptr;
  p->real = reinterpret_cast<sqlite3_file*>(p + 1);
  p->path = name;
  if (name) {
    if (int err = fault::Check(fault::Op::kOpen, name)) return Code(err, SQLITE_CANTOPEN);
  }
  int rc = Root(vfs)->xOpen(Root(vfs), name, p->real, flags, out_flags);
  if (rc == SQLITE_OK && p->real->pMethods) p->base.pMethods = &kMethods;
  return rc;
}
int Delete(sqlite3_vfs* vfs, const char* name, int sync_dir) {
  if (int err = fault::Check(fault::Op::kRemove, name ? name : "")) return Code(err, SQLITE_IOERR_DELETE);
  return Root(vfs)->xDelete(Root(vfs), name, sync_dir);
}
int Access(sqlite3_vfs* vfs, const char* name, int flags, int* out) {
  return Root(vfs)->xAccess(Root(vfs), name, flags, out);
}
int FullPathname(sqlite3_vfs* vfs, const char* name, int n, char* out) {
  return Root(vfs)->xFullPathname(Root(vfs), name, n, out);
}
void* DlOpen(sqlite3_vfs* vfs, const char* name) { return Root(vfs)->xDlOpen(Root(vfs), name); }
void DlError(sqlite3_vfs* vfs, int n, char* out) { Root(vfs)->xDlError(Root(vfs), n, out); }
void (*DlSym(sqlite3_vfs* vfs, void* h, const char* sym))(void) {
  return Root(vfs)->xDlSym(Root(vfs), h, sym);
}
void DlClose(sqlite3_vfs* vfs, void* h) { Root(vfs)->xDlClose(Root(vfs), h); }
int Randomness(sqlite3_vfs* vfs, int n, char* out) { return Root(vfs)->xRandomness(Root(vfs), n, out); }
int Sleep(sqlite3_vfs* vfs, int us) { return Root(vfs)->xSleep(Root(vfs), us); }
int CurrentTime(sqlite3_vfs* vfs, double* out) { return Root(vfs)->xCurrentTime(Root(vfs), out); }
int GetLastError(sqlite3_vfs* vfs, int n, char* out) {
  return Root(vfs)->xGetLastError(Root(vfs), n, out);
}
int CurrentTimeInt64(sqlite3_vfs* vfs, sqlite3_int64* out) {
  return Root(vfs)->xCurrentTimeInt64(Root(vfs), out);
}

}  // namespace

Status RegisterFaultVfs() {
  static std::once_flag once;
  static int rc = SQLITE_OK;
  static sqlite3_vfs shim;
  std::call_once(once, [] {
    sqlite3_vfs* root = sqlite3_vfs_find("unix");
    if (!root) {
      rc = SQLITE_ERROR;
      return;
    }
    shim = sqlite3_vfs{};
    shim.iVersion = 2;
    shim.szOsFile = static_cast<int>(sizeof(FaultFile)) + root->szOsFile;
    shim.mxPathname = root->mxPathname;
    shim.zName = "commerce-fault";
    shim.pAppData = root;
    shim.xOpen = Open;
    shim.xDelete = Delete;
    shim.xAccess = Access;
    shim.xFullPathname = FullPathname;
    shim.xDlOpen = DlOpen;
    shim.xDlError = DlError;
    shim.xDlSym = DlSym;
    shim.xDlClose = DlClose;
    shim.xRandomness = Randomness;
    shim.xSleep = Sleep;
    shim.xCurrentTime = CurrentTime;
    shim.xGetLastError = GetLastError;
    shim.xCurrentTimeInt64 = CurrentTimeInt64;
    rc = sqlite3_vfs_register(&shim, 1);
  });
  if (rc != SQLITE_OK)
    return Status::Internal("cannot register the fault-injecting SQLite VFS: " +
                            std::string(sqlite3_errstr(rc)));
  return Status::OK();
}

}  // namespace commerce::sqlite
