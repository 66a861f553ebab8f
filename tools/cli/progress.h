// A progress line for long work (imports, generation): a redrawn bar on a terminal, a line
// every ten percent otherwise (logs, CI), so a user always sees that work moves.
#pragma once

#include <cstdint>
#include <string>

namespace commerce::cli {

class ProgressBar {
 public:
  explicit ProgressBar(std::string label);
  // done/total in units (bytes, records); total 0 when unknown. `detail` follows the bar.
  void update(uint64_t done, uint64_t total, const std::string& detail);
  void finish(const std::string& detail);

 private:
  std::string label_;
  bool tty_;
  int last_decile_ = -1;
};

}  // namespace commerce::cli
