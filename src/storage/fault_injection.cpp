#include "storage/fault_injection.h"

#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <mutex>

namespace commerce::fault {

namespace {

std::atomic<bool> g_armed{false};
std::mutex g_mu;
Plan g_plan;               // GUARDED_BY(g_mu)
uint64_t g_calls = 0;      // GUARDED_BY(g_mu)
bool g_fired = false;      // GUARDED_BY(g_mu)
std::string g_first;       // GUARDED_BY(g_mu)

}  // namespace

const char* OpName(Op op) {
  switch (op) {
    case Op::kOpen: return "open";
    case Op::kWrite: return "write";
    case Op::kSync: return "sync";
    case Op::kTruncate: return "truncate";
    case Op::kRename: return "rename";
    case Op::kRemove: return "remove";
    case Op::kLmdbCommit: return "lmdb-commit";
    case Op::kLmdbSync: return "lmdb-sync";
    case Op::kCount_: break;
  }
  return "?";
}

const char* KindName(Kind kind) {
  switch (kind) {
    case Kind::kEio: return "EIO";
    case Kind::kEnospc: return "ENOSPC";
    case Kind::kShortWrite: return "short write";
    case Kind::kKill: return "SIGKILL";
  }
  return "?";
}

void Arm(const Plan& plan) {
  std::lock_guard<std::mutex> lock(g_mu);
  g_plan = plan;
  g_calls = 0;
  g_fired = false;
  g_first.clear();
  g_armed.store(true);
}

void Disarm() { g_armed.store(false); }

uint64_t Calls() {
  std::lock_guard<std::mutex> lock(g_mu);
  return g_calls;
}

bool Fired() {
  std::lock_guard<std::mutex> lock(g_mu);
  return g_fired;
}

std::string FirstFault() {
  std::lock_guard<std::mutex> lock(g_mu);
  return g_first;
}

int Check(Op op, const std::string& path, size_t* len) {
  if (!g_armed.load(std::memory_order_relaxed)) return 0;
  std::lock_guard<std::mutex> lock(g_mu);
  if (!g_armed.load() || !(g_plan.ops & Bit(op)) || path.compare(0, g_plan.under.size(), g_plan.under) != 0)
    return 0;
  uint64_t n = ++g_calls;
  if (n < g_plan.nth || (n > g_plan.nth && !g_plan.persist)) return 0;
  if (g_plan.kind == Kind::kKill && n == g_plan.nth) {
    ::kill(::getpid(), SIGKILL);
    for (;;) ::pause();
  }
  int err = g_plan.kind == Kind::kEnospc ? ENOSPC : EIO;
  if (g_plan.kind == Kind::kShortWrite) {
    if (n == g_plan.nth && op == Op::kWrite && len && *len > 1) {
      *len /= 2;
      err = 0;
    } else {
      err = op == Op::kWrite ? ENOSPC : EIO;
    }
  }
  if (!g_fired) {
    g_fired = true;
    g_first = std::string(OpName(op)) + " #" + std::to_string(n) + " of " + path + ": " +
              KindName(g_plan.kind);
  }
  return err;
}

}  // namespace commerce::fault
