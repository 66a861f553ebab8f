#include "engine/replica_id.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>

#include "common/ids.h"
#include "common/key.h"
#include "engine/engine_core.h"
#include "storage/file_io.h"

namespace commerce {

namespace {

// The file in a shared store's local directory (beside the driver's POSTGRES binding file).
constexpr char kReplicaFile[] = "REPLICA_ID";

// What RandomId("r-") makes: "r-" and 16 lower-case hex digits.
bool WellFormed(const std::string& id) {
  if (id.size() != 18 || id.compare(0, 2, "r-") != 0) return false;
  for (size_t i = 2; i < id.size(); ++i) {
    char c = id[i];
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

Result<std::string> LoadFromStore(EngineCore& core) {
  const std::string key = KeyBuilder().str("replica").key();
  std::string id;
  COMMERCE_RETURN_IF_ERROR(core.storage->write([&](WriteTxn& txn) -> Status {
    std::string_view v;
    Status s = txn.get(core.tables.meta, key, &v);
    if (s.ok()) {
      id = std::string(v);
      return Status::OK();
    }
    if (!s.IsNotFound()) return s;
    id = RandomId("r-");
    return txn.put(core.tables.meta, key, id);
  }));
  return id;
}

// Written whole or not at all: a temporary file, fsync, rename, fsync of the directory. The
// engine holds the directory's lock (the driver took it), so no other process races this.
Status WriteIdFile(const std::string& dir, const std::string& id) {
  const std::string path = dir + "/" + kReplicaFile;
  const std::string tmp = path + ".tmp";
  int fd = file_io::Open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return file_io::Errno("cannot create", tmp);
  std::string text = id + "\n";
  struct iovec iov{text.data(), text.size()};
  Status s;
  if (file_io::WritevAll(fd, tmp, &iov, 1) != 0) s = file_io::Errno("cannot write", tmp);
  else if (file_io::Fsync(fd, tmp) != 0) s = file_io::Errno("cannot fsync", tmp);
  ::close(fd);
  if (s.ok() && file_io::Rename(tmp, path) != 0) s = file_io::Errno("cannot rename", tmp);
  if (!s.ok()) {
    (void)file_io::Unlink(tmp);
    return s;
  }
  return file_io::SyncDirectory(dir);
}

Result<std::string> LoadFromDirectory(const std::string& dir) {
  const std::string path = dir + "/" + kReplicaFile;
  std::ifstream in(path);
  if (in) {
    std::string id, rest;
    std::getline(in, id);
    std::getline(in, rest);
    if (!WellFormed(id) || !rest.empty() || in.bad())
      return Status::Corruption(path + " is damaged: it should hold this process's replica id "
                                "(r- and 16 hex digits); remove the file and a new id is made "
                                "(carts stay valid)");
    return id;
  }
  if (errno != ENOENT) return file_io::Errno("cannot read", path);
  std::string id = RandomId("r-");
  COMMERCE_RETURN_IF_ERROR(WriteIdFile(dir, id));
  return id;
}

}  // namespace

Result<std::string> LoadReplicaId(EngineCore& core, const std::string& dir) {
  if (core.storage->capabilities() & kRemote) return LoadFromDirectory(dir);
  return LoadFromStore(core);
}

}  // namespace commerce
