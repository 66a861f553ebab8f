// Prepares a store's directory and holds an exclusive lock on it for the life of the
// object, so a second process (or a second open in this one) gets Unavailable rather than
// two writers on one store. Shared by the local drivers.
#pragma once

#include <memory>
#include <string>

#include "commerce/status.h"

namespace commerce {

class DirLock {
 public:
  // What the lock file says of its holder: its pid, and whether it has finished opening the
  // store (a backup from another process waits for that: see lmdb_backup.h).
  struct State {
    long pid = 0;
    bool opened = false;
  };

  // Creates `dir` if absent; fails with Unavailable when it is a file, is not writable, or
  // is locked by another holder (the message names the directory and, if known, the pid).
  static Result<std::unique_ptr<DirLock>> Acquire(const std::string& dir);
  ~DirLock();

  // Records in the lock file that the store is open (its recovery done).
  void MarkOpened();
  // The lock file's record (zeros when there is none).
  static State ReadState(const std::string& dir);
  // Whether a holder has the store locked now (this process's own holders count).
  static bool IsHeld(const std::string& dir);
  DirLock(const DirLock&) = delete;
  DirLock& operator=(const DirLock&) = delete;

 private:
  explicit DirLock(int fd) : fd_(fd) {}
  int fd_;
};

}  // namespace commerce
