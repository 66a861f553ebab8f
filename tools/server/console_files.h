// The console's files (tools/server/console/), embedded in the binary at build time by
// cmake/embed_files.cmake into a generated console_files.cpp. Served by api_console.cpp.
//
// Thread safety: constant data, read by any thread.
#pragma once

#include <cstddef>

namespace commerce::server {

struct EmbeddedFile {
  const char* name;           // "app.js": the directory is flat
  const unsigned char* data;  // `size` bytes (then a 0 that is not part of the file)
  size_t size;
  const char* etag;           // "\"<first 20 hex digits of the SHA-256>\"", quotes included
};

extern const EmbeddedFile kConsoleFiles[];
extern const size_t kConsoleFiles_count;

}  // namespace commerce::server
