// Import files in the csv format (CSV: a header row, then a row per variant): import_fuzz.h.
#include "import_fuzz.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  commerce::fuzz::RunImport("csv", data, size);
  return 0;
}
