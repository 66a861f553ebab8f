// The process's memory as Linux reports it in /proc/self/status, for the rows of the search
// suites (rss_mb, peak_rss_mb): what an index costs in RAM beside what it costs on disk.
//
// Thread safety: any thread.
#pragma once

namespace commerce::bench {

struct ProcessMemory {
  double rss_mb = 0;       // VmRSS: resident now (heap + touched mapped file pages)
  double peak_rss_mb = 0;  // VmHWM: the peak since start or the last ResetPeakRss()
};

ProcessMemory ReadProcessMemory();

// Resets VmHWM to the current RSS (writes "5" to /proc/self/clear_refs, Linux >= 4.0), so
// that the next peak belongs to what runs next. Returns false when the kernel refused.
bool ResetPeakRss();

}  // namespace commerce::bench
