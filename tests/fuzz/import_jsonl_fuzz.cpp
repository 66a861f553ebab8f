// Import files in the jsonl format (JSON Lines: one product per line): import_fuzz.h.
#include "import_fuzz.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  commerce::fuzz::RunImport("jsonl", data, size);
  return 0;
}
