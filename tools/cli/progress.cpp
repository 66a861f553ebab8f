#include "progress.h"

#include <unistd.h>

#include <cstdio>

namespace commerce::cli {

ProgressBar::ProgressBar(std::string label) : label_(std::move(label)), tty_(::isatty(2)) {}

void ProgressBar::update(uint64_t done, uint64_t total, const std::string& detail) {
  double frac = total ? static_cast<double>(done) / static_cast<double>(total) : 0;
  if (frac > 1) frac = 1;
  if (tty_) {
    constexpr int kWidth = 30;
    int filled = static_cast<int>(frac * kWidth);
    std::fprintf(stderr, "\r%s [%.*s%*s] %5.1f%%  %s\033[K", label_.c_str(), filled,
                 "##############################", kWidth - filled, "", frac * 100, detail.c_str());
    std::fflush(stderr);
    return;
  }
  int decile = static_cast<int>(frac * 10);
  if (decile == last_decile_) return;
  last_decile_ = decile;
  std::fprintf(stderr, "%s %3d%%  %s\n", label_.c_str(), decile * 10, detail.c_str());
}

void ProgressBar::finish(const std::string& detail) {
  if (tty_) std::fprintf(stderr, "\r%s done  %s\033[K\n", label_.c_str(), detail.c_str());
  else std::fprintf(stderr, "%s done  %s\n", label_.c_str(), detail.c_str());
}

}  // namespace commerce::cli
