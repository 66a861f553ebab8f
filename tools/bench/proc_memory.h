// A process's memory as Linux reports it in /proc/PID/status, for the rows of the search
// suites and of suite http (rss_mb, peak_rss_mb, rss_anon_mb, rss_file_mb): what an index, or
// the server with its store, costs in RAM beside what it costs on disk.
//
// Thread safety: any thread.
#pragma once

#include <sys/types.h>

namespace commerce::bench {

struct ProcessMemory {
  double rss_mb = 0;       // VmRSS: resident now (heap + touched mapped file pages)
  double peak_rss_mb = 0;  // VmHWM: the peak since start or the last ResetPeakRss()
  double rss_anon_mb = 0;  // RssAnon: the heap, stacks and other private memory
  double rss_file_mb = 0;  // RssFile: mapped file pages (a store's map, the libraries), which
                           // the kernel may drop under memory pressure and read back
};

// This process, or `pid` (another process of the same user: the bench's commerce-server).
ProcessMemory ReadProcessMemory();
ProcessMemory ReadProcessMemory(pid_t pid);

// Resets VmHWM to the current RSS (writes "5" to /proc/PID/clear_refs, Linux >= 4.0), so
// that the next peak belongs to what runs next. Returns false when the kernel refused.
bool ResetPeakRss();
bool ResetPeakRss(pid_t pid);

}  // namespace commerce::bench
