// Import files in the json format (a JSON array of products): import_fuzz.h.
#include "import_fuzz.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  commerce::fuzz::RunImport("json", data, size);
  return 0;
}
