#include "common/selector_key.h"

#include <string>

namespace commerce {

Status CheckSelectorKey(std::string_view field, std::string_view value) {
  if (value.size() > kMaxSelectorKeyBytes)
    return Status::InvalidArgument(std::string(field) + ": is " + std::to_string(value.size()) +
                                   " bytes, more than " + std::to_string(kMaxSelectorKeyBytes));
  for (char ch : value) {
    const bool ok = (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
                    (ch >= '0' && ch <= '9') || ch == '-' || ch == '_';
    // The value is not repeated: it may be anything, including bytes that are not UTF-8.
    if (!ok)
      return Status::InvalidArgument(std::string(field) +
                                     ": may hold only A-Z a-z 0-9 '-' '_' (e.g. wholesale)");
  }
  return Status::OK();
}

}  // namespace commerce
