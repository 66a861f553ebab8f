#include "storage/lmdb/lmdb_test_hooks.h"

#include <atomic>

namespace commerce {

namespace {
std::atomic<LmdbCrashHook> g_crash_hook{nullptr};
}  // namespace

void SetLmdbCrashHook(LmdbCrashHook hook) { g_crash_hook.store(hook); }

void lmdb::CrashPoint(const char* point) {
  if (auto hook = g_crash_hook.load(std::memory_order_relaxed)) hook(point);
}

}  // namespace commerce
