// Backups of a SQLite store: SQLite's online backup API over one read snapshot.
//
// Why it is consistent: the source connection holds one read transaction for the whole copy,
// so every step reads the same snapshot (in WAL mode a writer goes on beside it, and the
// backup is not restarted by its commits); the copy is the database as of that snapshot,
// with every write acknowledged before it, each group whole.
//
// Thread safety: as its caller; nothing is shared.
#pragma once

#include <string>

#include "commerce/storage.h"

namespace commerce::sqlite {

// Copies the database `file` (which another connection or process may be writing) into
// `dest` (created; it must not exist), calling o.progress as it goes. Works whether the
// store is open in this process, in another one, or in none. The copy is not synced (the
// caller's BackupDir::Commit syncs it).
Status CopyDatabase(const std::string& file, const std::string& dest, const BackupOptions& o);

}  // namespace commerce::sqlite
