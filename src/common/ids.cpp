#include "common/ids.h"

#include <sys/random.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>

#include "common/utf8.h"

namespace commerce {

namespace {

// `size` bytes from the kernel's CSPRNG. getrandom blocks only until the pool is initialised
// at boot, and returns short only when interrupted, so this loops over EINTR and short reads;
// it cannot otherwise fail on Linux >= 3.17, and an id that is not random is worse than none.
void OsRandom(unsigned char* p, size_t size) {
  size_t got = 0;
  while (got < size) {
    const ssize_t n = getrandom(p + got, size - got, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      std::perror("commerce: getrandom");
      std::abort();
    }
    got += static_cast<size_t>(n);
  }
}

}  // namespace

std::string RandomId(std::string_view prefix, size_t bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  unsigned char raw[64];
  if (bytes > sizeof raw) bytes = sizeof raw;
  OsRandom(raw, bytes);
  std::string id(prefix);
  id.reserve(prefix.size() + 2 * bytes);
  for (size_t i = 0; i < bytes; ++i) {
    id += kHex[raw[i] >> 4];
    id += kHex[raw[i] & 15];
  }
  return id;
}

Status CheckIdentifier(std::string_view what, std::string_view id, size_t max_bytes) {
  std::string w(what);
  if (id.empty()) return Status::InvalidArgument(w + ": is empty");
  if (id.size() > max_bytes)
    return Status::InvalidArgument(w + ": is " + std::to_string(id.size()) + " bytes, more than " +
                                   std::to_string(max_bytes));
  for (char c : id)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f)
      return Status::InvalidArgument(w + ": contains a control character");
  COMMERCE_RETURN_IF_ERROR(CheckUtf8(w, id));
  if (id.front() == ' ' || id.back() == ' ')
    return Status::InvalidArgument(w + ": has leading or trailing spaces");
  return Status::OK();
}

}  // namespace commerce
