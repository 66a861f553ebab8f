// How much of its workload a long test runs: all of it, unless COMMERCE_TEST_SHORT is set
// (to anything but "0"). tools/test's default ASan run sets it: the sanitizer makes a few
// tests 4-30x slower than the plain build, where the same CI run gives them their whole
// workload. `tools/test --sanitize address` (--full) leaves it unset. docs/testing.md,
// "Sanitizers".
#pragma once

#include <cstdlib>
#include <string_view>

namespace commerce::testing {

inline bool ShortTestRun() {
  const char* v = std::getenv("COMMERCE_TEST_SHORT");
  return v != nullptr && *v != '\0' && std::string_view(v) != "0";
}

// `full` in a whole run, `brief` in a short one.
inline int Scaled(int full, int brief) { return ShortTestRun() ? brief : full; }

}  // namespace commerce::testing
