// Test-only: lets the crash tests kill the process at the exact points that matter for the
// LMDB driver's log. Production code never sets a hook; an unset hook costs one relaxed load.
//
// Points:
//   "wal-synced"          a group's log record is durable, its LMDB commit not yet made
//   "checkpoint-rotated"  a new log segment started, LMDB not yet synced
//   "checkpoint-synced"   LMDB synced, the retired log segments not yet removed
#pragma once

#include "commerce/export.h"

namespace commerce {

using LmdbCrashHook = void (*)(const char* point);
COMMERCE_EXPORT void SetLmdbCrashHook(LmdbCrashHook hook);

namespace lmdb {
// The driver marks each point above with it; calls the hook, if one is set.
void CrashPoint(const char* point);
}  // namespace lmdb

}  // namespace commerce
