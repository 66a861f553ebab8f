// A shim SQLite VFS that passes every call to the default one ("unix") and lets
// fault_injection.h fail opens, writes, syncs, truncations and deletes, as SQLite's own
// test_vfs.c does for its I/O-error tests. Tests register it; production never does.
#pragma once

#include "commerce/status.h"

namespace commerce::sqlite {

// Registers the shim as SQLite's default VFS for this process, so every connection opened
// afterwards (the driver names no VFS) goes through it. Idempotent.
Status RegisterFaultVfs();

}  // namespace commerce::sqlite
