#include "proc_memory.h"

#include <cstdio>
#include <string>

namespace commerce::bench {

namespace {

std::string ProcFile(pid_t pid, const char* name) {
  return pid == 0 ? std::string("/proc/self/") + name : "/proc/" + std::to_string(pid) + "/" + name;
}

}  // namespace

ProcessMemory ReadProcessMemory(pid_t pid) {
  ProcessMemory m;
  std::FILE* f = std::fopen(ProcFile(pid, "status").c_str(), "r");
  if (!f) return m;
  char line[256];
  while (std::fgets(line, sizeof line, f)) {
    unsigned long long kb = 0;
    if (std::sscanf(line, "VmRSS: %llu kB", &kb) == 1) m.rss_mb = static_cast<double>(kb) / 1024;
    else if (std::sscanf(line, "VmHWM: %llu kB", &kb) == 1) m.peak_rss_mb = static_cast<double>(kb) / 1024;
    else if (std::sscanf(line, "RssAnon: %llu kB", &kb) == 1) m.rss_anon_mb = static_cast<double>(kb) / 1024;
    else if (std::sscanf(line, "RssFile: %llu kB", &kb) == 1) m.rss_file_mb = static_cast<double>(kb) / 1024;
  }
  std::fclose(f);
  return m;
}

ProcessMemory ReadProcessMemory() { return ReadProcessMemory(0); }

bool ResetPeakRss(pid_t pid) {
  std::FILE* f = std::fopen(ProcFile(pid, "clear_refs").c_str(), "w");
  if (!f) return false;
  const bool ok = std::fputs("5", f) >= 0;
  return std::fclose(f) == 0 && ok;
}

bool ResetPeakRss() { return ResetPeakRss(0); }

}  // namespace commerce::bench
