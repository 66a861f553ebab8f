#include "common/ids.h"

#include <cstdio>
#include <random>

#include "common/utf8.h"

namespace commerce {

std::string RandomId(std::string_view prefix) {
  thread_local std::mt19937_64 rng{std::random_device{}() ^
                                   (static_cast<uint64_t>(std::random_device{}()) << 32)};
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(rng()));
  std::string id(prefix);
  id += buf;
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
