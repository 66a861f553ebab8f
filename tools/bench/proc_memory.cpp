#include "proc_memory.h"

#include <cstdio>
#include <cstring>

namespace commerce::bench {

ProcessMemory ReadProcessMemory() {
  ProcessMemory m;
  std::FILE* f = std::fopen("/proc/self/status", "r");
  if (!f) return m;
  char line[256];
  while (std::fgets(line, sizeof line, f)) {
    unsigned long long kb = 0;
    if (std::sscanf(line, "VmRSS: %llu kB", &kb) == 1) m.rss_mb = static_cast<double>(kb) / 1024;
    else if (std::sscanf(line, "VmHWM: %llu kB", &kb) == 1) m.peak_rss_mb = static_cast<double>(kb) / 1024;
  }
  std::fclose(f);
  return m;
}

bool ResetPeakRss() {
  std::FILE* f = std::fopen("/proc/self/clear_refs", "w");
  if (!f) return false;
  const bool ok = std::fputs("5", f) >= 0;
  return std::fclose(f) == 0 && ok;
}

}  // namespace commerce::bench
