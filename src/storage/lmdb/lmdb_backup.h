// Backups of an LMDB store: a compacted copy of one LMDB snapshot (mdb_env_copyfd2 with
// MDB_CP_COMPACT), made while writers go on.
//
// Why the copy needs no log: every group is committed to LMDB, with its LSN in __meta, before
// its caller is answered, and a snapshot holds whole LMDB commits. So the copy's data.mdb
// holds every group acknowledged before the snapshot began, each whole, and an applied LSN
// that matches them; opened, it replays nothing and its log starts after that LSN.
//
// Thread safety: as the functions' callers; nothing is shared.
#pragma once

#include <lmdb.h>

#include <string>

#include "commerce/storage.h"

namespace commerce::lmdb {

// Copies the environment's current snapshot, compacted, into `file` (created; it must not
// exist), through file_io.h, calling o.progress as it goes. The file is not synced (the
// caller's BackupDir::Commit syncs it). *lmdb_rc gets LMDB's code when the copy failed there.
Status CopyEnv(MDB_env* env, const std::string& file, const BackupOptions& o, int* lmdb_rc = nullptr);

// The backup of the store at `path` while another process has it open (and goes on writing):
// opens the environment read-only beside that process and copies it into `file`.
// Unavailable when the holder is still opening the store (it may be replaying its log into
// LMDB: a copy then could lack acknowledged groups), after waiting a while for it.
Status CopyHeldStore(const std::string& path, const std::string& file, const BackupOptions& o);

}  // namespace commerce::lmdb
